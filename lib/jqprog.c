#include "jqprog.h"

#include <jq.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "memo.h"
#include "reason.h"
#include "record.h"
#include "sandbox.h"

#define MAX_CACHED_JQ 64

struct ev_jqprog {
    ev_memo *programs; /* jq_state *, by the program's text */
    jv error;          /* the first message of the compile in progress */
};

static void
release_jq(void *p)
{
    jq_state *jq = p;
    jq_teardown(&jq);
}

ev_jqprog *
ev_jqprog_new(void)
{
    ev_jqprog *j = ev_alloc_zero(1, sizeof(*j));
    j->programs = ev_memo_new(MAX_CACHED_JQ, release_jq);
    j->error = jv_null();
    return j;
}

void
ev_jqprog_free(ev_jqprog *j)
{
    if (j == NULL)
        return;
    ev_memo_free(j->programs);
    jv_free(j->error);
    free(j);
}

/* jq reports compile errors through this callback; the first one is the
 * message worth showing, the rest ("jq: 1 compile error") are not. */
static void
keep_first_error(void *data, jv msg)
{
    jv *first = data;
    if (jv_get_kind(*first) == JV_KIND_NULL && jv_get_kind(msg) == JV_KIND_STRING) {
        *first = msg;
        return;
    }
    jv_free(msg);
}

/* jq_message turns "jq: error: syntax error, ... at <top-level>, line 1:\n..."
 * into "syntax error, ...". */
static jv
jq_message(jv msg)
{
    if (jv_get_kind(msg) != JV_KIND_STRING) {
        jv_free(msg);
        return jv_string("unknown error");
    }
    const char *m = jv_string_value(msg);
    if (strncmp(m, "jq: error: ", 11) == 0)
        m += 11;
    size_t n = strcspn(m, "\n");
    const char *at = strstr(m, " at <top-level>");
    if (at != NULL && (size_t)(at - m) < n)
        n = (size_t)(at - m);
    jv out = jv_string_sized(m, (int)n);
    jv_free(msg);
    return out;
}

/* uses_modules says whether the jq program 'p' starts with a module
 * directive: 'module', 'import' or 'include', which jq 1.6 allows nowhere
 * else, after blanks and comments only. A module is a file, and an import
 * names where to look for it ({search: "/etc"}), so none is allowed. */
static bool
uses_modules(const char *p)
{
    for (;;) {
        p += strspn(p, " \t\n");
        if (*p != '#')
            break;
        p += strcspn(p, "\r\n");
    }
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    const char *directives[] = {"module", "import", "include"};
    for (size_t i = 0; i < 3; i++)
        if (n == strlen(directives[i]) && strncmp(p, directives[i], n) == 0)
            return true;
    return false;
}

static void
out_of_memory(void *unused)
{
    (void)unused;
    _exit(EV_SANDBOX_EXIT_NOMEM);
}

/* no_input is jq's input callback: there is no input but the record, so
 * 'input' fails and 'inputs' gives nothing. */
static jv
no_input(jq_state *jq, void *unused)
{
    (void)jq;
    (void)unused;
    return jv_invalid();
}

/* no_debug is jq's debug callback: what 'debug' shows goes nowhere. */
static void
no_debug(void *unused, jv msg)
{
    (void)unused;
    jv_free(msg);
}

/* compiled returns the compiled 'program', kept or compiled now ('*own'
 * then says the caller tears it down), or NULL with '*why' set to jq's
 * message. */
static jq_state *
compiled(ev_jqprog *j, const char *program, bool *own, jv *why)
{
    jq_state *jq = ev_memo_get(j->programs, program);
    *own = false;
    if (jq != NULL)
        return jq;
    if (uses_modules(program)) {
        *why = jv_string("jq modules ('module', 'import', 'include') are not available");
        return NULL;
    }
    if ((jq = jq_init()) == NULL)
        _exit(EV_SANDBOX_EXIT_NOMEM);
    /* libjq 1.6's jq_init leaves these callbacks uninitialised: 'input' or
     * 'debug' would call through whatever the memory held. */
    jq_set_input_cb(jq, no_input, NULL);
    jq_set_debug_cb(jq, no_debug, NULL);
    jq_set_nomem_handler(jq, out_of_memory, NULL);
    jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
    jv_free(j->error);
    j->error = jv_null();
    jq_set_error_cb(jq, keep_first_error, &j->error);
    if (!jq_compile(jq, program)) {
        *why = jq_message(j->error);
        j->error = jv_null();
        jq_teardown(&jq);
        return NULL;
    }
    *own = !ev_memo_put(j->programs, program, jq);
    return jq;
}

/* failure_of returns the message of 'v' (borrowed) when it is an error, or
 * invalid. libjq 1.6 asserts when asked for the message of a valid value. */
static jv
failure_of(jv v)
{
    if (jv_is_valid(v) || !jv_invalid_has_msg(jv_copy(v)))
        return jv_invalid();
    return jv_invalid_get_msg(jv_copy(v));
}

/* reply_text cuts the text 't' (consumed) for a reply. */
static jv
reply_text(jv t)
{
    if (jv_string_length_bytes(jv_copy(t)) <= EV_JQPROG_TEXT_MAX)
        return t;
    jv cut = jv_string_sized(jv_string_value(t), EV_JQPROG_TEXT_MAX);
    jv_free(t);
    return cut;
}

jv
ev_jqprog_run(ev_jqprog *j, jv program, jv input)
{
    bool own;
    jv why = jv_invalid();
    jq_state *jq = compiled(j, jv_string_value(program), &own, &why);
    jv reply = jv_object();
    if (jq == NULL) {
        reply = jv_object_set(reply, jv_string("compile"), why);
    } else if (jv_is_valid(input)) {
        jq_start(jq, input, 0);
        input = jv_invalid();
        jv r = jq_next(jq);
        jv more = jv_is_valid(r) ? jq_next(jq) : jv_invalid();
        jv failure = failure_of(r);
        if (!jv_is_valid(failure)) {
            jv_free(failure);
            failure = failure_of(more);
        }
        jv_kind k = jv_get_kind(r);
        if (jv_is_valid(failure)) {
            reply =
                jv_object_set(reply, jv_string("error"), reply_text(ev_record_text_of(failure)));
        } else if (jv_is_valid(r)) {
            bool plain = k == JV_KIND_TRUE || k == JV_KIND_FALSE || k == JV_KIND_NUMBER;
            char buf[EV_REASON_SHOW_SIZE];
            reply = jv_object_set(reply, jv_string(plain ? "result" : "shown"),
                                  plain ? jv_copy(r) : jv_string(ev_reason_show(r, buf)));
            reply = jv_object_set(reply, jv_string("more"), jv_bool(jv_is_valid(more)));
        } else if (jq_halted(jq)) {
            reply = jv_object_set(reply, jv_string("halted"), jv_true());
        }
        jv_free(r);
        jv_free(more);
    }
    if (own)
        jq_teardown(&jq);
    jv_free(input);
    jv_free(program);
    return reply;
}
