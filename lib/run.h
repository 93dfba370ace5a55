/*
 * run.h: a scored run, gathered into one entry per case.
 *
 * Ownership: json.h.
 *
 * A run is the output of ev-score (and perhaps ev-call and ev-cost): records
 * with 'score', and maybe 'call', 'error' and 'cost'. Samples of the same case
 * under --repeat (the same id, different call.sample) are gathered into one
 * case, whose score is the mean over its samples (STATS.md §1: never pool the
 * samples as if they were independent cases).
 *
 * A run keeps what its report shows and no record: per case 72 bytes of
 * numbers, and its id once in a table of ids (intern.h), about 115 bytes a
 * case and the id's length in all. Group and cluster names are numbered in a
 * table of labels, and a case with several samples keeps 16 to 40 bytes a
 * sample to catch duplicates.
 */
#ifndef EV_RUN_H
#define EV_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "intern.h"
#include "keymap.h"

/* One case. Its id is string number i of the run's 'ids', where i is its
 * position in 'cases'. */
typedef struct ev_run_case {
    double value;                 /* sum of score.value over samples */
    double latency;               /* sum of call.latency_ms over samples that have it */
    double cost;                  /* sum of cost.total over samples that have it */
    double tokens_in, tokens_out; /* sums over samples that report usage */
    uint32_t samples;             /* records gathered */
    uint32_t passes;              /* samples that passed */
    uint32_t errors;              /* samples whose call failed */
    uint32_t nlatency, ncost;
    uint32_t groups;  /* the case's values of --by: their count at 'groups' in the
                         run's 'glist', then their labels */
    uint32_t cluster; /* label of the case's value of --cluster, or EV_INTERN_NONE */
    uint32_t sample0; /* the first record's call.sample, or EV_RUN_SAMPLE_SEEN */
} ev_run_case;

/* EV_RUN_SAMPLE_SEEN: the case's samples are in the run's 'seen' map. */
#define EV_RUN_SAMPLE_SEEN UINT32_MAX

typedef struct ev_run {
    char *path;
    ev_run_case *cases;
    size_t n, cap;
    ev_intern *ids;    /* the case ids, numbered as 'cases' */
    ev_intern *labels; /* names of groups and clusters */
    uint32_t *glist;   /* each case's groups: a count, then that many labels */
    size_t nglist, capglist;
    ev_keymap *seen; /* (case, sample) pairs of cases with several records */
} ev_run;

typedef struct ev_run_opts {
    const char *by;      /* "tag"/"tags" or a dotted field path, or NULL */
    const char *cluster; /* a dotted field path, or NULL */
} ev_run_opts;

/* A callback that receives each problem found while loading (a bad line, a
 * record without a score, a duplicate), as a string "file:line: ...", which
 * it consumes. */
typedef void (*ev_run_problem)(jv msg, void *ctx);

/* ev_run_load reads the scored run at 'path' ("-" for standard input) into
 * 'run'. Problems go to 'report' and the record is left out. Returns the
 * number of problems, or -1 when the file cannot be read at all (reported);
 * the run is then left empty. */
int ev_run_load(ev_run *run, const char *path, const ev_run_opts *o, ev_run_problem report,
                void *ctx);

/* ev_run_id returns the id of case 'i', NUL-terminated, and its length in
 * '*len'. It lives as long as the run. */
const char *ev_run_id(const ev_run *run, size_t i, size_t *len);

/* ev_run_find returns the position of the case whose id is the 'len' bytes
 * at 'id', or -1. */
long ev_run_find(const ev_run *run, const char *id, size_t len);

/* ev_run_case_groups returns the labels of the case's groups, and their count in
 * '*n'; none without --by. */
const uint32_t *ev_run_case_groups(const ev_run *run, const ev_run_case *c, size_t *n);

/* ev_run_label returns the name of 'label' as a string. */
jv ev_run_label(const ev_run *run, uint32_t label);

/* ev_run_case_score is the case's pass rate over its samples, in [0, 1]. */
double ev_run_case_score(const ev_run_case *c);

void ev_run_free(ev_run *run);

#endif
