/* lib/stats against the test vectors of STATS.md, to 1e-6 unless the vector
 * itself is given to fewer places. */
#include <stdlib.h>
#include <sys/resource.h>

#include "stats.h"
#include "unit.h"

#define Z95 1.959963984540054
#define TOL 1e-6

static void
test_quantiles(void)
{
    CHECK_NEAR(ev_stats_norm_quantile(0.975), 1.9599639845, 1e-9, "z 0.975");
    CHECK_NEAR(ev_stats_norm_quantile(0.95), 1.6448536270, 1e-9, "z 0.95");
    CHECK_NEAR(ev_stats_norm_quantile(0.90), 1.2815515655, 1e-9, "z 0.90");
    CHECK_NEAR(ev_stats_norm_quantile(0.80), 0.8416212336, 1e-9, "z 0.80");
    CHECK_NEAR(ev_stats_norm_quantile(0.001), -3.090232306, 1e-8, "z 0.001 (lower tail branch)");
    CHECK_NEAR(ev_stats_t_quantile(0.975, 9), 2.262157, TOL, "t 0.975 df 9");
    CHECK_NEAR(ev_stats_t_quantile(0.975, 19), 2.093024, TOL, "t 0.975 df 19");
    CHECK_NEAR(ev_stats_t_quantile(0.975, 29), 2.045230, TOL, "t 0.975 df 29");
    CHECK_NEAR(ev_stats_t_quantile(0.975, 49), 2.009575, TOL, "t 0.975 df 49");
    CHECK_NEAR(ev_stats_t_quantile(0.975, 99), 1.984217, TOL, "t 0.975 df 99");
}

static void
check_ci(ev_stats_interval got, double lo, double hi, const char *name)
{
    CHECK_NEAR(got.lo, lo, TOL, name);
    CHECK_NEAR(got.hi, hi, TOL, name);
}

static void
test_one_proportion(void)
{
    check_ci(ev_stats_wilson(60, 100, Z95), 0.502003, 0.690599, "Wilson 60/100");
    check_ci(ev_stats_wilson(50, 100, Z95), 0.403832, 0.596168, "Wilson 50/100");
    check_ci(ev_stats_wilson(30, 100, Z95), 0.218949, 0.395849, "Wilson 30/100");
    check_ci(ev_stats_wilson(9, 10, Z95), 0.595850, 0.982124, "Wilson 9/10");
    check_ci(ev_stats_wilson(0, 20, Z95), 0, 0.161125, "Wilson 0/20");
    check_ci(ev_stats_wilson(20, 20, Z95), 0.838875, 1, "Wilson 20/20");
    check_ci(ev_stats_clopper_pearson(60, 100, 0.05), 0.497209, 0.696705, "Clopper-Pearson 60/100");
    check_ci(ev_stats_clopper_pearson(50, 100, 0.05), 0.398321, 0.601679, "Clopper-Pearson 50/100");
    check_ci(ev_stats_clopper_pearson(30, 100, 0.05), 0.212406, 0.399815, "Clopper-Pearson 30/100");
    check_ci(ev_stats_clopper_pearson(9, 10, 0.05), 0.554984, 0.997471, "Clopper-Pearson 9/10");
    check_ci(ev_stats_clopper_pearson(0, 20, 0.05), 0, 0.168433, "Clopper-Pearson 0/20");
    check_ci(ev_stats_clopper_pearson(20, 20, 0.05), 0.831567, 1, "Clopper-Pearson 20/20");
}

static void
test_mcnemar(void)
{
    ev_stats_mcnemar t = ev_stats_mcnemar_test(15, 5);
    CHECK_NEAR(t.p, 0.041389, TOL, "McNemar 15,5 exact");
    CHECK_NEAR(t.midp, 0.026604, TOL, "McNemar 15,5 mid-p");
    CHECK_NEAR(ev_stats_binom_cdf(5, 20, 0.5), 21700.0 / 1048576.0, 1e-12,
               "binomial tail 21700/2^20");
    t = ev_stats_mcnemar_test(10, 2);
    CHECK_NEAR(t.p, 0.038574, TOL, "McNemar 10,2 exact");
    CHECK_NEAR(t.midp, 0.022461, TOL, "McNemar 10,2 mid-p");
    t = ev_stats_mcnemar_test(8, 10);
    CHECK_NEAR(t.p, 0.814529, TOL, "McNemar 8,10 exact");
    CHECK_NEAR(t.midp, 0.647606, TOL, "McNemar 8,10 mid-p");
    t = ev_stats_mcnemar_test(7, 0);
    CHECK_NEAR(t.p, 0.015625, TOL, "McNemar 7,0 exact");
    CHECK_NEAR(t.midp, 0.0078125, TOL, "McNemar 7,0 mid-p");
    t = ev_stats_mcnemar_test(12, 4);
    CHECK_NEAR(t.p, 0.076813, TOL, "McNemar 12,4 exact");
    CHECK_NEAR(t.midp, 0.049042, TOL, "McNemar 12,4 mid-p");
    t = ev_stats_mcnemar_test(6, 6);
    CHECK(t.p == 1 && t.midp == 1, "McNemar with b = c reports p = 1");
    t = ev_stats_mcnemar_test(0, 0);
    CHECK(t.p == 1, "McNemar with no discordant pairs reports p = 1");
}

static void
test_paired_intervals(void)
{
    check_ci(ev_stats_tango(28, 25, 618, ev_stats_norm_quantile(0.95)), -0.014834, 0.024715,
             "Tango 28,25 n 618 at 90%");
    check_ci(ev_stats_tango(20, 60, 1000, Z95), -0.058354, -0.023068, "Tango 20,60 n 1000");
    check_ci(ev_stats_tango(5, 15, 100, Z95), -0.192397, -0.013447, "Tango 45,5,15,35");
    check_ci(ev_stats_tango(12, 4, 100, Z95), 0.001783, 0.165588, "Tango 40,12,4,44");
    check_ci(ev_stats_tango(8, 10, 100, Z95), -0.108749, 0.067443, "Tango 50,8,10,32");
    check_ci(ev_stats_tango(40, 50, 500, Z95), -0.057820, 0.017457, "Tango 250,40,50,160");
    /* Expected counts, not whole (tests/reference/compare_floor.py). */
    check_ci(ev_stats_tango(11.25, 3.75, 30, Z95), -0.003234090, 0.471853757,
             "Tango on an expected table 11.25, 3.75 of 30");
    check_ci(ev_stats_tango(10, 0, 20, Z95), 0.258312263, 0.700701992, "Tango 10, 0 of 20");
    check_ci(ev_stats_wilson(40, 40, Z95), 0.912378399, 1, "Wilson 40/40");
    CHECK_NEAR(ev_stats_tango_z(8, 10, 100, -0.05), 0.699, 5e-4, "Tango Z(-0.05) at n 100");
    CHECK_NEAR(ev_stats_tango_z(40, 50, 500, -0.05), 1.563, 5e-4, "Tango Z(-0.05) at n 500");
    CHECK_NEAR(1 - ev_stats_norm_cdf(ev_stats_tango_z(8, 10, 100, -0.05)), 0.242, 5e-4,
               "non-inferiority p at n 100");
    ev_stats_interval t0 = ev_stats_tango(0, 0, 50, Z95);
    CHECK(t0.lo < 0 && t0.hi > 0 && t0.lo > -1, "Tango with no discordant pairs straddles 0");
    check_ci(ev_stats_newcombe(45, 5, 15, 35, Z95), -0.184506, -0.012283, "Newcombe 45,5,15,35");
    check_ci(ev_stats_newcombe(40, 12, 4, 44, Z95), 0.000989, 0.156627, "Newcombe 40,12,4,44");
    check_ci(ev_stats_newcombe(50, 8, 10, 32, Z95), -0.103731, 0.064298, "Newcombe 50,8,10,32");
}

static void
test_power(void)
{
    CHECK_NEAR(ev_stats_n_paired(0.20, 0.10, 0.05, 0.8), 154.6, 0.05, "Connor n psi .2 delta .1");
    CHECK_NEAR(ev_stats_n_paired(0.20, 0.05, 0.05, 0.8), 625.5, 0.05, "Connor n psi .2 delta .05");
    CHECK_NEAR(ev_stats_n_paired(0.30, 0.10, 0.05, 0.8), 233.1, 0.05, "Connor n psi .3 delta .1");
    CHECK_NEAR(ev_stats_n_paired(0.10, 0.05, 0.05, 0.8), 311.6, 0.05, "Connor n psi .1 delta .05");
    CHECK_NEAR(ev_stats_mde_paired(0.2, 100, 0.05, 0.8), 0.124, 5e-4, "MDE n 100");
    CHECK_NEAR(ev_stats_mde_paired(0.2, 200, 0.05, 0.8), 0.088, 5e-4, "MDE n 200");
    CHECK_NEAR(ev_stats_mde_paired(0.2, 500, 0.05, 0.8), 0.056, 5e-4, "MDE n 500");
    CHECK_NEAR(ev_stats_mde_paired(0.2, 1000, 0.05, 0.8), 0.040, 5e-4, "MDE n 1000");
    CHECK(ceil(ev_stats_n_noninferiority(0.2, 0.05, 0.025, 0.8)) == 628,
          "NI n psi .2 M .05 is 628");
    CHECK(ceil(ev_stats_n_noninferiority(0.2, 0.10, 0.025, 0.8)) == 157,
          "NI n psi .2 M .10 is 157");
    CHECK(ceil(ev_stats_n_noninferiority(0.1, 0.05, 0.025, 0.8)) == 314,
          "NI n psi .1 M .05 is 314");
}

static void
test_clusters(void)
{
    double s[] = {1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1};
    long c[] = {1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3};
    size_t nc = 0;
    CHECK_NEAR(ev_stats_mean(s, 12), 0.583333, TOL, "cluster vector mean");
    CHECK_NEAR(sqrt(ev_stats_var(s, 12) / 12), 0.148647, TOL, "cluster vector SE_CLT");
    CHECK_NEAR(ev_stats_se_cluster_miller(s, c, 12, &nc), 0.185325, TOL, "SE Miller Eq. 4");
    CHECK(nc == 3, "three clusters counted");
    CHECK_NEAR(ev_stats_se_cluster_cr1(s, c, 12, &nc), 0.220807, TOL, "SE CR1 (Inspect)");
}

static void
test_latency(void)
{
    double x[] = {120, 135, 150, 160, 180, 200, 220, 250, 400, 900};
    CHECK_NEAR(ev_stats_quantile_sorted(x, 10, 0.50), 190, 1e-9, "type-7 p50");
    CHECK_NEAR(ev_stats_quantile_sorted(x, 10, 0.90), 450, 1e-9, "type-7 p90");
    CHECK_NEAR(ev_stats_quantile_sorted(x, 10, 0.95), 675, 1e-9, "type-7 p95");
    size_t lo, hi;
    double cov = ev_stats_quantile_ci_ranks(100, 0.5, 0.05, &lo, &hi);
    CHECK(lo == 40 && hi == 61, "median CI ranks at n 100 are 40 and 61");
    CHECK_NEAR(cov, 0.9648, 5e-5, "median CI coverage at n 100");
    cov = ev_stats_quantile_ci_ranks(100, 0.9, 0.05, &lo, &hi);
    CHECK(lo == 84 && hi == 96, "p90 CI ranks at n 100 are 84 and 96");
    CHECK_NEAR(cov, 0.9557, 5e-5, "p90 CI coverage at n 100");
    cov = ev_stats_quantile_ci_ranks(100, 0.95, 0.05, &lo, &hi);
    CHECK(lo == 90 && hi == 100, "p95 CI ranks at n 100 are 90 and 100");
    CHECK_NEAR(cov, 0.9826, 5e-5, "p95 CI coverage at n 100");
    ev_stats_quantile_ci_ranks(200, 0.95, 0.05, &lo, &hi);
    CHECK(lo == 184 && hi == 197, "p95 CI ranks at n 200 are 184 and 197");
    cov = ev_stats_quantile_ci_ranks(50, 0.95, 0.05, &lo, &hi);
    CHECK(lo == 44 && hi == 0 && isnan(cov), "p95 at n 50 has no upper bound");
    ev_stats_quantile_ci_ranks(72, 0.95, 0.05, &lo, &hi);
    CHECK(hi != 0, "p95 at n 72 has an upper bound");
    ev_stats_quantile_ci_ranks(71, 0.95, 0.05, &lo, &hi);
    CHECK(hi == 0, "p95 at n 71 does not");
}

static void
test_bootstrap(void)
{
    double d[200];
    for (int i = 0; i < 200; i++)
        d[i] = (i % 5 == 0) ? 1 : (i % 7 == 0 ? -1 : 0);
    ev_stats_interval a = ev_stats_bootstrap_mean(d, 200, 2000, 0.95, 42);
    ev_stats_interval b = ev_stats_bootstrap_mean(d, 200, 2000, 0.95, 42);
    CHECK(a.lo == b.lo && a.hi == b.hi, "the bootstrap is reproducible for a seed");
    double m = ev_stats_mean(d, 200), se = sqrt(ev_stats_var(d, 200) / 200);
    CHECK(a.lo < m && m < a.hi, "the bootstrap interval contains the mean");
    CHECK_NEAR(a.hi - a.lo, 2 * Z95 * se, 0.15 * 2 * Z95 * se,
               "the bootstrap interval is about as wide as the CLT one");
    ev_stats_rng r;
    ev_stats_rng_seed(&r, 1);
    double s = 0, s2 = 0;
    for (int i = 0; i < 20000; i++) {
        double z = ev_stats_rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    CHECK(fabs(s / 20000) < 0.03 && fabs(s2 / 20000 - 1) < 0.05, "normal draws have mean 0, sd 1");
}

/* binomial_moments draws 'k' binomials of 'n' trials and chance 'p' and
 * gives their mean and variance. */
static void
binomial_moments(long n, double p, int k, double *mean, double *var)
{
    ev_stats_rng r;
    ev_stats_rng_seed(&r, 7);
    double s = 0, s2 = 0;
    for (int i = 0; i < k; i++) {
        double x = (double)ev_stats_rng_binomial(&r, n, p);
        s += x;
        s2 += x * x;
    }
    *mean = s / k;
    *var = s2 / k - *mean * *mean;
}

static void
test_binomial(void)
{
    /* Up to 1000 trials a draw is the count of unit draws below p, as it
     * always was, so a seed's bootstrap stays the same. */
    ev_stats_rng a, b;
    ev_stats_rng_seed(&a, 3);
    ev_stats_rng_seed(&b, 3);
    long want = 0;
    for (int i = 0; i < 1000; i++)
        want += ev_stats_rng_unit(&b) < 0.37;
    CHECK(ev_stats_rng_binomial(&a, 1000, 0.37) == want, "1000 trials are 1000 Bernoulli draws");

    /* Past that, a draw takes a time that does not grow with n, with the
     * binomial's mean and variance, whichever outcome is rarer. A billion
     * trials a draw would take hours otherwise: a budget of 60 CPU seconds
     * more (SIGXCPU) ends the test then. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    rlim_t cpu = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 60);
    setrlimit(RLIMIT_CPU, &(struct rlimit){cpu, cpu});
    double m, v, n = 1e9;
    binomial_moments((long)n, 0.3, 4000, &m, &v);
    CHECK_NEAR(m, n * 0.3, 4 * sqrt(n * 0.21 / 4000), "many successes: the mean is np");
    CHECK_NEAR(v, n * 0.21, 0.1 * n * 0.21, "many successes: the variance is np(1-p)");
    binomial_moments((long)n, 1e-8, 4000, &m, &v);
    CHECK_NEAR(m, 10, 4 * sqrt(10.0 / 4000), "few successes: the mean is np");
    CHECK_NEAR(v, 10, 1.5, "few successes: the variance is np(1-p)");
    binomial_moments((long)n, 1 - 1e-8, 4000, &m, &v);
    CHECK_NEAR(n - m, 10, 4 * sqrt(10.0 / 4000), "few failures: the mean is np");
    ev_stats_rng_seed(&a, 5);
    CHECK(ev_stats_rng_binomial(&a, 5000, 0) == 0 && ev_stats_rng_binomial(&a, 5000, 1) == 5000,
          "chance 0 gives none and chance 1 all");
}

int
main(void)
{
    test_quantiles();
    test_one_proportion();
    test_mcnemar();
    test_paired_intervals();
    test_power();
    test_clusters();
    test_latency();
    test_bootstrap();
    test_binomial();
    UNIT_DONE();
}
