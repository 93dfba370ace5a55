#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* high_fd moves 'fd' above the standard descriptors, keeping close-on-exec,
 * so that putting a child's end in place (a dup2 onto 0, 1 or 2) always
 * takes effect and never closes another end first. */
static int
high_fd(int fd)
{
    if (fd > 2)
        return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return n;
}

static void
close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

/* make_pipe makes a close-on-exec pipe with both ends above 2, or returns
 * false with '*err' set. */
static bool
make_pipe(int fds[2], jv *err)
{
    if (pipe2(fds, O_CLOEXEC) == 0) {
        fds[0] = high_fd(fds[0]);
        fds[1] = high_fd(fds[1]);
        if (fds[0] >= 0 && fds[1] >= 0)
            return true;
        close_pipe(fds);
    }
    *err = jv_invalid_with_msg(jv_string_fmt("cannot make a pipe: %s", strerror(errno)));
    return false;
}

bool
ev_proc_spawn(const ev_proc_spec *s, ev_proc *p, jv *err)
{
    const enum ev_proc_io io[3] = {s->in, s->out, s->err};
    int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    for (int k = 0; k < 3; k++) {
        if (io[k] == EV_PROC_PIPE && !make_pipe(pipes[k], err)) {
            for (int j = 0; j < k; j++)
                close_pipe(pipes[j]);
            return false;
        }
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    for (int k = 0; k < 3; k++) {
        if (io[k] == EV_PROC_PIPE) /* the child reads its input, writes the others */
            posix_spawn_file_actions_adddup2(&fa, pipes[k][k == 0 ? 0 : 1], k);
        else if (io[k] == EV_PROC_NULL)
            posix_spawn_file_actions_addopen(&fa, k, "/dev/null", k == 0 ? O_RDONLY : O_WRONLY, 0);
    }
    sigset_t def, none;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGQUIT);
    sigaddset(&def, SIGUSR1);
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setsigmask(&attr, &none);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (s->group) {
        posix_spawnattr_setpgroup(&attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr, flags);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, s->path, &fa, &attr, s->argv, s->envp ? s->envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    int ours[3] = {-1, -1, -1};
    for (int k = 0; k < 3; k++) {
        if (io[k] != EV_PROC_PIPE)
            continue;
        int theirs = k == 0 ? 0 : 1;
        close(pipes[k][theirs]);
        ours[k] = pipes[k][1 - theirs];
        if (rc != 0)
            close(ours[k]);
    }
    if (rc != 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot run '%s': %s", s->path, strerror(rc)));
        return false;
    }
    *p = (ev_proc){pid, ours[0], ours[1], ours[2]};
    return true;
}

pid_t
ev_proc_fork(int (*fn)(void *), void *arg, int *in, int *out, jv *err)
{
    int to[2], from[2];
    if (!make_pipe(to, err))
        return -1;
    if (!make_pipe(from, err)) {
        close_pipe(to);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The child gets SIGPIPE back, like any command started by a shell. */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(to[0], STDIN_FILENO) < 0 || dup2(from[1], STDOUT_FILENO) < 0)
            _exit(127);
        /* What we had buffered, read ahead or not yet written, is not the
         * child's: an exit must not write it again. */
        __fpurge(stdin);
        __fpurge(stdout);
        __fpurge(stderr);
        _exit(fn(arg));
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

bool
ev_proc_write(int fd, const char *s, size_t n)
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

bool
ev_proc_send(int fd, const char *s, size_t n)
{
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old);
    bool sent = ev_proc_write(fd, s, n);
    sigaction(SIGPIPE, &old, NULL);
    return sent;
}

int
ev_proc_wait(pid_t pid, bool block, int *wstatus)
{
    pid_t r;
    do
        r = waitpid(pid, wstatus, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    return r == pid ? 1 : r == 0 ? 0 : -1;
}

int
ev_proc_status(int wstatus)
{
    return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
}

jv
ev_proc_ended(int wstatus)
{
    if (WIFSIGNALED(wstatus))
        return jv_string_fmt("was killed by signal %d", WTERMSIG(wstatus));
    return jv_string_fmt("exited with status %d", WEXITSTATUS(wstatus));
}
