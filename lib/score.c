#include "score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "assertion.h"
#include "coproc.h"
#include "memo.h"
#include "reason.h"
#include "scorer.h"

#define MAX_CMD 16 /* cmd scorers are processes: past this, a record's is refused */

struct ev_score {
    ev_score_opts opts;
    ev_assertion_plan dflt;
    ev_scorer *scorer;
    ev_memo *procs; /* the cmd scorers' processes, by command */
    bool untrusted; /* a record's own 'assert' is being read */
    ev_assertion_env env;
    /* Keys made once, so that scoring a record costs few allocations. */
    jv k_assert, k_error, k_pass, k_reason, k_scorer, k_value;
};

static void
release_proc(void *p)
{
    ev_coproc_close(p);
}

static ev_coproc *
start_cmd(ev_score *s, const char *command, jv *err)
{
    ev_coproc *p = ev_memo_get(s->procs, command);
    if (p != NULL)
        return p;
    if (ev_memo_count(s->procs) == MAX_CMD) {
        *err = jv_invalid_with_msg(
            ev_reason_fmt("too many distinct cmd scorers (at most %d)", MAX_CMD));
        return NULL;
    }
    if ((p = ev_coproc_start(command, s->opts.pass_env, err)) == NULL)
        return NULL;
    ev_memo_put(s->procs, command, p);
    return p;
}

/* bind makes what an assertion needs beyond its text (assertion.h): its
 * regex compiled, its jq program known to compile, its command started. A
 * record's own assertion may run a command only when the user allows it. */
static bool
bind(void *ctx, ev_assertion *a, jv *err)
{
    ev_score *s = ctx;
    switch (a->type->kind) {
    case EV_ASSERTION_REGEX:
        a->re = ev_scorer_pattern(s->scorer, jv_string_value(a->answer), &a->own_re, err);
        return a->re != NULL;
    case EV_ASSERTION_JQ:
        return ev_scorer_check_jq(s->scorer, a, err);
    default:
        break;
    }
    if (s->untrusted && !s->opts.record_commands) {
        char c1[EV_REASON_CLIP_SIZE];
        *err = jv_invalid_with_msg(
            ev_reason_fmt("'%s' would run a command, which a record may do only with "
                          "--allow-record-commands",
                          ev_reason_clip(jv_string_value(a->name), c1)));
        return false;
    }
    a->proc = start_cmd(s, jv_string_value(a->answer), err);
    return a->proc != NULL;
}

static jv
make_score(ev_score *s, bool pass, double value, jv scorer, jv reason)
{
    /* Six decimals are plenty for a score, and spare readers 0.30000000000000004. */
    value = round(value * 1e6) / 1e6;
    jv r = jv_object();
    r = jv_object_set(r, jv_copy(s->k_pass), jv_bool(pass));
    r = jv_object_set(r, jv_copy(s->k_value), jv_number(value));
    r = jv_object_set(r, jv_copy(s->k_scorer), scorer);
    return jv_object_set(r, jv_copy(s->k_reason), reason);
}

static bool
call_failed(ev_score *s, jv rec)
{
    jv e = jv_object_get(jv_copy(rec), jv_copy(s->k_error));
    jv_kind k = jv_get_kind(e);
    jv_free(e);
    return k != JV_KIND_INVALID && k != JV_KIND_NULL && k != JV_KIND_FALSE;
}

/* with_judge adds 'label' and 'judge' (consumed) to the score 'out'. */
static jv
with_judge(jv out, jv label, jv judge)
{
    if (jv_is_valid(out) && jv_is_valid(judge)) {
        out = jv_object_set(out, jv_string("label"), label);
        return jv_object_set(out, jv_string("judge"), judge);
    }
    jv_free(label);
    jv_free(judge);
    return out;
}

/* run_plan scores 'rec' (borrowed) with 'p', and sets '*warning' when the
 * record failed for a reason the user must hear of. */
static jv
run_plan(ev_score *s, const ev_assertion_plan *p, jv rec, jv judged, jv *warning)
{
    if (call_failed(s, rec)) {
        jv_free(judged);
        return make_score(s, false, 0, jv_copy(p->name), jv_string("call failed"));
    }
    ev_scorer_case c;
    ev_scorer_case_init(&c, s->scorer, rec, judged);
    ev_scorer_verdict v = {0};
    jv err = jv_invalid(), label = jv_invalid(), judge = jv_invalid();
    if (p->n == 1) {
        jv out = ev_scorer_run(&p->items[0], &c, &v, &err)
                     ? make_score(s, v.pass, v.value, jv_copy(p->name), v.reason)
                     : err;
        if (jv_is_valid(out) && v.unparsed)
            out = jv_object_set(out, jv_string("parsed"), jv_false());
        *warning = c.warning;
        c.warning = jv_invalid();
        ev_scorer_case_free(&c);
        return with_judge(out, v.label, v.judge);
    }
    bool all = true, reads = false, unparsed = false;
    for (int i = 0; i < p->n; i++)
        reads = reads || ev_scorer_reads_output(&p->items[i]);
    if (reads && !jv_is_valid(c.out)) {
        ev_scorer_case_free(&c);
        return make_score(s, false, 0, jv_copy(p->name), jv_string("no output"));
    }
    /* Weights are taken relative to the largest, so that two of 1e308 do
     * not sum to infinity and make the mean NaN. */
    double wmax = 0, wsum = 0, vsum = 0;
    for (int i = 0; i < p->n; i++)
        wmax = fmax(wmax, p->items[i].weight);
    jv failed = jv_string("");
    for (int i = 0; i < p->n; i++) {
        const ev_assertion *a = &p->items[i];
        if (!ev_scorer_run(a, &c, &v, &err)) {
            jv_free(failed);
            jv_free(label);
            jv_free(judge);
            ev_scorer_case_free(&c);
            return err;
        }
        ev_scorer_merge_judge(&v, &label, &judge);
        double w = wmax > 0 ? a->weight / wmax : 0;
        wsum += w;
        vsum += w * v.value;
        if (!v.pass) {
            unparsed = unparsed || v.unparsed;
            if (!all)
                failed = jv_string_append_str(failed, "; ");
            failed = jv_string_concat(failed, jv_copy(a->name));
            failed = jv_string_append_str(failed, ": ");
            failed = jv_string_concat(failed, v.reason);
            all = false;
        } else {
            jv_free(v.reason);
        }
        if (jv_is_valid(c.warning))
            break; /* over budget: the record fails, and the rest is not run */
    }
    bool over = jv_is_valid(c.warning);
    *warning = c.warning;
    c.warning = jv_invalid();
    ev_scorer_case_free(&c);
    if (all) {
        jv_free(failed);
        failed = jv_string_fmt("all %d assertions passed", p->n);
    }
    double value = over ? 0 : wsum > 0 ? vsum / wsum : all;
    jv out = make_score(s, all, value, jv_copy(p->name), failed);
    if (unparsed)
        out = jv_object_set(out, jv_string("parsed"), jv_false());
    return with_judge(out, label, judge);
}

/* plan_prompts returns the judge prompts of 'p' for 'rec' (borrowed): none
 * when the record fails before any judge is asked. */
static jv
plan_prompts(ev_score *s, const ev_assertion_plan *p, jv rec)
{
    jv out = jv_array();
    bool judged = false;
    for (int i = 0; i < p->n; i++)
        judged = judged || p->items[i].type->kind == EV_ASSERTION_JUDGE;
    if (!judged || call_failed(s, rec))
        return out;
    ev_scorer_case c;
    ev_scorer_case_init(&c, s->scorer, rec, jv_invalid());
    for (int i = 0; i < p->n && jv_is_valid(c.out) && jv_is_valid(out); i++) {
        if (p->items[i].type->kind != EV_ASSERTION_JUDGE)
            continue;
        jv one = ev_scorer_prompt(&p->items[i], &c);
        if (jv_is_valid(one)) {
            out = jv_array_append(out, one);
        } else {
            jv_free(out);
            out = one;
        }
    }
    ev_scorer_case_free(&c);
    return out;
}

/* --- the API ------------------------------------------------------------- */

ev_score *
ev_score_new(jv spec, const ev_score_opts *opts, jv *err)
{
    ev_score *s = ev_alloc_zero(1, sizeof(*s));
    s->opts = *opts;
    if (s->opts.budget.cpu_seconds <= 0)
        s->opts.budget.cpu_seconds = EV_SCORE_CPU_BUDGET;
    if (s->opts.budget.memory_mb <= 0)
        s->opts.budget.memory_mb = EV_SCORE_MEMORY_BUDGET;
    s->scorer = ev_scorer_new(s->opts.norm, s->opts.judge_mean, s->opts.budget);
    s->procs = ev_memo_new(MAX_CMD, release_proc);
    s->env = (ev_assertion_env){.rubric = s->opts.judge, .bind = bind, .ctx = s};
    s->dflt.name = jv_invalid();
    s->k_assert = jv_string("assert");
    s->k_error = jv_string("error");
    s->k_pass = jv_string("pass");
    s->k_reason = jv_string("reason");
    s->k_scorer = jv_string("scorer");
    s->k_value = jv_string("value");
    if (!ev_assertion_parse(spec, &s->env, &s->dflt, err)) {
        ev_score_free(s);
        return NULL;
    }
    return s;
}

/* with_plan runs 'fn' on the plan that scores 'rec' (borrowed): its own
 * 'assert' read for it, else the default. */
static jv
with_plan(ev_score *s, jv rec, jv judged, jv *warning,
          jv (*fn)(ev_score *, const ev_assertion_plan *, jv, jv, jv *))
{
    *warning = jv_invalid();
    jv a = jv_object_get(jv_copy(rec), jv_copy(s->k_assert));
    if (!jv_is_valid(a) || jv_get_kind(a) == JV_KIND_NULL) {
        jv_free(a);
        return fn(s, &s->dflt, rec, judged, warning);
    }
    ev_assertion_plan p;
    jv err;
    s->untrusted = true;
    bool ok = ev_assertion_parse(a, &s->env, &p, &err);
    s->untrusted = false;
    if (!ok) {
        jv_free(judged);
        jv m = jv_invalid_get_msg(err);
        jv out = jv_invalid_with_msg(jv_string_fmt("bad 'assert': %s", jv_string_value(m)));
        jv_free(m);
        return out;
    }
    jv out = fn(s, &p, rec, judged, warning);
    ev_assertion_plan_free(&p);
    return out;
}

static jv
prompts_fn(ev_score *s, const ev_assertion_plan *p, jv rec, jv unused, jv *warning)
{
    (void)warning;
    jv_free(unused);
    return plan_prompts(s, p, rec);
}

jv
ev_score_run(ev_score *s, jv rec, jv *warning)
{
    return with_plan(s, rec, jv_invalid(), warning, run_plan);
}

jv
ev_score_prompts(ev_score *s, jv rec)
{
    jv warning;
    return with_plan(s, rec, jv_invalid(), &warning, prompts_fn);
}

jv
ev_score_run_judged(ev_score *s, jv rec, jv judged, jv *warning)
{
    return with_plan(s, rec, judged, warning, run_plan);
}

jv
ev_score_finish(ev_score *s)
{
    jv problems = jv_array();
    for (int i = 0; i < ev_memo_count(s->procs); i++) {
        const char *command;
        jv m = ev_coproc_end(ev_memo_at(s->procs, i, &command));
        if (!jv_is_valid(m)) {
            char c1[EV_REASON_CLIP_SIZE];
            jv why = jv_invalid_get_msg(m);
            problems = jv_array_append(problems, ev_reason_fmt("cmd scorer '%s' %s",
                                                               ev_reason_clip(command, c1),
                                                               jv_string_value(why)));
            jv_free(why);
        } else {
            jv_free(m);
        }
    }
    return problems;
}

void
ev_score_free(ev_score *s)
{
    if (s == NULL)
        return;
    ev_assertion_plan_free(&s->dflt);
    ev_memo_free(s->procs);
    ev_scorer_free(s->scorer);
    jv_free(s->k_assert);
    jv_free(s->k_error);
    jv_free(s->k_pass);
    jv_free(s->k_reason);
    jv_free(s->k_scorer);
    jv_free(s->k_value);
    free(s);
}
