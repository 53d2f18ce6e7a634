/*
 * gdx_httpd.c - libmicrohttpd in external epoll mode, for status endpoints.
 *
 * The daemon is started without a polling thread (MHD_USE_EPOLL), so every callback runs
 * inside gdx_httpd_run() on the caller's thread: the handler reads the caller's state without
 * locks. Only GET and HEAD are answered (405 otherwise); request bodies are refused.
 * Connections idle for 30 s are closed, and at most 64 are open at once, so a client that
 * opens and holds connections cannot grow the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "gdx_err.h"
#include "gdx_httpd.h"
#include "gdx_log.h"
#include "gdx_util.h"

struct gdx_httpd {
    struct MHD_Daemon *d;
    gdx_httpd_handler_fn handler;
    void *opaque;
    int fd;
    char url[96];
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct gdx_httpd *h = cls;
    struct gdx_httpd_reply reply = {404, "text/plain; charset=utf-8", NULL, 0};
    struct MHD_Response *resp;
    enum MHD_Result ret;
    static int first_call;
    (void)version;
    (void)upload_data;

    if (!*req_cls) {
        *req_cls = &first_call; /* headers seen: answer on the next call */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are not read */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        reply.status = 405;
        reply.body = gdx_xstrdup("method not allowed: only GET and HEAD\n");
    } else {
        h->handler(h->opaque, url, &reply);
    }
    if (!reply.body) {
        reply.body = gdx_xstrdup("not found\n");
        reply.status = reply.status ? reply.status : 404;
    }
    if (!reply.len) {
        reply.len = strlen(reply.body);
    }
    resp = MHD_create_response_from_buffer(reply.len, reply.body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(reply.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (reply.status == 405) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    ret = MHD_queue_response(conn, (unsigned int)reply.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    gdx_log(GDX_LOG_WARN, "http server", " reason=\"%s\"", msg);
}

struct gdx_httpd *gdx_httpd_new(const char *listen, gdx_httpd_handler_fn handler, void *opaque,
                                int *err, char *errstr, size_t errstr_size)
{
    struct gdx_httpd *h;
    struct sockaddr_in sin;
    const union MHD_DaemonInfo *info;
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char host[64], *end;
    long port;
    int dummy;

    if (!err) {
        err = &dummy;
    }
    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        *err = gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid listen address '%s': expected HOST:PORT", listen ? listen : "");
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (!strcmp(host, "localhost")) {
        snprintf(host, sizeof(host), "127.0.0.1");
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, *host ? host : "0.0.0.0", &sin.sin_addr) != 1) {
        *err = gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid listen address '%s': expected IPv4-HOST:PORT", listen);
        return NULL;
    }
    sin.sin_port = htons((uint16_t)port);
    h = gdx_xcalloc(1, sizeof(*h));
    h->handler = handler;
    h->opaque = opaque;
    h->d =
        MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, on_request,
                         h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
    if (!h->d) {
        *err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot listen on '%s': %s", listen,
                          errno ? strerror(errno) : "libmicrohttpd refused");
        free(h);
        return NULL;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info) {
        *err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                          "libmicrohttpd has no epoll descriptor (built without epoll)");
        MHD_stop_daemon(h->d);
        free(h);
        return NULL;
    }
    h->fd = info->epoll_fd;
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port) {
        port = info->port;
    }
    snprintf(h->url, sizeof(h->url), "http://%s:%ld", *host ? host : "0.0.0.0", port);
    *err = GDX_OK;
    return h;
}

void gdx_httpd_destroy(struct gdx_httpd *h)
{
    if (!h) {
        return;
    }
    MHD_stop_daemon(h->d);
    free(h);
}

const char *gdx_httpd_url(const struct gdx_httpd *h)
{
    return h->url;
}

int gdx_httpd_fd(const struct gdx_httpd *h)
{
    return h->fd;
}

int gdx_httpd_timeout_ms(struct gdx_httpd *h)
{
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout(h->d, &t) != MHD_YES) {
        return -1;
    }
    return t > 60000 ? 60000 : (int)t;
}

void gdx_httpd_run(struct gdx_httpd *h)
{
    MHD_run(h->d);
}
