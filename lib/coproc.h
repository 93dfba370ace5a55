/*
 * coproc.h: a long-lived helper process that answers one line per line.
 *
 * Ownership: returned jv values belong to the caller.
 *
 * The cmd scorer starts its command once and talks to it over pipes for the
 * whole run, so a judge that loads a model or opens a connection pays that
 * cost once. The helper's standard error is ours. This module is ev's one
 * fork of a helper that it talks to over pipes: a program (ev_coproc_spawn,
 * ev_coproc_start) or library code (ev_coproc_fork).
 */
#ifndef EV_COPROC_H
#define EV_COPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jv.h>

typedef struct ev_coproc ev_coproc;

/* ev_coproc_spawn runs 'argv' (NULL-terminated; argv[0] a path, or a name
 * looked up on PATH) with its standard input and output connected to
 * pipes, close-on-exec on our side: '*in' is the child's input, '*out' its
 * output. Returns the child's pid, or -1 with '*err' set to an invalid with
 * a message. The child gets SIGPIPE back, and our whole environment: it is
 * for ev's own tools, as lib/relay.h starts ev-score's judge, an ev-call
 * that needs the judge's key. */
pid_t ev_coproc_spawn(char *const *argv, int *in, int *out, jv *err);

/* ev_coproc_fork forks a child that runs 'fn'('arg') with its standard
 * input and output connected to pipes, as ev_coproc_spawn does for a
 * program, and exits with what 'fn' returns through _exit, so that no
 * stdio buffer or exit handler of the parent runs twice. What the parent
 * had buffered on stdin, stdout and stderr is dropped in the child. The
 * child must not return through the caller's stack: 'fn' runs in a copy of
 * the parent's memory, and whatever it changes stays in the child. */
pid_t ev_coproc_fork(int (*fn)(void *), void *arg, int *in, int *out, jv *err);

/* ev_coproc_write writes the 'n' bytes at 's' to the child's input 'fd',
 * through interrupts and short writes; false when the child no longer
 * reads. */
bool ev_coproc_write(int fd, const char *s, size_t n);

/* ev_coproc_start runs 'command' with /bin/sh -c, its standard input and
 * output connected to pipes, in the environment of a local command
 * (lib/child.h: ev_child_env), with the variables that the patterns of
 * 'pass' (NULL-terminated; may be NULL) match. On failure it returns NULL
 * and sets '*err' to an invalid with a message. */
ev_coproc *ev_coproc_start(const char *command, char *const *pass, jv *err);

/* ev_coproc_ask writes the 'len' bytes at 'line' and a newline to the
 * helper, and returns the line it answers, without its newline. When the
 * helper has exited or closed its output, the result is invalid with a
 * message saying how it ended, and every later call fails the same way.
 * SIGPIPE is ignored while writing, so a helper that died cannot kill us.
 *
 * A helper answers each line with exactly one. One that writes a line it
 * was not asked for (two for one record) is out of step, and every later
 * answer would belong to the line before: when that shows, in the answer
 * just read or before the next line is sent, the helper is stopped and
 * this call and every later one fail with a message that says so. A line
 * written after the last answer is found by ev_coproc_end. */
jv ev_coproc_ask(ev_coproc *p, const char *line, size_t len);

/* ev_coproc_end closes the helper's standard input, reads what it still
 * writes and waits for it to exit (it is sent SIGTERM if it has not exited
 * after a grace period). It returns null, or an invalid with a message when
 * the helper wrote lines it was not asked for that no call of
 * ev_coproc_ask reported. 'p' stays to be freed. */
jv ev_coproc_end(ev_coproc *p);

/* ev_coproc_close ends the helper as ev_coproc_end does, unless that was
 * done, and frees 'p'. NULL is allowed. */
void ev_coproc_close(ev_coproc *p);

#endif
