/*
 * readahead.h: records read in a thread of their own, ahead of their use,
 * so that a slow producer upstream never stalls the work in hand: ev-call's
 * calls in flight go on while the next line is awaited.
 *
 * Ownership: json.h.
 *
 * The thread reads the operands with the reader of lib/jsonl.h and keeps
 * at most EV_READAHEAD_CAP items; it blocks SIGINT and SIGTERM, so that
 * they reach the main thread. To end a read blocked on a pipe or a
 * terminal, ev_readahead_stop sends the thread SIGUSR1, for which
 * ev_readahead_start installs a handler that only interrupts.
 */
#ifndef EV_READAHEAD_H
#define EV_READAHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* The most items read ahead. */
#define EV_READAHEAD_CAP 64

/* One item read: a record, a bad line, or the end of the input. */
typedef struct ev_readahead_item {
    int rc;           /* EV_JSONL_OK, EV_JSONL_BAD or EV_JSONL_EOF (lib/jsonl.h) */
    jv rec;           /* the record, or the error with its message */
    char *raw;        /* the record's text, as read (ev_jsonl_raw); the caller's */
    size_t len;       /* of 'raw' */
    const char *name; /* the operand it was read from (borrowed from 'paths') */
    unsigned long line;
} ev_readahead_item;

typedef struct ev_readahead ev_readahead;

/* ev_readahead_start starts reading the 'n' operands in 'paths' (borrowed:
 * they must outlive it; none is standard input). Each time an item arrives
 * when none was waiting, 'wake' (may be NULL) is called with 'ctx', from
 * the reading thread. Returns NULL with '*err' set when the thread cannot
 * start. */
ev_readahead *ev_readahead_start(char **paths, int n, void (*wake)(void *ctx), void *ctx, jv *err);

/* ev_readahead_next takes the next item into '*it'; false when none has
 * been read yet. After EV_JSONL_EOF nothing more comes. */
bool ev_readahead_next(ev_readahead *r, ev_readahead_item *it);

/* ev_readahead_waiting says whether an item is there to take. */
bool ev_readahead_waiting(ev_readahead *r);

/* ev_readahead_stop stops the thread, even in a blocked read, drops what
 * was read and not taken, and frees 'r'. NULL is allowed. */
void ev_readahead_stop(ev_readahead *r);

#endif
