#include "scorebox.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jqprog.h"
#include "json.h"
#include "metric.h"
#include "pattern.h"

struct ev_scorebox {
    ev_sandbox_budget budget;
    ev_sandbox *sandbox; /* made on the first request */
    ev_jqprog *jq;       /* the worker's; in ev-score itself it stays empty */
};

ev_scorebox *
ev_scorebox_new(ev_sandbox_budget budget)
{
    ev_scorebox *b = ev_alloc_zero(1, sizeof(*b));
    b->budget = budget;
    b->jq = ev_jqprog_new();
    return b;
}

void
ev_scorebox_free(ev_scorebox *b)
{
    if (b == NULL)
        return;
    ev_sandbox_free(b->sandbox);
    ev_jqprog_free(b->jq);
    free(b);
}

/* regex_match matches, in the worker, a text with a pattern that ev-score
 * has accepted already: {"match": bool}. */
static jv
regex_match(jv pattern, jv text)
{
    jv err = jv_invalid();
    ev_pattern *p = ev_pattern_new(jv_string_value(pattern), &err);
    bool match = p != NULL && ev_pattern_match(p, jv_string_value(text));
    ev_pattern_free(p);
    jv_free(err);
    jv_free(pattern);
    jv_free(text);
    return jv_object_set(jv_object(), jv_string("match"), jv_bool(match));
}

/* serve answers a request in the worker: {"op": "jq", "program", "input"}
 * (no input: compile only), {"op": "regex", "pattern", "text"} or {"op":
 * "similar", "a", "b"} (the similarity: {"value": number}). */
static jv
serve(void *state, jv req)
{
    ev_scorebox *b = state;
    jv op = ev_json_field(req, "op");
    const char *o = ev_json_str(op, "");
    jv a = jv_invalid(), c = jv_invalid(), reply;
    const char *ka = "program", *kc = "input";
    if (strcmp(o, "regex") == 0) {
        ka = "pattern";
        kc = "text";
    } else if (strcmp(o, "similar") == 0) {
        ka = "a";
        kc = "b";
    }
    a = ev_json_field(req, ka);
    c = ev_json_field(req, kc);
    if (jv_get_kind(a) != JV_KIND_STRING ||
        (strcmp(o, "jq") != 0 && jv_get_kind(c) != JV_KIND_STRING)) {
        reply = jv_object_set(jv_object(), jv_string("error"), jv_string("bad request"));
        jv_free(a);
        jv_free(c);
    } else if (strcmp(o, "jq") == 0) {
        reply = ev_jqprog_run(b->jq, a, c);
    } else if (strcmp(o, "regex") == 0) {
        reply = regex_match(a, c);
    } else {
        double d = ev_metric_similarity(jv_string_value(a), jv_string_value(c));
        reply = jv_object_set(jv_object(), jv_string("value"), jv_number(d));
        jv_free(a);
        jv_free(c);
    }
    jv_free(op);
    jv_free(req);
    return reply;
}

/* call sends {"op": 'op', 'ka': 'a', 'kc': 'c'} ('c' left out when
 * invalid) and returns the reply. */
static jv
call(ev_scorebox *b, const char *op, const char *ka, jv a, const char *kc, jv c, double *cpu_left,
     ev_sandbox_over *over)
{
    if (b->sandbox == NULL)
        b->sandbox = ev_sandbox_new(serve, b, b->budget);
    jv req = ev_json_set(jv_object(), "op", jv_string(op));
    req = ev_json_set(req, ka, a);
    if (jv_is_valid(c))
        req = ev_json_set(req, kc, c);
    else
        jv_free(c);
    return ev_sandbox_call(b->sandbox, req, cpu_left, over);
}

jv
ev_scorebox_jq(ev_scorebox *b, jv program, jv input, double *cpu_left, ev_sandbox_over *over)
{
    return call(b, "jq", "program", program, "input", input, cpu_left, over);
}

jv
ev_scorebox_regex(ev_scorebox *b, jv pattern, jv text, double *cpu_left, ev_sandbox_over *over)
{
    jv reply = call(b, "regex", "pattern", pattern, "text", text, cpu_left, over);
    if (!jv_is_valid(reply))
        return reply;
    jv match = ev_json_field(reply, "match");
    bool yes = jv_get_kind(match) == JV_KIND_TRUE;
    jv_free(match);
    jv_free(reply);
    return jv_bool(yes);
}

jv
ev_scorebox_similar(ev_scorebox *b, jv a, jv c, double *cpu_left, ev_sandbox_over *over)
{
    jv reply = call(b, "similar", "a", a, "b", c, cpu_left, over);
    if (!jv_is_valid(reply))
        return reply;
    double d = ev_json_number(reply, "value");
    jv_free(reply);
    return jv_number(isnan(d) ? 0 : d);
}
