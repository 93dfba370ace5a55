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
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "cost.h"
#include "cost_report.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "json.h"
#include "jsonl.h"
#include "price.h"

enum mode { MODE_RECORDS, MODE_SUMMARY, MODE_ESTIMATE, MODE_HOSTING };

/* Codes of the options that have no short form. */
enum {
    OPT_BASELINE = 256,
    OPT_CONCURRENCY,
    OPT_CURRENCY,
    OPT_HOSTING,
    OPT_MAX_TOKENS,
    OPT_PRICE_CACHED,
    OPT_PRICE_IN,
    OPT_PRICE_OUT,
    OPT_PROVIDER,
    OPT_RATE,
    OPT_RATE_DATE,
    OPT_REPEAT,
    OPT_SYSTEM,
    OPT_SYSTEM_FILE,
    OPT_TRAFFIC,
};

/* The options, sorted by long name. Prices are per million tokens, up to a
 * million; a --rate up to a billion. */
static const ev_cli_opt options[] = {
    {"baseline", OPT_BASELINE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"batch", 'b', EV_CLI_ARG_NONE, 0, 0, false},
    {"concurrency", OPT_CONCURRENCY, EV_CLI_ARG_INT, 1, 100000, false},
    {"currency", OPT_CURRENCY, EV_CLI_ARG_TEXT, 0, 0, false},
    {"estimate", 'e', EV_CLI_ARG_NONE, 0, 0, false},
    {"format", 'f', EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"hosting", OPT_HOSTING, EV_CLI_ARG_TEXT, 0, 0, false},
    {"max-tokens", OPT_MAX_TOKENS, EV_CLI_ARG_INT, 1, 100000000, false},
    {"model", 'm', EV_CLI_ARG_TEXT, 0, 0, false},
    {"price-cached", OPT_PRICE_CACHED, EV_CLI_ARG_REAL, 0, 1e6, false},
    {"price-in", OPT_PRICE_IN, EV_CLI_ARG_REAL, 0, 1e6, false},
    {"price-out", OPT_PRICE_OUT, EV_CLI_ARG_REAL, 0, 1e6, false},
    {"prices", 'p', EV_CLI_ARG_TEXT, 0, 0, false},
    {"provider", OPT_PROVIDER, EV_CLI_ARG_TEXT, 0, 0, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"rate", OPT_RATE, EV_CLI_ARG_REAL, 0, 1e9, true},
    {"rate-date", OPT_RATE_DATE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"repeat", OPT_REPEAT, EV_CLI_ARG_INT, 1, 1000000, false},
    {"summary", 's', EV_CLI_ARG_NONE, 0, 0, false},
    {"system", OPT_SYSTEM, EV_CLI_ARG_TEXT, 0, 0, false},
    {"system-file", OPT_SYSTEM_FILE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"traffic", OPT_TRAFFIC, EV_CLI_ARG_REAL, 0, 1e12, true},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

typedef struct opts {
    enum mode mode;
    enum ev_cli_format fmt;
    bool quiet;
    char currency[4];    /* empty: the table's */
    const char **prices; /* --prices, in order */
    int nprices;
    ev_cost_opts cost;
    char *system; /* owned */
    char today[11];
    const char *hosting, *baseline; /* --hosting, --baseline */
    double traffic;
    long concurrency;
} opts;

static void
usage(FILE *f)
{
    fputs("usage: ev-cost [-bq] [-m MODEL] [-p FILE ...] [--price-in X --price-out Y\n"
          "               [--price-cached Z]] [--currency CODE --rate R] [FILE ...]\n"
          "       ev-cost -s [-f FORMAT] [options] [FILE ...]\n"
          "       ev-cost -e -m MODEL [--max-tokens N] [--repeat K] [--system TEXT |\n"
          "               --system-file FILE] [-f FORMAT] [options] [FILE ...]\n"
          "       ev-cost --hosting USD_PER_HOUR|ENDPOINT --traffic CASES_PER_DAY\n"
          "               [--concurrency N] [--baseline RUN] [-f FORMAT] [options] [FILE ...]\n"
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
          "      --provider NAME     price models at the rows of NAME, such as together,\n"
          "                          when several providers sell them (default:\n"
          "                          call.provider)\n"
          "  -b, --batch             apply the table's batch discount\n"
          "      --currency CODE     report in CODE, such as GBP; needs --rate\n"
          "      --rate R            units of CODE per unit of the table's currency (USD)\n"
          "      --rate-date DATE    the day of that rate, printed with the figures\n"
          "  -s, --summary           report totals, per model, instead of records\n"
          "  -e, --estimate          before calling: the expected cost of running the\n"
          "                          cases on --model (a report)\n"
          "      --max-tokens N      estimate: answers of N tokens, the worst case, the\n"
          "                          high end of the range and the total shown\n"
          "      --repeat K          estimate: each case called K times (default 1)\n"
          "      --system TEXT       estimate: a system message opens each case\n"
          "      --system-file FILE  estimate: the system message from FILE\n"
          "      --hosting H         the run served from dedicated capacity at H per hour\n"
          "                          (USD), or at an endpoint row of the table, such as\n"
          "                          together-1x-h100-80gb: cost per case and per day\n"
          "      --traffic T         hosting: T cases a day\n"
          "      --concurrency N     hosting: the calls the run made at once (ev-call -j;\n"
          "                          default 1)\n"
          "      --baseline RUN      hosting: a per-token run of the same cases, for the\n"
          "                          break-even traffic\n"
          "  -f, --format FORMAT     report as table, json, markdown or tsv (default:\n"
          "                          table on a terminal, json otherwise)\n"
          "  -q, --quiet             no summary line on standard error\n"
          "  -h, --help              show this help\n"
          "  -V, --version           show the version\n"
          "\n"
          "A record without token counts gets a cost of nulls, never 0. A model the\n"
          "table lacks is an error: its record passes through without a cost.\n"
          "Exit status: 0 done, 2 trouble (no price, bad line, bad table, failed write,\n"
          "a --summary with nothing priced).\n"
          "See ev-cost(1) and ev(7).\n",
          f);
}

/* given records which options were given, for the checks that they go
 * together. */
typedef struct given {
    bool in, out, cached, rate, summary, estimate, repeat;
    const char *system, *system_file;
} given;

static void
read_option(ev_cli *c, int k, opts *o, given *g)
{
    switch (k) {
    case OPT_BASELINE:
        o->baseline = c->text;
        break;
    case 'b':
        o->cost.batch = true;
        break;
    case OPT_CONCURRENCY:
        o->concurrency = c->integer;
        break;
    case OPT_HOSTING:
        o->hosting = c->text;
        break;
    case OPT_TRAFFIC:
        o->traffic = c->real;
        break;
    case OPT_CURRENCY:
        if (strlen(c->text) != 3 || !isalpha((unsigned char)c->text[0]) ||
            !isalpha((unsigned char)c->text[1]) || !isalpha((unsigned char)c->text[2]))
            ev_diag_usage_error("--currency takes a three-letter code such as GBP, not '%s'",
                                c->text);
        for (int i = 0; i < 3; i++)
            o->currency[i] = (char)toupper((unsigned char)c->text[i]);
        break;
    case 'e':
        g->estimate = true;
        break;
    case 'f':
        if (!ev_cli_parse_format(c->text, 4, &o->fmt))
            ev_diag_usage_error("--format takes table, json, markdown or tsv, not '%s'", c->text);
        break;
    case 'h':
        usage(stdout);
        exit(ev_diag_close_stdout());
    case OPT_MAX_TOKENS:
        o->cost.max_tokens = c->integer;
        break;
    case 'm':
        if (*c->text == '\0')
            ev_diag_usage_error("--model takes a model name");
        o->cost.model = c->text;
        break;
    case OPT_PRICE_CACHED:
        o->cost.price_cached = c->real;
        g->cached = true;
        break;
    case OPT_PRICE_IN:
        o->cost.price_in = c->real;
        g->in = true;
        break;
    case OPT_PRICE_OUT:
        o->cost.price_out = c->real;
        g->out = true;
        break;
    case 'p':
        o->prices[o->nprices++] = c->text;
        break;
    case OPT_PROVIDER:
        if (*c->text == '\0')
            ev_diag_usage_error("--provider takes a provider's name, such as together");
        o->cost.provider = c->text;
        break;
    case 'q':
        o->quiet = true;
        break;
    case OPT_RATE:
        o->cost.rate = c->real;
        g->rate = true;
        break;
    case OPT_RATE_DATE:
        o->cost.rate_date = c->text;
        break;
    case OPT_REPEAT:
        o->cost.repeat = c->integer;
        g->repeat = true;
        break;
    case 's':
        g->summary = true;
        break;
    case OPT_SYSTEM:
        g->system = c->text;
        break;
    case OPT_SYSTEM_FILE:
        g->system_file = c->text;
        break;
    case 'V':
        ev_diag_version();
    default: /* ev_cli_next refuses every other option */
        abort();
    }
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

/* parse_options reads the options into 'o' and checks that they go
 * together. */
static void
parse_options(int argc, char **argv, opts *o)
{
    given g = {0};
    ev_cli c;
    int k;
    ev_cli_init(&c, options, (int)(sizeof(options) / sizeof(options[0])), argc, argv);
    while ((k = ev_cli_next(&c)) != -1)
        read_option(&c, k, o, &g);
    ev_cli_free(&c);

    if (g.summary && g.estimate)
        ev_diag_usage_error("--summary and --estimate are two different reports: choose one");
    if (o->hosting != NULL && (g.summary || g.estimate))
        ev_diag_usage_error("--hosting is a report of its own: drop --%s",
                            g.summary ? "summary" : "estimate");
    if (o->hosting != NULL && o->traffic <= 0)
        ev_diag_usage_error("--hosting needs --traffic, the cases a day to serve");
    if (o->hosting == NULL && (o->traffic > 0 || o->baseline != NULL || o->concurrency > 0))
        ev_diag_usage_error("%s goes with --hosting", o->traffic > 0        ? "--traffic"
                                                      : o->baseline != NULL ? "--baseline"
                                                                            : "--concurrency");
    o->mode = o->hosting != NULL ? MODE_HOSTING
              : g.estimate       ? MODE_ESTIMATE
              : g.summary        ? MODE_SUMMARY
                                 : MODE_RECORDS;
    if (o->fmt != EV_CLI_FORMAT_AUTO && o->mode == MODE_RECORDS)
        ev_diag_usage_error("--format goes with --summary or --estimate; records are always JSONL");
    if (!g.estimate) {
        const char *only = o->cost.max_tokens > 0 ? "--max-tokens"
                           : g.repeat             ? "--repeat"
                           : g.system != NULL     ? "--system"
                           : g.system_file        ? "--system-file"
                                                  : NULL;
        if (only != NULL)
            ev_diag_usage_error("%s goes with --estimate", only);
    }
    if (g.system != NULL && g.system_file != NULL)
        ev_diag_usage_error("--system and --system-file both give the system message: choose one");
    if (g.in != g.out)
        ev_diag_usage_error("--price-in and --price-out go together");
    if (g.cached && !g.in)
        ev_diag_usage_error("--price-cached goes with --price-in and --price-out");
    o->cost.custom = g.in;
    if (o->cost.custom && o->nprices > 0)
        ev_diag_usage_error("--price-in/--price-out replace the price table: drop --prices");
    if (o->cost.custom && o->cost.batch)
        ev_diag_usage_error("--batch applies a table's batch discount; with --price-in/--price-out "
                            "give the batch prices themselves");
    if (o->cost.custom && !g.cached)
        o->cost.price_cached = o->cost.price_in;
    if (o->currency[0] != '\0' && !g.rate)
        ev_diag_usage_error(
            "--currency needs --rate, the %s per unit of the price table's currency "
            "(USD): ev-cost works offline and fetches no exchange rates",
            o->currency);
    if (g.rate && o->currency[0] == '\0')
        ev_diag_usage_error("--rate goes with --currency");
    if (o->cost.rate_date != NULL && !g.rate)
        ev_diag_usage_error("--rate-date goes with --rate, the day of that rate");
    if (g.estimate && o->cost.model == NULL && !o->cost.custom)
        ev_diag_usage_error("--estimate needs --model, the model the cases will be sent to");
    if (g.system_file != NULL)
        o->system = read_system_file(g.system_file);
    else if (g.system != NULL)
        o->system = ev_alloc_strdup(g.system);
    o->cost.system = o->system;
    o->cost.currency = o->currency[0] != '\0' ? o->currency : NULL;
    ev_price_today(o->today);
    o->cost.today = o->today;
    o->fmt = ev_cli_format_resolve(o->fmt);
}

/* load_prices returns the table of --price-in/--price-out, of --prices, or
 * the default one; NULL when it cannot be read (reported). */
static ev_price_table *
load_prices(const opts *o)
{
    if (o->cost.custom) {
        ev_price_table *t = ev_price_table_new();
        ev_price_table_add_custom(t, EV_COST_COMMAND_LINE, o->cost.price_in, o->cost.price_out,
                                  o->cost.price_cached);
        return t;
    }
    const char *const *paths = o->prices;
    int n = o->nprices;
    jv path = jv_invalid();
    const char *located = NULL;
    if (n == 0) {
        path = ev_price_table_locate();
        if (!jv_is_valid(path)) {
            jv m = jv_invalid_get_msg(path);
            ev_diag_warn("%s; give one with --prices FILE or EV_PRICES, or prices with "
                         "--price-in/--price-out",
                         jv_string_value(m));
            jv_free(m);
            return NULL;
        }
        located = jv_string_value(path);
        paths = &located;
        n = 1;
    }
    jv err;
    ev_price_table *t = ev_price_table_open(paths, n, &err);
    jv_free(path);
    if (t == NULL)
        ev_diag_warn_jv(err);
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

static void
warn(jv msg, void *ctx)
{
    (void)ctx;
    ev_diag_warn_jv(msg);
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
    jv old = ev_json_field(rec, "cost");
    bool had = jv_is_valid(old);
    jv_free(old);
    if (had)
        return ev_jsonl_write(stdout, jv_object_delete(rec, jv_string("cost")));
    return ev_jsonl_write_merged(stdout, r, rec, jv_object());
}

/* What a record_fn says of a record. */
enum { RECORD_OK, RECORD_TROUBLE, RECORD_STOP };

/* A record_fn takes record 'rec' (consumed) of 'r' and returns RECORD_*. */
typedef int (*record_fn)(const ev_jsonl_reader *r, jv rec, void *ctx);

/* each_record calls 'fn' with every record of 'r', and reports the lines
 * that are not records. Returns EV_EXIT_TROUBLE when a line was bad or 'fn'
 * said trouble; RECORD_STOP ends the reading. */
static int
each_record(ev_jsonl_reader *r, record_fn fn, void *ctx)
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
        rc = fn(r, rec, ctx);
        if (rc == RECORD_TROUBLE)
            status = EV_EXIT_TROUBLE;
        else if (rc == RECORD_STOP)
            break;
    }
    return status;
}

typedef struct pricing {
    ev_cost_ledger *l;
    bool write;
    bool trouble; /* a record could not be priced */
} pricing;

static int
price_one(const ev_jsonl_reader *r, jv rec, void *ctx)
{
    pricing *p = ctx;
    jv cost, problem;
    bool failed = ev_cost_record(p->l, rec, &cost, &problem) != 0;
    if (jv_is_valid(problem))
        report(r, problem);
    else
        jv_free(problem);
    if (!p->write) {
        jv_free(rec);
        jv_free(cost);
    } else if (write_priced(r, rec, cost) != 0) {
        p->trouble |= failed;
        return RECORD_STOP;
    }
    return failed ? RECORD_TROUBLE : RECORD_OK;
}

/* run_records prices every record; with 'write' it writes each one out. */
static int
run_records(ev_cost_ledger *l, ev_jsonl_reader *r, bool write)
{
    pricing p = {.l = l, .write = write};
    int status = each_record(r, price_one, &p);
    return p.trouble ? EV_EXIT_TROUBLE : status;
}

static int
estimate_one(const ev_jsonl_reader *r, jv rec, void *ctx)
{
    jv problem;
    int rc = RECORD_OK;
    if (ev_cost_estimate_case(ctx, rec, &problem) != 0) {
        report(r, problem);
        rc = RECORD_TROUBLE;
    }
    jv_free(rec);
    return rc;
}

static int
host_one(const ev_jsonl_reader *r, jv rec, void *ctx)
{
    (void)r;
    ev_cost_hosting_add(ctx, rec);
    jv_free(rec);
    return RECORD_OK;
}

static int
run_estimate(const opts *o, const ev_price_table *table, ev_jsonl_reader *r)
{
    ev_cost_estimate es;
    jv err;
    if (ev_cost_estimate_init(&es, &o->cost, table, &err) != 0) {
        ev_diag_warn_jv(err);
        return EV_EXIT_TROUBLE;
    }
    int status = each_record(r, estimate_one, &es);
    if (ev_interrupt_pending())
        return EV_EXIT_INTR; /* an estimate of part of the input would mislead */
    if (o->cost.batch && isnan(es.row->batch))
        ev_diag_warn("no batch discount known for '%s'; estimated at the standard rate",
                     es.row->model);
    if (es.no_expected > 0 && o->cost.max_tokens == 0)
        ev_diag_warn("%lu case%s without 'expected': %s output is not in the estimate; give "
                     "--max-tokens for the worst case",
                     es.no_expected, es.no_expected == 1 ? "" : "s",
                     es.no_expected == 1 ? "its" : "their");
    jv j = ev_cost_estimate_report(&es);
    if (o->fmt == EV_CLI_FORMAT_JSON) {
        jv_dumpf(j, stdout, 0);
        putchar('\n');
    } else {
        ev_cost_report_estimate(stdout, j, o->fmt);
        jv_free(j);
    }
    return status;
}

/* hosting_price sets 'h' to the price of --hosting: a number per hour, or
 * an endpoint row of 'table'. Returns false when it is neither (reported). */
static bool
hosting_price(const opts *o, const ev_price_table *table, ev_cost_hosting *h)
{
    char *end;
    errno = 0;
    double x = strtod(o->hosting, &end);
    if (end != o->hosting && *end == '\0' && errno == 0) {
        h->per_hour = x;
        if (!(x > 0 && x <= 1e6))
            ev_diag_warn("--hosting takes a price per hour above 0, not '%s'", o->hosting);
        return x > 0 && x <= 1e6;
    }
    h->row = ev_price_table_endpoint(table, o->hosting);
    if (h->row == NULL) {
        jv names = ev_price_table_endpoint_names(table);
        ev_diag_warn("--hosting takes a price per hour or an endpoint of the price table (%s), "
                     "not '%s'",
                     *jv_string_value(names) ? jv_string_value(names) : "it has none", o->hosting);
        jv_free(names);
        return false;
    }
    h->endpoint = h->row->name;
    h->per_hour = h->row->per_hour;
    return true;
}

/* run_hosting measures the run of 'r' and prices it served from dedicated
 * capacity, against --baseline when given. */
static int
run_hosting(const opts *o, const ev_price_table *table, ev_jsonl_reader *r)
{
    ev_cost_hosting h = {.traffic = o->traffic,
                         .concurrency = o->concurrency > 0 ? (double)o->concurrency : 1,
                         .rate = o->cost.rate,
                         .currency =
                             o->cost.currency ? o->cost.currency : ev_price_table_currency(table),
                         .rate_said = ev_cost_rate(&o->cost, ev_price_table_currency(table))};
    if (!hosting_price(o, table, &h)) {
        jv_free(h.rate_said);
        return EV_EXIT_TROUBLE;
    }
    ev_cost_hosting_init(&h);
    int status = each_record(r, host_one, &h);
    ev_cost_ledger base;
    bool have_base = o->baseline != NULL;
    if (have_base) {
        ev_cost_ledger_init(&base, &o->cost, table, true, warn, NULL);
        char *paths[] = {(char *)o->baseline};
        ev_jsonl_reader br;
        ev_jsonl_init(&br, paths, 1, NULL);
        if (run_records(&base, &br, false) != EV_EXIT_OK || base.all.priced < base.all.records) {
            ev_diag_warn("%s: the baseline must be a run priced per token, every record",
                         o->baseline);
            status = EV_EXIT_TROUBLE;
        }
        ev_jsonl_free(&br);
    }
    jv j = ev_interrupt_pending() ? jv_invalid()
                                  : ev_cost_hosting_report(&h, have_base ? &base : NULL);
    if (jv_is_valid(j)) {
        if (o->fmt == EV_CLI_FORMAT_JSON) {
            jv_dumpf(j, stdout, 0);
            putchar('\n');
        } else {
            ev_cost_report_hosting(stdout, j, o->fmt);
            jv_free(j);
        }
    } else if (!ev_interrupt_pending()) {
        ev_diag_warn_jv(j);
        status = EV_EXIT_TROUBLE;
    } else {
        jv_free(j);
    }
    if (have_base)
        ev_cost_ledger_free(&base);
    ev_cost_hosting_free(&h);
    jv_free(h.rate_said);
    return status;
}

/* run_ledger prices the records of 'r', and writes them, or the summary. */
static int
run_ledger(const opts *o, const ev_price_table *table, ev_jsonl_reader *r)
{
    ev_cost_ledger l;
    ev_cost_ledger_init(&l, &o->cost, table, o->mode == MODE_SUMMARY, warn, NULL);
    int status = run_records(&l, r, o->mode == MODE_RECORDS);
    bool whole = !ev_interrupt_pending(); /* no summary of part of the input */
    if (o->mode != MODE_SUMMARY) {
        if (!o->quiet && l.all.records > 0) {
            jv line = ev_cost_summary_line(&l);
            ev_diag_warn("%s", jv_string_value(line));
            jv_free(line);
        }
    } else if (whole) {
        if (o->fmt == EV_CLI_FORMAT_JSON) {
            jv_dumpf(ev_cost_summary(&l), stdout, 0);
            putchar('\n');
        } else {
            ev_cost_report_summary(stdout, &l, o->fmt);
        }
        jv none = ev_cost_nothing_priced(&l);
        if (jv_is_valid(none)) { /* no total: trouble, not a cost of 0 */
            ev_diag_warn_jv(none);
            status = EV_EXIT_TROUBLE;
        } else {
            jv_free(none);
        }
    }
    ev_cost_ledger_free(&l);
    return status;
}

int
main(int argc, char **argv)
{
    opts o = {.cost = {.rate = 1, .repeat = 1}};
    o.prices = ev_alloc_zero((size_t)argc, sizeof(*o.prices));
    parse_options(argc, argv, &o);
    ev_price_table *table = load_prices(&o);
    if (table == NULL) {
        free(o.prices);
        free(o.system);
        return EV_EXIT_TROUBLE;
    }

    ev_jsonl_output_setup();
    ev_interrupt_catch();
    ev_jsonl_reader r;
    ev_jsonl_init(&r, argv + optind, argc - optind, o.mode == MODE_RECORDS ? stdout : NULL);
    int status = o.mode == MODE_ESTIMATE  ? run_estimate(&o, table, &r)
                 : o.mode == MODE_HOSTING ? run_hosting(&o, table, &r)
                                          : run_ledger(&o, table, &r);
    ev_jsonl_free(&r);
    ev_price_table_free(table);
    free(o.prices);
    free(o.system);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}
