/* Unit tests of lib/review: the Markdown review sheet. */
#include "review.h"
#include "unit.h"

/* sheet_of returns the sheet of one failure 'rec' (JSON text) of the tag
 * geo, with the gap 'wrong, regression', 'beside' the baseline's output
 * (consumed), for a run of 'cases'. The caller frees it. */
static char *
sheet_of(const char *json, jv beside, long cases)
{
    jv err;
    ev_sheet *sheet = ev_sheet_new(&err);
    ev_gaps_tally t;
    ev_gaps_tally_init(&t);
    jv rec = jv_parse(json);
    jv gap = jv_parse("{\"kind\":\"wrong\",\"baseline\":\"regression\"}");
    jv tags = jv_parse("[\"geo\"]");
    jv geo = jv_string("geo");
    uint32_t num = ev_gaps_tally_add(&t, geo, true, true);
    jv_free(geo);
    ev_review_add(sheet, rec, gap, beside, tags, &num, 1, jv_string("run.jsonl:1"));
    jv_free(rec);
    jv_free(gap);
    jv_free(tags);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(ev_review_print(sheet, out, &t, "run.jsonl", 1, cases, &err) == 0,
          "the sheet is written");
    fclose(out);
    ev_gaps_tally_free(&t);
    ev_sheet_free(sheet);
    return buf;
}

static void
test_review(void)
{
    char *buf = sheet_of("{\"id\":\"g2\",\"input\":\"Capital of Japan?\",\"expected\":\"Tokyo\","
                         "\"output\":\"a ```fenced``` answer\",\"score\":{\"pass\":false,"
                         "\"reason\":\"expected 'Tokyo'\"}}",
                         jv_invalid(), 3);
    CHECK(strstr(buf, "# Failure review: run.jsonl\n\n1 failures in 3 cases.") == buf,
          "a title and the count of failures open it");
    CHECK(strstr(buf, "\n## geo (1 of 1 failed)\n\n### g2: wrong, regression\n\n"
                      "- scorer reason: expected 'Tokyo'\n- tags: [\"geo\"]\n") != NULL,
          "each failure has its tag's heading, its gap and the scorer's reason");
    CHECK(strstr(buf, "**Output**\n\n````\na ```fenced``` answer\n````\n") != NULL,
          "a fence is longer than any run of backticks in its text");
    CHECK(strstr(buf, "- [ ] the expected answer is right\n") != NULL, "and a checklist ends it");
    CHECK(strstr(buf, "Baseline") == NULL, "without a baseline, no baseline output");
    free(buf);
}

/* With a baseline, its output comes right after the candidate's, with
 * whether it passed. */
static void
test_beside(void)
{
    char *buf = sheet_of("{\"id\":\"g2\",\"input\":\"Capital of Japan?\",\"expected\":\"Tokyo\","
                         "\"output\":\"Kyoto\",\"score\":{\"pass\":false}}",
                         jv_string("Tokyo, of course"), 1);
    CHECK(strstr(buf, "**Output**\n\n```\nKyoto\n```\n\n"
                      "**Baseline output (passed)**\n\n```\nTokyo, of course\n```\n") != NULL,
          "the baseline's output follows the candidate's, and says that it passed");
    free(buf);
}

int
main(void)
{
    test_review();
    test_beside();
    UNIT_DONE();
}
