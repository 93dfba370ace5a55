/*
 * proc.h: ev's one way to start a process, talk to it over pipes and wait
 * for it: a program (ev_proc_spawn), or a function of ours in a forked copy
 * of this process (ev_proc_fork). lib/child.h (a model command of ev-call),
 * lib/coproc.h (a cmd scorer), lib/relay.h (ev-score's judge), the sandbox
 * and lib/localtrain.h (a local trainer) start theirs here.
 *
 * Ownership: json.h.
 *
 * A program is started with posix_spawn(3), so a large or threaded ev-call
 * can start many without copying itself. It starts as it would from a
 * shell, whatever ev ignores (SIGPIPE, for libcurl) or blocks: SIGPIPE,
 * SIGINT, SIGTERM, SIGQUIT and SIGUSR1 at their defaults, and no signal
 * blocked. Our ends of its pipes are close-on-exec, so that no other child
 * holds them and an end of file always comes; its ends are put in place
 * and nothing else of ours is left open in it but what was open without
 * close-on-exec.
 */
#ifndef EV_PROC_H
#define EV_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jv.h>

/* What a standard stream of the child is. */
enum ev_proc_io {
    EV_PROC_OURS, /* the same as ours */
    EV_PROC_PIPE, /* a pipe to us */
    EV_PROC_NULL, /* /dev/null */
};

/* What to start. */
typedef struct ev_proc_spec {
    const char *path;   /* the program: a path, or a name looked up on our PATH */
    char *const *argv;  /* its arguments, argv[0] first, NULL-terminated */
    char *const *envp;  /* its environment, NULL-terminated; NULL: ours */
    enum ev_proc_io in; /* its standard input, output and error */
    enum ev_proc_io out;
    enum ev_proc_io err;
    bool group; /* in a process group of its own, whose id is its pid */
} ev_proc_spec;

/* A started child: its pid, and our ends of the pipes asked for (the end
 * we write its input to, and the ends we read its output and error from),
 * -1 for a stream that is no pipe. */
typedef struct ev_proc {
    pid_t pid;
    int in, out, err;
} ev_proc;

/* ev_proc_spawn starts the program 's' says and fills '*p'. On failure,
 * when no pipe can be made or the program cannot be run, it returns false
 * with '*err' set to an invalid with a message ("cannot run 'x': No such
 * file or directory"), and nothing is left open. */
bool ev_proc_spawn(const ev_proc_spec *s, ev_proc *p, jv *err);

/* ev_proc_fork forks a child that runs 'fn'('arg') with its standard input
 * and output connected to pipes ('*in' is its input, '*out' its output,
 * close-on-exec on our side) and SIGPIPE at its default, and exits with
 * what 'fn' returns through _exit, so that no stdio buffer or exit handler
 * of ours runs twice. What we had buffered on stdin, stdout and stderr is
 * dropped in the child. 'fn' runs in a copy of our memory: whatever it
 * changes stays in the child. Returns the child's pid, or -1 with '*err'
 * set. */
pid_t ev_proc_fork(int (*fn)(void *), void *arg, int *in, int *out, jv *err);

/* ev_proc_write writes the 'n' bytes at 's' to 'fd', through interrupts and
 * short writes; false when it cannot, as when the reader has gone. */
bool ev_proc_write(int fd, const char *s, size_t n);

/* ev_proc_send is ev_proc_write to a child's input with SIGPIPE ignored
 * while it writes, so that a child that died cannot kill us. */
bool ev_proc_send(int fd, const char *s, size_t n);

/* ev_proc_wait collects the exit of child 'pid' into '*wstatus' (as from
 * waitpid), waiting for it when 'block' and retrying when a signal comes.
 * Returns 1 when it has exited, 0 when it still runs (only without
 * 'block'), and -1 when it is no child of ours, or no longer one. */
int ev_proc_wait(pid_t pid, bool block, int *wstatus);

/* ev_proc_status returns the exit status in 'wstatus', or 128 + the signal
 * that ended the child, as a shell says it. */
int ev_proc_status(int wstatus);

/* ev_proc_ended says how the child ended: "exited with status 2" or "was
 * killed by signal 9". */
jv ev_proc_ended(int wstatus);

#endif
