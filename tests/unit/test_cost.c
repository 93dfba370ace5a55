/* Unit tests of lib/cost: pricing records and judges into a ledger, its
 * summary (and the summary of nothing priced), and estimates with their
 * range. Prices are per million tokens: small 1 in, 2 out. */
#include <stdlib.h>
#include <unistd.h>

#include "cost.h"
#include "json.h"
#include "unit.h"

static const char table[] = "{\"as_of\": \"2026-01-01\"}\n"
                            "{\"model\": \"small\", \"input\": 1, \"output\": 2, \"batch\": 0.5}\n"
                            "{\"model\": \"judge\", \"input\": 10, \"output\": 10}\n"
                            "{\"model\": \"nobatch\", \"input\": 1, \"output\": 1}\n";

static ev_price_table *
load(void)
{
    char path[64];
    unit_file(path, "prices.jsonl", table);
    const char *paths[] = {path};
    jv err;
    ev_price_table *t = ev_price_table_open(paths, 1, &err);
    unit_file_remove(path);
    if (t == NULL)
        abort();
    return t;
}

/* text copies the string member 'key' of 'o' into 'buf', or "-". */
static const char *
text(jv o, const char *key, char *buf, size_t n)
{
    jv v = ev_json_field(o, key);
    snprintf(buf, n, "%s", ev_json_str(v, "-"));
    jv_free(v);
    return buf;
}

static int warnings;

static void
count_warning(jv msg, void *ctx)
{
    (void)ctx;
    warnings++;
    jv_free(msg);
}

/* price prices the record 'json' into 'l' and returns its cost field as
 * compact JSON in 'buf' ("(none)" for none); '*rc' gets the result. */
static const char *
price(ev_cost_ledger *l, const char *json, int *rc, char *buf, size_t n)
{
    jv rec = jv_parse(json), cost, problem;
    *rc = ev_cost_record(l, rec, &cost, &problem);
    jv s = jv_is_valid(cost) ? jv_dump_string(cost, 0) : (jv_free(cost), jv_string("(none)"));
    snprintf(buf, n, "%s", jv_string_value(s));
    jv_free(s);
    jv_free(problem);
    jv_free(rec);
    return buf;
}

static void
test_ledger(const ev_price_table *t)
{
    char buf[256];
    int rc;
    ev_cost_opts o = {.rate = 1, .repeat = 1};
    ev_cost_ledger l;
    ev_cost_ledger_init(&l, &o, t, true, count_warning, NULL);
    CHECK_STR(price(&l,
                    "{\"id\":\"a\",\"call\":{\"model\":\"small\",\"input_tokens\":1000000,"
                    "\"output_tokens\":500000}}",
                    &rc, buf, sizeof(buf)),
              "{\"input\":1,\"output\":1,\"total\":2,\"currency\":\"USD\"}",
              "a record is priced from its tokens at its model's row");
    CHECK(rc == 0, "and that is no trouble");
    CHECK_STR(price(&l, "{\"id\":\"b\",\"call\":{\"model\":\"small\"}}", &rc, buf, sizeof(buf)),
              "{\"input\":null,\"output\":null,\"total\":null,\"currency\":\"USD\","
              "\"unknown\":\"no token usage\"}",
              "a record without tokens costs nulls that say why, never 0");
    CHECK(rc == 0, "which is no trouble either");
    price(&l, "{\"id\":\"c\",\"call\":{\"model\":\"nope\",\"input_tokens\":1,\"output_tokens\":1}}",
          &rc, buf, sizeof(buf));
    CHECK(rc == -1, "a model without a price is trouble");
    CHECK_STR(price(&l,
                    "{\"id\":\"a\",\"call\":{\"model\":\"small\",\"input_tokens\":0,"
                    "\"output_tokens\":0},\"score\":{\"judge\":{\"model\":\"judge\","
                    "\"input_tokens\":100000,\"output_tokens\":0}}}",
                    &rc, buf, sizeof(buf)),
              "{\"input\":0,\"output\":0,\"total\":0,\"currency\":\"USD\",\"judge\":1}",
              "a judge is priced at its own model's row, as cost.judge");
    CHECK(l.all.records == 4 && l.all.priced == 2 && l.all.unknown == 1 && l.all.errors == 1,
          "the ledger counts records, priced, unknown and errors");
    CHECK(l.ncases == 1, "the same id priced twice is one case");
    jv s = ev_cost_summary(&l);
    CHECK(ev_json_number(s, "cost.total") == 2 && ev_json_number(s, "cost.judge") == 1,
          "the summary sums the records and, apart, the judges");
    jv none = ev_json_field(s, "no_evidence");
    CHECK(!jv_is_valid(none), "a summary with a priced record has a cost to report");
    jv_free(none);
    jv_free(s);
    jv line = ev_cost_summary_line(&l);
    CHECK_STR(jv_string_value(line),
              "4 records, 2 priced, 1 without token usage, 1 not priced; total 2 USD (prices "
              "as of 2026-01-01)",
              "the summary line says it all in one line");
    jv_free(line);
    ev_cost_ledger_free(&l);

    o.batch = true;
    warnings = 0;
    ev_cost_ledger_init(&l, &o, t, false, count_warning, NULL);
    price(&l, "{\"call\":{\"model\":\"nobatch\",\"input_tokens\":1,\"output_tokens\":1}}", &rc, buf,
          sizeof(buf));
    price(&l, "{\"call\":{\"model\":\"nobatch\",\"input_tokens\":1,\"output_tokens\":1}}", &rc, buf,
          sizeof(buf));
    CHECK(warnings == 1, "a model without a batch factor is warned of once, through the callback");
    ev_cost_ledger_free(&l);
}

static void
test_nothing_priced(const ev_price_table *t)
{
    ev_cost_opts o = {.rate = 1, .repeat = 1};
    ev_cost_ledger l;
    ev_cost_ledger_init(&l, &o, t, true, count_warning, NULL);
    char buf[256];
    int rc;
    jv s = ev_cost_summary(&l);
    CHECK_STR(text(s, "no_evidence", buf, sizeof(buf)), "no records: there is no cost to report",
              "a summary of nothing says so");
    jv_free(s);
    price(&l, "{\"call\":{\"model\":\"nope\",\"input_tokens\":1,\"output_tokens\":1}}", &rc, buf,
          sizeof(buf));
    jv why = ev_cost_nothing_priced(&l);
    CHECK_STR(jv_string_value(why),
              "no record was priced (0 without token usage, 1 not priced): there is no cost to "
              "report",
              "a summary of records none of which was priced says so");
    jv_free(why);
    s = ev_cost_summary(&l);
    jv total = ev_json_path(s, "cost.total");
    CHECK(jv_get_kind(total) == JV_KIND_NULL, "and its cost is null, not 0");
    jv_free(total);
    jv_free(s);
    ev_cost_ledger_free(&l);
}

static void
test_estimate(const ev_price_table *t)
{
    char buf[64];
    ev_cost_opts o = {.model = "small", .rate = 1, .repeat = 1};
    ev_cost_estimate e;
    jv err;
    CHECK(ev_cost_estimate_init(&e, &o, t, &err) == 0, "an estimate needs the model's price");
    /* "abcdefgh": 2 + 3 + 3 = 8 prompt tokens; "abcd" expected: 1 token. */
    jv rec = jv_parse("{\"input\":\"abcdefgh\",\"expected\":\"abcd\"}"), problem;
    CHECK(ev_cost_estimate_case(&e, rec, &problem) == 0, "a case with an input is estimated");
    jv_free(rec);
    jv r = ev_cost_estimate_report(&e);
    CHECK_NEAR(ev_json_number(r, "cost.total"), 0.00001, 1e-12,
               "8 tokens in at 1, 1 out at 2: 0.00001");
    CHECK_STR(text(r, "headline", buf, sizeof(buf)), "low",
              "without --max-tokens the total is the low end");
    CHECK_NEAR(ev_json_number(r, "range.low.total"), 0.00001, 1e-12, "which the range starts at");
    CHECK(isnan(ev_json_number(r, "range.high.total")), "and the range has no upper bound");
    jv_free(r);

    o.max_tokens = 10;
    CHECK(ev_cost_estimate_init(&e, &o, t, &err) == 0, "again with --max-tokens 10");
    rec = jv_parse("{\"input\":\"abcdefgh\",\"expected\":\"abcd\"}");
    ev_cost_estimate_case(&e, rec, &problem);
    jv_free(rec);
    r = ev_cost_estimate_report(&e);
    CHECK_STR(text(r, "headline", buf, sizeof(buf)), "high",
              "with --max-tokens the total is the high end, the worst case");
    CHECK_NEAR(ev_json_number(r, "range.high.total"), 0.000028, 1e-12,
               "8 in and 10 out at 2: 0.000028");
    CHECK_NEAR(ev_json_number(r, "cost.total"), ev_json_number(r, "range.high.total"), 0,
               "the total is the high end");
    jv_free(r);

    o.model = "nope";
    CHECK(ev_cost_estimate_init(&e, &o, t, &err) == -1,
          "a model without a price cannot be estimated");
    jv_free(err);
}

int
main(void)
{
    ev_price_table *t = load();
    test_ledger(t);
    test_nothing_priced(t);
    test_estimate(t);
    ev_price_table_free(t);
    UNIT_DONE();
}
