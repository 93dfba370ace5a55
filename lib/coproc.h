/*
 * coproc.h: a long-lived helper process that answers one line per line.
 *
 * Ownership: json.h.
 *
 * The cmd scorer starts its command once and talks to it over pipes for the
 * whole run, so a judge that loads a model or opens a connection pays that
 * cost once. The helper's standard error is ours; it is started as
 * lib/proc.h starts every program.
 */
#ifndef EV_COPROC_H
#define EV_COPROC_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

typedef struct ev_coproc ev_coproc;

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
