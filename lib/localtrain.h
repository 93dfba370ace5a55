/*
 * localtrain.h: a local training command, run once with a training file, its
 * output passed on line by line as it comes.
 *
 * Ownership: json.h.
 *
 * The command runs as /bin/sh -c COMMAND NAME FILE, so the file's path is
 * "$1" in the command. Its standard input is /dev/null, so it cannot eat
 * records meant for ev; it starts as lib/proc.h starts every program, with
 * its signals at their defaults. Its standard output and standard error are read through pipes and
 * handed, a line at a time, to the caller's callback, which decides where
 * they go.
 */
#ifndef EV_LOCALTRAIN_H
#define EV_LOCALTRAIN_H

#include <signal.h>
#include <stddef.h>

#include <jv.h>

/* The longest line passed on whole; a longer one is passed in pieces. */
#define EV_LOCALTRAIN_MAX_LINE 65536

/* A line of output: 'stream' is 1 for standard output and 2 for standard
 * error; 'line' ('len' bytes, NUL-terminated) has no newline. */
typedef void (*ev_localtrain_line)(void *ctx, int stream, const char *line, size_t len);

/* ev_localtrain_run runs 'command' as above with "$0" 'name' and "$1" 'file',
 * in the environment of a local command (lib/child.h: ev_child_env) with
 * the variables that the patterns of 'pass' match and 'extra' ("NAME=value"
 * strings), both NULL-terminated and either NULL, and waits for it. When '*stop' becomes non-zero
 * (NULL: never) while it runs, the command gets SIGTERM, once, and is still waited for. Returns its
 * exit status, 128 + the signal that ended it, or -1 with
 * '*err' set when it cannot be started. */
int ev_localtrain_run(const char *command, const char *name, const char *file, char *const *extra,
                      char *const *pass, ev_localtrain_line on_line, void *ctx,
                      const volatile sig_atomic_t *stop, jv *err);

#endif
