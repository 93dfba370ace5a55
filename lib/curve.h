/*
 * curve.h: learning curves: accuracy against the number of training
 * examples, and how many examples reach a target (STATS.md §8).
 *
 * Points are (n, k, N): n training examples, k of N eval cases right. Each
 * fit returns its parameters and solves for n*, the number of examples at
 * which the fitted accuracy reaches the target; n* is infinite when the fit
 * never reaches it (a flat or falling curve, or a ceiling below the target),
 * which is a legitimate answer.
 */
#ifndef EV_CURVE_H
#define EV_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

typedef struct ev_curve_point {
    double n; /* training examples */
    double k; /* eval cases right */
    double N; /* eval cases */
} ev_curve_point;

/* ev_curve_point_ci is the 95% Wilson interval of the point's accuracy. */
ev_stats_interval ev_curve_point_ci(const ev_curve_point *p);

enum ev_curve_model {
    EV_CURVE_LOGLINEAR, /* acc = a + b log2 n: the same gain per doubling */
    EV_CURVE_LOGIT,     /* logit acc = a + b ln n, binomial maximum likelihood */
    EV_CURVE_POWER,     /* acc = a - b n^-c: a power law with a ceiling a */
};

/* ev_curve_model_name is the model's name as options and reports spell it. */
const char *ev_curve_model_name(enum ev_curve_model m);

typedef struct ev_curve_fit {
    enum ev_curve_model model;
    bool ok;         /* the fit converged */
    double a, b, c;  /* parameters as in the model's formula */
    double deviance; /* binomial deviance of the fitted curve */
} ev_curve_fit;

/* ev_curve_fit_points fits 'model' to the 'np' points of 'p'. The power law
 * needs 4 or more distinct n; with fewer, or when a fit fails, the result
 * has ok false. */
ev_curve_fit ev_curve_fit_points(enum ev_curve_model model, const ev_curve_point *p, size_t np);

/* ev_curve_distinct counts the distinct n among the 'np' points of 'p'. */
size_t ev_curve_distinct(const ev_curve_point *p, size_t np);

/* ev_curve_predict is the fitted accuracy at n. */
double ev_curve_predict(const ev_curve_fit *f, double n);

/* Which way a fit goes as n grows: the sign of b. A power law rises unless
 * b = 0 at its bound. */
enum ev_curve_trend {
    EV_CURVE_RISING,
    EV_CURVE_FLAT,
    EV_CURVE_FALLING,
};

enum ev_curve_trend ev_curve_trend(const ev_curve_fit *f);

/* ev_curve_trend_name is "rising", "flat" or "falling". */
const char *ev_curve_trend_name(enum ev_curve_trend t);

/* ev_curve_solve returns n* for 'target': the smallest number of examples,
 * from 'nmin' (the smallest size tried) up, at which the fit is at or above
 * the target. That is 'nmin' when the fit meets the target there already,
 * whichever way it goes, since the data say nothing of fewer examples;
 * where a rising fit crosses the target, above 'nmin'; and INFINITY when
 * the fit never meets it from 'nmin' on (a flat or falling fit below the
 * target, or a ceiling at or below it). */
double ev_curve_solve(const ev_curve_fit *f, double target, double nmin);

/* The result of a bootstrap of n*. A draw whose fit never reaches the
 * target counts as n* = INFINITY ("never"), so an end is INFINITY when the
 * share of such draws passes it: the upper end once about 2.5% of the draws
 * never reach the target, the median once half do (STATS.md §8.6). */
typedef struct ev_curve_range {
    double lo, median, hi; /* type-7 2.5%, 50% and 97.5% of all the draws */
    double unreachable;    /* share of draws whose fit never reaches the target */
    size_t draws;
} ev_curve_range;

/* ev_curve_quantiles summarises 'n' draws of n* (INFINITY for unreachable
 * ones) into a range; it sorts 'draws' in place. */
ev_curve_range ev_curve_quantiles(double *draws, size_t n);

/* ev_curve_bootstrap is the parametric bootstrap of STATS.md §8.6 for the
 * fit 'fit' of the points 'p': it simulates each k_j ~ Bin(N_j, f(n_j)) from
 * the fit itself, and the target from Bin(target_N, target) / target_N when
 * target_N > 0 (a target measured on a run), refits the same model and
 * solves, 'B' times. */
ev_curve_range ev_curve_bootstrap(const ev_curve_fit *fit, const ev_curve_point *p, size_t np,
                                  double target, double target_N, size_t B, uint64_t seed);

/* Points measured on one eval set: each point's per-case scores, and the
 * target run's when the target is measured, on the same 'ncases' cases. */
typedef struct ev_curve_cases {
    const ev_curve_point *p;
    size_t np;
    double *const *scores;       /* [point][case], each in [0, 1] */
    const double *target_scores; /* [case], or NULL for a fixed target */
    size_t ncases;
    double target; /* the target when 'target_scores' is NULL */
} ev_curve_cases;

/* ev_curve_case_bootstrap resamples the cases jointly across the points and
 * the target run, refits 'model' and solves, 'B' times (STATS.md §8.6). */
ev_curve_range ev_curve_case_bootstrap(const ev_curve_cases *d, enum ev_curve_model model, size_t B,
                                       uint64_t seed);

/* ev_curve_paired_se is the standard error of the mean of the per-case
 * differences a[i] - b[i] over 'n' cases, in the population-variance form
 * of STATS.md §4.1. */
double ev_curve_paired_se(const double *a, const double *b, size_t n);

/* The two-run calculator of STATS.md §8.2: from the gain per doubling G
 * (with its standard error) and the gap D to the target (with its), the
 * doublings needed k = D / G and n* = n 2^k, with a Monte Carlo range that
 * draws G and D from normals; draws with G <= 0 are unreachable. */
typedef struct ev_curve_halving {
    double gain, gain_se, gap, gap_se;
    double doublings, nstar;
    ev_curve_range range;
} ev_curve_halving;

ev_curve_halving ev_curve_half_data(double n, double gain, double gain_se, double gap,
                                    double gap_se, size_t B, uint64_t seed);

#endif
