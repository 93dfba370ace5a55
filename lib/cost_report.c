#include "cost_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "report.h"

static double
per(double total, unsigned long n)
{
    return n > 0 ? total / (double)n : NAN;
}

/* summary_row prints the figures of one model, or of all: every column in
 * tsv, and on a terminal or in markdown those that fit a screen. */
static void
summary_row(FILE *out, enum ev_cli_format f, const char *name, const char *as,
            const ev_cost_tally *t, const char *cur, const int *widths)
{
    char b[10][48];
    int dec = f == EV_CLI_FORMAT_TSV ? 0 : 6;
    double in = t->priced ? t->cost_in : NAN, cout = t->priced ? t->cost_out : NAN;
    ev_report_fixed((double)t->records, 0, b[0], sizeof(b[0]));
    ev_report_fixed((double)t->priced, 0, b[1], sizeof(b[1]));
    ev_report_fixed((double)t->unknown, 0, b[2], sizeof(b[2]));
    ev_report_fixed((double)t->errors, 0, b[3], sizeof(b[3]));
    ev_report_fixed(t->in_tok, 0, b[4], sizeof(b[4]));
    ev_report_fixed(t->out_tok, 0, b[5], sizeof(b[5]));
    ev_report_fixed(t->cached_tok, 0, b[6], sizeof(b[6]));
    ev_report_money(in, dec, b[7], sizeof(b[7]));
    ev_report_money(cout, dec, b[8], sizeof(b[8]));
    ev_report_money(in + cout, dec, b[9], sizeof(b[9]));
    if (f == EV_CLI_FORMAT_TSV) {
        if (t->priced == 0) /* an empty cell, not "-", for a number nobody knows */
            b[7][0] = b[8][0] = b[9][0] = '\0';
        const char *cells[] = {name, as,   b[0], b[1], b[2], b[3], b[4],
                               b[5], b[6], b[7], b[8], b[9], cur};
        ev_report_row(out, f, cells, 13, NULL);
    } else {
        const char *cells[] = {name, b[0], b[1], b[2], b[3], b[4], b[5], b[9]};
        ev_report_row(out, f, cells, 8, widths);
    }
}

void
ev_cost_report_summary(FILE *out, const ev_cost_ledger *pc, enum ev_cli_format f)
{
    char cost_head[32];
    snprintf(cost_head, sizeof(cost_head), "cost %s", pc->currency);
    int widths[] = {12, 7, 7, 7, 6, 11, 11, 12};
    for (size_t i = 0; i < pc->nmodels; i++) {
        size_t n = strlen(pc->models[i].model);
        if ((int)n > widths[0] && n < 200)
            widths[0] = (int)n;
    }
    if (f == EV_CLI_FORMAT_TSV) {
        const char *h[] = {"model",         "priced_as",  "records",      "priced",
                           "unknown",       "errors",     "input_tokens", "output_tokens",
                           "cached_tokens", "input_cost", "output_cost",  "total_cost",
                           "currency"};
        ev_report_row(out, f, h, 13, NULL);
    } else {
        const char *h[] = {"model",  "records",   "priced",     "unknown",
                           "errors", "input tok", "output tok", cost_head};
        ev_report_header(out, f, h, 8, widths);
    }
    for (size_t i = 0; i < pc->nmodels; i++) {
        const ev_cost_model *e = &pc->models[i];
        if (e->t.records == 0)
            continue;
        summary_row(out, f, e->model, e->row ? e->row->model : "", &e->t, pc->currency, widths);
    }
    summary_row(out, f, "(total)", "", &pc->all, pc->currency, widths);
    if (f == EV_CLI_FORMAT_TSV)
        return;
    const ev_cost_tally *t = &pc->all;
    unsigned long ncases = pc->ncases;
    char b1[48], b2[48];
    const char *li = f == EV_CLI_FORMAT_MARKDOWN ? "\n- " : "\n";
    double total = t->cost_in + t->cost_out;
    if (t->priced > 0)
        fprintf(out, "%scost per case %s %s over %lu cases (%s per record)", li,
                ev_report_money(per(total, ncases), 6, b1, sizeof(b1)), pc->currency, ncases,
                ev_report_money(per(total, t->priced), 6, b2, sizeof(b2)));
    if (pc->judge.priced > 0)
        fprintf(out, "%sjudging cost %s %s more for %lu judged record%s", li,
                ev_report_money(pc->judge.cost_in + pc->judge.cost_out, 6, b1, sizeof(b1)),
                pc->currency, pc->judge.priced, pc->judge.priced == 1 ? "" : "s");
    jv none = ev_cost_nothing_priced(pc);
    if (jv_is_valid(none))
        fprintf(out, "%s%s", li, jv_string_value(none));
    jv_free(none);
    if (t->unknown > 0)
        fprintf(out, "%s%lu record%s without token usage %s not in the total", li, t->unknown,
                t->unknown == 1 ? "" : "s", t->unknown == 1 ? "is" : "are");
    if (t->errors > 0)
        fprintf(out, "%s%lu record%s could not be priced (see the errors above)", li, t->errors,
                t->errors == 1 ? "" : "s");
    if (pc->o->batch)
        fprintf(out, "%sat batch rates", li);
    else if (t->batch > 0)
        fprintf(out, "%s%lu record%s answered by a batch API, at batch rates", li, t->batch,
                t->batch == 1 ? "" : "s");
    for (size_t i = 0; i < pc->nmodels; i++)
        if (jv_is_valid(pc->models[i].shutdown))
            fprintf(out, "%s%s", li, jv_string_value(pc->models[i].shutdown));
    if (pc->o->currency != NULL) {
        jv r = ev_cost_rate(pc->o, ev_price_table_currency(pc->table));
        jv note = ev_json_field(r, "note");
        fprintf(out, "%sconverted at %s", li, ev_json_str(note, ""));
        jv_free(note);
        jv_free(r);
    }
    if (jv_is_valid(pc->as_of_min))
        fprintf(out, "%sprices as of %s; verify them against each row's source before budgeting",
                li, jv_string_value(pc->as_of_min));
    fputc('\n', out);
}

/* fixed_at and money_at write the number at 'path' of 'j' into 'buf', a
 * cell of TSV's precision. */
#define CELL 48

static const char *
fixed_at(jv j, const char *path, char *buf)
{
    return ev_report_fixed(ev_json_number(j, path), 0, buf, CELL);
}

static const char *
money_at(jv j, const char *path, char *buf)
{
    return ev_report_money(ev_json_number(j, path), 0, buf, CELL);
}

void
ev_cost_report_estimate(FILE *out, jv j, enum ev_cli_format f)
{
    char cur[8];
    jv c = ev_json_field(j, "currency");
    snprintf(cur, sizeof(cur), "%s", ev_json_str(c, ""));
    jv_free(c);
    const char *currency = cur;
    char b[8][CELL];
    jv model = ev_json_field(j, "model");
    double lo = ev_json_number(j, "range.low.total");
    double hi = ev_json_number(j, "range.high.total");
    if (f == EV_CLI_FORMAT_TSV) {
        const char *h[] = {"estimate",     "model",         "cases",      "calls",
                           "input_tokens", "output_tokens", "input_cost", "output_cost",
                           "total_cost",   "low_total",     "high_total", "currency"};
        ev_report_row(out, f, h, 12, NULL);
        const char *cells[] = {
            "true",
            jv_string_value(model),
            fixed_at(j, "cases", b[0]),
            fixed_at(j, "calls", b[1]),
            fixed_at(j, "input_tokens", b[2]),
            fixed_at(j, "output_tokens", b[3]),
            money_at(j, "cost.input", b[4]),
            money_at(j, "cost.output", b[5]),
            money_at(j, "cost.total", b[6]),
            isnan(lo) ? "" : ev_report_money(lo, 0, b[7], sizeof(b[7])),
            "",
            currency,
        };
        char hb[48];
        if (!isnan(hi))
            cells[10] = ev_report_money(hi, 0, hb, sizeof(hb));
        ev_report_row(out, f, cells, 12, NULL);
    } else {
        static const int widths[] = {8, 12, 12};
        bool md = f == EV_CLI_FORMAT_MARKDOWN;
        fprintf(out, "%sESTIMATE for %.0f cases on %s (%.0f calls), before any call is made\n\n",
                md ? "### " : "", ev_json_number(j, "cases"), jv_string_value(model),
                ev_json_number(j, "calls"));
        char cost_head[32];
        snprintf(cost_head, sizeof(cost_head), "cost %s", currency);
        const char *h[] = {"", "tokens", cost_head};
        ev_report_header(out, f, h, 3, widths);
        const char *r1[] = {
            "input", fixed_at(j, "input_tokens", b[0]),
            ev_report_money(ev_json_number(j, "cost.input"), 6, b[1], sizeof(b[1]))};
        const char *r2[] = {
            "output", fixed_at(j, "output_tokens", b[2]),
            ev_report_money(ev_json_number(j, "cost.output"), 6, b[3], sizeof(b[3]))};
        const char *r3[] = {
            "total", "", ev_report_money(ev_json_number(j, "cost.total"), 6, b[4], sizeof(b[4]))};
        ev_report_row(out, f, r1, 3, widths);
        ev_report_row(out, f, r2, 3, widths);
        ev_report_row(out, f, r3, 3, widths);
        fprintf(out, "\nrange: %s %s (answers as long as 'expected') to ",
                ev_report_money(lo, 6, b[5], sizeof(b[5])), currency);
        if (!isnan(hi))
            fprintf(out,
                    "%s %s (answers of --max-tokens); the total is the high end, the worst "
                    "case\n",
                    ev_report_money(hi, 6, b[6], sizeof(b[6])), currency);
        else
            fprintf(out, "no upper bound (answers of any length: --max-tokens sets one); the "
                         "total is the low end, an optimistic figure\n");
        fprintf(out, "\n%s:\n", md ? "**assumptions**" : "assumptions");
        jv as = ev_json_field(j, "assumptions");
        jv_array_foreach(as, i, s)
        {
            fprintf(out, "%s%s\n", md ? "- " : "  - ", jv_string_value(s));
            jv_free(s);
            (void)i;
        }
        jv_free(as);
    }
    jv_free(model);
}

void
ev_cost_report_hosting(FILE *out, jv j, enum ev_cli_format f)
{
    char b[12][CELL];
    jv c = ev_json_field(j, "currency"), ep = ev_json_path(j, "hosting.endpoint"),
       rate = ev_json_path(j, "rate.note");
    const char *cur = ev_json_str(c, ""), *where = ev_json_str(ep, "a price per hour");
    double base = ev_json_number(j, "baseline.per_case"), even = ev_json_number(j, "break_even");
    const char *cells[] = {
        where,
        money_at(j, "hosting.per_hour", b[0]),
        fixed_at(j, "traffic", b[1]),
        fixed_at(j, "concurrency", b[2]),
        fixed_at(j, "latency_ms", b[3]),
        fixed_at(j, "capacity", b[4]),
        fixed_at(j, "replicas", b[5]),
        money_at(j, "daily_cost", b[6]),
        money_at(j, "per_case", b[7]),
        isnan(base) ? "" : ev_report_money(base, 0, b[8], sizeof(b[8])),
        isnan(even) ? "" : ev_report_fixed(even, 0, b[9], sizeof(b[9])),
        cur,
    };
    if (f == EV_CLI_FORMAT_TSV) {
        const char *h[] = {"hosting",    "per_hour",          "traffic",    "concurrency",
                           "latency_ms", "capacity",          "replicas",   "daily_cost",
                           "per_case",   "baseline_per_case", "break_even", "currency"};
        ev_report_row(out, f, h, 12, NULL);
        ev_report_row(out, f, cells, 12, NULL);
    } else {
        const char *li = f == EV_CLI_FORMAT_MARKDOWN ? "- " : "";
        fprintf(out, "%sHOSTING on %s at %s %s an hour a replica, for %s cases a day\n\n",
                f == EV_CLI_FORMAT_MARKDOWN ? "### " : "", where, cells[1], cur, cells[2]);
        fprintf(out,
                "%scapacity %s cases a day a replica (%s calls at once, %s ms a call, "
                "%.2f calls a case): %s replica%s\n",
                li, cells[5], cells[3], cells[4], ev_json_number(j, "calls_per_case"), cells[6],
                ev_json_number(j, "replicas") == 1 ? "" : "s");
        fprintf(out, "%sdaily cost %s %s, %s %s per case\n", li,
                ev_report_money(ev_json_number(j, "daily_cost"), 2, b[10], sizeof(b[10])), cur,
                ev_report_money(ev_json_number(j, "per_case"), 6, b[11], sizeof(b[11])), cur);
        if (!isnan(base)) {
            fprintf(
                out, "%sbaseline per token: %s %s per case, %s %s a day at this traffic\n", li,
                ev_report_money(base, 6, b[10], sizeof(b[10])), cur,
                ev_report_money(ev_json_number(j, "baseline.daily_cost"), 2, b[11], sizeof(b[11])),
                cur);
            if (!isnan(even))
                fprintf(out,
                        "%sbreak-even at %s cases a day: hosting is cheaper above it, up "
                        "to one replica's capacity\n",
                        li, cells[10]);
            else
                fprintf(out,
                        "%sno break-even: a full replica costs more per case than the "
                        "baseline\n",
                        li);
            jv ch = ev_json_field(j, "cheaper");
            fprintf(out, "%sat %s cases a day the %s is cheaper\n", li, cells[2],
                    ev_json_str(ch, "?"));
            jv_free(ch);
        }
        if (jv_get_kind(rate) == JV_KIND_STRING)
            fprintf(out, "%sconverted at %s\n", li, jv_string_value(rate));
        jv formula = ev_json_field(j, "formula");
        fprintf(out, "%s%s\n", li, ev_json_str(formula, ""));
        jv_free(formula);
    }
    jv_free(c);
    jv_free(ep);
    jv_free(rate);
}
