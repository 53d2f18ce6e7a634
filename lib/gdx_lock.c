/*
 * gdx_lock.c - one running copy per connector id (or uplink instance) on a host.
 *
 * Across hosts the Kafka cluster fences a second copy by its transactional.id; on one host
 * this lock refuses it at start, before it touches the source, naming the running copy's
 * pid. fcntl locks vanish with the process, so a crash never leaves a stale lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdx_err.h"
#include "gdx_lock.h"

int gdx_lock_take(const char *dir, const char *name, const char *what, int *fd, char *errstr,
                  size_t errstr_size)
{
    char path[4096], pidbuf[32];
    struct flock fl;
    int lfd, n;

    *fd = -1;
    if (mkdir(dir, 0750) && errno != EEXIST) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot create state dir '%s': %s", dir,
                          strerror(errno));
    }
    snprintf(path, sizeof(path), "%s/%s.lock", dir, name);
    lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lfd < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open lock '%s': %s", path,
                          strerror(errno));
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(lfd, F_SETLK, &fl) < 0) {
        long pid = 0;
        struct flock q = fl;
        if (fcntl(lfd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK) {
            pid = q.l_pid;
        } else {
            ssize_t r = pread(lfd, pidbuf, sizeof(pidbuf) - 1, 0);
            pidbuf[r > 0 ? r : 0] = '\0';
            pid = strtol(pidbuf, NULL, 10);
        }
        close(lfd);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_LOCKED,
                          "%s is already running on this host (pid %ld, lock '%s')", what, pid,
                          path);
    }
    n = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
    if (ftruncate(lfd, 0) == 0 && pwrite(lfd, pidbuf, (size_t)n, 0) < 0) {
        /* the lock itself is what matters; the pid is informational */
    }
    *fd = lfd;
    return GDX_OK;
}
