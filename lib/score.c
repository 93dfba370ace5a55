#include "score.h"

#include <ctype.h>
#include <float.h>
#include <jq.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "coproc.h"
#include "diag.h"
#include "extract.h"
#include "judge.h"
#include "metric.h"
#include "record.h"
#include "sandbox.h"
#include "text.h"

#define QUOTE_MAX 40 /* bytes of a text quoted in a reason or a message */

/* Bounds on what is compiled once and kept for the run. Past them a regex or
 * jq program is compiled for the one record and thrown away; cmd scorers are
 * processes, so past their bound a record's assert is refused. */
#define MAX_CACHED_REGEX 1024
#define MAX_CACHED_JQ 64
#define MAX_KNOWN_JQ 1024 /* texts of programs known to compile */
#define MAX_CMD 16

/* Work cheaper than this runs in ev-score itself; dearer work runs in the
 * sandbox, under the record's budget (sandbox.h). glibc's regexec takes
 * time that grows with the square of the text's length times the pattern's
 * pieces (a text of 100,000 bytes can take minutes), and 'similar' with the
 * product of the two lengths. Both bounds stand for some 10 ms at worst. */
#define INLINE_REGEX_COST 1e9
#define INLINE_SIMILAR_CELLS 4e6

enum kind {
    K_CHOICE,
    K_CMD,
    K_CONTAINS,
    K_EXACT,
    K_F1,
    K_ICONTAINS,
    K_JQ,
    K_JUDGE,
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
    V_RUBRIC,  /* a judge's criterion; none: the run's rubric */
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
    {"judge", K_JUDGE, V_RUBRIC, 0, 0, 0},
    {"json", K_JSON, V_ANSWER, 0, 0, 0},
    {"json-subset", K_JSON_SUBSET, V_ANSWER, 0, 0, 0},
    {"number", K_NUMBER, V_LIMIT, 0, DBL_MAX, 1e-9},
    {"regex", K_REGEX, V_ANSWER, 0, 0, 0},
    {"similar", K_SIMILAR, V_LIMIT, 0, 1, 0.8},
    {"starts-with", K_STARTS_WITH, V_ANSWER, 0, 0, 0},
};

/* A regular expression, compiled, and its pieces once its repetitions are
 * written out, which say what matching it may cost. */
typedef struct pattern {
    regex_t re;
    double pieces;
} pattern;

/* One assertion, compiled. */
typedef struct item {
    const struct kind_info *info;
    bool negate;
    bool limit_given;
    double limit;
    double weight;
    jv answer;               /* the V_ANSWER value, or invalid to use 'expected';
                              * the program of a jq or cmd assertion */
    jv name;                 /* the assertion as written */
    pattern *re;             /* the compiled V_ANSWER of a regex */
    bool own_re;             /* 're' is this item's, not the cache's */
    ev_coproc *proc;         /* the process of a cmd assertion, the cache's */
    const ev_rubric *rubric; /* a judge's rubric */
    ev_rubric *own_rubric;   /* 'rubric' when it is this item's */
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

/* What the sandbox keeps, in its own copy: the jq programs it has compiled,
 * by their text. In ev-score itself it stays empty. */
typedef struct worker {
    cache programs;
    jv jq_error; /* the first message of the jq compile in progress */
} worker;

struct ev_scoring {
    ev_score_opts opts;
    plan dflt;
    cache regexes, procs;
    jv compiled;         /* the jq programs known to compile: text -> true */
    bool untrusted;      /* a record's own 'assert' is being compiled */
    ev_sandbox *sandbox; /* started for the first jq program or dear match */
    worker worker;
    /* Keys and texts made once, so that scoring a record costs few allocations. */
    jv k_assert, k_error, k_expected, k_output, k_pass, k_reason, k_scorer, k_value;
    jv exact_match;
};

/* The outcome of one assertion on one record. */
typedef struct verdict {
    bool pass;
    double value;
    jv reason;
    bool final;      /* "no output": not flipped by not- */
    bool unparsed;   /* the scorer could not read the output (no number, no
                      * choice letter, invalid JSON): score.parsed is false */
    jv label, judge; /* a judge's verdict: its label and score.judge */
} verdict;

static void binary(verdict *v, bool pass, jv reason);

/* What one record offers the assertions, fetched on first use. */
typedef struct ctx {
    ev_scoring *s;
    jv rec;      /* borrowed */
    jv out;      /* 'output', or invalid when absent or null */
    jv text;     /* 'output' as text, or invalid until asked for */
    jv expected; /* the expected answer, invalid when absent or null */
    bool fetched;
    jv judged; /* the judges' answers, one array of samples per judge item */
    int next_judged;
    jv warning;      /* why the record failed, for the user to hear, or invalid */
    double cpu_left; /* of the record's CPU budget */
} ctx;

/* --- reasons and messages ---------------------------------------------- */

/* A buffer for clip: a text cut to QUOTE_MAX bytes, each of which may be
 * written as two, and "...". */
#define CLIP_SIZE (2 * QUOTE_MAX + 4)

/* clip_to copies at most 'max' bytes of 's' into 'buf' (of 'size' >= 2 * max
 * + 4 bytes), cut on a UTF-8 boundary and marked with "..." when cut, and
 * returns 'buf'. Newlines, tabs and carriage returns are written \n, \t and
 * \r, other control characters '?', so a reason stays on one line and shows
 * the white space that made a difference. */
static const char *
clip_to(const char *s, size_t max, char *buf, size_t size)
{
    size_t n = strnlen(s, max + 1);
    const char *dots = "";
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        dots = "...";
    }
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
        if (esc != NULL) {
            buf[o++] = esc[0];
            buf[o++] = esc[1];
        } else {
            buf[o++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
        }
    }
    snprintf(buf + o, size - o, "%s", dots);
    return buf;
}

/* clip cuts a text under review, or a name, for quoting in a reason. */
static const char *
clip(const char *s, char buf[CLIP_SIZE])
{
    return clip_to(s, QUOTE_MAX, buf, CLIP_SIZE);
}

/* fmt formats a reason or a message. Everything it quotes is cut short, so
 * the buffer holds it. */
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

/* A buffer for show: a clipped text and its quotes. */
#define SHOW_SIZE (CLIP_SIZE + 2)

/* show writes 'v' (borrowed) into 'buf' as a reason shows it: a string in
 * single quotes, any other value as JSON, both cut short. */
static const char *
show(jv v, char buf[SHOW_SIZE])
{
    char c[CLIP_SIZE];
    if (jv_get_kind(v) == JV_KIND_STRING) {
        snprintf(buf, SHOW_SIZE, "'%s'", clip(jv_string_value(v), c));
    } else {
        jv j = jv_dump_string(jv_copy(v), 0);
        snprintf(buf, SHOW_SIZE, "%s", clip(jv_string_value(j), c));
        jv_free(j);
    }
    return buf;
}

static const char *
plural(int n)
{
    return n == 1 ? "" : "s";
}

/* others_str words the other accepted answers of a failed any-of: " or 2
 * others". */
static const char *
others_str(int others, char buf[32])
{
    if (others == 0)
        return "";
    snprintf(buf, 32, " or %d other%s", others, plural(others));
    return buf;
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
        c->items = ev_alloc_resize(c->items, (size_t)c->cap * sizeof(void *));
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
    pattern *pat = p;
    regfree(&pat->re);
    free(pat);
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

/* bracket_end returns the end of the bracket expression whose '[' is just
 * before 'p': past its ']', or at the NUL when it has none. */
static const char *
bracket_end(const char *p)
{
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p != '\0' && *p != ']') {
        /* "[:alpha:]", "[.a.]" and "[=a=]" may hold a ']' */
        const char *q = NULL;
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char end[] = {p[1], ']', '\0'};
            q = strstr(p + 2, end);
        }
        p = q != NULL ? q + 2 : p + 1;
    }
    return *p == ']' ? p + 1 : p;
}

/* regex_pieces returns a bound on the pieces of the extended regular
 * expression 'p' once its repetitions are written out, as glibc's regcomp
 * writes them ("a{3}" as "aaa", "a+" as "aa*"), or infinity for groups
 * nested past REGEX_DEPTH. '*stacked' says whether a repetition follows a
 * repetition ("a*+", "s??"): POSIX leaves that undefined, and glibc's
 * regcomp can take seconds or forever on a run of them ("^a*+++++").
 * '*backref' says whether it holds a back-reference ("\1"), which POSIX
 * leaves undefined in an extended expression, and whose matching glibc
 * does by trying every way, in time that grows exponentially with the
 * text. */
#define REGEX_DEPTH 64
static double
regex_pieces(const char *p, bool *stacked, bool *backref)
{
    bool after_repetition = false;
    *stacked = false;
    *backref = false;
    /* Per open group: the pieces so far, and those of its last atom, which
     * a repetition multiplies. */
    double sum[REGEX_DEPTH] = {0}, last[REGEX_DEPTH] = {0};
    int d = 0;
    while (*p != '\0') {
        char c = *p++;
        double times = -1;
        if (c == '*' || c == '?') {
            times = 1;
        } else if (c == '+') {
            times = 2;
        } else if (c == '{' && (isdigit((unsigned char)*p) || *p == ',')) {
            /* glibc reads "{,n}" as "{0,n}" */
            char *end = (char *)p;
            double m = *p == ',' ? 0 : (double)strtoul(p, &end, 10), n = m;
            if (*end == ',') {
                end++;
                n = isdigit((unsigned char)*end) ? (double)strtoul(end, &end, 10) : m + 1;
            }
            if (*end == '}') {
                times = fmax(fmax(m, n), 1);
                p = end + 1;
            }
        }
        *stacked = *stacked || (times >= 0 && after_repetition);
        after_repetition = times >= 0;
        if (times >= 0) {
            sum[d] += last[d] * (times - 1) + 1;
            last[d] *= times;
        } else if (c == '(') {
            if (++d == REGEX_DEPTH)
                return INFINITY;
            sum[d] = last[d] = 0;
        } else if (c == ')' && d > 0) {
            d--;
            last[d] = fmax(sum[d + 1], 1);
            sum[d] += last[d];
        } else if (c == '|') {
            last[d] = 0;
        } else {
            if (c == '\\' && *p >= '1' && *p <= '9')
                *backref = true;
            if (c == '\\' && *p != '\0')
                p++;
            else if (c == '[')
                p = bracket_end(p);
            sum[d] += 1;
            last[d] = 1;
        }
    }
    for (; d > 0; d--)
        sum[d - 1] += fmax(sum[d], 1);
    return sum[0];
}

/* A pattern of more pieces than this, written out, is refused: regcomp's
 * time and memory grow as their square (about 100 MB here), and a short
 * pattern such as "a++++++++++++++++++++++++++++++" would take them all. */
#define MAX_REGEX_PIECES 4096

static bool
compile_regex(ev_scoring *s, const char *pattern_text, pattern **out, bool *own, jv *err)
{
    pattern *pat = cache_get(&s->regexes, pattern_text);
    if (pat != NULL) {
        *out = pat;
        *own = false;
        return true;
    }
    bool stacked, backref;
    char c1[CLIP_SIZE];
    double pieces = regex_pieces(pattern_text, &stacked, &backref);
    if (pieces > MAX_REGEX_PIECES) {
        *err = jv_invalid_with_msg(
            fmt("bad regex '%s': too many repetitions, over %d pieces written out",
                clip(pattern_text, c1), MAX_REGEX_PIECES));
        return false;
    }
    if (stacked) {
        *err = jv_invalid_with_msg(
            fmt("bad regex '%s': a repetition ('*', '+', '?' or '{}') follows another; POSIX "
                "leaves that undefined (and has no lazy '*?'): group what is repeated, as in "
                "'(a*)?'",
                clip(pattern_text, c1)));
        return false;
    }
    if (backref) {
        *err = jv_invalid_with_msg(
            fmt("bad regex '%s': back-references ('\\1' to '\\9') are refused: matching them "
                "can take time that grows exponentially with the output",
                clip(pattern_text, c1)));
        return false;
    }
    pat = ev_alloc(sizeof(*pat));
    pat->pieces = pieces;
    int rc = regcomp(&pat->re, pattern_text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &pat->re, why, sizeof(why));
        why[0] = (char)tolower((unsigned char)why[0]);
        free(pat);
        *err = jv_invalid_with_msg(fmt("bad regex '%s': %s", clip(pattern_text, c1), why));
        return false;
    }
    *own = !cache_put(&s->regexes, pattern_text, pat);
    *out = pat;
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

/* --- what runs in the sandbox ------------------------------------------- */

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
out_of_memory_in_sandbox(void *unused)
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

/* worker_jq returns the compiled 'program', from the worker's cache or
 * compiled now ('*own' then says the caller tears it down), or NULL with
 * '*why' set to jq's message. A jq program reaches nothing but its input:
 * the sandbox has no environment ($ENV, env and ~/.jq are empty or
 * absent) and no files, and here it gets no module, no library path
 * (modulemeta, get_search_list), no input (input, inputs, input_filename)
 * and nowhere to print (debug; stderr goes nowhere in the sandbox). */
static jq_state *
worker_jq(worker *w, const char *program, bool *own, jv *why)
{
    jq_state *jq = cache_get(&w->programs, program);
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
    jq_set_nomem_handler(jq, out_of_memory_in_sandbox, NULL);
    jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
    jv_free(w->jq_error);
    w->jq_error = jv_null();
    jq_set_error_cb(jq, keep_first_error, &w->jq_error);
    if (!jq_compile(jq, program)) {
        *why = jq_message(w->jq_error);
        w->jq_error = jv_null();
        jq_teardown(&jq);
        return NULL;
    }
    *own = !cache_put(&w->programs, program, jq);
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

/* A reply of the sandbox quotes at most this many bytes of a text, so that
 * a program cannot make ev-score itself read and hold a huge one. */
#define REPLY_TEXT_MAX 1024

/* reply_text cuts the text 't' (consumed) for a reply. */
static jv
reply_text(jv t)
{
    if (jv_string_length_bytes(jv_copy(t)) <= REPLY_TEXT_MAX)
        return t;
    jv cut = jv_string_sized(jv_string_value(t), REPLY_TEXT_MAX);
    jv_free(t);
    return cut;
}

/* worker_run runs a jq program on its input: {"compile": why} when it does
 * not compile, {"error": message} when it fails, {"halted": true}, or the
 * first result, {"result": a boolean or number, or "shown": any other value
 * as a reason shows it}, with "more" when a second came, and {} for none.
 * With no input it is only compiled: {} when it compiles. */
static jv
worker_run(worker *w, jv program, jv input)
{
    bool own;
    jv why = jv_invalid();
    jq_state *jq = worker_jq(w, jv_string_value(program), &own, &why);
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
            reply = jv_object_set(reply, jv_string("error"), reply_text(ev_text_of(failure)));
        } else if (jv_is_valid(r)) {
            bool plain = k == JV_KIND_TRUE || k == JV_KIND_FALSE || k == JV_KIND_NUMBER;
            char buf[SHOW_SIZE];
            reply = jv_object_set(reply, jv_string(plain ? "result" : "shown"),
                                  plain ? jv_copy(r) : jv_string(show(r, buf)));
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

/* worker_regex matches a text with a pattern that the caller has compiled
 * once already: {"match": bool}. */
static jv
worker_regex(jv pattern_text, jv text)
{
    regex_t re;
    bool match = false;
    if (regcomp(&re, jv_string_value(pattern_text), REG_EXTENDED | REG_NOSUB) == 0) {
        match = regexec(&re, jv_string_value(text), 0, NULL, 0) == 0;
        regfree(&re);
    }
    jv_free(pattern_text);
    jv_free(text);
    return jv_object_set(jv_object(), jv_string("match"), jv_bool(match));
}

/* serve answers a request of the sandbox: {"op": "jq", "program", "input"}
 * (no input: compile only), {"op": "regex", "pattern", "text"} or {"op":
 * "similar", "a", "b"} (the similarity: {"value": number}). */
static jv
serve(void *state, jv req)
{
    jv op = jv_get_kind(req) == JV_KIND_OBJECT ? jv_object_get(jv_copy(req), jv_string("op"))
                                               : jv_invalid();
    const char *o = jv_get_kind(op) == JV_KIND_STRING ? jv_string_value(op) : "";
    jv a = jv_invalid(), b = jv_invalid(), reply;
    const char *ka = "program", *kb = "input";
    if (strcmp(o, "regex") == 0) {
        ka = "pattern";
        kb = "text";
    } else if (strcmp(o, "similar") == 0) {
        ka = "a";
        kb = "b";
    }
    if (jv_get_kind(req) == JV_KIND_OBJECT) {
        a = jv_object_get(jv_copy(req), jv_string(ka));
        b = jv_object_get(jv_copy(req), jv_string(kb));
    }
    if (jv_get_kind(a) != JV_KIND_STRING ||
        (strcmp(o, "jq") != 0 && jv_get_kind(b) != JV_KIND_STRING)) {
        reply = jv_object_set(jv_object(), jv_string("error"), jv_string("bad request"));
        jv_free(a);
        jv_free(b);
    } else if (strcmp(o, "jq") == 0) {
        reply = worker_run(state, a, b);
    } else if (strcmp(o, "regex") == 0) {
        reply = worker_regex(a, b);
    } else {
        double d = ev_similarity(jv_string_value(a), jv_string_value(b));
        reply = jv_object_set(jv_object(), jv_string("value"), jv_number(d));
        jv_free(a);
        jv_free(b);
    }
    jv_free(op);
    jv_free(req);
    return reply;
}

/* --- asking the sandbox --------------------------------------------------- */

/* ask sends 'req' (consumed) to the sandbox, started on first use, for
 * assertion 'it', with '*cpu_left' of the record's CPU budget left (and
 * taken from). When the work ran over its budget, the verdict fails
 * with the budget as its reason, the record's warning says so, and the
 * result is invalid without a message; when the sandbox failed otherwise,
 * the result is invalid with a message that names the assertion. */
static jv
ask(ev_scoring *s, const item *it, jv req, double *cpu_left, verdict *v, jv *warning)
{
    if (s->sandbox == NULL)
        s->sandbox = ev_sandbox_new(serve, &s->worker, s->opts.budget);
    ev_sandbox_over over;
    jv reply = ev_sandbox_call(s->sandbox, req, cpu_left, &over);
    if (jv_is_valid(reply))
        return reply;
    char c1[CLIP_SIZE];
    jv m = jv_invalid_get_msg(reply);
    jv out = jv_invalid();
    if (over != EV_SANDBOX_WITHIN) {
        binary(v, false, jv_copy(m));
        if (!jv_is_valid(*warning))
            *warning = fmt("scorer '%s' %s, so the record fails (%s sets the budget)",
                           clip(jv_string_value(it->name), c1), jv_string_value(m),
                           over == EV_SANDBOX_OVER_CPU ? "--cpu-budget" : "--memory-budget");
    } else {
        out = jv_invalid_with_msg(
            fmt("scorer '%s' failed: %s", clip(jv_string_value(it->name), c1), jv_string_value(m)));
    }
    jv_free(m);
    return out;
}

/* check_jq asks the sandbox whether 'program' compiles, once per distinct
 * program, and says why not in '*err'. */
static bool
check_jq(ev_scoring *s, item *it, const char *program, jv *err)
{
    jv known = jv_object_get(jv_copy(s->compiled), jv_string(program));
    bool ok = jv_is_valid(known);
    jv_free(known);
    if (ok)
        return true;
    verdict v = {.reason = jv_invalid()};
    jv warning = jv_invalid();
    jv req = jv_object_set(jv_object(), jv_string("op"), jv_string("jq"));
    req = jv_object_set(req, jv_string("program"), jv_string(program));
    double cpu = s->opts.budget.cpu_seconds;
    jv reply = ask(s, it, req, &cpu, &v, &warning);
    if (!jv_is_valid(reply) && !jv_is_valid(warning)) {
        *err = reply;
        return false;
    }
    jv why = jv_is_valid(reply) ? jv_object_get(reply, jv_string("compile")) : jv_copy(v.reason);
    ok = !jv_is_valid(why);
    if (ok && jv_object_length(jv_copy(s->compiled)) < MAX_KNOWN_JQ) {
        s->compiled = jv_object_set(s->compiled, jv_string(program), jv_true());
    } else if (!ok) {
        char c1[CLIP_SIZE];
        *err = jv_invalid_with_msg(
            fmt("cannot compile jq program '%s': %s", clip(program, c1), jv_string_value(why)));
    }
    jv_free(why);
    jv_free(v.reason);
    jv_free(warning);
    return ok;
}

static ev_coproc *
start_cmd(ev_scoring *s, const char *command, jv *err)
{
    ev_coproc *p = cache_get(&s->procs, command);
    if (p != NULL)
        return p;
    if (s->procs.n == s->procs.max) {
        *err = jv_invalid_with_msg(fmt("too many distinct cmd scorers (at most %d)", MAX_CMD));
        return NULL;
    }
    if ((p = ev_coproc_start(command, s->opts.pass_env, err)) == NULL)
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
    ev_rubric_free(it->own_rubric);
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

/* compile_limit reads a V_LIMIT value (borrowed): a number, or a string
 * holding one. */
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
        char what[SHOW_SIZE];
        if (k->kind == K_NUMBER)
            *err = jv_invalid_with_msg(
                fmt("'number' needs a tolerance of 0 or more, not %s", show(value, what)));
        else
            *err = jv_invalid_with_msg(
                fmt("'%s' needs a threshold in [0, 1], not %s", k->name, show(value, what)));
        return false;
    }
    it->limit = d;
    it->limit_given = true;
    return true;
}

/* compile_program compiles the jq program, in the sandbox, or starts the
 * command given as 'value' (borrowed). A record's own assertion may run a
 * command only when the user allows it. */
static bool
compile_program(ev_scoring *s, item *it, jv value, jv *err)
{
    const char *what = it->info->kind == K_JQ ? "program" : "command";
    if (jv_get_kind(value) != JV_KIND_STRING || jv_string_value(value)[0] == '\0') {
        *err = jv_invalid_with_msg(fmt("'%s' needs a %s after ':'", it->info->name, what));
        return false;
    }
    it->answer = jv_copy(value);
    if (it->info->kind == K_JQ)
        return check_jq(s, it, jv_string_value(value), err);
    if (s->untrusted && !s->opts.record_commands) {
        char c1[CLIP_SIZE];
        *err = jv_invalid_with_msg(fmt("'%s' would run a command, which a record may do only with "
                                       "--allow-record-commands",
                                       clip(jv_string_value(it->name), c1)));
        return false;
    }
    it->proc = start_cmd(s, jv_string_value(value), err);
    return it->proc != NULL;
}

/* compile_rubric sets the rubric of a judge item from its criterion 'value'
 * (borrowed; invalid for the run's rubric), and names the item by it. */
static bool
compile_rubric(ev_scoring *s, item *it, jv value, jv *err)
{
    if (it->negate) {
        *err = jv_invalid_with_msg(jv_string("'judge' cannot be negated"));
        return false;
    }
    if (!jv_is_valid(value)) {
        it->rubric = s->opts.judge;
        if (it->rubric == NULL) {
            *err = jv_invalid_with_msg(
                jv_string("'judge' needs a criterion after ':', or a rubric from --judge"));
            return false;
        }
    } else if (jv_get_kind(value) != JV_KIND_STRING || jv_string_value(value)[0] == '\0') {
        *err = jv_invalid_with_msg(jv_string("'judge' needs a criterion after ':'"));
        return false;
    } else {
        it->own_rubric = ev_rubric_criterion(jv_string_value(value));
        it->rubric = it->own_rubric;
    }
    jv_free(it->name);
    it->name = jv_string(ev_rubric_scorer(it->rubric));
    return true;
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
        *err = jv_invalid_with_msg(
            fmt("unknown scorer type '%.*s'", (int)(len < 60 ? len : 60), type));
        jv_free(value);
        return false;
    }
    it->limit = it->info->deflt;
    bool ok = true;
    if (it->info->role == V_RUBRIC) {
        ok = compile_rubric(s, it, value, err);
    } else if (it->info->role == V_PROGRAM) {
        ok = compile_program(s, it, value, err);
    } else if (!jv_is_valid(value)) {
        /* 'expected' is the answer, and the limit keeps its default. */
    } else if (it->info->role == V_LIMIT) {
        ok = compile_limit(it, value, err);
    } else if (it->info->kind == K_REGEX) {
        ok = jv_get_kind(value) == JV_KIND_STRING;
        if (!ok)
            *err = jv_invalid_with_msg(jv_string("'regex' needs a pattern string"));
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
        } else if (strcmp(k, "type") != 0) {
            char c1[CLIP_SIZE];
            *err = jv_invalid_with_msg(strcmp(k, "weight") == 0
                                           ? jv_string("'weight' must be a number of 0 or more")
                                           : fmt("unknown key '%s' in an assertion", clip(k, c1)));
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
        jv copy = jv_copy(type);
        ok = compile_string(s, copy, it, err);
    } else {
        jv text = ev_text_of(jv_copy(value));
        it->name = jv_string_concat(jv_string_append_str(jv_copy(type), ":"), text);
        ok = compile_item(s, jv_string_value(type), strlen(jv_string_value(type)), jv_copy(value),
                          it, err);
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
    *err = jv_invalid_with_msg(jv_string("an assertion must be a SPEC string or an object"));
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
        p->items = ev_alloc_resize(NULL, sizeof(item));
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
        *err = jv_invalid_with_msg(jv_string("an assertion list is empty"));
        return false;
    }
    p->items = ev_alloc_resize(NULL, (size_t)n * sizeof(item));
    p->name = jv_string("");
    jv_array_foreach(a, i, one)
    {
        if (jv_get_kind(one) == JV_KIND_ARRAY) {
            jv_free(one);
            *err = jv_invalid_with_msg(jv_string("an assertion list holds another list"));
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

/* ctx_init readies 'rec' (borrowed) for scoring, with 'judged' (consumed)
 * the judges' answers, or invalid when none were asked. */
static void
ctx_init(ctx *c, ev_scoring *s, jv rec, jv judged)
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
    c->cpu_left = s->opts.budget.cpu_seconds;
}

static void
ctx_free(ctx *c)
{
    jv_free(c->out);
    jv_free(c->text);
    jv_free(c->expected);
    jv_free(c->judged);
    jv_free(c->warning);
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

/* same_text compares the output's text with 'want' (a string, borrowed)
 * under the run's normalisation. */
static bool
same_text(ctx *c, jv want)
{
    int flags = c->s->opts.norm;
    if (flags == 0 && jv_get_kind(c->out) == JV_KIND_STRING) {
        int n = jv_string_length_bytes(jv_copy(c->out));
        return n == jv_string_length_bytes(jv_copy(want)) &&
               memcmp(jv_string_value(c->out), jv_string_value(want), (size_t)n) == 0;
    }
    if (flags == 0)
        return strcmp(out_text(c), jv_string_value(want)) == 0;
    return jv_equal(ev_normalize(out_text(c), flags), ev_normalize(jv_string_value(want), flags));
}

/* normalized returns 's' under 'flags', or a copy of it when there are none. */
static jv
normalized(const char *s, int flags)
{
    return flags ? ev_normalize(s, flags) : jv_string(s);
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
score_exact(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    (void)it;
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
    char w[SHOW_SIZE], more[32];
    char c1[CLIP_SIZE];
    binary(v, false,
           fmt("expected %s%s, got '%s'", show(want, w), others_str(others, more),
               clip(out_text(c), c1)));
    return true;
}

static bool
score_contains(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    (void)err;
    int flags = c->s->opts.norm | (it->info->kind == K_ICONTAINS ? EV_NORM_CASE : 0);
    jv needle = text_of_want(want);
    jv n = normalized(jv_string_value(needle), flags);
    jv h = normalized(out_text(c), flags);
    bool pass = strstr(jv_string_value(h), jv_string_value(n)) != NULL;
    char w[SHOW_SIZE], more[32];
    char c1[CLIP_SIZE];
    show(needle, w);
    binary(v, pass,
           pass ? fmt("contains %s", w)
                : fmt("no %s%s in '%s'", w, others_str(others, more), clip(out_text(c), c1)));
    jv_free(needle);
    jv_free(n);
    jv_free(h);
    return true;
}

static bool
score_starts_with(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    (void)it;
    (void)err;
    int flags = c->s->opts.norm;
    jv prefix = text_of_want(want);
    jv p = normalized(jv_string_value(prefix), flags);
    jv h = normalized(out_text(c), flags);
    const char *t = jv_string_value(h);
    while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
        t++;
    bool pass = strncmp(t, jv_string_value(p), strlen(jv_string_value(p))) == 0;
    char w[SHOW_SIZE], more[32];
    char c1[CLIP_SIZE];
    show(prefix, w);
    binary(v, pass,
           pass ? fmt("starts with %s", w)
                : fmt("'%s' does not start with %s%s", clip(out_text(c), c1), w,
                      others_str(others, more)));
    jv_free(prefix);
    jv_free(p);
    jv_free(h);
    return true;
}

static bool
score_regex(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    pattern *re = it->re;
    bool own = false;
    if (jv_get_kind(want) != JV_KIND_STRING) {
        *err = jv_invalid_with_msg(
            jv_string("the expected answer of 'regex' is not a pattern string"));
        return false;
    }
    if (re == NULL && !compile_regex(c->s, jv_string_value(want), &re, &own, err))
        return false;
    const char *text = out_text(c);
    double n = (double)strlen(text);
    bool pass;
    if (n * n * (re->pieces + 1) <= INLINE_REGEX_COST) {
        pass = regexec(&re->re, text, 0, NULL, 0) == 0;
    } else {
        jv req = jv_object_set(jv_object(), jv_string("op"), jv_string("regex"));
        req = jv_object_set(req, jv_string("pattern"), jv_copy(want));
        req = jv_object_set(req, jv_string("text"), jv_copy(c->text));
        jv reply = ask(c->s, it, req, &c->cpu_left, v, &c->warning);
        if (own)
            release_regex(re);
        if (!jv_is_valid(reply)) {
            bool over = !jv_invalid_has_msg(jv_copy(reply));
            if (!over)
                *err = reply;
            return over;
        }
        jv match = jv_object_get(reply, jv_string("match"));
        pass = jv_get_kind(match) == JV_KIND_TRUE;
        jv_free(match);
        own = false;
    }
    if (own)
        release_regex(re);
    char more[32];
    char c1[CLIP_SIZE], c2[CLIP_SIZE];
    binary(v, pass,
           pass ? fmt("matches /%s/", clip(jv_string_value(want), c1))
                : fmt("'%s' does not match /%s/%s", clip(out_text(c), c1),
                      clip(jv_string_value(want), c2), others_str(others, more)));
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
    char w[SHOW_SIZE];
    *err = jv_invalid_with_msg(fmt("the expected answer %s holds no number", show(want, w)));
    return false;
}

static bool
score_number(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
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
    bool pass = fabs(got - w) <= it->limit;
    char more[32];
    if (pass && it->limit_given)
        binary(v, true, fmt("got %.15g, within %.15g of %.15g", got, it->limit, w));
    else if (pass)
        binary(v, true, fmt("got %.15g", got));
    else if (it->limit_given)
        binary(v, false,
               fmt("expected %.15g%s within %.15g, got %.15g", w, others_str(others, more),
                   it->limit, got));
    else
        binary(v, false, fmt("expected %.15g%s, got %.15g", w, others_str(others, more), got));
    return true;
}

static bool
score_choice(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    (void)it;
    char w, got, more[32];
    if (jv_get_kind(want) != JV_KIND_STRING || !ev_extract_choice(jv_string_value(want), &w)) {
        char shown[SHOW_SIZE];
        *err = jv_invalid_with_msg(
            fmt("the expected answer %s is not a choice letter", show(want, shown)));
        return false;
    }
    if (!ev_extract_choice(out_text(c), &got)) {
        binary(v, false, jv_string("no choice letter found in output"));
        v->unparsed = true;
        return true;
    }
    binary(v, got == w,
           got == w ? fmt("chose '%c'", got)
                    : fmt("expected '%c'%s, got '%c'", w, others_str(others, more), got));
    return true;
}

static bool
score_f1(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    (void)err;
    jv gold = text_of_want(want);
    double f = ev_f1(out_text(c), jv_string_value(gold));
    jv_free(gold);
    v->value = f;
    v->pass = f >= it->limit;
    v->reason = fmt("F1 %.3f %s %g%s", f, v->pass ? ">=" : "<", it->limit,
                    others > 0 && !v->pass ? " (best of the expected answers)" : "");
    return true;
}

static bool
score_similar(const item *it, ctx *c, jv want, int others, verdict *v, jv *err)
{
    int flags = c->s->opts.norm;
    jv gold = text_of_want(want);
    jv a = normalized(out_text(c), flags);
    jv b = normalized(jv_string_value(gold), flags);
    jv_free(gold);
    double cells =
        (double)jv_string_length_bytes(jv_copy(a)) * (double)jv_string_length_bytes(jv_copy(b));
    double sim;
    if (cells <= INLINE_SIMILAR_CELLS) {
        sim = ev_similarity(jv_string_value(a), jv_string_value(b));
        jv_free(a);
        jv_free(b);
    } else {
        jv req = jv_object_set(jv_object(), jv_string("op"), jv_string("similar"));
        req = jv_object_set(req, jv_string("a"), a);
        req = jv_object_set(req, jv_string("b"), b);
        jv reply = ask(c->s, it, req, &c->cpu_left, v, &c->warning);
        if (!jv_is_valid(reply)) {
            bool over = !jv_invalid_has_msg(jv_copy(reply));
            if (!over)
                *err = reply;
            return over;
        }
        jv d = jv_object_get(reply, jv_string("value"));
        sim = jv_get_kind(d) == JV_KIND_NUMBER ? jv_number_value(d) : 0;
        jv_free(d);
    }
    v->value = sim;
    v->pass = sim >= it->limit;
    v->reason = fmt("similarity %.3f %s %g%s", sim, v->pass ? ">=" : "<", it->limit,
                    others > 0 && !v->pass ? " (best of the expected answers)" : "");
    return true;
}

/* score_any runs 'fn' on each accepted answer when 'want' (borrowed) is a
 * list, and keeps the best verdict. */
static bool
score_any(score_fn fn, const item *it, ctx *c, jv want, verdict *v, jv *err)
{
    if (jv_get_kind(want) != JV_KIND_ARRAY)
        return fn(it, c, want, 0, v, err);
    int n = jv_array_length(jv_copy(want));
    if (n == 0) {
        *err = jv_invalid_with_msg(jv_string("the expected answer is an empty list"));
        return false;
    }
    bool have = false;
    for (int i = 0; i < n && !(have && v->pass && v->value >= 1); i++) {
        jv w = jv_array_get(jv_copy(want), i);
        verdict one = {0};
        bool ok = fn(it, c, w, n - 1, &one, err);
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
is_identifier(const char *k)
{
    if (!(isalpha((unsigned char)*k) || *k == '_'))
        return false;
    while (isalnum((unsigned char)*k) || *k == '_')
        k++;
    return *k == '\0';
}

/* path_key extends the jq path 'path' (consumed) by the key 'k' (consumed). */
static jv
path_key(jv path, jv k)
{
    if (is_identifier(jv_string_value(k))) {
        path = jv_string_append_str(path, ".");
        return jv_string_concat(path, k);
    }
    path = jv_string_append_str(path, jv_string_length_bytes(jv_copy(path)) ? "[" : ".[");
    path = jv_string_concat(path, jv_dump_string(k, 0));
    return jv_string_append_str(path, "]");
}

/* json_diff returns the first difference between 'want' and 'got' (both
 * borrowed) under the jq path 'path' (consumed), or invalid when there is
 * none. With 'subset', keys of 'got' that 'want' lacks are no difference. */
static jv
json_diff(jv want, jv got, bool subset, jv path)
{
    jv d = jv_invalid();
    jv_kind wk = jv_get_kind(want), gk = jv_get_kind(got);
    if (wk == JV_KIND_OBJECT && gk == JV_KIND_OBJECT) {
        jv keys = jv_keys(jv_copy(want));
        jv_array_foreach(keys, i, k)
        {
            jv g = jv_object_get(jv_copy(got), jv_copy(k));
            jv w = jv_object_get(jv_copy(want), jv_copy(k));
            jv sub = path_key(jv_copy(path), k);
            if (!jv_is_valid(g)) {
                d = fmt("missing key '%s'", jv_string_value(sub));
                jv_free(sub);
            } else {
                d = json_diff(w, g, subset, sub);
            }
            jv_free(w);
            jv_free(g);
            if (jv_is_valid(d))
                break;
        }
        jv_free(keys);
        if (!jv_is_valid(d) && !subset) {
            keys = jv_keys(jv_copy(got));
            jv_array_foreach(keys, i, k)
            {
                if (!jv_object_has(jv_copy(want), jv_copy(k))) {
                    jv sub = path_key(jv_copy(path), k);
                    d = fmt("unexpected key '%s'", jv_string_value(sub));
                    jv_free(sub);
                    break;
                }
                jv_free(k);
            }
            jv_free(keys);
        }
    } else if (wk == JV_KIND_ARRAY && gk == JV_KIND_ARRAY) {
        int wn = jv_array_length(jv_copy(want)), gn = jv_array_length(jv_copy(got));
        if (wn != gn) {
            d = fmt("%s%sexpected %d element%s, got %d", jv_string_value(path),
                    jv_string_length_bytes(jv_copy(path)) ? ": " : "", wn, plural(wn), gn);
        }
        for (int i = 0; i < wn && wn == gn && !jv_is_valid(d); i++) {
            jv w = jv_array_get(jv_copy(want), i), g = jv_array_get(jv_copy(got), i);
            const char *p = jv_string_value(path);
            d = json_diff(w, g, subset, jv_string_fmt("%s%s[%d]", p, *p ? "" : ".", i));
            jv_free(w);
            jv_free(g);
        }
    } else if (!jv_equal(jv_copy(want), jv_copy(got))) {
        char a[SHOW_SIZE], b[SHOW_SIZE];
        d = fmt("%s%sexpected %s, got %s", jv_string_value(path),
                jv_string_length_bytes(jv_copy(path)) ? ": " : "", show(want, a), show(got, b));
    }
    jv_free(path);
    return d;
}

static bool
score_json(const item *it, ctx *c, jv want, verdict *v, jv *err)
{
    (void)err;
    bool subset = it->info->kind == K_JSON_SUBSET;
    jv got;
    if (jv_get_kind(c->out) == JV_KIND_STRING) {
        got = ev_extract_json(out_text(c));
        if (!jv_is_valid(got)) {
            jv m = jv_invalid_get_msg(got);
            binary(v, false, fmt("invalid JSON: %s", jv_string_value(m)));
            v->unparsed = true;
            jv_free(m);
            return true;
        }
    } else {
        got = jv_copy(c->out);
    }
    jv w = json_want(want);
    jv d = json_diff(w, got, subset, jv_string(""));
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
score_jq(const item *it, ctx *c, verdict *v, jv *err)
{
    const char *prog = jv_string_value(it->answer);
    char c1[CLIP_SIZE], c2[6 * QUOTE_MAX + 4];
    jv req = jv_object_set(jv_object(), jv_string("op"), jv_string("jq"));
    req = jv_object_set(req, jv_string("program"), jv_copy(it->answer));
    req = jv_object_set(req, jv_string("input"), jv_copy(c->rec));
    jv reply = ask(c->s, it, req, &c->cpu_left, v, &c->warning);
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
        *err = jv_invalid_with_msg(
            fmt("cannot compile jq program '%s': %s", clip(prog, c1), jv_string_value(compile)));
    } else if (jv_get_kind(failure) == JV_KIND_STRING) {
        *err = jv_invalid_with_msg(
            fmt("jq program '%s' failed: %s", clip(prog, c1),
                clip_to(jv_string_value(failure), 3 * QUOTE_MAX, c2, sizeof(c2))));
    } else if (jv_get_kind(more) == JV_KIND_TRUE) {
        *err =
            jv_invalid_with_msg(fmt("jq program '%s' gave more than one result", clip(prog, c1)));
    } else if (!jv_is_valid(r) && !jv_is_valid(shown)) {
        *err = jv_invalid_with_msg(
            fmt("jq program '%s' %s", clip(prog, c1), halted ? "halted" : "gave no result"));
    } else if (jv_get_kind(r) == JV_KIND_TRUE || jv_get_kind(r) == JV_KIND_FALSE) {
        bool t = jv_get_kind(r) == JV_KIND_TRUE;
        binary(v, t, fmt("'%s' is %s", clip(prog, c1), t ? "true" : "false"));
        ok = true;
    } else if (jv_get_kind(r) == JV_KIND_NUMBER && jv_number_value(r) >= 0 &&
               jv_number_value(r) <= 1) {
        v->value = jv_number_value(r);
        v->pass = v->value >= 0.5;
        v->reason = fmt("'%s' gave %g", clip(prog, c1), v->value);
        ok = true;
    } else {
        char got[SHOW_SIZE];
        *err = jv_invalid_with_msg(
            fmt("jq program '%s' gave %s, not a boolean or a number in [0, 1]", clip(prog, c1),
                jv_is_valid(shown) ? jv_string_value(shown) : show(r, got)));
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
read_judgement(jv a, verdict *v)
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
            v->reason = ev_text_of(jv_copy(reason));
        else if (has_value)
            v->reason = fmt("judged %g", v->value);
        else
            v->reason = jv_string(v->pass ? "judged pass" : "judged fail");
    }
    jv_free(pass);
    jv_free(value);
    jv_free(reason);
    return ok;
}

static bool
score_cmd(const item *it, ctx *c, verdict *v, jv *err)
{
    const char *cmd = jv_string_value(it->answer);
    char c1[CLIP_SIZE], c2[CLIP_SIZE];
    jv line = jv_dump_string(jv_copy(c->rec), 0);
    jv ans = ev_coproc_ask(it->proc, jv_string_value(line),
                           (size_t)jv_string_length_bytes(jv_copy(line)));
    jv_free(line);
    if (!jv_is_valid(ans)) {
        jv m = jv_invalid_get_msg(ans);
        *err = jv_invalid_with_msg(fmt("cmd scorer '%s' %s", clip(cmd, c1), jv_string_value(m)));
        jv_free(m);
        return false;
    }
    bool ok = read_judgement(parse_whole(jv_copy(ans)), v);
    if (!ok)
        *err = jv_invalid_with_msg(fmt("cmd scorer '%s' answered '%s', not true, false, a number "
                                       "in [0, 1] or {pass, value, reason}",
                                       clip(cmd, c1), clip(jv_string_value(ans), c2)));
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
 * borrowed): who
 * judged, and the tokens the judging took. */
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

/* score_judge reads the judge's answers to this item's prompt: each sample
 * is read as a label, and the labels are combined. */
static bool
score_judge(const item *it, ctx *c, verdict *v, jv *err)
{
    char c1[CLIP_SIZE], c2[3 * QUOTE_MAX + 4];
    jv samples =
        jv_is_valid(c->judged) ? jv_array_get(jv_copy(c->judged), c->next_judged++) : jv_invalid();
    if (jv_get_kind(samples) != JV_KIND_ARRAY || jv_array_length(jv_copy(samples)) == 0) {
        jv_free(samples);
        *err = jv_invalid_with_msg(
            fmt("no judge answer for '%s'", clip(jv_string_value(it->name), c1)));
        return false;
    }
    jv reads = jv_array(), labels = jv_array(), raw = jv_invalid();
    jv_array_foreach(samples, i, one)
    {
        jv text = ev_text_of(jv_object_get(one, jv_copy(c->s->k_output)));
        jv r = ev_rubric_read(it->rubric, jv_string_value(text));
        jv l = jv_object_get(jv_copy(r), jv_string("label"));
        if (!jv_is_valid(raw) && strcmp(jv_string_value(l), EV_JUDGE_INVALID) == 0)
            raw = jv_copy(text);
        labels = jv_array_append(labels, l);
        reads = jv_array_append(reads, r);
        jv_free(text);
    }
    int n = jv_array_length(jv_copy(reads));
    jv agg = ev_judge_aggregate(reads, c->s->opts.judge_mean);
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
        v->reason = fmt("judge gave no label: '%s'",
                        clip_to(jv_string_value(raw), 3 * QUOTE_MAX, c2, sizeof(c2)));
    else if (n == 1)
        v->reason = fmt("judged %s", label);
    else if (c->s->opts.judge_mean)
        v->reason = fmt("judged %g, the mean of %d samples", v->value, n);
    else
        v->reason =
            fmt("judged %s by %g of %d samples", label, round(jv_number_value(agreement) * n), n);
    jv_free(raw);
    v->judge = judge_info(samples);
    jv_free(samples);
    v->judge = jv_object_set(v->judge, jv_string("labels"), labels);
    v->judge = jv_object_set(v->judge, jv_string("agreement"), agreement);
    return true;
}

static score_fn
text_scorer(enum kind k)
{
    switch (k) {
    case K_EXACT:
        return score_exact;
    case K_CONTAINS:
    case K_ICONTAINS:
        return score_contains;
    case K_STARTS_WITH:
        return score_starts_with;
    case K_REGEX:
        return score_regex;
    case K_NUMBER:
        return score_number;
    case K_CHOICE:
        return score_choice;
    case K_F1:
        return score_f1;
    default:
        return score_similar;
    }
}

static bool
needs_output(const item *it)
{
    return it->info->kind != K_JQ && it->info->kind != K_CMD;
}

/* run_item scores one assertion. A record with no output fails every
 * assertion that reads the output, negated or not. */
static bool
run_item(const item *it, ctx *c, verdict *v, jv *err)
{
    enum kind k = it->info->kind;
    bool ok;
    v->final = false;
    v->unparsed = false;
    v->label = jv_invalid();
    v->judge = jv_invalid();
    if (needs_output(it) && !jv_is_valid(c->out)) {
        binary(v, false, jv_string("no output"));
        v->final = true;
        return true;
    }
    if (k == K_JQ) {
        ok = score_jq(it, c, v, err);
    } else if (k == K_CMD) {
        ok = score_cmd(it, c, v, err);
    } else if (k == K_JUDGE) {
        ok = score_judge(it, c, v, err);
    } else {
        jv want = it->info->role == V_ANSWER && jv_is_valid(it->answer) ? jv_copy(it->answer)
                                                                        : expected(c);
        if (!jv_is_valid(want)) {
            char c1[CLIP_SIZE];
            *err = jv_invalid_with_msg(
                fmt("no 'expected' for scorer '%s'", clip(jv_string_value(it->name), c1)));
            return false;
        }
        if (k == K_JSON || k == K_JSON_SUBSET)
            ok = score_json(it, c, want, v, err);
        else
            ok = score_any(text_scorer(k), it, c, want, v, err);
        jv_free(want);
    }
    if (ok && it->negate) {
        v->pass = !v->pass;
        v->value = 1 - v->value;
        v->reason = jv_string_concat(jv_string("negated: "), v->reason);
    }
    return ok;
}

static jv
make_score(ev_scoring *s, bool pass, double value, jv scorer, jv reason)
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
call_failed(ev_scoring *s, jv rec)
{
    jv e = jv_object_get(jv_copy(rec), jv_copy(s->k_error));
    jv_kind k = jv_get_kind(e);
    jv_free(e);
    return k != JV_KIND_INVALID && k != JV_KIND_NULL && k != JV_KIND_FALSE;
}

/* merge_judge moves the judge verdict of 'v' into '*label' and '*judge',
 * the record's judge data so far: the first label is kept, and the samples,
 * labels and tokens of several judges add up. */
static void
merge_judge(verdict *v, jv *label, jv *judge)
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
run_plan(ev_scoring *s, const plan *p, jv rec, jv judged, jv *warning)
{
    if (call_failed(s, rec)) {
        jv_free(judged);
        return make_score(s, false, 0, jv_copy(p->name), jv_string("call failed"));
    }
    ctx c;
    ctx_init(&c, s, rec, judged);
    verdict v = {0};
    jv err = jv_invalid(), label = jv_invalid(), judge = jv_invalid();
    if (p->n == 1) {
        jv out = run_item(&p->items[0], &c, &v, &err)
                     ? make_score(s, v.pass, v.value, jv_copy(p->name), v.reason)
                     : err;
        if (jv_is_valid(out) && v.unparsed)
            out = jv_object_set(out, jv_string("parsed"), jv_false());
        *warning = c.warning;
        c.warning = jv_invalid();
        ctx_free(&c);
        return with_judge(out, v.label, v.judge);
    }
    bool all = true, reads = false, unparsed = false;
    for (int i = 0; i < p->n; i++)
        reads = reads || needs_output(&p->items[i]);
    if (reads && !jv_is_valid(c.out)) {
        ctx_free(&c);
        return make_score(s, false, 0, jv_copy(p->name), jv_string("no output"));
    }
    /* Weights are taken relative to the largest, so that two of 1e308 do
     * not sum to infinity and make the mean NaN. */
    double wmax = 0, wsum = 0, vsum = 0;
    for (int i = 0; i < p->n; i++)
        wmax = fmax(wmax, p->items[i].weight);
    jv failed = jv_string("");
    for (int i = 0; i < p->n; i++) {
        const item *it = &p->items[i];
        if (!run_item(it, &c, &v, &err)) {
            jv_free(failed);
            jv_free(label);
            jv_free(judge);
            ctx_free(&c);
            return err;
        }
        merge_judge(&v, &label, &judge);
        double w = wmax > 0 ? it->weight / wmax : 0;
        wsum += w;
        vsum += w * v.value;
        if (!v.pass) {
            unparsed = unparsed || v.unparsed;
            if (!all)
                failed = jv_string_append_str(failed, "; ");
            failed = jv_string_concat(failed, jv_copy(it->name));
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
    ctx_free(&c);
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

/* prompt_of writes the judge prompt of item 'it' for the record of 'c'. */
static jv
prompt_of(const item *it, ctx *c)
{
    jv want = expected(c);
    jv text = jv_is_valid(want) ? ev_text_of(want) : want;
    jv out = ev_rubric_prompt(it->rubric, c->rec, text, jv_copy(c->out));
    if (!jv_is_valid(out) && jv_invalid_has_msg(jv_copy(out))) {
        char c1[CLIP_SIZE];
        jv m = jv_invalid_get_msg(out);
        out = jv_invalid_with_msg(
            fmt("%s for scorer '%s'", jv_string_value(m), clip(jv_string_value(it->name), c1)));
        jv_free(m);
    }
    return out;
}

/* plan_prompts returns the judge prompts of 'p' for 'rec' (borrowed): none
 * when the record fails before any judge is asked. */
static jv
plan_prompts(ev_scoring *s, const plan *p, jv rec)
{
    jv out = jv_array();
    bool judged = false, reads = false;
    for (int i = 0; i < p->n; i++) {
        judged = judged || p->items[i].info->kind == K_JUDGE;
        reads = reads || needs_output(&p->items[i]);
    }
    if (!judged || call_failed(s, rec))
        return out;
    ctx c;
    ctx_init(&c, s, rec, jv_invalid());
    for (int i = 0; i < p->n && jv_is_valid(c.out) && jv_is_valid(out); i++) {
        if (p->items[i].info->kind != K_JUDGE)
            continue;
        jv one = prompt_of(&p->items[i], &c);
        if (jv_is_valid(one)) {
            out = jv_array_append(out, one);
        } else {
            jv_free(out);
            out = one;
        }
    }
    ctx_free(&c);
    return out;
}

/* --- the API ------------------------------------------------------------- */

ev_scoring *
ev_scoring_new(jv spec, const ev_score_opts *opts, jv *err)
{
    ev_scoring *s = ev_alloc_zero(1, sizeof(*s));
    s->opts = *opts;
    if (s->opts.budget.cpu_seconds <= 0)
        s->opts.budget.cpu_seconds = EV_SCORE_CPU_BUDGET;
    if (s->opts.budget.memory_mb <= 0)
        s->opts.budget.memory_mb = EV_SCORE_MEMORY_BUDGET;
    cache_init(&s->regexes, MAX_CACHED_REGEX, release_regex);
    cache_init(&s->procs, MAX_CMD, release_proc);
    s->compiled = jv_object();
    /* the worker's: made in the worker, on first use */
    cache_init(&s->worker.programs, MAX_CACHED_JQ, release_jq);
    s->worker.jq_error = jv_null();
    s->k_assert = jv_string("assert");
    s->k_error = jv_string("error");
    s->k_expected = jv_string("expected");
    s->k_output = jv_string("output");
    s->k_pass = jv_string("pass");
    s->k_reason = jv_string("reason");
    s->k_scorer = jv_string("scorer");
    s->k_value = jv_string("value");
    s->exact_match = jv_string("exact match");
    if (!compile_plan(s, spec, &s->dflt, err)) {
        ev_scoring_free(s);
        return NULL;
    }
    return s;
}

/* with_plan runs 'fn' on the plan that scores 'rec' (borrowed): its own
 * 'assert' compiled for it, else the default. */
static jv
with_plan(ev_scoring *s, jv rec, jv judged, jv *warning,
          jv (*fn)(ev_scoring *, const plan *, jv, jv, jv *))
{
    *warning = jv_invalid();
    jv a = jv_object_get(jv_copy(rec), jv_copy(s->k_assert));
    if (!jv_is_valid(a) || jv_get_kind(a) == JV_KIND_NULL) {
        jv_free(a);
        return fn(s, &s->dflt, rec, judged, warning);
    }
    plan p;
    jv err;
    s->untrusted = true;
    bool compiled = compile_plan(s, a, &p, &err);
    s->untrusted = false;
    if (!compiled) {
        jv_free(judged);
        jv m = jv_invalid_get_msg(err);
        jv out = jv_invalid_with_msg(jv_string_fmt("bad 'assert': %s", jv_string_value(m)));
        jv_free(m);
        return out;
    }
    jv out = fn(s, &p, rec, judged, warning);
    plan_free(&p);
    return out;
}

static jv
prompts_fn(ev_scoring *s, const plan *p, jv rec, jv unused, jv *warning)
{
    (void)warning;
    jv_free(unused);
    return plan_prompts(s, p, rec);
}

jv
ev_scoring_run(ev_scoring *s, jv rec, jv *warning)
{
    return with_plan(s, rec, jv_invalid(), warning, run_plan);
}

jv
ev_scoring_prompts(ev_scoring *s, jv rec)
{
    jv warning;
    return with_plan(s, rec, jv_invalid(), &warning, prompts_fn);
}

jv
ev_scoring_run_judged(ev_scoring *s, jv rec, jv judged, jv *warning)
{
    return with_plan(s, rec, judged, warning, run_plan);
}

jv
ev_scoring_finish(ev_scoring *s)
{
    jv problems = jv_array();
    jv_object_foreach(s->procs.index, command, pos)
    {
        jv m = ev_coproc_end(s->procs.items[(int)jv_number_value(pos)]);
        if (!jv_is_valid(m)) {
            char c1[CLIP_SIZE];
            jv why = jv_invalid_get_msg(m);
            problems = jv_array_append(problems,
                                       fmt("cmd scorer '%s' %s", clip(jv_string_value(command), c1),
                                           jv_string_value(why)));
            jv_free(why);
        } else {
            jv_free(m);
        }
        jv_free(command);
        jv_free(pos);
    }
    return problems;
}

void
ev_scoring_free(ev_scoring *s)
{
    if (s == NULL)
        return;
    plan_free(&s->dflt);
    cache_free(&s->regexes);
    cache_free(&s->procs);
    ev_sandbox_free(s->sandbox);
    cache_free(&s->worker.programs);
    jv_free(s->worker.jq_error);
    jv_free(s->compiled);
    jv_free(s->k_assert);
    jv_free(s->k_error);
    jv_free(s->k_expected);
    jv_free(s->k_output);
    jv_free(s->k_pass);
    jv_free(s->k_reason);
    jv_free(s->k_scorer);
    jv_free(s->k_value);
    jv_free(s->exact_match);
    free(s);
}
