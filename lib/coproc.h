/*
 * coproc.h: a long-lived helper process that answers one line per line.
 *
 * Ownership: returned jv values belong to the caller.
 *
 * The cmd scorer starts its command once and talks to it over pipes for the
 * whole run, so a judge that loads a model or opens a connection pays that
 * cost once. The helper's standard error is ours.
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
 * SIGPIPE is ignored while writing, so a helper that died cannot kill us. */
jv ev_coproc_ask(ev_coproc *p, const char *line, size_t len);

/* ev_coproc_close closes the helper's standard input, waits for it to exit
 * (it is sent SIGTERM if it has not exited after a grace period) and frees
 * 'p'. NULL is allowed. */
void ev_coproc_close(ev_coproc *p);

#endif
