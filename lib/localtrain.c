#include "localtrain.h"

#include "alloc.h"
#include "child.h"
#include "proc.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A stream of the command's, split into lines. */
typedef struct stream {
    int fd; /* -1 once closed */
    char *buf;
    size_t len;
} stream;

/* drain reads what 's' has and passes on each whole line; at end of file
 * it passes the last piece and closes the stream. */
static void
drain(stream *s, int which, ev_localtrain_line on_line, void *ctx)
{
    char chunk[4096];
    ssize_t n = read(s->fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        if (s->len > 0) {
            s->buf[s->len] = '\0';
            on_line(ctx, which, s->buf, s->len);
        }
        s->len = 0;
        close(s->fd);
        s->fd = -1;
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (chunk[i] == '\n' || s->len == EV_LOCALTRAIN_MAX_LINE) {
            s->buf[s->len] = '\0';
            on_line(ctx, which, s->buf, s->len);
            s->len = 0;
            if (chunk[i] == '\n')
                continue;
        }
        s->buf[s->len++] = chunk[i];
    }
}

/* stop_once sends SIGTERM to 'pid' the first time '*stop' is seen set. */
static void
stop_once(pid_t pid, const volatile sig_atomic_t *stop, bool *termed)
{
    if (stop != NULL && *stop && !*termed) {
        kill(pid, SIGTERM);
        *termed = true;
    }
}

int
ev_localtrain_run(const char *command, const char *name, const char *file, char *const *extra,
                  char *const *pass, ev_localtrain_line on_line, void *ctx,
                  const volatile sig_atomic_t *stop, jv *err)
{
    /* "$0" is 'name' and "$1" is 'file' in the command */
    char *argv[] = {"sh", "-c", (char *)command, (char *)name, (char *)file, NULL};
    char **envp = ev_child_env(extra, pass);
    ev_proc_spec spec = {"/bin/sh", argv, envp, EV_PROC_NULL, EV_PROC_PIPE, EV_PROC_PIPE, false};
    ev_proc p;
    bool started = ev_proc_spawn(&spec, &p, err);
    free(envp);
    if (!started)
        return -1;
    pid_t pid = p.pid;
    stream s[2] = {{p.out, ev_alloc_resize(NULL, EV_LOCALTRAIN_MAX_LINE + 1), 0},
                   {p.err, ev_alloc_resize(NULL, EV_LOCALTRAIN_MAX_LINE + 1), 0}};
    bool termed = false;
    while (s[0].fd >= 0 || s[1].fd >= 0) {
        stop_once(pid, stop, &termed);
        struct pollfd fds[2];
        int n = 0, which[2];
        for (int i = 0; i < 2; i++)
            if (s[i].fd >= 0) {
                fds[n] = (struct pollfd){s[i].fd, POLLIN, 0};
                which[n++] = i;
            }
        if (poll(fds, (nfds_t)n, -1) < 0)
            continue; /* EINTR: a signal; look at 'stop' again */
        for (int k = 0; k < n; k++)
            if (fds[k].revents != 0)
                drain(&s[which[k]], which[k] + 1, on_line, ctx);
    }
    free(s[0].buf);
    free(s[1].buf);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            *err = jv_invalid_with_msg(
                jv_string_fmt("cannot wait for the trainer: %s", strerror(errno)));
            return -1;
        }
        stop_once(pid, stop, &termed);
    }
    return ev_proc_status(st);
}
