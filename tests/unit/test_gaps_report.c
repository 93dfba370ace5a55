/* Unit tests of lib/gaps_report: ev-gaps --summary printed. */
#include "gaps_report.h"
#include "unit.h"

/* printed returns what ev_gaps_report_print writes for 'rep' in 'f'. */
static char *
printed(jv rep, enum ev_cli_format f, bool regressions)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (out == NULL || ev_gaps_report_print(out, rep, f, regressions) != 0)
        abort();
    fclose(out);
    return buf;
}

/* A summary as ev_gaps_summary makes it, for a run of 3 cases. */
static const char summary[] =
    "{\"run\":\"run.jsonl\",\"cases\":3,\"failures\":2,\"budget\":5,\"tags\":["
    "{\"tag\":\"math\",\"cases\":1,\"failures\":1,\"failure_rate\":1,\"regressions\":0,"
    "\"budget\":3},{\"tag\":\"geo\",\"cases\":2,\"failures\":1,\"failure_rate\":0.5,"
    "\"regressions\":1,\"budget\":2}]}";

static void
test_formats(void)
{
    jv rep = jv_parse(summary);
    char *text = printed(jv_copy(rep), EV_CLI_FORMAT_TABLE, true);
    CHECK_STR(text,
              "tag                        cases failures     rate regressions  budget\n"
              "math                           1        1   100.0%           0       3\n"
              "geo                            2        1    50.0%           1       2\n",
              "a table lines its columns up");
    free(text);
    text = printed(jv_copy(rep), EV_CLI_FORMAT_MARKDOWN, false);
    CHECK_STR(text,
              "| tag | cases | failures | failure rate | budget |\n|---|--:|--:|--:|--:|\n"
              "| math | 1 | 1 | 100.0% | 3 |\n| geo | 2 | 1 | 50.0% | 2 |\n",
              "Markdown leaves out regressions without a baseline");
    free(text);
    text = printed(rep, EV_CLI_FORMAT_TSV, true);
    CHECK_STR(text,
              "tag\tcases\tfailures\tfailure_rate\tregressions\tbudget\n"
              "math\t1\t1\t1.000000\t0\t3\ngeo\t2\t1\t0.500000\t1\t2\n",
              "TSV gives the rate as a fraction");
    free(text);
}

static void
test_labels(void)
{
    jv labels = jv_parse("{\"changed\":4,\"expected_wrong\":1,\"ok\":2,\"made_failures\":1}");
    jv rep = jv_object_set(jv_parse(summary), jv_string("labels"), jv_copy(labels));
    jv s = ev_gaps_report_labels(labels);
    CHECK_STR(jv_string_value(s),
              "the labels changed 4 cases: 1 expected-wrong, left out to fix; 2 ok, not "
              "failures; 1 model-wrong that had passed",
              "what the labels changed is one sentence");
    char *text = printed(jv_copy(rep), EV_CLI_FORMAT_TABLE, false);
    char want[512];
    snprintf(want, sizeof(want), "\n\n%s\n", jv_string_value(s));
    CHECK(strlen(text) > strlen(want) && strcmp(text + strlen(text) - strlen(want), want) == 0,
          "a table ends with it");
    free(text);
    text = printed(jv_copy(rep), EV_CLI_FORMAT_TSV, false);
    CHECK(strstr(text, "labels") == NULL, "TSV stays a table");
    free(text);
    text = printed(rep, EV_CLI_FORMAT_JSON, false);
    CHECK(strstr(text, "\"labels\":{\"changed\":4,") != NULL, "JSON has the counts");
    free(text);
    jv_free(s);
}

int
main(void)
{
    test_formats();
    test_labels();
    UNIT_DONE();
}
