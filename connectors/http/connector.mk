# The http connector: records from REST APIs, page by page (libcurl, jansson).
CONNECTOR_NAMES += http
CONNECTOR_SRCS += connectors/http/http.c connectors/http/sign.c connectors/http/tmpl.c
# libcurl and jansson are in the Makefile's PKGS already; the tests' HTTP(S) server is
# Debian's Python (python3 in DEB_TEST), the test CA comes from the openssl command line
DEB_EXTRA += libcurl4-openssl-dev openssl
