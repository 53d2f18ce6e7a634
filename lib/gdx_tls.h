/*
 * gdx_tls.h - TLS settings of gdx's HTTPS clients (libcurl): the schema registry client, the
 * http connector, and anything else that speaks HTTPS.
 *
 * A deployment sets them once, in the `tls:` section of its deployment file (gdx_deploy.h);
 * a client may override single members from its own config. Certificate and host name
 * verification are always on: there is no setting that turns them off.
 *
 * For an HTTPS client (the http connector, for one):
 *
 *     struct gdx_tls tls = {0};
 *     gdx_deploy_tls(deploy, &tls);            // the host's settings, if any
 *     gdx_tls_merge(&tls, &my_overrides);      // optional: the connector's own keys
 *     if (gdx_tls_curl(&tls, curl, errstr, sizeof(errstr))) ...   // before each transfer
 *     rc = curl_easy_perform(curl);
 *     if (rc != CURLE_OK)
 *         gdx_tls_curl_explain(curl, rc, curlerr, &tls, url, errstr, sizeof(errstr));
 *     gdx_tls_release(&tls);
 */
#ifndef GDX_TLS_H
#define GDX_TLS_H

#include <stddef.h>

#include <curl/curl.h>

#include "gdx_conf.h"

struct gdx_tls {
    char *ca_file;      /* PEM bundle of the CAs to trust; NULL: the system's store */
    char *ca_path;      /* directory of hashed CA certificates, or NULL */
    char *cert_file;    /* client certificate (mTLS), PEM, or NULL */
    char *key_file;     /* its private key, PEM, mode 0600 or 0400 */
    char *key_password; /* the key's passphrase (secret: from key.password.file or ${ENV}) */
    char *min_version;  /* "1.2" (default) or "1.3" */
};

/* Parse a `tls:` map: ca.file, ca.path, cert.file, key.file, key.password, key.password.file,
 * min.version. Relative paths are taken from @p dir (may be NULL). Files must exist and be
 * readable; a key or password file readable by group or others is refused. Errors name
 * `file:line:col`; GDX_ERR_CONFIG. Fills only the members the map sets. */
int gdx_tls_parse(const struct gdx_node *map, const char *dir, struct gdx_tls *tls, char *errstr,
                  size_t errstr_size);

/* Members set in @p over replace those of @p dst (copies). */
void gdx_tls_merge(struct gdx_tls *dst, const struct gdx_tls *over);
/* Free the members; the password is wiped first. */
void gdx_tls_release(struct gdx_tls *tls);

/* Set libcurl's TLS options on @p curl: CA, client certificate and key, minimum version,
 * peer and host verification on. Call after curl_easy_reset. GDX_ERR_CONFIG if libcurl
 * refuses an option. */
int gdx_tls_curl(const struct gdx_tls *tls, CURL *curl, char *errstr, size_t errstr_size);

/*
 * After curl_easy_perform failed with @p rc: a message that names the cause in plain words
 * (the server's certificate is not trusted by the CA file, has expired, does not match the
 * host name; the client certificate or key cannot be used), the URL (without user info) and
 * which CA was used; a failure that is not about TLS is libcurl's text alone (the caller
 * names the peer). @p curlerr is the CURLOPT_ERRORBUFFER text (may be empty).
 * @returns GDX_ERR_CONFIG for a local setting that cannot work (an unreadable CA file, a bad
 * client key), GDX_ERR_RETRY otherwise (the server may be fixed or come back).
 */
int gdx_tls_curl_explain(CURL *curl, CURLcode rc, const char *curlerr, const struct gdx_tls *tls,
                         const char *url, char *errstr, size_t errstr_size);

/*
 * Read a one-line secret from @p path: refused unless a regular file that neither group nor
 * others may read; one trailing newline is dropped. *out is malloc'd (wipe it with
 * OPENSSL_cleanse before free) and registered as a log secret.
 */
int gdx_secret_file_read(const char *path, char **out, char *errstr, size_t errstr_size);

#endif
