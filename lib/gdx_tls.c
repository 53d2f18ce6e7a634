/*
 * gdx_tls.c - TLS settings for libcurl, and failures explained in plain words.
 *
 * Every HTTPS client of gdx takes its TLS settings from one struct gdx_tls, normally the
 * deployment file's `tls:` section, and applies them with gdx_tls_curl before each transfer.
 * Invariants: peer and host name verification are always on (no member can turn them off);
 * TLS 1.2 is the floor; a private key or password file that group or others can read is
 * refused at parse time, as gdx refuses such data keys; the key's passphrase is registered as
 * a log secret and wiped on release.
 *
 * libcurl reports a refused server certificate as one error code for many causes; the
 * X.509 verify result (CURLINFO_SSL_VERIFYRESULT) and the error buffer tell them apart, so
 * an operator reads "has expired" or "is not valid for the host name" instead of a code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "gdx_err.h"
#include "gdx_log.h"
#include "gdx_tls.h"
#include "gdx_util.h"

#define SECRET_MAX 4096

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

int gdx_secret_file_read(const char *path, char **out, char *errstr, size_t errstr_size)
{
    char buf[SECRET_MAX + 1];
    struct stat st;
    size_t n = 0;
    /* O_NONBLOCK: a FIFO named as a secret file is refused below instead of blocking here
     * until someone writes to it (it means nothing for a regular file) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err = GDX_OK;

    *out = NULL;
    if (fd < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot open secret file '%s': %s",
                          path, strerror(errno));
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        err =
            gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "secret file '%s' is not a file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "secret file '%s' has mode %04o: group or others may read it (chmod "
                         "600 '%s')",
                         path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, SECRET_MAX - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot read '%s': %s", path,
                             strerror(errno));
            goto out;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
        if (n == SECRET_MAX) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "secret file '%s' is larger than %d bytes", path, SECRET_MAX);
            goto out;
        }
    }
    if (n && buf[n - 1] == '\n') {
        n--;
    }
    if (n && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    if (memchr(buf, '\n', n) || !n) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "secret file '%s' must hold one non-empty line", path);
        goto out;
    }
    *out = gdx_xstrdup(buf);
    gdx_log_add_secret(*out);
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return err;
}

static int conf_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *msg,
                    const char *detail)
{
    char where[300];
    return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s%s%s",
                      gdx_conf_where(n, where, sizeof(where)), msg, detail ? ": " : "",
                      detail ? detail : "");
}

/* A readable file (or, for ca.path, directory); @p secret: not readable by group or others */
static int path_value(const struct gdx_node *n, const char *dir, int want_dir, int secret,
                      char **out, char *errstr, size_t errstr_size)
{
    const char *v;
    struct stat st;
    char *p, msg[600];
    int err = gdx_conf_scalar(n, &v, errstr, errstr_size);
    if (err) {
        return err;
    }
    p = gdx_path_join(dir, v);
    if (stat(p, &st) || access(p, R_OK)) {
        snprintf(msg, sizeof(msg), "cannot read %s '%s'", n->key, p);
        err = conf_err(errstr, errstr_size, n, msg, strerror(errno));
    } else if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        snprintf(msg, sizeof(msg), "%s '%s' is not a %s", n->key, p,
                 want_dir ? "directory" : "file");
        err = conf_err(errstr, errstr_size, n, msg, NULL);
    } else if (secret && (st.st_mode & 077)) {
        snprintf(msg, sizeof(msg), "%s '%s' has mode %04o: group or others may read it (chmod 600)",
                 n->key, p, (unsigned)(st.st_mode & 07777));
        err = conf_err(errstr, errstr_size, n, msg, NULL);
    }
    if (err) {
        free(p);
        return err;
    }
    free(*out);
    *out = p;
    return GDX_OK;
}

int gdx_tls_parse(const struct gdx_node *map, const char *dir, struct gdx_tls *tls, char *errstr,
                  size_t errstr_size)
{
    static const char *const keys[] = {
        "ca.file",      "ca.path",           "cert.file",   "key.file",
        "key.password", "key.password.file", "min.version", NULL};
    const struct gdx_node *n;
    int err;

    if (!map) {
        return GDX_OK;
    }
    if (map->type != GDX_NODE_MAP) {
        return conf_err(errstr, errstr_size, map, "'tls' must be a map (ca.file, cert.file, ...)",
                        NULL);
    }
    if ((err = gdx_conf_only_keys(map, keys, errstr, errstr_size))) {
        return err;
    }
    if (((n = gdx_conf_get(map, "ca.file")) &&
         (err = path_value(n, dir, 0, 0, &tls->ca_file, errstr, errstr_size))) ||
        ((n = gdx_conf_get(map, "ca.path")) &&
         (err = path_value(n, dir, 1, 0, &tls->ca_path, errstr, errstr_size))) ||
        ((n = gdx_conf_get(map, "cert.file")) &&
         (err = path_value(n, dir, 0, 0, &tls->cert_file, errstr, errstr_size))) ||
        ((n = gdx_conf_get(map, "key.file")) &&
         (err = path_value(n, dir, 0, 1, &tls->key_file, errstr, errstr_size)))) {
        return err;
    }
    if ((n = gdx_conf_get(map, "key.password"))) {
        const char *v;
        if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
            return err;
        }
        if (!n->from_env) {
            return conf_err(errstr, errstr_size, n,
                            "key.password must come from the environment (${NAME}) or from "
                            "key.password.file, not be written in the file",
                            NULL);
        }
        free_secret(tls->key_password);
        tls->key_password = gdx_xstrdup(v);
        gdx_log_add_secret(v);
    }
    if ((n = gdx_conf_get(map, "key.password.file"))) {
        char *path = NULL, *pw = NULL, reason[700];
        if ((err = path_value(n, dir, 0, 1, &path, errstr, errstr_size))) {
            return err;
        }
        err = gdx_secret_file_read(path, &pw, reason, sizeof(reason));
        free(path);
        if (err) {
            return conf_err(errstr, errstr_size, n, reason, NULL);
        }
        free_secret(tls->key_password);
        tls->key_password = pw;
    }
    if ((n = gdx_conf_get(map, "min.version"))) {
        const char *v;
        if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
            return err;
        }
        if (strcmp(v, "1.2") && strcmp(v, "1.3")) {
            return conf_err(errstr, errstr_size, n, "min.version must be 1.2 or 1.3", v);
        }
        free(tls->min_version);
        tls->min_version = gdx_xstrdup(v);
    }
    if (!!tls->cert_file != !!tls->key_file) {
        return conf_err(errstr, errstr_size, map,
                        "a client certificate needs both cert.file and key.file", NULL);
    }
    return GDX_OK;
}

static void take(char **dst, const char *src)
{
    if (src) {
        free(*dst);
        *dst = gdx_xstrdup(src);
    }
}

void gdx_tls_merge(struct gdx_tls *dst, const struct gdx_tls *over)
{
    if (!over) {
        return;
    }
    take(&dst->ca_file, over->ca_file);
    take(&dst->ca_path, over->ca_path);
    take(&dst->cert_file, over->cert_file);
    take(&dst->key_file, over->key_file);
    if (over->key_password) {
        free_secret(dst->key_password);
        dst->key_password = gdx_xstrdup(over->key_password);
    }
    take(&dst->min_version, over->min_version);
}

void gdx_tls_release(struct gdx_tls *tls)
{
    if (!tls) {
        return;
    }
    free(tls->ca_file);
    free(tls->ca_path);
    free(tls->cert_file);
    free(tls->key_file);
    free_secret(tls->key_password);
    free(tls->min_version);
    memset(tls, 0, sizeof(*tls));
}

int gdx_tls_curl(const struct gdx_tls *tls, CURL *curl, char *errstr, size_t errstr_size)
{
    long ver = CURL_SSLVERSION_TLSv1_2;
    CURLcode rc = CURLE_OK;

    if (tls && tls->min_version && !strcmp(tls->min_version, "1.3")) {
        ver = CURL_SSLVERSION_TLSv1_3;
    }
    rc |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    rc |= curl_easy_setopt(curl, CURLOPT_SSLVERSION, ver);
    if (tls && tls->ca_file) {
        rc |= curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca_file);
    }
    if (tls && tls->ca_path) {
        rc |= curl_easy_setopt(curl, CURLOPT_CAPATH, tls->ca_path);
    }
    if (tls && tls->cert_file) {
        rc |= curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->cert_file);
        rc |= curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
        rc |= curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->key_file);
        rc |= curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
        if (tls->key_password) {
            rc |= curl_easy_setopt(curl, CURLOPT_KEYPASSWD, tls->key_password);
        }
    }
    if (rc != CURLE_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "libcurl refused the TLS settings (built without TLS support?)");
    }
    return GDX_OK;
}

/* "https://user:pw@host:8081/x" -> "https://host:8081" */
static void url_origin(const char *url, char *out, size_t size)
{
    const char *s = strstr(url, "://");
    const char *host = s ? s + 3 : url;
    const char *end = host + strcspn(host, "/?#");
    const char *at = memchr(host, '@', (size_t)(end - host));
    if (at) {
        host = at + 1;
    }
    snprintf(out, size, "%.*s%.*s", s ? (int)(s + 3 - url) : 0, url, (int)(end - host), host);
}

int gdx_tls_curl_explain(CURL *curl, CURLcode rc, const char *curlerr, const struct gdx_tls *tls,
                         const char *url, char *errstr, size_t errstr_size)
{
    char origin[512], ca[600];
    const char *detail = curlerr && *curlerr ? curlerr : curl_easy_strerror(rc);
    long verify = 0;

    url_origin(url, origin, sizeof(origin));
    if (tls && tls->ca_file) {
        snprintf(ca, sizeof(ca), "the CA file '%s'", tls->ca_file);
    } else if (tls && tls->ca_path) {
        snprintf(ca, sizeof(ca), "the CA directory '%s'", tls->ca_path);
    } else {
        snprintf(ca, sizeof(ca), "the system's CA store (no tls.ca.file set)");
    }
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &verify);
        if (verify == X509_V_ERR_CERT_HAS_EXPIRED) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "TLS: the certificate of '%s' has expired (%s)", origin, detail);
        }
        if (verify == X509_V_ERR_CERT_NOT_YET_VALID) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "TLS: the certificate of '%s' is not valid yet (check the clocks) "
                              "(%s)",
                              origin, detail);
        }
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH ||
            strstr(detail, "subject name") || strstr(detail, "host name") ||
            strstr(detail, "hostname")) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "TLS: the certificate of '%s' is not valid for that host name "
                              "(%s)",
                              origin, detail);
        }
        if (verify != X509_V_OK) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "TLS: the certificate of '%s' is not trusted by %s: %s (%s)", origin,
                              ca, X509_verify_cert_error_string(verify), detail);
        }
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "TLS: the certificate of '%s' was refused (%s)", origin, detail);
    case CURLE_SSL_CACERT_BADFILE:
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "TLS: cannot use %s: %s", ca,
                          detail);
    case CURLE_SSL_CERTPROBLEM:
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "TLS: cannot use the client certificate '%s' with key '%s': %s",
                          tls && tls->cert_file ? tls->cert_file : "",
                          tls && tls->key_file ? tls->key_file : "", detail);
    case CURLE_SSL_CONNECT_ERROR:
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "TLS handshake with '%s' failed (does it want a client certificate, "
                          "or a newer TLS version?): %s",
                          origin, detail);
    default:
        /* not about TLS: the caller names the peer it was reaching */
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "%s", detail);
    }
}
