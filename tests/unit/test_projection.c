/* lib/projection: reading points, the report as JSON and as a table. */
#include <stdlib.h>

#include "json.h"
#include "projection.h"
#include "unit.h"

/* The problems and warnings a projection reported. */
typedef struct said {
    jv problems, warnings;
} said;

static void
problem(jv msg, void *ctx)
{
    said *s = ctx;
    s->problems = jv_array_append(s->problems, msg);
}

static void
warn(jv msg, void *ctx)
{
    said *s = ctx;
    s->warnings = jv_array_append(s->warnings, msg);
}

static ev_projection_opts
opts(said *s, double target)
{
    s->problems = jv_array();
    s->warnings = jv_array();
    return (ev_projection_opts){target, NULL, EV_CURVE_LOGLINEAR, 1, 200, problem, warn, s};
}

static void
said_free(said *s)
{
    jv_free(s->problems);
    jv_free(s->warnings);
}

/* message returns problem 'i' as text, or "". */
static const char *
message(jv problems, int i, char *buf, size_t n)
{
    jv m = jv_array_get(jv_copy(problems), i);
    snprintf(buf, n, "%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "");
    jv_free(m);
    return buf;
}

static void
test_points(void)
{
    char path[64], want[256], got[256];
    unit_file(path, "pts.jsonl",
              "{\"n\":200,\"k\":112,\"N\":200}\n{\"n\":0,\"k\":1,\"N\":200}\n"
              "{\"n\":50,\"accuracy\":0.46,\"N\":200}\n{\"n\":100,\"k\":104,\"N\":200}\n"
              "{\"n\":25,\"k\":78,\"N\":200}\n{\"n\":30,\"N\":200}\n");
    said s;
    ev_projection_opts o = opts(&s, 0.60);
    ev_projection pj;
    ev_projection_init(&pj, &o);
    char *paths[] = {path};
    jv err = ev_projection_read_points(&pj, paths, 1);
    CHECK(jv_get_kind(err) == JV_KIND_NULL, "points are read");
    jv_free(err);
    CHECK(pj.np == 4, "four good points");
    CHECK(jv_array_length(jv_copy(s.problems)) == 2, "two bad ones, each reported");
    snprintf(want, sizeof(want),
             "%s:2: 'n', the number of training examples, must be a number "
             "from 1 to 1e12",
             path);
    CHECK_STR(message(s.problems, 0, got, sizeof(got)), want, "a bad n, as file:line");
    snprintf(want, sizeof(want), "%s:6: a point needs 'k' (cases right) or 'accuracy'", path);
    CHECK_STR(message(s.problems, 1, got, sizeof(got)), want, "no k nor accuracy, as file:line");
    CHECK(pj.p[1].k == 92, "an accuracy is turned into k");

    jv rep = ev_projection_report(&pj);
    CHECK(jv_is_valid(rep), "a report");
    CHECK(pj.p[0].n == 25 && pj.p[3].n == 200, "the points are sorted by n");
    CHECK_NEAR(ev_json_number(rep, "fits.0.n_star"), 295.019189, 1e-6, "the loglinear n*");
    CHECK_NEAR(ev_json_number(rep, "fits.1.n_star"), 296.760717, 1e-6, "the logit n*");
    CHECK(ev_json_number(rep, "bootstrap.resamples") == 200, "the resamples asked for");
    CHECK(pj.primary.ok && pj.primary.model == EV_CURVE_LOGLINEAR, "the headline fit is kept");

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ev_projection_table(f, &pj, rep, false);
    fclose(f);
    CHECK(strstr(text, "25             78    200     39.0%  [32.5, 45.9]\n") != NULL,
          "a point's table line");
    CHECK(strstr(text, "target 60.0%: not reached yet\n") != NULL, "the target's line");
    CHECK(strstr(text, "loglinear  n* = 296, 95% range [") != NULL, "the loglinear line");
    CHECK(strstr(text, "bootstrap: 200 resamples, seed 1\n") != NULL, "the bootstrap's line");
    CHECK(strstr(text, "o points") == NULL, "no text chart unless asked");
    free(text);
    jv_free(rep);
    ev_projection_free(&pj);
    said_free(&s);
    unit_file_remove(path);
}

static void
test_nothing(void)
{
    said s;
    ev_projection_opts o = opts(&s, 0.60);
    ev_projection pj;
    ev_projection_init(&pj, &o);
    jv rep = ev_projection_report(&pj);
    CHECK(!jv_is_valid(rep), "no points, no report");
    jv msg = jv_invalid_get_msg(rep);
    CHECK_STR(ev_json_str(msg, ""), "no points to fit", "and it says so");
    jv_free(msg);
    ev_projection_free(&pj);
    said_free(&s);
}

/* Runs without evidence: a point's run is left out and reported, the
 * target run's leaves nothing to project. */
static void
test_no_evidence(void)
{
    char good[64], failed[64], got[256], want[256];
    unit_file(good, "good.jsonl",
              "{\"id\":\"a\",\"score\":{\"pass\":true}}\n"
              "{\"id\":\"b\",\"score\":{\"pass\":false}}\n");
    unit_file(failed, "failed.jsonl",
              "{\"id\":\"a\",\"error\":{\"kind\":\"http\"}}\n"
              "{\"id\":\"b\",\"error\":{\"kind\":\"timeout\"}}\n");
    said s;
    ev_projection_opts o = opts(&s, 0.60);
    ev_projection pj;
    ev_projection_init(&pj, &o);
    double ns[] = {10, 20};
    char *paths[] = {good, failed};
    jv err = ev_projection_read_runs(&pj, ns, paths, 2);
    CHECK(jv_get_kind(err) == JV_KIND_NULL, "a run of failed calls is no error");
    jv_free(err);
    CHECK(pj.np == 1 && pj.p[0].n == 10, "but no point either");
    snprintf(want, sizeof(want), "'%s' has no scored case, only failed calls: left out", failed);
    CHECK_STR(message(s.problems, 0, got, sizeof(got)), want, "and it is reported");
    ev_projection_free(&pj);
    said_free(&s);

    o = opts(&s, NAN);
    o.target_run = failed;
    ev_projection_init(&pj, &o);
    err = ev_projection_read_runs(&pj, ns, paths, 1);
    CHECK(!jv_is_valid(err), "a target run of failed calls is an error");
    snprintf(want, sizeof(want),
             "the target run '%s' has no scored case, only failed calls: nothing to project",
             failed);
    jv msg = jv_invalid_get_msg(err);
    CHECK_STR(ev_json_str(msg, ""), want, "that says why");
    jv_free(msg);
    CHECK(pj.np == 0, "and leaves no points");
    ev_projection_free(&pj);
    said_free(&s);
    unit_file_remove(good);
    unit_file_remove(failed);
}

int
main(void)
{
    test_points();
    test_nothing();
    test_no_evidence();
    UNIT_DONE();
}
