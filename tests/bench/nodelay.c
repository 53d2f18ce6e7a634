/*
 * nodelay.so - preloaded into `gdx broker` by `make bench`: TCP_NODELAY on accepted sockets.
 *
 * librdkafka 2.0.2's mock cluster accepts client connections without TCP_NODELAY (Kafka's
 * own SocketServer sets it). With Nagle on the broker side, a response that follows another
 * one still unacknowledged waits for the client's delayed ACK, about 40 ms on Linux, so every
 * flush, delivery wait or transaction commit on the mock costs about 50 ms instead of about
 * 10 ms. That stall is a property of the mock, not of gdx; it would decide the batch-size
 * curve by itself. The benchmark therefore preloads this shim into the broker process only
 * (BENCH_NODELAY=0 measures the mock as it is). Built by tests/bench/run.sh with cc -shared.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

static int nodelay(int fd)
{
    int one = 1;
    if (fd >= 0) {
        /* fails harmlessly on a UNIX socket (the control socket) */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) {
        *(void **)&real = dlsym(RTLD_NEXT, "accept");
    }
    return nodelay(real(fd, addr, addrlen));
}

int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) {
        *(void **)&real = dlsym(RTLD_NEXT, "accept4");
    }
    return nodelay(real(fd, addr, addrlen, flags));
}
