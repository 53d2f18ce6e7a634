/*
 * tls-get - fetch an HTTPS URL the way gdx's clients do, for the TLS tests.
 *
 *   tls-get --registry URL ID   gdx_registry_get(ID) with the deployment file's settings
 *   tls-get --curl URL          a plain libcurl handle set up with gdx_deploy_tls and
 *                               gdx_tls_curl (what the http connector does)
 *
 * The deployment file is $GDX_DEPLOYMENT, as for every gdx client. Prints "ok <body>" and
 * exits 0, or prints the error on stdout and exits 1 (3 for a config error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "gdx_deploy.h"
#include "gdx_err.h"
#include "gdx_registry.h"
#include "gdx_tls.h"

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    fwrite(ptr, size, nmemb, userdata);
    return size * nmemb;
}

int main(int argc, char **argv)
{
    struct gdx_deploy *deploy = NULL;
    struct gdx_tls tls = {0};
    char errstr[2048] = "";
    int err;

    if (argc < 3 || (strcmp(argv[1], "--registry") && strcmp(argv[1], "--curl")) ||
        (!strcmp(argv[1], "--registry") && argc != 4)) {
        fprintf(stderr, "usage: tls-get --registry URL ID | --curl URL\n");
        return 2;
    }
    if ((err = gdx_deploy_load(&deploy, errstr, sizeof(errstr)))) {
        printf("config: %s\n", errstr);
        return 3;
    }
    gdx_deploy_tls(deploy, &tls);
    if (!strcmp(argv[1], "--registry")) {
        struct gdx_registry *reg = gdx_registry_new(argv[2], NULL, NULL, errstr, sizeof(errstr));
        const char *text = NULL;
        if (!reg) {
            printf("%s\n", errstr);
            return 3;
        }
        gdx_registry_set_tls(reg, &tls);
        err = gdx_registry_get(reg, atoi(argv[3]), &text, errstr, sizeof(errstr));
        if (err) {
            printf("%s (%s)\n", errstr, gdx_err2str(err));
        } else {
            printf("ok %s\n", text);
        }
        gdx_registry_destroy(reg);
    } else {
        CURL *curl = curl_easy_init();
        char curlerr[CURL_ERROR_SIZE] = "";
        CURLcode rc;
        curl_easy_setopt(curl, CURLOPT_URL, argv[2]);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curlerr);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, stdout);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
        if ((err = gdx_tls_curl(&tls, curl, errstr, sizeof(errstr)))) {
            printf("%s\n", errstr);
        } else {
            printf("ok ");
            fflush(stdout);
            rc = curl_easy_perform(curl);
            if (rc != CURLE_OK) {
                err =
                    gdx_tls_curl_explain(curl, rc, curlerr, &tls, argv[2], errstr, sizeof(errstr));
                printf("\n%s (%s)\n", errstr, gdx_err2str(err));
            }
        }
        curl_easy_cleanup(curl);
    }
    gdx_tls_release(&tls);
    gdx_deploy_destroy(deploy);
    return err == GDX_OK ? 0 : err == GDX_ERR_CONFIG ? 3 : 1;
}
