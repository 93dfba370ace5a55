#include "score.h"

#include <float.h>
#include <jq.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coproc.h"
#include "extract.h"
#include "metric.h"
#include "record.h"
#include "text.h"

#define QUOTE_MAX 40 /* bytes of a text quoted in a reason or a message */

/* Bounds on what is compiled once and kept for the run. Past them a regex or
 * jq program is compiled for the one record and thrown away; cmd scorers are
 * processes, so past their bound a record's assert is refused. */
#define MAX_CACHED_REGEX 1024
#define MAX_CACHED_JQ 64
#define MAX_CMD 16

enum kind {
    K_CHOICE,
    K_CMD,
    K_CONTAINS,
    K_EXACT,
    K_F1,
    K_ICONTAINS,
    K_JQ,
    K_JSON,
    K_JSON_SUBSET,
    K_NUMBER,
    K_REGEX,
    K_SIMILAR,
    K_STARTS_WITH,
};

/* What the ":VALUE" of a SPEC means. */
enum role {
    V_ANSWER,  /* the answer to compare with, in place of 'expected' */
    V_LIMIT,   /* a tolerance or threshold; 'expected' is the answer */
    V_PROGRAM, /* a jq program or shell command; required */
};

static const struct kind_info {
    const char *name;
    enum kind kind;
    enum role role;
    double lo, hi, deflt; /* the range and default of a V_LIMIT */
} kinds[] = {
    {"choice", K_CHOICE, V_ANSWER, 0, 0, 0},
    {"cmd", K_CMD, V_PROGRAM, 0, 0, 0},
    {"contains", K_CONTAINS, V_ANSWER, 0, 0, 0},
    {"exact", K_EXACT, V_ANSWER, 0, 0, 0},
    {"f1", K_F1, V_LIMIT, 0, 1, 0.5},
    {"icontains", K_ICONTAINS, V_ANSWER, 0, 0, 0},
    {"jq", K_JQ, V_PROGRAM, 0, 0, 0},
    {"json", K_JSON, V_ANSWER, 0, 0, 0},
    {"json-subset", K_JSON_SUBSET, V_ANSWER, 0, 0, 0},
    {"number", K_NUMBER, V_LIMIT, 0, DBL_MAX, 1e-9},
    {"regex", K_REGEX, V_ANSWER, 0, 0, 0},
    {"similar", K_SIMILAR, V_LIMIT, 0, 1, 0.8},
    {"starts-with", K_STARTS_WITH, V_ANSWER, 0, 0, 0},
};

/* One assertion, compiled. */
typedef struct item {
    const struct kind_info *info;
    bool negate;
    bool limit_given;
    double limit;
    double weight;
    jv answer;          /* the V_ANSWER value, or invalid to use 'expected' */
    jv name;            /* the assertion as written */
    regex_t *re;        /* the compiled V_ANSWER of a regex */
    bool own_re;        /* 're' is this item's, not the cache's */
    jq_state *jq;       /* the compiled program of a jq assertion */
    bool own_jq;        /* 'jq' is this item's, not the cache's */
    ev_coproc *proc;    /* the process of a cmd assertion, the cache's */
} item;

/* A whole scorer: one assertion, or a list that passes when all pass. */
typedef struct plan {
    item *items;
    int n;
    jv name;
} plan;

/* Things compiled or started once per distinct key and kept for the run. */
typedef struct cache {
    jv index; /* object: key -> position in 'items' */
    void **items;
    int n, cap, max;
    void (*release)(void *);
} cache;

struct ev_scoring {
    ev_score_opts opts;
    plan dflt;
    cache regexes, programs, procs;
    jv jq_error; /* the first message of the jq compile in progress */
    /* Keys and texts made once, so that scoring a record costs few allocations. */
    jv k_assert, k_error, k_expected, k_output, k_pass, k_reason, k_scorer, k_value;
    jv exact_match;
};

/* The outcome of one assertion on one record. */
typedef struct verdict {
    bool pass;
    double value;
    jv reason;
    bool final; /* "no output": not flipped by not- */
} verdict;

/* What one record offers the assertions, fetched on first use. */
typedef struct ctx {
    ev_scoring *s;
    jv rec;      /* borrowed */
    jv out;      /* 'output', or invalid when absent or null */
    jv text;     /* 'output' as text, or invalid until asked for */
    jv expected; /* the expected answer, invalid when absent or null */
    bool fetched;
} ctx;

static void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

/* --- reasons and messages ---------------------------------------------- */

/* quote_len returns how many bytes of 's' to quote, at most QUOTE_MAX and on
 * a UTF-8 boundary, and sets '*dots' to "..." when that cuts 's' short. */
static int
quote_len(const char *s, const char **dots)
{
    size_t n = strnlen(s, QUOTE_MAX + 1);
    *dots = "";
    if (n <= QUOTE_MAX)
        return (int)n;
    n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    *dots = "...";
    return (int)n;
}

/* fmt formats a short reason or message. Quoted texts are cut to QUOTE_MAX,
 * so the buffer always holds it. */
static jv fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static jv
fmt(const char *f, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof(buf), f, ap);
    va_end(ap);
    return jv_string(buf);
}

#define Q(s, dots) quote_len((s), &(dots)), (s), (dots)

static jv
error_fmt(jv msg)
{
    return jv_invalid_with_msg(msg);
}

/* shown returns 'v' (borrowed) as a reason shows it: a string in quotes, any
 * other value as JSON, both cut short. */
static jv
shown(jv v)
{
    const char *dots;
    if (jv_get_kind(v) == JV_KIND_STRING)
        return fmt("'%.*s%s'", Q(jv_string_value(v), dots));
    jv j = jv_dump_string(jv_copy(v), 0);
    jv out = fmt("%.*s%s", Q(jv_string_value(j), dots));
    jv_free(j);
    return out;
}

static const char *
plural(int n)
{
    return n == 1 ? "" : "s";
}

/* others_text is " or N others" for the wording of a failed any-of. */
static jv
others_text(int others)
{
    return others > 0 ? fmt(" or %d other%s", others, plural(others)) : jv_string("");
}

/* --- the cache ----------------------------------------------------------- */

static void
cache_init(cache *c, int max, void (*release)(void *))
{
    c->index = jv_object();
    c->items = NULL;
    c->n = c->cap = 0;
    c->max = max;
    c->release = release;
}

static void *
cache_get(cache *c, const char *key)
{
    jv i = jv_object_get(jv_copy(c->index), jv_string(key));
    void *found = jv_is_valid(i) ? c->items[(int)jv_number_value(i)] : NULL;
    jv_free(i);
    return found;
}

/* cache_put keeps 'thing' under 'key' and returns true, or returns false when
 * the cache is full and the caller still owns 'thing'. */
static bool
cache_put(cache *c, const char *key, void *thing)
{
    if (c->n == c->max)
        return false;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->items = xrealloc(c->items, (size_t)c->cap * sizeof(void *));
    }
    c->index = jv_object_set(c->index, jv_string(key), jv_number(c->n));
    c->items[c->n++] = thing;
    return true;
}

static void
cache_free(cache *c)
{
    for (int i = 0; i < c->n; i++)
        c->release(c->items[i]);
    free(c->items);
    jv_free(c->index);
}

static void
release_regex(void *p)
{
    regfree(p);
    free(p);
}

static void
release_jq(void *p)
{
    jq_state *jq = p;
    jq_teardown(&jq);
}

static void
release_proc(void *p)
{
    ev_coproc_close(p);
}

/* --- compiling ----------------------------------------------------------- */

static bool
compile_regex(ev_scoring *s, const char *pattern, regex_t **out, bool *own, jv *err)
{
    regex_t *re = cache_get(&s->regexes, pattern);
    if (re != NULL) {
        *out = re;
        *own = false;
        return true;
    }
    re = xrealloc(NULL, sizeof(*re));
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        const char *dots;
        regerror(rc, re, why, sizeof(why));
        free(re);
        *err = error_fmt(fmt("bad regex '%.*s%s': %s", Q(pattern, dots), why));
        return false;
    }
    *own = !cache_put(&s->regexes, pattern, re);
    *out = re;
    return true;
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

static jq_state *
compile_jq(ev_scoring *s, const char *program, bool *own, jv *err)
{
    jq_state *jq = cache_get(&s->programs, program);
    if (jq != NULL) {
        *own = false;
        return jq;
    }
    if ((jq = jq_init()) == NULL)
        abort();
    jv_free(s->jq_error);
    s->jq_error = jv_null();
    jq_set_error_cb(jq, keep_first_error, &s->jq_error);
    if (!jq_compile(jq, program)) {
        jv why = jq_message(s->jq_error);
        const char *dots;
        s->jq_error = jv_null();
        *err = error_fmt(fmt("cannot compile jq program '%.*s%s': %s", Q(program, dots),
                             jv_string_value(why)));
        jv_free(why);
        jq_teardown(&jq);
        return NULL;
    }
    *own = !cache_put(&s->programs, program, jq);
    return jq;
}

static ev_coproc *
start_cmd(ev_scoring *s, const char *command, jv *err)
{
    ev_coproc *p = cache_get(&s->procs, command);
    if (p != NULL)
        return p;
    if (s->procs.n == s->procs.max) {
        *err = error_fmt(fmt("too many distinct cmd scorers (at most %d)", MAX_CMD));
        return NULL;
    }
    if ((p = ev_coproc_start(command, err)) == NULL)
        return NULL;
    cache_put(&s->procs, command, p);
    return p;
}

static void
item_free(item *it)
{
    jv_free(it->answer);
    jv_free(it->name);
    if (it->own_re)
        release_regex(it->re);
    if (it->own_jq)
        jq_teardown(&it->jq);
}

static void
plan_free(plan *p)
{
    for (int i = 0; i < p->n; i++)
        item_free(&p->items[i]);
    free(p->items);
    jv_free(p->name);
    p->items = NULL;
    p->n = 0;
    p->name = jv_invalid();
}

static const struct kind_info *
find_kind(const char *type, size_t len)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strlen(kinds[i].name) == len && strncmp(kinds[i].name, type, len) == 0)
            return &kinds[i];
    }
    return NULL;
}

/* compile_limit reads a V_LIMIT value: a number, or a string holding one. */
static bool
compile_limit(item *it, jv value, jv *err)
{
    const struct kind_info *k = it->info;
    double d = NAN;
    bool ok = false;
    if (jv_get_kind(value) == JV_KIND_NUMBER) {
        d = jv_number_value(value);
        ok = isfinite(d) && d >= k->lo && d <= k->hi;
    } else if (jv_get_kind(value) == JV_KIND_STRING) {
        ok = ev_parse_double(jv_string_value(value), k->lo, k->hi, &d);
    }
    if (!ok) {
        jv what = shown(value);
        if (k->kind == K_NUMBER)
            *err = error_fmt(fmt("'number' needs a tolerance of 0 or more, not %s",
                                 jv_string_value(what)));
        else
            *err = error_fmt(fmt("'%s' needs a threshold in [0, 1], not %s", k->name,
                                 jv_string_value(what)));
        jv_free(what);
        return false;
    }
    it->limit = d;
    it->limit_given = true;
    return true;
}

static bool
compile_program(ev_scoring *s, item *it, jv value, jv *err)
{
    const char *what = it->info->kind == K_JQ ? "program" : "command";
    if (jv_get_kind(value) != JV_KIND_STRING || jv_string_value(value)[0] == '\0') {
        *err = error_fmt(fmt("'%s' needs a %s after ':'", it->info->name, what));
        return false;
    }
    if (it->info->kind == K_JQ)
        it->jq = compile_jq(s, jv_string_value(value), &it->own_jq, err);
    else
        it->proc = start_cmd(s, jv_string_value(value), err);
    return it->jq != NULL || it->proc != NULL;
}

/* compile_item builds 'it' from a type (with its not- prefix), its value
 * (consumed; invalid when none was given) and a weight. 'it->name' must be
 * set already. */
static bool
compile_item(ev_scoring *s, const char *type, size_t len, jv value, item *it, jv *err)
{
    it->negate = len > 4 && strncmp(type, "not-", 4) == 0;
    if (it->negate) {
        type += 4;
        len -= 4;
    }
    it->info = find_kind(type, len);
    if (it->info == NULL) {
        *err = error_fmt(fmt("unknown scorer type '%.*s'", (int)(len < 60 ? len : 60), type));
        jv_free(value);
        return false;
    }
    it->limit = it->info->deflt;
    bool ok = true;
    if (it->info->role == V_PROGRAM) {
        ok = compile_program(s, it, jv_copy(value), err);
    } else if (!jv_is_valid(value)) {
        /* 'expected' is the answer, and the limit keeps its default. */
    } else if (it->info->role == V_LIMIT) {
        ok = compile_limit(it, jv_copy(value), err);
    } else if (it->info->kind == K_REGEX) {
        ok = jv_get_kind(value) == JV_KIND_STRING;
        if (!ok)
            *err = error_fmt(jv_string("'regex' needs a pattern string"));
        else
            ok = compile_regex(s, jv_string_value(value), &it->re, &it->own_re, err);
        it->answer = jv_copy(value);
    } else {
        it->answer = jv_copy(value);
    }
    jv_free(value);
    return ok;
}

static bool
compile_string(ev_scoring *s, jv spec, item *it, jv *err)
{
    const char *text = jv_string_value(spec);
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    jv value = colon ? jv_string(colon + 1) : jv_invalid();
    it->name = jv_copy(spec);
    bool ok = compile_item(s, text, len, value, it, err);
    jv_free(spec);
    return ok;
}

/* compile_object builds an item from {"type", "value", "weight"}. Its name is
 * the SPEC string it stands for: "type:value", the value as text. */
static bool
compile_object(ev_scoring *s, jv obj, item *it, jv *err)
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
            it->weight = jv_number_value(val);
        } else if (jv_is_valid(type) || strcmp(k, "type") != 0) {
            const char *dots;
            *err = error_fmt(strcmp(k, "weight") == 0
                                 ? jv_string("'weight' must be a number of 0 or more")
                                 : fmt("unknown key '%.*s%s' in an assertion", Q(k, dots)));
            jv_free(key);
            jv_free(val);
            goto done;
        }
        jv_free(key);
        jv_free(val);
    }
    if (!jv_is_valid(type)) {
        *err = error_fmt(jv_string("an assertion object needs a string 'type'"));
    } else if (!jv_is_valid(value)) {
        jv copy = jv_copy(type);
        ok = compile_string(s, copy, it, err);
    } else {
        jv text = ev_text_of(jv_copy(value));
        it->name = fmt("%s:%s", jv_string_value(type), jv_string_value(text));
        if (strlen(jv_string_value(type)) + 1 + strlen(jv_string_value(text)) >= 1023) {
            jv_free(it->name);
            it->name = jv_string_concat(jv_string_fmt("%s:", jv_string_value(type)), text);
        } else {
            jv_free(text);
        }
        ok = compile_item(s, jv_string_value(type), strlen(jv_string_value(type)),
                          jv_copy(value), it, err);
    }
done:
    jv_free(type);
    jv_free(value);
    jv_free(obj);
    return ok;
}

static bool
compile_one(ev_scoring *s, jv a, item *it, jv *err)
{
    memset(it, 0, sizeof(*it));
    it->answer = jv_invalid();
    it->name = jv_invalid();
    it->weight = 1;
    if (jv_get_kind(a) == JV_KIND_STRING)
        return compile_string(s, a, it, err);
    if (jv_get_kind(a) == JV_KIND_OBJECT)
        return compile_object(s, a, it, err);
    jv_free(a);
    *err = error_fmt(jv_string("an assertion must be a SPEC string or an object"));
    return false;
}

/* compile_plan compiles 'a' (consumed): a SPEC string, an object, or a list
 * of them. On failure '*p' is empty and '*err' says why. */
static bool
compile_plan(ev_scoring *s, jv a, plan *p, jv *err)
{
    p->items = NULL;
    p->n = 0;
    p->name = jv_invalid();
    if (jv_get_kind(a) != JV_KIND_ARRAY) {
        p->items = xrealloc(NULL, sizeof(item));
        if (!compile_one(s, a, &p->items[0], err)) {
            item_free(&p->items[0]);
            plan_free(p);
            return false;
        }
        p->n = 1;
        p->name = jv_copy(p->items[0].name);
        return true;
    }
    int n = jv_array_length(jv_copy(a));
    if (n == 0) {
        jv_free(a);
        *err = error_fmt(jv_string("an assertion list is empty"));
        return false;
    }
    p->items = xrealloc(NULL, (size_t)n * sizeof(item));
    p->name = jv_string("");
    jv_array_foreach(a, i, one)
    {
        if (jv_get_kind(one) == JV_KIND_ARRAY) {
            jv_free(one);
            *err = error_fmt(jv_string("an assertion list holds another list"));
        } else if (compile_one(s, one, &p->items[i], err)) {
            if (i > 0)
                p->name = jv_string_append_str(p->name, " & ");
            p->name = jv_string_concat(p->name, jv_copy(p->items[i].name));
            p->n++;
            continue;
        } else {
            item_free(&p->items[i]);
        }
        jv_free(a);
        plan_free(p);
        return false;
    }
    jv_free(a);
    return true;
}

/* --- the record's side --------------------------------------------------- */

static void
ctx_init(ctx *c, ev_scoring *s, jv rec)
{
    c->s = s;
    c->rec = rec;
    c->out = jv_object_get(jv_copy(rec), jv_copy(s->k_output));
    if (jv_get_kind(c->out) == JV_KIND_NULL) {
        jv_free(c->out);
        c->out = jv_invalid();
    }
    c->text = jv_invalid();
    c->expected = jv_invalid();
    c->fetched = false;
}

static void
ctx_free(ctx *c)
{
    jv_free(c->out);
    jv_free(c->text);
    jv_free(c->expected);
}

static const char *
out_text(ctx *c)
{
    if (!jv_is_valid(c->text))
        c->text = ev_text_of(jv_copy(c->out));
    return jv_string_value(c->text);
}

/* expected returns the record's expected answer, or invalid when it has none. */
static jv
expected(ctx *c)
{
    if (!c->fetched) {
        c->fetched = true;
        c->expected = jv_object_get(jv_copy(c->rec), jv_copy(c->s->k_expected));
        if (!jv_is_valid(c->expected))
            c->expected = ev_rec_expected(c->rec);
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
typedef bool (*score_fn)(const item *it, ctx *c, jv want, int others, verdict *v, jv *err);

static void
binary(verdict *v, bool pass, jv reason)
{
    v->pass = pass;
    v->value = pass ? 1 : 0;
    v->reason = reason;
}

/* text_of_want is the text form of an answer: a string as it is, any other
 * value as JSON. */
static jv
text_of_want(jv want)
{
    return ev_text_of(jv_copy(want));
}

