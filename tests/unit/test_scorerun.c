/* Unit tests of lib/scorerun: a run of ev-score without a judge, its
 * warnings, and the option checks it makes. */
#include "scorerun.h"
#include "ev.h"
#include "text.h"
#include "unit.h"

static char warned[4096];

static void
warn(void *ctx, const char *message)
{
    int *n = ctx;
    (*n)++;
    size_t used = strlen(warned);
    snprintf(warned + used, sizeof(warned) - used, "%s\n", message);
}

/* refused says what ev_scorerun_new says of 'o', or "(accepted)". */
static const char *
refused(const ev_scorerun_opts *o, char *buf, size_t n)
{
    jv err = jv_invalid();
    ev_scorerun *r = ev_scorerun_new(o, &err);
    if (r != NULL) {
        ev_scorerun_free(r);
        snprintf(buf, n, "(accepted)");
        return buf;
    }
    jv m = jv_invalid_get_msg(err);
    snprintf(buf, n, "%s", jv_string_value(m));
    jv_free(m);
    return buf;
}

static void
test_options(void)
{
    char buf[256];
    ev_scorerun_opts o = {.judge.samples = 1};
    o.judge.rubric = "fact";
    o.judge.tmpl = "/dev/null";
    CHECK_STR(refused(&o, buf, sizeof(buf)), "--judge and --judge-template exclude each other",
              "--judge and --judge-template");
    o.judge.tmpl = NULL;
    CHECK_STR(refused(&o, buf, sizeof(buf)), "a judge needs --judge-model",
              "a judge with no model");
    o.judge.model = "m";
    CHECK_STR(refused(&o, buf, sizeof(buf)), "(accepted)", "a judge with a model");
    o.spec = "exact";
    CHECK_STR(refused(&o, buf, sizeof(buf)), "--scorer and a default judge exclude each other",
              "--scorer and --judge");
    o.judge.rubric = "nope";
    o.spec = NULL;
    CHECK(strncmp(refused(&o, buf, sizeof(buf)), "bad judge: ", 11) == 0, "a bad rubric");
    o.judge.rubric = NULL;
    o.judge.labels = "A=1";
    CHECK_STR(refused(&o, buf, sizeof(buf)), "--judge-labels needs --judge-template",
              "labels with no template");
    o.judge.labels = NULL;
    o.spec = "nope";
    CHECK(strncmp(refused(&o, buf, sizeof(buf)),
                  "bad scorer 'nope': unknown scorer type 'nope': ", 46) == 0,
          "a bad scorer names itself");
}

/* score_text runs ev-score over a file holding 'text', writing to 'out',
 * and returns the status; '*n' counts the warnings, kept in 'warned'. */
static int
score_text(const char *text, FILE *out, int *n, ev_scorerun_stats *st)
{
    char in[64];
    unit_file(in, "in.jsonl", text);
    *n = 0;
    warned[0] = '\0';
    ev_scorerun_opts o = {.judge.samples = 1, .out = out, .warn = warn, .ctx = n};
    jv err;
    ev_scorerun *r = ev_scorerun_new(&o, &err);
    char *paths[] = {in};
    int status = ev_scorerun_run(r, paths, 1, st);
    ev_scorerun_free(r);
    unit_file_remove(in);
    return status;
}

static void
test_run(void)
{
    FILE *out = tmpfile();
    int n;
    ev_scorerun_stats st;
    int status = score_text(
        "{\"id\":\"a\",\"output\":\"x\",\"expected\":\"x\"}\n"
        "not json\n"
        "{\"id\":\"b\",\"output\":\"y\",\"expected\":\"x\"}\n"
        "{\"id\":\"c\",\"output\":\"y\"}\n"
        "{\"id\":\"d\",\"output\":\"x\",\"expected\":\"x\",\"score\":{\"pass\":false}}\n",
        out, &n, &st);
    CHECK(status == EV_EXIT_TROUBLE, "a bad line and a record with no answer make the status 2");
    CHECK(n == 2, "each is warned of once");
    CHECK(strstr(warned, "in.jsonl:2: cannot parse record") != NULL,
          "the bad line by its position");
    CHECK(strstr(warned, "in.jsonl:4: cannot score record: no 'expected'") != NULL,
          "the record that cannot be scored by its position");
    CHECK(st.scored == 3 && st.passed == 2, "the scored records and passes are counted");
    rewind(out);
    char line[512], ids[16] = "";
    while (fgets(line, sizeof(line), out) != NULL) {
        jv rec = jv_parse(line);
        jv id = jv_object_get(jv_copy(rec), jv_string("id"));
        strncat(ids, jv_string_value(id), 1);
        jv_free(id);
        jv_free(rec);
    }
    CHECK_STR(ids, "abd", "records come out in input order, the unscorable one left out");
    rewind(out);
    if (fgets(line, sizeof(line), out) == NULL)
        line[0] = '\0';
    CHECK_STR(
        line,
        "{\"id\":\"a\",\"output\":\"x\",\"expected\":\"x\",\"score\":{\"pass\":true,\"value\":1,"
        "\"scorer\":\"exact\",\"reason\":\"exact match\"}}\n",
        "a record passes through byte for byte with its score appended");
    fclose(out);
}

static void
test_no_answers(void)
{
    FILE *out = tmpfile();
    int n;
    ev_scorerun_stats st;
    int status = score_text(
        "{\"id\":\"a\",\"expected\":\"x\"}\n{\"id\":\"b\",\"expected\":\"y\"}\n", out, &n, &st);
    CHECK(status == EV_EXIT_OK, "records with no output are no bad lines: status 0");
    CHECK(st.scored == 2 && st.unanswered == 2, "they are scored, and counted as unanswered");
    CHECK_STR(warned,
              "no record has an 'output' to score: ev-call comes first, as in 'ev-call -m MODEL "
              "cases.jsonl | ev-score'\n",
              "the run says once that ev-call comes first");
    fclose(out);
}

int
main(void)
{
    ev_text_locale();
    test_options();
    test_run();
    test_no_answers();
    UNIT_DONE();
}
