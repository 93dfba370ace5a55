#include "coproc.h"
#include "alloc.h"
#include "child.h"
#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long ev_coproc_close waits for a helper to exit on end of input before
 * it sends SIGTERM. */
#define GRACE_MS 2000

struct ev_coproc {
    pid_t pid;
    int in;    /* the helper's standard input; -1 once closed */
    int out;   /* the helper's standard output; -1 once it has ended */
    char *buf; /* what it wrote that is not taken yet: 'len' of 'cap' bytes */
    size_t len, cap;
    int extra;  /* lines it wrote that nobody asked for, counted by finish */
    jv broken;  /* why it was stopped, or invalid */
    int status; /* as from waitpid, once the helper has been reaped */
    bool reaped;
};

/* start forks a child with its standard input and output connected to
 * pipes, close-on-exec on our side, and SIGPIPE back to its default. The
 * child execs 'argv' in the environment 'envp' (NULL: ours), or, when 'fn'
 * is set, runs 'fn'('arg') and exits with what it returns. This is ev's one
 * fork of a helper that it talks to over pipes. */
static pid_t
start(char *const *argv, char *const *envp, int (*fn)(void *), void *arg, int *in, int *out,
      jv *err)
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot create a pipe: %s", strerror(errno)));
        return -1;
    }
    if (pipe2(from, O_CLOEXEC) != 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot create a pipe: %s", strerror(errno)));
        close(to[0]);
        close(to[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The child gets SIGPIPE back, like any command started by a shell. */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(to[0], STDIN_FILENO) < 0 || dup2(from[1], STDOUT_FILENO) < 0)
            _exit(127);
        /* dup2 onto itself keeps close-on-exec: when standard input or output
         * was closed, the pipe may already sit there. */
        fcntl(STDIN_FILENO, F_SETFD, 0);
        fcntl(STDOUT_FILENO, F_SETFD, 0);
        if (fn != NULL) {
            /* What the parent had buffered, read ahead or not yet
             * written, is not the child's: an exit must not write it again. */
            __fpurge(stdin);
            __fpurge(stdout);
            __fpurge(stderr);
            _exit(fn(arg));
        }
        if (envp != NULL)
            execvpe(argv[0], argv, envp);
        else
            execvp(argv[0], argv);
        fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int saved = errno;
    close(to[0]);
    close(from[1]);
    if (pid < 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot start a process: %s", strerror(saved)));
        close(to[1]);
        close(from[0]);
        return -1;
    }
    *in = to[1];
    *out = from[0];
    return pid;
}

pid_t
ev_coproc_spawn(char *const *argv, int *in, int *out, jv *err)
{
    return start(argv, NULL, NULL, NULL, in, out, err);
}

pid_t
ev_coproc_fork(int (*fn)(void *), void *arg, int *in, int *out, jv *err)
{
    return start(NULL, NULL, fn, arg, in, out, err);
}

ev_coproc *
ev_coproc_start(const char *command, char *const *pass, jv *err)
{
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int in, out;
    char **envp = ev_child_env(NULL, pass);
    pid_t pid = start(argv, envp, NULL, NULL, &in, &out, err);
    free(envp);
    if (pid < 0)
        return NULL;
    ev_coproc *p = ev_alloc_zero(1, sizeof(*p));
    p->pid = pid;
    p->in = in;
    p->out = out;
    p->broken = jv_invalid();
    return p;
}

static void
reap(ev_coproc *p, bool block)
{
    if (p->reaped)
        return;
    pid_t r;
    do {
        r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    p->reaped = r == p->pid || r < 0;
}

/* fill reads what the helper has written into the buffer, waiting at most
 * 'ms' milliseconds for it (-1: as long as it takes). Returns false at end
 * of output, or when nothing came in time. */
static bool
fill(ev_coproc *p, int ms)
{
    if (p->out < 0)
        return false;
    struct pollfd pfd = {.fd = p->out, .events = POLLIN};
    int r;
    do {
        r = poll(&pfd, 1, ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0)
        return false;
    if (p->cap - p->len < 4096) {
        p->cap = p->cap ? 2 * p->cap : 8192;
        p->buf = ev_alloc_resize(p->buf, p->cap);
    }
    ssize_t n;
    do {
        n = read(p->out, p->buf + p->len, p->cap - p->len);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        close(p->out);
        p->out = -1;
        return false;
    }
    p->len += (size_t)n;
    return true;
}

/* take removes the first line of the buffer, or all of it at end of output,
 * and returns it without its line end; invalid when there is none yet. */
static jv
take(ev_coproc *p)
{
    char *nl = p->len > 0 ? memchr(p->buf, '\n', p->len) : NULL;
    if (nl == NULL && (p->out >= 0 || p->len == 0))
        return jv_invalid();
    size_t used = nl != NULL ? (size_t)(nl - p->buf) + 1 : p->len;
    size_t n = nl != NULL ? used - 1 : used;
    while (n > 0 && p->buf[n - 1] == '\r')
        n--;
    jv line = jv_string_sized(p->buf, (int)n);
    memmove(p->buf, p->buf + used, p->len - used);
    p->len -= used;
    return line;
}

/* finish closes the helper's input and reaps it, which has ended or is made
 * to end by losing its input; whatever it still writes is read and counted
 * in 'extra', as lines it was not asked for. */
static void
finish(ev_coproc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
    for (int waited = 0; p->out >= 0 && waited < GRACE_MS; waited += 10) {
        if (!fill(p, 10))
            continue;
        for (jv line = take(p); jv_is_valid(line); line = take(p)) {
            p->extra += jv_string_length_bytes(jv_copy(line)) > 0;
            jv_free(line);
        }
    }
    if (p->out >= 0)
        close(p->out);
    p->out = -1;
    p->extra += p->len > 0;
    p->len = 0;
    reap(p, false);
    for (int waited = 0; !p->reaped && waited < GRACE_MS; waited += 10) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        reap(p, false);
    }
    if (!p->reaped)
        kill(p->pid, SIGTERM);
    reap(p, true);
}

static jv
how_it_ended(const ev_coproc *p)
{
    if (jv_is_valid(p->broken))
        return jv_invalid_with_msg(jv_copy(p->broken));
    if (p->reaped && WIFEXITED(p->status))
        return jv_invalid_with_msg(jv_string_fmt("exited with status %d", WEXITSTATUS(p->status)));
    if (p->reaped && WIFSIGNALED(p->status))
        return jv_invalid_with_msg(jv_string_fmt("was killed by signal %d", WTERMSIG(p->status)));
    return jv_invalid_with_msg(jv_string("closed its output"));
}

/* out_of_step stops a helper that wrote a line it was not asked for: its
 * answers no longer match the lines it is sent. */
static jv
out_of_step(ev_coproc *p)
{
    p->broken = jv_string("wrote a line it was not asked for (two for one record?): its "
                          "answers are out of step with the records, so it was stopped");
    finish(p);
    return how_it_ended(p);
}

bool
ev_coproc_write(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

jv
ev_coproc_ask(ev_coproc *p, const char *line, size_t len)
{
    if (p->in < 0)
        return how_it_ended(p);
    /* A line that came before it was asked for belongs to no record. */
    while (fill(p, 0))
        ;
    if (p->len > 0)
        return out_of_step(p);
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old);
    bool sent = ev_coproc_write(p->in, line, len) && ev_coproc_write(p->in, "\n", 1);
    sigaction(SIGPIPE, &old, NULL);
    jv answer = jv_invalid();
    while (sent && !jv_is_valid(answer = take(p)) && (fill(p, -1) || p->len > 0))
        ;
    if (!jv_is_valid(answer)) {
        finish(p);
        return how_it_ended(p);
    }
    if (p->len > 0) {
        jv_free(answer);
        return out_of_step(p);
    }
    return answer;
}

jv
ev_coproc_end(ev_coproc *p)
{
    if (p->in >= 0)
        finish(p);
    if (p->extra == 0 || jv_is_valid(p->broken))
        return jv_null();
    return jv_invalid_with_msg(jv_string_fmt(
        "wrote %d line%s more than the records it was sent: its answers were out of step with "
        "the records",
        p->extra, p->extra == 1 ? "" : "s"));
}

void
ev_coproc_close(ev_coproc *p)
{
    if (p == NULL)
        return;
    if (p->in >= 0)
        finish(p);
    jv_free(p->broken);
    free(p->buf);
    free(p);
}
