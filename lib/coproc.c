#include "coproc.h"
#include "alloc.h"
#include "child.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
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

ev_coproc *
ev_coproc_start(const char *command, char *const *pass, jv *err)
{
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    char **envp = ev_child_env(NULL, pass);
    ev_proc_spec spec = {"/bin/sh", argv, envp, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_OURS, false};
    ev_proc child;
    bool started = ev_proc_spawn(&spec, &child, err);
    free(envp);
    if (!started)
        return NULL;
    ev_coproc *p = ev_alloc_zero(1, sizeof(*p));
    p->pid = child.pid;
    p->in = child.in;
    p->out = child.out;
    p->broken = jv_invalid();
    /* Sending never blocks: a helper that answers as it reads (cat, a
     * stream editor) fills its output pipe while a long line is still being
     * written to it, so ask reads while it writes (send). */
    fcntl(p->in, F_SETFL, fcntl(p->in, F_GETFL) | O_NONBLOCK);
    return p;
}

static void
reap(ev_coproc *p, bool block)
{
    if (!p->reaped)
        p->reaped = ev_proc_wait(p->pid, block, &p->status) != 0;
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
    if (p->reaped)
        return jv_invalid_with_msg(ev_proc_ended(p->status));
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

/* send writes 'len' bytes of 's' to the helper while reading what it
 * writes meanwhile, so that neither side waits for the other for ever.
 * Returns false when the helper stopped reading (it ended, or closed its
 * input). */
static bool
send(ev_coproc *p, const char *s, size_t len)
{
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old);
    bool ok = true;
    while (ok && len > 0) {
        struct pollfd pfd[2] = {{.fd = p->in, .events = POLLOUT}, {.fd = p->out, .events = POLLIN}};
        int r = poll(pfd, p->out >= 0 ? 2 : 1, -1);
        if (r < 0) {
            ok = errno == EINTR;
            continue;
        }
        if (p->out >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
            fill(p, 0);
        if (pfd[0].revents & (POLLERR | POLLHUP)) {
            ok = false;
        } else if (pfd[0].revents & POLLOUT) {
            ssize_t n = write(p->in, s, len);
            if (n > 0) {
                s += n;
                len -= (size_t)n;
            } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
                ok = false;
            }
        }
    }
    sigaction(SIGPIPE, &old, NULL);
    return ok;
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
    bool sent = send(p, line, len) && send(p, "\n", 1);
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
