#include "assertion.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "metric.h"
#include "reason.h"
#include "record.h"

static const ev_assertion_type types[] = {
    {"choice", EV_ASSERTION_CHOICE, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"cmd", EV_ASSERTION_CMD, EV_ASSERTION_PROGRAM, 0, 0, 0},
    {"contains", EV_ASSERTION_CONTAINS, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"exact", EV_ASSERTION_EXACT, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"f1", EV_ASSERTION_F1, EV_ASSERTION_LIMIT, 0, 1, 0.5},
    {"icontains", EV_ASSERTION_ICONTAINS, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"jq", EV_ASSERTION_JQ, EV_ASSERTION_PROGRAM, 0, 0, 0},
    {"judge", EV_ASSERTION_JUDGE, EV_ASSERTION_RUBRIC, 0, 0, 0},
    {"json", EV_ASSERTION_JSON, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"json-subset", EV_ASSERTION_JSON_SUBSET, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"number", EV_ASSERTION_NUMBER, EV_ASSERTION_LIMIT, 0, DBL_MAX, 1e-9},
    {"regex", EV_ASSERTION_REGEX, EV_ASSERTION_ANSWER, 0, 0, 0},
    {"similar", EV_ASSERTION_SIMILAR, EV_ASSERTION_LIMIT, 0, 1, 0.8},
    {"starts-with", EV_ASSERTION_STARTS_WITH, EV_ASSERTION_ANSWER, 0, 0, 0},
};

static void
item_free(ev_assertion *a)
{
    jv_free(a->answer);
    jv_free(a->name);
    if (a->own_re)
        ev_pattern_free(a->re);
    ev_judge_free(a->own_rubric);
}

void
ev_assertion_plan_free(ev_assertion_plan *p)
{
    for (int i = 0; i < p->n; i++)
        item_free(&p->items[i]);
    free(p->items);
    jv_free(p->name);
    p->items = NULL;
    p->n = 0;
    p->name = jv_invalid();
}

static const ev_assertion_type *
find_type(const char *type, size_t len)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strlen(types[i].name) == len && strncmp(types[i].name, type, len) == 0)
            return &types[i];
    }
    return NULL;
}

/* unknown_type says that the type of 'len' bytes at 'type' is none, with
 * the nearest one when there is one, and lists the types. */
static jv
unknown_type(const char *type, size_t len)
{
    enum { N = sizeof(types) / sizeof(types[0]) };
    const char *names[N];
    jv list = jv_string("");
    for (int i = 0; i < N; i++) {
        names[i] = types[i].name;
        list = jv_string_append_str(list, i == 0 ? "" : i == N - 1 ? " and " : ", ");
        list = jv_string_append_str(list, names[i]);
    }
    char *word = ev_alloc_strndup(type, len < 60 ? len : 60);
    const char *near = ev_metric_nearest(word, names, N);
    char c1[EV_REASON_CLIP_SIZE];
    jv m = jv_string_fmt("unknown scorer type '%s'", ev_reason_clip(word, c1));
    if (near != NULL)
        m = jv_string_concat(m, jv_string_fmt(" (did you mean '%s'?)", near));
    m = jv_string_concat(m, jv_string_fmt(": the types are %s, and not-TYPE for each but judge",
                                          jv_string_value(list)));
    jv_free(list);
    free(word);
    return m;
}

/* read_limit reads a limit 'value' (borrowed): a number, or a string
 * holding one. */
static bool
read_limit(ev_assertion *a, jv value, jv *err)
{
    const ev_assertion_type *t = a->type;
    double d = NAN;
    bool ok = false;
    if (jv_get_kind(value) == JV_KIND_NUMBER) {
        d = jv_number_value(value);
        ok = isfinite(d) && d >= t->lo && d <= t->hi;
    } else if (jv_get_kind(value) == JV_KIND_STRING) {
        ok = ev_cli_parse_double(jv_string_value(value), t->lo, t->hi, &d);
    }
    if (!ok) {
        char what[EV_REASON_SHOW_SIZE];
        if (t->kind == EV_ASSERTION_NUMBER)
            *err = jv_invalid_with_msg(ev_reason_fmt(
                "'number' needs a tolerance of 0 or more, not %s", ev_reason_show(value, what)));
        else
            *err = jv_invalid_with_msg(ev_reason_fmt("'%s' needs a threshold in [0, 1], not %s",
                                                     t->name, ev_reason_show(value, what)));
        return false;
    }
    a->limit = d;
    a->limit_given = true;
    return true;
}

/* read_program takes the jq program or the command given as 'value'
 * (borrowed), which the caller then binds. */
static bool
read_program(ev_assertion *a, jv value, jv *err)
{
    const char *what = a->type->kind == EV_ASSERTION_JQ ? "program" : "command";
    if (jv_get_kind(value) != JV_KIND_STRING || jv_string_value(value)[0] == '\0') {
        *err = jv_invalid_with_msg(ev_reason_fmt("'%s' needs a %s after ':'", a->type->name, what));
        return false;
    }
    a->answer = jv_copy(value);
    return true;
}

/* read_rubric sets the rubric of a judge from its criterion 'value'
 * (borrowed; invalid for the run's rubric), and names the assertion by
 * it. */
static bool
read_rubric(const ev_assertion_env *env, ev_assertion *a, jv value, jv *err)
{
    if (a->negate) {
        *err = jv_invalid_with_msg(jv_string("'judge' cannot be negated"));
        return false;
    }
    if (!jv_is_valid(value)) {
        a->rubric = env->rubric;
        if (a->rubric == NULL) {
            *err = jv_invalid_with_msg(
                jv_string("'judge' needs a criterion after ':', or a rubric from --judge"));
            return false;
        }
    } else if (jv_get_kind(value) != JV_KIND_STRING || jv_string_value(value)[0] == '\0') {
        *err = jv_invalid_with_msg(jv_string("'judge' needs a criterion after ':'"));
        return false;
    } else {
        a->own_rubric = ev_judge_criterion(jv_string_value(value));
        a->rubric = a->own_rubric;
    }
    jv_free(a->name);
    a->name = jv_string(ev_judge_scorer(a->rubric));
    return true;
}

/* read_item builds 'a' from a type (with its not- prefix), its value
 * (consumed; invalid when none was given) and a weight. 'a->name' must be
 * set already. */
static bool
read_item(const ev_assertion_env *env, const char *type, size_t len, jv value, ev_assertion *a,
          jv *err)
{
    a->negate = len > 4 && strncmp(type, "not-", 4) == 0;
    if (a->negate) {
        type += 4;
        len -= 4;
    }
    a->type = find_type(type, len);
    if (a->type == NULL) {
        *err = jv_invalid_with_msg(unknown_type(type, len));
        jv_free(value);
        return false;
    }
    a->limit = a->type->deflt;
    bool ok = true, bind = false;
    if (a->type->role == EV_ASSERTION_RUBRIC) {
        ok = read_rubric(env, a, value, err);
    } else if (a->type->role == EV_ASSERTION_PROGRAM) {
        ok = bind = read_program(a, value, err);
    } else if (!jv_is_valid(value)) {
        /* 'expected' is the answer, and the limit keeps its default. */
    } else if (a->type->role == EV_ASSERTION_LIMIT) {
        ok = read_limit(a, value, err);
    } else if (a->type->kind == EV_ASSERTION_REGEX) {
        ok = bind = jv_get_kind(value) == JV_KIND_STRING;
        if (!ok)
            *err = jv_invalid_with_msg(jv_string("'regex' needs a pattern string"));
        a->answer = jv_copy(value);
    } else {
        a->answer = jv_copy(value);
    }
    jv_free(value);
    if (bind)
        ok = env->bind(env->ctx, a, err);
    return ok;
}

static bool
read_string(const ev_assertion_env *env, jv spec, ev_assertion *a, jv *err)
{
    const char *text = jv_string_value(spec);
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    jv value = colon ? jv_string(colon + 1) : jv_invalid();
    a->name = jv_copy(spec);
    bool ok = read_item(env, text, len, value, a, err);
    jv_free(spec);
    return ok;
}

/* read_object builds an assertion from {"type", "value", "weight"}. Its
 * name is the SPEC string it stands for: "type:value", the value as text. */
static bool
read_object(const ev_assertion_env *env, jv obj, ev_assertion *a, jv *err)
{
    bool ok = false;
    jv type = jv_invalid(), value = jv_invalid();
    jv_object_foreach(obj, key, val)
    {
        const char *k = jv_string_value(key);
        if (strcmp(k, "type") == 0 && jv_get_kind(val) == JV_KIND_STRING) {
            jv_free(type);
            type = jv_copy(val);
        } else if (strcmp(k, "value") == 0) {
            jv_free(value);
            value = jv_copy(val);
        } else if (strcmp(k, "weight") == 0 && jv_get_kind(val) == JV_KIND_NUMBER &&
                   jv_number_value(val) >= 0 && isfinite(jv_number_value(val))) {
            a->weight = jv_number_value(val);
        } else if (strcmp(k, "type") != 0) {
            char c1[EV_REASON_CLIP_SIZE];
            *err = jv_invalid_with_msg(
                strcmp(k, "weight") == 0
                    ? jv_string("'weight' must be a number of 0 or more")
                    : ev_reason_fmt("unknown key '%s' in an assertion", ev_reason_clip(k, c1)));
            jv_free(key);
            jv_free(val);
            goto done;
        }
        jv_free(key);
        jv_free(val);
    }
    if (!jv_is_valid(type)) {
        *err = jv_invalid_with_msg(jv_string("an assertion object needs a string 'type'"));
    } else if (!jv_is_valid(value)) {
        ok = read_string(env, jv_copy(type), a, err);
    } else {
        jv text = ev_record_text_of(jv_copy(value));
        a->name = jv_string_concat(jv_string_append_str(jv_copy(type), ":"), text);
        ok = read_item(env, jv_string_value(type), strlen(jv_string_value(type)), jv_copy(value), a,
                       err);
    }
done:
    jv_free(type);
    jv_free(value);
    jv_free(obj);
    return ok;
}

static bool
read_one(const ev_assertion_env *env, jv spec, ev_assertion *a, jv *err)
{
    memset(a, 0, sizeof(*a));
    a->answer = jv_invalid();
    a->name = jv_invalid();
    a->weight = 1;
    if (jv_get_kind(spec) == JV_KIND_STRING)
        return read_string(env, spec, a, err);
    if (jv_get_kind(spec) == JV_KIND_OBJECT)
        return read_object(env, spec, a, err);
    jv_free(spec);
    *err = jv_invalid_with_msg(jv_string("an assertion must be a SPEC string or an object"));
    return false;
}

bool
ev_assertion_parse(jv spec, const ev_assertion_env *env, ev_assertion_plan *p, jv *err)
{
    p->items = NULL;
    p->n = 0;
    p->name = jv_invalid();
    if (jv_get_kind(spec) != JV_KIND_ARRAY) {
        p->items = ev_alloc(sizeof(ev_assertion));
        if (!read_one(env, spec, &p->items[0], err)) {
            item_free(&p->items[0]);
            ev_assertion_plan_free(p);
            return false;
        }
        p->n = 1;
        p->name = jv_copy(p->items[0].name);
        return true;
    }
    int n = jv_array_length(jv_copy(spec));
    if (n == 0) {
        jv_free(spec);
        *err = jv_invalid_with_msg(jv_string("an assertion list is empty"));
        return false;
    }
    p->items = ev_alloc_array(NULL, (size_t)n, sizeof(ev_assertion));
    p->name = jv_string("");
    jv_array_foreach(spec, i, one)
    {
        if (jv_get_kind(one) == JV_KIND_ARRAY) {
            jv_free(one);
            *err = jv_invalid_with_msg(jv_string("an assertion list holds another list"));
        } else if (read_one(env, one, &p->items[i], err)) {
            if (i > 0)
                p->name = jv_string_append_str(p->name, " & ");
            p->name = jv_string_concat(p->name, jv_copy(p->items[i].name));
            p->n++;
            continue;
        } else {
            item_free(&p->items[i]);
        }
        jv_free(spec);
        ev_assertion_plan_free(p);
        return false;
    }
    jv_free(spec);
    return true;
}
