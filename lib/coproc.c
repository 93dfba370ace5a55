#include "coproc.h"
#include "alloc.h"
#include "child.h"
#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
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
    FILE *out; /* the helper's standard output; NULL once it has ended */
    char *buf;
    size_t cap;
    int status; /* as from waitpid, once the helper has been reaped */
    bool reaped;
};

/* spawn is ev_coproc_spawn with the environment 'envp' (NULL: ours). */
static pid_t
spawn(char *const *argv, char *const *envp, int *in, int *out, jv *err)
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
    return spawn(argv, NULL, in, out, err);
}

ev_coproc *
ev_coproc_start(const char *command, char *const *pass, jv *err)
{
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int in, out;
    char **envp = ev_child_env(NULL, pass);
    pid_t pid = spawn(argv, envp, &in, &out, err);
    free(envp);
    if (pid < 0)
        return NULL;
    ev_coproc *p = ev_alloc_zero(1, sizeof(*p));
    p->pid = pid;
    p->in = in;
    p->out = fdopen(out, "r");
    if (p->out == NULL)
        ev_out_of_memory();
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

/* finish closes both pipes and reaps the helper, which has ended or is made
 * to end by losing its input. */
static void
finish(ev_coproc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
    if (p->out != NULL)
        fclose(p->out);
    p->out = NULL;
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
    if (p->reaped && WIFEXITED(p->status))
        return jv_invalid_with_msg(jv_string_fmt("exited with status %d", WEXITSTATUS(p->status)));
    if (p->reaped && WIFSIGNALED(p->status))
        return jv_invalid_with_msg(jv_string_fmt("was killed by signal %d", WTERMSIG(p->status)));
    return jv_invalid_with_msg(jv_string("closed its output"));
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
    if (p->out == NULL)
        return how_it_ended(p);
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old);
    bool sent = ev_coproc_write(p->in, line, len) && ev_coproc_write(p->in, "\n", 1);
    sigaction(SIGPIPE, &old, NULL);
    ssize_t n = sent ? getline(&p->buf, &p->cap, p->out) : -1;
    if (n < 0) {
        finish(p);
        return how_it_ended(p);
    }
    while (n > 0 && (p->buf[n - 1] == '\n' || p->buf[n - 1] == '\r'))
        n--;
    return jv_string_sized(p->buf, (int)n);
}

void
ev_coproc_close(ev_coproc *p)
{
    if (p == NULL)
        return;
    finish(p);
    free(p->buf);
    free(p);
}
