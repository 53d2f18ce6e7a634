# The webhook connector: records POSTed to an HTTP(S) endpoint (libmicrohttpd; GnuTLS for
# checking client certificates, the TLS library libmicrohttpd itself uses).
CONNECTOR_NAMES += webhook
CONNECTOR_SRCS += connectors/webhook/webhook.c connectors/webhook/idem.c connectors/webhook/body.c
CONNECTOR_LIBS += $(shell pkg-config --libs gnutls 2>/dev/null)
CFLAGS_ALL += $(shell pkg-config --cflags gnutls 2>/dev/null)
# tests: wrk (load generator, make bench), the openssl command line (test CA)
DEB_EXTRA += libmicrohttpd-dev libgnutls28-dev wrk openssl
