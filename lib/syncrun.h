/*
 * syncrun.h: ev-call's synchronous run: a call for each sample of each
 * case, many at once through the request engine (lib/http.h), HTTP to a
 * provider or a local command (-p cmd).
 *
 * Ownership: json.h.
 *
 * The records are read ahead in a thread (lib/readahead.h) into a window
 * of cases, and written back in input order (or as they finish, with
 * --unordered). Each sample's answer comes from the cache (lib/cache.h)
 * when it has one; a sample whose request is identical to one in flight
 * waits for that call's answer rather than paying for it again; another
 * run that shares the cache and has claimed a key is waited for. Every
 * answer is cached the moment it arrives, before the call that replaces
 * it starts, so a run killed at any moment loses at most the calls in
 * flight. The run stops early, writing what is complete, when a call shows
 * that no call can succeed (a refused key, no quota, no such model, a
 * server that cannot be reached), when more calls fail than --max-errors
 * allows, when the cache cannot keep answers, when standard output fails,
 * or when the hooks' 'stop' is set.
 */
#ifndef EV_SYNCRUN_H
#define EV_SYNCRUN_H

#include <stdbool.h>
#include <stdio.h>

#include "cache.h"
#include "call.h"
#include "price.h"

/* Where a run is, for a progress line. */
typedef struct ev_syncrun_progress {
    unsigned long done;           /* calls finished: answered or failed */
    unsigned long total;          /* calls in all; 0 when unknown */
    double elapsed;               /* seconds since the run started */
    int in_flight;                /* calls in flight now */
    unsigned long retries;        /* attempts that were retries */
    unsigned long failed, cached; /* calls failed, and answered from the cache */
    double tokens_in, tokens_out; /* of the answers this run paid for */
    double spent;                 /* what they cost, or NAN when the model has no price */
    const char *currency;         /* of 'spent': "USD" shows as "$0.0123" */
    double paused;                /* seconds until calls start again after a 429, or 0 */
} ev_syncrun_progress;

/* ev_syncrun_progress_line returns the progress line of 'p', fitted to
 * 'width' columns (lib/progress.h): the calls done of the total, the time
 * left, the failures, the money spent and a pause after a 429 are the last
 * to go; then the tokens, the rate, and the calls in flight, cached and
 * retried. */
jv ev_syncrun_progress_line(const ev_syncrun_progress *p, int width);

/* What the run reports as it goes, beside the hooks' warnings. */
typedef struct ev_syncrun_show {
    /* The progress, four times a second; NULL 'p' at the end, when the
     * line is to be cleared. NULL: no progress. */
    void (*progress)(void *ctx, const ev_syncrun_progress *p);
    /* The total of calls to show: count the lines of the operands when
     * they are regular files. */
    bool count_total;
    /* The price of the model (lib/price.h), to show the money spent, and
     * the currency of its table; NULL: not shown. */
    const ev_price *price;
    const char *currency;
} ev_syncrun_show;

/* ev_syncrun_run runs the calls of every sample of every case of 'paths'
 * ('n' operands; none is standard input), with the answers of 'cache' (may
 * be NULL: --no-cache), and writes the records to 'out'. Unless the
 * configuration is quiet it ends with a summary through the hooks' 'warn'.
 * It returns the exit status (ev(7)): 0 every call answered, 2 trouble, 3
 * some calls failed, 130 interrupted; '*end' says how standard output
 * fared. 'out' is flushed, not closed. The caller ignores SIGPIPE: a
 * command may end without reading its input, and a reader of 'out' may go
 * away; either is an error to report, not a reason to die. */
int ev_syncrun_run(const ev_call_config *c, ev_cache *cache, char **paths, int n, FILE *out,
                   const ev_call_hooks *h, const ev_syncrun_show *show, ev_call_end *end);

#endif
