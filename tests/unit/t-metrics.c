/*
 * t-metrics.c - the supervisor's metrics protocol: a reporter writing through a real pipe,
 * the reader parsing it back, the once-a-second limit, atomic lines, and the refusals.
 */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdx_err.h"
#include "gdx_metrics.h"
#include "gdx_text.h"
#include "tap.h"

/* Read every complete line waiting in @p fd into @p buf; returns the number of lines. */
static int read_lines(int fd, char *buf, size_t size)
{
    size_t len = 0;
    int lines = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0) {
        len += (size_t)n;
    }
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        lines += buf[i] == '\n';
    }
    return lines;
}

static void test_not_supervised(void)
{
    unsetenv(GDX_METRICS_ENV);
    ok(gdx_metrics_from_env() == NULL, "no GDX_METRICS_FD: no reporter");
    /* every call is a no-op on NULL */
    gdx_metrics_state(NULL, "running", NULL);
    gdx_metrics_committed(NULL, 1, 0, 10, 5);
    gdx_metrics_aborted(NULL);
    gdx_metrics_lag(NULL, 2);
    gdx_metrics_tick(NULL);
    gdx_metrics_destroy(NULL);
    ok(1, "the calls are no-ops without a supervisor");
    setenv(GDX_METRICS_ENV, "not-a-number", 1);
    ok(gdx_metrics_from_env() == NULL, "a malformed GDX_METRICS_FD is ignored");
    ok(getenv(GDX_METRICS_ENV) == NULL, "and removed from the environment");
    {
        int fd = open("/dev/null", O_WRONLY);
        char env[16];
        snprintf(env, sizeof(env), "%d", fd);
        setenv(GDX_METRICS_ENV, env, 1);
        ok(gdx_metrics_from_env() == NULL, "a descriptor that is not a pipe is refused");
        close(fd);
    }
}

static void test_round_trip(void)
{
    int p[2];
    char env[16], buf[65536], err[256] = "";
    struct gdx_metrics *m;
    struct gdx_metrics_report r;
    const char *nl;

    ok(pipe(p) == 0, "pipe");
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    snprintf(env, sizeof(env), "%d", p[1]);
    setenv(GDX_METRICS_ENV, env, 1);
    m = gdx_metrics_from_env();
    ok(m != NULL, "GDX_METRICS_FD names a pipe: reporter");
    ok(getenv(GDX_METRICS_ENV) == NULL, "the variable is gone from the environment");
    ok(fcntl(p[1], F_GETFD) & FD_CLOEXEC, "the descriptor is close-on-exec");
    ok(fcntl(p[1], F_GETFL) & O_NONBLOCK, "and non-blocking");

    gdx_metrics_state(m, "running", NULL);
    is_int(read_lines(p[0], buf, sizeof(buf)), 1, "a state change is sent at once");
    is_int(gdx_metrics_parse(buf, strlen(buf), &r, err, sizeof(err)), GDX_OK,
           "the line parses (%s)", err);
    is_str(r.state, "running", "state");
    ok(r.lag_s < 0, "lag unknown until set");

    gdx_metrics_lag(m, 12.5);
    gdx_metrics_committed(m, 1000, 3, 65000, 7);    /* 0.007 s: bucket le=0.01 */
    gdx_metrics_committed(m, 500, 0, 32000, 300);   /* 0.3 s: le=0.5 */
    gdx_metrics_committed(m, 250, 1, 16000, 20000); /* 20 s: only +Inf */
    gdx_metrics_aborted(m);
    gdx_metrics_tick(m);
    is_int(read_lines(p[0], buf, sizeof(buf)), 0, "no second report within a second");
    usleep((GDX_METRICS_INTERVAL_MS + 50) * 1000);
    gdx_metrics_tick(m);
    is_int(read_lines(p[0], buf, sizeof(buf)), 1, "the tick sends what changed a second later");
    is_int(gdx_metrics_parse(buf, strlen(buf), &r, err, sizeof(err)), GDX_OK,
           "the snapshot parses (%s)", err);
    is_int(r.records, 1750, "records are cumulative");
    is_int(r.dead, 4, "dead letters");
    is_int(r.bytes, 113000, "bytes");
    is_int(r.batches, 3, "batches");
    is_int(r.aborts, 1, "aborts");
    ok(fabs(r.lag_s - 12.5) < 1e-9, "lag");
    ok(r.last_commit_ms > 1700000000000LL, "last commit is wall-clock ms");
    is_int(r.commit_count, 3, "commit count");
    ok(fabs(r.commit_sum - 20.307) < 1e-9, "commit latency sum in seconds");
    is_int(r.commit_le[0], 0, "le=0.005: 0");
    is_int(r.commit_le[1], 1, "le=0.01: 1");
    is_int(r.commit_le[5], 1, "le=0.25: 1");
    is_int(r.commit_le[6], 2, "le=0.5: 2");
    is_int(r.commit_le[GDX_METRICS_NBUCKETS - 1], 2, "le=10: 2 (20 s is only in +Inf)");
    gdx_metrics_tick(m);
    is_int(read_lines(p[0], buf, sizeof(buf)), 0, "nothing changed: nothing sent");

    /* an error with quotes, newlines and Chinese text, as long as it can be */
    {
        char long_err[3000];
        size_t o = 0;
        while (o + 40 < sizeof(long_err)) {
            o += (size_t)snprintf(long_err + o, sizeof(long_err) - o,
                                  "项城市 \"quoted\"\nline %zu; ", o);
        }
        gdx_metrics_state(m, "failed", long_err);
        is_int(read_lines(p[0], buf, sizeof(buf)), 1, "failure sent at once, as one line");
        ok(strlen(buf) <= GDX_METRICS_LINE_MAX, "within PIPE_BUF (%zu bytes)", strlen(buf));
        nl = strchr(buf, '\n');
        ok(nl && nl[1] == '\0', "one newline, at the end");
        is_int(gdx_metrics_parse(buf, strlen(buf), &r, err, sizeof(err)), GDX_OK,
               "the failure parses (%s)", err);
        is_str(r.state, "failed", "state failed");
        ok(!strncmp(r.error, "项城市 \"quoted\"\nline 0; ", strlen("项城市 \"quoted\"\nline 0; ")),
           "the error text survives escaping");
    }

    /* a longer error than the report holds is cut at a character, so it is still shown */
    {
        char line[GDX_METRICS_LINE_MAX], again[GDX_METRICS_LINE_MAX];
        struct gdx_metrics_report r2;
        size_t o =
            (size_t)snprintf(line, sizeof(line), "{\"v\":1,\"state\":\"failed\",\"error\":\"x");
        size_t bad;
        while (o + 8 < sizeof(line)) {
            o += (size_t)snprintf(line + o, sizeof(line) - o, "错误");
        }
        o += (size_t)snprintf(line + o, sizeof(line) - o, "\"}");
        is_int(gdx_metrics_parse(line, o, &r, err, sizeof(err)), GDX_OK, "a long error parses");
        ok(strlen(r.error) < sizeof(r.error) && strlen(r.error) > sizeof(r.error) - 4,
           "cut to the report's %zu bytes", sizeof(r.error));
        ok(gdx_utf8_valid(r.error, strlen(r.error), &bad), "at a character boundary");
        ok(gdx_metrics_format(&r, again, sizeof(again)) > 0 &&
               gdx_metrics_parse(again, strlen(again), &r2, err, sizeof(err)) == GDX_OK &&
               !strcmp(r2.error, r.error),
           "and written again whole (a cut character used to drop it)");
    }

    /* the supervisor went away: EPIPE turns reporting off, no SIGPIPE death */
    signal(SIGPIPE, SIG_IGN);
    close(p[0]);
    gdx_metrics_state(m, "stopped", NULL);
    gdx_metrics_state(m, "stopped", NULL);
    ok(1, "reporting after the reader closed does not kill the process");
    gdx_metrics_destroy(m);
}

static void test_pipe_full(void)
{
    int p[2], sent = 0;
    char env[16];
    struct gdx_metrics *m;

    ok(pipe(p) == 0, "pipe");
    snprintf(env, sizeof(env), "%d", p[1]);
    setenv(GDX_METRICS_ENV, env, 1);
    m = gdx_metrics_from_env();
    /* nobody reads: far more reports than the pipe holds must neither block nor fail */
    for (int i = 0; i < 2000; i++) {
        gdx_metrics_state(m, i % 2 ? "running" : "stopped", "x");
        sent++;
    }
    is_int(sent, 2000, "2000 reports into a full pipe returned (dropped, not blocked)");
    {
        char buf[1 << 17];
        size_t len = 0;
        ssize_t n;
        int lines = 0, bad = 0;
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
            len += (size_t)n;
        }
        buf[len] = '\0';
        for (char *s = buf, *e; (e = strchr(s, '\n')); s = e + 1) {
            struct gdx_metrics_report r;
            char err[128] = "";
            lines++;
            bad += gdx_metrics_parse(s, (size_t)(e - s), &r, err, sizeof(err)) != GDX_OK;
        }
        ok(lines > 0 && buf[len - 1] == '\n', "the pipe holds whole lines only (%d)", lines);
        is_int(bad, 0, "each of them parses");
    }
    gdx_metrics_destroy(m);
    close(p[0]);
}

static void test_parse_refusals(void)
{
    struct gdx_metrics_report r;
    char err[256] = "";
    static const char *const bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"state\":\"running\"}",
        "{\"v\":2,\"state\":\"running\"}",
        "{\"v\":1}",
        "{\"v\":1,\"state\":\"running\",\"records\":-1}",
        "{\"v\":1,\"state\":\"running\",\"records\":\"12\"}",
        "{\"v\":1,\"state\":\"running\",\"commit_s\":{\"count\":1,\"le\":[1,2]}}",
        "{\"v\":1,\"state\":\"running\",\"commit_s\":{\"count\":1,"
        "\"le\":[2,1,1,1,1,1,1,1,1,1,1]}}",
        "{\"v\":1,\"v\":1,\"state\":\"running\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(gdx_metrics_parse(bad[i], strlen(bad[i]), &r, err, sizeof(err)), GDX_ERR_PARSE,
               "refused: %s (%s)", bad[i], err);
    }
    {
        const char *fut = "{\"v\":1,\"state\":\"running\",\"future\":{\"x\":1}}\n";
        is_int(gdx_metrics_parse(fut, strlen(fut), &r, err, sizeof(err)), GDX_OK,
               "unknown keys are ignored");
    }
    ok(r.records == 0 && r.lag_s < 0, "absent counters are 0, absent lag unknown");
}

int main(void)
{
    test_not_supervised();
    test_round_trip();
    test_pipe_full();
    test_parse_refusals();
    return done_testing();
}
