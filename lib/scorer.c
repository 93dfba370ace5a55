#include "scorer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "extract.h"
#include "jsondiff.h"
#include "judge.h"
#include "memo.h"
#include "metric.h"
#include "reason.h"
#include "record.h"
#include "scorebox.h"
#include "text.h"

/* Bounds on what is compiled once and kept for the run. Past them a regex is
 * compiled for the one record and thrown away. */
#define MAX_CACHED_REGEX 1024
#define MAX_KNOWN_JQ 1024 /* texts of programs known to compile */

/* Work cheaper than this runs in ev-score itself; dearer work runs in the
 * sandbox, under the record's budget. glibc's regexec takes time that grows
 * with the square of the text's length times the pattern's pieces (a text
 * of 100,000 bytes can take minutes), and 'similar' with the product of
 * the two lengths. Both bounds stand for some 10 ms at worst. */
#define INLINE_REGEX_COST 1e9
#define INLINE_SIMILAR_CELLS 4e6

struct ev_scorer {
    int norm;
    bool judge_mean;
    ev_sandbox_budget budget;
    ev_scorebox *box;
    ev_memo *patterns;
    jv compiled; /* the jq programs known to compile: text -> true */
    /* Keys and texts made once, so that scoring a record costs few allocations. */
    jv k_expected, k_output, k_pass, k_value;
    jv exact_match;
};

ev_scorer *
ev_scorer_new(int norm, bool judge_mean, ev_sandbox_budget budget)
{
    ev_scorer *s = ev_alloc_zero(1, sizeof(*s));
    s->norm = norm;
    s->judge_mean = judge_mean;
    s->budget = budget;
    s->box = ev_scorebox_new(budget);
    s->patterns = ev_memo_new(MAX_CACHED_REGEX, ev_pattern_free);
    s->compiled = jv_object();
    s->k_expected = jv_string("expected");
    s->k_output = jv_string("output");
    s->k_pass = jv_string("pass");
    s->k_value = jv_string("value");
    s->exact_match = jv_string("exact match");
    return s;
}

void
ev_scorer_free(ev_scorer *s)
{
    if (s == NULL)
        return;
    ev_scorebox_free(s->box);
    ev_memo_free(s->patterns);
    jv_free(s->compiled);
    jv_free(s->k_expected);
    jv_free(s->k_output);
    jv_free(s->k_pass);
    jv_free(s->k_value);
    jv_free(s->exact_match);
    free(s);
}

ev_pattern *
ev_scorer_pattern(ev_scorer *s, const char *text, bool *own, jv *err)
{
    return ev_pattern_cached(s->patterns, text, own, err);
}

static void
binary(ev_scorer_verdict *v, bool pass, jv reason)
{
    v->pass = pass;
    v->value = pass ? 1 : 0;
    v->reason = reason;
}

/* confined takes the sandbox's 'reply' to a request of assertion 'a', made
 * with a budget that 'over' says whether it ran over. When it did, the
 * verdict fails with the budget as its reason, the record's '*warning'
 * says so, and the result is invalid without a message; when the sandbox
 * failed otherwise, the result is invalid with a message that names the
 * assertion. */
static jv
confined(const ev_assertion *a, jv reply, ev_sandbox_over over, ev_scorer_verdict *v, jv *warning)
{
    if (jv_is_valid(reply))
        return reply;
    char c1[EV_REASON_CLIP_SIZE];
    jv m = jv_invalid_get_msg(reply);
    jv out = jv_invalid();
    if (over != EV_SANDBOX_WITHIN) {
        binary(v, false, jv_copy(m));
        if (!jv_is_valid(*warning))
            *warning =
                ev_reason_fmt("scorer '%s' %s, so the record fails (%s sets the budget)",
                              ev_reason_clip(jv_string_value(a->name), c1), jv_string_value(m),
                              over == EV_SANDBOX_OVER_CPU ? "--cpu-budget" : "--memory-budget");
    } else {
        out = jv_invalid_with_msg(ev_reason_fmt("scorer '%s' failed: %s",
                                                ev_reason_clip(jv_string_value(a->name), c1),
                                                jv_string_value(m)));
    }
    jv_free(m);
    return out;
}

bool
ev_scorer_check_jq(ev_scorer *s, const ev_assertion *a, jv *err)
{
    const char *program = jv_string_value(a->answer);
    jv known = jv_object_get(jv_copy(s->compiled), jv_string(program));
    bool ok = jv_is_valid(known);
    jv_free(known);
    if (ok)
        return true;
    ev_scorer_verdict v = {.reason = jv_invalid()};
    jv warning = jv_invalid();
    double cpu = s->budget.cpu_seconds;
    ev_sandbox_over over;
    jv reply = ev_scorebox_jq(s->box, jv_copy(a->answer), jv_invalid(), &cpu, &over);
    reply = confined(a, reply, over, &v, &warning);
    if (!jv_is_valid(reply) && !jv_is_valid(warning)) {
        *err = reply;
        return false;
    }
    jv why = jv_is_valid(reply) ? jv_object_get(reply, jv_string("compile")) : jv_copy(v.reason);
    ok = !jv_is_valid(why);
    if (ok && jv_object_length(jv_copy(s->compiled)) < MAX_KNOWN_JQ) {
        s->compiled = jv_object_set(s->compiled, jv_string(program), jv_true());
    } else if (!ok) {
        char c1[EV_REASON_CLIP_SIZE];
        *err =
            jv_invalid_with_msg(ev_reason_fmt("cannot compile jq program '%s': %s",
                                              ev_reason_clip(program, c1), jv_string_value(why)));
    }
    jv_free(why);
    jv_free(v.reason);
    jv_free(warning);
    return ok;
}

/* --- the record's side --------------------------------------------------- */

void
ev_scorer_case_init(ev_scorer_case *c, ev_scorer *s, jv rec, jv judged)
{
    c->s = s;
    c->judged = judged;
    c->next_judged = 0;
    c->rec = rec;
    c->out = jv_object_get(jv_copy(rec), jv_copy(s->k_output));
    if (jv_get_kind(c->out) == JV_KIND_NULL) {
        jv_free(c->out);
        c->out = jv_invalid();
    }
    c->text = jv_invalid();
    c->expected = jv_invalid();
    c->fetched = false;
    c->warning = jv_invalid();
    c->cpu_left = s->budget.cpu_seconds;
}

void
ev_scorer_case_free(ev_scorer_case *c)
{
    jv_free(c->out);
    jv_free(c->text);
    jv_free(c->expected);
    jv_free(c->judged);
    jv_free(c->warning);
}

static const char *
out_text(ev_scorer_case *c)
{
    if (!jv_is_valid(c->text))
        c->text = ev_record_text_of(jv_copy(c->out));
    return jv_string_value(c->text);
}

/* expected returns the record's expected answer, or invalid when it has none. */
static jv
expected(ev_scorer_case *c)
{
    if (!c->fetched) {
        c->fetched = true;
        c->expected = jv_object_get(jv_copy(c->rec), jv_copy(c->s->k_expected));
        if (!jv_is_valid(c->expected))
            c->expected = ev_record_expected(c->rec);
        if (jv_get_kind(c->expected) == JV_KIND_NULL) {
            jv_free(c->expected);
            c->expected = jv_invalid();
        }
    }
    return jv_copy(c->expected);
}

/* --- the scorers --------------------------------------------------------- */

/* A scorer for one accepted answer 'want' (borrowed). 'others' is how many
 * other answers are accepted, for the wording of a failure. Returns false with
 * '*err' set when the record cannot be scored. */
typedef bool (*score_fn)(const ev_assertion *a, ev_scorer_case *c, jv want, int others,
                         ev_scorer_verdict *v, jv *err);

/* text_of_want is the text form of an answer: a string as it is, any other
 * value as JSON. */
static jv
text_of_want(jv want)
{
    return ev_record_text_of(jv_copy(want));
}

/* same_text compares the output's text with 'want' (a string, borrowed)
 * under the run's normalisation. */
static bool
same_text(ev_scorer_case *c, jv want)
{
    int flags = c->s->norm;
    if (flags == 0 && jv_get_kind(c->out) == JV_KIND_STRING) {
        int n = jv_string_length_bytes(jv_copy(c->out));
        return n == jv_string_length_bytes(jv_copy(want)) &&
               memcmp(jv_string_value(c->out), jv_string_value(want), (size_t)n) == 0;
    }
    if (flags == 0)
        return strcmp(out_text(c), jv_string_value(want)) == 0;
    return jv_equal(ev_text_normalize(out_text(c), flags),
                    ev_text_normalize(jv_string_value(want), flags));
}

/* normalized returns 's' under 'flags', or a copy of it when there are none. */
static jv
normalized(const char *s, int flags)
{
    return flags ? ev_text_normalize(s, flags) : jv_string(s);
}

/* parse_whole parses all of 's' (consumed) as one JSON value, or returns
 * invalid. */
static jv
parse_whole(jv s)
{
    jv v = jv_parse_sized(jv_string_value(s), jv_string_length_bytes(jv_copy(s)));
    jv_free(s);
    return v;
}

static bool
score_exact(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
            jv *err)
{
    (void)a;
    (void)err;
    bool pass;
    if (jv_get_kind(want) == JV_KIND_STRING) {
        pass = same_text(c, want);
    } else {
        /* A number, boolean or object is compared as JSON, so "4" and "4.0"
         * both match 4. */
        jv got =
            jv_get_kind(c->out) == JV_KIND_STRING ? parse_whole(jv_copy(c->out)) : jv_copy(c->out);
        pass = jv_is_valid(got) && jv_equal(jv_copy(got), jv_copy(want));
        jv_free(got);
    }
    if (pass) {
        binary(v, true, jv_copy(c->s->exact_match));
        return true;
    }
    char w[EV_REASON_SHOW_SIZE], more[EV_REASON_OTHERS_SIZE], c1[EV_REASON_CLIP_SIZE];
    binary(v, false,
           ev_reason_fmt("expected %s%s, got '%s'", ev_reason_show(want, w),
                         ev_reason_others(others, more), ev_reason_clip(out_text(c), c1)));
    return true;
}

static bool
score_contains(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
               jv *err)
{
    (void)err;
    int flags = c->s->norm | (a->type->kind == EV_ASSERTION_ICONTAINS ? EV_TEXT_NORM_CASE : 0);
    jv needle = text_of_want(want);
    jv n = normalized(jv_string_value(needle), flags);
    jv h = normalized(out_text(c), flags);
    bool pass = strstr(jv_string_value(h), jv_string_value(n)) != NULL;
    char w[EV_REASON_SHOW_SIZE], more[EV_REASON_OTHERS_SIZE], c1[EV_REASON_CLIP_SIZE];
    ev_reason_show(needle, w);
    binary(v, pass,
           pass ? ev_reason_fmt("contains %s", w)
                : ev_reason_fmt("no %s%s in '%s'", w, ev_reason_others(others, more),
                                ev_reason_clip(out_text(c), c1)));
    jv_free(needle);
    jv_free(n);
    jv_free(h);
    return true;
}

static bool
score_starts_with(const ev_assertion *a, ev_scorer_case *c, jv want, int others,
                  ev_scorer_verdict *v, jv *err)
{
    (void)a;
    (void)err;
    int flags = c->s->norm;
    jv prefix = text_of_want(want);
    jv p = normalized(jv_string_value(prefix), flags);
    jv h = normalized(out_text(c), flags);
    const char *t = jv_string_value(h);
    while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
        t++;
    bool pass = strncmp(t, jv_string_value(p), strlen(jv_string_value(p))) == 0;
    char w[EV_REASON_SHOW_SIZE], more[EV_REASON_OTHERS_SIZE], c1[EV_REASON_CLIP_SIZE];
    ev_reason_show(prefix, w);
    binary(v, pass,
           pass ? ev_reason_fmt("starts with %s", w)
                : ev_reason_fmt("'%s' does not start with %s%s", ev_reason_clip(out_text(c), c1), w,
                                ev_reason_others(others, more)));
    jv_free(prefix);
    jv_free(p);
    jv_free(h);
    return true;
}

static bool
score_regex(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
            jv *err)
{
    ev_pattern *re = a->re;
    bool own = false;
    if (jv_get_kind(want) != JV_KIND_STRING) {
        *err = jv_invalid_with_msg(
            jv_string("the expected answer of 'regex' is not a pattern string"));
        return false;
    }
    if (re == NULL && (re = ev_scorer_pattern(c->s, jv_string_value(want), &own, err)) == NULL)
        return false;
    const char *text = out_text(c);
    bool pass;
    if (ev_pattern_cost(re, strlen(text)) <= INLINE_REGEX_COST) {
        pass = ev_pattern_match(re, text);
    } else {
        if (own)
            ev_pattern_free(re);
        own = false;
        ev_sandbox_over over;
        jv match =
            ev_scorebox_regex(c->s->box, jv_copy(want), jv_copy(c->text), &c->cpu_left, &over);
        match = confined(a, match, over, v, &c->warning);
        if (!jv_is_valid(match)) {
            bool ran_over = !jv_invalid_has_msg(jv_copy(match));
            if (!ran_over)
                *err = match;
            return ran_over;
        }
        pass = jv_get_kind(match) == JV_KIND_TRUE;
    }
    if (own)
        ev_pattern_free(re);
    char more[EV_REASON_OTHERS_SIZE], c1[EV_REASON_CLIP_SIZE], c2[EV_REASON_CLIP_SIZE];
    binary(v, pass,
           pass ? ev_reason_fmt("matches /%s/", ev_reason_clip(jv_string_value(want), c1))
                : ev_reason_fmt("'%s' does not match /%s/%s", ev_reason_clip(out_text(c), c1),
                                ev_reason_clip(jv_string_value(want), c2),
                                ev_reason_others(others, more)));
    return true;
}

/* want_number reads the answer of 'number': a number, or text holding one. */
static bool
want_number(jv want, double *d, jv *err)
{
    if (jv_get_kind(want) == JV_KIND_NUMBER) {
        *d = jv_number_value(want);
        return true;
    }
    if (jv_get_kind(want) == JV_KIND_STRING && ev_extract_number(jv_string_value(want), d))
        return true;
    char w[EV_REASON_SHOW_SIZE];
    *err = jv_invalid_with_msg(
        ev_reason_fmt("the expected answer %s holds no number", ev_reason_show(want, w)));
    return false;
}

static bool
score_number(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
             jv *err)
{
    double w, got;
    if (!want_number(want, &w, err))
        return false;
    if (jv_get_kind(c->out) == JV_KIND_NUMBER) {
        got = jv_number_value(c->out);
    } else if (!ev_extract_number(out_text(c), &got)) {
        binary(v, false, jv_string("no number found in output"));
        v->unparsed = true;
        return true;
    }
    bool pass = fabs(got - w) <= a->limit;
    char more[EV_REASON_OTHERS_SIZE];
    if (pass && a->limit_given)
        binary(v, true, ev_reason_fmt("got %.15g, within %.15g of %.15g", got, a->limit, w));
    else if (pass)
        binary(v, true, ev_reason_fmt("got %.15g", got));
    else if (a->limit_given)
        binary(v, false,
               ev_reason_fmt("expected %.15g%s within %.15g, got %.15g", w,
                             ev_reason_others(others, more), a->limit, got));
    else
        binary(
            v, false,
            ev_reason_fmt("expected %.15g%s, got %.15g", w, ev_reason_others(others, more), got));
    return true;
}

static bool
score_choice(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
             jv *err)
{
    (void)a;
    char w, got, more[EV_REASON_OTHERS_SIZE];
    if (jv_get_kind(want) != JV_KIND_STRING || !ev_extract_choice(jv_string_value(want), &w)) {
        char shown[EV_REASON_SHOW_SIZE];
        *err = jv_invalid_with_msg(ev_reason_fmt("the expected answer %s is not a choice letter",
                                                 ev_reason_show(want, shown)));
        return false;
    }
    if (!ev_extract_choice(out_text(c), &got)) {
        binary(v, false, jv_string("no choice letter found in output"));
        v->unparsed = true;
        return true;
    }
    binary(v, got == w,
           got == w ? ev_reason_fmt("chose '%c'", got)
                    : ev_reason_fmt("expected '%c'%s, got '%c'", w, ev_reason_others(others, more),
                                    got));
    return true;
}

static bool
score_f1(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
         jv *err)
{
    (void)err;
    jv gold = text_of_want(want);
    double f = ev_metric_f1(out_text(c), jv_string_value(gold));
    jv_free(gold);
    v->value = f;
    v->pass = f >= a->limit;
    v->reason = ev_reason_fmt("F1 %.3f %s %g%s", f, v->pass ? ">=" : "<", a->limit,
                              others > 0 && !v->pass ? " (best of the expected answers)" : "");
    return true;
}

static bool
score_similar(const ev_assertion *a, ev_scorer_case *c, jv want, int others, ev_scorer_verdict *v,
              jv *err)
{
    int flags = c->s->norm;
    jv gold = text_of_want(want);
    jv x = normalized(out_text(c), flags);
    jv y = normalized(jv_string_value(gold), flags);
    jv_free(gold);
    double cells =
        (double)jv_string_length_bytes(jv_copy(x)) * (double)jv_string_length_bytes(jv_copy(y));
    double sim;
    if (cells <= INLINE_SIMILAR_CELLS) {
        sim = ev_metric_similarity(jv_string_value(x), jv_string_value(y));
        jv_free(x);
        jv_free(y);
    } else {
        ev_sandbox_over over;
        jv d = ev_scorebox_similar(c->s->box, x, y, &c->cpu_left, &over);
        d = confined(a, d, over, v, &c->warning);
        if (!jv_is_valid(d)) {
            bool ran_over = !jv_invalid_has_msg(jv_copy(d));
            if (!ran_over)
                *err = d;
            return ran_over;
        }
        sim = jv_number_value(d);
        jv_free(d);
    }
    v->value = sim;
    v->pass = sim >= a->limit;
    v->reason = ev_reason_fmt("similarity %.3f %s %g%s", sim, v->pass ? ">=" : "<", a->limit,
                              others > 0 && !v->pass ? " (best of the expected answers)" : "");
    return true;
}

/* score_any runs 'fn' on each accepted answer when 'want' (borrowed) is a
 * list, and keeps the best verdict. */
static bool
score_any(score_fn fn, const ev_assertion *a, ev_scorer_case *c, jv want, ev_scorer_verdict *v,
          jv *err)
{
    if (jv_get_kind(want) != JV_KIND_ARRAY)
        return fn(a, c, want, 0, v, err);
    int n = jv_array_length(jv_copy(want));
    if (n == 0) {
        *err = jv_invalid_with_msg(jv_string("the expected answer is an empty list"));
        return false;
    }
    bool have = false;
    for (int i = 0; i < n && !(have && v->pass && v->value >= 1); i++) {
        jv w = jv_array_get(jv_copy(want), i);
        ev_scorer_verdict one = {0};
        bool ok = fn(a, c, w, n - 1, &one, err);
        jv_free(w);
        if (!ok) {
            if (have)
                jv_free(v->reason);
            return false;
        }
        if (jv_is_valid(c->warning)) {
            /* over budget: the record fails, whatever the other answers */
            if (have)
                jv_free(v->reason);
            *v = one;
            return true;
        }
        if (!have || one.value > v->value) {
            if (have)
                jv_free(v->reason);
            *v = one;
            have = true;
        } else {
            jv_free(one.reason);
        }
    }
    return true;
}

/* json_want is the answer of 'json' as a JSON value: a string holding JSON
 * text is parsed, anything else is taken as it is. */
static jv
json_want(jv want)
{
    if (jv_get_kind(want) == JV_KIND_STRING) {
        jv v = parse_whole(jv_copy(want));
        if (jv_is_valid(v))
            return v;
        jv_free(v);
    }
    return jv_copy(want);
}

static bool
score_json(const ev_assertion *a, ev_scorer_case *c, jv want, ev_scorer_verdict *v, jv *err)
{
    (void)err;
    bool subset = a->type->kind == EV_ASSERTION_JSON_SUBSET;
    jv got;
    if (jv_get_kind(c->out) == JV_KIND_STRING) {
        got = ev_extract_json(out_text(c));
        if (!jv_is_valid(got)) {
            jv m = jv_invalid_get_msg(got);
            binary(v, false, ev_reason_fmt("invalid JSON: %s", jv_string_value(m)));
            v->unparsed = true;
            jv_free(m);
            return true;
        }
    } else {
        got = jv_copy(c->out);
    }
    jv w = json_want(want);
    jv d = ev_jsondiff_first(w, got, subset);
    jv_free(w);
    jv_free(got);
    if (jv_is_valid(d))
        binary(v, false, d);
    else
        binary(v, true,
               jv_string(subset ? "JSON has every expected key and value" : "JSON matches"));
    return true;
}

static bool
score_jq(const ev_assertion *a, ev_scorer_case *c, ev_scorer_verdict *v, jv *err)
{
    const char *prog = jv_string_value(a->answer);
    char c1[EV_REASON_CLIP_SIZE], c2[6 * EV_REASON_QUOTE_MAX + 4];
    ev_sandbox_over over;
    jv reply = ev_scorebox_jq(c->s->box, jv_copy(a->answer), jv_copy(c->rec), &c->cpu_left, &over);
    reply = confined(a, reply, over, v, &c->warning);
    if (!jv_is_valid(reply)) {
        if (jv_invalid_has_msg(jv_copy(reply))) {
            *err = reply;
            return false;
        }
        return true;
    }
    jv failure = jv_object_get(jv_copy(reply), jv_string("error"));
    jv compile = jv_object_get(jv_copy(reply), jv_string("compile"));
    jv r = jv_object_get(jv_copy(reply), jv_string("result"));
    jv shown = jv_object_get(jv_copy(reply), jv_string("shown"));
    jv more = jv_object_get(jv_copy(reply), jv_string("more"));
    bool halted = jv_object_has(reply, jv_string("halted"));
    bool ok = false;
    if (jv_get_kind(compile) == JV_KIND_STRING) {
        *err =
            jv_invalid_with_msg(ev_reason_fmt("cannot compile jq program '%s': %s",
                                              ev_reason_clip(prog, c1), jv_string_value(compile)));
    } else if (jv_get_kind(failure) == JV_KIND_STRING) {
        *err = jv_invalid_with_msg(ev_reason_fmt(
            "jq program '%s' failed: %s", ev_reason_clip(prog, c1),
            ev_reason_clip_to(jv_string_value(failure), 3 * EV_REASON_QUOTE_MAX, c2, sizeof(c2))));
    } else if (jv_get_kind(more) == JV_KIND_TRUE) {
        *err = jv_invalid_with_msg(
            ev_reason_fmt("jq program '%s' gave more than one result", ev_reason_clip(prog, c1)));
    } else if (!jv_is_valid(r) && !jv_is_valid(shown)) {
        *err = jv_invalid_with_msg(ev_reason_fmt("jq program '%s' %s", ev_reason_clip(prog, c1),
                                                 halted ? "halted" : "gave no result"));
    } else if (jv_get_kind(r) == JV_KIND_TRUE || jv_get_kind(r) == JV_KIND_FALSE) {
        bool t = jv_get_kind(r) == JV_KIND_TRUE;
        binary(v, t, ev_reason_fmt("'%s' is %s", ev_reason_clip(prog, c1), t ? "true" : "false"));
        ok = true;
    } else if (jv_get_kind(r) == JV_KIND_NUMBER && jv_number_value(r) >= 0 &&
               jv_number_value(r) <= 1) {
        v->value = jv_number_value(r);
        v->pass = v->value >= 0.5;
        v->reason = ev_reason_fmt("'%s' gave %g", ev_reason_clip(prog, c1), v->value);
        ok = true;
    } else {
        char got[EV_REASON_SHOW_SIZE];
        *err = jv_invalid_with_msg(
            ev_reason_fmt("jq program '%s' gave %s, not a boolean or a number in [0, 1]",
                          ev_reason_clip(prog, c1),
                          jv_is_valid(shown) ? jv_string_value(shown) : ev_reason_show(r, got)));
    }
    jv_free(failure);
    jv_free(compile);
    jv_free(shown);
    jv_free(r);
    jv_free(more);
    return ok;
}

/* read_judgement reads a cmd scorer's answer 'a' (consumed): true, false, a
 * number in [0, 1], or an object with 'pass' and/or 'value' and 'reason'. */
static bool
read_judgement(jv a, ev_scorer_verdict *v)
{
    jv pass = jv_invalid(), value = jv_invalid(), reason = jv_invalid();
    switch (jv_get_kind(a)) {
    case JV_KIND_TRUE:
    case JV_KIND_FALSE:
        pass = jv_copy(a);
        break;
    case JV_KIND_NUMBER:
        value = jv_copy(a);
        break;
    case JV_KIND_OBJECT:
        pass = jv_object_get(jv_copy(a), jv_string("pass"));
        value = jv_object_get(jv_copy(a), jv_string("value"));
        reason = jv_object_get(jv_copy(a), jv_string("reason"));
        break;
    default:
        break;
    }
    jv_free(a);
    bool has_pass = jv_get_kind(pass) == JV_KIND_TRUE || jv_get_kind(pass) == JV_KIND_FALSE;
    bool has_value = jv_get_kind(value) == JV_KIND_NUMBER && jv_number_value(value) >= 0 &&
                     jv_number_value(value) <= 1;
    bool ok = (has_pass || has_value) && (has_pass || !jv_is_valid(pass)) &&
              (has_value || !jv_is_valid(value));
    if (ok) {
        v->value = has_value ? jv_number_value(value) : jv_get_kind(pass) == JV_KIND_TRUE;
        v->pass = has_pass ? jv_get_kind(pass) == JV_KIND_TRUE : v->value >= 0.5;
        if (jv_is_valid(reason) && jv_get_kind(reason) != JV_KIND_NULL)
            v->reason = ev_record_text_of(jv_copy(reason));
        else if (has_value)
            v->reason = ev_reason_fmt("judged %g", v->value);
        else
            v->reason = jv_string(v->pass ? "judged pass" : "judged fail");
    }
    jv_free(pass);
    jv_free(value);
    jv_free(reason);
    return ok;
}

static bool
score_cmd(const ev_assertion *a, ev_scorer_case *c, ev_scorer_verdict *v, jv *err)
{
    const char *cmd = jv_string_value(a->answer);
    char c1[EV_REASON_CLIP_SIZE], c2[EV_REASON_CLIP_SIZE];
    jv line = jv_dump_string(jv_copy(c->rec), 0);
    jv ans = ev_coproc_ask(a->proc, jv_string_value(line),
                           (size_t)jv_string_length_bytes(jv_copy(line)));
    jv_free(line);
    if (!jv_is_valid(ans)) {
        jv m = jv_invalid_get_msg(ans);
        *err = jv_invalid_with_msg(
            ev_reason_fmt("cmd scorer '%s' %s", ev_reason_clip(cmd, c1), jv_string_value(m)));
        jv_free(m);
        return false;
    }
    bool ok = read_judgement(parse_whole(jv_copy(ans)), v);
    if (!ok)
        *err = jv_invalid_with_msg(
            ev_reason_fmt("cmd scorer '%s' answered '%s', not true, false, a number "
                          "in [0, 1] or {pass, value, reason}",
                          ev_reason_clip(cmd, c1), ev_reason_clip(jv_string_value(ans), c2)));
    jv_free(ans);
    return ok;
}

/* add_count adds field 'k' of 'from' (borrowed) to the number 'k' of 'to'. */
static jv
add_count(jv to, jv from, const char *k)
{
    jv a = jv_object_get(jv_copy(to), jv_string(k));
    jv b = jv_object_get(jv_copy(from), jv_string(k));
    double n = (jv_get_kind(a) == JV_KIND_NUMBER ? jv_number_value(a) : 0) +
               (jv_get_kind(b) == JV_KIND_NUMBER ? jv_number_value(b) : 0);
    jv_free(a);
    jv_free(b);
    return jv_object_set(to, jv_string(k), jv_number(n));
}

/* judge_info starts score.judge from the samples' records ('samples',
 * borrowed): who judged, and the tokens the judging took. */
static jv
judge_info(jv samples)
{
    jv call0 = jv_array_get(jv_copy(samples), 0);
    call0 = jv_object_get(call0, jv_string("call"));
    jv j = jv_object();
    const char *ks[] = {"provider", "model"};
    for (int i = 0; i < 2; i++) {
        jv v = jv_get_kind(call0) == JV_KIND_OBJECT
                   ? jv_object_get(jv_copy(call0), jv_string(ks[i]))
                   : jv_invalid();
        j = jv_object_set(j, jv_string(ks[i]), jv_is_valid(v) ? v : jv_null());
    }
    jv_free(call0);
    j = jv_object_set(j, jv_string("samples"), jv_number(jv_array_length(jv_copy(samples))));
    j = jv_object_set(j, jv_string("labels"), jv_array());
    j = jv_object_set(j, jv_string("agreement"), jv_number(0));
    double cached = 0, batch = 0;
    const char *counts[] = {"input_tokens", "output_tokens", "cached_tokens"};
    for (int i = 0; i < 3; i++)
        j = jv_object_set(j, jv_string(counts[i]), jv_number(0));
    jv_array_foreach(samples, i, one)
    {
        jv call = jv_object_get(one, jv_string("call"));
        if (jv_get_kind(call) == JV_KIND_OBJECT) {
            for (int k = 0; k < 3; k++)
                j = add_count(j, call, counts[k]);
            jv c = jv_object_get(jv_copy(call), jv_string("cached"));
            cached += jv_get_kind(c) == JV_KIND_TRUE;
            jv_free(c);
            jv b = jv_object_get(jv_copy(call), jv_string("batch"));
            batch += jv_get_kind(b) == JV_KIND_STRING;
            jv_free(b);
        }
        jv_free(call);
    }
    j = jv_object_set(j, jv_string("cached"), jv_number(cached));
    return jv_object_set(j, jv_string("batch"), jv_number(batch));
}

/* score_judge reads the judge's answers to this assertion's prompt: each
 * sample is read as a label, and the labels are combined. */
static bool
score_judge(const ev_assertion *a, ev_scorer_case *c, ev_scorer_verdict *v, jv *err)
{
    char c1[EV_REASON_CLIP_SIZE], c2[3 * EV_REASON_QUOTE_MAX + 4];
    jv samples =
        jv_is_valid(c->judged) ? jv_array_get(jv_copy(c->judged), c->next_judged++) : jv_invalid();
    if (jv_get_kind(samples) != JV_KIND_ARRAY || jv_array_length(jv_copy(samples)) == 0) {
        jv_free(samples);
        *err = jv_invalid_with_msg(ev_reason_fmt("no judge answer for '%s'",
                                                 ev_reason_clip(jv_string_value(a->name), c1)));
        return false;
    }
    jv reads = jv_array(), labels = jv_array(), raw = jv_invalid();
    jv_array_foreach(samples, i, one)
    {
        jv text = ev_record_text_of(jv_object_get(one, jv_copy(c->s->k_output)));
        jv r = ev_judge_read(a->rubric, jv_string_value(text));
        jv l = jv_object_get(jv_copy(r), jv_string("label"));
        if (!jv_is_valid(raw) && strcmp(jv_string_value(l), EV_JUDGE_INVALID) == 0)
            raw = jv_copy(text);
        labels = jv_array_append(labels, l);
        reads = jv_array_append(reads, r);
        jv_free(text);
    }
    int n = jv_array_length(jv_copy(reads));
    jv agg = ev_judge_aggregate(reads, c->s->judge_mean);
    jv value = jv_object_get(jv_copy(agg), jv_copy(c->s->k_value));
    jv pass = jv_object_get(jv_copy(agg), jv_copy(c->s->k_pass));
    v->label = jv_object_get(jv_copy(agg), jv_string("label"));
    jv agreement = jv_object_get(agg, jv_string("agreement"));
    v->value = jv_number_value(value);
    v->pass = jv_get_kind(pass) == JV_KIND_TRUE;
    jv_free(value);
    jv_free(pass);
    const char *label = jv_string_value(v->label);
    if (strcmp(label, EV_JUDGE_INVALID) == 0)
        v->reason = ev_reason_fmt(
            "judge gave no label: '%s'",
            ev_reason_clip_to(jv_string_value(raw), 3 * EV_REASON_QUOTE_MAX, c2, sizeof(c2)));
    else if (n == 1)
        v->reason = ev_reason_fmt("judged %s", label);
    else if (c->s->judge_mean)
        v->reason = ev_reason_fmt("judged %g, the mean of %d samples", v->value, n);
    else
        v->reason = ev_reason_fmt("judged %s by %g of %d samples", label,
                                  round(jv_number_value(agreement) * n), n);
    jv_free(raw);
    v->judge = judge_info(samples);
    jv_free(samples);
    v->judge = jv_object_set(v->judge, jv_string("labels"), labels);
    v->judge = jv_object_set(v->judge, jv_string("agreement"), agreement);
    return true;
}

static score_fn
text_scorer(enum ev_assertion_kind k)
{
    switch (k) {
    case EV_ASSERTION_EXACT:
        return score_exact;
    case EV_ASSERTION_CONTAINS:
    case EV_ASSERTION_ICONTAINS:
        return score_contains;
    case EV_ASSERTION_STARTS_WITH:
        return score_starts_with;
    case EV_ASSERTION_REGEX:
        return score_regex;
    case EV_ASSERTION_NUMBER:
        return score_number;
    case EV_ASSERTION_CHOICE:
        return score_choice;
    case EV_ASSERTION_F1:
        return score_f1;
    default:
        return score_similar;
    }
}

bool
ev_scorer_reads_output(const ev_assertion *a)
{
    return a->type->kind != EV_ASSERTION_JQ && a->type->kind != EV_ASSERTION_CMD;
}

bool
ev_scorer_run(const ev_assertion *a, ev_scorer_case *c, ev_scorer_verdict *v, jv *err)
{
    enum ev_assertion_kind k = a->type->kind;
    bool ok;
    v->final = false;
    v->unparsed = false;
    v->label = jv_invalid();
    v->judge = jv_invalid();
    if (ev_scorer_reads_output(a) && !jv_is_valid(c->out)) {
        binary(v, false, jv_string("no output"));
        v->final = true;
        return true;
    }
    if (k == EV_ASSERTION_JQ) {
        ok = score_jq(a, c, v, err);
    } else if (k == EV_ASSERTION_CMD) {
        ok = score_cmd(a, c, v, err);
    } else if (k == EV_ASSERTION_JUDGE) {
        ok = score_judge(a, c, v, err);
    } else {
        jv want = a->type->role == EV_ASSERTION_ANSWER && jv_is_valid(a->answer)
                      ? jv_copy(a->answer)
                      : expected(c);
        if (!jv_is_valid(want)) {
            char c1[EV_REASON_CLIP_SIZE];
            *err = jv_invalid_with_msg(
                ev_reason_fmt("no 'expected' for scorer '%s' (" EV_RECORD_EXPECTED_ELSEWHERE ")",
                              ev_reason_clip(jv_string_value(a->name), c1)));
            return false;
        }
        if (k == EV_ASSERTION_JSON || k == EV_ASSERTION_JSON_SUBSET)
            ok = score_json(a, c, want, v, err);
        else
            ok = score_any(text_scorer(k), a, c, want, v, err);
        jv_free(want);
    }
    if (ok && a->negate) {
        v->pass = !v->pass;
        v->value = 1 - v->value;
        v->reason = jv_string_concat(jv_string("negated: "), v->reason);
    }
    return ok;
}

void
ev_scorer_merge_judge(ev_scorer_verdict *v, jv *label, jv *judge)
{
    if (!jv_is_valid(v->judge))
        return;
    if (!jv_is_valid(*judge)) {
        *label = v->label;
        *judge = v->judge;
        v->label = jv_invalid();
        v->judge = jv_invalid();
        return;
    }
    const char *counts[] = {"samples",       "input_tokens", "output_tokens",
                            "cached_tokens", "cached",       "batch"};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        *judge = add_count(*judge, v->judge, counts[i]);
    jv labels = jv_object_get(jv_copy(*judge), jv_string("labels"));
    labels = jv_array_concat(labels, jv_object_get(jv_copy(v->judge), jv_string("labels")));
    *judge = jv_object_set(*judge, jv_string("labels"), labels);
    jv_free(v->label);
    jv_free(v->judge);
    v->label = jv_invalid();
    v->judge = jv_invalid();
}

jv
ev_scorer_prompt(const ev_assertion *a, ev_scorer_case *c)
{
    jv want = expected(c);
    jv text = jv_is_valid(want) ? ev_record_text_of(want) : want;
    jv out = ev_judge_prompt(a->rubric, c->rec, text, jv_copy(c->out));
    if (!jv_is_valid(out) && jv_invalid_has_msg(jv_copy(out))) {
        char c1[EV_REASON_CLIP_SIZE];
        jv m = jv_invalid_get_msg(out);
        out = jv_invalid_with_msg(ev_reason_fmt("%s for scorer '%s'", jv_string_value(m),
                                                ev_reason_clip(jv_string_value(a->name), c1)));
        jv_free(m);
    }
    return out;
}
