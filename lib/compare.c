#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cost.h"
#include "json.h"
#include "stats.h"

/* A set of cases of 'run': the whole run or one group of it. */
typedef struct caseset {
    const ev_run *run;
    const ev_run_case **c;
    size_t n;
} caseset;

static double
rnd(double x)
{
    /* Round to 1e-9 so reports carry no float noise; keep NaN as NaN. */
    return isfinite(x) ? round(x * 1e9) / 1e9 : x;
}

static jv
num(double x)
{
    return isfinite(x) ? jv_number(rnd(x)) : jv_null();
}

static jv
interval(ev_stats_interval ci)
{
    return jv_array_append(jv_array_append(jv_array(), num(ci.lo)), num(ci.hi));
}

static jv
set(jv o, const char *k, jv v)
{
    return jv_object_set(o, jv_string(k), v);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static caseset
whole_run(const ev_run *run)
{
    caseset s = {run, ev_alloc_array(NULL, run->n ? run->n : 1, sizeof(*s.c)), 0};
    for (size_t i = 0; i < run->n; i++)
        s.c[s.n++] = &run->cases[i];
    return s;
}

/* in_group says whether case 'c' of 'run' is in the group 'label' of that
 * run (EV_INTERN_NONE, a group the run does not have, holds no case). */
static bool
in_group(const ev_run *run, const ev_run_case *c, uint32_t label)
{
    size_t n;
    const uint32_t *g = ev_run_case_groups(run, c, &n);
    for (size_t i = 0; i < n; i++)
        if (g[i] == label)
            return true;
    return false;
}

static caseset
group_of(caseset all, uint32_t label)
{
    caseset s = {all.run, ev_alloc_array(NULL, all.n ? all.n : 1, sizeof(*s.c)), 0};
    for (size_t i = 0; i < all.n; i++)
        if (in_group(all.run, all.c[i], label))
            s.c[s.n++] = all.c[i];
    return s;
}

/* group_names lists the group labels of a set in first-seen order, and sets
 * '*n' to their count. */
static uint32_t *
group_names(caseset s, size_t *n)
{
    size_t nlabels = ev_intern_count(s.run->labels);
    bool *seen = ev_alloc_zero(nlabels + 1, sizeof(*seen));
    uint32_t *names = ev_alloc_array(NULL, nlabels + 1, sizeof(*names));
    *n = 0;
    for (size_t i = 0; i < s.n; i++) {
        size_t k;
        const uint32_t *g = ev_run_case_groups(s.run, s.c[i], &k);
        for (size_t j = 0; j < k; j++) {
            if (!seen[g[j]]) {
                seen[g[j]] = true;
                names[(*n)++] = g[j];
            }
        }
    }
    free(seen);
    return names;
}

/* cluster_ids numbers the clusters of the cases 'c' of 'run' 0, 1, 2... in
 * first-seen order. */
static long *
cluster_ids(const ev_run *run, const ev_run_case *const *c, size_t n)
{
    size_t nlabels = ev_intern_count(run->labels);
    long *number = ev_alloc_array(NULL, nlabels + 1, sizeof(*number));
    for (size_t i = 0; i <= nlabels; i++)
        number[i] = -1;
    long *ids = ev_alloc_array(NULL, n ? n : 1, sizeof(*ids));
    long next = 0;
    for (size_t i = 0; i < n; i++) {
        size_t label = c[i]->cluster == EV_INTERN_NONE ? nlabels : c[i]->cluster;
        if (number[label] < 0)
            number[label] = next++;
        ids[i] = number[label];
    }
    free(number);
    return ids;
}

/* mean_interval is the t interval for the mean of 'x', with a clustered
 * standard error when 'cl' is not NULL. It sets '*se' and '*df'. */
static ev_stats_interval
mean_interval(const double *x, const long *cl, size_t n, double level, double *se, double *df,
              size_t *nclusters)
{
    ev_stats_interval ci = {NAN, NAN};
    *nclusters = 0;
    if (n < 2) {
        *se = NAN;
        *df = NAN;
        return ci;
    }
    if (cl != NULL) {
        *se = ev_stats_se_cluster_cr1(x, cl, n, nclusters);
        *df = (double)*nclusters - 1;
    } else {
        *se = sqrt(ev_stats_var(x, n) / (double)n);
        *df = (double)n - 1;
    }
    if (!(*df >= 1))
        return ci;
    double t = ev_stats_t_quantile(1 - (1 - level) / 2, *df);
    double m = ev_stats_mean(x, n);
    ci.lo = m - t * *se;
    ci.hi = m + t * *se;
    return ci;
}

/* passes_case says whether case 'c' counts as passing where a case must be
 * pass or fail (the 2x2 table): when more than half of its samples pass. A
 * tie, 1 of 2 or 2 of 4, is not a pass. */
static bool
passes_case(const ev_run_case *c)
{
    return 2 * (uint64_t)c->passes > (uint64_t)c->samples;
}

/* floored widens 'ci' to hold 'single', the one-sample interval, and keeps
 * it inside [lo, hi]: an interval from averaged samples or clusters is never
 * narrower than the one the same cases give with one sample each, and never
 * of zero width (ev-compare(1), "The floor"). */
static ev_stats_interval
floored(ev_stats_interval ci, ev_stats_interval single, double lo, double hi)
{
    ev_stats_interval r = ci;
    if (!(r.lo <= single.lo)) /* NaN too */
        r.lo = single.lo;
    if (!(r.hi >= single.hi))
        r.hi = single.hi;
    r.lo = fmax(lo, r.lo);
    r.hi = fmin(hi, r.hi);
    return r;
}

static jv
latency_report(caseset s)
{
    double *l = ev_alloc((s.n ? s.n : 1) * sizeof(*l));
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.c[i]->nlatency > 0)
            l[n++] = s.c[i]->latency / s.c[i]->nlatency;
    if (n == 0) {
        free(l);
        return jv_null();
    }
    qsort(l, n, sizeof(*l), cmp_double);
    jv r = jv_object();
    r = set(r, "cases", jv_number((double)n));
    r = set(r, "p50", num(ev_stats_quantile_sorted(l, n, 0.50)));
    r = set(r, "p90", num(ev_stats_quantile_sorted(l, n, 0.90)));
    r = set(r, "p95", num(ev_stats_quantile_sorted(l, n, 0.95)));
    r = set(r, "p99", num(ev_stats_quantile_sorted(l, n, 0.99)));
    free(l);
    return r;
}

/* goal_min judges an accuracy interval against an absolute goal: met only
 * when the whole interval is at or above it. */
static jv
goal_min(ev_stats_interval ci, double min)
{
    const char *result = isnan(ci.lo) || isnan(ci.hi) ? EV_COMPARE_NO_EVIDENCE
                         : ci.lo >= min               ? "meets"
                         : ci.hi < min                ? "below"
                                                      : "inconclusive";
    jv g = jv_object();
    g = set(g, "min_accuracy", num(min));
    g = set(g, "result", jv_string(result));
    g = set(g, "met", jv_bool(ci.lo >= min));
    return g;
}

/* set_report is the per-run figures for a set of cases. '*acc_ci' receives
 * the accuracy interval. */
static jv
set_report(caseset s, const ev_compare_opts *o, ev_stats_interval *acc_ci)
{
    jv r = jv_object();
    size_t n = s.n;
    long samples = 0, passes = 0, errors = 0, kmin = 0, kmax = 0, any_pass = 0, all_pass = 0;
    double value = 0, cost = 0, tin = 0, tout = 0;
    size_t ncost = 0;
    bool graded = false;
    double *score = ev_alloc((n ? n : 1) * sizeof(*score));
    double *val = ev_alloc((n ? n : 1) * sizeof(*val));
    for (size_t i = 0; i < n; i++) {
        const ev_run_case *c = s.c[i];
        samples += c->samples;
        passes += c->passes;
        errors += c->errors;
        kmin = i == 0 || c->samples < kmin ? c->samples : kmin;
        kmax = c->samples > kmax ? c->samples : kmax;
        any_pass += c->passes > 0;
        all_pass += c->passes == c->samples;
        score[i] = ev_run_case_score(c);
        val[i] = c->value / c->samples;
        graded = graded || (c->value != c->passes);
        value += val[i];
        if (c->ncost > 0) {
            cost += c->cost / c->ncost;
            ncost++;
        }
        tin += c->tokens_in;
        tout += c->tokens_out;
    }
    bool repeats = kmax > 1;
    r = set(r, "cases", jv_number((double)n));
    r = set(r, "samples", jv_number((double)samples));
    if (repeats) {
        r = set(r, "samples_per_case",
                kmin == kmax ? jv_number((double)kmax)
                             : jv_array_append(jv_array_append(jv_array(), jv_number((double)kmin)),
                                               jv_number((double)kmax)));
    }
    r = set(r, "passes", jv_number((double)passes));
    double acc = n ? ev_stats_mean(score, n) : NAN;
    r = set(r, "accuracy", num(acc));

    long *cl = o->clustered ? cluster_ids(s.run, s.c, n) : NULL;
    double z = ev_stats_norm_quantile(1 - (1 - o->level) / 2);
    ev_stats_interval ci = {NAN, NAN};
    const char *method;
    if (!repeats && cl == NULL) {
        if (n > 0)
            ci = o->exact ? ev_stats_clopper_pearson(passes, (long)n, 1 - o->level)
                          : ev_stats_wilson((double)passes, (double)n, z);
        method = o->exact ? "clopper-pearson" : "wilson";
    } else {
        double se, df;
        size_t nc;
        ci = mean_interval(score, cl, n, o->level, &se, &df, &nc);
        /* The floor: Wilson's interval of the count one sample per case
         * would be expected to give, the sum of the per-case pass rates. */
        if (n > 0) {
            ev_stats_interval single = ev_stats_wilson(acc * (double)n, (double)n, z);
            r = set(r, "floor_ci", interval(single));
            ci = floored(ci, single, 0, 1);
        }
        method = cl ? "t, clustered (CR1)" : "t, samples averaged per case";
        if (cl) {
            r = set(r, "clusters", jv_number((double)nc));
            r = set(r, "accuracy_se", num(se));
        }
    }
    *acc_ci = ci;
    r = set(r, "accuracy_ci", interval(ci));
    r = set(r, "ci_method", jv_string(method));
    if (graded) {
        double se = n > 1 ? sqrt(ev_stats_var(val, n) / (double)n) : NAN;
        r = set(r, "mean_score", num(value / (double)(n ? n : 1)));
        r = set(r, "mean_score_se", num(se));
    }
    r = set(r, "failed_calls", jv_number((double)errors));
    r = set(r, "wrong_answers", jv_number((double)(samples - passes - errors)));
    if (repeats) {
        r = set(r, "pass_at_k", num((double)any_pass / (double)n));
        r = set(r, "pass_all_k", num((double)all_pass / (double)n));
    }
    jv lat = latency_report(s);
    if (jv_get_kind(lat) != JV_KIND_NULL)
        r = set(r, "latency_ms", lat);
    else
        jv_free(lat);
    if (tin > 0 || tout > 0) {
        jv t = jv_object();
        t = set(t, "input", num(tin));
        t = set(t, "output", num(tout));
        r = set(r, "tokens", t);
    }
    if (ncost > 0) {
        jv c = jv_object();
        c = set(c, "total", num(cost));
        c = set(c, "per_case", num(cost / (double)ncost));
        c = set(c, "cases_priced", jv_number((double)ncost));
        r = set(r, "cost", c);
    }
    free(cl);
    free(score);
    free(val);
    return r;
}

jv
ev_compare_run(const ev_run *run, const ev_compare_opts *o)
{
    caseset all = whole_run(run);
    ev_stats_interval ci;
    jv r = set(jv_object(), "run", jv_string(run->path));
    jv body = set_report(all, o, &ci);
    if (!jv_is_valid(body)) {
        free(all.c);
        jv_free(r);
        return body;
    }
    r = jv_object_merge(r, body);
    if (o->has_min)
        r = set(r, "goal", goal_min(ci, o->min_accuracy));
    if (o->by) {
        jv groups = jv_object();
        size_t ng;
        uint32_t *names = group_names(all, &ng);
        for (size_t i = 0; i < ng; i++) {
            caseset gs = group_of(all, names[i]);
            ev_stats_interval gci;
            groups = jv_object_set(groups, ev_run_label(run, names[i]), set_report(gs, o, &gci));
            free(gs.c);
        }
        free(names);
        r = set(r, "groups", groups);
    }
    free(all.c);
    return r;
}

/* A paired view: the cases of 'cand' that 'base' also has. */
typedef struct pairing {
    const ev_run *cand;
    const ev_run_case **b, **c;
    size_t n;
    size_t only_base, only_cand;
} pairing;

/* hosting prices the candidate of the 'n' pairs 'p' served from dedicated
 * capacity, from its mean latency, against the baseline's mean cost a call. */
static jv
hosting(const pairing *p, size_t n, const ev_compare_opts *o)
{
    double lat = 0, calls = 0, cost = 0;
    size_t priced = 0;
    for (size_t i = 0; i < n; i++) {
        lat += p->c[i]->latency;
        calls += p->c[i]->nlatency;
        if (p->b[i]->ncost) {
            cost += p->b[i]->cost / p->b[i]->ncost;
            priced++;
        }
    }
    jv h = jv_object();
    h = set(h, "per_hour", num(o->per_hour));
    h = set(h, "traffic", num(o->traffic));
    h = set(h, "concurrency", num(o->concurrency));
    if (calls == 0)
        return set(h, "no_evidence", jv_string("the candidate has no call.latency_ms to measure"));
    double base = priced > 0 ? cost / (double)priced : NAN;
    ev_cost_hosted x =
        ev_cost_hosted_at(o->per_hour, o->traffic, o->concurrency, lat / calls / 1000, 1, base);
    h = set(h, "latency_ms", num(lat / calls));
    h = set(h, "capacity", num(floor(x.capacity)));
    h = set(h, "replicas", num(x.replicas));
    h = set(h, "daily_cost", num(ev_price_money(x.daily)));
    h = set(h, "per_case", num(ev_price_money(x.per_case)));
    h = set(h, "baseline_per_case", num(isnan(base) ? NAN : ev_price_money(base)));
    return set(h, "break_even", num(x.break_even));
}

/* pair_up pairs the cases of 'cand' with those of 'base' by id: all of them
 * when 'group' is NULL, else those in the group of that name in both runs. */
static pairing
pair_up(const ev_run *base, const ev_run *cand, jv group)
{
    pairing p = {cand, NULL, NULL, 0, 0, 0};
    size_t cap = cand->n ? cand->n : 1;
    p.b = ev_alloc_array(NULL, cap, sizeof(*p.b));
    p.c = ev_alloc_array(NULL, cap, sizeof(*p.c));
    bool grouped = jv_is_valid(group);
    uint32_t gb = EV_INTERN_NONE, gc = EV_INTERN_NONE;
    if (grouped) {
        size_t len = (size_t)jv_string_length_bytes(jv_copy(group));
        gb = ev_intern_find(base->labels, jv_string_value(group), len);
        gc = ev_intern_find(cand->labels, jv_string_value(group), len);
    }
    jv_free(group);
    bool *paired = ev_alloc_zero(base->n + 1, sizeof(*paired));
    for (size_t i = 0; i < cand->n; i++) {
        const ev_run_case *c = &cand->cases[i];
        if (grouped && !in_group(cand, c, gc))
            continue;
        size_t len;
        const char *id = ev_run_id(cand, i, &len);
        long j = ev_run_find(base, id, len);
        if (j < 0 || (grouped && !in_group(base, &base->cases[j], gb))) {
            p.only_cand++;
            continue;
        }
        paired[j] = true;
        p.b[p.n] = &base->cases[j];
        p.c[p.n] = c;
        p.n++;
    }
    for (size_t i = 0; i < base->n; i++)
        if (!paired[i] && (!grouped || in_group(base, &base->cases[i], gb)))
            p.only_base++;
    free(paired);
    return p;
}

/* no_verdict is the verdict of 'o->goal' on no paired case: none, and the
 * goal is not met. */
static jv
no_verdict(const ev_compare_opts *o)
{
    jv g = jv_object();
    g = set(g, "goal", jv_string(o->goal == EV_COMPARE_GOAL_SURPASS ? "surpass" : "match"));
    if (o->goal == EV_COMPARE_GOAL_MATCH)
        g = set(g, "margin", num(o->margin));
    g = set(g, "result", jv_string(EV_COMPARE_NO_EVIDENCE));
    return set(g, "met", jv_false());
}

/* verdict applies STATS.md §6 to the interval [L, U] of cand - base. */
static const char *
verdict(ev_stats_interval ci, double margin)
{
    if (ci.lo > 0)
        return "surpasses";
    if (ci.lo > -margin)
        return "matches";
    if (ci.hi < -margin)
        return "worse";
    if (ci.hi < 0)
        return "worse";
    return "inconclusive";
}

static jv
ids_where(pairing p, int sign, long max, long *count)
{
    jv ids = jv_array();
    *count = 0;
    for (size_t i = 0; i < p.n; i++) {
        double d = ev_run_case_score(p.c[i]) - ev_run_case_score(p.b[i]);
        if ((sign > 0 && d > 0) || (sign < 0 && d < 0)) {
            if (max < 0 || *count < max) {
                size_t len;
                const char *id = ev_run_id(p.cand, (size_t)(p.c[i] - p.cand->cases), &len);
                ids = jv_array_append(ids, jv_string_sized(id, (int)len));
            }
            (*count)++;
        }
    }
    return ids;
}

static jv
paired_report(pairing p, const ev_compare_opts *o, bool full)
{
    jv r = jv_object();
    size_t n = p.n;
    r = set(r, "paired_cases", jv_number((double)n));
    if (full) {
        r = set(r, "only_in_baseline", jv_number((double)p.only_base));
        r = set(r, "only_in_candidate", jv_number((double)p.only_cand));
    }
    if (n == 0) {
        r = set(r, "no_evidence", jv_string(EV_COMPARE_NOTHING_PAIRED));
        if (full && o->goal != EV_COMPARE_GOAL_NONE)
            r = set(r, "verdict", no_verdict(o));
        return r;
    }
    double *sb = ev_alloc(n * sizeof(*sb)), *sc = ev_alloc(n * sizeof(*sc));
    double *d = ev_alloc(n * sizeof(*d)), *dv = ev_alloc(n * sizeof(*dv));
    bool binary = true, graded = false;
    long A = 0, B = 0, C = 0, D = 0;
    double eb = 0, ec = 0; /* the expected 2x2 table of one sample per case */
    for (size_t i = 0; i < n; i++) {
        binary = binary && p.b[i]->samples == 1 && p.c[i]->samples == 1;
        graded = graded || p.b[i]->value != p.b[i]->passes || p.c[i]->value != p.c[i]->passes;
        sb[i] = ev_run_case_score(p.b[i]);
        sc[i] = ev_run_case_score(p.c[i]);
        d[i] = sc[i] - sb[i];
        dv[i] = p.c[i]->value / p.c[i]->samples - p.b[i]->value / p.b[i]->samples;
        eb += sc[i] * (1 - sb[i]);
        ec += sb[i] * (1 - sc[i]);
        bool pb = passes_case(p.b[i]), pc = passes_case(p.c[i]);
        A += pb && pc;
        B += pc && !pb;
        C += pb && !pc;
        D += !pb && !pc;
    }
    jv table = jv_object();
    table = set(table, "both_pass", jv_number((double)A));
    table = set(table, "only_candidate", jv_number((double)B));
    table = set(table, "only_baseline", jv_number((double)C));
    table = set(table, "both_fail", jv_number((double)D));
    if (!binary)
        table = set(table, "rule",
                    jv_string("a case passes when more than half of its samples "
                              "pass; a tie does not"));
    r = set(r, "table", table);
    r = set(r, "baseline_accuracy", num(ev_stats_mean(sb, n)));
    r = set(r, "candidate_accuracy", num(ev_stats_mean(sc, n)));
    double delta = ev_stats_mean(d, n);
    r = set(r, "delta", num(delta));

    long *cl = o->clustered ? cluster_ids(p.cand, p.c, n) : NULL;
    double z = ev_stats_norm_quantile(1 - (1 - o->level) / 2);
    double zsum = z + ev_stats_norm_quantile(0.8);
    /* psi, the share of discordant cases, of the table or of the expected
     * one-sample table; 1/n when there are none (Connor's formula needs
     * one). */
    double psi = binary ? (double)(B + C) / (double)n : (eb + ec) / (double)n;
    psi = psi > 0 ? psi : 1.0 / (double)n;
    double mde = ev_stats_mde_paired(psi, (long)n, 1 - o->level, 0.8);
    double spread = psi; /* the variance of a per-case difference, for planning */
    ev_stats_interval ci;
    double se = NAN, df = NAN;
    size_t nclusters = 0;
    if (binary && cl == NULL) {
        ci = ev_stats_tango((double)B, (double)C, (double)n, z);
        r = set(r, "delta_ci", interval(ci));
        r = set(r, "ci_method", jv_string("tango"));
        ev_stats_mcnemar t = ev_stats_mcnemar_test(B, C);
        r = set(r, "mcnemar_p", num(t.p));
        r = set(r, "mcnemar_midp", num(t.midp));
    } else {
        ci = mean_interval(d, cl, n, o->level, &se, &df, &nclusters);
        /* The floor: Tango's interval of the expected one-sample table. */
        ev_stats_interval single = ev_stats_tango(eb, ec, (double)n, z);
        ci = floored(ci, single, -1, 1);
        r = set(r, "delta_ci", interval(ci));
        r = set(r, "floor_ci", interval(single));
        r = set(r, "delta_se", num(se));
        r = set(r, "ci_method", jv_string(cl ? "t, clustered (CR1)" : "paired t"));
        if (cl)
            r = set(r, "clusters", jv_number((double)nclusters));
        double pv = isfinite(se) && se > 0 && df >= 1
                        ? 2 * (1 - ev_stats_t_cdf(fabs(delta / se), df))
                        : NAN;
        r = set(r, "p", num(pv));
        /* Miller's Eq. 10 on the standard error used, clustered or not,
         * never below the one-sample MDE. */
        if (isfinite(se)) {
            mde = fmax(mde, zsum * se);
            spread = fmax(spread, (double)n * se * se);
        }
    }
    r = set(r, "mde", num(mde));
    r = set(r, "correlation", num(ev_stats_pearson(sb, sc, n)));
    if (full) {
        long nreg, nfix;
        r = set(r, "regressed", ids_where(p, -1, o->max_ids, &nreg));
        r = set(r, "regressed_count", jv_number((double)nreg));
        r = set(r, "fixed", ids_where(p, 1, o->max_ids, &nfix));
        r = set(r, "fixed_count", jv_number((double)nfix));
    }
    if (graded) {
        jv g = jv_object();
        g = set(g, "delta", num(ev_stats_mean(dv, n)));
        g = set(g, "ci",
                interval(ev_stats_bootstrap_mean(dv, n, (size_t)o->bootstrap, o->level, o->seed)));
        g = set(g, "method", jv_string("paired bootstrap, percentile"));
        g = set(g, "resamples", jv_number((double)o->bootstrap));
        g = set(g, "seed", jv_number((double)o->seed));
        r = set(r, "graded", g);
    }
    if (full) {
        /* Latency: the geometric mean of per-case ratios, with a t interval
         * on the mean log ratio (STATS.md §7.3). */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double lb = p.b[i]->nlatency ? p.b[i]->latency / p.b[i]->nlatency : 0;
            double lc = p.c[i]->nlatency ? p.c[i]->latency / p.c[i]->nlatency : 0;
            if (lb > 0 && lc > 0)
                d[m++] = log(lc / lb);
        }
        if (m >= 2) {
            double mr = ev_stats_mean(d, m), s = sqrt(ev_stats_var(d, m) / (double)m);
            double t = ev_stats_t_quantile(1 - (1 - o->level) / 2, (double)m - 1);
            jv l = jv_object();
            l = set(l, "geometric_mean", num(exp(mr)));
            l = set(l, "ci", interval((ev_stats_interval){exp(mr - t * s), exp(mr + t * s)}));
            l = set(l, "cases", jv_number((double)m));
            r = set(r, "latency_ratio", l);
        }
        double cb = 0, cc = 0;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (p.b[i]->ncost && p.c[i]->ncost) {
                cb += p.b[i]->cost / p.b[i]->ncost;
                cc += p.c[i]->cost / p.c[i]->ncost;
                k++;
            }
        }
        if (k > 0 && cb > 0) {
            jv c = jv_object();
            c = set(c, "ratio", num(cc / cb));
            c = set(c, "saving_per_case", num((cb - cc) / (double)k));
            c = set(c, "cases", jv_number((double)k));
            r = set(r, "cost_ratio", c);
        }
        if (o->per_hour > 0)
            r = set(r, "hosting", hosting(&p, n, o));
    }
    if (full && o->goal != EV_COMPARE_GOAL_NONE) {
        double margin = o->goal == EV_COMPARE_GOAL_MATCH ? o->margin : 0;
        const char *v = verdict(ci, margin);
        bool met = o->goal == EV_COMPARE_GOAL_SURPASS
                       ? strcmp(v, "surpasses") == 0
                       : strcmp(v, "surpasses") == 0 || strcmp(v, "matches") == 0;
        jv g = jv_object();
        g = set(g, "goal", jv_string(o->goal == EV_COMPARE_GOAL_SURPASS ? "surpass" : "match"));
        if (o->goal == EV_COMPARE_GOAL_MATCH)
            g = set(g, "margin", num(o->margin));
        g = set(g, "result", jv_string(v));
        if (strcmp(v, "worse") == 0 && o->goal == EV_COMPARE_GOAL_MATCH)
            g = set(g, "beyond_margin", jv_bool(ci.hi < -margin));
        g = set(g, "met", jv_bool(met));
        if (strcmp(v, "inconclusive") == 0) {
            /* How many paired cases would decide it, at the discordance seen
             * here, with power 0.8 (STATS.md §5.3 and §6): for match, if
             * the true difference were 0; for surpass, if it were the one
             * seen. */
            double need = NAN;
            if (o->goal == EV_COMPARE_GOAL_MATCH)
                need = zsum * zsum * spread / (o->margin * o->margin);
            else if (delta > 0)
                need = binary && cl == NULL ? ev_stats_n_paired(spread, delta, 1 - o->level, 0.8)
                                            : zsum * zsum * spread / (delta * delta);
            g = set(g, "cases_needed", isfinite(need) ? jv_number(ceil(need)) : jv_null());
            if (!isfinite(need))
                g = set(g, "note",
                        jv_string("the candidate is not ahead, so no number of cases "
                                  "would show that it surpasses"));
        }
        r = set(r, "verdict", g);
    }
    free(cl);
    free(sb);
    free(sc);
    free(d);
    free(dv);
    return r;
}

jv
ev_compare_pair(const ev_run *base, const ev_run *cand, const ev_compare_opts *o)
{
    caseset cs = whole_run(cand);
    pairing p = pair_up(base, cand, jv_invalid());
    jv r = jv_object();
    r = set(r, "baseline", jv_string(base->path));
    r = set(r, "candidate", jv_string(cand->path));
    jv body = paired_report(p, o, true);
    bool met = true;
    if (jv_is_valid(body)) {
        jv v = jv_object_get(jv_copy(body), jv_string("verdict"));
        if (jv_is_valid(v)) {
            jv m = jv_object_get(v, jv_string("met"));
            met = met && jv_get_kind(m) == JV_KIND_TRUE;
            jv_free(m);
        } else {
            jv_free(v);
        }
        r = jv_object_merge(r, body);
    } else {
        jv_free(r);
        r = body;
    }
    bool evidence = p.n > 0;
    met = met && evidence;
    free(p.b);
    free(p.c);
    if (!jv_is_valid(r)) {
        free(cs.c);
        return r;
    }
    if (o->has_min) {
        ev_stats_interval ci;
        jv cr = set_report(cs, o, &ci);
        jv_free(cr);
        jv g = goal_min(ci, o->min_accuracy);
        jv m = jv_object_get(jv_copy(g), jv_string("met"));
        met = met && jv_get_kind(m) == JV_KIND_TRUE;
        jv_free(m);
        r = set(r, "min_accuracy_goal", g);
    }
    if (o->by) {
        jv groups = jv_object();
        size_t ng;
        uint32_t *names = group_names(cs, &ng);
        for (size_t i = 0; i < ng; i++) {
            jv g = ev_run_label(cand, names[i]);
            pairing gp = pair_up(base, cand, jv_copy(g));
            groups = jv_object_set(groups, g, paired_report(gp, o, false));
            free(gp.b);
            free(gp.c);
        }
        free(names);
        r = set(r, "groups", groups);
    }
    if (o->goal != EV_COMPARE_GOAL_NONE || o->has_min || !evidence)
        r = set(r, "met", jv_bool(met));
    free(cs.c);
    return r;
}

jv
ev_compare_runs(const ev_run *runs, size_t n, const ev_compare_opts *o)
{
    jv rr = jv_array(), cc = jv_array();
    bool met = true, evidence = true;
    for (size_t i = 0; i < n; i++) {
        ev_compare_opts one = *o;
        one.has_min = o->has_min && n == 1;
        jv r = ev_compare_run(&runs[i], &one);
        if (one.has_min) {
            met = met && ev_json_true(r, "goal.met");
            evidence = evidence && runs[i].n > 0;
        }
        rr = jv_array_append(rr, r);
        if (i > 0) {
            jv c = ev_compare_pair(&runs[0], &runs[i], o);
            jv no = ev_json_field(c, "no_evidence");
            evidence = evidence && !jv_is_valid(no);
            jv_free(no);
            met = met &&
                  (o->goal == EV_COMPARE_GOAL_NONE && !o->has_min ? true : ev_json_true(c, "met"));
            cc = jv_array_append(cc, c);
        }
    }
    jv rep = set(jv_object(), "runs", rr);
    rep = set(rep, "comparisons", cc);
    if (o->goal != EV_COMPARE_GOAL_NONE || o->has_min || !evidence)
        rep = set(rep, "met", jv_bool(met && evidence));
    if (!evidence)
        rep = set(rep, "no_evidence", jv_true());
    return rep;
}
