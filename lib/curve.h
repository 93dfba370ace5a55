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

typedef struct ev_point {
    double n; /* training examples */
    double k; /* eval cases right */
    double N; /* eval cases */
} ev_point;

enum ev_curve_model {
    EV_CURVE_LOGLINEAR, /* acc = a + b log2 n: the same gain per doubling */
    EV_CURVE_LOGIT,     /* logit acc = a + b ln n, binomial maximum likelihood */
    EV_CURVE_POWER,     /* acc = a - b n^-c: a power law with a ceiling a */
};

typedef struct ev_fit {
    enum ev_curve_model model;
    bool ok;         /* the fit converged */
    double a, b, c;  /* parameters as in the model's formula */
    double deviance; /* binomial deviance of the fitted curve */
} ev_fit;

/* ev_fit_curve fits 'model' to 'np' points. The power law needs 4 or more
 * distinct n; with fewer, or when a fit fails, the result has ok false. */
ev_fit ev_fit_curve(enum ev_curve_model model, const ev_point *p, size_t np);

/* ev_fit_predict is the fitted accuracy at n. */
double ev_fit_predict(const ev_fit *f, double n);

/* ev_fit_solve returns n* for 'target', or INFINITY when the fit never
 * reaches it. */
double ev_fit_solve(const ev_fit *f, double target);

/* The result of a bootstrap of n*. */
typedef struct ev_nstar_range {
    double lo, median, hi; /* 2.5%, 50% and 97.5% of the reachable draws */
    double unreachable;    /* share of draws whose fit never reaches the target */
    size_t draws;
} ev_nstar_range;

/* ev_bootstrap_nstar is the parametric bootstrap of STATS.md §8.6: it
 * simulates k_j from the fitted 'source' curve (the logit fit is the usual
 * source) and the target from Bin(target_N, target) when target_N > 0 (a
 * target measured on a run), refits 'model' and solves, 'B' times. */
ev_nstar_range ev_bootstrap_nstar(enum ev_curve_model model, const ev_fit *source,
                                  const ev_point *p, size_t np, double target, double target_N,
                                  size_t B, uint64_t seed);

/* ev_quantiles_nstar summarises n* draws (INFINITY for unreachable ones)
 * into a range; it sorts 'draws' in place. */
ev_nstar_range ev_quantiles_nstar(double *draws, size_t n);

/* The two-run calculator of STATS.md §8.2: from the gain per doubling G
 * (with its standard error) and the gap D to the target (with its), the
 * doublings needed k = D / G and n* = n 2^k, with a Monte Carlo range that
 * draws G and D from normals; draws with G <= 0 are unreachable. */
typedef struct ev_halving {
    double gain, gain_se, gap, gap_se;
    double doublings, nstar;
    ev_nstar_range range;
} ev_halving;

ev_halving ev_half_data(double n, double gain, double gain_se, double gap, double gap_se, size_t B,
                        uint64_t seed);

#endif
