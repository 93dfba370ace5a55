/*
 * memo.h: things made once per distinct text and kept for a run.
 *
 * ev-score compiles a regular expression or a jq program, or starts a cmd
 * scorer's process, once per distinct text, and keeps it for the records
 * that follow. A memo holds such things by their text, up to a bound: past
 * it, the caller makes the thing for one use and releases it itself. At
 * the end the memo releases what it holds, in the order it was put.
 */
#ifndef EV_MEMO_H
#define EV_MEMO_H

#include <stdbool.h>

typedef struct ev_memo ev_memo;

/* ev_memo_new returns an empty memo that holds at most 'max' things and
 * releases each with 'release'. */
ev_memo *ev_memo_new(int max, void (*release)(void *));

/* ev_memo_get returns the thing kept under 'key', or NULL. */
void *ev_memo_get(const ev_memo *m, const char *key);

/* ev_memo_put keeps 'thing' under 'key', which it does not hold yet, and
 * returns true; or returns false when the memo is full, and the caller
 * still owns 'thing'. */
bool ev_memo_put(ev_memo *m, const char *key, void *thing);

/* ev_memo_count returns how many things the memo holds. */
int ev_memo_count(const ev_memo *m);

/* ev_memo_at returns thing 'i' (below ev_memo_count), in the order they
 * were put, and sets '*key' to its key, valid until the next put. */
void *ev_memo_at(const ev_memo *m, int i, const char **key);

/* ev_memo_free releases every thing held and frees 'm'. NULL is allowed. */
void ev_memo_free(ev_memo *m);

#endif
