#include "stats.h"
#include "alloc.h"

#include <math.h>
#include <stdlib.h>

#define BISECT_STEPS 200
/* Up to this many trials a binomial draw is n Bernoulli draws, as it always
 * was, so the draws of a seed stay the same. */
#define BINOMIAL_EXACT_MAX 1000

double
ev_stats_norm_cdf(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

double
ev_stats_norm_quantile(double p)
{
    /* Acklam's rational approximation (relative error 1.15e-9), then one
     * Halley step on erfc, which brings it to double precision. */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double plow = 0.02425;
    double q, r, x;

    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    if (p < plow) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = ev_stats_norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* betacf evaluates the continued fraction of the incomplete beta function by
 * the modified Lentz method. */
static double
betacf(double a, double b, double x)
{
    const double eps = 1e-15, tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;

    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < eps)
            break;
    }
    return h;
}

double
ev_stats_beta_inc(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double
ev_stats_t_cdf(double t, double df)
{
    double tail = 0.5 * ev_stats_beta_inc(df / 2, 0.5, df / (df + t * t));
    return t > 0 ? 1 - tail : tail;
}

double
ev_stats_t_quantile(double p, double df)
{
    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    double lo = -1e3, hi = 1e3;
    for (int i = 0; i < BISECT_STEPS && hi - lo > 1e-13; i++) {
        double mid = (lo + hi) / 2;
        if (ev_stats_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

double
ev_stats_binom_pmf(long k, long n, double p)
{
    if (k < 0 || k > n)
        return 0;
    if (p <= 0)
        return k == 0;
    if (p >= 1)
        return k == n;
    return exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log(p) +
               (n - k) * log1p(-p));
}

double
ev_stats_binom_cdf(long k, long n, double p)
{
    if (k < 0)
        return 0;
    if (k >= n)
        return 1;
    if (p <= 0)
        return 1;
    if (p >= 1)
        return 0;
    /* P(X <= k) = I_{1-p}(n - k, k + 1). */
    return ev_stats_beta_inc((double)(n - k), (double)k + 1, 1 - p);
}

ev_stats_interval
ev_stats_wilson(double k, double n, double z)
{
    ev_stats_interval ci = {0, 1};
    if (!(n > 0))
        return ci;
    double p = k / n, nn = n;
    double denom = 1 + z * z / nn;
    double centre = (p + z * z / (2 * nn)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn));
    ci.lo = k == 0 ? 0 : fmax(0, centre - half);
    ci.hi = k == n ? 1 : fmin(1, centre + half);
    return ci;
}

ev_stats_interval
ev_stats_clopper_pearson(long k, long n, double alpha)
{
    ev_stats_interval ci = {0, 1};
    if (n <= 0)
        return ci;
    if (k > 0) {
        /* P(X >= k | p) rises with p; find where it is alpha/2. */
        double lo = 0, hi = 1;
        for (int i = 0; i < BISECT_STEPS && hi - lo > 1e-15; i++) {
            double mid = (lo + hi) / 2;
            if (1 - ev_stats_binom_cdf(k - 1, n, mid) < alpha / 2)
                lo = mid;
            else
                hi = mid;
        }
        ci.lo = (lo + hi) / 2;
    }
    if (k < n) {
        /* P(X <= k | p) falls with p. */
        double lo = 0, hi = 1;
        for (int i = 0; i < BISECT_STEPS && hi - lo > 1e-15; i++) {
            double mid = (lo + hi) / 2;
            if (ev_stats_binom_cdf(k, n, mid) > alpha / 2)
                lo = mid;
            else
                hi = mid;
        }
        ci.hi = (lo + hi) / 2;
    }
    return ci;
}

ev_stats_mcnemar
ev_stats_mcnemar_test(long b, long c)
{
    ev_stats_mcnemar t = {1, 1};
    long m = b + c, k = b < c ? b : c;
    if (m == 0 || b == c)
        return t;
    double tail = ev_stats_binom_cdf(k, m, 0.5);
    t.p = fmin(1, 2 * tail);
    t.midp = fmin(1, 2 * tail - ev_stats_binom_pmf(k, m, 0.5));
    return t;
}

double
ev_stats_tango_z(double b, double c, double n, double delta0)
{
    double nn = n, n12 = b, n21 = c;
    double qa = 2 * nn;
    double qb = -n12 - n21 + (2 * nn - n12 + n21) * delta0;
    double qc = -n21 * delta0 * (1 - delta0);
    double disc = qb * qb - 4 * qa * qc;
    double q21 = (-qb + sqrt(disc > 0 ? disc : 0)) / (2 * qa);
    double var = nn * (2 * q21 + delta0 * (1 - delta0));
    double num = n12 - n21 - nn * delta0;
    if (var <= 0)
        return num > 0 ? INFINITY : num < 0 ? -INFINITY : 0;
    return num / sqrt(var);
}

ev_stats_interval
ev_stats_tango(double b, double c, double n, double z)
{
    ev_stats_interval ci = {-1, 1};
    if (!(n > 0))
        return ci;
    const double eps = 1e-12;
    double est = (b - c) / n;
    /* Z falls as delta0 rises: the lower end is where Z = +z, the upper
     * where Z = -z. */
    double lo = -1 + eps, hi = est;
    if (ev_stats_tango_z(b, c, n, lo) <= z) {
        ci.lo = -1;
    } else {
        for (int i = 0; i < BISECT_STEPS && hi - lo > 1e-14; i++) {
            double mid = (lo + hi) / 2;
            if (ev_stats_tango_z(b, c, n, mid) > z)
                lo = mid;
            else
                hi = mid;
        }
        ci.lo = (lo + hi) / 2;
    }
    lo = est;
    hi = 1 - eps;
    if (ev_stats_tango_z(b, c, n, hi) >= -z) {
        ci.hi = 1;
    } else {
        for (int i = 0; i < BISECT_STEPS && hi - lo > 1e-14; i++) {
            double mid = (lo + hi) / 2;
            if (ev_stats_tango_z(b, c, n, mid) > -z)
                lo = mid;
            else
                hi = mid;
        }
        ci.hi = (lo + hi) / 2;
    }
    return ci;
}

ev_stats_interval
ev_stats_newcombe(long a, long b, long c, long d, double z)
{
    long n = a + b + c + d;
    ev_stats_interval ci = {-1, 1};
    if (n <= 0)
        return ci;
    double nn = (double)n;
    double p1 = (double)(a + b) / nn, p2 = (double)(a + c) / nn;
    ev_stats_interval w1 = ev_stats_wilson(a + b, n, z), w2 = ev_stats_wilson(a + c, n, z);
    double num = (double)a * (double)d - (double)b * (double)c;
    if (num > nn / 2)
        num -= nn / 2;
    else if (num >= 0)
        num = 0;
    double prod = (double)(a + b) * (double)(c + d) * (double)(a + c) * (double)(b + d);
    double phi = prod > 0 ? num / sqrt(prod) : 0;
    double est = p1 - p2;
    double l1 = p1 - w1.lo, u1 = w1.hi - p1, l2 = p2 - w2.lo, u2 = w2.hi - p2;
    ci.lo = est - sqrt(fmax(0, l1 * l1 - 2 * phi * l1 * u2 + u2 * u2));
    ci.hi = est + sqrt(fmax(0, u1 * u1 - 2 * phi * u1 * l2 + l2 * l2));
    return ci;
}

double
ev_stats_n_paired(double psi, double delta, double alpha, double power)
{
    double za = ev_stats_norm_quantile(1 - alpha / 2), zb = ev_stats_norm_quantile(power);
    double v = psi - delta * delta;
    double t = za * sqrt(psi) + zb * sqrt(v > 0 ? v : 0);
    return t * t / (delta * delta);
}

double
ev_stats_mde_paired(double psi, long n, double alpha, double power)
{
    if (psi <= 0 || n <= 0)
        return NAN;
    /* The n needed falls as delta grows; bisect on delta in (0, sqrt(psi)]. */
    double lo = 1e-9, hi = sqrt(psi);
    if (ev_stats_n_paired(psi, hi, alpha, power) > (double)n)
        return NAN;
    for (int i = 0; i < BISECT_STEPS && hi - lo > 1e-12; i++) {
        double mid = (lo + hi) / 2;
        if (ev_stats_n_paired(psi, mid, alpha, power) > (double)n)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

double
ev_stats_n_noninferiority(double psi, double margin, double alpha, double power)
{
    double t = ev_stats_norm_quantile(1 - alpha) + ev_stats_norm_quantile(power);
    return t * t * psi / (margin * margin);
}

double
ev_stats_mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return n ? s / (double)n : NAN;
}

double
ev_stats_var(const double *x, size_t n)
{
    if (n < 2)
        return NAN;
    double m = ev_stats_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

double
ev_stats_pearson(const double *x, const double *y, size_t n)
{
    double mx = ev_stats_mean(x, n), my = ev_stats_mean(y, n), sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

typedef struct labelled {
    long label;
    double e;
} labelled;

static int
by_label(const void *a, const void *b)
{
    long x = ((const labelled *)a)->label, y = ((const labelled *)b)->label;
    return (x > y) - (x < y);
}

/* cluster_sums returns, over clusters, the sum of squared cluster totals of
 * the residuals and the sum of squared residuals, and counts the clusters. */
static int
cluster_sums(const double *x, const long *cl, size_t n, double *tt, double *ee, size_t *nc)
{
    labelled *v = ev_alloc(n * sizeof(*v));
    double m = ev_stats_mean(x, n);
    for (size_t i = 0; i < n; i++) {
        v[i].label = cl[i];
        v[i].e = x[i] - m;
    }
    qsort(v, n, sizeof(*v), by_label);
    *tt = *ee = 0;
    *nc = 0;
    for (size_t i = 0; i < n;) {
        double t = 0;
        size_t j = i;
        for (; j < n && v[j].label == v[i].label; j++) {
            t += v[j].e;
            *ee += v[j].e * v[j].e;
        }
        *tt += t * t;
        (*nc)++;
        i = j;
    }
    free(v);
    return 0;
}

double
ev_stats_se_cluster_miller(const double *x, const long *cl, size_t n, size_t *nclusters)
{
    double tt, ee;
    if (n < 2 || cluster_sums(x, cl, n, &tt, &ee, nclusters) != 0)
        return NAN;
    double nn = (double)n;
    double se2 = ev_stats_var(x, n) / nn + (tt - ee) / (nn * nn);
    return sqrt(se2 > 0 ? se2 : 0);
}

double
ev_stats_se_cluster_cr1(const double *x, const long *cl, size_t n, size_t *nclusters)
{
    double tt, ee;
    if (n < 2 || cluster_sums(x, cl, n, &tt, &ee, nclusters) != 0 || *nclusters < 2)
        return NAN;
    double c = (double)*nclusters;
    return sqrt(c / (c - 1) * tt) / (double)n;
}

double
ev_stats_quantile_sorted(const double *x, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

double
ev_stats_quantile_ci_ranks(size_t n, double p, double alpha, size_t *lo, size_t *hi)
{
    long nn = (long)n;
    *lo = 0;
    *hi = 0;
    for (long l = nn; l >= 1; l--) {
        if (ev_stats_binom_cdf(l - 1, nn, p) <= alpha / 2) {
            *lo = (size_t)l;
            break;
        }
    }
    for (long u = 1; u <= nn; u++) {
        if (ev_stats_binom_cdf(u - 1, nn, p) >= 1 - alpha / 2) {
            *hi = (size_t)u;
            break;
        }
    }
    if (*lo == 0 || *hi == 0)
        return NAN;
    return ev_stats_binom_cdf((long)*hi - 1, nn, p) - ev_stats_binom_cdf((long)*lo - 1, nn, p);
}

void
ev_stats_rng_seed(ev_stats_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t
ev_stats_rng_next(ev_stats_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double
ev_stats_rng_unit(ev_stats_rng *r)
{
    return (double)(ev_stats_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

size_t
ev_stats_rng_below(ev_stats_rng *r, size_t n)
{
    /* Rejection keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = ev_stats_rng_next(r);
    } while (v >= limit);
    return (size_t)(v % n);
}

double
ev_stats_rng_normal(ev_stats_rng *r)
{
    double u1 = ev_stats_rng_unit(r), u2 = ev_stats_rng_unit(r);
    return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

long
ev_stats_rng_binomial(ev_stats_rng *r, long n, double p)
{
    long k = 0;
    if (n <= BINOMIAL_EXACT_MAX) {
        for (long i = 0; i < n; i++)
            k += ev_stats_rng_unit(r) < p;
        return k;
    }
    /* Past that, the time must not grow with n. Count the rarer outcome:
     * few expected, as the gaps between them, which are geometric (exact, in
     * time proportional to their number); many, as a rounded normal draw
     * with the binomial's mean and variance. */
    double q = p < 0.5 ? p : 1 - p;
    if (!(q > 0)) {
        k = 0;
    } else if ((double)n * q < 50) {
        double lq = log1p(-q), t = 0;
        for (;;) {
            t += floor(log(1 - ev_stats_rng_unit(r)) / lq) + 1;
            if (t > (double)n)
                break;
            k++;
        }
    } else {
        double m = (double)n * q, x = floor(m + sqrt(m * (1 - q)) * ev_stats_rng_normal(r) + 0.5);
        k = x < 0 ? 0 : x > (double)n ? n : (long)x;
    }
    return p < 0.5 ? k : n - k;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

ev_stats_interval
ev_stats_bootstrap_mean(const double *d, size_t n, size_t B, double level, uint64_t seed)
{
    ev_stats_interval ci = {NAN, NAN};
    if (n == 0 || B == 0)
        return ci;
    double *means = ev_alloc(B * sizeof(*means));
    ev_stats_rng r;
    ev_stats_rng_seed(&r, seed);
    for (size_t b = 0; b < B; b++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += d[ev_stats_rng_below(&r, n)];
        means[b] = s / (double)n;
    }
    qsort(means, B, sizeof(*means), cmp_double);
    ci.lo = ev_stats_quantile_sorted(means, B, (1 - level) / 2);
    ci.hi = ev_stats_quantile_sorted(means, B, 1 - (1 - level) / 2);
    free(means);
    return ci;
}
