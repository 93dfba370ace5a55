/*
 * relay.h: a filter program run as a child, fed and read at the same time.
 *
 * Ownership: json.h.
 *
 * ev-score asks its judges through ev-call this way: requests go to the
 * child's standard input in batches, while a thread of the relay reads the
 * child's standard output and gives each line to the oldest batch that
 * still waits for answers. So the child must answer in order, a fixed
 * number of lines per batch. Writing blocks while the pipe is full, and
 * the reading thread never touches a jv (their reference counts are not
 * thread-safe): answers are plain text until the caller takes them. The
 * child's standard error is ours.
 */
#ifndef EV_RELAY_H
#define EV_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

typedef struct ev_relay ev_relay;

/* ev_relay_start runs 'argv' (a NULL-terminated list; argv[0] is a path, or
 * a name looked up on PATH). On failure it returns NULL and sets '*err' to
 * an invalid with a message. */
ev_relay *ev_relay_start(char *const *argv, jv *err);

/* ev_relay_send adds a batch that waits for 'n' answer lines (n > 0) and
 * writes the 'len' bytes at 'requests' to the child. Returns false when the
 * child no longer reads; the batch still counts, and ev_relay_next reports
 * its missing answers. SIGPIPE is ignored while writing. */
bool ev_relay_send(ev_relay *r, const char *requests, size_t len, int n);

/* ev_relay_next takes the oldest batch once it has all its answers: an
 * array of strings, the lines without their newlines. When the child ended
 * before answering it, the result is invalid with a message saying how the
 * child ended ("exited with status 2 before answering"). With 'wait' false it returns invalid
 * without a message when the oldest batch is not answered yet; with 'wait' it waits. Returns
 * jv_null() when no batch is left. */
jv ev_relay_next(ev_relay *r, bool wait);

/* ev_relay_pending says how many batches were sent and not yet taken. */
size_t ev_relay_pending(const ev_relay *r);

/* ev_relay_end_input closes the child's standard input: no request will
 * follow. A child that reads all of its input before it answers (ev-call
 * --batch) answers only then. NULL is allowed. */
void ev_relay_end_input(ev_relay *r);

/* ev_relay_finish closes the child's input, waits for it to exit and frees
 * 'r'; batches not taken are dropped. Returns the child's exit status, or
 * 128 + the signal that ended it. NULL is allowed and gives 0. */
int ev_relay_finish(ev_relay *r);

#endif
