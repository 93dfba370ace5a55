/* Unit tests of lib/compare: the paired figures, pairing by id and group,
 * and the verdict rule of STATS.md §6. */
#include "alloc.h"
#include "compare.h"
#include "json.h"
#include "stats.h"
#include "unit.h"

/* A growing text. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void
add(text *t, const char *line)
{
    size_t n = strlen(line);
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        t->s = ev_alloc_resize(t->s, t->cap);
    }
    memcpy(t->s + t->len, line, n + 1);
    t->len += n;
}

static void
no_problem(jv msg, void *ctx)
{
    (void)ctx;
    jv s = jv_get_kind(msg) == JV_KIND_INVALID ? jv_invalid_get_msg(msg) : msg;
    printf("# unexpected problem: %s\n", jv_string_value(s));
    abort();
}

static void
load_text(ev_run *run, const char *name, const char *s, const char *by)
{
    char path[64];
    unit_file(path, name, s);
    ev_run_opts o = {by, NULL};
    if (ev_run_load(run, path, &o, no_problem, NULL) != 0)
        abort();
    unit_file_remove(path);
}

/* pair loads a baseline and a candidate holding a paired 2x2 table: 'a'
 * cases both pass, 'b' only the candidate, 'c' only the baseline, 'd' both
 * fail. Even cases are tagged "even", odd ones "odd". */
static void
pair(ev_run *base, ev_run *cand, int a, int b, int c, int d)
{
    text bt = {0}, ct = {0};
    int cells[4][3] = {{a, 1, 1}, {b, 0, 1}, {c, 1, 0}, {d, 0, 0}};
    int i = 0;
    for (int k = 0; k < 4; k++) {
        for (int j = 0; j < cells[k][0]; j++, i++) {
            char line[160];
            const char *tag = i % 2 ? "odd" : "even";
            snprintf(line, sizeof(line),
                     "{\"id\":\"c%d\",\"tags\":[\"%s\"],\"score\":{\"pass\":%s}}\n", i, tag,
                     cells[k][1] ? "true" : "false");
            add(&bt, line);
            snprintf(line, sizeof(line),
                     "{\"id\":\"c%d\",\"tags\":[\"%s\"],\"score\":{\"pass\":%s}}\n", i, tag,
                     cells[k][2] ? "true" : "false");
            add(&ct, line);
        }
    }
    load_text(base, "base.jsonl", bt.s ? bt.s : "", "tag");
    load_text(cand, "cand.jsonl", ct.s ? ct.s : "", "tag");
    free(bt.s);
    free(ct.s);
}

static ev_compare_opts
goal(enum ev_compare_goal g, double margin)
{
    ev_compare_opts o = {.level = 0.95,
                         .goal = g,
                         .margin = margin,
                         .seed = 1,
                         .bootstrap = 1000,
                         .max_ids = -1,
                         .by = true};
    return o;
}

static double
num(jv r, const char *path)
{
    jv v = ev_json_path(r, path);
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    return x;
}

/* str returns the string at 'path' of 'r', or "(none)", in 'buf'. */
static const char *
str(jv r, const char *path, char *buf, size_t n)
{
    jv v = ev_json_path(r, path);
    jv t = jv_get_kind(v) == JV_KIND_INVALID ? jv_string("(none)") : jv_dump_string(v, 0);
    snprintf(buf, n, "%s", jv_string_value(t));
    jv_free(t);
    return buf;
}

/* verdict_of compares the table (a, b, c, d) under goal 'g' and returns the
 * report. */
static jv
verdict_of(int a, int b, int c, int d, enum ev_compare_goal g, double margin)
{
    ev_run base, cand;
    pair(&base, &cand, a, b, c, d);
    ev_compare_opts o = goal(g, margin);
    jv r = ev_compare_pair(&base, &cand, &o);
    ev_run_free(&base);
    ev_run_free(&cand);
    return r;
}

static void
test_paired(void)
{
    char buf[128];
    jv r = verdict_of(45, 5, 15, 35, EV_COMPARE_GOAL_NONE, 0);
    CHECK_STR(str(r, "table", buf, sizeof(buf)),
              "{\"both_pass\":45,\"only_candidate\":5,\"only_baseline\":15,\"both_fail\":35}",
              "the paired table counts the four cells");
    CHECK_NEAR(num(r, "delta"), -0.1, 1e-9,
               "the difference is the candidate's minus the baseline's");
    CHECK_NEAR(num(r, "delta_ci.0"), -0.192397, 1e-6, "Tango's interval, STATS.md 4.5: lower");
    CHECK_NEAR(num(r, "delta_ci.1"), -0.013447, 1e-6, "Tango's interval, STATS.md 4.5: upper");
    CHECK_NEAR(num(r, "mcnemar_p"), 0.041389, 1e-6, "McNemar's exact p, STATS.md 4.5");
    CHECK(num(r, "regressed_count") == 15 && num(r, "fixed_count") == 5,
          "regressed and fixed cases are counted");
    CHECK_STR(str(r, "fixed", buf, sizeof(buf)), "[\"c45\",\"c46\",\"c47\",\"c48\",\"c49\"]",
              "the fixed cases are listed by id, in the candidate's order");
    CHECK_STR(str(r, "verdict", buf, sizeof(buf)), "(none)", "without a goal there is no verdict");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "(none)", "and no 'met'");
    CHECK_STR(str(r, "groups.even.table", buf, sizeof(buf)),
              "{\"both_pass\":23,\"only_candidate\":2,\"only_baseline\":8,\"both_fail\":17}",
              "each group is paired within itself");
    jv_free(r);
}

static void
test_verdicts(void)
{
    char buf[128];
    jv r = verdict_of(40, 12, 4, 44, EV_COMPARE_GOAL_SURPASS, 0);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"surpasses\"",
              "an interval above zero surpasses");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "true", "and meets the surpass goal");
    jv_free(r);

    r = verdict_of(40, 12, 4, 44, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"surpasses\"",
              "a candidate that surpasses also meets the match goal");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "true", "so the match goal is met");
    jv_free(r);

    r = verdict_of(590, 40, 45, 325, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"matches\"",
              "an interval above minus the margin, not above zero, matches");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "true", "and meets the match goal");
    jv_free(r);

    r = verdict_of(590, 40, 45, 325, EV_COMPARE_GOAL_SURPASS, 0);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"inconclusive\"",
              "the same interval, across zero, is inconclusive for surpass");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "and inconclusive is not met");
    CHECK(isnan(num(r, "verdict.cases_needed")) &&
              strstr(str(r, "verdict.note", buf, sizeof(buf)), "not ahead") != NULL,
          "a candidate behind can never be shown to surpass: no number of cases");
    jv_free(r);

    r = verdict_of(50, 8, 10, 32, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"inconclusive\"",
              "an interval across minus the margin is inconclusive");
    CHECK(num(r, "verdict.cases_needed") == 566,
          "and says how many cases would decide (STATS.md 5.3: 565.12, rounded up)");
    jv_free(r);

    r = verdict_of(30, 2, 30, 38, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"worse\"",
              "an interval below minus the margin is worse");
    CHECK_STR(str(r, "verdict.beyond_margin", buf, sizeof(buf)), "true", "beyond the margin");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "and fails the match goal");
    jv_free(r);

    /* 400 cases, 10 only the candidate, 24 only the baseline: delta -0.035,
     * an interval wholly below zero that reaches below -0.05. */
    r = verdict_of(300, 10, 24, 66, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK(num(r, "delta_ci.1") < 0 && num(r, "delta_ci.0") < -0.05,
          "the interval lies below zero and reaches past the margin");
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"worse\"",
              "an interval below zero is worse");
    CHECK_STR(str(r, "verdict.beyond_margin", buf, sizeof(buf)), "false",
              "but not beyond the margin when it reaches above it");
    jv_free(r);

    r = verdict_of(30, 2, 30, 38, EV_COMPARE_GOAL_SURPASS, 0);
    CHECK_STR(str(r, "verdict.beyond_margin", buf, sizeof(buf)), "(none)",
              "the surpass goal has no margin to be beyond");
    jv_free(r);
}

static void
test_min_accuracy(void)
{
    char buf[64];
    ev_run base, cand;
    pair(&base, &cand, 45, 5, 15, 35); /* the candidate: 50 of 100 */
    ev_compare_opts o = goal(EV_COMPARE_GOAL_NONE, 0);
    o.has_min = true;
    o.min_accuracy = 0.3;
    jv r = ev_compare_pair(&base, &cand, &o);
    CHECK_STR(str(r, "min_accuracy_goal.result", buf, sizeof(buf)), "\"meets\"",
              "an accuracy interval wholly above the minimum meets it");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "true", "and the goal is met");
    jv_free(r);
    o.min_accuracy = 0.5;
    r = ev_compare_pair(&base, &cand, &o);
    CHECK_STR(str(r, "min_accuracy_goal.result", buf, sizeof(buf)), "\"inconclusive\"",
              "an interval across the minimum is inconclusive");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "which is not met");
    jv_free(r);
    o.min_accuracy = 0.7;
    o.goal = EV_COMPARE_GOAL_MATCH;
    o.margin = 0.5;
    r = ev_compare_pair(&base, &cand, &o);
    CHECK_STR(str(r, "verdict.met", buf, sizeof(buf)), "true", "the match goal alone is met");
    CHECK_STR(str(r, "min_accuracy_goal.result", buf, sizeof(buf)), "\"below\"",
              "an interval wholly below the minimum is below");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "every goal must be met");
    jv_free(r);
    ev_run_free(&base);
    ev_run_free(&cand);
}

static void
test_pairing(void)
{
    char buf[64];
    ev_run base, cand;
    load_text(&base, "base.jsonl",
              "{\"id\":\"a\",\"tags\":\"x\",\"score\":{\"pass\":true}}\n"
              "{\"id\":\"b\",\"tags\":\"x\",\"score\":{\"pass\":true}}\n"
              "{\"id\":\"c\",\"tags\":\"y\",\"score\":{\"pass\":false}}\n"
              "{\"id\":\"d\",\"tags\":\"y\",\"score\":{\"pass\":false}}\n",
              "tag");
    load_text(&cand, "cand.jsonl",
              "{\"id\":\"b\",\"tags\":\"y\",\"score\":{\"pass\":false}}\n"
              "{\"id\":\"c\",\"tags\":\"y\",\"score\":{\"pass\":true}}\n"
              "{\"id\":\"e\",\"tags\":\"z\",\"score\":{\"pass\":true}}\n",
              "tag");
    ev_compare_opts o = goal(EV_COMPARE_GOAL_NONE, 0);
    o.max_ids = 0;
    jv r = ev_compare_pair(&base, &cand, &o);
    CHECK(num(r, "paired_cases") == 2 && num(r, "only_in_baseline") == 2 &&
              num(r, "only_in_candidate") == 1,
          "cases are paired by id, and the rest counted on each side");
    CHECK(num(r, "regressed_count") == 1 && num(r, "fixed_count") == 1,
          "a regression and a fix among the paired cases");
    CHECK_STR(str(r, "regressed", buf, sizeof(buf)), "[]", "--max-ids 0 lists none of them");
    CHECK(num(r, "groups.y.paired_cases") == 1,
          "a group pairs only cases in it on both sides: 'b' left 'x' for 'y'");
    CHECK(num(r, "groups.z.paired_cases") == 0, "a group the baseline does not have pairs nothing");
    jv_free(r);
    ev_run_free(&base);
    ev_run_free(&cand);
}

static void
test_no_evidence(void)
{
    char buf[160];
    jv r = verdict_of(0, 0, 0, 0, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK(num(r, "paired_cases") == 0, "no case is paired");
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"no evidence\"",
              "no paired case: no verdict");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "and the goal is not met");
    CHECK_STR(str(r, "delta_ci", buf, sizeof(buf)), "(none)", "no interval is made up");
    jv_free(r);
    r = verdict_of(0, 0, 0, 0, EV_COMPARE_GOAL_NONE, 0);
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "without a goal 'met' is false too");
    CHECK(strstr(str(r, "no_evidence", buf, sizeof(buf)), "nothing to compare") != NULL,
          "and 'no_evidence' says why");
    jv_free(r);

    ev_run runs[2];
    pair(&runs[0], &runs[1], 0, 0, 0, 0);
    ev_compare_opts o = goal(EV_COMPARE_GOAL_NONE, 0);
    r = ev_compare_runs(runs, 2, &o);
    CHECK_STR(str(r, "no_evidence", buf, sizeof(buf)), "true",
              "the whole report says a comparison had no evidence");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "false", "and is not met");
    jv_free(r);
    o.has_min = true;
    o.min_accuracy = 0.5;
    r = ev_compare_runs(runs, 1, &o);
    CHECK_STR(str(r, "runs.0.goal.result", buf, sizeof(buf)), "\"no evidence\"",
              "--min-accuracy on a run of no case has no verdict");
    CHECK_STR(str(r, "no_evidence", buf, sizeof(buf)), "true", "and the report says so");
    jv_free(r);
    ev_run_free(&runs[0]);
    ev_run_free(&runs[1]);

    pair(&runs[0], &runs[1], 45, 5, 15, 35);
    o.has_min = false;
    r = ev_compare_runs(runs, 2, &o);
    CHECK_STR(str(r, "no_evidence", buf, sizeof(buf)), "(none)", "paired cases are evidence");
    CHECK_STR(str(r, "met", buf, sizeof(buf)), "(none)", "and without a goal there is no 'met'");
    jv_free(r);
    ev_run_free(&runs[0]);
    ev_run_free(&runs[1]);
}

/* The verdict rule as ev-compare(1) states it: an interval wholly inside
 * (-margin, 0) matches; for surpass (no margin) it is worse. */
static void
test_inside_margin(void)
{
    char buf[64];
    jv r = verdict_of(9000, 0, 100, 900, EV_COMPARE_GOAL_MATCH, 0.05);
    CHECK(num(r, "delta_ci.0") > -0.05 && num(r, "delta_ci.1") < 0,
          "10000 cases, 100 only the baseline: an interval inside (-0.05, 0)");
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"matches\"", "matches");
    jv_free(r);
    r = verdict_of(9000, 0, 100, 900, EV_COMPARE_GOAL_SURPASS, 0);
    CHECK_STR(str(r, "verdict.result", buf, sizeof(buf)), "\"worse\"", "and is worse for surpass");
    jv_free(r);
}

/* samples loads 'n' cases of 'k' samples each, 'pass' of them passing,
 * with ids id0, id1... */
static void
samples(ev_run *run, const char *name, int n, int k, int pass)
{
    text t = {0};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            char line[128];
            snprintf(line, sizeof(line),
                     "{\"id\":\"id%d\",\"call\":{\"sample\":%d},\"score\":{\"pass\":%s}}\n", i, j,
                     j < pass ? "true" : "false");
            add(&t, line);
        }
    load_text(run, name, t.s, NULL);
    free(t.s);
}

/* Reference values: tests/reference/compare_floor.py. */
static void
test_floor(void)
{
    char buf[256];
    ev_run b, c;
    samples(&b, "b.jsonl", 40, 3, 3);
    ev_compare_opts o = goal(EV_COMPARE_GOAL_NONE, 0);
    o.by = false;
    jv r = ev_compare_run(&b, &o);
    CHECK_NEAR(num(r, "accuracy_ci.0"), 0.912378399, 1e-6,
               "40 cases of 3 passing samples: Wilson's 40 of 40, not [1, 1]");
    CHECK_NEAR(num(r, "accuracy_ci.1"), 1, 1e-9, "up to 1");
    jv_free(r);
    ev_run_free(&b);

    samples(&b, "b.jsonl", 30, 4, 2);
    samples(&c, "c.jsonl", 30, 4, 3);
    r = ev_compare_pair(&b, &c, &o);
    CHECK_NEAR(num(r, "delta"), 0.25, 1e-9, "3/4 against 2/4: a difference of 0.25");
    CHECK_NEAR(num(r, "delta_ci.0"), -0.003234090, 1e-6,
               "the interval is Tango's of the expected table (11.25, 3.75): lower");
    CHECK_NEAR(num(r, "delta_ci.1"), 0.471853757, 1e-6, "upper");
    CHECK_STR(str(r, "table", buf, sizeof(buf)),
              "{\"both_pass\":0,\"only_candidate\":30,\"only_baseline\":0,\"both_fail\":0,"
              "\"rule\":\"a case passes when more than half of its samples pass; a tie does "
              "not\"}",
              "2 of 4 is a tie, and a tie is not a pass");
    CHECK_NEAR(num(r, "mde"), ev_stats_mde_paired(0.5, 30, 0.05, 0.8), 1e-9,
               "the MDE is never below the one-sample MDE (psi = 15/30)");
    jv_free(r);
    ev_run_free(&b);
    ev_run_free(&c);
}

int
main(void)
{
    test_no_evidence();
    test_inside_margin();
    test_floor();
    test_paired();
    test_verdicts();
    test_min_accuracy();
    test_pairing();
    UNIT_DONE();
}
