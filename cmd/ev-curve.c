/*
 * ev-curve: how many training examples are enough?
 *
 * Reads learning-curve points, accuracy against the number of training
 * examples, as JSONL ({"n", "k", "N"} or {"n", "accuracy", "N"}) or as scored
 * runs named N=FILE, fits the curves of STATS.md §8, and projects how many
 * examples reach the target, with a bootstrap range and honest warnings.
 * Exit 0 when the target has been reached already, 1 when not.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "curve.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "jsonl.h"
#include "record.h"
#include "runs.h"
#include "stats.h"

#define Z95 1.959963984540054

/* The largest numbers of training examples and of eval cases ev-curve
 * takes: the same for every number it reads, from a point, an operand or an
 * option. */
#define MAX_EXAMPLES 1e12
#define MAX_CASES 1e9

typedef struct options {
    double target;
    const char *target_run;
    enum ev_curve_model primary;
    uint64_t seed;
    long bootstrap;
    const char *plot;
    bool table;
    bool quiet;
} options;

/* The data: one point per run or per input line, and, for runs, the
 * per-case scores of the cases every run shares, for a case bootstrap. */
typedef struct data {
    ev_point *p;
    size_t np, cap;
    double **scores; /* [point][case], runs only */
    double *target_scores;
    size_t ncases;
    double target, target_N; /* target_N is 0 for a fixed --target */
} data;

static void
usage(FILE *f)
{
    fputs("usage: ev-curve (-t TARGET | -T RUN) [-m MODEL] [-f FORMAT] [--plot FILE.svg]\n"
          "                [--seed N] [--bootstrap B] [-q] [FILE ... | N=RUN ...]\n"
          "\n"
          "Fit accuracy against the number of training examples and project how many\n"
          "examples reach the target. Points are JSONL lines {\"n\", \"k\", \"N\"} or\n"
          "{\"n\", \"accuracy\", \"N\"}, or scored runs given as N=RUN (N examples).\n"
          "\n"
          "  -t, --target X        the accuracy to reach, from 0 to 1\n"
          "  -T, --target-run RUN  the accuracy of a scored run (the baseline model's),\n"
          "                        with its uncertainty\n"
          "  -m, --model MODEL     the fit that gives the headline projection: loglinear\n"
          "                        (the same gain per doubling; default), logit or power\n"
          "  -f, --format FORMAT   table or json (default: table on a terminal)\n"
          "      --plot FILE.svg   write a chart of points, fit, target and projection\n"
          "      --seed N          bootstrap seed, reported (default 1)\n"
          "      --bootstrap B     bootstrap resamples (default 1000)\n"
          "  -q, --quiet           no text chart on a terminal\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n"
          "\n"
          "Exit status: 0 the target is reached already, 1 not yet, 2 trouble.\n"
          "See ev-curve(1).\n",
          f);
}

static void
data_free(data *d)
{
    for (size_t i = 0; i < d->np; i++)
        free(d->scores[i]);
    free(d->scores);
    free(d->target_scores);
    free(d->p);
}

static void
report_problem(jv msg, void *ctx)
{
    int *status = ctx;
    ev_diag_warn_jv(msg);
    *status = EV_EXIT_TROUBLE;
}

static void
add_point(data *d, ev_point pt)
{
    if (d->np == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->p = ev_alloc_resize(d->p, d->cap * sizeof(*d->p));
        d->scores = ev_alloc_resize(d->scores, d->cap * sizeof(*d->scores));
    }
    d->scores[d->np] = NULL;
    d->p[d->np++] = pt;
}

static double
num_field(jv rec, const char *key, bool *ok)
{
    jv v = ev_get(rec, key);
    *ok = jv_get_kind(v) == JV_KIND_NUMBER;
    double x = *ok ? jv_number_value(v) : NAN;
    jv_free(v);
    return x;
}

/* read_points reads point lines; returns the exit status so far. */
static int
read_points(data *d, char **paths, int n)
{
    int status = EV_EXIT_OK, rc;
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, n, NULL);
    jv rec;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        bool okn, okk, okN, oka;
        ev_point pt = {num_field(rec, "n", &okn), num_field(rec, "k", &okk),
                       num_field(rec, "N", &okN)};
        double acc = num_field(rec, "accuracy", &oka);
        jv_free(rec);
        const char *why = NULL;
        if (!okn || !(pt.n >= 1 && pt.n <= MAX_EXAMPLES))
            why = "'n', the number of training examples, must be a number from 1 to 1e12";
        else if (!okN || !(pt.N >= 1 && pt.N <= MAX_CASES) || pt.N != floor(pt.N))
            why = "'N', the number of eval cases, must be a whole number from 1 to 1e9";
        else if (!okk && !oka)
            why = "a point needs 'k' (cases right) or 'accuracy'";
        else if (!okk && !(acc >= 0 && acc <= 1))
            why = "'accuracy' must be from 0 to 1";
        if (!okk && why == NULL)
            pt.k = round(acc * pt.N);
        if (why == NULL && !(pt.k >= 0 && pt.k <= pt.N))
            why = "'k' must be from 0 to N";
        if (why != NULL) {
            jv where = ev_jsonl_where(&r);
            ev_diag_warn("%s: %s", jv_string_value(where), why);
            jv_free(where);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        add_point(d, pt);
    }
    ev_jsonl_free(&r);
    return status;
}

/* read_runs loads N=RUN operands and the target run, keeping the per-case
 * scores of the cases they all share. */
static int
read_runs(data *d, char **ops, int n, const char *target_run)
{
    int status = EV_EXIT_OK;
    ev_run_opts ro = {0};
    int nr = n + (target_run != NULL);
    ev_run *runs = ev_alloc_zero((size_t)nr, sizeof(*runs));
    double *ns = ev_alloc_zero((size_t)nr, sizeof(*ns));
    for (int i = 0; i < n; i++) {
        char *eq = strchr(ops[i], '=');
        *eq = '\0';
        if (!ev_parse_double(ops[i], 1, MAX_EXAMPLES, &ns[i]))
            ev_diag_usage_error(
                "'%s=%s': N, the number of training examples, must be a number from 1 "
                "to 1e12",
                ops[i], eq + 1);
    }
    for (int i = 0; i < n; i++) {
        const char *path = ops[i] + strlen(ops[i]) + 1;
        if (ev_run_load(&runs[i], path, &ro, report_problem, &status) < 0)
            ev_diag_die(EV_EXIT_TROUBLE, "cannot read the run '%s'", path);
    }
    if (target_run != NULL && ev_run_load(&runs[n], target_run, &ro, report_problem, &status) < 0)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot read the target run '%s'", target_run);
    if (ev_interrupted()) { /* part of the runs: nothing to fit */
        for (int i = 0; i < nr; i++)
            ev_run_free(&runs[i]);
        free(runs);
        free(ns);
        return status;
    }

    /* The cases every run shares, in the first run's order. */
    size_t *idx = ev_alloc_zero((size_t)nr * (runs[0].n + 1), sizeof(*idx));
    size_t m = 0;
    for (size_t c = 0; c < runs[0].n; c++) {
        bool all = true;
        size_t len;
        const char *id = ev_run_id(&runs[0], c, &len);
        for (int i = 1; i < nr && all; i++) {
            long j = ev_run_find(&runs[i], id, len);
            all = j >= 0;
            if (all)
                idx[(size_t)i * (runs[0].n + 1) + m] = (size_t)j;
        }
        if (all)
            idx[m++] = c;
    }
    for (int i = 0; i < nr; i++) {
        if (runs[i].n != m)
            ev_diag_warn("'%s': %zu of its %zu cases are shared by every run and used",
                         runs[i].path, m, runs[i].n);
    }
    d->ncases = m;
    for (int i = 0; i < nr; i++) {
        double *s = ev_alloc_zero(m + 1, sizeof(*s)), k = 0;
        for (size_t c = 0; c < m; c++) {
            size_t j = i == 0 ? idx[c] : idx[(size_t)i * (runs[0].n + 1) + c];
            s[c] = ev_case_score(&runs[i].cases[j]);
            k += s[c];
        }
        if (i < n) {
            add_point(d, (ev_point){ns[i], k, (double)m});
            d->scores[d->np - 1] = s;
        } else {
            d->target_scores = s;
            d->target = m ? k / (double)m : NAN;
            d->target_N = (double)m;
        }
    }
    for (int i = 0; i < nr; i++)
        ev_run_free(&runs[i]);
    free(runs);
    free(ns);
    free(idx);
    return status;
}

static double
run_accuracy(const char *path, double *N, int *status)
{
    ev_run run;
    ev_run_opts ro = {0};
    if (ev_run_load(&run, path, &ro, report_problem, status) < 0)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot read the target run '%s'", path);
    double k = 0;
    for (size_t i = 0; i < run.n; i++)
        k += ev_case_score(&run.cases[i]);
    *N = (double)run.n;
    double acc = run.n ? k / (double)run.n : NAN;
    ev_run_free(&run);
    return acc;
}

static const char *
model_name(enum ev_curve_model m)
{
    return m == EV_CURVE_LOGLINEAR ? "loglinear" : m == EV_CURVE_LOGIT ? "logit" : "power";
}

static jv
num(double x)
{
    return isfinite(x) ? jv_number(round(x * 1e6) / 1e6) : jv_null();
}

static jv
set(jv o, const char *k, jv v)
{
    return jv_object_set(o, jv_string(k), v);
}

/* case_bootstrap resamples the shared cases jointly across runs and the
 * target run, refits 'model' and solves, B times. */
static ev_nstar_range
case_bootstrap(const data *d, enum ev_curve_model model, size_t B, uint64_t seed)
{
    double *draws = ev_alloc((B ? B : 1) * sizeof(*draws));
    ev_point *sim = ev_alloc(d->np * sizeof(*sim));
    size_t *pick = ev_alloc((d->ncases ? d->ncases : 1) * sizeof(*pick));
    ev_rng r;
    ev_rng_seed(&r, seed);
    size_t n = 0;
    for (size_t b = 0; b < B; b++) {
        for (size_t c = 0; c < d->ncases; c++)
            pick[c] = ev_rng_below(&r, d->ncases);
        for (size_t i = 0; i < d->np; i++) {
            double k = 0;
            for (size_t c = 0; c < d->ncases; c++)
                k += d->scores[i][pick[c]];
            sim[i] = (ev_point){d->p[i].n, k, d->p[i].N};
        }
        double t = d->target;
        if (d->target_scores != NULL) {
            double k = 0;
            for (size_t c = 0; c < d->ncases; c++)
                k += d->target_scores[pick[c]];
            t = k / (double)d->ncases;
        }
        ev_fit f = ev_fit_curve(model, sim, d->np);
        if (f.ok)
            draws[n++] = ev_fit_solve(&f, t);
    }
    ev_nstar_range out = ev_quantiles_nstar(draws, n);
    free(draws);
    free(sim);
    free(pick);
    return out;
}

static double
paired_se(const double *a, const double *b, size_t n)
{
    /* STATS.md §4.1, population-variance form, on per-case differences. */
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i] - b[i];
        s += x;
        s2 += x * x;
    }
    double nn = (double)n;
    return sqrt(fmax(0, s2 - s * s / nn)) / nn;
}

/* half_data is the two-run calculator for the two largest distinct n. */
static jv
half_data(const data *d, const options *o, size_t lo, size_t hi)
{
    const ev_point *a = &d->p[lo], *b = &d->p[hi];
    double pa = a->k / a->N, pb = b->k / b->N, span = log2(b->n / a->n);
    double gse, dse;
    const char *how;
    if (d->scores[lo] != NULL) {
        gse = paired_se(d->scores[hi], d->scores[lo], d->ncases) / span;
        dse = d->target_scores ? paired_se(d->target_scores, d->scores[hi], d->ncases)
                               : sqrt(pb * (1 - pb) / b->N);
        how = "paired on the shared cases";
    } else {
        gse = sqrt(pa * (1 - pa) / a->N + pb * (1 - pb) / b->N) / span;
        dse = sqrt(pb * (1 - pb) / b->N +
                   (d->target_N > 0 ? d->target * (1 - d->target) / d->target_N : 0));
        how = "unpaired (points carry no per-case scores, so this range is wider than a "
              "paired one)";
    }
    ev_halving h = ev_half_data(b->n, (pb - pa) / span, gse, d->target - pb, dse, 100000, o->seed);
    jv r = jv_object();
    r = set(r, "n", num(b->n));
    r = set(r, "gain_per_doubling", num(h.gain));
    r = set(r, "gain_se", num(h.gain_se));
    r = set(r, "gap", num(h.gap));
    r = set(r, "gap_se", num(h.gap_se));
    r = set(r, "standard_errors", jv_string(how));
    r = set(r, "doublings", num(h.doublings));
    r = set(r, "n_star", num(h.nstar));
    jv range = jv_object();
    range = set(range, "lo", num(h.range.lo));
    range = set(range, "hi", num(h.range.hi));
    range = set(range, "unreachable", num(h.range.unreachable));
    range = set(range, "draws", jv_number(100000));
    r = set(r, "range", range);
    return r;
}

static int
by_n(const void *x, const void *y)
{
    const ev_point *a = x, *b = y;
    return (a->n > b->n) - (a->n < b->n);
}

/* svg_x maps n to the chart's x on a log2 axis. */
typedef struct axis {
    double x0, x1, y0, y1; /* data ranges: log2 n and accuracy */
    double left, right, top, bottom;
} axis;

static double
sx(const axis *ax, double n)
{
    return ax->left + (log2(n) - ax->x0) / (ax->x1 - ax->x0) * (ax->right - ax->left);
}

static double
sy(const axis *ax, double acc)
{
    return ax->bottom - (acc - ax->y0) / (ax->y1 - ax->y0) * (ax->bottom - ax->top);
}

static int
write_svg(const char *path, const data *d, const ev_fit *fit, double nstar, ev_nstar_range range,
          ev_interval tci, const options *o)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    double nmin = d->p[0].n, nmax = d->p[d->np - 1].n;
    double xhi = nmax * 2;
    if (isfinite(nstar))
        xhi = fmax(xhi, fmin(nstar * 1.5, nmax * 64));
    if (isfinite(range.hi))
        xhi = fmax(xhi, fmin(range.hi * 1.2, nmax * 64));
    axis ax = {log2(nmin / 1.5), log2(xhi), 0, 1, 70, 690, 50, 380};
    double ymax = d->target, ymin = 1;
    for (size_t i = 0; i < d->np; i++) {
        ev_interval w = ev_wilson((long)d->p[i].k, (long)d->p[i].N, Z95);
        ymax = fmax(ymax, w.hi);
        ymin = fmin(ymin, w.lo);
    }
    ymax = fmax(ymax, tci.hi);
    ax.y0 = fmax(0, floor((ymin - 0.05) * 10) / 10);
    ax.y1 = fmin(1, ceil((ymax + 0.05) * 10) / 10);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"440\" "
               "viewBox=\"0 0 720 440\" font-family=\"sans-serif\" font-size=\"12\">\n");
    fprintf(f, "<title>Learning curve: accuracy against training examples</title>\n");
    fprintf(f, "<rect width=\"720\" height=\"440\" fill=\"white\"/>\n");
    fprintf(f,
            "<text x=\"360\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
            "Accuracy against training examples (%s fit)</text>\n",
            model_name(fit->model));
    /* Projection range and target band first, so the data sits on top. */
    if (isfinite(range.lo)) {
        double x0 = fmax(ax.left, sx(&ax, range.lo));
        double x1 = isfinite(range.hi) ? fmin(ax.right, sx(&ax, range.hi)) : ax.right;
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4a261\" "
                "fill-opacity=\"0.18\"/>\n",
                x0, ax.top, fmax(0, x1 - x0), ax.bottom - ax.top);
    }
    if (isfinite(tci.lo))
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2a9d8f\" "
                "fill-opacity=\"0.15\"/>\n",
                ax.left, sy(&ax, fmin(tci.hi, ax.y1)), ax.right - ax.left,
                sy(&ax, fmax(tci.lo, ax.y0)) - sy(&ax, fmin(tci.hi, ax.y1)));
    /* Axes, ticks at powers of two, grid. */
    fprintf(f,
            "<g stroke=\"#333\"><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/></g>\n",
            ax.left, ax.bottom, ax.right, ax.bottom, ax.left, ax.top, ax.left, ax.bottom);
    for (double e = ceil(ax.x0); e <= ax.x1; e++) {
        double x = sx(&ax, exp2(e));
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n",
                x, ax.top, x, ax.bottom, x, ax.bottom + 16, exp2(e));
    }
    for (double y = ax.y0; y <= ax.y1 + 1e-9; y += 0.1) {
        fprintf(f,
                "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>\n",
                ax.left, sy(&ax, y), ax.right, sy(&ax, y), ax.left - 6, sy(&ax, y) + 4, 100 * y);
    }
    fprintf(f,
            "<text x=\"380\" y=\"%.0f\" text-anchor=\"middle\">training examples "
            "(log scale)</text>\n",
            ax.bottom + 36);
    fprintf(f, "<text x=\"18\" y=\"215\" text-anchor=\"middle\" "
               "transform=\"rotate(-90 18 215)\">eval accuracy</text>\n");
    /* Target line. */
    fprintf(f,
            "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#2a9d8f\" "
            "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n",
            ax.left, sy(&ax, d->target), ax.right, sy(&ax, d->target));
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.1f\" fill=\"#2a9d8f\" text-anchor=\"end\">target "
            "%.1f%%%s</text>\n",
            ax.right - 4, sy(&ax, d->target) - 6, 100 * d->target,
            isfinite(tci.lo) ? " (band: 95% interval)" : "");
    /* Fitted curve. */
    if (fit->ok) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"#264653\" stroke-width=\"2\" points=\"");
        for (int i = 0; i <= 200; i++) {
            double n = exp2(ax.x0 + (ax.x1 - ax.x0) * i / 200.0);
            double y = ev_fit_predict(fit, n);
            if (y >= ax.y0 && y <= ax.y1)
                fprintf(f, "%.1f,%.1f ", sx(&ax, n), sy(&ax, y));
        }
        fprintf(f, "\"/>\n");
    }
    /* Points with Wilson 95% error bars. */
    for (size_t i = 0; i < d->np; i++) {
        ev_interval w = ev_wilson((long)d->p[i].k, (long)d->p[i].N, Z95);
        double x = sx(&ax, d->p[i].n);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e76f51\"/>"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#e76f51\"/>\n",
                x, sy(&ax, w.lo), x, sy(&ax, w.hi), x, sy(&ax, d->p[i].k / d->p[i].N));
    }
    /* Projection. */
    if (isfinite(nstar) && nstar <= exp2(ax.x1)) {
        double x = sx(&ax, nstar);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#f4a261\" "
                "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
                "fill=\"#b5651d\">n* = %.0f",
                x, ax.top, x, ax.bottom, x, ax.top - 6, ceil(nstar));
        if (isfinite(range.lo) && isfinite(range.hi))
            fprintf(f, " (95%% range %.0f to %.0f)", ceil(range.lo), ceil(range.hi));
        fprintf(f, "</text>\n");
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"430\" fill=\"#555\">Points: accuracy with 95%% Wilson "
            "intervals. Shaded: the 95%% bootstrap range of n* (seed %llu).</text>\n",
            ax.left, (unsigned long long)o->seed);
    fprintf(f, "</svg>\n");
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* text_chart draws a small chart for a terminal. */
static void
text_chart(const data *d, const ev_fit *fit)
{
    enum { W = 56, H = 12 };
    char g[H][W + 1];
    double x0 = log2(d->p[0].n / 1.5), x1 = log2(d->p[d->np - 1].n * 4);
    for (int r = 0; r < H; r++) {
        memset(g[r], ' ', W);
        g[r][W] = '\0';
    }
    int tr = (int)lround((1 - d->target) * (H - 1));
    for (int c = 0; c < W; c++)
        if (tr >= 0 && tr < H)
            g[tr][c] = '-';
    for (int c = 0; c < W && fit->ok; c++) {
        double y = ev_fit_predict(fit, exp2(x0 + (x1 - x0) * c / (W - 1)));
        int r = (int)lround((1 - y) * (H - 1));
        if (r >= 0 && r < H)
            g[r][c] = '.';
    }
    for (size_t i = 0; i < d->np; i++) {
        int c = (int)lround((log2(d->p[i].n) - x0) / (x1 - x0) * (W - 1));
        int r = (int)lround((1 - d->p[i].k / d->p[i].N) * (H - 1));
        if (c >= 0 && c < W && r >= 0 && r < H)
            g[r][c] = 'o';
    }
    printf("\n");
    for (int r = 0; r < H; r++)
        printf("%4.0f%% |%s\n", 100 * (1 - (double)r / (H - 1)), g[r]);
    printf("      +%.*s\n       %-10.0f%*s%.0f examples (log scale)\n", W,
           "--------------------------------------------------------------", d->p[0].n / 1.5,
           W - 24, "", d->p[d->np - 1].n * 4);
    printf("       o points   . fit   - target\n");
}

static double
getn(jv o, const char *path)
{
    jv v = ev_field_path(o, path);
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    return x;
}

/* print_fit prints one fit of the report as a table line; consumes 'f'. */
static void
print_fit(jv f)
{
    jv nm = jv_object_get(jv_copy(f), jv_string("model"));
    jv okj = jv_object_get(jv_copy(f), jv_string("ok"));
    printf("%-10s ", jv_string_value(nm));
    if (jv_get_kind(okj) != JV_KIND_TRUE) {
        jv note = jv_object_get(jv_copy(f), jv_string("note"));
        printf("no fit: %s\n", jv_string_value(note));
        jv_free(note);
    } else {
        double need = getn(f, "examples_needed"), lo = getn(f, "range.lo");
        double hi = getn(f, "range.hi"), un = getn(f, "range.unreachable");
        double gain = getn(f, "gain_per_doubling");
        if (isfinite(need))
            printf("n* = %.0f", need);
        else
            printf("n* = never (the fit does not reach the target)");
        if (isfinite(lo) && isfinite(hi))
            printf(", 95%% range [%.0f, %.0f]", ceil(lo), ceil(hi));
        else if (isfinite(lo))
            printf(", 95%% range [%.0f, never]", ceil(lo));
        if (un > 0)
            printf(", unreachable in %.0f%% of resamples", 100 * un);
        if (isfinite(gain))
            printf(", %+.1f points per doubling", 100 * gain);
        printf("\n");
    }
    jv_free(nm);
    jv_free(okj);
    jv_free(f);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bootstrap", required_argument, NULL, 'B'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"model", required_argument, NULL, 'm'},
        {"plot", required_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},
        {"seed", required_argument, NULL, 's'},
        {"target", required_argument, NULL, 't'},
        {"target-run", required_argument, NULL, 'T'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    options o = {.target = NAN, .primary = EV_CURVE_LOGLINEAR, .seed = 1, .bootstrap = 1000};
    enum ev_format format = EV_FORMAT_AUTO;
    int c;
    long l;
    while ((c = getopt_long(argc, argv, "f:hm:qt:T:V", longopts, NULL)) != -1) {
        switch (c) {
        case 'B':
            if (!ev_parse_long(optarg, 100, 1000000, &l))
                ev_diag_usage_error(
                    "--bootstrap takes a whole number from 100 to 1000000, not '%s'", optarg);
            o.bootstrap = l;
            break;
        case 'f':
            if (!ev_parse_format(optarg, 2, &format))
                ev_diag_usage_error("--format takes table or json, not '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            return ev_diag_close_stdout();
        case 'm':
            if (strcmp(optarg, "loglinear") == 0)
                o.primary = EV_CURVE_LOGLINEAR;
            else if (strcmp(optarg, "logit") == 0)
                o.primary = EV_CURVE_LOGIT;
            else if (strcmp(optarg, "power") == 0)
                o.primary = EV_CURVE_POWER;
            else
                ev_diag_usage_error("--model takes loglinear, logit or power, not '%s'", optarg);
            break;
        case 'P':
            o.plot = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 's':
            if (!ev_parse_long(optarg, 0, LONG_MAX, &l))
                ev_diag_usage_error("--seed takes a whole number from 0 to %ld, not '%s'", LONG_MAX,
                                    optarg);
            o.seed = (uint64_t)l;
            break;
        case 't':
            if (!ev_parse_double(optarg, 0, 1, &o.target) || o.target <= 0 || o.target >= 1)
                ev_diag_usage_error("--target takes an accuracy between 0 and 1, not '%s'", optarg);
            break;
        case 'T':
            o.target_run = optarg;
            break;
        case 'V':
            ev_diag_version();
        default:
            fprintf(stderr, "try 'ev-curve --help'\n");
            return EV_EXIT_TROUBLE;
        }
    }
    if (isnan(o.target) == (o.target_run == NULL))
        ev_diag_usage_error("give the target as --target X or --target-run RUN (one of them)");
    o.table = ev_format_resolve(format) == EV_FORMAT_TABLE;
    int nops = argc - optind, runs = 0;
    for (int i = optind; i < argc; i++)
        runs += strchr(argv[i], '=') != NULL;
    if (runs > 0 && runs != nops)
        ev_diag_usage_error("give either point files or N=RUN operands, not both");

    ev_interrupt_catch();
    data d = {0};
    int status;
    if (runs > 0) {
        status = read_runs(&d, argv + optind, nops, o.target_run);
    } else {
        status = read_points(&d, argv + optind, nops);
        if (o.target_run != NULL)
            d.target = run_accuracy(o.target_run, &d.target_N, &status);
    }
    if (!isnan(o.target)) {
        d.target = o.target;
        d.target_N = 0;
    }
    if (ev_interrupted()) { /* no report of part of the points */
        data_free(&d);
        return EV_EXIT_INTR;
    }
    if (d.np == 0)
        ev_diag_die(EV_EXIT_TROUBLE, "no points to fit");
    if (!(d.target > 0 && d.target < 1))
        ev_diag_die(EV_EXIT_TROUBLE, "the target run's accuracy, %.3f, leaves nothing to project",
                    d.target);
    /* Sort points (and their per-case scores) by n. */
    if (d.scores[0] == NULL) {
        qsort(d.p, d.np, sizeof(*d.p), by_n);
    } else {
        for (size_t i = 1; i < d.np; i++)
            for (size_t j = i; j > 0 && d.p[j].n < d.p[j - 1].n; j--) {
                ev_point tp = d.p[j];
                d.p[j] = d.p[j - 1];
                d.p[j - 1] = tp;
                double *ts = d.scores[j];
                d.scores[j] = d.scores[j - 1];
                d.scores[j - 1] = ts;
            }
    }
    size_t distinct = 1;
    for (size_t i = 1; i < d.np; i++)
        distinct += d.p[i].n != d.p[i - 1].n;

    jv rep = jv_object(), warnings = jv_array();
    jv pts = jv_array();
    for (size_t i = 0; i < d.np; i++) {
        ev_interval w = ev_wilson((long)d.p[i].k, (long)d.p[i].N, Z95);
        jv p = set(jv_object(), "n", num(d.p[i].n));
        p = set(p, "k", num(d.p[i].k));
        p = set(p, "N", num(d.p[i].N));
        p = set(p, "accuracy", num(d.p[i].k / d.p[i].N));
        p = set(p, "ci", jv_array_append(jv_array_append(jv_array(), num(w.lo)), num(w.hi)));
        pts = jv_array_append(pts, p);
    }
    rep = set(rep, "points", pts);
    jv tj = set(jv_object(), "accuracy", num(d.target));
    ev_interval tci = {NAN, NAN};
    if (d.target_N > 0) {
        tci = ev_wilson(lround(d.target * d.target_N), (long)d.target_N, Z95);
        tj = set(tj, "run", jv_string(o.target_run));
        tj = set(tj, "N", num(d.target_N));
        tj = set(tj, "ci", jv_array_append(jv_array_append(jv_array(), num(tci.lo)), num(tci.hi)));
    }
    rep = set(rep, "target", tj);
    const ev_point *last = &d.p[d.np - 1];
    bool reached = last->k / last->N >= d.target;
    rep = set(rep, "reached", jv_bool(reached));

    bool by_case = d.scores[0] != NULL;
    ev_fit logit = ev_fit_curve(EV_CURVE_LOGIT, d.p, d.np);
    jv fits = jv_array();
    ev_fit primary = {0};
    double primary_n = NAN;
    ev_nstar_range primary_range = {NAN, NAN, NAN, NAN, 0};
    for (int m = EV_CURVE_LOGLINEAR; m <= EV_CURVE_POWER; m++) {
        ev_fit f = ev_fit_curve((enum ev_curve_model)m, d.p, d.np);
        jv fj = set(jv_object(), "model", jv_string(model_name((enum ev_curve_model)m)));
        if (!f.ok) {
            fj = set(fj, "ok", jv_false());
            fj = set(fj, "note",
                     jv_string(m == EV_CURVE_POWER && distinct < 4
                                   ? "the power law needs 4 or more distinct n"
                                   : "the fit needs 2 or more distinct n"));
            fits = jv_array_append(fits, fj);
            continue;
        }
        double ns = ev_fit_solve(&f, d.target);
        ev_nstar_range rg = {NAN, NAN, NAN, NAN, 0};
        if (distinct >= 3 || by_case) {
            rg = by_case    ? case_bootstrap(&d, f.model, (size_t)o.bootstrap, o.seed)
                 : logit.ok ? ev_bootstrap_nstar(f.model, &logit, d.p, d.np, d.target, d.target_N,
                                                 (size_t)o.bootstrap, o.seed)
                            : rg;
        }
        fj = set(fj, "ok", jv_true());
        jv params = jv_object();
        params = set(params, "a", num(f.a));
        params = set(params, "b", num(f.b));
        if (m == EV_CURVE_POWER)
            params = set(params, "c", num(f.c));
        fj = set(fj, "params", params);
        if (m == EV_CURVE_LOGLINEAR)
            fj = set(fj, "gain_per_doubling", num(f.b));
        fj = set(fj, "deviance", num(f.deviance));
        fj = set(fj, "n_star", num(ns));
        fj = set(fj, "examples_needed", isfinite(ns) ? jv_number(ceil(ns)) : jv_null());
        fj = set(fj, "reachable", jv_bool(isfinite(ns)));
        if (rg.draws > 0) {
            jv r = set(jv_object(), "lo", num(rg.lo));
            r = set(r, "median", num(rg.median));
            r = set(r, "hi", num(rg.hi));
            r = set(r, "unreachable", num(rg.unreachable));
            fj = set(fj, "range", r);
        }
        fits = jv_array_append(fits, fj);
        if (m == EV_CURVE_POWER && f.a <= d.target)
            warnings = jv_array_append(
                warnings, jv_string_fmt("the power law's ceiling, %.1f%%, is below the target: "
                                        "more of the same data may never reach it",
                                        100 * f.a));
        if ((enum ev_curve_model)m == o.primary) {
            primary = f;
            primary_n = ns;
            primary_range = rg;
        }
    }
    rep = set(rep, "fits", fits);
    rep = set(rep, "primary", jv_string(model_name(o.primary)));
    rep = set(rep, "bootstrap",
              set(set(set(jv_object(), "method",
                          jv_string(by_case ? "cases, resampled jointly across runs"
                                            : "parametric, from the logit fit")),
                      "resamples", jv_number((double)o.bootstrap)),
                  "seed", jv_number((double)o.seed)));
    if (distinct == 2) {
        size_t hi = d.np - 1, lo = hi;
        while (lo > 0 && d.p[lo].n == d.p[hi].n)
            lo--;
        rep = set(rep, "half_data", half_data(&d, &o, lo, hi));
    }
    if (distinct < 3)
        warnings = jv_array_append(
            warnings, jv_string(distinct < 2 ? "one training size cannot make a curve: "
                                               "fine-tune on at least two sizes"
                                             : "only two training sizes: the projection "
                                               "rests on one gain; add a third size to check "
                                               "the shape"));
    if (primary.ok && isfinite(primary_n)) {
        double factor = primary_n / last->n;
        if (factor > 10)
            warnings = jv_array_append(
                warnings, jv_string_fmt("the projection is %.0fx the largest size tried: "
                                        "unreliable",
                                        factor));
        else if (factor > 4)
            warnings = jv_array_append(
                warnings, jv_string_fmt("the projection is %.1fx the largest size tried: "
                                        "speculative",
                                        factor));
    }
    if (primary.ok && !isfinite(primary_n))
        warnings = jv_array_append(warnings, jv_string("the primary fit never reaches the "
                                                       "target: the curve is flat or falling"));
    if (primary_range.unreachable > 0.05)
        warnings = jv_array_append(
            warnings, jv_string_fmt("in %.0f%% of resamples the target is never reached",
                                    100 * primary_range.unreachable));
    rep = set(rep, "warnings", warnings);
    if (ev_interrupted()) { /* during the bootstrap: no report, no chart */
        jv_free(rep);
        data_free(&d);
        return EV_EXIT_INTR;
    }
    if (o.plot != NULL) {
        if (write_svg(o.plot, &d, &primary, primary_n, primary_range, tci, &o) != 0) {
            ev_diag_warn("cannot write '%s': %s", o.plot, strerror(errno));
            status = EV_EXIT_TROUBLE;
        } else {
            rep = set(rep, "plot", jv_string(o.plot));
        }
    }

    if (o.table) {
        printf("%-10s %6s %6s %9s  %s\n", "examples", "right", "of", "accuracy", "95% CI");
        for (size_t i = 0; i < d.np; i++) {
            ev_interval w = ev_wilson((long)d.p[i].k, (long)d.p[i].N, Z95);
            printf("%-10.0f %6.0f %6.0f %8.1f%%  [%.1f, %.1f]\n", d.p[i].n, d.p[i].k, d.p[i].N,
                   100 * d.p[i].k / d.p[i].N, 100 * w.lo, 100 * w.hi);
        }
        printf("\ntarget %.1f%%%s: %s\n", 100 * d.target, d.target_N > 0 ? " (from a run)" : "",
               reached ? "reached already" : "not reached yet");
        jv fitlist = jv_object_get(jv_copy(rep), jv_string("fits"));
        jv_array_foreach(fitlist, i, f)
        {
            print_fit(f);
            (void)i;
        }
        jv_free(fitlist);
        jv hd = ev_field_path(rep, "half_data");
        if (jv_get_kind(hd) == JV_KIND_OBJECT) {
            printf("half-data: %+.1f points per doubling, %.2f doublings to go, n* = %.0f, "
                   "95%% range [%.0f, %.0f], unreachable in %.1f%% of draws\n",
                   100 * getn(hd, "gain_per_doubling"), getn(hd, "doublings"),
                   ceil(getn(hd, "n_star")), ceil(getn(hd, "range.lo")), ceil(getn(hd, "range.hi")),
                   100 * getn(hd, "range.unreachable"));
        }
        jv_free(hd);
        jv warnlist = jv_object_get(jv_copy(rep), jv_string("warnings"));
        jv_array_foreach(warnlist, i, w)
        {
            printf("warning: %s\n", jv_string_value(w));
            jv_free(w);
            (void)i;
        }
        jv_free(warnlist);
        printf("bootstrap: %ld resamples, seed %llu\n", o.bootstrap, (unsigned long long)o.seed);
        if (o.plot != NULL && status == EV_EXIT_OK)
            printf("chart: %s\n", o.plot);
        if (!o.quiet && isatty(STDOUT_FILENO))
            text_chart(&d, &primary);
        jv_free(rep);
    } else {
        jv_dumpf(rep, stdout, 0);
        putchar('\n');
    }
    data_free(&d);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        return EV_EXIT_TROUBLE;
    if (status != EV_EXIT_OK)
        return status;
    return reached ? EV_EXIT_OK : EV_EXIT_NO;
}
