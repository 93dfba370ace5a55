#include "child.h"
#include "alloc.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* The children still running, for ev_child_kill_all; 0 marks a free slot.
 * Only the thread that starts children writes it. */
#define REGISTRY 1024
static volatile sig_atomic_t registry[REGISTRY];

static void
register_pid(pid_t pid, pid_t old)
{
    for (size_t i = 0; i < REGISTRY; i++) {
        if (registry[i] == old) {
            registry[i] = pid;
            return;
        }
    }
}

void
ev_child_kill_all(void)
{
    for (size_t i = 0; i < REGISTRY; i++)
        if (registry[i] > 0)
            kill(-(pid_t)registry[i], SIGKILL);
}

struct ev_child {
    pid_t pid;
    int in_fd, out_fd; /* our ends; -1 once closed */
    const char *input;
    size_t input_len, input_pos;
    char *out;
    size_t out_len, out_cap;
    bool exited, overflow;
    int status;
};

/* What a program needs to run, find its files and speak the user's
 * language; no secret is among them. */
static const char *const base_env[] = {"PATH", "HOME", "USER",   "LOGNAME", "LANG",     "LANGUAGE",
                                       "LC_*", "TZ",   "TMPDIR", "TERM",    "NO_COLOR", NULL};

/* matches says whether the variable named by the 'len' bytes at 'name' is
 * matched by a pattern of 'patterns' (NULL-terminated; may be NULL). */
static bool
matches(const char *name, size_t len, const char *const *patterns)
{
    char buf[256];
    char *n = len < sizeof(buf) ? buf : ev_alloc(len + 1);
    memcpy(n, name, len);
    n[len] = '\0';
    bool yes = false;
    for (size_t i = 0; patterns != NULL && patterns[i] != NULL && !yes; i++)
        yes = fnmatch(patterns[i], n, 0) == 0;
    if (n != buf)
        free(n);
    return yes;
}

char **
ev_child_env(char *const *extra, char *const *pass)
{
    size_t n = 0, k = 0;
    while (environ[n] != NULL)
        n++;
    while (extra != NULL && extra[k] != NULL)
        k++;
    char **env = ev_alloc_array(NULL, n + k + 1, sizeof(*env));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(environ[i], "=");
        if (environ[i][len] != '=' || (!matches(environ[i], len, base_env) &&
                                       !matches(environ[i], len, (const char *const *)pass)))
            continue;
        bool replaced = false;
        for (size_t j = 0; j < k && !replaced; j++)
            replaced = strncmp(environ[i], extra[j], len + 1) == 0;
        if (!replaced)
            env[m++] = environ[i];
    }
    for (size_t j = 0; j < k; j++)
        env[m++] = extra[j];
    env[m] = NULL;
    return env;
}

bool
ev_child_pass_ok(const char *pattern)
{
    return *pattern != '\0' && strchr(pattern, '=') == NULL;
}

ev_child *
ev_child_start(const char *command, const char *input, size_t len, char *const *extra,
               char *const *pass, jv *err)
{
    char **envp = ev_child_env(extra, pass);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    ev_proc_spec spec = {"/bin/sh", argv, envp, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_OURS, true};
    ev_proc p;
    bool started = ev_proc_spawn(&spec, &p, err);
    free(envp);
    if (!started)
        return NULL;
    fcntl(p.in, F_SETFL, O_NONBLOCK);
    fcntl(p.out, F_SETFL, O_NONBLOCK);
    ev_child *c = ev_alloc_zero(1, sizeof(*c));
    c->pid = p.pid;
    register_pid(p.pid, 0);
    c->in_fd = p.in;
    c->out_fd = p.out;
    c->input = input;
    c->input_len = len;
    if (len == 0) {
        close(c->in_fd);
        c->in_fd = -1;
    }
    return c;
}

int
ev_child_pollfds(const ev_child *c, struct pollfd *fds)
{
    int n = 0;
    if (c->out_fd >= 0)
        fds[n++] = (struct pollfd){.fd = c->out_fd, .events = POLLIN};
    if (c->in_fd >= 0)
        fds[n++] = (struct pollfd){.fd = c->in_fd, .events = POLLOUT};
    return n;
}

static void
close_in(ev_child *c)
{
    if (c->in_fd >= 0)
        close(c->in_fd);
    c->in_fd = -1;
}

static void
feed(ev_child *c)
{
    while (c->in_fd >= 0 && c->input_pos < c->input_len) {
        ssize_t n = write(c->in_fd, c->input + c->input_pos, c->input_len - c->input_pos);
        if (n > 0) {
            c->input_pos += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else {
            /* EPIPE: the command does not want the rest of its input. */
            close_in(c);
            return;
        }
    }
    close_in(c);
}

static void
drain(ev_child *c)
{
    while (c->out_fd >= 0) {
        if (c->out_cap - c->out_len < 4096) {
            size_t cap = c->out_cap ? c->out_cap * 2 : 8192;
            char *p = ev_alloc_resize(c->out, cap + 1);
            c->out = p;
            c->out_cap = cap;
        }
        ssize_t n = read(c->out_fd, c->out + c->out_len, c->out_cap - c->out_len);
        if (n > 0) {
            c->out_len += (size_t)n;
            if (c->out_len > (size_t)EV_CHILD_MAX_OUTPUT) {
                c->overflow = true;
                ev_child_kill(c);
                close(c->out_fd);
                c->out_fd = -1;
            }
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else {
            close(c->out_fd);
            c->out_fd = -1;
        }
    }
}

static void
reap(ev_child *c, bool block)
{
    int st;
    if (c->exited)
        return;
    int r = ev_proc_wait(c->pid, block, &st);
    if (r != 0) {
        register_pid(0, c->pid);
        c->exited = true;
        c->status = r > 0 ? ev_proc_status(st) : 127;
    }
}

bool
ev_child_step(ev_child *c)
{
    feed(c);
    drain(c);
    if (c->out_fd < 0) {
        close_in(c);
        reap(c, false);
    }
    return c->exited && c->out_fd < 0;
}

int
ev_child_status(const ev_child *c)
{
    return c->status;
}

const char *
ev_child_output(const ev_child *c, size_t *len)
{
    *len = c->out_len;
    if (c->out == NULL)
        return "";
    c->out[c->out_len] = '\0';
    return c->out;
}

bool
ev_child_overflowed(const ev_child *c)
{
    return c->overflow;
}

pid_t
ev_child_pid(const ev_child *c)
{
    return c->pid;
}

void
ev_child_kill(ev_child *c)
{
    if (!c->exited)
        kill(-c->pid, SIGKILL);
}

void
ev_child_free(ev_child *c)
{
    if (c == NULL)
        return;
    if (!c->exited) {
        ev_child_kill(c);
        reap(c, true);
    }
    close_in(c);
    if (c->out_fd >= 0)
        close(c->out_fd);
    free(c->out);
    free(c);
}
