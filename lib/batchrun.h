/*
 * batchrun.h: ev-call --batch, the calls sent through a provider's batch
 * API (the formats are lib/batch.h's; the requests go through lib/rest.h).
 *
 * Ownership: json.h.
 *
 * Every case is read first. The samples the cache cannot answer go to the
 * provider's batch API, in as many batches as its limits need, each request
 * named by a custom_id made from the case's id and sample. What was
 * submitted, and the provider's ids, is kept next to the cache
 * (ev_cache_state_put) before the first upload and after each step, under a
 * name that is a hash of every request of the run; the same command finds
 * it again and polls the same batches, so a killed run never pays twice.
 * Answers are cached as they are fetched, marked with the batch's id, and
 * the records are written at the end, in input order.
 */
#ifndef EV_BATCHRUN_H
#define EV_BATCHRUN_H

#include <stdbool.h>
#include <stdio.h>

#include "cache.h"
#include "call.h"

/* Where the batches are, for a progress line. */
typedef struct ev_batchrun_progress {
    int ended, batches;         /* batches ended, of those in all */
    double total, done, failed; /* requests in all, finished and failed */
    const char *state;          /* the providers' words for the batches' states */
    double elapsed;             /* seconds since the run started */
    bool changed;               /* something but the time changed since the last one */
} ev_batchrun_progress;

/* ev_batchrun_progress_line returns the progress line of 'p', fitted to
 * 'width' columns (lib/progress.h); the batches ended, then the requests
 * done and failed, are the last to go. */
jv ev_batchrun_progress_line(const ev_batchrun_progress *p, int width);

/* ev_batchrun_run runs the calls of every sample of every case of 'paths'
 * ('n' operands; none is standard input) through the provider's batch API,
 * with the answers of 'cache', which it needs, and writes the records to
 * 'out'. 'progress' (may be NULL: none) is given the progress after each
 * look at the batches, and NULL at the end. Unless the configuration is
 * quiet it says what it submits and finds, and ends with a summary,
 * through the hooks' 'warn'. Returns the exit status (ev(7)); '*end' says
 * how standard output fared. */
int ev_batchrun_run(const ev_call_config *c, ev_cache *cache, char **paths, int n, FILE *out,
                    const ev_call_hooks *h,
                    void (*progress)(void *ctx, const ev_batchrun_progress *p), ev_call_end *end);

#endif
