#include "curve.h"

#include <math.h>
#include <stdlib.h>

#include "alloc.h"
#include "stats.h"

/* Weights for least squares: N / (p(1 - p)) with p = (k + 0.5) / (N + 1),
 * which keeps the variance away from zero at 0% and 100% (§8.3). */
static double
wls_weight(const ev_curve_point *p)
{
    double q = (p->k + 0.5) / (p->N + 1);
    return p->N / (q * (1 - q));
}

/* The normal quantile of a two-sided 95% interval. */
#define Z95 1.959963984540054

ev_stats_interval
ev_curve_point_ci(const ev_curve_point *p)
{
    return ev_stats_wilson((long)p->k, (long)p->N, Z95);
}

const char *
ev_curve_model_name(enum ev_curve_model m)
{
    return m == EV_CURVE_LOGLINEAR ? "loglinear" : m == EV_CURVE_LOGIT ? "logit" : "power";
}

size_t
ev_curve_distinct(const ev_curve_point *p, size_t np)
{
    size_t d = 0;
    for (size_t i = 0; i < np; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || p[j].n == p[i].n;
        d += !seen;
    }
    return d;
}

static double
deviance(const ev_curve_fit *f, const ev_curve_point *p, size_t np)
{
    double d = 0;
    for (size_t i = 0; i < np; i++) {
        double mu = ev_curve_predict(f, p[i].n);
        mu = fmin(fmax(mu, 1e-12), 1 - 1e-12);
        double k = p[i].k, N = p[i].N;
        if (k > 0)
            d += 2 * k * log(k / (N * mu));
        if (k < N)
            d += 2 * (N - k) * log((N - k) / (N * (1 - mu)));
    }
    return d;
}

/* fit_line is weighted least squares of y on x. */
static bool
fit_line(const double *x, const double *y, const double *w, size_t n, double *a, double *b)
{
    double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        sw += w[i];
        sx += w[i] * x[i];
        sy += w[i] * y[i];
        sxx += w[i] * x[i] * x[i];
        sxy += w[i] * x[i] * y[i];
    }
    double det = sw * sxx - sx * sx;
    if (!(fabs(det) > 1e-300))
        return false;
    *b = (sw * sxy - sx * sy) / det;
    *a = (sy - *b * sx) / sw;
    return true;
}

static ev_curve_fit
fit_loglinear(const ev_curve_point *p, size_t np)
{
    ev_curve_fit f = {.model = EV_CURVE_LOGLINEAR};
    double x[np], y[np], w[np];
    for (size_t i = 0; i < np; i++) {
        x[i] = log2(p[i].n);
        y[i] = p[i].k / p[i].N;
        w[i] = wls_weight(&p[i]);
    }
    f.ok = fit_line(x, y, w, np, &f.a, &f.b);
    return f;
}

/* fit_logit is logistic regression on ln n by iteratively reweighted least
 * squares: the binomial maximum-likelihood fit (§8.3). */
static ev_curve_fit
fit_logit(const ev_curve_point *p, size_t np)
{
    ev_curve_fit f = {.model = EV_CURVE_LOGIT};
    double x[np], z[np], w[np];
    /* Start from the empirical logits. */
    for (size_t i = 0; i < np; i++) {
        double q = (p[i].k + 0.5) / (p[i].N + 1);
        x[i] = log(p[i].n);
        z[i] = log(q / (1 - q));
        w[i] = p[i].N * q * (1 - q);
    }
    if (!fit_line(x, z, w, np, &f.a, &f.b))
        return f;
    for (int it = 0; it < 100; it++) {
        for (size_t i = 0; i < np; i++) {
            double eta = f.a + f.b * x[i];
            double mu = 1 / (1 + exp(-eta));
            double v = fmax(mu * (1 - mu), 1e-12);
            w[i] = p[i].N * v;
            z[i] = eta + (p[i].k / p[i].N - mu) / v;
        }
        double a = f.a, b = f.b;
        if (!fit_line(x, z, w, np, &f.a, &f.b))
            return f;
        if (fabs(f.a - a) < 1e-12 && fabs(f.b - b) < 1e-12)
            break;
    }
    f.ok = isfinite(f.a) && isfinite(f.b);
    return f;
}

/* power_sse is the weighted squared error of a - b n^-c. */
static double
power_sse(const ev_curve_point *p, size_t np, const double *w, double a, double b, double c)
{
    double s = 0;
    for (size_t i = 0; i < np; i++) {
        double r = p[i].k / p[i].N - (a - b * pow(p[i].n, -c));
        s += w[i] * r * r;
    }
    return s;
}

/* The power law's bounds: a ceiling a of at most 1 (100%), b >= 0, and an
 * exponent c from POWER_CMIN to POWER_CMAX. */
#define POWER_CMIN 1e-6
#define POWER_CMAX 5.0
/* The exponents tried before the search narrows down, evenly spaced in
 * ln c. */
#define POWER_GRID 128

/* power_ab fits a and b of a - b n^-c for a fixed exponent 'c' to the
 * points with weights 'w': a weighted linear least-squares problem with
 * a <= 1 and b >= 0, whose optimum is the unconstrained one when that
 * keeps the bounds, else the best of the two edges a = 1 and b = 0. It
 * returns the weighted squared error. */
static double
power_ab(const ev_curve_point *p, size_t np, const double *w, double c, double *a, double *b)
{
    /* Weighted sums of t = n^-c and the accuracy y. */
    double sw = 0, st = 0, sy = 0, stt = 0, sty = 0;
    for (size_t i = 0; i < np; i++) {
        double t = pow(p[i].n, -c), y = p[i].k / p[i].N;
        sw += w[i];
        st += w[i] * t;
        sy += w[i] * y;
        stt += w[i] * t * t;
        sty += w[i] * t * y;
    }
    /* Unconstrained: y = a - b t. */
    double det = sw * stt - st * st;
    if (fabs(det) > 1e-300) {
        double ub = -(sw * sty - st * sy) / det, ua = (sy + ub * st) / sw;
        if (ua <= 1 && ub >= 0) {
            *a = ua;
            *b = ub;
            return power_sse(p, np, w, ua, ub, c);
        }
    }
    /* The edge a = 1: b by least squares, kept at 0 or above. */
    double eb = stt > 0 ? fmax(0, (st - sty) / stt) : 0;
    double s1 = power_sse(p, np, w, 1, eb, c);
    /* The edge b = 0: a is the weighted mean, kept at 1 or below. */
    double ea = fmin(1, sy / sw);
    double s0 = power_sse(p, np, w, ea, 0, c);
    *a = s1 <= s0 ? 1 : ea;
    *b = s1 <= s0 ? eb : 0;
    return fmin(s1, s0);
}

/* power_slope is the derivative of the profile error min over a, b of the
 * weighted squared error at the exponent 'c': by the envelope theorem, the
 * partial derivative in c at the best a and b. */
static double
power_slope(const ev_curve_point *p, size_t np, const double *w, double c)
{
    double a, b, g = 0;
    power_ab(p, np, w, c, &a, &b);
    for (size_t i = 0; i < np; i++) {
        double t = pow(p[i].n, -c);
        double r = p[i].k / p[i].N - (a - b * t);
        g -= 2 * w[i] * r * b * t * log(p[i].n);
    }
    return g;
}

/* fit_power is weighted nonlinear least squares (§8.3) within the bounds
 * above, by variable projection: for each exponent c the best a and b are
 * a bounded linear problem (power_ab), which leaves a search over c alone.
 * A grid in ln c finds the best region, and the zero of the profile's
 * derivative within it gives c to machine precision; a bound on a or b that
 * holds at the optimum is met exactly, not approached. */
static ev_curve_fit
fit_power(const ev_curve_point *p, size_t np)
{
    ev_curve_fit f = {.model = EV_CURVE_POWER};
    if (ev_curve_distinct(p, np) < 4)
        return f;
    double w[np], a, b;
    for (size_t i = 0; i < np; i++)
        w[i] = wls_weight(&p[i]);
    double step = log(POWER_CMAX / POWER_CMIN) / (POWER_GRID - 1), best = INFINITY;
    int at = 0;
    for (int g = 0; g < POWER_GRID; g++) {
        double s = power_ab(p, np, w, POWER_CMIN * exp(step * g), &a, &b);
        if (s < best) {
            best = s;
            at = g;
        }
    }
    double lo = POWER_CMIN * exp(step * (at > 0 ? at - 1 : 0));
    double hi = at + 1 < POWER_GRID ? POWER_CMIN * exp(step * (at + 1)) : POWER_CMAX;
    double c = POWER_CMIN * exp(step * at);
    if (power_slope(p, np, w, lo) < 0 && power_slope(p, np, w, hi) > 0) {
        /* Bisection on the slope's sign, until the bracket cannot shrink. */
        for (int it = 0; it < 200; it++) {
            double mid = lo + (hi - lo) / 2;
            if (!(mid > lo && mid < hi))
                break;
            if (power_slope(p, np, w, mid) < 0)
                lo = mid;
            else
                hi = mid;
        }
        c = lo + (hi - lo) / 2;
    } else if (at == 0 && power_slope(p, np, w, POWER_CMIN) >= 0) {
        c = POWER_CMIN;
    } else if (at == POWER_GRID - 1 && power_slope(p, np, w, POWER_CMAX) <= 0) {
        c = POWER_CMAX;
    }
    power_ab(p, np, w, c, &f.a, &f.b);
    f.c = c;
    f.ok = isfinite(f.a) && isfinite(f.b);
    return f;
}

ev_curve_fit
ev_curve_fit_points(enum ev_curve_model model, const ev_curve_point *p, size_t np)
{
    ev_curve_fit f = {.model = model};
    if (np < 2 || ev_curve_distinct(p, np) < 2)
        return f;
    switch (model) {
    case EV_CURVE_LOGLINEAR:
        f = fit_loglinear(p, np);
        break;
    case EV_CURVE_LOGIT:
        f = fit_logit(p, np);
        break;
    case EV_CURVE_POWER:
        f = fit_power(p, np);
        break;
    }
    if (f.ok)
        f.deviance = deviance(&f, p, np);
    return f;
}

double
ev_curve_predict(const ev_curve_fit *f, double n)
{
    switch (f->model) {
    case EV_CURVE_LOGLINEAR:
        return f->a + f->b * log2(n);
    case EV_CURVE_LOGIT:
        return 1 / (1 + exp(-(f->a + f->b * log(n))));
    case EV_CURVE_POWER:
        return f->a - f->b * pow(n, -f->c);
    }
    return NAN;
}

enum ev_curve_trend
ev_curve_trend(const ev_curve_fit *f)
{
    if (f->model == EV_CURVE_POWER)
        return f->b > 0 && f->c > 0 ? EV_CURVE_RISING : EV_CURVE_FLAT;
    return f->b > 0 ? EV_CURVE_RISING : f->b < 0 ? EV_CURVE_FALLING : EV_CURVE_FLAT;
}

const char *
ev_curve_trend_name(enum ev_curve_trend t)
{
    return t == EV_CURVE_RISING ? "rising" : t == EV_CURVE_FALLING ? "falling" : "flat";
}

/* crossing is where a rising fit reaches 't', or INFINITY when it never
 * does (a ceiling at or below it). */
static double
crossing(const ev_curve_fit *f, double t)
{
    switch (f->model) {
    case EV_CURVE_LOGLINEAR:
        return exp2((t - f->a) / f->b);
    case EV_CURVE_LOGIT:
        return t >= 1 ? INFINITY : exp((log(t / (1 - t)) - f->a) / f->b);
    case EV_CURVE_POWER:
        return f->a > t ? pow(f->b / (f->a - t), 1 / f->c) : INFINITY;
    }
    return NAN;
}

double
ev_curve_solve(const ev_curve_fit *f, double t, double nmin)
{
    if (!f->ok)
        return NAN;
    if (ev_curve_predict(f, nmin) >= t)
        return nmin;
    if (ev_curve_trend(f) != EV_CURVE_RISING)
        return INFINITY;
    return fmax(nmin, crossing(f, t));
}

/* smallest is the smallest n of the 'np' points of 'p'. */
static double
smallest(const ev_curve_point *p, size_t np)
{
    double n = INFINITY;
    for (size_t i = 0; i < np; i++)
        n = fmin(n, p[i].n);
    return n;
}

static int
cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* quantile is the type-7 quantile of the sorted 'x', where INFINITY is a
 * value like any other: a quantile that lies between a number and INFINITY
 * is INFINITY. */
static double
quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n || h == (double)lo)
        return x[lo];
    if (isinf(x[lo + 1]))
        return INFINITY;
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

ev_curve_range
ev_curve_quantiles(double *draws, size_t n)
{
    ev_curve_range r = {NAN, NAN, NAN, NAN, n};
    if (n == 0)
        return r;
    qsort(draws, n, sizeof(*draws), cmp_double);
    size_t reach = 0;
    while (reach < n && isfinite(draws[reach]))
        reach++;
    r.unreachable = (double)(n - reach) / (double)n;
    r.lo = quantile(draws, n, 0.025);
    r.median = quantile(draws, n, 0.5);
    r.hi = quantile(draws, n, 0.975);
    return r;
}

ev_curve_range
ev_curve_bootstrap(const ev_curve_fit *fit, const ev_curve_point *p, size_t np, double target,
                   double target_N, size_t B, uint64_t seed)
{
    double *draws = ev_alloc((B ? B : 1) * sizeof(*draws));
    ev_curve_point *sim = ev_alloc(np * sizeof(*sim));
    double nmin = smallest(p, np);
    ev_stats_rng r;
    ev_stats_rng_seed(&r, seed);
    size_t n = 0;
    for (size_t b = 0; b < B; b++) {
        for (size_t i = 0; i < np; i++) {
            double mu = fmin(fmax(ev_curve_predict(fit, p[i].n), 0), 1);
            sim[i] = p[i];
            sim[i].k = (double)ev_stats_rng_binomial(&r, (long)p[i].N, mu);
        }
        double t = target;
        if (target_N > 0)
            t = (double)ev_stats_rng_binomial(&r, (long)target_N, target) / target_N;
        ev_curve_fit f = ev_curve_fit_points(fit->model, sim, np);
        if (!f.ok)
            continue;
        double s = ev_curve_solve(&f, t, nmin);
        if (!isnan(s))
            draws[n++] = s;
    }
    ev_curve_range out = ev_curve_quantiles(draws, n);
    free(draws);
    free(sim);
    return out;
}

ev_curve_range
ev_curve_case_bootstrap(const ev_curve_cases *d, enum ev_curve_model model, size_t B, uint64_t seed)
{
    double *draws = ev_alloc((B ? B : 1) * sizeof(*draws));
    ev_curve_point *sim = ev_alloc(d->np * sizeof(*sim));
    size_t *pick = ev_alloc((d->ncases ? d->ncases : 1) * sizeof(*pick));
    double nmin = smallest(d->p, d->np);
    ev_stats_rng r;
    ev_stats_rng_seed(&r, seed);
    size_t n = 0;
    for (size_t b = 0; b < B; b++) {
        for (size_t c = 0; c < d->ncases; c++)
            pick[c] = ev_stats_rng_below(&r, d->ncases);
        for (size_t i = 0; i < d->np; i++) {
            double k = 0;
            for (size_t c = 0; c < d->ncases; c++)
                k += d->scores[i][pick[c]];
            sim[i] = (ev_curve_point){d->p[i].n, k, d->p[i].N};
        }
        double t = d->target;
        if (d->target_scores != NULL) {
            double k = 0;
            for (size_t c = 0; c < d->ncases; c++)
                k += d->target_scores[pick[c]];
            t = k / (double)d->ncases;
        }
        ev_curve_fit f = ev_curve_fit_points(model, sim, d->np);
        if (f.ok)
            draws[n++] = ev_curve_solve(&f, t, nmin);
    }
    ev_curve_range out = ev_curve_quantiles(draws, n);
    free(draws);
    free(sim);
    free(pick);
    return out;
}

double
ev_curve_paired_se(const double *a, const double *b, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i] - b[i];
        s += x;
        s2 += x * x;
    }
    double nn = (double)n;
    return sqrt(fmax(0, s2 - s * s / nn)) / nn;
}

ev_curve_halving
ev_curve_half_data(double n, double gain, double gain_se, double gap, double gap_se, size_t B,
                   uint64_t seed)
{
    ev_curve_halving h = {gain, gain_se, gap, gap_se, NAN, NAN, {NAN, NAN, NAN, NAN, 0}};
    h.doublings = gain > 0 ? gap / gain : INFINITY;
    h.nstar = gain > 0 ? n * exp2(h.doublings) : INFINITY;
    double *draws = ev_alloc((B ? B : 1) * sizeof(*draws));
    ev_stats_rng r;
    ev_stats_rng_seed(&r, seed);
    for (size_t b = 0; b < B; b++) {
        double g = gain + gain_se * ev_stats_rng_normal(&r);
        double d = gap + gap_se * ev_stats_rng_normal(&r);
        draws[b] = g > 0 ? n * exp2(d / g) : INFINITY;
    }
    h.range = ev_curve_quantiles(draws, B);
    free(draws);
    return h;
}
