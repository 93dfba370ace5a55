#include "child.h"
#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* high_fd moves 'fd' above the standard descriptors, keeping close-on-exec,
 * so that a dup2 onto 0 or 1 in the child always takes effect. */
static int
high_fd(int fd)
{
    if (fd > 2)
        return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return n;
}

static bool
make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    fds[0] = high_fd(fds[0]);
    fds[1] = high_fd(fds[1]);
    if (fds[0] < 0 || fds[1] < 0) {
        if (fds[0] >= 0)
            close(fds[0]);
        if (fds[1] >= 0)
            close(fds[1]);
        return false;
    }
    return true;
}

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
    int in[2], out[2];
    if (!make_pipe(in)) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot make a pipe: %s", strerror(errno)));
        return NULL;
    }
    if (!make_pipe(out)) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot make a pipe: %s", strerror(errno)));
        close(in[0]);
        close(in[1]);
        return NULL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t def, none;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawnattr_init(&attr);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGQUIT);
    sigaddset(&def, SIGUSR1);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETPGROUP);
    char **envp = ev_child_env(extra, pass);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp);
    free(envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        *err = jv_invalid_with_msg(jv_string_fmt("cannot run /bin/sh: %s", strerror(rc)));
        return NULL;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    ev_child *c = ev_alloc_zero(1, sizeof(*c));
    c->pid = pid;
    register_pid(pid, 0);
    c->in_fd = in[1];
    c->out_fd = out[0];
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
reap(ev_child *c, int flags)
{
    int st;
    if (c->exited)
        return;
    pid_t r;
    do
        r = waitpid(c->pid, &st, flags);
    while (r < 0 && errno == EINTR);
    if (r == c->pid || r < 0)
        register_pid(0, c->pid);
    if (r == c->pid) {
        c->exited = true;
        c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    } else if (r < 0) {
        c->exited = true;
        c->status = 127;
    }
}

bool
ev_child_step(ev_child *c)
{
    feed(c);
    drain(c);
    if (c->out_fd < 0) {
        close_in(c);
        reap(c, WNOHANG);
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
        reap(c, 0);
    }
    close_in(c);
    if (c->out_fd >= 0)
        close(c->out_fd);
    free(c->out);
    free(c);
}
