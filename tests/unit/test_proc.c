/* Unit tests of lib/proc: starting a program with pipes, /dev/null and a
 * group of its own, the signals it starts with, the descriptors it does not
 * inherit, a function in a fork, and how an exit is told. Nothing here
 * waits on a clock: each check reads until end of file or waits for the
 * child's exit. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "proc.h"
#include "unit.h"

/* slurp reads 'fd' to its end into 'buf' (of 'n' bytes) and closes it. */
static const char *
slurp(int fd, char *buf, size_t n)
{
    size_t len = 0;
    ssize_t r;
    while (len + 1 < n && (r = read(fd, buf + len, n - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    close(fd);
    return buf;
}

/* run starts 'argv' (argv[0] is its path) with its output to a pipe and the
 * rest as 'in' says and its error to /dev/null, reads that output and returns its exit
 * status, as a shell says it. */
static int
run(char *const *argv, char *const *envp, enum ev_proc_io in, char *out, size_t n)
{
    ev_proc_spec s = {argv[0], argv, envp, in, EV_PROC_PIPE, EV_PROC_NULL, false};
    ev_proc p;
    jv err;
    if (!ev_proc_spawn(&s, &p, &err)) {
        jv_free(err);
        return -1;
    }
    slurp(p.out, out, n);
    int st;
    ev_proc_wait(p.pid, true, &st);
    return ev_proc_status(st);
}

static void
test_spawn(void)
{
    char out[4096];
    char *echo[] = {"/bin/sh", "-c", "echo \"$0 $1\"; echo err >&2; exit 3", "a", "b", NULL};
    CHECK(run(echo, NULL, EV_PROC_NULL, out, sizeof(out)) == 3, "the exit status comes back");
    CHECK_STR(out, "a b\n", "its output comes through the pipe, arguments as given");

    ev_proc_spec s = {
        "cat", (char *[]){"cat", NULL}, NULL, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_PIPE, false};
    ev_proc p;
    jv err;
    CHECK(ev_proc_spawn(&s, &p, &err), "a name is looked up on PATH");
    CHECK(p.in > 2 && p.out > 2 && p.err > 2, "our ends of three pipes are given back");
    CHECK(ev_proc_send(p.in, "hello\n", 6), "what is sent reaches its input");
    close(p.in);
    CHECK_STR(slurp(p.out, out, sizeof(out)), "hello\n", "and comes back on its output");
    CHECK_STR(slurp(p.err, out, sizeof(out)), "", "its error stream is a pipe of its own");
    int st;
    CHECK(ev_proc_wait(p.pid, true, &st) == 1 && ev_proc_status(st) == 0, "it exits 0");
    CHECK(ev_proc_wait(p.pid, false, &st) == -1, "a child collected is no child any more");

    char *cat[] = {"/bin/cat", NULL};
    CHECK(run(cat, NULL, EV_PROC_NULL, out, sizeof(out)) == 0, "cat of /dev/null exits 0");
    CHECK_STR(out, "", "its input is /dev/null, not ours");

    char *env[] = {"/usr/bin/env", NULL};
    char *only[] = {"EV_ONLY=1", NULL};
    run(env, only, EV_PROC_NULL, out, sizeof(out));
    CHECK_STR(out, "EV_ONLY=1\n", "it gets the environment given, and nothing of ours");

    char *none[] = {"ev-no-such-program", NULL};
    s = (ev_proc_spec){none[0], none, NULL, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_OURS, false};
    if (ev_proc_spawn(&s, &p, &err)) {
        /* Under valgrind, which turns posix_spawn's vfork into a fork, a
         * failed exec cannot be told back: the child exits 127, as a
         * shell's does. */
        close(p.in);
        close(p.out);
        CHECK(ev_proc_wait(p.pid, true, &st) == 1 && ev_proc_status(st) == 127,
              "a program that is not there exits 127");
    } else {
        jv m = jv_invalid_get_msg(err);
        CHECK_STR(jv_string_value(m), "cannot run 'ev-no-such-program': No such file or directory",
                  "a program that is not there is refused, with its name and why");
        jv_free(m);
    }
}

/* status_mask returns the value of 'field' in a /proc/PID/status text. */
static unsigned long long
status_mask(const char *status, const char *field)
{
    const char *at = strstr(status, field);
    return at != NULL ? strtoull(at + strlen(field), NULL, 16) : ~0ULL;
}

static void
test_signals(void)
{
    /* We ignore and block what a child must not inherit. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    char out[8192];
    char *status[] = {"/bin/cat", "/proc/self/status", NULL};
    run(status, NULL, EV_PROC_NULL, out, sizeof(out));
    unsigned long long ign = status_mask(out, "SigIgn:"), blk = status_mask(out, "SigBlk:");
    CHECK((ign & (1ULL << (SIGPIPE - 1))) == 0, "SIGPIPE is at its default in the child");
    CHECK((ign & (1ULL << (SIGINT - 1))) == 0, "SIGINT is at its default in the child");
    CHECK((ign & (1ULL << (SIGTERM - 1))) == 0, "SIGTERM is at its default in the child");
    CHECK(blk == 0, "no signal is blocked in the child");
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);

    char *self[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    CHECK(run(self, NULL, EV_PROC_NULL, out, sizeof(out)) == 128 + 9,
          "a child killed by a signal is 128 + the signal");
}

static void
test_group(void)
{
    char *sleeper[] = {"/bin/sh", "-c", "read x", NULL};
    ev_proc_spec s = {"/bin/sh", sleeper, NULL, EV_PROC_PIPE, EV_PROC_OURS, EV_PROC_OURS, true};
    ev_proc p;
    jv err;
    CHECK(ev_proc_spawn(&s, &p, &err), "a child in a group of its own starts");
    CHECK(getpgid(p.pid) == p.pid, "its group's id is its pid");
    CHECK(p.out == -1 && p.err == -1, "a stream that is ours has no pipe");
    int st;
    CHECK(ev_proc_wait(p.pid, false, &st) == 0, "it runs until its input ends");
    kill(-p.pid, SIGTERM);
    ev_proc_wait(p.pid, true, &st);
    close(p.in);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the group's signal reaches it");
    jv how = ev_proc_ended(st);
    CHECK_STR(jv_string_value(how), "was killed by signal 15", "how it ended is said");
    jv_free(how);
}

/* pipe_inode returns the inode of the pipe at 'fd'. */
static unsigned long
pipe_inode(int fd)
{
    struct stat sb;
    return fstat(fd, &sb) == 0 ? (unsigned long)sb.st_ino : 0;
}

static void
test_descriptors(void)
{
    /* A first child's pipes stay open here while a second one starts: the
     * second must hold none of them, or the first would never see its
     * input end. */
    char *waiter[] = {"/bin/cat", NULL};
    ev_proc_spec s = {"/bin/cat", waiter, NULL, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_OURS, false};
    ev_proc first;
    jv err;
    CHECK(ev_proc_spawn(&s, &first, &err), "a first child starts");
    char want_in[64], want_out[64];
    snprintf(want_in, sizeof(want_in), "pipe:[%lu]", pipe_inode(first.in));
    snprintf(want_out, sizeof(want_out), "pipe:[%lu]", pipe_inode(first.out));
    char out[8192];
    char *list[] = {"/bin/sh", "-c", "for f in /proc/$$/fd/*; do readlink $f; done", NULL};
    run(list, NULL, EV_PROC_NULL, out, sizeof(out));
    CHECK(strstr(out, want_in) == NULL, "a second child does not hold the first one's input");
    CHECK(strstr(out, want_out) == NULL, "nor its output");
    close(first.in);
    CHECK_STR(slurp(first.out, out, sizeof(out)), "", "so the first one sees its end of input");
    int st;
    CHECK(ev_proc_wait(first.pid, true, &st) == 1 && ev_proc_status(st) == 0, "and exits");

    /* With our standard input closed, a pipe end would land on 0. */
    int saved = dup(0);
    close(0);
    char *cat[] = {"/bin/cat", NULL};
    s = (ev_proc_spec){"/bin/cat", cat, NULL, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_OURS, false};
    ev_proc p;
    bool started = ev_proc_spawn(&s, &p, &err);
    dup2(saved, 0);
    close(saved);
    CHECK(started && p.in > 2 && p.out > 2, "our ends are above 2 even when 0 was free");
    ev_proc_write(p.in, "x", 1);
    close(p.in);
    CHECK_STR(slurp(p.out, out, sizeof(out)), "x", "and the child's ends are in place");
    ev_proc_wait(p.pid, true, &st);
}

/* echo_upper is a function run in a fork: it answers its input in capitals
 * and exits with the number of bytes it read. */
static int
echo_upper(void *arg)
{
    int *calls = arg;
    (*calls)++;
    char buf[64];
    ssize_t n = read(0, buf, sizeof(buf));
    for (ssize_t i = 0; i < n; i++)
        buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
    ev_proc_write(1, buf, n > 0 ? (size_t)n : 0);
    return n > 0 ? (int)n : 0;
}

static void
test_fork(void)
{
    int calls = 0, in, out;
    jv err;
    pid_t pid = ev_proc_fork(echo_upper, &calls, &in, &out, &err);
    CHECK(pid > 0, "a function starts in a fork");
    CHECK(ev_proc_send(in, "abc", 3), "its input is a pipe");
    close(in);
    char buf[64];
    CHECK_STR(slurp(out, buf, sizeof(buf)), "ABC", "its output is a pipe");
    int st;
    ev_proc_wait(pid, true, &st);
    CHECK(ev_proc_status(st) == 3, "it exits with what the function returns");
    CHECK(calls == 0, "what it changed stays in the child");
    jv how = ev_proc_ended(st);
    CHECK_STR(jv_string_value(how), "exited with status 3", "an exit is said with its status");
    jv_free(how);

    int fds[2];
    if (pipe(fds) != 0)
        abort();
    close(fds[0]);
    CHECK(!ev_proc_send(fds[1], "x", 1), "sending to a reader that has gone fails, and lives");
    close(fds[1]);
}

int
main(void)
{
    test_spawn();
    test_signals();
    test_group();
    test_descriptors();
    test_fork();
    UNIT_DONE();
}
