/*
 * runs.h: a scored run, gathered into one entry per case.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * A run is the output of ev-score (and perhaps ev-call and ev-cost): records
 * with 'score', and maybe 'call', 'error' and 'cost'. Samples of the same case
 * under --repeat (the same id, different call.sample) are gathered into one
 * case, whose score is the mean over its samples (STATS.md §1: never pool the
 * samples as if they were independent cases).
 */
#ifndef EV_RUNS_H
#define EV_RUNS_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

typedef struct ev_case {
    jv id;          /* string */
    int samples;    /* records gathered */
    int passes;     /* samples that passed */
    double value;   /* sum of score.value over samples */
    int errors;     /* samples whose call failed */
    double latency; /* sum of call.latency_ms over samples that have it */
    int nlatency;
    double cost; /* sum of cost.total over samples that have it */
    int ncost;
    double tokens_in, tokens_out; /* sums over samples that report usage */
    jv groups;                    /* array of strings: the case's values of --by */
    jv cluster;                   /* string: the case's value of --cluster, or null */
} ev_case;

typedef struct ev_run {
    char *path;
    ev_case *cases;
    size_t n, cap;
    jv index;        /* object: id -> position in 'cases' */
    jv samples_seen; /* object: "id\x1fsample" -> true, to catch duplicates */
} ev_run;

typedef struct ev_run_opts {
    const char *by;      /* "tag"/"tags" or a dotted field path, or NULL */
    const char *cluster; /* a dotted field path, or NULL */
} ev_run_opts;

/* A callback that receives each problem found while loading (a bad line, a
 * record without a score, a duplicate), as a string "file:line: ...". */
typedef void (*ev_run_problem)(jv msg, void *ctx);

/* ev_run_load reads the scored run at 'path' ("-" for standard input) into
 * 'run'. Problems go to 'report' and the record is left out. Returns the
 * number of problems, or -1 when the file cannot be read at all (reported). */
int ev_run_load(ev_run *run, const char *path, const ev_run_opts *o, ev_run_problem report,
                void *ctx);

/* ev_run_find returns the position of case 'id' (borrowed), or -1. */
long ev_run_find(const ev_run *run, jv id);

/* ev_case_score is the case's pass rate over its samples, in [0, 1]. */
double ev_case_score(const ev_case *c);

/* ev_field_path returns the value at dotted 'path' in 'rec' (borrowed), or
 * invalid when any step is missing. A step of digits indexes an array:
 * "score.value", "meta.source", "ci.0". */
jv ev_field_path(jv rec, const char *path);

void ev_run_free(ev_run *run);

#endif
