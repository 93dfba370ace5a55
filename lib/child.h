/*
 * child.h: a local command run once, fed and read without blocking, so
 * many can run at once beside network transfers in one poll loop.
 *
 * Ownership: json.h.
 *
 * The command runs with /bin/sh -c in a process group of its own, so a
 * Ctrl-C at the terminal reaches ev-call alone, which decides whether the
 * command's work is still wanted; ev_child_kill ends the whole group. Its
 * standard input is the given bytes, then end of file; its standard output
 * is collected; its standard error is ours. The input never appears on the
 * command line. It starts as lib/proc.h starts every program, with its
 * signals at their defaults.
 *
 * Every local command ev runs (a model command here, a cmd scorer through
 * lib/coproc.h, a trainer through lib/localtrain.h) gets the environment
 * that ev_child_env makes, never ours whole: the few variables a program
 * needs to run, and none of the API keys ev holds.
 */
#ifndef EV_CHILD_H
#define EV_CHILD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jv.h>

/* The most a command may write before it is killed. */
#define EV_CHILD_MAX_OUTPUT (64L * 1024 * 1024)

typedef struct ev_child ev_child;

/* ev_child_env returns the environment of a local command: those of our
 * variables that every command gets when they are set (PATH, HOME, USER,
 * LOGNAME, LANG, LANGUAGE, LC_*, TZ, TMPDIR, TERM and NO_COLOR), those that
 * a pattern of 'pass' matches (fnmatch(3) patterns such as "HF_*" or
 * "CUDA_VISIBLE_DEVICES", NULL-terminated; may be NULL), then 'extra'
 * ("NAME=value" strings, NULL-terminated; may be NULL), each of which
 * replaces a variable of ours of the same name. Only the array is
 * allocated: its strings are borrowed from our environment and 'extra'. */
char **ev_child_env(char *const *extra, char *const *pass);

/* ev_child_pass_ok says whether 'pattern' may name variables for 'pass'
 * (a user's --env): not empty, and with no '=', so that no value is ever
 * given on a command line. */
bool ev_child_pass_ok(const char *pattern);

/* ev_child_start runs 'command' with the 'len' bytes at 'input' (borrowed;
 * they must outlive the child's reading of them) on its standard input, in
 * the environment ev_child_env('extra', 'pass') makes. On failure it
 * returns NULL and sets '*err' to an invalid with a message. */
ev_child *ev_child_start(const char *command, const char *input, size_t len, char *const *extra,
                         char *const *pass, jv *err);

/* ev_child_pollfds fills at most two pollfds with what the child waits on
 * and returns how many. None means it has closed its output and only its
 * exit remains to be collected: call ev_child_step again soon. */
int ev_child_pollfds(const ev_child *c, struct pollfd *fds);

/* ev_child_step writes and reads what it can without blocking, and
 * collects the exit once output has ended. Returns true when the child has
 * exited and its output is complete. */
bool ev_child_step(ev_child *c);

/* ev_child_status is the exit status, or 128 + the signal that ended it. */
int ev_child_status(const ev_child *c);

/* ev_child_output returns the collected output, NUL-terminated; '*len'
 * gets its length. ev_child_overflowed says whether the command wrote more
 * than EV_CHILD_MAX_OUTPUT and was killed for it. */
const char *ev_child_output(const ev_child *c, size_t *len);
bool ev_child_overflowed(const ev_child *c);

/* ev_child_pid is the child's process id, which is also its group's. */
pid_t ev_child_pid(const ev_child *c);

/* ev_child_kill sends SIGKILL to the child's process group. */
void ev_child_kill(ev_child *c);

/* ev_child_kill_all sends SIGKILL to the group of every child still
 * running. It is async-signal-safe, for a signal handler that exits. */
void ev_child_kill_all(void);

/* ev_child_free kills the child's group if it is still running, collects
 * its exit and frees 'c'. NULL is allowed. */
void ev_child_free(ev_child *c);

#endif
