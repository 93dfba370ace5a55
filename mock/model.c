#include "model.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "hash.h"
#include "jsonl.h"
#include "judge.h"
#include "keymap.h"
#include "record.h"
#include "text.h"

typedef struct mock_case {
    char *id;
    char *full;     /* prompt text */
    char *last;     /* last user message */
    char *expected; /* the right answer as text */
    char *tag;      /* first tag, or NULL */
    size_t group;   /* index of the case's tag in 'groups', set by freeze */
} mock_case;

typedef struct mock_replay {
    char *full;
    char *last;
    char *model; /* NULL: the record answers for any model */
    char *output;
} mock_replay;

/* The distinct expected answers of the cases that share a first tag: the
 * pool a wrong answer is drawn from. */
typedef struct group {
    const char **answers; /* sorted, borrowed from the cases */
    size_t n;
} group;

typedef struct rule {
    char *name;
    double p;
} rule;

struct evm_model {
    uint64_t seed;
    double accuracy;
    rule *tag_rules, *model_rules;
    size_t ntag_rules, nmodel_rules;
    mock_case *cases;
    size_t ncases, cap_cases;
    mock_replay *replays;
    size_t nreplays, cap_replays;
    /* the records by a hash of each text; freeze builds them */
    ev_keymap *case_full, *case_last, *replay_full, *replay_last;
    group *groups;
    size_t ngroups;
    char *judge; /* the model that grades judge prompts, or NULL */
};

/* take_string returns a copy of the string 's' (consumed). */
static char *
take_string(jv s)
{
    char *out = ev_alloc_strdup(jv_string_value(s));
    jv_free(s);
    return out;
}

evm_model *
evm_model_new(uint64_t seed)
{
    evm_model *m = ev_alloc_zero(1, sizeof(*m));
    m->seed = seed;
    m->accuracy = 1.0;
    return m;
}

static bool
has_role(jv msg, const char *role)
{
    jv r = jv_object_get(jv_copy(msg), jv_string("role"));
    bool yes = jv_get_kind(r) == JV_KIND_STRING && strcmp(jv_string_value(r), role) == 0;
    jv_free(r);
    return yes;
}

void
evm_model_prompt(jv input, jv *full, jv *last)
{
    if (jv_get_kind(input) != JV_KIND_ARRAY) {
        *full = ev_record_text_of(input);
        *last = jv_copy(*full);
        return;
    }
    jv msgs = jv_array();
    *last = jv_string("");
    jv_array_foreach(input, i, msg)
    {
        if (jv_get_kind(msg) == JV_KIND_OBJECT) {
            jv text = ev_record_content_text(jv_object_get(jv_copy(msg), jv_string("content")));
            if (has_role(msg, "user")) {
                jv_free(*last);
                *last = jv_copy(text);
            }
            msg = jv_object_set(msg, jv_string("content"), text);
        }
        msgs = jv_array_append(msgs, msg);
        (void)i;
    }
    jv_free(input);
    jv rec = jv_object_set(jv_object(), jv_string("input"), msgs);
    *full = ev_record_prompt_text(rec);
    jv_free(rec);
}

/* take_prompt sets '*full' and '*last' to copies of the texts of the
 * prompt 'in' (consumed), as evm_model_prompt gives them. */
static void
take_prompt(jv in, char **full, char **last)
{
    jv f, l;
    evm_model_prompt(in, &f, &l);
    *full = take_string(f);
    *last = take_string(l);
}

/* no_prompt returns what is wrong with the prompt 'in' (consumed) that
 * ev_record_input refused: its own message, or 'none' when there is none. */
static jv
no_prompt(jv in, const char *none)
{
    if (jv_invalid_has_msg(jv_copy(in)))
        return jv_invalid_get_msg(in);
    jv_free(in);
    return jv_string(none);
}

bool
evm_model_add_case(evm_model *m, jv rec, jv *err)
{
    jv in = ev_record_input(rec);
    if (!jv_is_valid(in)) {
        *err = no_prompt(in, "case has no 'input' or 'messages'");
        return false;
    }
    jv expected = ev_record_expected(rec);
    if (!jv_is_valid(expected)) {
        jv_free(in);
        jv_free(expected);
        *err = jv_string("case has no 'expected'");
        return false;
    }
    jv id = ev_record_id(rec);
    if (!jv_is_valid(id)) {
        jv_free(in);
        jv_free(expected);
        *err = jv_invalid_get_msg(id);
        return false;
    }
    if (m->ncases == m->cap_cases) {
        m->cap_cases = m->cap_cases ? 2 * m->cap_cases : 64;
        m->cases = ev_alloc_resize(m->cases, m->cap_cases * sizeof(*m->cases));
    }
    mock_case *c = &m->cases[m->ncases++];
    take_prompt(in, &c->full, &c->last);
    c->expected = take_string(ev_record_text_of(expected));
    c->id = take_string(id);
    jv tags = ev_record_tags(rec);
    jv first = jv_array_length(jv_copy(tags)) > 0 ? jv_array_get(jv_copy(tags), 0) : jv_null();
    c->tag = jv_get_kind(first) == JV_KIND_STRING ? take_string(first) : (jv_free(first), NULL);
    jv_free(tags);
    c->group = 0;
    return true;
}

bool
evm_model_add_replay(evm_model *m, jv rec, jv *err)
{
    jv output = ev_json_field(rec, "output");
    if (jv_get_kind(output) != JV_KIND_STRING) {
        jv_free(output);
        return true;
    }
    jv in = ev_record_input(rec);
    if (!jv_is_valid(in)) {
        jv_free(output);
        *err = no_prompt(in, "record has no 'input' or 'messages'");
        return false;
    }
    if (m->nreplays == m->cap_replays) {
        m->cap_replays = m->cap_replays ? 2 * m->cap_replays : 64;
        m->replays = ev_alloc_resize(m->replays, m->cap_replays * sizeof(*m->replays));
    }
    mock_replay *r = &m->replays[m->nreplays++];
    take_prompt(in, &r->full, &r->last);
    r->output = take_string(output);
    jv call = ev_json_field(rec, "call");
    jv model = ev_json_field(call, "model");
    jv_free(call);
    r->model = jv_get_kind(model) == JV_KIND_STRING ? take_string(model) : (jv_free(model), NULL);
    return true;
}

bool
evm_model_load(evm_model *m, char **paths, int n, bool replay, evm_model_report report, void *ctx)
{
    ev_jsonl_reader r;
    jv rec, err;
    int rc;
    bool ok = true;
    if (n == 0)
        return true;
    ev_jsonl_init(&r, paths, n, NULL);
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            report(ctx, jv_invalid_get_msg(rec));
            ok = false;
            continue;
        }
        if (!(replay ? evm_model_add_replay(m, rec, &err) : evm_model_add_case(m, rec, &err))) {
            jv where = ev_jsonl_where(&r);
            report(ctx, jv_string_fmt("%s: %s", jv_string_value(where), jv_string_value(err)));
            jv_free(where);
            jv_free(err);
            ok = false;
        }
        jv_free(rec);
    }
    ev_jsonl_free(&r);
    return ok;
}

static void
set_rule(rule **rules, size_t *n, const char *name, double p)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*rules)[i].name, name) == 0) {
            (*rules)[i].p = p;
            return;
        }
    }
    *rules = ev_alloc_resize(*rules, (*n + 1) * sizeof(**rules));
    (*rules)[*n] = (rule){ev_alloc_strdup(name), p};
    (*n)++;
}

static const rule *
find_rule(const rule *rules, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(rules[i].name, name) == 0)
            return &rules[i];
    return NULL;
}

void
evm_model_set_accuracy(evm_model *m, const char *tag, double p)
{
    if (tag == NULL)
        m->accuracy = p;
    else
        set_rule(&m->tag_rules, &m->ntag_rules, tag, p);
}

void
evm_model_set_model_accuracy(evm_model *m, const char *model, double p)
{
    set_rule(&m->model_rules, &m->nmodel_rules, model, p);
}

static uint64_t
hash_str(const char *s, uint64_t seed)
{
    return ev_hash_64(s, strlen(s), seed);
}

typedef const char *(*text_fn)(const evm_model *m, size_t i);

static const char *
case_full(const evm_model *m, size_t i)
{
    return m->cases[i].full;
}

static const char *
case_last(const evm_model *m, size_t i)
{
    return m->cases[i].last;
}

static const char *
replay_full(const evm_model *m, size_t i)
{
    return m->replays[i].full;
}

static const char *
replay_last(const evm_model *m, size_t i)
{
    return m->replays[i].last;
}

/* build_index returns the index of the 'n' texts that 'text' gives. */
static ev_keymap *
build_index(const evm_model *m, text_fn text, size_t n)
{
    ev_keymap *ix = ev_keymap_new();
    for (size_t i = 0; i < n; i++)
        ev_keymap_add(ix, hash_str(text(m, i), 0), (uint32_t)i);
    return ix;
}

/* find returns the first record in file order whose text, as 'of' gives it
 * from 'index', is 'text' and that 'fits' (NULL: any), or -1. */
static long
find(const evm_model *m, const ev_keymap *index, text_fn of, const char *text,
     bool (*fits)(const evm_model *m, size_t i, const char *model), const char *model)
{
    long first = -1;
    size_t e = ev_keymap_find(index, hash_str(text, 0));
    for (; e != EV_KEYMAP_END; e = ev_keymap_next(index, e)) {
        size_t i = ev_keymap_item(index, e);
        if ((first < 0 || i < (size_t)first) && strcmp(of(m, i), text) == 0 &&
            (fits == NULL || fits(m, i, model)))
            first = (long)i;
    }
    return first;
}

static int
cmp_tag(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Sorting case pointers by tag, then by expected answer, lines up each
 * group's answers so duplicates are adjacent. */
static int
cmp_case_tag(const void *a, const void *b)
{
    const mock_case *x = *(const mock_case *const *)a, *y = *(const mock_case *const *)b;
    int c = cmp_tag(x->tag, y->tag);
    return c != 0 ? c : strcmp(x->expected, y->expected);
}

static void
build_groups(evm_model *m)
{
    mock_case **by = ev_alloc(m->ncases * sizeof(*by));
    for (size_t i = 0; i < m->ncases; i++)
        by[i] = &m->cases[i];
    qsort(by, m->ncases, sizeof(*by), cmp_case_tag);
    m->groups = ev_alloc(m->ncases * sizeof(*m->groups));
    m->ngroups = 0;
    for (size_t i = 0; i < m->ncases; i++) {
        if (i == 0 || cmp_tag(by[i - 1]->tag, by[i]->tag) != 0) {
            size_t j = i;
            while (j < m->ncases && cmp_tag(by[j]->tag, by[i]->tag) == 0)
                j++;
            m->groups[m->ngroups++] = (group){ev_alloc((j - i) * sizeof(const char *)), 0};
        }
        group *g = &m->groups[m->ngroups - 1];
        if (g->n == 0 || strcmp(g->answers[g->n - 1], by[i]->expected) != 0)
            g->answers[g->n++] = by[i]->expected;
        by[i]->group = m->ngroups - 1;
    }
    free(by);
}

void
evm_model_freeze(evm_model *m)
{
    m->case_full = build_index(m, case_full, m->ncases);
    m->case_last = build_index(m, case_last, m->ncases);
    m->replay_full = build_index(m, replay_full, m->nreplays);
    m->replay_last = build_index(m, replay_last, m->nreplays);
    build_groups(m);
}

/* find_case returns the first case whose text, as 'of' gives it from
 * 'index', is 'text', or NULL. */
static const mock_case *
find_case(const evm_model *m, const ev_keymap *index, text_fn of, const char *text)
{
    long i = find(m, index, of, text, NULL, NULL);
    return i >= 0 ? &m->cases[i] : NULL;
}

/* answers_for says whether replayed record 'i' answers for 'model': it
 * names that model or none. */
static bool
answers_for(const evm_model *m, size_t i, const char *model)
{
    return m->replays[i].model == NULL || strcmp(m->replays[i].model, model) == 0;
}

/* find_replay is find_case for replayed records, which must also answer for
 * 'model'. */
static const mock_replay *
find_replay(const evm_model *m, const ev_keymap *index, text_fn of, const char *text,
            const char *model)
{
    long i = find(m, index, of, text, answers_for, model);
    return i >= 0 ? &m->replays[i] : NULL;
}

static double
accuracy(const evm_model *m, const char *model, const mock_case *c)
{
    const rule *t = find_rule(m->tag_rules, m->ntag_rules, c->tag);
    const rule *f = find_rule(m->model_rules, m->nmodel_rules, model);
    return (t ? t->p : m->accuracy) * (f ? f->p : 1.0);
}

/* perturb returns a wrong answer made from the right one 'right': a number
 * plus one, otherwise a refusal to know. */
static char *
perturb(const char *right)
{
    char *end, buf[64];
    double v = strtod(right, &end);
    if (end != right && *end == '\0' && isfinite(v) && fabs(v) < 1e15) {
        if (v == floor(v))
            snprintf(buf, sizeof(buf), "%.0f", v + 1);
        else
            snprintf(buf, sizeof(buf), "%.15g", v + 1);
        return ev_alloc_strdup(buf);
    }
    return ev_alloc_strdup(strcmp(right, "I don't know") == 0 ? "I do not know" : "I don't know");
}

/* wrong_answer returns another answer from the case's tag group, chosen by
 * 'h', or a perturbation when the group has no other. */
static char *
wrong_answer(const evm_model *m, const mock_case *c, uint64_t h)
{
    const group *g = &m->groups[c->group];
    if (g->n < 2)
        return perturb(c->expected);
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(g->answers[mid], c->expected) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t own = lo;
    size_t k = (size_t)(h % (g->n - 1));
    return ev_alloc_strdup(g->answers[k < own ? k : k + 1]);
}

evm_model_reply
evm_model_answer(const evm_model *m, const char *model, const char *full, const char *last)
{
    return evm_model_answer_as(m, model, full, last, NULL);
}

static const mock_case *
lookup_case(const evm_model *m, const char *full, const char *last)
{
    const mock_case *c = find_case(m, m->case_full, case_full, full);
    if (c == NULL && *last != '\0')
        c = find_case(m, m->case_last, case_last, last);
    return c;
}

bool
evm_model_case_tag(const evm_model *m, const char *full, const char *last, const char **tag)
{
    const mock_case *c = lookup_case(m, full, last);
    if (c == NULL)
        return false;
    *tag = c->tag;
    return true;
}

evm_model_reply
evm_model_answer_as(const evm_model *m, const char *model, const char *full, const char *last,
                    const evm_model_as *as)
{
    evm_model_reply r = {NULL, EVM_MODEL_UNKNOWN, NULL};
    const mock_replay *rp = find_replay(m, m->replay_full, replay_full, full, model);
    if (rp == NULL && *last != '\0')
        rp = find_replay(m, m->replay_last, replay_last, last, model);
    if (rp != NULL) {
        r.text = ev_alloc_strdup(rp->output);
        r.source = EVM_MODEL_REPLAY;
        return r;
    }
    const mock_case *c = lookup_case(m, full, last);
    if (c == NULL) {
        char buf[32];
        snprintf(buf, sizeof(buf), "mock answer %08x", (unsigned)(hash_str(full, m->seed) >> 32));
        r.text = ev_alloc_strdup(buf);
        return r;
    }
    r.case_id = c->id;
    const char *draw = as != NULL && as->draw != NULL ? as->draw : model;
    double p =
        as != NULL && as->accuracy != NULL ? as->accuracy(as->ctx, c->tag) : accuracy(m, model, c);
    uint64_t h = hash_str(c->id, hash_str(draw, m->seed));
    if (ev_hash_unit(h) < p) {
        r.text = ev_alloc_strdup(c->expected);
        r.source = EVM_MODEL_RIGHT;
    } else {
        r.text = wrong_answer(m, c, ev_hash_mix64(h ^ 0x5bd1e995u));
        r.source = EVM_MODEL_WRONG;
    }
    return r;
}

size_t
evm_model_count_cases(const evm_model *m)
{
    return m->ncases;
}

size_t
evm_model_count_replay(const evm_model *m)
{
    return m->nreplays;
}

void
evm_model_set_judge(evm_model *m, const char *model)
{
    free(m->judge);
    m->judge = model != NULL ? ev_alloc_strdup(model) : NULL;
}

bool
evm_model_is_judge(const evm_model *m, const char *model)
{
    return m->judge != NULL && strcmp(m->judge, model) == 0;
}

void
evm_model_free(evm_model *m)
{
    if (m == NULL)
        return;
    free(m->judge);
    for (size_t i = 0; i < m->ncases; i++) {
        mock_case *c = &m->cases[i];
        free(c->id);
        free(c->full);
        free(c->last);
        free(c->expected);
        free(c->tag);
    }
    for (size_t i = 0; i < m->nreplays; i++) {
        mock_replay *r = &m->replays[i];
        free(r->full);
        free(r->last);
        free(r->model);
        free(r->output);
    }
    for (size_t i = 0; i < m->ngroups; i++)
        free(m->groups[i].answers);
    for (size_t i = 0; i < m->ntag_rules; i++)
        free(m->tag_rules[i].name);
    for (size_t i = 0; i < m->nmodel_rules; i++)
        free(m->model_rules[i].name);
    free(m->tag_rules);
    free(m->model_rules);
    free(m->groups);
    free(m->cases);
    free(m->replays);
    ev_keymap_free(m->case_full);
    ev_keymap_free(m->case_last);
    ev_keymap_free(m->replay_full);
    ev_keymap_free(m->replay_last);
    free(m);
}

/* --- the judge ----------------------------------------------------------- */

/* holds says whether 'hay' holds 'needle' (both normalised strings,
 * consumed); an empty needle is held by nothing. */
static bool
holds(jv hay, jv needle)
{
    bool in = jv_string_length_bytes(jv_copy(needle)) > 0 &&
              strstr(jv_string_value(hay), jv_string_value(needle)) != NULL;
    jv_free(hay);
    jv_free(needle);
    return in;
}

static jv
norm_part(const char *s, size_t len)
{
    jv t = jv_string_sized(s, (int)len);
    jv n = ev_text_normalize(jv_string_value(t),
                             EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE | EV_TEXT_NORM_PUNCT);
    jv_free(t);
    return n;
}

/* grade_parts grades a built-in judge prompt: the output against the
 * expected answer, both normalised. */
static const char *
grade_parts(const ev_judge_parts *p)
{
    jv out = norm_part(p->output, p->output_len);
    jv exp = norm_part(p->expected, p->expected_len);
    const char *label;
    if (!p->has_expected) {
        label = ev_judge_label(p->kind, jv_string_length_bytes(jv_copy(out)) > 0, false, false);
    } else if (jv_equal(jv_copy(out), jv_copy(exp))) {
        label = ev_judge_label(p->kind, true, false, false);
    } else if (holds(jv_copy(out), jv_copy(exp))) {
        label = ev_judge_label(p->kind, true, false, true);
    } else if (p->kind == EV_JUDGE_FACT && holds(jv_copy(exp), jv_copy(out))) {
        label = ev_judge_label(p->kind, true, true, false);
    } else {
        label = ev_judge_label(p->kind, false, false, false);
    }
    jv_free(out);
    jv_free(exp);
    return label;
}

/* grade_other grades a prompt of someone else's template: PASS when its
 * last non-empty line, normalised, is found in the text above it. */
static const char *
grade_other(const char *prompt)
{
    const char *stop = prompt + strlen(prompt);
    while (stop > prompt && isspace((unsigned char)stop[-1]))
        stop--;
    const char *line = stop;
    while (line > prompt && line[-1] != '\n')
        line--;
    bool pass =
        holds(norm_part(prompt, (size_t)(line - prompt)), norm_part(line, (size_t)(stop - line)));
    return pass ? "PASS" : "FAIL";
}

char *
evm_model_judge(const char *prompt, bool invalid)
{
    const char *text;
    char *out;
    if (invalid) {
        text = "The answer looks mostly right to me, though I would not swear to it.";
        out = ev_alloc_strdup(text);
    } else {
        ev_judge_parts p;
        const char *label = ev_judge_split(prompt, &p) ? grade_parts(&p) : grade_other(prompt);
        out = ev_alloc_printf("I compared the answer with the reference.\n%s", label);
    }
    return out;
}
