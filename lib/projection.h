/*
 * projection.h: ev-curve's report: learning-curve points read from point
 * lines or scored runs, the three fits of curve.h with their bootstrap
 * ranges, the half-data calculation, warnings, and the report as one JSON
 * object or as a table.
 *
 * Ownership: json.h.
 */
#ifndef EV_PROJECTION_H
#define EV_PROJECTION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jv.h>

#include "chart.h"
#include "curve.h"
#include "stats.h"

/* The largest numbers of training examples and of eval cases ev-curve
 * takes: the same for every number it reads, from a point, an operand or an
 * option. */
#define EV_PROJECTION_MAX_EXAMPLES 1e12
#define EV_PROJECTION_MAX_CASES 1e9

/* A callback that receives a message, a string, and consumes it. */
typedef void (*ev_projection_say)(jv msg, void *ctx);

typedef struct ev_projection_opts {
    double target;          /* the accuracy to reach, or NaN for 'target_run' */
    const char *target_run; /* a scored run whose accuracy is the target, or NULL */
    enum ev_curve_model primary;
    uint64_t seed;
    long bootstrap;            /* resamples */
    ev_projection_say problem; /* a bad input line, "file:line: ..." */
    ev_projection_say warn;    /* a note on the input that is no error */
    void *ctx;                 /* passed to both */
} ev_projection_opts;

/* The points, one per run or per input line, and for runs the per-case
 * scores of the cases every run shares, for a case bootstrap; then what the
 * report found for the headline fit, for the chart. */
typedef struct ev_projection {
    ev_projection_opts o;
    ev_curve_point *p;
    size_t np, cap;
    double **scores; /* [point][case], runs only */
    double *target_scores;
    size_t ncases;
    double target, target_N;     /* target_N is 0 for a fixed target */
    ev_stats_interval target_ci; /* NaN ends for a fixed target */
    ev_curve_fit primary;
    double primary_n;
    ev_curve_range primary_range;
} ev_projection;

/* ev_projection_init prepares 'pj' for 'o' (copied; its strings are
 * borrowed and must outlive 'pj'). */
void ev_projection_init(ev_projection *pj, const ev_projection_opts *o);

void ev_projection_free(ev_projection *pj);

/* ev_projection_read_points reads point lines ({"n", "k", "N"} or {"n",
 * "accuracy", "N"}) from the 'n' files of 'paths', and the target run when
 * the options name one. Every bad line goes to the problem callback and is
 * left out. Returns null, or an invalid with a message when the target run
 * cannot be read. */
jv ev_projection_read_points(ev_projection *pj, char **paths /* borrowed */, int n);

/* ev_projection_read_runs reads 'n' scored runs, run i at 'paths[i]' with
 * 'ns[i]' training examples, and the target run when the options name one,
 * and keeps the cases they all share. Returns null, or an invalid with a
 * message when a run cannot be read; an interrupt leaves no points. */
jv ev_projection_read_runs(ev_projection *pj, const double *ns /* borrowed */,
                           char **paths /* borrowed */, int n);

/* ev_projection_report fits, bootstraps and judges the points read, and
 * returns the report as one object, or an invalid with a message when there
 * is nothing to project (no points, or a target of 0% or 100%). */
jv ev_projection_report(ev_projection *pj);

/* ev_projection_chart describes the chart of the report last made. */
ev_chart ev_projection_chart(const ev_projection *pj);

/* ev_projection_fit_words is what the table says of the fit 'f' of a
 * report, after the model's name: "n* = 558, 95% range [419, 863], ...";
 * 'smallest' is the smallest size tried. A reader of the report, such as
 * ev-view's chart, words a fit as ev-curve does with it. */
jv ev_projection_fit_words(jv f /* borrowed */, double smallest);

/* ev_projection_table writes 'rep' (borrowed), a report of 'pj', as a table
 * to 'f', with the text chart when 'chart' is true. */
void ev_projection_table(FILE *f, const ev_projection *pj, jv rep /* borrowed */, bool chart);

#endif
