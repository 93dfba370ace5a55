#include "projection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "interrupt.h"
#include "json.h"
#include "jsonl.h"
#include "report.h"
#include "run.h"

/* The Monte Carlo draws of the half-data range. */
#define HALF_DATA_DRAWS 100000

void
ev_projection_init(ev_projection *pj, const ev_projection_opts *o)
{
    memset(pj, 0, sizeof(*pj));
    pj->o = *o;
    pj->target = o->target;
    pj->target_ci = (ev_stats_interval){NAN, NAN};
    pj->primary_n = NAN;
    pj->primary_range = (ev_curve_range){NAN, NAN, NAN, NAN, 0};
}

void
ev_projection_free(ev_projection *pj)
{
    for (size_t i = 0; i < pj->np; i++)
        free(pj->scores[i]);
    free(pj->scores);
    free(pj->target_scores);
    free(pj->p);
    memset(pj, 0, sizeof(*pj));
}

static void
add_point(ev_projection *pj, ev_curve_point pt)
{
    if (pj->np == pj->cap) {
        pj->cap = pj->cap ? 2 * pj->cap : 16;
        pj->p = ev_alloc_resize(pj->p, pj->cap * sizeof(*pj->p));
        pj->scores = ev_alloc_resize(pj->scores, pj->cap * sizeof(*pj->scores));
    }
    pj->scores[pj->np] = NULL;
    pj->p[pj->np++] = pt;
}

/* problem passes 'msg', a problem with the input, to the options'
 * callback. */
static void
problem(jv msg, void *ctx)
{
    ev_projection *pj = ctx;
    pj->o.problem(msg, pj->o.ctx);
}

/* point_error says what is wrong with the point 'pt' read from a line whose
 * 'accuracy' is 'acc' (NaN when absent), or NULL; it sets k from the
 * accuracy when the line has none. */
static const char *
point_error(ev_curve_point *pt, double acc)
{
    if (!(pt->n >= 1 && pt->n <= EV_PROJECTION_MAX_EXAMPLES))
        return "'n', the number of training examples, must be a number from 1 to 1e12";
    if (!(pt->N >= 1 && pt->N <= EV_PROJECTION_MAX_CASES) || pt->N != floor(pt->N))
        return "'N', the number of eval cases, must be a whole number from 1 to 1e9";
    if (isnan(pt->k) && isnan(acc))
        return "a point needs 'k' (cases right) or 'accuracy'";
    if (isnan(pt->k) && !(acc >= 0 && acc <= 1))
        return "'accuracy' must be from 0 to 1";
    if (isnan(pt->k))
        pt->k = round(acc * pt->N);
    if (!(pt->k >= 0 && pt->k <= pt->N))
        return "'k' must be from 0 to N";
    return NULL;
}

/* load_run loads the run at 'path' into 'run'; false when it cannot be read
 * at all. */
static bool
load_run(ev_projection *pj, ev_run *run, const char *path)
{
    ev_run_opts ro = {0};
    return ev_run_load(run, path, &ro, problem, pj) >= 0;
}

/* no_evidence says why 'run' says nothing of a model's accuracy, or NULL
 * when it does: it has no case (empty, or none of its records scored), or
 * every call of every case failed. A case with some failed samples counts,
 * with a failed sample as a fail, as in ev-compare. */
static const char *
no_evidence(const ev_run *run)
{
    if (run->n == 0)
        return "no scored case";
    for (size_t i = 0; i < run->n; i++)
        if (run->cases[i].errors < run->cases[i].samples)
            return NULL;
    return "no scored case, only failed calls";
}

jv
ev_projection_read_points(ev_projection *pj, char **paths, int n)
{
    int rc;
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, n, NULL);
    jv rec;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            problem(rec, pj);
            continue;
        }
        ev_curve_point pt = {ev_json_number(rec, "n"), ev_json_number(rec, "k"),
                             ev_json_number(rec, "N")};
        const char *why = point_error(&pt, ev_json_number(rec, "accuracy"));
        jv_free(rec);
        if (why != NULL) {
            jv where = ev_jsonl_where(&r);
            problem(jv_string_fmt("%s: %s", jv_string_value(where), why), pj);
            jv_free(where);
            continue;
        }
        add_point(pj, pt);
    }
    ev_jsonl_free(&r);
    if (pj->o.target_run == NULL)
        return jv_null();
    ev_run run;
    if (!load_run(pj, &run, pj->o.target_run))
        return jv_invalid_with_msg(
            jv_string_fmt("cannot read the target run '%s'", pj->o.target_run));
    const char *why = no_evidence(&run);
    if (why != NULL) {
        ev_run_free(&run);
        return jv_invalid_with_msg(
            jv_string_fmt("the target run '%s' has %s: nothing to project", pj->o.target_run, why));
    }
    double k = 0;
    for (size_t i = 0; i < run.n; i++)
        k += ev_run_case_score(&run.cases[i]);
    pj->target_N = (double)run.n;
    pj->target = k / (double)run.n;
    ev_run_free(&run);
    return jv_null();
}

/* shared finds the cases every run of 'runs' shares, in the first run's
 * order: it returns their number, and 'idx[i * stride + c]' is the position
 * of shared case c in run i. */
static size_t
shared(const ev_run *runs, int nr, size_t *idx, size_t stride)
{
    size_t m = 0;
    for (size_t c = 0; c < runs[0].n; c++) {
        bool all = true;
        size_t len;
        const char *id = ev_run_id(&runs[0], c, &len);
        for (int i = 1; i < nr && all; i++) {
            long j = ev_run_find(&runs[i], id, len);
            all = j >= 0;
            if (all)
                idx[(size_t)i * stride + m] = (size_t)j;
        }
        if (all)
            idx[m++] = c;
    }
    return m;
}

jv
ev_projection_read_runs(ev_projection *pj, const double *ns, char **paths, int n)
{
    const char *target_run = pj->o.target_run;
    int nr = n + (target_run != NULL), kept = 0;
    ev_run *runs = ev_alloc_zero((size_t)nr, sizeof(*runs));
    double *at = ev_alloc_zero((size_t)nr, sizeof(*at)); /* the n of each run kept */
    jv err = jv_null();
    /* A run without evidence is reported and left out; the target run
     * without it leaves nothing to project. */
    for (int i = 0; i < nr && jv_is_valid(err) && !ev_interrupt_pending(); i++) {
        const char *path = i < n ? paths[i] : target_run, *why;
        if (!load_run(pj, &runs[kept], path))
            err = jv_invalid_with_msg(jv_string_fmt(
                i < n ? "cannot read the run '%s'" : "cannot read the target run '%s'", path));
        else if ((why = no_evidence(&runs[kept])) == NULL) {
            at[kept++] = i < n ? ns[i] : NAN;
            continue;
        } else if (i == n)
            err = jv_invalid_with_msg(
                jv_string_fmt("the target run '%s' has %s: nothing to project", path, why));
        else
            problem(jv_string_fmt("'%s' has %s: left out", path, why), pj);
        ev_run_free(&runs[kept]);
    }
    int points = kept - (target_run != NULL);
    size_t stride = kept > 0 ? runs[0].n + 1 : 1;
    size_t *idx = ev_alloc_zero((size_t)nr * stride, sizeof(*idx));
    size_t m = points > 0 && jv_is_valid(err) ? shared(runs, kept, idx, stride) : 0;
    if (points > 0 && jv_is_valid(err) && m == 0)
        err = jv_invalid_with_msg(jv_string("no case id is in every run: nothing to project"));
    if (!jv_is_valid(err) || ev_interrupt_pending() || points <= 0) /* nothing to fit */
        kept = 0;
    for (int i = 0; i < kept; i++) {
        if (runs[i].n != m)
            pj->o.warn(jv_string_fmt("'%s': %zu of its %zu cases are shared by every run and used",
                                     runs[i].path, m, runs[i].n),
                       pj->o.ctx);
    }
    pj->ncases = m;
    for (int i = 0; i < kept; i++) {
        double *s = ev_alloc_zero(m + 1, sizeof(*s)), k = 0;
        for (size_t c = 0; c < m; c++) {
            size_t j = idx[(size_t)i * stride + c];
            s[c] = ev_run_case_score(&runs[i].cases[j]);
            k += s[c];
        }
        if (i < points) {
            add_point(pj, (ev_curve_point){at[i], k, (double)m});
            pj->scores[pj->np - 1] = s;
        } else {
            pj->target_scores = s;
            pj->target = k / (double)m;
            pj->target_N = (double)m;
        }
    }
    for (int i = 0; i < nr; i++)
        ev_run_free(&runs[i]);
    free(runs);
    free(at);
    free(idx);
    return err;
}

/* num is a figure of the report: rounded to 6 decimals, null when it is not
 * finite. */
static jv
num(double x)
{
    return ev_json_finite(isfinite(x) ? round(x * 1e6) / 1e6 : x);
}

static jv
pair(double lo, double hi)
{
    return jv_array_append(jv_array_append(jv_array(), num(lo)), num(hi));
}

/* half_data is the two-run calculator for the two largest distinct n, at
 * 'lo' and 'hi'. */
static jv
half_data(const ev_projection *pj, size_t lo, size_t hi)
{
    const ev_curve_point *a = &pj->p[lo], *b = &pj->p[hi];
    double pa = a->k / a->N, pb = b->k / b->N, span = log2(b->n / a->n);
    double gse, dse;
    const char *how;
    if (pj->scores[lo] != NULL) {
        gse = ev_curve_paired_se(pj->scores[hi], pj->scores[lo], pj->ncases) / span;
        dse = pj->target_scores ? ev_curve_paired_se(pj->target_scores, pj->scores[hi], pj->ncases)
                                : sqrt(pb * (1 - pb) / b->N);
        how = "paired on the shared cases";
    } else {
        gse = sqrt(pa * (1 - pa) / a->N + pb * (1 - pb) / b->N) / span;
        dse = sqrt(pb * (1 - pb) / b->N +
                   (pj->target_N > 0 ? pj->target * (1 - pj->target) / pj->target_N : 0));
        how = "unpaired (points carry no per-case scores, so this range is wider than a "
              "paired one)";
    }
    ev_curve_halving h = ev_curve_half_data(b->n, (pb - pa) / span, gse, pj->target - pb, dse,
                                            HALF_DATA_DRAWS, pj->o.seed);
    jv r = ev_json_set(jv_object(), "n", num(b->n));
    r = ev_json_set(r, "gain_per_doubling", num(h.gain));
    r = ev_json_set(r, "gain_se", num(h.gain_se));
    r = ev_json_set(r, "gap", num(h.gap));
    r = ev_json_set(r, "gap_se", num(h.gap_se));
    r = ev_json_set(r, "standard_errors", jv_string(how));
    r = ev_json_set(r, "doublings", num(h.doublings));
    r = ev_json_set(r, "n_star", num(h.nstar));
    jv range = ev_json_set(jv_object(), "lo", num(h.range.lo));
    range = ev_json_set(range, "hi", num(h.range.hi));
    range = ev_json_set(range, "unreachable", num(h.range.unreachable));
    range = ev_json_set(range, "draws", jv_number(HALF_DATA_DRAWS));
    return ev_json_set(r, "range", range);
}

static int
by_n(const void *x, const void *y)
{
    const ev_curve_point *a = x, *b = y;
    return (a->n > b->n) - (a->n < b->n);
}

/* sort orders the points, and their per-case scores, by n; points of runs
 * keep their order among equal n. */
static void
sort(ev_projection *pj)
{
    if (pj->scores[0] == NULL) {
        qsort(pj->p, pj->np, sizeof(*pj->p), by_n);
        return;
    }
    for (size_t i = 1; i < pj->np; i++)
        for (size_t j = i; j > 0 && pj->p[j].n < pj->p[j - 1].n; j--) {
            ev_curve_point tp = pj->p[j];
            pj->p[j] = pj->p[j - 1];
            pj->p[j - 1] = tp;
            double *ts = pj->scores[j];
            pj->scores[j] = pj->scores[j - 1];
            pj->scores[j - 1] = ts;
        }
}

static jv
points(const ev_projection *pj)
{
    jv pts = jv_array();
    for (size_t i = 0; i < pj->np; i++) {
        ev_stats_interval w = ev_curve_point_ci(&pj->p[i]);
        jv p = ev_json_set(jv_object(), "n", num(pj->p[i].n));
        p = ev_json_set(p, "k", num(pj->p[i].k));
        p = ev_json_set(p, "N", num(pj->p[i].N));
        p = ev_json_set(p, "accuracy", num(pj->p[i].k / pj->p[i].N));
        p = ev_json_set(p, "ci", pair(w.lo, w.hi));
        pts = jv_array_append(pts, p);
    }
    return pts;
}

static jv
target(ev_projection *pj)
{
    jv t = ev_json_set(jv_object(), "accuracy", num(pj->target));
    if (!(pj->target_N > 0))
        return t;
    ev_curve_point tp = {0, round(pj->target * pj->target_N), pj->target_N};
    pj->target_ci = ev_curve_point_ci(&tp);
    t = ev_json_set(t, "run", jv_string(pj->o.target_run));
    t = ev_json_set(t, "N", num(pj->target_N));
    return ev_json_set(t, "ci", pair(pj->target_ci.lo, pj->target_ci.hi));
}

/* range bootstraps n* for the fit 'f' from its own resamples: cases
 * resampled when the points come from runs, else parametric from 'f'. */
static ev_curve_range
range(const ev_projection *pj, const ev_curve_fit *f)
{
    ev_curve_range none = {NAN, NAN, NAN, NAN, 0};
    size_t B = (size_t)pj->o.bootstrap;
    if (pj->scores[0] != NULL) {
        ev_curve_cases cs = {pj->p, pj->np, pj->scores, pj->target_scores, pj->ncases, pj->target};
        return ev_curve_case_bootstrap(&cs, f->model, B, pj->o.seed);
    }
    if (ev_curve_distinct(pj->p, pj->np) < 3)
        return none;
    return ev_curve_bootstrap(f, pj->p, pj->np, pj->target, pj->target_N, B, pj->o.seed);
}

/* fit fits 'model', reports it as an object, and keeps the headline fit's
 * figures in 'pj'; a warning of the power law's ceiling goes to 'warnings'. */
static jv
fit(ev_projection *pj, enum ev_curve_model model, jv *warnings)
{
    ev_curve_fit f = ev_curve_fit_points(model, pj->p, pj->np);
    jv fj = ev_json_set(jv_object(), "model", jv_string(ev_curve_model_name(model)));
    if (!f.ok) {
        fj = ev_json_set(fj, "ok", jv_false());
        return ev_json_set(fj, "note",
                           jv_string(model == EV_CURVE_POWER && ev_curve_distinct(pj->p, pj->np) < 4
                                         ? "the power law needs 4 or more distinct n"
                                         : "the fit needs 2 or more distinct n"));
    }
    double ns = ev_curve_solve(&f, pj->target, pj->p[0].n);
    ev_curve_range rg = range(pj, &f);
    fj = ev_json_set(fj, "ok", jv_true());
    fj = ev_json_set(fj, "trend", jv_string(ev_curve_trend_name(ev_curve_trend(&f))));
    jv params = ev_json_set(jv_object(), "a", num(f.a));
    params = ev_json_set(params, "b", num(f.b));
    if (model == EV_CURVE_POWER)
        params = ev_json_set(params, "c", num(f.c));
    fj = ev_json_set(fj, "params", params);
    if (model == EV_CURVE_LOGLINEAR)
        fj = ev_json_set(fj, "gain_per_doubling", num(f.b));
    fj = ev_json_set(fj, "deviance", num(f.deviance));
    fj = ev_json_set(fj, "n_star", num(ns));
    fj = ev_json_set(fj, "examples_needed", isfinite(ns) ? jv_number(ceil(ns)) : jv_null());
    fj = ev_json_set(fj, "reachable", jv_bool(isfinite(ns)));
    if (rg.draws > 0) {
        jv r = ev_json_set(jv_object(), "lo", num(rg.lo));
        r = ev_json_set(r, "median", num(rg.median));
        r = ev_json_set(r, "hi", num(rg.hi));
        r = ev_json_set(r, "unreachable", num(rg.unreachable));
        fj = ev_json_set(fj, "range", r);
    }
    if (model == EV_CURVE_POWER && f.a <= pj->target)
        *warnings = jv_array_append(
            *warnings, jv_string_fmt("the power law's ceiling, %.1f%%, is below the target: "
                                     "more of the same data may never reach it",
                                     100 * f.a));
    if (model == pj->o.primary) {
        pj->primary = f;
        pj->primary_n = ns;
        pj->primary_range = rg;
    }
    return fj;
}

/* caveats appends the warnings on the number of sizes, the extrapolation
 * and the unreachable share to 'w'. */
static jv
caveats(const ev_projection *pj, size_t distinct, jv w)
{
    if (distinct < 3)
        w = jv_array_append(w, jv_string(distinct < 2 ? "one training size cannot make a curve: "
                                                        "fine-tune on at least two sizes"
                                                      : "only two training sizes: the "
                                                        "projection rests on one gain; add a "
                                                        "third size to check the shape"));
    double factor = pj->primary_n / pj->p[pj->np - 1].n;
    if (pj->primary.ok && isfinite(pj->primary_n) && factor > 10)
        w = jv_array_append(w, jv_string_fmt("the projection is %.0fx the largest size tried: "
                                             "unreliable",
                                             factor));
    else if (pj->primary.ok && isfinite(pj->primary_n) && factor > 4)
        w = jv_array_append(w, jv_string_fmt("the projection is %.1fx the largest size tried: "
                                             "speculative",
                                             factor));
    if (pj->primary.ok && !isfinite(pj->primary_n) &&
        ev_curve_trend(&pj->primary) != EV_CURVE_RISING)
        w = jv_array_append(w, jv_string("the primary fit never reaches the target: the curve "
                                         "is flat or falling"));
    if (pj->primary_range.unreachable > 0.05)
        w = jv_array_append(w, jv_string_fmt("in %.0f%% of resamples the target is never reached",
                                             100 * pj->primary_range.unreachable));
    return w;
}

jv
ev_projection_report(ev_projection *pj)
{
    if (pj->np == 0)
        return jv_invalid_with_msg(jv_string("no points to fit"));
    if (!(pj->target > 0 && pj->target < 1))
        return jv_invalid_with_msg(jv_string_fmt(
            "the target run's accuracy, %.3f, leaves nothing to project", pj->target));
    sort(pj);
    size_t distinct = ev_curve_distinct(pj->p, pj->np);
    jv rep = ev_json_set(jv_object(), "points", points(pj));
    rep = ev_json_set(rep, "target", target(pj));
    const ev_curve_point *last = &pj->p[pj->np - 1];
    rep = ev_json_set(rep, "reached", jv_bool(last->k / last->N >= pj->target));
    ev_curve_fit trend = ev_curve_fit_points(EV_CURVE_LOGLINEAR, pj->p, pj->np);
    rep =
        ev_json_set(rep, "trend",
                    trend.ok ? jv_string(ev_curve_trend_name(ev_curve_trend(&trend))) : jv_null());

    jv fits = jv_array(), warnings = jv_array();
    for (int m = EV_CURVE_LOGLINEAR; m <= EV_CURVE_POWER; m++)
        fits = jv_array_append(fits, fit(pj, (enum ev_curve_model)m, &warnings));
    rep = ev_json_set(rep, "fits", fits);
    rep = ev_json_set(rep, "primary", jv_string(ev_curve_model_name(pj->o.primary)));
    jv boot = ev_json_set(jv_object(), "method",
                          jv_string(pj->scores[0] != NULL ? "cases, resampled jointly across runs"
                                                          : "parametric, from each fit"));
    boot = ev_json_set(boot, "resamples", jv_number((double)pj->o.bootstrap));
    rep = ev_json_set(rep, "bootstrap", ev_json_set(boot, "seed", jv_number((double)pj->o.seed)));
    if (distinct == 2) {
        size_t hi = pj->np - 1, lo = hi;
        while (lo > 0 && pj->p[lo].n == pj->p[hi].n)
            lo--;
        rep = ev_json_set(rep, "half_data", half_data(pj, lo, hi));
    }
    return ev_json_set(rep, "warnings", caveats(pj, distinct, warnings));
}

ev_chart
ev_projection_chart(const ev_projection *pj)
{
    return (ev_chart){pj->p,         pj->np,        &pj->primary,      pj->target,
                      pj->target_ci, pj->primary_n, pj->primary_range, pj->o.seed};
}

/* end writes an end of a range of n*: a whole number of examples, or
 * "never" for the null of an end that is never reached. */
static const char *
end(double x, char *buf, size_t n)
{
    return isnan(x) ? "never" : ev_report_fixed(ceil(x), 0, buf, n);
}

jv
ev_projection_fit_words(jv f, double smallest)
{
    char a[32], b[32], c[32];
    if (!ev_json_true(f, "ok")) {
        jv note = ev_json_field(f, "note");
        jv t = jv_string_fmt("no fit: %s", ev_json_str(note, ""));
        jv_free(note);
        return t;
    }
    double need = ev_json_number(f, "examples_needed"), lo = ev_json_number(f, "range.lo");
    double hi = ev_json_number(f, "range.hi"), un = ev_json_number(f, "range.unreachable");
    double gain = ev_json_number(f, "gain_per_doubling");
    jv trend = ev_json_field(f, "trend");
    const char *tr = ev_json_str(trend, "");
    const char *how = strcmp(tr, "falling") == 0 ? "; the fit falls"
                      : strcmp(tr, "flat") == 0  ? "; the fit is flat"
                                                 : "";
    const char *why = strcmp(tr, "falling") == 0 ? "the fit falls"
                      : strcmp(tr, "flat") == 0  ? "the fit is flat below the target"
                                                 : "its ceiling is below the target";
    jv t;
    if (isfinite(need) && need == ceil(smallest))
        t = jv_string_fmt("n* = %s (the smallest size tried%s)",
                          ev_report_fixed(need, 0, a, sizeof(a)), how);
    else if (isfinite(need))
        t = jv_string_fmt("n* = %s", ev_report_fixed(need, 0, a, sizeof(a)));
    else
        t = jv_string_fmt("n* = never (%s)", why);
    jv_free(trend);
    if (!isnan(un))
        t = jv_string_concat(t,
                             jv_string_fmt(", 95%% range [%s, %s], unreachable in %s of resamples",
                                           end(lo, a, sizeof(a)), end(hi, b, sizeof(b)),
                                           ev_report_pct(un, c, sizeof(c))));
    if (isfinite(gain))
        t = jv_string_concat(
            t, jv_string_fmt(", %s points per doubling", ev_report_points(gain, a, sizeof(a))));
    return t;
}

/* table_fit writes one fit of the report, 'f' (borrowed), as a table line;
 * 'smallest' is the smallest size tried. */
static void
table_fit(FILE *out, jv f, double smallest)
{
    jv model = ev_json_field(f, "model");
    jv words = ev_projection_fit_words(f, smallest);
    fprintf(out, "%-10s %s\n", ev_json_str(model, ""), jv_string_value(words));
    jv_free(model);
    jv_free(words);
}

/* table_half_data writes the half-data calculation of 'rep' (borrowed), if
 * it has one. */
static void
table_half_data(FILE *out, jv rep)
{
    char g[32], d[32], n[32], lo[32], hi[32], un[32];
    jv h = ev_json_field(rep, "half_data");
    if (jv_get_kind(h) == JV_KIND_OBJECT)
        fprintf(out,
                "half-data: %s points per doubling, %s doublings to go, n* = %s, 95%% range "
                "[%s, %s], unreachable in %s%% of draws\n",
                ev_report_points(ev_json_number(h, "gain_per_doubling"), g, sizeof(g)),
                ev_report_fixed(ev_json_number(h, "doublings"), 2, d, sizeof(d)),
                ev_report_fixed(ceil(ev_json_number(h, "n_star")), 0, n, sizeof(n)),
                ev_report_fixed(ceil(ev_json_number(h, "range.lo")), 0, lo, sizeof(lo)),
                ev_report_fixed(ceil(ev_json_number(h, "range.hi")), 0, hi, sizeof(hi)),
                ev_report_fixed(100 * ev_json_number(h, "range.unreachable"), 1, un, sizeof(un)));
    jv_free(h);
}

void
ev_projection_table(FILE *out, const ev_projection *pj, jv rep, bool chart)
{
    char n[32], k[32], N[32], acc[32], ci[64];
    fprintf(out, "%-10s %6s %6s %9s  %s\n", "examples", "right", "of", "accuracy", "95% CI");
    for (size_t i = 0; i < pj->np; i++) {
        const ev_curve_point *p = &pj->p[i];
        ev_stats_interval w = ev_curve_point_ci(p);
        fprintf(out, "%-10s %6s %6s %9s  %s\n", ev_report_fixed(p->n, 0, n, sizeof(n)),
                ev_report_fixed(p->k, 0, k, sizeof(k)), ev_report_fixed(p->N, 0, N, sizeof(N)),
                ev_report_pct(p->k / p->N, acc, sizeof(acc)),
                ev_report_ci_pct(w.lo, w.hi, ci, sizeof(ci)));
    }
    fprintf(out, "\ntarget %s%s: ", ev_report_pct(pj->target, acc, sizeof(acc)),
            pj->target_N > 0 ? " (from a run)" : "");
    jv trend = ev_json_field(rep, "trend");
    bool falling = strcmp(ev_json_str(trend, ""), "falling") == 0;
    jv_free(trend);
    if (falling)
        fprintf(out, "%s, and the trend points down (%s points per doubling)\n",
                ev_json_true(rep, "reached") ? "reached at the sizes tried" : "not reached yet",
                ev_report_points(ev_json_number(rep, "fits.0.gain_per_doubling"), N, sizeof(N)));
    else
        fprintf(out, "%s\n", ev_json_true(rep, "reached") ? "reached already" : "not reached yet");
    jv fits = ev_json_field(rep, "fits");
    jv_array_foreach(fits, i, f)
    {
        table_fit(out, f, pj->p[0].n);
        jv_free(f);
        (void)i;
    }
    jv_free(fits);
    table_half_data(out, rep);
    jv warnings = ev_json_field(rep, "warnings");
    jv_array_foreach(warnings, i, w)
    {
        fprintf(out, "warning: %s\n", jv_string_value(w));
        jv_free(w);
        (void)i;
    }
    jv_free(warnings);
    fprintf(out, "bootstrap: %ld resamples, seed %llu\n", pj->o.bootstrap,
            (unsigned long long)pj->o.seed);
    jv plot = ev_json_field(rep, "plot");
    if (jv_get_kind(plot) == JV_KIND_STRING)
        fprintf(out, "chart: %s\n", jv_string_value(plot));
    jv_free(plot);
    if (chart) {
        ev_chart c = ev_projection_chart(pj);
        ev_chart_text(out, &c);
    }
}
