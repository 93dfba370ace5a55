/* Unit tests of lib/view: the review page's data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "view.h"
#include "unit.h"
#include "unitjson.h"

/* Problems reported while reading, joined by newlines. */
static char said[2048];

static void
collect(jv msg, void *ctx)
{
    (void)ctx;
    size_t n = strlen(said);
    snprintf(said + n, sizeof(said) - n, "%s\n", jv_string_value(msg));
    jv_free(msg);
}

/* view_of writes 'cand' and, unless NULL, 'base' to files and returns the
 * page's data for them, with the problems found in '*problems'. */
static jv
view_of(const char *cand, const char *base, int *problems)
{
    char cpath[64], bpath[64];
    unit_file(cpath, "cand.jsonl", cand);
    if (base != NULL)
        unit_file(bpath, "base.jsonl", base);
    char *paths[] = {cpath};
    ev_view_opts o = {.baseline = base != NULL ? bpath : NULL, .margin = 0.05};
    said[0] = '\0';
    *problems = 0;
    jv d = ev_view_data(paths, 1, &o, collect, NULL, problems);
    unit_file_remove(cpath);
    if (base != NULL)
        unit_file_remove(bpath);
    return d;
}

static void
test_cases(void)
{
    const char *base = "{\"id\":\"a\",\"input\":\"qa\",\"expected\":\"A\",\"output\":\"A\","
                       "\"score\":{\"pass\":true}}\n"
                       "{\"id\":\"b\",\"input\":\"qb\",\"expected\":\"B\",\"output\":\"x\","
                       "\"score\":{\"pass\":false}}\n"
                       "{\"id\":\"c\",\"input\":\"qc\",\"expected\":\"C\",\"output\":\"x\","
                       "\"score\":{\"pass\":false}}\n"
                       "{\"id\":\"d\",\"input\":\"qd\",\"expected\":\"D\",\"output\":\"D\","
                       "\"score\":{\"pass\":true}}\n"
                       "{\"id\":\"z\",\"input\":\"qz\",\"score\":{\"pass\":true}}\n";
    const char *cand = "{\"id\":\"d\",\"input\":\"qd\",\"expected\":\"D\",\"output\":\"D\","
                       "\"tags\":[\"t\"],\"score\":{\"pass\":true}}\n"
                       "{\"id\":\"a\",\"input\":\"qa\",\"expected\":\"A\",\"output\":\"no\","
                       "\"tags\":\"t\",\"score\":{\"pass\":false,\"reason\":\"r\"},\"call\":{"
                       "\"latency_ms\":12,\"finish_reason\":\"length\"},\"cost\":{\"total\":0.5}}\n"
                       "{\"id\":\"b\",\"input\":\"qb\",\"expected\":\"B\",\"output\":\"B\","
                       "\"score\":{\"pass\":true}}\n"
                       "{\"id\":\"c\",\"input\":\"qc\",\"expected\":\"C\",\"error\":{\"kind\":"
                       "\"timeout\",\"message\":\"slow\"}}\n"
                       "{\"id\":\"n\",\"input\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                       "\"expected\":{\"k\":1},\"output\":\"no\",\"score\":{\"pass\":false}}\n";
    int problems;
    jv d = view_of(cand, base, &problems);
    CHECK(problems == 0 && said[0] == '\0', "good runs have no problems");
    CHECK_STR(unit_json(jv_number(jv_array_length(ev_json_field(d, "cases")))), "6",
              "every case once");
    jv ids = jv_array(), status = jv_array();
    jv cases = ev_json_field(d, "cases");
    jv_array_foreach(cases, i, c)
    {
        ids = jv_array_append(ids, ev_json_field(c, "id"));
        status = jv_array_append(status, ev_json_path(c, "status.0"));
        jv_free(c);
        (void)i;
    }
    jv_free(cases);
    CHECK_STR(unit_json(ids), "[\"d\",\"a\",\"b\",\"c\",\"n\",\"z\"]",
              "the candidate's order, then the baseline's own cases");
    CHECK_STR(unit_json(status), "[\"both-pass\",\"regressed\",\"fixed\",\"both-fail\",null,null]",
              "each case's status against the baseline");
    CHECK_STR(unit_json_at(d, "cases.1.runs.0"),
              "{\"cost\":0.5,\"kind\":\"truncated\",\"latency_ms\":12,\"output\":\"no\",\"pass\":"
              "false,\"passes\":0,"
              "\"reason\":\"r\",\"samples\":1}",
              "a run's answer: output, verdict, kind, reason, latency and cost");
    CHECK_STR(unit_json_at(d, "cases.1.base.output"), "\"A\"", "the baseline's answer beside it");
    CHECK_STR(unit_json_at(d, "cases.1.tags"), "[\"t\"]", "a lone tag is a list of one");
    CHECK_STR(unit_json_at(d, "cases.2.tags"), "[\"(untagged)\"]",
              "a case without tags is untagged");
    CHECK_STR(unit_json_at(d, "cases.3.runs.0.error"), "\"timeout: slow\"",
              "a failed call says why");
    CHECK_STR(unit_json_at(d, "cases.3.runs.0.kind"), "\"error\"", "and is of kind error");
    CHECK_STR(unit_json_at(d, "cases.4.input"), "[{\"content\":\"hi\",\"role\":\"user\"}]",
              "messages keep their roles");
    CHECK_STR(unit_json_at(d, "cases.4.expected"), "\"{\\n  \\\"k\\\": 1\\n}\"",
              "an expected answer that is not a string is shown as JSON");
    CHECK_STR(unit_json_at(d, "cases.5.runs.0"), "null", "a case a run lacks is null there");
    CHECK_STR(unit_json_at(d, "tags.0.tags.1.tag"), "\"t\"", "tags by failure rate, worst first");
    CHECK_STR(unit_json_at(d, "tags.0.tags.1.kinds.truncated"), "1",
              "failure kinds are counted per tag");
    CHECK_STR(unit_json_at(d, "tags.0.tags.1.regressions"), "1", "regressions are counted per tag");
    CHECK_STR(unit_json_at(d, "tags.0.tags.0"),
              "{\"cases\":3,\"failures\":2,\"kinds\":{\"error\":1,\"format\":0,\"refusal\":0,"
              "\"truncated\":0,"
              "\"wrong\":1},\"rate\":\"66.7%\",\"regressions\":0,\"tag\":\"(untagged)\"}",
              "the untagged row, as ev-gaps counts it");
    CHECK_STR(unit_json_at(d, "summary.comparisons.0.regressed_count"), "1",
              "the summary is ev-compare's");
    CHECK_STR(unit_json_at(d, "summary.comparisons.0.regressed"), "(none)",
              "without its lists of ids, which the cases carry");
    jv lines = ev_json_path(d, "cells.comparisons.0.lines");
    CHECK_STR(unit_json(jv_array_slice(jv_copy(lines), 0, 1)),
              "[\"both pass 1, only candidate 1, only baseline 1, both fail 1\"]",
              "a comparison is in ev-compare's table's words, a line per figure");
    jv line = jv_array_get(jv_copy(lines), 1);
    CHECK(strstr(ev_json_str(line, ""), "accuracy 50.0% (candidate) vs 50.0% (baseline): "
                                        "difference +0.0 points, 95% CI [") != NULL,
          "with the accuracies and their difference");
    jv_free(line);
    int n = jv_array_length(jv_copy(lines));
    CHECK_STR(unit_json(jv_array_slice(lines, n - 2, n)), "[\"regressed (1): a\",\"fixed (1): b\"]",
              "and the regressed and fixed cases' ids");
    jv heading = ev_json_path(d, "cells.comparisons.0.heading");
    CHECK(strstr(ev_json_str(heading, ""), "cand.jsonl vs ") != NULL &&
              strstr(ev_json_str(heading, ""), "base.jsonl: 4 paired cases (left out: 1 only in "
                                               "the baseline, 1 only in the candidate)") != NULL,
          "under ev-compare's heading");
    jv_free(heading);
    jv_free(d);
}

static void
test_samples(void)
{
    const char *cand =
        "{\"id\":\"a\",\"output\":\"x\",\"score\":{\"pass\":true},\"call\":{\"sample\":0}}\n"
        "{\"id\":\"a\",\"output\":\"y\",\"score\":{\"pass\":false},\"call\":{\"sample\":1}}\n"
        "{\"id\":\"a\",\"output\":\"z\",\"score\":{\"pass\":true},\"call\":{\"sample\":2}}\n"
        "{\"id\":\"b\",\"output\":\"y\",\"score\":{\"pass\":true},\"call\":{\"sample\":0}}\n"
        "{\"id\":\"b\",\"output\":\"y\",\"score\":{\"pass\":false},\"call\":{\"sample\":1}}\n"
        "{\"id\":\"b\",\"output\":\"y\",\"score\":{\"pass\":false},\"call\":{\"sample\":2}}\n";
    int problems;
    jv d = view_of(cand, NULL, &problems);
    CHECK_STR(unit_json_at(d, "cases.0.runs.0.output"), "\"x\"", "a case shows its first sample");
    CHECK_STR(unit_json_at(d, "cases.0.runs.0.pass"), "true",
              "and passes when most of its samples pass");
    CHECK_STR(unit_json_at(d, "cases.0.runs.0.kind"), "\"wrong\"",
              "with the kind of its first failing sample");
    CHECK_STR(unit_json_at(d, "cases.0.runs.0.samples"), "3", "and its samples counted");
    CHECK_STR(unit_json_at(d, "cases.1.runs.0.pass"), "false", "and fails when most fail");
    CHECK_STR(unit_json_at(d, "tags.0.tags.0.failures"), "3",
              "per tag, every record counts, as in ev-gaps");
    jv_free(d);
}

static void
test_problems(void)
{
    int problems;
    jv d = view_of("{\"id\":\"a\",\"score\":{\"pass\":true}}\nnot json\n"
                   "{\"id\":\"b\",\"score\":{\"pass\":\"yes\"}}\n",
                   NULL, &problems);
    CHECK(problems == 2, "a bad line and a bad score are two problems");
    CHECK(strstr(said, "cand.jsonl:2: cannot parse record") != NULL,
          "a bad line is named by file:line");
    CHECK(strstr(said, "cand.jsonl:3: 'score.pass'") != NULL, "a bad score is named by file:line");
    CHECK_STR(unit_json(jv_number(jv_array_length(ev_json_field(d, "cases")))), "1",
              "the page keeps the good cases");
    jv_free(d);

    char *paths[] = {"/nonexistent/run.jsonl"};
    ev_view_opts o = {.margin = 0.05};
    problems = 0;
    said[0] = '\0';
    d = ev_view_data(paths, 1, &o, collect, NULL, &problems);
    CHECK(!jv_is_valid(d) && problems == 1, "a run that cannot be read gives no data");
    jv_free(d);
}

static void
test_key(void)
{
    int problems;
    const char *run = "{\"id\":\"a\",\"score\":{\"pass\":true}}\n";
    jv d1 = view_of(run, NULL, &problems), d2 = view_of(run, NULL, &problems);
    jv d3 = view_of("{\"id\":\"a\",\"score\":{\"pass\":false}}\n", NULL, &problems);
    jv d4 = view_of(run, run, &problems);
    char k1[32];
    snprintf(k1, sizeof(k1), "%s", unit_json_at(d1, "key"));
    CHECK(strlen(k1) == 18, "the key is 16 hex digits");
    CHECK_STR(unit_json_at(d2, "key"), k1, "the same runs give the same key");
    CHECK(strcmp(unit_json_at(d3, "key"), k1) != 0, "another line gives another key");
    CHECK(strcmp(unit_json_at(d4, "key"), k1) != 0, "a baseline gives another key");
    jv_free(d1);
    jv_free(d2);
    jv_free(d3);
    jv_free(d4);
}

static void
test_curve(void)
{
    char cpath[64], kpath[64];
    unit_file(cpath, "cand.jsonl", "{\"id\":\"a\",\"score\":{\"pass\":true}}\n");
    unit_file(kpath, "curve.json", "{\"points\":[{\"n\":100,\"accuracy\":0.5}],\"fits\":[]}\n");
    char *paths[] = {cpath};
    ev_view_opts o = {.curve = kpath, .margin = 0.05};
    int problems = 0;
    jv d = ev_view_data(paths, 1, &o, collect, NULL, &problems);
    CHECK(problems == 0, "with --curve, the ev-curve report is read (test_curvefile.c)");
    CHECK_STR(unit_json_at(d, "curve.points"), "[{\"accuracy\":0.5,\"n\":100}]",
              "and its chart is in the data");
    jv_free(d);
    unit_file_remove(kpath);
    unit_file(kpath, "curve.json", "[1, 2]");
    problems = 0;
    said[0] = '\0';
    d = ev_view_data(paths, 1, &o, collect, NULL, &problems);
    CHECK(problems == 1 && strstr(said, "curve.json: not an ev-curve report") != NULL,
          "a file that is not one is a problem named by its file");
    CHECK_STR(unit_json_at(d, "curve"), "null", "and the page has no chart");
    CHECK_STR(unit_json(jv_number(jv_array_length(ev_json_field(d, "cases")))), "1",
              "but has its cases");
    jv_free(d);
    unit_file_remove(kpath);
    unit_file_remove(cpath);
}

static void
test_write(void)
{
    char *buf = NULL;
    size_t n;
    FILE *f = open_memstream(&buf, &n);
    int rc = ev_view_write(f, JV_OBJECT(jv_string("note"), jv_string("</script>")));
    fclose(f);
    CHECK(rc == 0, "the page is written");
    CHECK(strncmp(buf, "<!DOCTYPE html>", 15) == 0, "it is an HTML page");
    CHECK(strstr(buf, "id=\"ev-data\">{\"note\":\"\\u003c/script\\u003e\"}</script>") != NULL,
          "with the data in its JSON element, escaped");
    CHECK(strstr(buf, EV_VIEW_MARKER) == NULL, "and no marker left");
    free(buf);
}

int
main(void)
{
    test_cases();
    test_samples();
    test_problems();
    test_key();
    test_curve();
    test_write();
    UNIT_DONE();
}
