/* Unit tests of lib/sandbox: the confined worker and its budget. Each
 * request names what the worker does; budgets are in CPU time, and the
 * worker's busy loops count CPU time, so a busy machine changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "unit.h"

extern char **environ;

/* What the worker keeps between requests. */
typedef struct state {
    int calls;
} state;

static double
cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* burn spends 'seconds' of CPU time, or for ever when negative. */
static void
burn(double seconds)
{
    double end = cpu_now() + seconds;
    volatile unsigned long n = 0;
    while (seconds < 0 || cpu_now() < end)
        n++;
}

/* fd_open says whether descriptor 'fd' is open. */
static bool
fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

static jv
serve(void *p, jv req)
{
    state *st = p;
    st->calls++;
    const char *what = jv_string_value(req);
    jv reply = jv_number(st->calls);
    if (strcmp(what, "calls") == 0) {
        /* the number of calls */
    } else if (strcmp(what, "env") == 0) {
        int n = 0;
        while (environ[n] != NULL)
            n++;
        reply = jv_number(n + (getenv("HOME") != NULL));
    } else if (strcmp(what, "fd") == 0) {
        reply = jv_bool(fd_open(9));
    } else if (strcmp(what, "open") == 0) {
        int fd = open("/dev/null", O_RDONLY);
        reply = jv_number(fd >= 0 ? 0 : errno);
    } else if (strcmp(what, "exec") == 0) {
        char *argv[] = {"/bin/true", NULL};
        execv(argv[0], argv);
        reply = jv_number(errno);
    } else if (strcmp(what, "print") == 0) {
        fprintf(stdout, "canary-out\n");
        fprintf(stderr, "canary-err\n");
        fflush(NULL);
    } else if (strcmp(what, "sigint") == 0) {
        struct sigaction old;
        sigaction(SIGINT, NULL, &old);
        reply = jv_bool(old.sa_handler == SIG_IGN);
    } else if (strcmp(what, "loop") == 0) {
        burn(-1);
    } else if (strcmp(what, "burn") == 0) {
        burn(0.15);
    } else if (strcmp(what, "grow") == 0) {
        for (;;) {
            char *m = malloc(1 << 20);
            if (m == NULL)
                _exit(EV_SANDBOX_EXIT_NOMEM);
            memset(m, 1, 1 << 20);
        }
    } else if (strcmp(what, "nomem") == 0) {
        _exit(EV_SANDBOX_EXIT_NOMEM);
    } else if (strcmp(what, "die") == 0) {
        raise(SIGKILL);
    }
    jv_free(req);
    return reply;
}

/* call sends 'what' with a fresh budget of 'cpu' seconds; '*over' and the
 * message of a failure, if any, are what came back. */
static jv
call(ev_sandbox *sb, const char *what, double cpu, ev_sandbox_over *over, char *msg, size_t size)
{
    jv r = ev_sandbox_call(sb, jv_string(what), &cpu, over);
    msg[0] = '\0';
    if (!jv_is_valid(r)) {
        jv m = jv_invalid_get_msg(jv_copy(r));
        snprintf(msg, size, "%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "");
        jv_free(m);
    }
    return r;
}

static double
number_of(jv v)
{
    double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
    jv_free(v);
    return d;
}

static bool
is_true(jv v)
{
    bool t = jv_get_kind(v) == JV_KIND_TRUE;
    jv_free(v);
    return t;
}

static void
test_confinement(void)
{
    state st = {0};
    ev_sandbox *sb = ev_sandbox_new(serve, &st, (ev_sandbox_budget){5, 256});
    ev_sandbox_over over;
    char msg[256];
    setenv("SANDBOX_CANARY", "secret", 1);
    /* a descriptor the worker must not inherit */
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0 && dup2(fd, 9) == 9, "an open descriptor to hide from the worker");
    CHECK(number_of(call(sb, "calls", 5, &over, msg, sizeof(msg))) == 1,
          "the first call starts a worker and answers");
    CHECK(over == EV_SANDBOX_WITHIN, "a quick request is within its budget");
    CHECK(number_of(call(sb, "calls", 5, &over, msg, sizeof(msg))) == 2,
          "the worker keeps its state between requests");
    CHECK(st.calls == 0, "the caller's copy of the state is untouched");
    CHECK(number_of(call(sb, "env", 5, &over, msg, sizeof(msg))) == 0,
          "the worker's environment is empty: no variable, no HOME");
    CHECK(!is_true(call(sb, "fd", 5, &over, msg, sizeof(msg))),
          "the worker has no descriptor of the caller's");
    CHECK(number_of(call(sb, "open", 5, &over, msg, sizeof(msg))) == EPERM,
          "the worker cannot open a file");
    CHECK(number_of(call(sb, "exec", 5, &over, msg, sizeof(msg))) == EPERM,
          "the worker cannot run a program");
    CHECK(is_true(call(sb, "sigint", 5, &over, msg, sizeof(msg))),
          "the worker ignores SIGINT, which is the caller's to act on");
    /* stdio output goes nowhere: not on our standard error, and not into
     * the replies, which still parse */
    char path[] = "/tmp/ev-sandbox-XXXXXX";
    int err = mkstemp(path);
    int saved = dup(2);
    CHECK(err >= 0 && saved >= 0 && dup2(err, 2) == 2, "standard error captured");
    jv r = call(sb, "print", 5, &over, msg, sizeof(msg));
    dup2(saved, 2);
    close(saved);
    CHECK(jv_get_kind(r) == JV_KIND_NUMBER, "a reply after stdio output still parses");
    jv_free(r);
    char buf[256] = "";
    ssize_t n = pread(err, buf, sizeof(buf) - 1, 0);
    CHECK(n == 0, "what the worker prints through stdio is thrown away");
    close(err);
    unlink(path);
    close(fd);
    close(9);
    unsetenv("SANDBOX_CANARY");
    ev_sandbox_free(sb);
}

static void
test_budget(void)
{
    state st = {0};
    ev_sandbox *sb = ev_sandbox_new(serve, &st, (ev_sandbox_budget){0.2, 32});
    ev_sandbox_over over;
    char msg[256];
    CHECK(number_of(call(sb, "calls", 0.2, &over, msg, sizeof(msg))) == 1, "a first request");
    jv r = call(sb, "loop", 0.2, &over, msg, sizeof(msg));
    CHECK(!jv_is_valid(r) && over == EV_SANDBOX_OVER_CPU,
          "an endless loop runs over the CPU budget");
    CHECK_STR(msg, "ran over its CPU budget of 0.2 s", "the message names the CPU budget");
    jv_free(r);
    CHECK(number_of(call(sb, "calls", 0.2, &over, msg, sizeof(msg))) == 1,
          "the next request gets a new worker, with a new state");
    r = call(sb, "grow", 0.2 * 1000, &over, msg, sizeof(msg));
    CHECK(!jv_is_valid(r) && over == EV_SANDBOX_OVER_MEMORY,
          "memory without bound runs over the memory budget");
    CHECK_STR(msg, "ran over its memory budget of 32 MB", "the message names the memory budget");
    jv_free(r);
    r = call(sb, "nomem", 0.2, &over, msg, sizeof(msg));
    CHECK(!jv_is_valid(r) && over == EV_SANDBOX_OVER_MEMORY,
          "a worker out of memory is over its memory budget");
    jv_free(r);
    r = call(sb, "die", 0.2, &over, msg, sizeof(msg));
    CHECK(!jv_is_valid(r) && over == EV_SANDBOX_WITHIN, "a worker that dies is not over budget");
    CHECK_STR(msg, "its worker died: killed by signal 9", "the message says how it died");
    jv_free(r);
    /* two requests on one budget: the second finds it spent */
    double cpu = 0.2;
    r = ev_sandbox_call(sb, jv_string("burn"), &cpu, &over);
    CHECK(jv_is_valid(r) && over == EV_SANDBOX_WITHIN, "0.15 s of 0.2 s is within the budget");
    CHECK(cpu < 0.06, "what a request took is taken from the budget left");
    jv_free(r);
    r = ev_sandbox_call(sb, jv_string("burn"), &cpu, &over);
    CHECK(!jv_is_valid(r) && over == EV_SANDBOX_OVER_CPU,
          "a second 0.15 s runs over what was left of the budget");
    jv_free(r);
    ev_sandbox_free(sb);
}

int
main(void)
{
    test_confinement();
    test_budget();
    UNIT_DONE();
}
