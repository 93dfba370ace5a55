/*
 * ev-compare: is the small model as good as the large one yet?
 *
 * Reads scored runs. The first is the baseline; every other run is compared
 * with it case by case (paired by id), with the intervals and tests of
 * STATS.md, and, when a goal is given, a verdict: surpasses, matches, worse
 * or inconclusive. Exit 0 when every goal is met, 1 when one is not.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "compare.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "runs.h"

static void
usage(FILE *f)
{
    fputs("usage: ev-compare [-g surpass|match] [-M MARGIN] [--min-accuracy X] [-b FIELD]\n"
          "                  [-c FIELD] [-f FORMAT] [--exact] [--seed N] [--bootstrap B]\n"
          "                  BASELINE [CANDIDATE ...]\n"
          "\n"
          "Report scored runs and compare each candidate with the baseline, case by case.\n"
          "\n"
          "  -g, --goal GOAL         surpass, or match (within --margin); exit 1 unless met\n"
          "  -M, --margin M          for --goal match: the absolute difference that still\n"
          "                          counts as a match (default 0.05, five points)\n"
          "      --min-accuracy X    goal: the candidate's accuracy interval lies at or\n"
          "                          above X (with one run, that run's)\n"
          "  -b, --by FIELD          add figures per group: 'tag' (each tag) or a field\n"
          "                          path such as meta.source\n"
          "  -c, --cluster FIELD     clustered standard errors, clusters named by FIELD\n"
          "  -f, --format FORMAT     table, json, markdown or tsv (default: table on a\n"
          "                          terminal, json otherwise)\n"
          "      --exact             Clopper-Pearson instead of Wilson intervals\n"
          "      --seed N            bootstrap seed for graded scores (default 1)\n"
          "      --bootstrap B       bootstrap resamples (default 10000)\n"
          "  -h, --help              show this help\n"
          "  -V, --version           show the version\n"
          "\n"
          "Exit status: 0 every goal met (or no goal), 1 a goal not met or the result\n"
          "inconclusive, 2 trouble. See ev-compare(1).\n",
          f);
}

static void
report_problem(jv msg, void *ctx)
{
    (void)ctx;
    ev_diag_warn_jv(msg);
}

static double
getn(jv o, const char *path)
{
    jv v = ev_field_path(o, path);
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    return x;
}

static const char *
gets_(jv o, const char *path, char *buf, size_t n)
{
    jv v = ev_field_path(o, path);
    if (jv_get_kind(v) == JV_KIND_STRING)
        snprintf(buf, n, "%s", jv_string_value(v));
    else
        snprintf(buf, n, "-");
    jv_free(v);
    return buf;
}

static const char *
pct(double x, char *buf, size_t n)
{
    if (isnan(x))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%%", 100 * x);
    return buf;
}

static const char *
ci_pct(jv o, const char *path, char *buf, size_t n)
{
    jv v = ev_field_path(o, path);
    jv lo = jv_array_get(jv_copy(v), 0), hi = jv_array_get(v, 1);
    if (jv_get_kind(lo) == JV_KIND_NUMBER && jv_get_kind(hi) == JV_KIND_NUMBER)
        snprintf(buf, n, "[%.1f, %.1f]", 100 * jv_number_value(lo), 100 * jv_number_value(hi));
    else
        snprintf(buf, n, "-");
    jv_free(lo);
    jv_free(hi);
    return buf;
}

static const char *
points(double x, char *buf, size_t n)
{
    if (isnan(x))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%+.1f", 100 * x);
    return buf;
}

static const char *
fixed(double x, int decimals, char *buf, size_t n)
{
    if (isnan(x))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f", decimals, x);
    return buf;
}

/* print_runs prints one row per run (or per group of a run). */
static void
print_run_row(jv r, const char *name, enum ev_format f)
{
    char a[32], ci[40], p50[24], p95[24], cost[32];
    double fails = getn(r, "failed_calls");
    pct(getn(r, "accuracy"), a, sizeof(a));
    ci_pct(r, "accuracy_ci", ci, sizeof(ci));
    fixed(getn(r, "latency_ms.p50"), 0, p50, sizeof(p50));
    fixed(getn(r, "latency_ms.p95"), 0, p95, sizeof(p95));
    fixed(getn(r, "cost.per_case"), 6, cost, sizeof(cost));
    if (f == EV_FORMAT_MARKDOWN)
        printf("| %s | %.0f | %.0f | %s | %s | %.0f | %s | %s | %s |\n", name, getn(r, "cases"),
               getn(r, "passes"), a, ci, fails, p50, p95, cost);
    else if (f == EV_FORMAT_TSV)
        printf("run\t%s\t%.0f\t%.0f\t%.9g\t%.9g\t%.9g\t%.0f\t%s\t%s\t%s\n", name, getn(r, "cases"),
               getn(r, "passes"), getn(r, "accuracy"), getn(r, "accuracy_ci.0"),
               getn(r, "accuracy_ci.1"), fails, p50, p95, cost);
    else
        printf("%-28s %6.0f %6.0f %7s %-15s %6.0f %7s %7s %10s\n", name, getn(r, "cases"),
               getn(r, "passes"), a, ci, fails, p50, p95, cost);
}

static void
print_run_header(enum ev_format f)
{
    if (f == EV_FORMAT_MARKDOWN)
        printf("| run | cases | passes | accuracy | 95%% CI | failed calls | p50 ms | p95 ms | "
               "cost/case |\n|---|--:|--:|--:|---|--:|--:|--:|--:|\n");
    else if (f == EV_FORMAT_TSV)
        printf("kind\tname\tcases\tpasses\taccuracy\tci_lo\tci_hi\tfailed_calls\tp50_ms\tp95_ms\t"
               "cost_per_case\n");
    else
        printf("%-28s %6s %6s %7s %-15s %6s %7s %7s %10s\n", "run", "cases", "passes", "acc",
               "95% CI", "failed", "p50 ms", "p95 ms", "cost/case");
}

static void
print_ids(jv c, const char *what)
{
    char key[32];
    snprintf(key, sizeof(key), "%s_count", what);
    double count = getn(c, key);
    if (!(count > 0))
        return;
    printf("  %s (%.0f):", what, count);
    jv ids = jv_object_get(jv_copy(c), jv_string(what));
    int shown = 0;
    jv_array_foreach(ids, i, id)
    {
        if (shown++ < 12)
            printf(" %s", jv_string_value(id));
        jv_free(id);
        (void)i;
    }
    jv_free(ids);
    printf("%s\n", count > 12 ? " ..." : "");
}

static void
print_comparison(jv c, enum ev_format f)
{
    char b1[64], b2[64], b3[64], b4[64];
    const char *base = gets_(c, "baseline", b1, sizeof(b1));
    const char *cand = gets_(c, "candidate", b2, sizeof(b2));
    double n = getn(c, "paired_cases");
    if (f == EV_FORMAT_TSV) {
        printf("compare\t%s\t%s\t%.0f\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%s\n", cand, base, n,
               getn(c, "delta"), getn(c, "delta_ci.0"), getn(c, "delta_ci.1"), getn(c, "mcnemar_p"),
               getn(c, "mde"), gets_(c, "verdict.result", b3, sizeof(b3)));
        return;
    }
    const char *h = f == EV_FORMAT_MARKDOWN ? "\n### " : "\n";
    printf("%s%s vs %s: %.0f paired cases", h, cand, base, n);
    if (getn(c, "only_in_baseline") > 0 || getn(c, "only_in_candidate") > 0)
        printf(" (left out: %.0f only in the baseline, %.0f only in the candidate)",
               getn(c, "only_in_baseline"), getn(c, "only_in_candidate"));
    printf("\n%s", f == EV_FORMAT_MARKDOWN ? "\n" : "");
    const char *li = f == EV_FORMAT_MARKDOWN ? "- " : "  ";
    printf("%sboth pass %.0f, only candidate %.0f, only baseline %.0f, both fail %.0f\n", li,
           getn(c, "table.both_pass"), getn(c, "table.only_candidate"),
           getn(c, "table.only_baseline"), getn(c, "table.both_fail"));
    char method[64];
    printf("%saccuracy %s (candidate) vs %s (baseline): difference %s points, 95%% CI %s (%s)\n",
           li, pct(getn(c, "candidate_accuracy"), b1, sizeof(b1)),
           pct(getn(c, "baseline_accuracy"), b2, sizeof(b2)),
           points(getn(c, "delta"), b3, sizeof(b3)), ci_pct(c, "delta_ci", b4, sizeof(b4)),
           gets_(c, "ci_method", method, sizeof(method)));
    if (!isnan(getn(c, "mcnemar_p")))
        printf("%sMcNemar exact p = %.4f (mid-p %.4f)", li, getn(c, "mcnemar_p"),
               getn(c, "mcnemar_midp"));
    else
        printf("%spaired t p = %.4f", li, getn(c, "p"));
    printf(", correlation %s, smallest difference detectable at this n: %s points\n",
           fixed(getn(c, "correlation"), 2, b1, sizeof(b1)),
           fixed(100 * getn(c, "mde"), 1, b2, sizeof(b2)));
    if (!isnan(getn(c, "graded.delta")))
        printf("%sgraded score difference %+.3f, 95%% CI [%.3f, %.3f] (paired bootstrap, "
               "%.0f resamples, seed %.0f)\n",
               li, getn(c, "graded.delta"), getn(c, "graded.ci.0"), getn(c, "graded.ci.1"),
               getn(c, "graded.resamples"), getn(c, "graded.seed"));
    if (!isnan(getn(c, "latency_ratio.geometric_mean")))
        printf("%slatency x%.2f [%.2f, %.2f] (geometric mean of per-case ratios)\n", li,
               getn(c, "latency_ratio.geometric_mean"), getn(c, "latency_ratio.ci.0"),
               getn(c, "latency_ratio.ci.1"));
    if (!isnan(getn(c, "cost_ratio.ratio")))
        printf("%scost x%.3f, saving %.6f per case\n", li, getn(c, "cost_ratio.ratio"),
               getn(c, "cost_ratio.saving_per_case"));
    print_ids(c, "regressed");
    print_ids(c, "fixed");
    jv groups = jv_object_get(jv_copy(c), jv_string("groups"));
    if (jv_get_kind(groups) == JV_KIND_OBJECT) {
        printf("%sper group:\n", li);
        jv_object_foreach(groups, g, v)
        {
            printf("    %-24s n %4.0f  difference %6s  95%% CI %s\n", jv_string_value(g),
                   getn(v, "paired_cases"), points(getn(v, "delta"), b1, sizeof(b1)),
                   ci_pct(v, "delta_ci", b2, sizeof(b2)));
            jv_free(g);
            jv_free(v);
        }
    }
    jv_free(groups);
    jv v = ev_field_path(c, "verdict");
    if (jv_get_kind(v) == JV_KIND_OBJECT) {
        printf("%sverdict: %s", li, gets_(v, "result", b1, sizeof(b1)));
        jv beyond = jv_object_get(jv_copy(v), jv_string("beyond_margin"));
        if (jv_get_kind(beyond) != JV_KIND_INVALID)
            printf(jv_get_kind(beyond) == JV_KIND_TRUE ? ", beyond the margin"
                                                       : ", but within the margin");
        jv_free(beyond);
        if (!isnan(getn(v, "margin")))
            printf(" (goal: match within %.1f points)", 100 * getn(v, "margin"));
        else
            printf(" (goal: surpass)");
        if (!isnan(getn(v, "cases_needed")))
            printf("; about %.0f paired cases would decide it", getn(v, "cases_needed"));
        printf("\n");
    }
    jv_free(v);
    v = ev_field_path(c, "min_accuracy_goal");
    if (jv_get_kind(v) == JV_KIND_OBJECT)
        printf("%sminimum accuracy %s: %s\n", li, pct(getn(v, "min_accuracy"), b1, sizeof(b1)),
               gets_(v, "result", b2, sizeof(b2)));
    jv_free(v);
}

static void
print_report(jv rep, enum ev_format f)
{
    jv runs = jv_object_get(jv_copy(rep), jv_string("runs"));
    print_run_header(f);
    jv_array_foreach(runs, i, r)
    {
        char name[256];
        print_run_row(r, gets_(r, "run", name, sizeof(name)), f);
        jv groups = jv_object_get(jv_copy(r), jv_string("groups"));
        if (jv_get_kind(groups) == JV_KIND_OBJECT) {
            jv_object_foreach(groups, g, v)
            {
                char label[300];
                snprintf(label, sizeof(label), "  %s", jv_string_value(g));
                print_run_row(v, label, f);
                jv_free(g);
                jv_free(v);
            }
        }
        jv_free(groups);
        jv goal = ev_field_path(r, "goal");
        if (jv_get_kind(goal) == JV_KIND_OBJECT && f != EV_FORMAT_TSV) {
            char b1[32], b2[32];
            printf("  minimum accuracy %s: %s\n", pct(getn(goal, "min_accuracy"), b1, sizeof(b1)),
                   gets_(goal, "result", b2, sizeof(b2)));
        }
        jv_free(goal);
        jv_free(r);
        (void)i;
    }
    jv_free(runs);
    jv comps = jv_object_get(jv_copy(rep), jv_string("comparisons"));
    if (f == EV_FORMAT_TSV && jv_array_length(jv_copy(comps)) > 0)
        printf("\nkind\tcandidate\tbaseline\tpaired_cases\tdelta\tci_lo\tci_hi\tmcnemar_p\tmde\t"
               "verdict\n");
    jv_array_foreach(comps, j, c)
    {
        print_comparison(c, f);
        jv_free(c);
        (void)j;
    }
    jv_free(comps);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bootstrap", required_argument, NULL, 'B'},
        {"by", required_argument, NULL, 'b'},
        {"cluster", required_argument, NULL, 'c'},
        {"exact", no_argument, NULL, 'e'},
        {"format", required_argument, NULL, 'f'},
        {"goal", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {"margin", required_argument, NULL, 'M'},
        {"min-accuracy", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 's'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    ev_compare_opts o = {
        .level = 0.95, .margin = 0.05, .seed = 1, .bootstrap = 10000, .max_ids = -1};
    ev_run_opts ro = {0};
    enum ev_format fmt = EV_FORMAT_AUTO;
    bool margin_given = false;
    long l;
    int c;

    while ((c = getopt_long(argc, argv, "B:b:c:f:g:hM:V", longopts, NULL)) != -1) {
        switch (c) {
        case 'B':
            if (!ev_parse_long(optarg, 100, 10000000, &l))
                ev_diag_usage_error(
                    "--bootstrap takes a whole number from 100 to 10000000, not '%s'", optarg);
            o.bootstrap = l;
            break;
        case 'b':
            ro.by = optarg;
            o.by = true;
            break;
        case 'c':
            ro.cluster = optarg;
            o.clustered = true;
            break;
        case 'e':
            o.exact = true;
            break;
        case 'f':
            if (!ev_parse_format(optarg, 4, &fmt))
                ev_diag_usage_error("--format takes table, json, markdown or tsv, not '%s'",
                                    optarg);
            break;
        case 'g':
            if (strcmp(optarg, "surpass") == 0)
                o.goal = EV_GOAL_SURPASS;
            else if (strcmp(optarg, "match") == 0)
                o.goal = EV_GOAL_MATCH;
            else
                ev_diag_usage_error("--goal takes surpass or match, not '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            return ev_diag_close_stdout();
        case 'M':
            if (!ev_parse_double(optarg, 0, 1, &o.margin) || o.margin <= 0)
                ev_diag_usage_error("--margin takes a difference above 0 and at most 1, such as "
                                    "0.05, not '%s'",
                                    optarg);
            margin_given = true;
            break;
        case 'm':
            if (!ev_parse_double(optarg, 0, 1, &o.min_accuracy))
                ev_diag_usage_error("--min-accuracy takes a number from 0 to 1, not '%s'", optarg);
            o.has_min = true;
            break;
        case 's':
            if (!ev_parse_long(optarg, 0, LONG_MAX, &l))
                ev_diag_usage_error("--seed takes a whole number, not '%s'", optarg);
            o.seed = (uint64_t)l;
            break;
        case 'V':
            ev_diag_version();
        default:
            fprintf(stderr, "try 'ev-compare --help'\n");
            return EV_EXIT_TROUBLE;
        }
    }
    int nruns = argc - optind;
    if (nruns < 1)
        ev_diag_usage_error("name at least one scored run");
    if (o.goal != EV_GOAL_NONE && nruns < 2)
        ev_diag_usage_error("--goal compares a candidate with a baseline: name two runs");
    if (margin_given && o.goal != EV_GOAL_MATCH)
        ev_diag_usage_error("--margin goes with --goal match");
    int stdin_runs = 0;
    for (int i = optind; i < argc; i++)
        stdin_runs += strcmp(argv[i], "-") == 0;
    if (stdin_runs > 1)
        ev_diag_usage_error("standard input can be only one of the runs");
    fmt = ev_format_resolve(fmt);
    ev_interrupt_catch();

    int status = EV_EXIT_OK;
    ev_run *runs = ev_alloc_zero((size_t)nruns, sizeof(*runs));
    for (int i = 0; i < nruns; i++) {
        int problems = ev_run_load(&runs[i], argv[optind + i], &ro, report_problem, NULL);
        if (problems < 0 || ev_interrupted()) { /* no report of part of a run */
            for (int j = 0; j <= i; j++)
                ev_run_free(&runs[j]);
            free(runs);
            return ev_interrupt_status(EV_EXIT_TROUBLE);
        }
        if (problems > 0)
            status = EV_EXIT_TROUBLE;
        if (runs[i].n == 0)
            ev_diag_warn("'%s' has no scored cases", argv[optind + i]);
    }

    jv rep = jv_object();
    jv rr = jv_array(), cc = jv_array();
    bool met = true;
    for (int i = 0; i < nruns; i++) {
        ev_compare_opts ro_opts = o;
        ro_opts.has_min = o.has_min && nruns == 1;
        jv r = ev_run_report(&runs[i], &ro_opts);
        if (!jv_is_valid(r))
            ev_diag_die(EV_EXIT_TROUBLE, "out of memory");
        if (ro_opts.has_min) {
            jv m = ev_field_path(r, "goal.met");
            met = met && jv_get_kind(m) == JV_KIND_TRUE;
            jv_free(m);
        }
        rr = jv_array_append(rr, r);
        if (i > 0) {
            jv c2 = ev_compare_report(&runs[0], &runs[i], &o);
            if (!jv_is_valid(c2))
                ev_diag_die(EV_EXIT_TROUBLE, "out of memory");
            jv m = jv_object_get(jv_copy(c2), jv_string("met"));
            met = met && jv_get_kind(m) != JV_KIND_FALSE;
            jv_free(m);
            cc = jv_array_append(cc, c2);
        }
    }
    rep = jv_object_set(rep, jv_string("runs"), rr);
    rep = jv_object_set(rep, jv_string("comparisons"), cc);
    bool has_goal = o.goal != EV_GOAL_NONE || o.has_min;
    if (has_goal)
        rep = jv_object_set(rep, jv_string("met"), jv_bool(met));

    if (ev_interrupted()) {
        jv_free(rep); /* interrupted while it was being made: none is printed */
    } else if (fmt == EV_FORMAT_JSON) {
        jv_dumpf(rep, stdout, 0);
        putchar('\n');
    } else {
        print_report(rep, fmt);
        jv_free(rep);
    }
    for (int i = 0; i < nruns; i++)
        ev_run_free(&runs[i]);
    free(runs);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    else if (status == EV_EXIT_OK && has_goal && !met)
        status = EV_EXIT_NO;
    return ev_interrupt_status(status);
}
