/* Unit tests of lib/review: the Markdown review sheet. */
#include "review.h"
#include "unit.h"

static void
test_review(void)
{
    jv err;
    ev_sheet *sheet = ev_sheet_new(&err);
    ev_gaps_tally t;
    ev_gaps_tally_init(&t);
    jv rec = jv_parse("{\"id\":\"g2\",\"input\":\"Capital of Japan?\",\"expected\":\"Tokyo\","
                      "\"output\":\"a ```fenced``` answer\",\"score\":{\"pass\":false,"
                      "\"reason\":\"expected 'Tokyo'\"}}");
    jv gap = jv_parse("{\"kind\":\"wrong\",\"baseline\":\"regression\"}");
    jv tags = jv_parse("[\"geo\"]");
    jv geo = jv_string("geo");
    uint32_t num = ev_gaps_tally_add(&t, geo, true, true);
    jv_free(geo);
    ev_review_add(sheet, rec, gap, tags, &num, 1, jv_string("run.jsonl:1"));
    jv_free(rec);
    jv_free(gap);
    jv_free(tags);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(ev_review_print(sheet, out, &t, "run.jsonl", 1, 3, &err) == 0, "the sheet is written");
    fclose(out);
    CHECK(strstr(buf, "# Failure review: run.jsonl\n\n1 failures in 3 cases.") == buf,
          "a title and the count of failures open it");
    CHECK(strstr(buf, "\n## geo (1 of 1 failed)\n\n### g2: wrong, regression\n\n"
                      "- scorer reason: expected 'Tokyo'\n- tags: [\"geo\"]\n") != NULL,
          "each failure has its tag's heading, its gap and the scorer's reason");
    CHECK(strstr(buf, "**Output**\n\n````\na ```fenced``` answer\n````\n") != NULL,
          "a fence is longer than any run of backticks in its text");
    CHECK(strstr(buf, "- [ ] the expected answer is right\n") != NULL, "and a checklist ends it");
    free(buf);
    ev_gaps_tally_free(&t);
    ev_sheet_free(sheet);
}

int
main(void)
{
    test_review();
    UNIT_DONE();
}
