/*
 * child.h - the exec connector's adapter process: start, read, stop, reap.
 */
#ifndef EXEC_CHILD_H
#define EXEC_CHILD_H

#include <stdint.h>
#include <sys/types.h>

struct exec_child {
    pid_t pid;                   /* 0 when no process is running (or it has been reaped) */
    int out_fd;                  /* its stdout, non-blocking; -1 once closed */
    int err_fd;                  /* its stderr, non-blocking; -1 once closed */
    int status;                  /* wait status once reaped */
    int reaped;                  /* status is valid */
    int group_killed;            /* stragglers of its group were sent SIGKILL after the exit */
    int64_t started_ms, term_ms; /* monotonic: start, SIGTERM sent (0 = not yet) */
    int64_t exit_ms;             /* monotonic: its exit was seen while stdout was open */
};

/*
 * Start @p argv[0] (an absolute path) with @p argv and @p envp in @p cwd, in a process
 * group of its own, stdin from /dev/null, stdout and stderr to pipes. The child dies with
 * the connector (PR_SET_PDEATHSIG). An exec failure is reported here, with errno's text.
 * @returns GDX_OK, GDX_ERR_CONFIG when the program cannot be executed (not found, not
 *          executable), GDX_ERR_RETRY on resource trouble (fork, pipes).
 */
int exec_child_start(struct exec_child *c, char *const *argv, char *const *envp, const char *cwd,
                     char *errstr, size_t errstr_size);

/* Reap without blocking: 1 when the process has exited (status set), else 0. */
int exec_child_reap(struct exec_child *c);

/* SIGTERM to the process group, once; records the time. */
void exec_child_term(struct exec_child *c);

/* SIGKILL to the process group. */
void exec_child_kill(struct exec_child *c);

/* Close the pipes (after EOF, or when giving up on the process). */
void exec_child_close(struct exec_child *c);

/* "exited with status 3", "was killed by signal 9 (Killed)" */
void exec_child_describe(const struct exec_child *c, char *buf, size_t size);

#endif
