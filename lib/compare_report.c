#include "compare_report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "report.h"

static double
num(jv o, const char *path)
{
    return ev_json_number(o, path);
}

/* text copies the string at 'path' of 'o' into 'buf', or "-". */
static const char *
text(jv o, const char *path, char *buf, size_t n)
{
    jv v = ev_json_path(o, path);
    snprintf(buf, n, "%s", ev_json_str(v, "-"));
    jv_free(v);
    return buf;
}

/* ci_pct writes the interval at 'path' ([lo, hi]) of 'o' in percent. */
static const char *
ci_pct(jv o, const char *path, char *buf, size_t n)
{
    char lo[64], hi[64];
    snprintf(lo, sizeof(lo), "%s.0", path);
    snprintf(hi, sizeof(hi), "%s.1", path);
    return ev_report_ci_pct(num(o, lo), num(o, hi), buf, n);
}

/* md_cell writes 's' as the text of a markdown table cell: a pipe would end
 * the cell, and a line end the row. */
static void
md_cell(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
}

/* run_row writes one row per run, or per group of a run. */
static void
run_row(FILE *f, jv r, const char *name, enum ev_cli_format fmt)
{
    char a[32], ci[40], p50[24], p95[24], cost[32];
    double fails = num(r, "failed_calls");
    ev_report_pct(num(r, "accuracy"), a, sizeof(a));
    ci_pct(r, "accuracy_ci", ci, sizeof(ci));
    ev_report_fixed(num(r, "latency_ms.p50"), 0, p50, sizeof(p50));
    ev_report_fixed(num(r, "latency_ms.p95"), 0, p95, sizeof(p95));
    ev_report_fixed(num(r, "cost.per_case"), 6, cost, sizeof(cost));
    if (fmt == EV_CLI_FORMAT_MARKDOWN) {
        fputs("| ", f);
        md_cell(f, name);
        fprintf(f, " | %.0f | %.0f | %s | %s | %.0f | %s | %s | %s |\n", num(r, "cases"),
                num(r, "passes"), a, ci, fails, p50, p95, cost);
    } else
        fprintf(f, "%-28s %6.0f %6.0f %7s %-15s %6.0f %7s %7s %10s\n", name, num(r, "cases"),
                num(r, "passes"), a, ci, fails, p50, p95, cost);
}

static void
run_header(FILE *f, enum ev_cli_format fmt)
{
    if (fmt == EV_CLI_FORMAT_MARKDOWN)
        fprintf(f, "| run | cases | passes | accuracy | 95%% CI | failed calls | p50 ms | p95 ms | "
                   "cost/case |\n|---|--:|--:|--:|---|--:|--:|--:|--:|\n");
    else
        fprintf(f, "%-28s %6s %6s %7s %-15s %6s %7s %7s %10s\n", "run", "cases", "passes", "acc",
                "95% CI", "failed", "p50 ms", "p95 ms", "cost/case");
}

/* ids writes the ids of the cases that 'what' ("regressed", "fixed"), the
 * first twelve: on a line of their own, or a bullet of their own in
 * markdown, each id in a code span there. */
static void
ids(FILE *f, jv c, const char *what, bool md)
{
    char key[32];
    snprintf(key, sizeof(key), "%s_count", what);
    double count = num(c, key);
    if (!(count > 0))
        return;
    fprintf(f, "%s%s (%.0f):", md ? "- " : "  ", what, count);
    jv list = ev_json_field(c, what);
    if (jv_get_kind(list) == JV_KIND_ARRAY) {
        int shown = 0;
        jv_array_foreach(list, i, id)
        {
            if (shown++ < 12)
                fprintf(f, md ? " `%s`" : " %s", ev_json_str(id, "-"));
            jv_free(id);
            (void)i;
        }
    }
    jv_free(list);
    fprintf(f, "%s\n", count > 12 ? " ..." : "");
}

/* groups writes the figures of each group: indented lines, or a nested
 * list in markdown. */
static void
groups(FILE *f, jv c, bool md)
{
    char b1[64], b2[64];
    jv gs = ev_json_field(c, "groups");
    if (jv_get_kind(gs) == JV_KIND_OBJECT) {
        fprintf(f, "%sper group:\n", md ? "- " : "  ");
        jv_object_foreach(gs, g, v)
        {
            fprintf(f,
                    md ? "    - %s: n %.0f, difference %s, 95%% CI %s\n"
                       : "    %-24s n %4.0f  difference %6s  95%% CI %s\n",
                    jv_string_value(g), num(v, "paired_cases"),
                    ev_report_points(num(v, "delta"), b1, sizeof(b1)),
                    ci_pct(v, "delta_ci", b2, sizeof(b2)));
            jv_free(g);
            jv_free(v);
        }
    }
    jv_free(gs);
}

static void
verdict(FILE *f, jv c, const char *li)
{
    char b1[64], b2[64];
    jv v = ev_json_field(c, "verdict");
    if (jv_get_kind(v) == JV_KIND_OBJECT) {
        fprintf(f, "%sverdict: %s", li, text(v, "result", b1, sizeof(b1)));
        jv beyond = ev_json_field(v, "beyond_margin");
        if (jv_get_kind(beyond) != JV_KIND_INVALID)
            fputs(jv_get_kind(beyond) == JV_KIND_TRUE ? ", beyond the margin"
                                                      : ", but within the margin",
                  f);
        jv_free(beyond);
        if (!isnan(num(v, "margin")))
            fprintf(f, " (goal: match within %.1f points)", 100 * num(v, "margin"));
        else
            fputs(" (goal: surpass)", f);
        if (!isnan(num(v, "cases_needed")))
            fprintf(f, "; about %.0f paired cases would decide it", num(v, "cases_needed"));
        fputc('\n', f);
    }
    jv_free(v);
    v = ev_json_field(c, "min_accuracy_goal");
    if (jv_get_kind(v) == JV_KIND_OBJECT)
        fprintf(f, "%sminimum accuracy %s: %s\n", li,
                ev_report_pct(num(v, "min_accuracy"), b1, sizeof(b1)),
                text(v, "result", b2, sizeof(b2)));
    jv_free(v);
}

void
ev_compare_report_pair(FILE *f, jv c, enum ev_cli_format fmt)
{
    char b1[64], b2[64], b3[64], b4[64];
    const char *base = text(c, "baseline", b1, sizeof(b1));
    const char *cand = text(c, "candidate", b2, sizeof(b2));
    double n = num(c, "paired_cases");
    bool md = fmt == EV_CLI_FORMAT_MARKDOWN;
    fprintf(f, "%s%s vs %s: %.0f paired cases", md ? "\n### " : "\n", cand, base, n);
    if (num(c, "only_in_baseline") > 0 || num(c, "only_in_candidate") > 0)
        fprintf(f, " (left out: %.0f only in the baseline, %.0f only in the candidate)",
                num(c, "only_in_baseline"), num(c, "only_in_candidate"));
    fprintf(f, "\n%s", md ? "\n" : "");
    const char *li = md ? "- " : "  ";
    jv none = ev_json_field(c, "no_evidence");
    if (jv_get_kind(none) == JV_KIND_STRING) {
        fprintf(f, "%s%s\n", li, jv_string_value(none));
        jv_free(none);
        verdict(f, c, li);
        return;
    }
    jv_free(none);
    fprintf(f, "%sboth pass %.0f, only candidate %.0f, only baseline %.0f, both fail %.0f\n", li,
            num(c, "table.both_pass"), num(c, "table.only_candidate"),
            num(c, "table.only_baseline"), num(c, "table.both_fail"));
    char method[64];
    fprintf(f,
            "%saccuracy %s (candidate) vs %s (baseline): difference %s points, 95%% CI %s (%s)\n",
            li, ev_report_pct(num(c, "candidate_accuracy"), b1, sizeof(b1)),
            ev_report_pct(num(c, "baseline_accuracy"), b2, sizeof(b2)),
            ev_report_points(num(c, "delta"), b3, sizeof(b3)),
            ci_pct(c, "delta_ci", b4, sizeof(b4)), text(c, "ci_method", method, sizeof(method)));
    if (!isnan(num(c, "mcnemar_p")))
        fprintf(f, "%sMcNemar exact p = %.4f (mid-p %.4f)", li, num(c, "mcnemar_p"),
                num(c, "mcnemar_midp"));
    else
        fprintf(f, "%spaired t p = %.4f", li, num(c, "p"));
    fprintf(f, ", correlation %s, smallest difference detectable at this n: %s points\n",
            ev_report_fixed(num(c, "correlation"), 2, b1, sizeof(b1)),
            ev_report_fixed(100 * num(c, "mde"), 1, b2, sizeof(b2)));
    if (!isnan(num(c, "graded.delta")))
        fprintf(f,
                "%sgraded score difference %+.3f, 95%% CI [%.3f, %.3f] (paired bootstrap, "
                "%.0f resamples, seed %.0f)\n",
                li, num(c, "graded.delta"), num(c, "graded.ci.0"), num(c, "graded.ci.1"),
                num(c, "graded.resamples"), num(c, "graded.seed"));
    if (!isnan(num(c, "latency_ratio.geometric_mean")))
        fprintf(f, "%slatency x%.2f [%.2f, %.2f] (geometric mean of per-case ratios)\n", li,
                num(c, "latency_ratio.geometric_mean"), num(c, "latency_ratio.ci.0"),
                num(c, "latency_ratio.ci.1"));
    if (!isnan(num(c, "cost_ratio.ratio")))
        fprintf(f, "%scost x%.3f, saving %.6f per case\n", li, num(c, "cost_ratio.ratio"),
                num(c, "cost_ratio.saving_per_case"));
    if (!isnan(num(c, "hosting.per_case"))) {
        fprintf(f,
                "%shosted at %g an hour: %.6f per case at %.0f cases a day (%.2f a day, %.0f "
                "replica%s)",
                li, num(c, "hosting.per_hour"), num(c, "hosting.per_case"),
                num(c, "hosting.traffic"), num(c, "hosting.daily_cost"), num(c, "hosting.replicas"),
                num(c, "hosting.replicas") == 1 ? "" : "s");
        if (!isnan(num(c, "hosting.break_even")))
            fprintf(f, "; break-even at %.0f cases a day against the baseline's %.6f per case\n",
                    num(c, "hosting.break_even"), num(c, "hosting.baseline_per_case"));
        else if (!isnan(num(c, "hosting.baseline_per_case")))
            fprintf(f, "; no break-even against the baseline's %.6f per case\n",
                    num(c, "hosting.baseline_per_case"));
        else
            fprintf(f, "; the baseline is not priced\n");
    }
    ids(f, c, "regressed", md);
    ids(f, c, "fixed", md);
    groups(f, c, md);
    verdict(f, c, li);
}

/* runs writes the table of runs, a row for each run and for each of its
 * groups. */
static void
runs(FILE *f, jv rep, enum ev_cli_format fmt)
{
    jv rs = ev_json_field(rep, "runs");
    run_header(f, fmt);
    if (jv_get_kind(rs) != JV_KIND_ARRAY) {
        jv_free(rs);
        return;
    }
    jv_array_foreach(rs, i, r)
    {
        char name[256];
        run_row(f, r, text(r, "run", name, sizeof(name)), fmt);
        jv gs = ev_json_field(r, "groups");
        if (jv_get_kind(gs) == JV_KIND_OBJECT) {
            jv_object_foreach(gs, g, v)
            {
                char label[300];
                snprintf(label, sizeof(label), "  %s", jv_string_value(g));
                run_row(f, v, label, fmt);
                jv_free(g);
                jv_free(v);
            }
        }
        jv_free(gs);
        jv goal = ev_json_field(r, "goal");
        if (jv_get_kind(goal) == JV_KIND_OBJECT && fmt != EV_CLI_FORMAT_TSV) {
            char b1[32], b2[32];
            fprintf(f, "  minimum accuracy %s: %s\n",
                    ev_report_pct(num(goal, "min_accuracy"), b1, sizeof(b1)),
                    text(goal, "result", b2, sizeof(b2)));
        }
        jv_free(goal);
        jv_free(r);
        (void)i;
    }
    jv_free(rs);
}

/* The TSV layout: one header, and every row of every kind with these
 * columns, empty where a row has no such figure. */
static const char *const tsv_columns[] = {
    "kind",         "run",
    "group",        "cases",
    "passes",       "accuracy",
    "ci_lo",        "ci_hi",
    "failed_calls", "p50_ms",
    "p95_ms",       "cost_per_case",
    "baseline",     "baseline_accuracy",
    "delta",        "delta_ci_lo",
    "delta_ci_hi",  "p",
    "mde",          "verdict",
    "met",
};
enum { TSV_COLS = sizeof(tsv_columns) / sizeof(tsv_columns[0]) };

/* tsv_text writes 's' as one TSV cell: tabs and line ends become spaces. */
static void
tsv_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void
tsv_row(FILE *f, const char *const *cells)
{
    for (int i = 0; i < TSV_COLS; i++) {
        if (i > 0)
            fputc('\t', f);
        tsv_text(f, cells[i] != NULL ? cells[i] : "");
    }
    fputc('\n', f);
}

/* tsv_met is the cell of a "met" at 'path' of 'o': true, false or empty. */
static const char *
tsv_met(jv o, const char *path)
{
    jv m = ev_json_path(o, path);
    jv_kind k = jv_get_kind(m);
    jv_free(m);
    return k == JV_KIND_TRUE ? "true" : k == JV_KIND_FALSE ? "false" : "";
}

static void
tsv_run(FILE *f, jv r, const char *run, const char *group)
{
    char b[9][40];
    const char *cells[TSV_COLS] = {
        "run",
        run,
        group,
        ev_report_raw(num(r, "cases"), b[0], sizeof(b[0])),
        ev_report_raw(num(r, "passes"), b[1], sizeof(b[1])),
        ev_report_raw(num(r, "accuracy"), b[2], sizeof(b[2])),
        ev_report_raw(num(r, "accuracy_ci.0"), b[3], sizeof(b[3])),
        ev_report_raw(num(r, "accuracy_ci.1"), b[4], sizeof(b[4])),
        ev_report_raw(num(r, "failed_calls"), b[5], sizeof(b[5])),
        ev_report_raw(num(r, "latency_ms.p50"), b[6], sizeof(b[6])),
        ev_report_raw(num(r, "latency_ms.p95"), b[7], sizeof(b[7])),
        ev_report_raw(num(r, "cost.per_case"), b[8], sizeof(b[8])),
    };
    cells[TSV_COLS - 1] = tsv_met(r, "goal.met");
    tsv_row(f, cells);
}

static void
tsv_compare(FILE *f, jv c, const char *cand, const char *base, const char *group)
{
    char b[8][40], v[64];
    double p = num(c, "mcnemar_p");
    const char *cells[TSV_COLS] = {
        "compare",
        cand,
        group,
        ev_report_raw(num(c, "paired_cases"), b[0], sizeof(b[0])),
        NULL,
        ev_report_raw(num(c, "candidate_accuracy"), b[1], sizeof(b[1])),
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        base,
        ev_report_raw(num(c, "baseline_accuracy"), b[2], sizeof(b[2])),
        ev_report_raw(num(c, "delta"), b[3], sizeof(b[3])),
        ev_report_raw(num(c, "delta_ci.0"), b[4], sizeof(b[4])),
        ev_report_raw(num(c, "delta_ci.1"), b[5], sizeof(b[5])),
        ev_report_raw(isnan(p) ? num(c, "p") : p, b[6], sizeof(b[6])),
        ev_report_raw(num(c, "mde"), b[7], sizeof(b[7])),
        NULL,
        tsv_met(c, "met"),
    };
    jv r = ev_json_path(c, "verdict.result");
    snprintf(v, sizeof(v), "%s", ev_json_str(r, ""));
    jv_free(r);
    cells[TSV_COLS - 2] = v;
    tsv_row(f, cells);
}

/* tsv writes the report as one TSV table: a row for each run and each of
 * its groups ("run"), then for each comparison and each of its groups
 * ("compare"). */
static void
tsv(FILE *f, jv rep)
{
    char name[512], other[512];
    tsv_row(f, tsv_columns);
    jv rs = ev_json_field(rep, "runs");
    if (jv_get_kind(rs) == JV_KIND_ARRAY) {
        jv_array_foreach(rs, i, r)
        {
            text(r, "run", name, sizeof(name));
            tsv_run(f, r, name, "");
            jv gs = ev_json_field(r, "groups");
            if (jv_get_kind(gs) == JV_KIND_OBJECT) {
                jv_object_foreach(gs, g, v)
                {
                    tsv_run(f, v, name, jv_string_value(g));
                    jv_free(g);
                    jv_free(v);
                }
            }
            jv_free(gs);
            jv_free(r);
            (void)i;
        }
    }
    jv_free(rs);
    jv cs = ev_json_field(rep, "comparisons");
    if (jv_get_kind(cs) == JV_KIND_ARRAY) {
        jv_array_foreach(cs, i, c)
        {
            text(c, "candidate", name, sizeof(name));
            text(c, "baseline", other, sizeof(other));
            tsv_compare(f, c, name, other, "");
            jv gs = ev_json_field(c, "groups");
            if (jv_get_kind(gs) == JV_KIND_OBJECT) {
                jv_object_foreach(gs, g, v)
                {
                    tsv_compare(f, v, name, other, jv_string_value(g));
                    jv_free(g);
                    jv_free(v);
                }
            }
            jv_free(gs);
            jv_free(c);
            (void)i;
        }
    }
    jv_free(cs);
}

void
ev_compare_report_write(FILE *f, jv rep, enum ev_cli_format fmt)
{
    if (fmt == EV_CLI_FORMAT_JSON) {
        jv_dumpf(jv_copy(rep), f, 0);
        fputc('\n', f);
        return;
    }
    if (fmt == EV_CLI_FORMAT_TSV) {
        tsv(f, rep);
        return;
    }
    runs(f, rep, fmt);
    jv comps = ev_json_field(rep, "comparisons");
    if (jv_get_kind(comps) == JV_KIND_ARRAY) {
        jv_array_foreach(comps, j, c)
        {
            ev_compare_report_pair(f, c, fmt);
            jv_free(c);
            (void)j;
        }
    }
    jv_free(comps);
}
