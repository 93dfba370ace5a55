/*
 * compare.h: what a scored run says, and whether a candidate matches or beats
 * a baseline, as one JSON report.
 *
 * Ownership: json.h.
 *
 * The methods are those of STATS.md: Wilson intervals for one accuracy,
 * pairing by case id, Tango's score interval and McNemar's exact test for a
 * binary paired difference, a t interval on per-case differences when cases
 * carry several samples or clusters (never narrower than the Wilson or
 * Tango interval of the expected one-sample counts: ev-compare(1), "The
 * floor"), and the verdict rule of §6. With no paired case there is no
 * verdict.
 */
#ifndef EV_COMPARE_H
#define EV_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "run.h"

/* The result of a goal with nothing to judge: no paired scored case, or an
 * accuracy of no case. There is no verdict then, and no goal is met. */
#define EV_COMPARE_NO_EVIDENCE "no evidence"
/* What a comparison without a paired case says, as "no_evidence". */
#define EV_COMPARE_NOTHING_PAIRED                                                                  \
    "the runs have no scored case id in common: there is nothing to compare and no verdict"

enum ev_compare_goal { EV_COMPARE_GOAL_NONE, EV_COMPARE_GOAL_SURPASS, EV_COMPARE_GOAL_MATCH };

typedef struct ev_compare_opts {
    double level;   /* confidence level, 0.95 */
    bool exact;     /* Clopper-Pearson instead of Wilson for one accuracy */
    bool clustered; /* cases carry clusters: use clustered standard errors */
    bool by;        /* cases carry groups: add per-group figures */
    enum ev_compare_goal goal;
    double margin; /* for EV_COMPARE_GOAL_MATCH: an absolute difference */
    bool has_min;  /* --min-accuracy given */
    double min_accuracy;
    uint64_t seed;  /* bootstrap seed, reported */
    long bootstrap; /* bootstrap resamples */
    long max_ids;   /* how many regressed/fixed ids to list, -1 for all */
    /* The candidate served from dedicated capacity at 'per_hour' (0: not),
     * 'traffic' cases a day, 'concurrency' calls at once (ev-cost(1),
     * "Hosting"): its cost per call against the baseline's per token. */
    double per_hour, traffic, concurrency;
} ev_compare_opts;

/* ev_compare_run summarises one run: cases, accuracy and its interval, graded
 * score, failed calls, latency percentiles, tokens and cost, pass@k and
 * pass^k under repeats, per group when 'o->by', and the --min-accuracy goal. */
jv ev_compare_run(const ev_run *run /* borrowed */, const ev_compare_opts *o);

/* ev_compare_pair compares 'cand' with 'base' on the cases they share, and
 * gives the verdict for 'o->goal' and 'o->has_min'. The result's "met" is
 * true only when every goal asked for is met; an inconclusive result is not. */
jv ev_compare_pair(const ev_run *base /* borrowed */, const ev_run *cand /* borrowed */,
                   const ev_compare_opts *o);

/* A comparison without a paired case has no figures but its counts, says
 * why in "no_evidence", and its "met" is false, goal or not. */

/* ev_compare_runs is the whole report of the 'n' runs at 'runs': {runs,
 * comparisons}, each run summarised and every run after the first compared
 * with the first, and "met" when a goal was asked for: true only when every
 * goal is met. The --min-accuracy goal is judged on the lone run, or on each
 * candidate. When a comparison, or the goal of a lone run, has no case to
 * rest on, "no_evidence" is true and "met" false. */
jv ev_compare_runs(const ev_run *runs /* borrowed */, size_t n, const ev_compare_opts *o);

#endif
