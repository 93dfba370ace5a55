/* lib/curve against the worked examples of STATS.md §8.2 and §8.5. The
 * parameters there are given to 4 places, n* to whole examples; bootstrap
 * figures are seed-dependent and "indicative only", so they are checked
 * loosely. */
#include <stdlib.h>

#include "alloc.h"
#include "curve.h"
#include "unit.h"

static const ev_curve_point points[] = {
    {25, 78, 200}, {50, 92, 200}, {100, 104, 200}, {200, 112, 200}};

static void
test_fits(void)
{
    ev_curve_fit f = ev_curve_fit_points(EV_CURVE_LOGLINEAR, points, 4);
    CHECK(f.ok, "log-linear fit converges");
    CHECK_NEAR(f.a, 0.1318, 5e-5, "log-linear alpha");
    CHECK_NEAR(f.b, 0.0571, 5e-5, "log-linear beta per doubling");
    CHECK(round(ev_curve_solve(&f, 0.60, 25)) == 295,
          "log-linear n* is 295 (STATS.md rounds to nearest)");

    f = ev_curve_fit_points(EV_CURVE_LOGIT, points, 4);
    CHECK(f.ok, "logit fit converges");
    CHECK_NEAR(f.a, -1.4864, 5e-5, "logit alpha");
    CHECK_NEAR(f.b, 0.3323, 5e-5, "logit beta per ln n");
    CHECK_NEAR(f.deviance, 0.197, 5e-4, "logit deviance");
    CHECK(round(ev_curve_solve(&f, 0.60, 25)) == 297, "logit n* is 297");

    f = ev_curve_fit_points(EV_CURVE_POWER, points, 4);
    CHECK(f.ok, "power-law fit converges");
    CHECK_NEAR(f.a, 0.7067, 5e-4, "power-law ceiling a");
    CHECK_NEAR(f.b, 1.0561, 5e-3, "power-law b");
    CHECK_NEAR(f.c, 0.3736, 2e-3, "power-law c");
    CHECK_NEAR(ev_curve_solve(&f, 0.60, 25), 461, 5, "power-law n* is about 461");
    CHECK(isinf(ev_curve_solve(&f, 0.75, 25)), "a target above the ceiling is unreachable");

    /* n* is never below the smallest size tried, whichever way a fit goes. */
    f = ev_curve_fit_points(EV_CURVE_LOGLINEAR, points, 4);
    CHECK(ev_curve_trend(&f) == EV_CURVE_RISING, "the worked fit rises");
    CHECK(ev_curve_solve(&f, 0.30, 25) == 25, "a target met at the smallest size gives that size");
    ev_curve_point falling[] = {{10, 60, 100}, {20, 58, 100}, {40, 57, 100}, {80, 55, 100}};
    for (int m = EV_CURVE_LOGLINEAR; m <= EV_CURVE_LOGIT; m++) {
        f = ev_curve_fit_points((enum ev_curve_model)m, falling, 4);
        CHECK(ev_curve_trend(&f) == EV_CURVE_FALLING, "a falling fit");
        CHECK(ev_curve_solve(&f, 0.54, 10) == 10, "meets a lower target at the smallest size");
        CHECK(isinf(ev_curve_solve(&f, 0.65, 10)), "never reaches a higher one");
    }
    f = ev_curve_fit_points(EV_CURVE_POWER, falling, 4);
    CHECK(ev_curve_trend(&f) == EV_CURVE_FLAT && f.b == 0, "the power law can only be flat");
    CHECK(ev_curve_solve(&f, 0.54, 10) == 10, "and meets a target below its level at once");
    CHECK_STR(ev_curve_trend_name(EV_CURVE_FALLING), "falling", "trends have names");

    ev_curve_fit few = ev_curve_fit_points(EV_CURVE_POWER, points, 3);
    CHECK(!few.ok, "the power law needs four distinct n");
    ev_curve_point flat[] = {{50, 100, 200}, {100, 100, 200}};
    ev_curve_fit lf = ev_curve_fit_points(EV_CURVE_LOGLINEAR, flat, 2);
    CHECK(lf.ok && isinf(ev_curve_solve(&lf, 0.6, 50)),
          "a flat curve never reaches a higher target");
}

/* wsse is the power law's weighted squared error, with the weights of
 * ev-curve(1): N / (p~(1 - p~)), p~ = (k + 1/2) / (N + 1). */
static double
wsse(const ev_curve_fit *f, const ev_curve_point *p, size_t np)
{
    double s = 0;
    for (size_t i = 0; i < np; i++) {
        double q = (p[i].k + 0.5) / (p[i].N + 1), r = p[i].k / p[i].N - ev_curve_predict(f, p[i].n);
        s += p[i].N / (q * (1 - q)) * r * r;
    }
    return s;
}

/* The power law against scipy.optimize.least_squares with the bounds a <= 1,
 * b >= 0, 0 <= c <= 5 (tests/reference/curve_power.py), to 1e-6: an
 * interior optimum, three whose ceiling sits at the bound a = 1, where the
 * Levenberg-Marquardt fit with clamping stopped short (on ceiling-1 at
 * b = 22.29, c = 1.347, error 5.981 against 3.963), and unequal eval sizes. */
static void
test_power_reference(void)
{
    static const struct {
        const char *name;
        ev_curve_point p[5];
        size_t np;
        double a, b, c, sse;
    } cases[] = {
        {"worked",
         {{25, 78, 200}, {50, 92, 200}, {100, 104, 200}, {200, 112, 200}},
         4,
         0.7067440128,
         1.0561296643,
         0.3736360439,
         0.0077347461},
        {"ceiling-1",
         {{10, 1, 100}, {20, 55, 100}, {40, 89, 100}, {80, 95, 100}, {160, 99, 100}},
         5,
         1,
         26.5550790469,
         1.4280418367,
         3.9626397632},
        {"ceiling-2",
         {{10, 2, 100}, {20, 47, 100}, {40, 79, 100}, {80, 97, 100}, {160, 100, 100}},
         5,
         1,
         26.8461617340,
         1.4354385459,
         22.5769282162},
        {"ceiling-3",
         {{10, 66, 100}, {20, 89, 100}, {40, 94, 100}, {80, 99, 100}, {160, 100, 100}},
         5,
         1,
         12.9204550638,
         1.5777155852,
         1.2310410653},
        {"unequal",
         {{10, 12, 50}, {30, 31, 80}, {100, 52, 100}, {300, 73, 120}, {1000, 95, 150}},
         5,
         0.7287486942,
         1.1809104009,
         0.3772194109,
         0.2650449542},
    };
    char what[96];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ev_curve_fit f = ev_curve_fit_points(EV_CURVE_POWER, cases[i].p, cases[i].np);
        snprintf(what, sizeof(what), "power law, %s: fits", cases[i].name);
        CHECK(f.ok, what);
        snprintf(what, sizeof(what), "power law, %s: a as scipy", cases[i].name);
        CHECK_NEAR(f.a, cases[i].a, 1e-6, what);
        snprintf(what, sizeof(what), "power law, %s: b as scipy", cases[i].name);
        CHECK_NEAR(f.b, cases[i].b, 1e-6, what);
        snprintf(what, sizeof(what), "power law, %s: c as scipy", cases[i].name);
        CHECK_NEAR(f.c, cases[i].c, 1e-6, what);
        snprintf(what, sizeof(what), "power law, %s: weighted error as scipy", cases[i].name);
        CHECK_NEAR(wsse(&f, cases[i].p, cases[i].np), cases[i].sse, 1e-6, what);
    }
    /* A ceiling at the bound is met exactly. */
    ev_curve_fit f = ev_curve_fit_points(EV_CURVE_POWER, cases[1].p, cases[1].np);
    CHECK(f.a == 1, "an active bound a = 1 is met, not approached");
}

static void
test_bootstrap(void)
{
    ev_curve_fit logit = ev_curve_fit_points(EV_CURVE_LOGIT, points, 4);
    ev_curve_range r = ev_curve_bootstrap(&logit, points, 4, 0.60, 0, 1000, 1);
    /* STATS.md: [163, 2029], median 292, with its own seed. */
    CHECK(r.lo > 120 && r.lo < 210, "logit bootstrap low end near 163");
    CHECK(r.median > 250 && r.median < 340, "logit bootstrap median near 292");
    CHECK(r.hi > 1300 && r.hi < 3200, "logit bootstrap high end near 2029");
    ev_curve_range again = ev_curve_bootstrap(&logit, points, 4, 0.60, 0, 1000, 1);
    CHECK(again.lo == r.lo && again.hi == r.hi, "the bootstrap is reproducible for a seed");

    /* The power law's range comes from its own fit; more than 2.5% of its
     * resamples put the ceiling at or below 0.60, so the upper end is
     * never, and its n* (461) lies within the range. */
    ev_curve_fit power = ev_curve_fit_points(EV_CURVE_POWER, points, 4);
    r = ev_curve_bootstrap(&power, points, 4, 0.60, 0, 1000, 1);
    CHECK(r.unreachable > 0.10 && r.unreachable < 0.40, "power law unreachable in about 20-30%");
    CHECK(isinf(r.hi), "so its upper end is never");
    CHECK(r.lo < ev_curve_solve(&power, 0.60, 25), "and its low end is below its n*");
}

/* draws returns 1, 2, ..., 1000 with the 'never' largest replaced by
 * INFINITY, shuffled. */
static double *
draws(size_t never)
{
    double *d = ev_alloc(1000 * sizeof(*d));
    for (size_t i = 0; i < 1000; i++)
        d[(i * 389) % 1000] = i >= 1000 - never ? INFINITY : (double)(i + 1);
    return d;
}

/* The range is taken over all the draws, "never" counting as infinite
 * (type-7 percentiles, by hand: the 2.5% of 1..1000 is x[24] + 0.975
 * (x[25] - x[24]) = 25.975, the median 500.5, the 97.5% x[974] + 0.025
 * (x[975] - x[974]) = 975.025). */
static void
test_quantiles(void)
{
    double *d = draws(0);
    ev_curve_range r = ev_curve_quantiles(d, 1000);
    CHECK_NEAR(r.lo, 25.975, 1e-9, "2.5% of all draws");
    CHECK_NEAR(r.median, 500.5, 1e-9, "the median");
    CHECK_NEAR(r.hi, 975.025, 1e-9, "97.5% of all draws");
    CHECK(r.unreachable == 0 && r.draws == 1000, "none unreachable");
    free(d);
    d = draws(24);
    r = ev_curve_quantiles(d, 1000);
    CHECK_NEAR(r.hi, 975.025, 1e-9, "2.4% never: the upper end is still a number");
    CHECK_NEAR(r.unreachable, 0.024, 1e-12, "and the share is 2.4%");
    free(d);
    d = draws(25);
    r = ev_curve_quantiles(d, 1000);
    CHECK(isinf(r.hi), "2.5% never: the upper end is never");
    CHECK_NEAR(r.lo, 25.975, 1e-9, "the low end stays");
    free(d);
    d = draws(500);
    r = ev_curve_quantiles(d, 1000);
    CHECK(isinf(r.median), "half never: the median is never");
    CHECK_NEAR(r.lo, 25.975, 1e-9, "the low end stays");
    free(d);
    d = draws(976);
    r = ev_curve_quantiles(d, 1000);
    CHECK(isinf(r.lo), "97.6% never: the low end is never too");
    free(d);
}

static void
test_half_data(void)
{
    /* N = 200: 100 vs 50 examples, discordant 24 vs 8; candidate vs baseline
     * 10 vs 30. The paired SE is sqrt((b + c) - (b - c)^2 / n) / n. */
    double g = 16.0 / 200, gse = sqrt(32 - 256.0 / 200) / 200;
    double d = 20.0 / 200, dse = sqrt(40 - 400.0 / 200) / 200;
    CHECK_NEAR(gse, 0.0277, 5e-5, "gain SE");
    CHECK_NEAR(dse, 0.0308, 5e-5, "gap SE");
    ev_curve_halving h = ev_curve_half_data(100, g, gse, d, dse, 100000, 1);
    CHECK_NEAR(h.doublings, 1.25, 1e-9, "1.25 doublings");
    CHECK(round(h.nstar) == 238, "n* is about 238");
    CHECK(h.range.lo > 125 && h.range.lo < 145, "range low end near 135");
    CHECK(h.range.hi > 1450 && h.range.hi < 2000, "range high end near 1707");
    CHECK(h.range.unreachable > 0.0005 && h.range.unreachable < 0.005, "P(G <= 0) is about 0.002");

    /* The same SEs from per-case scores: 24 cases gained and 8 lost of 200
     * give the gain's; 30 and 10 the gap's. */
    double s50[200], s100[200], base[200];
    for (int i = 0; i < 200; i++) {
        s50[i] = i < 84;
        s100[i] = i < 76 || (i >= 92 && i < 116);
        base[i] = (i >= 10 && i < 76) || (i >= 92 && i < 146);
    }
    CHECK_NEAR(ev_curve_paired_se(s100, s50, 200), gse, 1e-12, "the paired SE of the gain");
    CHECK_NEAR(ev_curve_paired_se(base, s100, 200), dse, 1e-12, "the paired SE of the gap");
}

int
main(void)
{
    test_fits();
    test_power_reference();
    test_bootstrap();
    test_quantiles();
    test_half_data();
    UNIT_DONE();
}
