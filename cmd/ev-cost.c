/*
 * ev-cost: what a run cost, or what it will cost.
 *
 * Reads records (JSONL) and writes each one back with a 'cost' field,
 * {input, output, total, currency}, priced from the token counts in 'call'
 * and a price table. A record without token counts gets a cost of nulls that
 * says why, never a made-up 0; a model without a price is an error and its
 * record passes through without a cost. --summary reports the totals instead,
 * and --estimate prices cases before any call is made.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "hash.h"
#include "interrupt.h"
#include "jsonl.h"
#include "keymap.h"
#include "price.h"
#include "record.h"

enum mode { MODE_RECORDS, MODE_SUMMARY, MODE_ESTIMATE };

/* Codes of the options that have no short form. */
enum {
    OPT_CURRENCY = 256,
    OPT_MAX_TOKENS,
    OPT_PRICE_CACHED,
    OPT_PRICE_IN,
    OPT_PRICE_OUT,
    OPT_RATE,
    OPT_REPEAT,
    OPT_SYSTEM,
    OPT_SYSTEM_FILE,
};

/* The largest price per million tokens, and the largest --rate, taken. */
#define PRICE_MAX 1e6
#define RATE_MAX 1e9

typedef struct opts {
    enum mode mode;
    enum ev_format fmt;
    const char *model; /* --model: price every record as this model */
    bool batch, quiet;
    char currency[4]; /* empty: the table's */
    double rate;
    bool custom; /* --price-in/--price-out replace the table */
    double price_in, price_out, price_cached;
    char **prices; /* --prices, in order */
    int nprices;
    long max_tokens; /* 0: not given */
    long repeat;
    char *system; /* owned */
} opts;

static void
usage(FILE *f)
{
    fputs("usage: ev-cost [-bq] [-m MODEL] [-p FILE ...] [--price-in X --price-out Y\n"
          "               [--price-cached Z]] [--currency CODE --rate R] [FILE ...]\n"
          "       ev-cost -s [-f FORMAT] [options] [FILE ...]\n"
          "       ev-cost -e -m MODEL [--max-tokens N] [--repeat K] [--system TEXT |\n"
          "               --system-file FILE] [-f FORMAT] [options] [FILE ...]\n"
          "\n"
          "Price each record from the token counts in 'call' and add\n"
          "cost = {input, output, total, currency}. Prices are per million tokens.\n"
          "\n"
          "  -m, --model MODEL       price every record as MODEL, not its 'call.model'\n"
          "  -p, --prices FILE       price table (JSONL; repeatable, later rows win);\n"
          "                          default $EV_PRICES, else the installed table\n"
          "      --price-in X        price input tokens at X per million, for every\n"
          "      --price-out Y       record, instead of the table (both needed)\n"
          "      --price-cached Z    cached input tokens (default: the --price-in price)\n"
          "  -b, --batch             apply the table's batch discount\n"
          "      --currency CODE     report in CODE, such as GBP; needs --rate\n"
          "      --rate R            units of CODE per unit of the table's currency (USD)\n"
          "  -s, --summary           report totals, per model, instead of records\n"
          "  -e, --estimate          before calling: the expected cost of running the\n"
          "                          cases on --model (a report)\n"
          "      --max-tokens N      estimate: answers of N tokens, the worst case\n"
          "      --repeat K          estimate: each case called K times (default 1)\n"
          "      --system TEXT       estimate: a system message opens each case\n"
          "      --system-file FILE  estimate: the system message from FILE\n"
          "  -f, --format FORMAT     report as table, json, markdown or tsv (default:\n"
          "                          table on a terminal, json otherwise)\n"
          "  -q, --quiet             no summary line on standard error\n"
          "  -h, --help              show this help\n"
          "  -V, --version           show the version\n"
          "\n"
          "A record without token counts gets a cost of nulls, never 0. A model the\n"
          "table lacks is an error: its record passes through without a cost.\n"
          "Exit status: 0 done, 2 trouble (no price, bad line, bad table, failed write).\n"
          "See ev-cost(1) and ev(7).\n",
          f);
}

/* Pricing records ------------------------------------------------------ */

typedef struct tally {
    unsigned long records, priced, unknown, errors;
    unsigned long batch;                /* priced records at batch rates */
    double in_tok, out_tok, cached_tok; /* of priced records */
    double cost_in, cost_out;           /* of priced records, rounded per record */
} tally;

/* An entry is one model as records name it, with what it is priced as. */
typedef struct entry {
    char *model;
    const ev_price *row; /* NULL when the table has none */
    bool no_price_told;  /* its missing price was reported */
    bool no_batch_told;  /* its missing batch factor was reported */
    tally t;
} entry;

typedef struct pricer {
    const opts *o;
    ev_prices *table;
    const char *currency; /* of the reported figures */
    entry *entries;
    size_t nentries, cap;
    jv index;             /* model name -> entry number */
    ev_keymap *cases;     /* hashes of the ids of priced cases (summary), or NULL */
    unsigned long ncases; /* distinct ids among them, and records without one */
    tally all;            /* every record */
    tally judge;          /* the judges of ev-score's score.judge, priced as their models */
    jv as_of_min;         /* dates of the rows used */
    jv as_of_max;
} pricer;

static entry *
entry_for(pricer *pc, const char *model)
{
    jv k = jv_object_get(jv_copy(pc->index), jv_string(model));
    if (jv_get_kind(k) == JV_KIND_NUMBER) {
        entry *e = &pc->entries[(size_t)jv_number_value(k)];
        jv_free(k);
        return e;
    }
    jv_free(k);
    if (pc->nentries == pc->cap) {
        pc->cap = pc->cap ? 2 * pc->cap : 16;
        pc->entries = ev_alloc_resize(pc->entries, pc->cap * sizeof(*pc->entries));
    }
    entry *e = &pc->entries[pc->nentries];
    memset(e, 0, sizeof(*e));
    e->model = ev_alloc_strdup(model);
    pc->index = jv_object_set(pc->index, jv_string(model), jv_number((double)pc->nentries));
    pc->nentries++;
    return e;
}

static const ev_price *
row_for(pricer *pc, entry *e)
{
    if (e->row == NULL && !e->no_price_told) {
        e->row = pc->o->custom ? ev_prices_find(pc->table, "(command line)")
                               : ev_prices_find(pc->table, e->model);
        if (e->row != NULL && e->row->as_of != NULL) {
            const char *d = e->row->as_of;
            if (!jv_is_valid(pc->as_of_min) || strcmp(d, jv_string_value(pc->as_of_min)) < 0) {
                jv_free(pc->as_of_min);
                pc->as_of_min = jv_string(d);
            }
            if (!jv_is_valid(pc->as_of_max) || strcmp(d, jv_string_value(pc->as_of_max)) > 0) {
                jv_free(pc->as_of_max);
                pc->as_of_max = jv_string(d);
            }
        }
    }
    return e->row;
}

static jv
money(double x)
{
    return isnan(x) ? jv_null() : jv_number(ev_money(x));
}

static jv
unknown_cost(const pricer *pc, const ev_usage *u)
{
    const char *why = isnan(u->input) && isnan(u->output) ? "no token usage"
                      : isnan(u->input)                   ? "no input token count"
                                                          : "no output token count";
    jv c = jv_object();
    c = jv_object_set(c, jv_string("input"), jv_null());
    c = jv_object_set(c, jv_string("output"), jv_null());
    c = jv_object_set(c, jv_string("total"), jv_null());
    c = jv_object_set(c, jv_string("currency"), jv_string(pc->currency));
    return jv_object_set(c, jv_string("unknown"), jv_string(why));
}

static void
add_to(tally *t, const ev_usage *u, double in, double out)
{
    t->priced++;
    t->in_tok += u->input;
    t->out_tok += u->output;
    t->cached_tok += u->cached + u->cache_write;
    t->cost_in += in;
    t->cost_out += out;
}

enum outcome { PRICED, UNKNOWN, FAILED };

/* count_case counts the case of 'rec' (borrowed) once, however many of its
 * records are priced. Ids are kept as 64-bit hashes, 24 to 40 bytes a case
 * (keymap.h): two ids that share one would count as one case, with odds of
 * about one in 2^64 a pair. A record with neither an id nor an input to
 * derive one is a case of its own. */
static void
count_case(pricer *pc, jv rec)
{
    jv id = ev_record_id(rec);
    if (jv_get_kind(id) != JV_KIND_STRING) {
        jv_free(id);
        pc->ncases++;
        return;
    }
    uint64_t key = ev_hash64(jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)), 0);
    jv_free(id);
    if (ev_keymap_find(pc->cases, key) == EV_KEYMAP_END) {
        ev_keymap_add(pc->cases, key, 0);
        pc->ncases++;
    }
}

/* price_record prices 'rec' (borrowed). PRICED and UNKNOWN set '*cost';
 * FAILED sets '*problem' to a message for the user, or to invalid when the
 * problem was reported before (a model without a price is named once). */
static enum outcome
price_record(pricer *pc, jv rec, jv *cost, jv *problem)
{
    jv call = ev_get(rec, "call");
    /* An answer of a provider's batch API (ev-call --batch) is billed at
     * batch rates; with --price-in/--price-out the user's prices stand. */
    jv bid = ev_get(call, "batch");
    bool batch = pc->o->batch || (jv_get_kind(bid) == JV_KIND_STRING && !pc->o->custom);
    jv_free(bid);
    jv m = pc->o->model != NULL ? jv_string(pc->o->model) : ev_get(call, "model");
    entry *e = entry_for(pc, jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "(none)");
    bool has_model = jv_get_kind(m) == JV_KIND_STRING || pc->o->custom;
    jv_free(m);
    e->t.records++;
    pc->all.records++;

    ev_usage u;
    jv err;
    int rc = ev_usage_from_call(call, &u, &err);
    jv_free(call);
    if (rc != 0) {
        *problem = jv_invalid_get_msg(err);
        goto failed;
    }
    if (isnan(u.input) || isnan(u.output)) {
        *cost = unknown_cost(pc, &u);
        e->t.unknown++;
        pc->all.unknown++;
        return UNKNOWN;
    }
    if (!has_model) {
        *problem = jv_string("no model to price: the record has no 'call.model'; name one "
                             "with --model");
        goto failed;
    }
    const ev_price *p = row_for(pc, e);
    if (p == NULL) {
        *problem = e->no_price_told ? jv_invalid()
                                    : jv_string_fmt("no price for model '%s'; add it with "
                                                    "--prices or --price-in/--price-out",
                                                    e->model);
        e->no_price_told = true;
        goto failed;
    }
    ev_cost c;
    if (ev_price_cost(p, &u, batch, pc->o->rate, &c, &err) != 0) {
        *problem = jv_invalid_get_msg(err);
        goto failed;
    }
    e->t.batch += c.batch;
    pc->all.batch += c.batch;
    if (batch && !c.batch && !e->no_batch_told) {
        ev_diag_warn("no batch discount known for '%s'; priced at the standard rate", p->model);
        e->no_batch_told = true;
    }
    double in = ev_money(c.input), out = ev_money(c.output);
    jv o = jv_object();
    o = jv_object_set(o, jv_string("input"), jv_number(in));
    o = jv_object_set(o, jv_string("output"), jv_number(out));
    o = jv_object_set(o, jv_string("total"), jv_number(ev_money(in + out)));
    *cost = jv_object_set(o, jv_string("currency"), jv_string(pc->currency));
    add_to(&e->t, &u, in, out);
    add_to(&pc->all, &u, in, out);
    if (pc->cases != NULL)
        count_case(pc, rec);
    return PRICED;
failed:
    e->t.errors++;
    pc->all.errors++;
    return FAILED;
}

/* price_judge adds to 'cost' (consumed) what judging the record 'rec'
 * (borrowed) cost: the tokens of score.judge at the judge model's prices,
 * as cost.judge. A judge without token counts costs null; a judge model
 * without a price sets '*failed', and '*problem' as price_record does. */
static jv
price_judge(pricer *pc, jv rec, jv cost, bool *failed, jv *problem)
{
    jv score = ev_get(rec, "score");
    jv judge = jv_get_kind(score) == JV_KIND_OBJECT ? ev_get(score, "judge") : jv_invalid();
    jv_free(score);
    if (jv_get_kind(judge) != JV_KIND_OBJECT) {
        jv_free(judge);
        return cost;
    }
    jv m = ev_get(judge, "model");
    pc->judge.records++;
    /* at batch rates when every sample came from a batch API */
    jv nb = ev_get_kind(judge, "batch", JV_KIND_NUMBER),
       ns = ev_get_kind(judge, "samples", JV_KIND_NUMBER);
    bool batch = pc->o->batch || (!pc->o->custom && jv_get_kind(nb) == JV_KIND_NUMBER &&
                                  jv_get_kind(ns) == JV_KIND_NUMBER && jv_number_value(nb) > 0 &&
                                  jv_number_value(nb) >= jv_number_value(ns));
    jv_free(nb);
    jv_free(ns);
    ev_usage u;
    jv err;
    double in = NAN, out = NAN;
    if (ev_usage_from_call(judge, &u, &err) != 0) {
        *problem = jv_invalid_get_msg(err);
        *failed = true;
    } else if (jv_get_kind(m) != JV_KIND_STRING && !pc->o->custom) {
        *problem = jv_string("no model to price the judge: 'score.judge' has no 'model'");
        *failed = true;
    } else if (!isnan(u.input) && !isnan(u.output)) {
        entry *e = entry_for(pc, jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "(none)");
        const ev_price *p = row_for(pc, e);
        ev_cost c;
        if (p == NULL) {
            *problem = e->no_price_told ? jv_invalid()
                                        : jv_string_fmt("no price for judge model '%s'", e->model);
            e->no_price_told = true;
            *failed = true;
        } else if (ev_price_cost(p, &u, batch, pc->o->rate, &c, &err) != 0) {
            *problem = jv_invalid_get_msg(err);
            *failed = true;
        } else {
            in = ev_money(c.input);
            out = ev_money(c.output);
            add_to(&pc->judge, &u, in, out);
        }
    }
    jv_free(m);
    jv_free(judge);
    return jv_object_set(cost, jv_string("judge"), money(in + out));
}

/* write_priced writes 'rec' (consumed) as read, with 'cost' (consumed, or
 * invalid for none) added, or replacing the cost it had: a record re-priced
 * with no price must not keep a stale cost. */
static int
write_priced(const ev_jsonl_reader *r, jv rec, jv cost)
{
    if (jv_is_valid(cost))
        return ev_jsonl_write_merged(stdout, r, rec,
                                     jv_object_set(jv_object(), jv_string("cost"), cost));
    jv_free(cost);
    jv old = ev_get(rec, "cost");
    bool had = jv_is_valid(old);
    jv_free(old);
    if (had)
        return ev_jsonl_write(stdout, jv_object_delete(rec, jv_string("cost")));
    return ev_jsonl_write_merged(stdout, r, rec, jv_object());
}

/* Money and rows of reports ---------------------------------------------- */

/* fmt_money prints an amount rounded to 1e-9 with trailing zeros cut (tsv,
 * summary line), or with 'decimals' places (tables); "-" when unknown. */
static const char *
fmt_money(double x, int decimals, char *buf, size_t n)
{
    if (isnan(x)) {
        snprintf(buf, n, "-");
        return buf;
    }
    if (decimals > 0) {
        snprintf(buf, n, "%.*f", decimals, x);
        return buf;
    }
    snprintf(buf, n, "%.9f", ev_money(x));
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, n, "0");
    return buf;
}

static const char *
fmt_count(double x, char *buf, size_t n)
{
    snprintf(buf, n, "%.0f", x);
    return buf;
}

/* put_row prints one row of a report: on a terminal, the first cell
 * left-aligned in widths[0] columns and the rest right-aligned in theirs;
 * pipes for markdown; tabs for tsv. */
static void
put_row(enum ev_format f, const char *const *cells, int n, const int *widths)
{
    for (int i = 0; i < n; i++) {
        if (f == EV_FORMAT_TSV)
            printf("%s%s", i ? "\t" : "", cells[i]);
        else if (f == EV_FORMAT_MARKDOWN)
            printf("| %s ", cells[i]);
        else if (i == 0)
            printf("%-*s", widths[0], cells[i]);
        else
            printf(" %*s", widths[i], cells[i]);
    }
    puts(f == EV_FORMAT_MARKDOWN ? "|" : "");
}

static void
put_header(enum ev_format f, const char *const *cells, int n, const int *widths)
{
    put_row(f, cells, n, widths);
    if (f != EV_FORMAT_MARKDOWN)
        return;
    printf("|---");
    for (int i = 1; i < n; i++)
        printf("|--:");
    puts("|");
}

static double
per(double total, unsigned long n)
{
    return n > 0 ? total / (double)n : NAN;
}

/* Summary -------------------------------------------------------------- */

static jv
tally_json(const tally *t, bool priced_any)
{
    jv o = jv_object();
    o = jv_object_set(o, jv_string("records"), jv_number((double)t->records));
    o = jv_object_set(o, jv_string("priced"), jv_number((double)t->priced));
    o = jv_object_set(o, jv_string("unknown"), jv_number((double)t->unknown));
    o = jv_object_set(o, jv_string("errors"), jv_number((double)t->errors));
    o = jv_object_set(o, jv_string("batch_priced"), jv_number((double)t->batch));
    o = jv_object_set(o, jv_string("input_tokens"), jv_number(t->in_tok));
    o = jv_object_set(o, jv_string("output_tokens"), jv_number(t->out_tok));
    o = jv_object_set(o, jv_string("cached_tokens"), jv_number(t->cached_tok));
    jv c = jv_object();
    c = jv_object_set(c, jv_string("input"), priced_any ? money(t->cost_in) : jv_null());
    c = jv_object_set(c, jv_string("output"), priced_any ? money(t->cost_out) : jv_null());
    c = jv_object_set(c, jv_string("total"),
                      priced_any ? money(t->cost_in + t->cost_out) : jv_null());
    return jv_object_set(o, jv_string("cost"), c);
}

static jv
summary_json(const pricer *pc)
{
    const tally *t = &pc->all;
    jv o = tally_json(t, t->priced > 0);
    unsigned long ncases = pc->ncases;
    double total = t->cost_in + t->cost_out;
    jv c = jv_object_get(jv_copy(o), jv_string("cost"));
    c = jv_object_set(c, jv_string("per_record"), money(per(total, t->priced)));
    c = jv_object_set(c, jv_string("per_case"), money(per(total, ncases)));
    o = jv_object_set(o, jv_string("cost"), c);
    o = jv_object_set(o, jv_string("cases"), jv_number((double)ncases));
    o = jv_object_set(o, jv_string("complete"), jv_bool(t->priced == t->records));
    o = jv_object_set(o, jv_string("currency"), jv_string(pc->currency));
    o = jv_object_set(o, jv_string("batch"), jv_bool(pc->o->batch));
    jv models = jv_object();
    for (size_t i = 0; i < pc->nentries; i++) {
        const entry *e = &pc->entries[i];
        if (e->t.records == 0) /* a judge model only */
            continue;
        jv m = tally_json(&e->t, e->t.priced > 0);
        m = jv_object_set(m, jv_string("priced_as"),
                          e->row != NULL ? jv_string(e->row->model) : jv_null());
        m = jv_object_set(m, jv_string("as_of"),
                          e->row != NULL && e->row->as_of != NULL ? jv_string(e->row->as_of)
                                                                  : jv_null());
        m = jv_object_set(m, jv_string("source"),
                          e->row != NULL && e->row->source != NULL ? jv_string(e->row->source)
                                                                   : jv_null());
        models = jv_object_set(models, jv_string(e->model), m);
    }
    o = jv_object_set(o, jv_string("models"), models);
    if (pc->judge.priced > 0) {
        c = jv_object_get(jv_copy(o), jv_string("cost"));
        c = jv_object_set(c, jv_string("judge"), money(pc->judge.cost_in + pc->judge.cost_out));
        o = jv_object_set(o, jv_string("cost"), c);
        o = jv_object_set(o, jv_string("judge"), tally_json(&pc->judge, true));
    }
    return jv_object_set(o, jv_string("prices"), ev_prices_meta(pc->table));
}

/* summary_row prints the figures of one model, or of all: every column in
 * tsv, and on a terminal or in markdown those that fit a screen. */
static void
summary_row(enum ev_format f, const char *name, const char *as, const tally *t, const char *cur,
            const int *widths)
{
    char b[10][48];
    int dec = f == EV_FORMAT_TSV ? 0 : 6;
    double in = t->priced ? t->cost_in : NAN, out = t->priced ? t->cost_out : NAN;
    fmt_count((double)t->records, b[0], sizeof(b[0]));
    fmt_count((double)t->priced, b[1], sizeof(b[1]));
    fmt_count((double)t->unknown, b[2], sizeof(b[2]));
    fmt_count((double)t->errors, b[3], sizeof(b[3]));
    fmt_count(t->in_tok, b[4], sizeof(b[4]));
    fmt_count(t->out_tok, b[5], sizeof(b[5]));
    fmt_count(t->cached_tok, b[6], sizeof(b[6]));
    fmt_money(in, dec, b[7], sizeof(b[7]));
    fmt_money(out, dec, b[8], sizeof(b[8]));
    fmt_money(in + out, dec, b[9], sizeof(b[9]));
    if (f == EV_FORMAT_TSV) {
        if (t->priced == 0) /* an empty cell, not "-", for a number nobody knows */
            b[7][0] = b[8][0] = b[9][0] = '\0';
        const char *cells[] = {name, as,   b[0], b[1], b[2], b[3], b[4],
                               b[5], b[6], b[7], b[8], b[9], cur};
        put_row(f, cells, 13, NULL);
    } else {
        const char *cells[] = {name, b[0], b[1], b[2], b[3], b[4], b[5], b[9]};
        put_row(f, cells, 8, widths);
    }
}

static void
print_summary(const pricer *pc, enum ev_format f)
{
    char cost_head[32];
    snprintf(cost_head, sizeof(cost_head), "cost %s", pc->currency);
    int widths[] = {12, 7, 7, 7, 6, 11, 11, 12};
    for (size_t i = 0; i < pc->nentries; i++) {
        size_t n = strlen(pc->entries[i].model);
        if ((int)n > widths[0] && n < 200)
            widths[0] = (int)n;
    }
    if (f == EV_FORMAT_TSV) {
        const char *h[] = {"model",         "priced_as",  "records",      "priced",
                           "unknown",       "errors",     "input_tokens", "output_tokens",
                           "cached_tokens", "input_cost", "output_cost",  "total_cost",
                           "currency"};
        put_row(f, h, 13, NULL);
    } else {
        const char *h[] = {"model",  "records",   "priced",     "unknown",
                           "errors", "input tok", "output tok", cost_head};
        put_header(f, h, 8, widths);
    }
    for (size_t i = 0; i < pc->nentries; i++) {
        const entry *e = &pc->entries[i];
        if (e->t.records == 0)
            continue;
        summary_row(f, e->model, e->row ? e->row->model : "", &e->t, pc->currency, widths);
    }
    summary_row(f, "(total)", "", &pc->all, pc->currency, widths);
    if (f == EV_FORMAT_TSV)
        return;
    const tally *t = &pc->all;
    unsigned long ncases = pc->ncases;
    char b1[48], b2[48];
    const char *li = f == EV_FORMAT_MARKDOWN ? "\n- " : "\n";
    double total = t->cost_in + t->cost_out;
    if (t->priced > 0)
        printf("%scost per case %s %s over %lu cases (%s per record)", li,
               fmt_money(per(total, ncases), 6, b1, sizeof(b1)), pc->currency, ncases,
               fmt_money(per(total, t->priced), 6, b2, sizeof(b2)));
    if (pc->judge.priced > 0)
        printf("%sjudging cost %s %s more for %lu judged record%s", li,
               fmt_money(pc->judge.cost_in + pc->judge.cost_out, 6, b1, sizeof(b1)), pc->currency,
               pc->judge.priced, pc->judge.priced == 1 ? "" : "s");
    if (t->unknown > 0)
        printf("%s%lu record%s without token usage %s not in the total", li, t->unknown,
               t->unknown == 1 ? "" : "s", t->unknown == 1 ? "is" : "are");
    if (t->errors > 0)
        printf("%s%lu record%s could not be priced (see the errors above)", li, t->errors,
               t->errors == 1 ? "" : "s");
    if (pc->o->batch)
        printf("%sat batch rates", li);
    else if (t->batch > 0)
        printf("%s%lu record%s answered by a batch API, at batch rates", li, t->batch,
               t->batch == 1 ? "" : "s");
    if (jv_is_valid(pc->as_of_min))
        printf("%sprices as of %s; verify them against each row's source before budgeting", li,
               jv_string_value(pc->as_of_min));
    putchar('\n');
}

/* Estimates ------------------------------------------------------------ */

typedef struct est {
    unsigned long cases, no_expected, tiered, calls;
    double in_tok, out_low, out_high;
    double cost_in, cost_low, cost_high; /* output costs at either end */
    const ev_price *row;
} est;

/* estimate_case adds case 'rec' (borrowed). Returns 0, or -1 with '*problem'
 * set when the case gives nothing to estimate from. */
static int
estimate_case(const pricer *pc, est *es, jv rec, jv *problem)
{
    const opts *o = pc->o;
    double in = ev_estimate_prompt_tokens(rec, o->system);
    if (isnan(in)) {
        *problem = jv_string("case has no 'input' to estimate from");
        return -1;
    }
    double want = ev_estimate_output_tokens(rec);
    double max = o->max_tokens > 0 ? (double)o->max_tokens : NAN;
    if (isnan(want))
        es->no_expected++;
    /* An answer never exceeds --max-tokens, so neither end of the range does. */
    double low = isnan(want) ? (isnan(max) ? 0 : max) : (isnan(max) ? want : fmin(want, max));
    double high = isnan(max) ? low : max;
    ev_usage u = {.input = in, .output = low, .style = EV_USAGE_INCLUSIVE};
    ev_cost c_low, c_high;
    jv err = jv_invalid();
    ev_price_cost(es->row, &u, o->batch, o->rate, &c_low, &err);
    u.output = high;
    ev_price_cost(es->row, &u, o->batch, o->rate, &c_high, &err);
    jv_free(err);
    double k = (double)o->repeat;
    es->cases++;
    es->calls += (unsigned long)o->repeat;
    es->tiered += c_low.tier != NULL;
    es->in_tok += k * in;
    es->out_low += k * low;
    es->out_high += k * high;
    es->cost_in += k * c_low.input;
    es->cost_low += k * c_low.output;
    es->cost_high += k * c_high.output;
    return 0;
}

static jv
add_str(jv a, jv s)
{
    return jv_array_append(a, s);
}

/* assumptions says, in words, what the estimate takes for granted. */
static jv
assumptions(const pricer *pc, const est *es)
{
    const opts *o = pc->o;
    const ev_price *p = es->row;
    jv a = jv_array();
    a = add_str(a, jv_string_fmt("input tokens: UTF-8 bytes of the prompt / %d, rounded up, plus "
                                 "%d per message and %d per prompt",
                                 EV_BYTES_PER_TOKEN, EV_TOKENS_PER_MESSAGE, EV_TOKENS_PER_PROMPT));
    if (o->system != NULL)
        a = add_str(a, jv_string_fmt("a system message of %zu bytes opens every case whose input "
                                     "has none",
                                     strlen(o->system)));
    if (o->max_tokens > 0)
        a = add_str(a, jv_string_fmt("output tokens: %ld per call (--max-tokens), the worst "
                                     "case; the low end of the range takes answers as long as "
                                     "'expected' (bytes / %d, rounded up)",
                                     o->max_tokens, EV_BYTES_PER_TOKEN));
    else
        a = add_str(a, jv_string_fmt("output tokens: as long as 'expected' (bytes / %d, rounded "
                                     "up), with no hidden reasoning tokens, which reasoning "
                                     "models bill as output; real answers may be longer: "
                                     "--max-tokens gives the worst case",
                                     EV_BYTES_PER_TOKEN));
    if (es->no_expected > 0)
        a = add_str(a, o->max_tokens > 0
                           ? jv_string_fmt("%lu case%s without 'expected' counted at "
                                           "--max-tokens at both ends",
                                           es->no_expected, es->no_expected == 1 ? "" : "s")
                           : jv_string_fmt("%lu case%s without 'expected': %s output is not "
                                           "counted, so the figure is too low",
                                           es->no_expected, es->no_expected == 1 ? "" : "s",
                                           es->no_expected == 1 ? "its" : "their"));
    a = add_str(a, o->repeat == 1
                       ? jv_string("each case called once")
                       : jv_string_fmt("each case called %ld times (--repeat)", o->repeat));
    if (!o->batch)
        a = add_str(a, jv_string("standard rates, no batch discount"));
    else if (!isnan(p->batch))
        a = add_str(a, jv_string_fmt("batch rates: %g of the standard price", p->batch));
    else
        a = add_str(a,
                    jv_string_fmt("standard rates: no batch discount is known for '%s'", p->model));
    a = add_str(a, jv_string("no prompt caching: every prompt token at the full input price"));
    if (es->tiered > 0)
        a = add_str(a, jv_string_fmt("%lu case%s over the prompt-size tier of '%s', priced at "
                                     "the tier's rates",
                                     es->tiered, es->tiered == 1 ? "" : "s", p->model));
    if (o->currency[0] != '\0')
        a = add_str(a, jv_string_fmt("converted at %g %s per %s (--rate)", o->rate, o->currency,
                                     ev_prices_currency(pc->table)));
    if (o->custom)
        a = add_str(a, jv_string_fmt("prices from the command line: %g input, %g output per "
                                     "million tokens",
                                     o->price_in, o->price_out));
    else
        a = add_str(a, jv_string_fmt("prices of '%s'%s%s%s%s; verify them before budgeting",
                                     p->model, p->as_of ? " as of " : "", p->as_of ? p->as_of : "",
                                     p->source ? " from " : "", p->source ? p->source : ""));
    return a;
}

static jv
estimate_json(const pricer *pc, const est *es, const char *model)
{
    const opts *o = pc->o;
    bool worst = o->max_tokens > 0;
    double out_tok = worst ? es->out_high : es->out_low;
    double out_cost = worst ? es->cost_high : es->cost_low;
    jv j = jv_object();
    j = jv_object_set(j, jv_string("estimate"), jv_true());
    j = jv_object_set(j, jv_string("model"), jv_string(model));
    j = jv_object_set(j, jv_string("priced_as"), o->custom ? jv_null() : jv_string(es->row->model));
    j = jv_object_set(j, jv_string("cases"), jv_number((double)es->cases));
    j = jv_object_set(j, jv_string("calls"), jv_number((double)es->calls));
    j = jv_object_set(j, jv_string("repeat"), jv_number((double)o->repeat));
    j = jv_object_set(j, jv_string("max_tokens"),
                      worst ? jv_number((double)o->max_tokens) : jv_null());
    j = jv_object_set(j, jv_string("batch"), jv_bool(o->batch));
    j = jv_object_set(j, jv_string("input_tokens"), jv_number(es->in_tok));
    j = jv_object_set(j, jv_string("output_tokens"), jv_number(out_tok));
    double in = ev_money(es->cost_in), out = ev_money(out_cost);
    jv c = jv_object();
    c = jv_object_set(c, jv_string("input"), jv_number(in));
    c = jv_object_set(c, jv_string("output"), jv_number(out));
    c = jv_object_set(c, jv_string("total"), jv_number(ev_money(in + out)));
    c = jv_object_set(c, jv_string("per_case"), money(per(in + out, es->cases)));
    j = jv_object_set(j, jv_string("cost"), c);
    j = jv_object_set(j, jv_string("currency"), jv_string(pc->currency));
    /* The range needs both ends: answers as long as expected, and of --max-tokens. */
    if (worst && es->no_expected < es->cases) {
        jv r = jv_object();
        jv lo = jv_object();
        lo = jv_object_set(lo, jv_string("output_tokens"), jv_number(es->out_low));
        lo =
            jv_object_set(lo, jv_string("total"), jv_number(ev_money(in + ev_money(es->cost_low))));
        lo = jv_object_set(lo, jv_string("basis"), jv_string("expected"));
        jv hi = jv_object();
        hi = jv_object_set(hi, jv_string("output_tokens"), jv_number(es->out_high));
        hi = jv_object_set(hi, jv_string("total"),
                           jv_number(ev_money(in + ev_money(es->cost_high))));
        hi = jv_object_set(hi, jv_string("basis"), jv_string("max_tokens"));
        r = jv_object_set(r, jv_string("low"), lo);
        r = jv_object_set(r, jv_string("high"), hi);
        j = jv_object_set(j, jv_string("range"), r);
    }
    j = jv_object_set(j, jv_string("complete"), jv_bool(worst || es->no_expected == 0));
    return jv_object_set(j, jv_string("assumptions"), assumptions(pc, es));
}

static double
getn(jv o, const char *k1, const char *k2)
{
    jv v = jv_object_get(jv_copy(o), jv_string(k1));
    if (k2 != NULL && jv_get_kind(v) == JV_KIND_OBJECT)
        v = jv_object_get(v, jv_string(k2));
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    return x;
}

static void
print_estimate(jv j, enum ev_format f, const char *currency)
{
    char b[8][48];
    jv model = jv_object_get(jv_copy(j), jv_string("model"));
    jv range = jv_object_get(jv_copy(j), jv_string("range"));
    bool has_range = jv_get_kind(range) == JV_KIND_OBJECT;
    double lo = has_range ? getn(range, "low", "total") : NAN;
    double hi = has_range ? getn(range, "high", "total") : NAN;
    if (f == EV_FORMAT_TSV) {
        const char *h[] = {"estimate",     "model",         "cases",      "calls",
                           "input_tokens", "output_tokens", "input_cost", "output_cost",
                           "total_cost",   "low_total",     "high_total", "currency"};
        put_row(f, h, 12, NULL);
        const char *cells[] = {
            "true",
            jv_string_value(model),
            fmt_count(getn(j, "cases", NULL), b[0], sizeof(b[0])),
            fmt_count(getn(j, "calls", NULL), b[1], sizeof(b[1])),
            fmt_count(getn(j, "input_tokens", NULL), b[2], sizeof(b[2])),
            fmt_count(getn(j, "output_tokens", NULL), b[3], sizeof(b[3])),
            fmt_money(getn(j, "cost", "input"), 0, b[4], sizeof(b[4])),
            fmt_money(getn(j, "cost", "output"), 0, b[5], sizeof(b[5])),
            fmt_money(getn(j, "cost", "total"), 0, b[6], sizeof(b[6])),
            has_range ? fmt_money(lo, 0, b[7], sizeof(b[7])) : "",
            "",
            currency,
        };
        char hb[48];
        if (has_range)
            cells[10] = fmt_money(hi, 0, hb, sizeof(hb));
        put_row(f, cells, 12, NULL);
    } else {
        static const int widths[] = {8, 12, 12};
        bool md = f == EV_FORMAT_MARKDOWN;
        printf("%sESTIMATE for %.0f cases on %s (%.0f calls), before any call is made\n\n",
               md ? "### " : "", getn(j, "cases", NULL), jv_string_value(model),
               getn(j, "calls", NULL));
        char cost_head[32];
        snprintf(cost_head, sizeof(cost_head), "cost %s", currency);
        const char *h[] = {"", "tokens", cost_head};
        put_header(f, h, 3, widths);
        const char *r1[] = {"input", fmt_count(getn(j, "input_tokens", NULL), b[0], sizeof(b[0])),
                            fmt_money(getn(j, "cost", "input"), 6, b[1], sizeof(b[1]))};
        const char *r2[] = {"output", fmt_count(getn(j, "output_tokens", NULL), b[2], sizeof(b[2])),
                            fmt_money(getn(j, "cost", "output"), 6, b[3], sizeof(b[3]))};
        const char *r3[] = {"total", "",
                            fmt_money(getn(j, "cost", "total"), 6, b[4], sizeof(b[4]))};
        put_row(f, r1, 3, widths);
        put_row(f, r2, 3, widths);
        put_row(f, r3, 3, widths);
        if (has_range)
            printf("\nrange: %s %s (answers as long as 'expected') to %s %s (answers of "
                   "--max-tokens)\n",
                   fmt_money(lo, 6, b[5], sizeof(b[5])), currency,
                   fmt_money(hi, 6, b[6], sizeof(b[6])), currency);
        printf("\n%s:\n", md ? "**assumptions**" : "assumptions");
        jv as = jv_object_get(jv_copy(j), jv_string("assumptions"));
        jv_array_foreach(as, i, s)
        {
            printf("%s%s\n", md ? "- " : "  - ", jv_string_value(s));
            jv_free(s);
            (void)i;
        }
        jv_free(as);
    }
    jv_free(range);
    jv_free(model);
}

/* Main ----------------------------------------------------------------- */

static double
parse_price(const char *name, const char *arg)
{
    double x;
    if (!ev_parse_double(arg, 0, PRICE_MAX, &x))
        ev_diag_usage_error("%s takes a price per million tokens from 0 to %.0f, not '%s'", name,
                            PRICE_MAX, arg);
    return x;
}

static char *
read_system_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, len = 0;
    size_t n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            buf = ev_alloc_resize(buf, cap);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    if (ferror(f))
        ev_diag_die(EV_EXIT_TROUBLE, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    /* A file's final line ending is not part of the message. */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    char *s = ev_alloc(len + 1);
    if (len > 0)
        memcpy(s, buf, len);
    s[len] = '\0';
    free(buf);
    return s;
}

static void
parse_options(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {
        {"batch", no_argument, NULL, 'b'},
        {"currency", required_argument, NULL, OPT_CURRENCY},
        {"estimate", no_argument, NULL, 'e'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
        {"model", required_argument, NULL, 'm'},
        {"price-cached", required_argument, NULL, OPT_PRICE_CACHED},
        {"price-in", required_argument, NULL, OPT_PRICE_IN},
        {"price-out", required_argument, NULL, OPT_PRICE_OUT},
        {"prices", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"rate", required_argument, NULL, OPT_RATE},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"summary", no_argument, NULL, 's'},
        {"system", required_argument, NULL, OPT_SYSTEM},
        {"system-file", required_argument, NULL, OPT_SYSTEM_FILE},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    bool has_in = false, has_out = false, has_cached = false, has_rate = false;
    bool summary = false, estimate = false, repeat_given = false;
    const char *system = NULL, *system_file = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "bef:hm:p:qsV", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->batch = true;
            break;
        case OPT_CURRENCY:
            if (strlen(optarg) != 3 || !isalpha((unsigned char)optarg[0]) ||
                !isalpha((unsigned char)optarg[1]) || !isalpha((unsigned char)optarg[2]))
                ev_diag_usage_error("--currency takes a three-letter code such as GBP, not '%s'",
                                    optarg);
            for (int i = 0; i < 3; i++)
                o->currency[i] = (char)toupper((unsigned char)optarg[i]);
            break;
        case 'e':
            estimate = true;
            break;
        case 'f':
            if (!ev_parse_format(optarg, 4, &o->fmt))
                ev_diag_usage_error("--format takes table, json, markdown or tsv, not '%s'",
                                    optarg);
            break;
        case 'h':
            usage(stdout);
            exit(ev_diag_close_stdout());
        case OPT_MAX_TOKENS:
            if (!ev_parse_long(optarg, 1, 100000000, &o->max_tokens))
                ev_diag_usage_error(
                    "--max-tokens takes a whole number from 1 to 100000000, not '%s'", optarg);
            break;
        case 'm':
            if (*optarg == '\0')
                ev_diag_usage_error("--model takes a model name");
            o->model = optarg;
            break;
        case OPT_PRICE_CACHED:
            o->price_cached = parse_price("--price-cached", optarg);
            has_cached = true;
            break;
        case OPT_PRICE_IN:
            o->price_in = parse_price("--price-in", optarg);
            has_in = true;
            break;
        case OPT_PRICE_OUT:
            o->price_out = parse_price("--price-out", optarg);
            has_out = true;
            break;
        case 'p':
            o->prices[o->nprices++] = optarg;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_RATE:
            if (!ev_parse_double(optarg, 0, RATE_MAX, &o->rate) || o->rate <= 0)
                ev_diag_usage_error("--rate takes a number above 0, such as 0.79, not '%s'",
                                    optarg);
            has_rate = true;
            break;
        case OPT_REPEAT:
            if (!ev_parse_long(optarg, 1, 1000000, &o->repeat))
                ev_diag_usage_error("--repeat takes a whole number from 1 to 1000000, not '%s'",
                                    optarg);
            repeat_given = true;
            break;
        case 's':
            summary = true;
            break;
        case OPT_SYSTEM:
            system = optarg;
            break;
        case OPT_SYSTEM_FILE:
            system_file = optarg;
            break;
        case 'V':
            ev_diag_version();
        default:
            fprintf(stderr, "try 'ev-cost --help'\n");
            exit(EV_EXIT_TROUBLE);
        }
    }

    if (summary && estimate)
        ev_diag_usage_error("--summary and --estimate are two different reports: choose one");
    o->mode = estimate ? MODE_ESTIMATE : summary ? MODE_SUMMARY : MODE_RECORDS;
    if (o->fmt != EV_FORMAT_AUTO && o->mode == MODE_RECORDS)
        ev_diag_usage_error("--format goes with --summary or --estimate; records are always JSONL");
    if (!estimate) {
        const char *only = o->max_tokens > 0 ? "--max-tokens"
                           : repeat_given    ? "--repeat"
                           : system != NULL  ? "--system"
                           : system_file     ? "--system-file"
                                             : NULL;
        if (only != NULL)
            ev_diag_usage_error("%s goes with --estimate", only);
    }
    if (system != NULL && system_file != NULL)
        ev_diag_usage_error("--system and --system-file both give the system message: choose one");
    if (has_in != has_out)
        ev_diag_usage_error("--price-in and --price-out go together");
    if (has_cached && !has_in)
        ev_diag_usage_error("--price-cached goes with --price-in and --price-out");
    o->custom = has_in;
    if (o->custom && o->nprices > 0)
        ev_diag_usage_error("--price-in/--price-out replace the price table: drop --prices");
    if (o->custom && o->batch)
        ev_diag_usage_error("--batch applies a table's batch discount; with --price-in/--price-out "
                            "give the batch prices themselves");
    if (o->custom && !has_cached)
        o->price_cached = o->price_in;
    if (o->currency[0] != '\0' && !has_rate)
        ev_diag_usage_error(
            "--currency needs --rate, the %s per unit of the price table's currency "
            "(USD): ev-cost works offline and fetches no exchange rates",
            o->currency);
    if (has_rate && o->currency[0] == '\0')
        ev_diag_usage_error("--rate goes with --currency");
    if (estimate && o->model == NULL && !o->custom)
        ev_diag_usage_error("--estimate needs --model, the model the cases will be sent to");
    if (system_file != NULL)
        o->system = read_system_file(system_file);
    else if (system != NULL)
        o->system = ev_alloc_strdup(system);
    o->fmt = ev_format_resolve(o->fmt);
}

static ev_prices *
load_prices(const opts *o)
{
    ev_prices *t = ev_prices_new();
    jv err;
    if (o->custom) {
        ev_prices_add_custom(t, "(command line)", o->price_in, o->price_out, o->price_cached);
        return t;
    }
    if (o->nprices == 0) {
        jv path = ev_prices_locate();
        if (!jv_is_valid(path)) {
            jv m = jv_invalid_get_msg(path);
            ev_diag_warn("%s; give one with --prices FILE or EV_PRICES, or prices with "
                         "--price-in/--price-out",
                         jv_string_value(m));
            jv_free(m);
            ev_prices_free(t);
            return NULL;
        }
        int rc = ev_prices_load(t, jv_string_value(path), &err);
        jv_free(path);
        if (rc != 0) {
            ev_diag_warn_jv(err);
            ev_prices_free(t);
            return NULL;
        }
        return t;
    }
    for (int i = 0; i < o->nprices; i++)
        if (ev_prices_load(t, o->prices[i], &err) != 0) {
            ev_diag_warn_jv(err);
            ev_prices_free(t);
            return NULL;
        }
    return t;
}

static void
report(const ev_jsonl_reader *r, jv msg)
{
    jv where = ev_jsonl_where(r);
    ev_diag_warn("%s: %s", jv_string_value(where), jv_string_value(msg));
    jv_free(where);
    jv_free(msg);
}

/* run_records prices every record; with 'write' it writes each one out. */
static int
run_records(pricer *pc, ev_jsonl_reader *r, bool write)
{
    int status = EV_EXIT_OK;
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        jv cost = jv_invalid(), problem = jv_invalid(), judge_problem = jv_invalid();
        if (price_record(pc, rec, &cost, &problem) == FAILED) {
            status = EV_EXIT_TROUBLE;
            if (jv_is_valid(problem))
                report(r, problem);
        } else {
            bool failed = false;
            cost = price_judge(pc, rec, cost, &failed, &judge_problem);
            if (jv_is_valid(judge_problem))
                report(r, judge_problem);
            if (failed)
                status = EV_EXIT_TROUBLE;
        }
        if (!write) {
            jv_free(rec);
            jv_free(cost);
            continue;
        }
        if (write_priced(r, rec, cost) != 0)
            break;
    }
    return status;
}

static int
run_estimate(pricer *pc, ev_jsonl_reader *r)
{
    const opts *o = pc->o;
    est es = {0};
    const char *model = o->model != NULL ? o->model : "(command line)";
    es.row =
        o->custom ? ev_prices_find(pc->table, "(command line)") : ev_prices_find(pc->table, model);
    if (es.row == NULL) {
        ev_diag_warn("no price for model '%s'; add it with --prices or --price-in/--price-out",
                     model);
        return EV_EXIT_TROUBLE;
    }
    int status = EV_EXIT_OK;
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        jv problem = jv_invalid();
        if (estimate_case(pc, &es, rec, &problem) != 0) {
            report(r, problem);
            status = EV_EXIT_TROUBLE;
        }
        jv_free(rec);
    }
    if (ev_interrupted())
        return EV_EXIT_INTR; /* an estimate of part of the input would mislead */
    if (o->batch && isnan(es.row->batch))
        ev_diag_warn("no batch discount known for '%s'; estimated at the standard rate",
                     es.row->model);
    if (es.no_expected > 0 && o->max_tokens == 0)
        ev_diag_warn("%lu case%s without 'expected': %s output is not in the estimate; give "
                     "--max-tokens for the worst case",
                     es.no_expected, es.no_expected == 1 ? "" : "s",
                     es.no_expected == 1 ? "its" : "their");
    jv j = estimate_json(pc, &es, model);
    if (o->fmt == EV_FORMAT_JSON) {
        jv_dumpf(j, stdout, 0);
        putchar('\n');
    } else {
        print_estimate(j, o->fmt, pc->currency);
        jv_free(j);
    }
    return status;
}

static void
summary_line(const pricer *pc)
{
    const tally *t = &pc->all;
    char b[48];
    fprintf(stderr, "ev-cost: %lu record%s, %lu priced, %lu without token usage, %lu not priced",
            t->records, t->records == 1 ? "" : "s", t->priced, t->unknown, t->errors);
    if (t->priced > 0) {
        fprintf(stderr, "; total %s %s", fmt_money(t->cost_in + t->cost_out, 0, b, sizeof(b)),
                pc->currency);
        if (pc->o->batch)
            fprintf(stderr, " at batch rates");
        if (jv_is_valid(pc->as_of_min)) {
            const char *lo = jv_string_value(pc->as_of_min), *hi = jv_string_value(pc->as_of_max);
            if (strcmp(lo, hi) == 0)
                fprintf(stderr, " (prices as of %s)", lo);
            else
                fprintf(stderr, " (prices as of %s to %s)", lo, hi);
        }
    }
    fputc('\n', stderr);
}

int
main(int argc, char **argv)
{
    opts o = {.rate = 1, .repeat = 1};
    o.prices = ev_alloc_zero((size_t)argc, sizeof(*o.prices));
    parse_options(argc, argv, &o);

    pricer pc = {
        .o = &o, .index = jv_object(), .as_of_min = jv_invalid(), .as_of_max = jv_invalid()};
    pc.table = load_prices(&o);
    if (pc.table == NULL) {
        free(o.prices);
        free(o.system);
        jv_free(pc.index);
        return EV_EXIT_TROUBLE;
    }
    pc.currency = o.currency[0] != '\0' ? o.currency : ev_prices_currency(pc.table);
    if (o.mode == MODE_SUMMARY)
        pc.cases = ev_keymap_new();

    ev_jsonl_output_setup();
    ev_interrupt_catch();
    ev_jsonl_reader r;
    ev_jsonl_init(&r, argv + optind, argc - optind, o.mode == MODE_RECORDS ? stdout : NULL);
    int status;
    if (o.mode == MODE_ESTIMATE) {
        status = run_estimate(&pc, &r);
    } else {
        status = run_records(&pc, &r, o.mode == MODE_RECORDS);
        bool whole = !ev_interrupted(); /* no summary of part of the input */
        if (o.mode == MODE_SUMMARY && whole && o.fmt == EV_FORMAT_JSON) {
            jv_dumpf(summary_json(&pc), stdout, 0);
            putchar('\n');
        } else if (o.mode == MODE_SUMMARY && whole) {
            print_summary(&pc, o.fmt);
        } else if (o.mode != MODE_SUMMARY && !o.quiet && pc.all.records > 0) {
            summary_line(&pc);
        }
    }
    ev_jsonl_free(&r);

    for (size_t i = 0; i < pc.nentries; i++)
        free(pc.entries[i].model);
    free(pc.entries);
    jv_free(pc.index);
    ev_keymap_free(pc.cases);
    jv_free(pc.as_of_min);
    jv_free(pc.as_of_max);
    ev_prices_free(pc.table);
    free(o.prices);
    free(o.system);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}
