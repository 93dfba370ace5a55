/*
 * stats.h: the statistics behind ev-compare and ev-curve.
 *
 * The formulas, defaults and test vectors are in STATS.md; the section numbers
 * below refer to it. Every function is pure: no allocation beyond what its
 * comment says, no printing. Intervals are two-sided at the normal quantile
 * 'z' (1.959964 for 95%).
 */
#ifndef EV_STATS_H
#define EV_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ev_stats_interval {
    double lo, hi;
} ev_stats_interval;

/* Distributions. */
double ev_stats_norm_cdf(double x);
double ev_stats_norm_quantile(double p); /* Acklam, refined by one Halley step */
double ev_stats_t_cdf(double t, double df);
double ev_stats_t_quantile(double p, double df);
double ev_stats_beta_inc(double a, double b, double x); /* regularised I_x(a, b) */
double ev_stats_binom_cdf(long k, long n, double p);    /* P(X <= k) */
double ev_stats_binom_pmf(long k, long n, double p);

/* §3: one proportion, k successes out of n. Wilson's interval takes a count
 * that is not whole, such as an expected count (the sum of per-case pass
 * rates), as its formula does. */
ev_stats_interval ev_stats_wilson(double k, double n, double z);
ev_stats_interval ev_stats_clopper_pearson(long k, long n, double alpha);

/* §4.2: McNemar exact two-sided p and mid-p on the discordant counts. */
typedef struct ev_stats_mcnemar {
    double p, midp;
} ev_stats_mcnemar;
ev_stats_mcnemar ev_stats_mcnemar_test(long b, long c);

/* §4.3: Tango score interval for the paired difference (b - c) / n, where b
 * counts the cases only the candidate got right, c those only the baseline
 * got right. ev_stats_tango_z is the score statistic at a hypothesised difference.
 * The counts may be expected counts, not whole, as the formula allows. */
ev_stats_interval ev_stats_tango(double b, double c, double n, double z);
double ev_stats_tango_z(double b, double c, double n, double delta0);

/* §4.4: Newcombe's method 10, with the correction for positive association. */
ev_stats_interval ev_stats_newcombe(long a, long b, long c, long d, double z);

/* §5.3: minimum detectable paired difference at n, with discordance psi, for
 * a two-sided test at level alpha with the given power: Connor 1987. */
double ev_stats_mde_paired(double psi, long n, double alpha, double power);
/* Cases needed for non-inferiority at 'margin' when the true difference is 0
 * (§6), one-sided alpha. */
double ev_stats_n_noninferiority(double psi, double margin, double alpha, double power);
/* Cases needed to detect a difference 'delta' (Connor 1987, §5.3). */
double ev_stats_n_paired(double psi, double delta, double alpha, double power);

/* Moments of 'n' values. */
double ev_stats_mean(const double *x, size_t n);
double ev_stats_var(const double *x, size_t n); /* sample variance, n - 1 */
double ev_stats_pearson(const double *x, const double *y, size_t n);

/* §5.2: standard error of the mean of 'x' with cluster labels 'cluster'
 * (any integers). Miller's Eq. 4 and the CR1 form used by Inspect. 'nclusters'
 * receives the number of distinct clusters. */
double ev_stats_se_cluster_miller(const double *x, const long *cluster, size_t n,
                                  size_t *nclusters);
double ev_stats_se_cluster_cr1(const double *x, const long *cluster, size_t n, size_t *nclusters);

/* §7.1: type-7 quantile of sorted 'x'. */
double ev_stats_quantile_sorted(const double *x, size_t n, double p);

/* §7.2: 1-based ranks of the distribution-free CI for the p-quantile; 0 for
 * an end that does not exist at this n. Returns the coverage. */
double ev_stats_quantile_ci_ranks(size_t n, double p, double alpha, size_t *lo, size_t *hi);

/* A small, seeded, reproducible random number generator (SplitMix64). */
typedef struct ev_stats_rng {
    uint64_t s;
} ev_stats_rng;
void ev_stats_rng_seed(ev_stats_rng *r, uint64_t seed);
uint64_t ev_stats_rng_next(ev_stats_rng *r);
double ev_stats_rng_unit(ev_stats_rng *r);            /* [0, 1) */
size_t ev_stats_rng_below(ev_stats_rng *r, size_t n); /* [0, n), unbiased */
double ev_stats_rng_normal(ev_stats_rng *r);
/* ev_stats_rng_binomial draws the successes in 'n' trials of chance 'p': exactly up
 * to 1000 trials, and past that in a time that does not grow with 'n' (a
 * normal draw when many of either outcome are expected). */
long ev_stats_rng_binomial(ev_stats_rng *r, long n, double p);

/* §5.1: paired bootstrap percentile interval of the mean of 'd' (B
 * resamples, type-7 percentiles). Allocates B doubles temporarily. */
ev_stats_interval ev_stats_bootstrap_mean(const double *d, size_t n, size_t B, double level,
                                          uint64_t seed);

#endif
