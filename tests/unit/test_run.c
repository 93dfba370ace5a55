/* Unit tests of lib/run: gathering a scored run into cases. */
#include "run.h"

#include "json.h"
#include "unit.h"

/* The problems a load reported, one a line. */
static char problems[4096];

static void
collect(jv msg, void *ctx)
{
    (void)ctx;
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    size_t used = strlen(problems);
    snprintf(problems + used, sizeof(problems) - used, "%s\n", jv_string_value(msg));
    jv_free(msg);
}

/* load reads the JSONL 'text' as a run from a file named run.jsonl, and
 * returns the number of problems. */
static int
load(ev_run *run, const char *text, const ev_run_opts *o)
{
    char path[64];
    unit_file(path, "run.jsonl", text);
    problems[0] = '\0';
    ev_run_opts none = {0};
    int n = ev_run_load(run, path, o ? o : &none, collect, NULL);
    unit_file_remove(path);
    return n;
}

static bool
has_problem(const char *what)
{
    return strstr(problems, what) != NULL;
}

static const char *
id_of(const ev_run *run, size_t i)
{
    return ev_run_id(run, i, NULL);
}

static void
test_cases(void)
{
    ev_run run;
    int n = load(&run,
                 "{\"id\":\"a\",\"score\":{\"pass\":true,\"value\":0.75},"
                 "\"call\":{\"latency_ms\":100,\"input_tokens\":10,\"output_tokens\":2},"
                 "\"cost\":{\"total\":0.5}}\n"
                 "{\"id\":7,\"score\":{\"pass\":false}}\n"
                 "{\"input\":\"what?\",\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"c\",\"error\":{\"kind\":\"http\"}}\n",
                 NULL);
    CHECK(n == 0, "a well-formed run loads without problems");
    CHECK(run.n == 4, "each id is a case");
    CHECK_STR(id_of(&run, 0), "a", "a case keeps its id");
    CHECK_STR(id_of(&run, 1), "7", "a numeric id becomes its JSON text");
    CHECK(id_of(&run, 2)[0] == 'h' && strlen(id_of(&run, 2)) == 17,
          "a case without an id gets the derived one");
    const ev_run_case *a = &run.cases[0];
    CHECK(a->samples == 1 && a->passes == 1 && a->value == 0.75, "pass and value are kept");
    CHECK(a->latency == 100 && a->nlatency == 1, "latency is kept");
    CHECK(a->tokens_in == 10 && a->tokens_out == 2 && a->cost == 0.5 && a->ncost == 1,
          "tokens and cost are kept");
    CHECK(run.cases[1].value == 0 && run.cases[2].value == 1,
          "without a value, a pass is worth 1 and a failure 0");
    CHECK(run.cases[3].errors == 1 && run.cases[3].passes == 0,
          "a failed call without a score is a failed sample");
    CHECK(ev_run_find(&run, "7", 1) == 1, "a case is found by its id");
    CHECK(ev_run_find(&run, "b", 1) == -1, "an id the run lacks is not found");
    ev_run_free(&run);
}

static void
test_samples(void)
{
    ev_run run;
    int n = load(&run,
                 "{\"id\":\"r\",\"call\":{\"sample\":0},\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"r\",\"call\":{\"sample\":1},\"score\":{\"pass\":false}}\n"
                 "{\"id\":\"r\",\"call\":{\"sample\":2},\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"r\",\"call\":{\"sample\":1},\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"q\",\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"q\",\"call\":{\"sample\":0},\"score\":{\"pass\":false}}\n"
                 "{\"id\":\"h\",\"call\":{\"sample\":0.5},\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"h\",\"call\":{\"sample\":1},\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"h\",\"call\":{\"sample\":0.5},\"score\":{\"pass\":false}}\n",
                 NULL);
    CHECK(n == 3, "three duplicates are three problems");
    CHECK(run.n == 3, "samples of one id are one case");
    CHECK(run.cases[0].samples == 3 && run.cases[0].passes == 2,
          "the samples of a case are gathered, each once");
    CHECK_NEAR(ev_run_case_score(&run.cases[0]), 2.0 / 3, 1e-12, "a case scores its pass rate");
    CHECK(has_problem("run.jsonl:4: duplicate record for id 'r' and sample; the first is kept"),
          "a sample seen before is a duplicate, with its line");
    CHECK(has_problem("run.jsonl:6: duplicate record for id 'q'; the first is kept"),
          "a missing sample is sample 0");
    CHECK(run.cases[1].samples == 1 && run.cases[1].passes == 1, "the first record is kept");
    CHECK(has_problem("run.jsonl:9:") && run.cases[2].samples == 2,
          "a sample that is not a whole number is caught again too");
    ev_run_free(&run);
}

static void
test_bad_records(void)
{
    ev_run run;
    int n = load(&run,
                 "{\"id\":\"a\",\"score\":{\"pass\":true,\"value\":1.5}}\n"
                 "{\"id\":\"b\",\"score\":{\"pass\":false,\"value\":-0.25}}\n"
                 "{\"id\":\"c\",\"score\":{\"pass\":false,\"value\":1e400}}\n"
                 "{\"id\":\"d\",\"score\":{\"pass\":\"yes\"}}\n"
                 "{\"id\":\"e\",\"score\":{\"pass\":true,\"value\":\"1\"}}\n"
                 "{\"id\":\"f\",\"output\":\"x\"}\n"
                 "{\"id\":\"g\",\"score\":[true]}\n"
                 "{\"output\":\"no id\",\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"ok\",\"score\":{\"pass\":true,\"value\":1}}\n"
                 "{\"id\":\"zero\",\"score\":{\"pass\":false,\"value\":0}}\n"
                 "not json\n",
                 NULL);
    CHECK(n == 9, "each bad record is one problem");
    CHECK(run.n == 2 && ev_run_find(&run, "ok", 2) == 0 && ev_run_find(&run, "zero", 4) == 1,
          "only the good records are cases");
    CHECK(has_problem("run.jsonl:1: 'score.value' is 1.5, not a number from 0 to 1"),
          "a value above 1 is reported with file:line");
    CHECK(has_problem("run.jsonl:2: 'score.value' is -0.25, not a number from 0 to 1"),
          "a negative value is reported");
    CHECK(has_problem("run.jsonl:3: 'score.value' is infinite"), "an infinite value is reported");
    CHECK(has_problem("run.jsonl:4: 'score.pass' is neither true nor false"),
          "a pass that is not a boolean is reported");
    CHECK(has_problem("run.jsonl:5: 'score.value' is not a number"),
          "a value that is not a number is reported");
    CHECK(has_problem("run.jsonl:6: record has no 'score'"),
          "a record without a score is reported");
    CHECK(has_problem("run.jsonl:7: 'score' is an array, not an object"),
          "a score that is not an object is reported");
    CHECK(has_problem("run.jsonl:8:"), "a record without an id or an input is reported");
    CHECK(has_problem("run.jsonl:11:"), "a line that is not JSON is reported");
    ev_run_free(&run);

    problems[0] = '\0';
    ev_run_opts none = {0};
    CHECK(ev_run_load(&run, "/nonexistent/run.jsonl", &none, collect, NULL) == -1,
          "a file that cannot be read fails the load");
    CHECK(has_problem("/nonexistent/run.jsonl"), "and is reported");
}

static void
test_ids(void)
{
    ev_run run;
    int n = load(&run,
                 "{\"id\":\"x\\u0000y\",\"score\":{\"pass\":true}}\n"
                 "{\"id\":\"x\",\"score\":{\"pass\":false}}\n"
                 "{\"id\":\"x\\u0000z\",\"score\":{\"pass\":false}}\n",
                 NULL);
    CHECK(n == 0 && run.n == 3, "ids that differ after a NUL byte are different cases");
    size_t len;
    const char *id = ev_run_id(&run, 0, &len);
    CHECK(len == 3 && memcmp(id, "x\0y", 3) == 0, "an id with a NUL byte comes back whole");
    CHECK(ev_run_find(&run, "x\0z", 3) == 2, "and is found whole");
    ev_run_free(&run);
}

static const char *
label_of(const ev_run *run, uint32_t label, char *buf, size_t n)
{
    jv s = ev_run_label(run, label);
    snprintf(buf, n, "%s", jv_string_value(s));
    jv_free(s);
    return buf;
}

static void
test_groups(void)
{
    const char *text =
        "{\"id\":\"a\",\"tags\":[\"geo\",\"hard\"],\"m\":{\"src\":\"web\"},"
        "\"score\":{\"pass\":true}}\n"
        "{\"id\":\"b\",\"m\":{\"src\":null},\"score\":{\"pass\":true}}\n"
        "{\"id\":\"c\",\"tags\":\"geo\",\"m\":{\"src\":3},\"score\":{\"pass\":true}}\n"
        "{\"id\":\"a\",\"call\":{\"sample\":1},\"tags\":[\"other\"],"
        "\"score\":{\"pass\":true}}\n";
    ev_run run;
    char b1[32], b2[32];
    ev_run_opts by_tag = {"tag", "m.src"};
    CHECK(load(&run, text, &by_tag) == 0, "a run loads with --by tag and --cluster");
    size_t n;
    const uint32_t *g = ev_run_case_groups(&run, &run.cases[0], &n);
    CHECK(n == 2 && strcmp(label_of(&run, g[0], b1, sizeof(b1)), "geo") == 0 &&
              strcmp(label_of(&run, g[1], b2, sizeof(b2)), "hard") == 0,
          "a case is in each of its tags, from its first sample");
    g = ev_run_case_groups(&run, &run.cases[1], &n);
    CHECK(n == 1 && strcmp(label_of(&run, g[0], b1, sizeof(b1)), "(untagged)") == 0,
          "a case without tags is in '(untagged)'");
    g = ev_run_case_groups(&run, &run.cases[2], &n);
    CHECK(n == 1 && g[0] == ev_run_case_groups(&run, &run.cases[0], &n)[0],
          "a lone tag is a tag, with the same label as in other cases");
    CHECK_STR(label_of(&run, run.cases[0].cluster, b1, sizeof(b1)), "web",
              "a case's cluster is the value of the field");
    CHECK_STR(label_of(&run, run.cases[1].cluster, b1, sizeof(b1)), "(none)",
              "a null cluster is '(none)'");
    CHECK_STR(label_of(&run, run.cases[2].cluster, b1, sizeof(b1)), "3",
              "a cluster that is not a string is its JSON text");
    ev_run_free(&run);

    ev_run_opts by_field = {"m.src", NULL};
    load(&run, text, &by_field);
    g = ev_run_case_groups(&run, &run.cases[1], &n);
    CHECK(n == 1 && strcmp(label_of(&run, g[0], b1, sizeof(b1)), "(none)") == 0,
          "--by a field puts a case without it in '(none)'");
    CHECK(run.cases[0].cluster == EV_INTERN_NONE, "without --cluster a case has no cluster");
    ev_run_free(&run);

    load(&run, text, NULL);
    ev_run_case_groups(&run, &run.cases[0], &n);
    CHECK(n == 0, "without --by a case has no groups");
    ev_run_free(&run);
}

static void
test_field_path(void)
{
    jv rec = jv_parse("{\"a\":{\"b\":[10,{\"c\":\"x\"}]},\"n\":null}");
    jv v = ev_json_path(rec, "a.b.0");
    CHECK(jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == 10, "a step of digits indexes");
    jv_free(v);
    v = ev_json_path(rec, "a.b.1.c");
    CHECK(jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), "x") == 0,
          "steps go through arrays and objects");
    jv_free(v);
    v = ev_json_path(rec, "a.z");
    CHECK(!jv_is_valid(v), "a missing step is invalid");
    jv_free(v);
    v = ev_json_path(rec, "n.x");
    CHECK(!jv_is_valid(v), "a step into null is invalid");
    jv_free(v);
    jv_free(rec);
}

int
main(void)
{
    test_cases();
    test_samples();
    test_bad_records();
    test_ids();
    test_groups();
    test_field_path();
    UNIT_DONE();
}
