/*
 * chart.h: the learning-curve chart, as SVG for a file and as text for a
 * terminal.
 *
 * The chart shows the points with their 95% Wilson intervals, the headline
 * fit, the target (with its 95% band when it was measured on a run) and the
 * projection n* with its bootstrap range, on a log2 axis of training
 * examples.
 */
#ifndef EV_CHART_H
#define EV_CHART_H

#include <stdint.h>
#include <stdio.h>

#include "curve.h"
#include "stats.h"

/* What a chart draws. Everything is borrowed. */
typedef struct ev_chart {
    const ev_curve_point *p; /* sorted by n; at least one */
    size_t np;
    const ev_curve_fit *fit; /* the headline fit; drawn when ok */
    double target;
    ev_stats_interval target_ci; /* NaN ends for a target given as a number */
    double nstar;                /* the headline fit's n*, or INFINITY */
    ev_curve_range range;        /* its bootstrap range; NaN ends when none */
    uint64_t seed;               /* the bootstrap's seed, named in the caption */
} ev_chart;

/* ev_chart_svg writes the chart as a self-contained SVG document to 'f'.
 * The caller checks 'f' for write errors. */
void ev_chart_svg(FILE *f, const ev_chart *c);

/* ev_chart_text writes a small chart of the points, the fit and the target,
 * 12 lines of at most 64 columns, for a terminal. */
void ev_chart_text(FILE *f, const ev_chart *c);

#endif
