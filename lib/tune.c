#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "price.h"
#include "record.h"
#include "stats.h"
#include "train.h"

/* The cookbook's epochs heuristic (APIS.md §4). */
#define TARGET_EPOCHS 3
#define MIN_TARGET_EXAMPLES 100
#define MAX_TARGET_EXAMPLES 25000
#define MIN_DEFAULT_EPOCHS 1
#define MAX_DEFAULT_EPOCHS 25

static const char *const problem_names[EV_TUNE_NPROBLEMS] = {
    "data_type",
    "missing_messages_list",
    "message_missing_key",
    "message_unrecognized_key",
    "unrecognized_role",
    "missing_content",
    "example_missing_assistant_message",
    "example_over_token_limit",
    "too_few_examples",
};

static const char *const roles[] = {"system", "user", "assistant", "function", "tool"};
static const char *const message_keys[] = {"role",   "content",    "name",        "function_call",
                                           "weight", "tool_calls", "tool_call_id"};
/* Top-level fields a trainer reads beside 'messages'. */
static const char *const example_keys[] = {"tools", "functions", "parallel_tool_calls"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *
ev_tune_problem_name(enum ev_tune_problem p)
{
    return p < EV_TUNE_NPROBLEMS ? problem_names[p] : "unknown";
}

double
ev_tune_text_tokens(size_t len)
{
    return ev_estimate_text_tokens(len);
}

static bool
in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

static jv
field(jv o, const char *key)
{
    return jv_object_get(jv_copy(o), jv_string(key));
}

static bool
has_role(jv msgs, const char *role)
{
    bool yes = false;
    jv_array_foreach(msgs, i, m)
    {
        jv r = jv_get_kind(m) == JV_KIND_OBJECT ? field(m, "role") : jv_invalid();
        yes = yes || (jv_get_kind(r) == JV_KIND_STRING && strcmp(jv_string_value(r), role) == 0);
        jv_free(r);
        jv_free(m);
        (void)i;
    }
    jv_free(msgs);
    return yes;
}

jv
ev_tune_example(jv rec, const char *system, bool *changed, enum ev_tune_problem *kind)
{
    *changed = false;
    if (jv_get_kind(rec) != JV_KIND_OBJECT) {
        *kind = EV_TUNE_DATA_TYPE;
        jv_free(rec);
        return jv_invalid_with_msg(jv_string("record is not an object"));
    }
    jv msgs = field(rec, "messages");
    if (!jv_is_valid(msgs)) {
        jv_free(msgs);
        jv input = field(rec, "input");
        bool has_input = jv_is_valid(input) && jv_get_kind(input) != JV_KIND_NULL;
        jv_free(input);
        if (!has_input) {
            jv_free(rec);
            *kind = EV_TUNE_MISSING_MESSAGES;
            return jv_invalid_with_msg(jv_string("no 'messages', and no 'input' to convert"));
        }
        jv ex = ev_to_chat(rec, system ? jv_string(system) : jv_null(), jv_null());
        jv_free(rec);
        *changed = true;
        if (!jv_is_valid(ex))
            *kind = EV_TUNE_MISSING_ASSISTANT;
        return ex;
    }
    if (system != NULL && jv_get_kind(msgs) == JV_KIND_ARRAY &&
        !has_role(jv_copy(msgs), "system")) {
        jv first = jv_object_set(jv_object(), jv_string("role"), jv_string("system"));
        first = jv_object_set(first, jv_string("content"), jv_string(system));
        msgs = jv_array_concat(jv_array_append(jv_array(), first), msgs);
        *changed = true;
    }
    jv ex = jv_object_set(jv_object(), jv_string("messages"), msgs);
    int kept = 1;
    for (size_t i = 0; i < COUNT(example_keys); i++) {
        jv v = field(rec, example_keys[i]);
        if (jv_is_valid(v)) {
            ex = jv_object_set(ex, jv_string(example_keys[i]), v);
            kept++;
        } else {
            jv_free(v);
        }
    }
    *changed = *changed || jv_object_length(jv_copy(rec)) != kept;
    jv_free(rec);
    return ex;
}

static jv
problem(jv list, enum ev_tune_problem kind, jv message)
{
    jv p = jv_array_append(jv_array_append(jv_array(), jv_number(kind)), message);
    return jv_array_append(list, p);
}

/* string_tokens returns the tokens of 'v' (consumed): a string's bytes, any
 * other value's compact JSON, nothing for null or absent. */
static double
string_tokens(jv v)
{
    double t = 0;
    if (jv_get_kind(v) == JV_KIND_STRING) {
        t = ev_tune_text_tokens((size_t)jv_string_length_bytes(jv_copy(v)));
    } else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
        jv s = jv_dump_string(jv_copy(v), 0);
        t = ev_tune_text_tokens(strlen(jv_string_value(s)));
        jv_free(s);
    }
    jv_free(v);
    return t;
}

/* check_message checks message 'k' (1-based) 'msg' (borrowed) and adds its
 * tokens to '*m'. */
static jv
check_message(jv list, jv msg, int k, ev_tune_measure *m)
{
    if (jv_get_kind(msg) != JV_KIND_OBJECT)
        return problem(list, EV_TUNE_MISSING_KEY,
                       jv_string_fmt("message %d is not an object with 'role' and 'content'", k));
    jv role = field(msg, "role");
    jv content = field(msg, "content");
    bool has_call = false;
    jv_object_foreach(msg, key, val)
    {
        const char *name = jv_string_value(key);
        if (!in(name, message_keys, COUNT(message_keys)))
            list = problem(list, EV_TUNE_UNRECOGNIZED_KEY,
                           jv_string_fmt("message %d has unrecognized key '%s'", k, name));
        if (strcmp(name, "function_call") == 0 || strcmp(name, "tool_calls") == 0) {
            has_call = has_call || jv_get_kind(val) != JV_KIND_NULL;
            m->tokens += string_tokens(jv_copy(val));
        } else if (strcmp(name, "name") == 0) {
            m->tokens += 1 + string_tokens(jv_copy(val));
        } else if (strcmp(name, "tool_call_id") == 0) {
            m->tokens += string_tokens(jv_copy(val));
        }
        jv_free(key);
        jv_free(val);
    }
    m->tokens += EV_TOKENS_PER_MESSAGE + string_tokens(jv_copy(role));
    double content_tokens = string_tokens(jv_copy(content));
    m->tokens += content_tokens;
    if (!jv_is_valid(role) || !jv_is_valid(content)) {
        list = problem(
            list, EV_TUNE_MISSING_KEY,
            jv_string_fmt("message %d has no '%s'", k, !jv_is_valid(role) ? "role" : "content"));
    }
    if (jv_is_valid(role)) {
        if (jv_get_kind(role) != JV_KIND_STRING ||
            !in(jv_string_value(role), roles, COUNT(roles))) {
            jv text = ev_record_text_of(jv_copy(role));
            list = problem(
                list, EV_TUNE_UNRECOGNIZED_ROLE,
                jv_string_fmt("message %d has unrecognized role '%s'", k, jv_string_value(text)));
            jv_free(text);
        } else {
            const char *r = jv_string_value(role);
            m->has_system = m->has_system || strcmp(r, "system") == 0;
            m->has_user = m->has_user || strcmp(r, "user") == 0;
            if (strcmp(r, "assistant") == 0)
                m->assistant_tokens += content_tokens;
        }
    }
    if (jv_is_valid(content)) {
        bool empty =
            jv_get_kind(content) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(content)) == 0;
        bool ok = jv_get_kind(content) == JV_KIND_STRING && !empty;
        if (has_call)
            ok = ok || empty || jv_get_kind(content) == JV_KIND_NULL;
        if (!ok)
            list = problem(list, EV_TUNE_MISSING_CONTENT,
                           jv_string_fmt(empty || jv_get_kind(content) == JV_KIND_NULL
                                             ? "message %d has empty content"
                                             : "message %d has content that is not a string",
                                         k));
    }
    jv_free(role);
    jv_free(content);
    return list;
}

static bool
is_assistant(jv msg)
{
    if (jv_get_kind(msg) != JV_KIND_OBJECT)
        return false;
    jv r = field(msg, "role");
    bool yes = jv_get_kind(r) == JV_KIND_STRING && strcmp(jv_string_value(r), "assistant") == 0;
    jv_free(r);
    return yes;
}

jv
ev_tune_check(jv ex, double max_tokens, ev_tune_measure *m)
{
    *m = (ev_tune_measure){0, 0, 0, false, false};
    jv list = jv_array();
    if (jv_get_kind(ex) != JV_KIND_OBJECT)
        return problem(list, EV_TUNE_DATA_TYPE, jv_string("record is not an object"));
    jv msgs = field(ex, "messages");
    if (jv_get_kind(msgs) != JV_KIND_ARRAY || jv_array_length(jv_copy(msgs)) == 0) {
        bool absent = !jv_is_valid(msgs);
        bool array = jv_get_kind(msgs) == JV_KIND_ARRAY;
        jv_free(msgs);
        return problem(list, EV_TUNE_MISSING_MESSAGES,
                       jv_string(absent  ? "no 'messages'"
                                 : array ? "'messages' is empty"
                                         : "'messages' is not an array"));
    }
    bool assistant = false;
    m->tokens = EV_TOKENS_PER_PROMPT;
    jv_array_foreach(msgs, i, msg)
    {
        list = check_message(list, msg, i + 1, m);
        assistant = assistant || is_assistant(msg);
        m->messages++;
        jv_free(msg);
    }
    jv_free(msgs);
    if (!assistant)
        list = problem(list, EV_TUNE_MISSING_ASSISTANT, jv_string("no assistant message"));
    if (m->tokens > max_tokens)
        list = problem(
            list, EV_TUNE_OVER_TOKEN_LIMIT,
            jv_string_fmt("about %.0f tokens, over the limit of %.0f", m->tokens, max_tokens));
    return list;
}

void
ev_tune_stats_init(ev_tune_stats *s, double max_tokens)
{
    memset(s, 0, sizeof(*s));
    s->max_tokens = max_tokens;
}

void
ev_tune_stats_add(ev_tune_stats *s, const ev_tune_measure *m)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->tokens = ev_alloc_resize(s->tokens, s->cap * sizeof(double));
        s->assistant = ev_alloc_resize(s->assistant, s->cap * sizeof(double));
        s->messages = ev_alloc_resize(s->messages, s->cap * sizeof(double));
    }
    s->tokens[s->n] = m->tokens;
    s->assistant[s->n] = m->assistant_tokens;
    s->messages[s->n] = m->messages;
    s->n++;
    s->missing_system += !m->has_system;
    s->missing_user += !m->has_user;
    s->over_limit += m->tokens > s->max_tokens;
    s->billing_tokens += m->tokens < s->max_tokens ? m->tokens : s->max_tokens;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* distribution sorts 'x' and returns {total, min, median, max}. */
static jv
distribution(double *x, size_t n)
{
    jv d = jv_object();
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += x[i];
    if (n > 0)
        qsort(x, n, sizeof(*x), cmp_double);
    d = jv_object_set(d, jv_string("total"), jv_number(total));
    d = jv_object_set(d, jv_string("min"), n ? jv_number(x[0]) : jv_null());
    d = jv_object_set(d, jv_string("median"),
                      n ? jv_number(ev_quantile_sorted(x, n, 0.5)) : jv_null());
    return jv_object_set(d, jv_string("max"), n ? jv_number(x[n - 1]) : jv_null());
}

jv
ev_tune_stats_json(ev_tune_stats *s)
{
    jv o = jv_object_set(jv_object(), jv_string("examples"), jv_number((double)s->n));
    o = jv_object_set(o, jv_string("tokens"), distribution(s->tokens, s->n));
    o = jv_object_set(o, jv_string("assistant_tokens"), distribution(s->assistant, s->n));
    jv msgs = distribution(s->messages, s->n);
    o = jv_object_set(o, jv_string("messages"), msgs);
    o = jv_object_set(o, jv_string("missing_system"), jv_number((double)s->missing_system));
    o = jv_object_set(o, jv_string("missing_user"), jv_number((double)s->missing_user));
    o = jv_object_set(o, jv_string("over_token_limit"), jv_number((double)s->over_limit));
    return jv_object_set(o, jv_string("billing_tokens"), jv_number(s->billing_tokens));
}

void
ev_tune_stats_free(ev_tune_stats *s)
{
    free(s->tokens);
    free(s->assistant);
    free(s->messages);
    memset(s, 0, sizeof(*s));
}

long
ev_tune_default_epochs(size_t n, const char **why)
{
    long epochs = TARGET_EPOCHS;
    const char *w = "default";
    if (n > 0 && n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
        long e = (long)(MIN_TARGET_EXAMPLES / n);
        epochs = e < MAX_DEFAULT_EPOCHS ? e : MAX_DEFAULT_EPOCHS;
        w = "raised";
    } else if (n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
        long e = (long)(MAX_TARGET_EXAMPLES / n);
        epochs = e > MIN_DEFAULT_EPOCHS ? e : MIN_DEFAULT_EPOCHS;
        w = "lowered";
    }
    if (why != NULL)
        *why = w;
    return epochs;
}
