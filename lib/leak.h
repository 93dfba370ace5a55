/*
 * leak.h: eval cases that leak into a training set (ev-split --check).
 *
 * The training set is read first and indexed (near.h): its ids and its
 * inputs, about 1 KB a case of 20 words. The eval sets then stream past the
 * index, and each pair of an eval case and a training case whose inputs are
 * near duplicates is written as one JSON object:
 *
 *     {"eval_id": ..., "train_id": ..., "kind": "exact" or "near", "similarity": ...}
 *
 * "exact" when the inputs are the same (similarity 1), "near" otherwise,
 * with the similarity to four places. Each eval case's pairs come exact
 * first, in training order, then most similar first.
 *
 * A case with an empty input leaks nowhere, and says nothing: without an
 * eval case and a training case that have inputs there is no verdict,
 * leak or no leak (ev_leak_no_verdict).
 */
#ifndef EV_LEAK_H
#define EV_LEAK_H

#include <stdio.h>

#include <jv.h>

#include "log.h"

typedef struct ev_leak_opts {
    const char *train; /* the training set: a path, or "-" */
    double threshold;  /* the similarity that makes a near duplicate */
    FILE *out;         /* where the pairs go */
    const ev_log *log; /* the bad lines of either set, "file:line: ..." */
} ev_leak_opts;

typedef struct ev_leak_result {
    unsigned long train, eval;               /* the cases of each set */
    unsigned long train_inputs, eval_inputs; /* those whose input is not empty */
    unsigned long exact;                     /* eval cases with a training case of the same input */
    unsigned long near;                      /* eval cases with near duplicates only */
} ev_leak_result;

/* ev_leak_check checks the eval sets named by the 'neval' operands 'eval'
 * against the training set, and writes the pairs. It stops early when 'out'
 * fails or the run is interrupted. Returns the number of problems. */
unsigned long ev_leak_check(const ev_leak_opts *o, char **eval, int neval, ev_leak_result *res);

/* ev_leak_no_verdict says why the check 'res' gives no verdict, or returns
 * NULL when it gives one. */
const char *ev_leak_no_verdict(const ev_leak_result *res);

#endif
