/* lib/curve against the worked examples of STATS.md §8.2 and §8.5. The
 * parameters there are given to 4 places, n* to whole examples; bootstrap
 * figures are seed-dependent and "indicative only", so they are checked
 * loosely. */
#include <stdlib.h>

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
    CHECK(round(ev_curve_solve(&f, 0.60)) == 295,
          "log-linear n* is 295 (STATS.md rounds to nearest)");

    f = ev_curve_fit_points(EV_CURVE_LOGIT, points, 4);
    CHECK(f.ok, "logit fit converges");
    CHECK_NEAR(f.a, -1.4864, 5e-5, "logit alpha");
    CHECK_NEAR(f.b, 0.3323, 5e-5, "logit beta per ln n");
    CHECK_NEAR(f.deviance, 0.197, 5e-4, "logit deviance");
    CHECK(round(ev_curve_solve(&f, 0.60)) == 297, "logit n* is 297");

    f = ev_curve_fit_points(EV_CURVE_POWER, points, 4);
    CHECK(f.ok, "power-law fit converges");
    CHECK_NEAR(f.a, 0.7067, 5e-4, "power-law ceiling a");
    CHECK_NEAR(f.b, 1.0561, 5e-3, "power-law b");
    CHECK_NEAR(f.c, 0.3736, 2e-3, "power-law c");
    CHECK_NEAR(ev_curve_solve(&f, 0.60), 461, 5, "power-law n* is about 461");
    CHECK(isinf(ev_curve_solve(&f, 0.75)), "a target above the ceiling is unreachable");

    ev_curve_fit few = ev_curve_fit_points(EV_CURVE_POWER, points, 3);
    CHECK(!few.ok, "the power law needs four distinct n");
    ev_curve_point flat[] = {{50, 100, 200}, {100, 100, 200}};
    ev_curve_fit lf = ev_curve_fit_points(EV_CURVE_LOGLINEAR, flat, 2);
    CHECK(lf.ok && isinf(ev_curve_solve(&lf, 0.6)), "a flat curve never reaches a higher target");
}

static void
test_bootstrap(void)
{
    ev_curve_fit src = ev_curve_fit_points(EV_CURVE_LOGIT, points, 4);
    ev_curve_range r = ev_curve_bootstrap(EV_CURVE_LOGIT, &src, points, 4, 0.60, 0, 1000, 1);
    /* STATS.md: [163, 2029], median 292, with its own seed. */
    CHECK(r.lo > 120 && r.lo < 210, "logit bootstrap low end near 163");
    CHECK(r.median > 250 && r.median < 340, "logit bootstrap median near 292");
    CHECK(r.hi > 1300 && r.hi < 3200, "logit bootstrap high end near 2029");
    ev_curve_range again = ev_curve_bootstrap(EV_CURVE_LOGIT, &src, points, 4, 0.60, 0, 1000, 1);
    CHECK(again.lo == r.lo && again.hi == r.hi, "the bootstrap is reproducible for a seed");

    r = ev_curve_bootstrap(EV_CURVE_POWER, &src, points, 4, 0.60, 0, 1000, 1);
    /* STATS.md: 20% of resamples have a ceiling at or below 0.60. */
    CHECK(r.unreachable > 0.10 && r.unreachable < 0.32, "power law unreachable in about 20%");
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
    test_bootstrap();
    test_half_data();
    UNIT_DONE();
}
