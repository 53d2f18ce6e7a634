/*
 * gdx_httpd.h - a small HTTP server for a program's own event loop (libmicrohttpd).
 *
 * For GET-only status endpoints served from a single-threaded loop: libmicrohttpd runs in its
 * external epoll mode, so there is no server thread and no lock; the loop watches
 * gdx_httpd_fd(), waits at most gdx_httpd_timeout_ms() and calls gdx_httpd_run(). The handler
 * runs on the loop's thread and may read the program's state directly.
 */
#ifndef GDX_HTTPD_H
#define GDX_HTTPD_H

#include <stddef.h>

/* What a handler answers: a status, a content type and a body it hands over (malloc'd). */
struct gdx_httpd_reply {
    int status;
    const char *content_type; /* static text */
    char *body;               /* taken over and freed by the server */
    size_t len;
};

/* Fill @p reply for a GET or HEAD of @p path (no query string). */
typedef void (*gdx_httpd_handler_fn)(void *opaque, const char *path, struct gdx_httpd_reply *reply);

struct gdx_httpd;

/*
 * Listen on @p listen, "HOST:PORT" with an IPv4 HOST ("localhost" is 127.0.0.1; port 0
 * picks a free port). Returns NULL with errstr; *err (may be NULL) receives GDX_ERR_USAGE for
 * a malformed address, GDX_ERR_IO when it cannot be bound.
 */
struct gdx_httpd *gdx_httpd_new(const char *listen, gdx_httpd_handler_fn handler, void *opaque,
                                int *err, char *errstr, size_t errstr_size);
void gdx_httpd_destroy(struct gdx_httpd *h);

/* "http://HOST:PORT" */
const char *gdx_httpd_url(const struct gdx_httpd *h);
/* The descriptor to watch for readability (an epoll descriptor). */
int gdx_httpd_fd(const struct gdx_httpd *h);
/* The longest the loop may wait before the next gdx_httpd_run(), -1 for no limit. */
int gdx_httpd_timeout_ms(struct gdx_httpd *h);
/* Serve what is ready, without blocking. */
void gdx_httpd_run(struct gdx_httpd *h);

#endif
