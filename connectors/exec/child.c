/*
 * child.c - starting and stopping the exec connector's adapter process.
 *
 * The adapter runs in a process group of its own, so a stop reaches a shell script and the
 * programs it started, and a Ctrl-C on the connector's terminal does not kill the adapter
 * behind the connector's back (the connector decides when it stops). It dies with the
 * connector (PR_SET_PDEATHSIG): a SIGKILLed connector never leaves an adapter writing into
 * a pipe nobody reads, and a restarted connector never runs two adapters.
 *
 * Between fork() and execve() the child calls only async-signal-safe functions: everything
 * it needs (argv, envp, the working directory) is built by the parent before the fork. A
 * failed execve() is reported to the parent through a close-on-exec pipe, so "no such
 * program" is an error with errno's text, not an exit status to guess at.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gdx.h"
#include "gdx_fault.h"
#include "gdx_util.h"

#include "child.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void child_close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* In the child after fork(): async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(pid_t parent, int out_w, int err_w, int null_fd, int report_w, char *const *argv,
           char *const *envp, const char *cwd)
{
    struct sigaction sa;
    sigset_t none;
    int e;

    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
        _exit(127); /* the connector is already gone */
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    /* handled signals reset at exec by themselves; ignored ones (SIGPIPE) must be reset */
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP) {
            sigaction(s, &sa, NULL);
        }
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
        dup2(err_w, STDERR_FILENO) < 0) {
        goto fail;
    }
    /* nothing else of the connector's (Kafka sockets, the lock, the audit trail) leaks */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) {
            if (fd != report_w) {
                int fl = fcntl((int)fd, F_GETFD);
                if (fl >= 0) {
                    fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
                }
            }
        }
    }
    if (cwd && chdir(cwd) != 0) {
        goto fail;
    }
    execve(argv[0], argv, envp);
fail:
    e = errno;
    if (write(report_w, &e, sizeof(e)) < 0) {
        /* nothing more to do: the parent sees the exit status */
    }
    _exit(127);
}

int exec_child_start(struct exec_child *c, char *const *argv, char *const *envp, const char *cwd,
                     char *errstr, size_t errstr_size)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1}, null_fd = -1, e = 0;
    int rc = GDX_OK;
    pid_t pid, parent = getpid();
    ssize_t n;

    memset(c, 0, sizeof(*c));
    c->out_fd = c->err_fd = -1;
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0 ||
        (null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        e = errno;
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot create the adapter's pipes: %s",
                        strerror(e));
        goto out;
    }
    /* fault point: the system cannot start another process (tests/it/0914) */
    if (GDX_FAULT("exec.spawn")) {
        errno = EAGAIN;
        pid = -1;
    } else {
        pid = fork();
    }
    if (pid < 0) {
        e = errno;
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot start '%s': fork: %s", argv[0],
                        strerror(e));
        goto out;
    }
    if (pid == 0) {
        child_exec(parent, out[1], err[1], null_fd, rep[1], argv, envp, cwd);
    }
    /* the parent sets the group too, so a stop sent right away reaches it */
    setpgid(pid, pid);
    child_close_fd(&rep[1]);
    do {
        n = read(rep[0], &e, sizeof(e));
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(e)) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        rc = gdx_seterr(
            errstr, errstr_size, e == ENOMEM || e == EAGAIN ? GDX_ERR_RETRY : GDX_ERR_CONFIG,
            "cannot run '%s'%s%s: %s", argv[0], cwd ? " in " : "", cwd ? cwd : "", strerror(e));
        goto out;
    }
    c->pid = pid;
    c->out_fd = out[0];
    c->err_fd = err[0];
    out[0] = err[0] = -1;
    fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) | O_NONBLOCK);
    fcntl(c->err_fd, F_SETFL, fcntl(c->err_fd, F_GETFL) | O_NONBLOCK);
    c->started_ms = gdx_mono_ms();
out:
    child_close_fd(&out[0]);
    child_close_fd(&out[1]);
    child_close_fd(&err[0]);
    child_close_fd(&err[1]);
    child_close_fd(&rep[0]);
    child_close_fd(&rep[1]);
    child_close_fd(&null_fd);
    return rc;
}

int exec_child_reap(struct exec_child *c)
{
    int st;
    pid_t r;

    if (c->reaped) {
        return 1;
    }
    if (c->pid <= 0) {
        return 0;
    }
    do {
        r = waitpid(c->pid, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
        c->status = r == c->pid ? st : 0;
        c->reaped = 1;
        return 1;
    }
    return 0;
}

void exec_child_term(struct exec_child *c)
{
    if (c->pid > 0 && !c->term_ms) {
        if (kill(-c->pid, SIGTERM) != 0) {
            kill(c->pid, SIGTERM); /* it left its group */
        }
        c->term_ms = gdx_mono_ms();
    }
}

void exec_child_kill(struct exec_child *c)
{
    if (c->pid > 0) {
        if (kill(-c->pid, SIGKILL) != 0 && !c->reaped) {
            kill(c->pid, SIGKILL);
        }
    }
}

void exec_child_close(struct exec_child *c)
{
    child_close_fd(&c->out_fd);
    child_close_fd(&c->err_fd);
}

void exec_child_describe(const struct exec_child *c, char *buf, size_t size)
{
    if (!c->reaped) {
        snprintf(buf, size, "is still running");
    } else if (WIFEXITED(c->status)) {
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(c->status));
    } else if (WIFSIGNALED(c->status)) {
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(c->status),
                 strsignal(WTERMSIG(c->status)));
    } else {
        snprintf(buf, size, "ended with wait status %d", c->status);
    }
}
