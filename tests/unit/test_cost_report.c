/* Unit tests of lib/cost_report: the summary of a ledger and an estimate,
 * as a person reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cost_report.h"
#include "unit.h"

static ev_price_table *
load(void)
{
    char path[64];
    unit_file(path, "prices.jsonl", "{\"model\": \"small\", \"input\": 1, \"output\": 2}\n");
    const char *paths[] = {path};
    jv err;
    ev_price_table *t = ev_price_table_open(paths, 1, &err);
    unit_file_remove(path);
    if (t == NULL)
        abort();
    return t;
}

/* written is what the report of 'l', or else of 'est', reads as in 'fmt'. */
static char *
written(const ev_cost_ledger *l, jv est, enum ev_cli_format fmt)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (l != NULL)
        ev_cost_report_summary(f, l, fmt);
    else
        ev_cost_report_estimate(f, est, fmt);
    fclose(f);
    return out;
}

int
main(void)
{
    ev_price_table *t = load();
    ev_cost_opts o = {.rate = 1, .repeat = 1};
    ev_cost_ledger l;
    ev_cost_ledger_init(&l, &o, t, true, NULL, NULL);
    char *s = written(&l, jv_null(), EV_CLI_FORMAT_TABLE);
    CHECK(strstr(s, "\nno records: there is no cost to report") != NULL,
          "a summary of nothing says there is no cost to report");
    free(s);
    jv rec = jv_parse("{\"id\":\"a\",\"call\":{\"model\":\"small\",\"input_tokens\":1000000,"
                      "\"output_tokens\":0}}"),
       cost, problem;
    ev_cost_record(&l, rec, &cost, &problem);
    jv_free(rec);
    jv_free(cost);
    jv_free(problem);
    s = written(&l, jv_null(), EV_CLI_FORMAT_MARKDOWN);
    CHECK(strstr(s, "| small | 1 | 1 | 0 | 0 | 1000000 | 0 | 1.000000 |\n") != NULL,
          "markdown has a row per model");
    CHECK(strstr(s, "no cost to report") == NULL, "and, with a record priced, a cost");
    free(s);
    s = written(&l, jv_null(), EV_CLI_FORMAT_TSV);
    CHECK(strstr(s, "(total)\t\t1\t1\t0\t0\t1000000\t0\t0\t1\t0\t1\tUSD\n") != NULL,
          "TSV has every column, the total last");
    free(s);
    ev_cost_ledger_free(&l);

    o.model = "small";
    ev_cost_estimate e;
    jv err;
    ev_cost_estimate_init(&e, &o, t, &err);
    rec = jv_parse("{\"input\":\"abcdefgh\",\"expected\":\"abcd\"}");
    ev_cost_estimate_case(&e, rec, &problem);
    jv_free(rec);
    jv est = ev_cost_estimate_report(&e);
    s = written(NULL, est, EV_CLI_FORMAT_TABLE);
    CHECK(strstr(s, "range: 0.000010 USD (answers as long as 'expected') to no upper bound") !=
              NULL,
          "the estimate's range has no upper bound without --max-tokens");
    CHECK(strstr(s, "the total is the low end, an optimistic figure") != NULL,
          "and says its total is the optimistic end");
    free(s);
    jv_free(est);
    ev_price_table_free(t);
    UNIT_DONE();
}
