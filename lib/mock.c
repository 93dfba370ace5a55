#include "mock.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "judge.h"
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

/* A slot indexes one text of one record by its hash; slots are sorted by
 * (hash, record) so equal texts keep file order. */
typedef struct slot {
    uint64_t h;
    size_t i;
} slot;

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

struct ev_mock {
    uint64_t seed;
    double accuracy;
    rule *tag_rules, *model_rules;
    size_t ntag_rules, nmodel_rules;
    mock_case *cases;
    size_t ncases, cap_cases;
    mock_replay *replays;
    size_t nreplays, cap_replays;
    slot *case_full, *case_last, *replay_full, *replay_last;
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

ev_mock *
ev_mock_new(uint64_t seed)
{
    ev_mock *m = ev_alloc_resize(NULL, sizeof(*m));
    memset(m, 0, sizeof(*m));
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
ev_mock_prompt(jv input, jv *full, jv *last)
{
    if (jv_get_kind(input) != JV_KIND_ARRAY) {
        *full = ev_text_of(input);
        *last = jv_copy(*full);
        return;
    }
    jv msgs = jv_array();
    *last = jv_string("");
    jv_array_foreach(input, i, msg)
    {
        if (jv_get_kind(msg) == JV_KIND_OBJECT) {
            jv text = ev_content_text(jv_object_get(jv_copy(msg), jv_string("content")));
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
    *full = ev_prompt_text(rec);
    jv_free(rec);
}

/* no_prompt returns what is wrong with the prompt 'in' (consumed) that
 * ev_rec_input refused: its own message, or 'none' when there is none. */
static jv
no_prompt(jv in, const char *none)
{
    if (jv_invalid_has_msg(jv_copy(in)))
        return jv_invalid_get_msg(in);
    jv_free(in);
    return jv_string(none);
}

bool
ev_mock_add_case(ev_mock *m, jv rec, jv *err)
{
    jv in = ev_rec_input(rec);
    if (!jv_is_valid(in)) {
        *err = no_prompt(in, "case has no 'input' or 'messages'");
        return false;
    }
    jv expected = ev_rec_expected(rec);
    if (!jv_is_valid(expected)) {
        jv_free(in);
        jv_free(expected);
        *err = jv_string("case has no 'expected'");
        return false;
    }
    jv id = ev_rec_id(rec);
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
    jv full, last;
    ev_mock_prompt(in, &full, &last);
    c->full = take_string(full);
    c->last = take_string(last);
    c->expected = take_string(ev_text_of(expected));
    c->id = take_string(id);
    jv tags = ev_rec_tags(rec);
    jv first = jv_array_length(jv_copy(tags)) > 0 ? jv_array_get(jv_copy(tags), 0) : jv_null();
    c->tag = jv_get_kind(first) == JV_KIND_STRING ? take_string(first) : (jv_free(first), NULL);
    jv_free(tags);
    c->group = 0;
    return true;
}

bool
ev_mock_add_replay(ev_mock *m, jv rec, jv *err)
{
    jv output = ev_get(rec, "output");
    if (jv_get_kind(output) != JV_KIND_STRING) {
        jv_free(output);
        return true;
    }
    jv in = ev_rec_input(rec);
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
    jv full, last;
    ev_mock_prompt(in, &full, &last);
    r->full = take_string(full);
    r->last = take_string(last);
    r->output = take_string(output);
    jv call = ev_get(rec, "call");
    jv model = ev_get(call, "model");
    jv_free(call);
    r->model = jv_get_kind(model) == JV_KIND_STRING ? take_string(model) : (jv_free(model), NULL);
    return true;
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
ev_mock_set_accuracy(ev_mock *m, const char *tag, double p)
{
    if (tag == NULL)
        m->accuracy = p;
    else
        set_rule(&m->tag_rules, &m->ntag_rules, tag, p);
}

void
ev_mock_set_model_accuracy(ev_mock *m, const char *model, double p)
{
    set_rule(&m->model_rules, &m->nmodel_rules, model, p);
}

static uint64_t
hash_str(const char *s, uint64_t seed)
{
    return ev_hash64(s, strlen(s), seed);
}

static int
cmp_slot(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

typedef const char *(*text_fn)(const ev_mock *m, size_t i);

static const char *
case_full(const ev_mock *m, size_t i)
{
    return m->cases[i].full;
}

static const char *
case_last(const ev_mock *m, size_t i)
{
    return m->cases[i].last;
}

static const char *
replay_full(const ev_mock *m, size_t i)
{
    return m->replays[i].full;
}

static const char *
replay_last(const ev_mock *m, size_t i)
{
    return m->replays[i].last;
}

/* build_index returns the slots of the 'n' texts that 'text' gives. */
static slot *
build_index(const ev_mock *m, text_fn text, size_t n)
{
    slot *s = ev_alloc_resize(NULL, n * sizeof(*s));
    for (size_t i = 0; i < n; i++)
        s[i] = (slot){hash_str(text(m, i), 0), i};
    qsort(s, n, sizeof(*s), cmp_slot);
    return s;
}

/* lower_bound returns the first slot whose hash is at least 'h'. */
static size_t
lower_bound(const slot *s, size_t n, uint64_t h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
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
build_groups(ev_mock *m)
{
    mock_case **by = ev_alloc_resize(NULL, m->ncases * sizeof(*by));
    for (size_t i = 0; i < m->ncases; i++)
        by[i] = &m->cases[i];
    qsort(by, m->ncases, sizeof(*by), cmp_case_tag);
    m->groups = ev_alloc_resize(NULL, m->ncases * sizeof(*m->groups));
    m->ngroups = 0;
    for (size_t i = 0; i < m->ncases; i++) {
        if (i == 0 || cmp_tag(by[i - 1]->tag, by[i]->tag) != 0) {
            size_t j = i;
            while (j < m->ncases && cmp_tag(by[j]->tag, by[i]->tag) == 0)
                j++;
            m->groups[m->ngroups++] =
                (group){ev_alloc_resize(NULL, (j - i) * sizeof(const char *)), 0};
        }
        group *g = &m->groups[m->ngroups - 1];
        if (g->n == 0 || strcmp(g->answers[g->n - 1], by[i]->expected) != 0)
            g->answers[g->n++] = by[i]->expected;
        by[i]->group = m->ngroups - 1;
    }
    free(by);
}

void
ev_mock_freeze(ev_mock *m)
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
find_case(const ev_mock *m, const slot *index, text_fn of, const char *text)
{
    uint64_t h = hash_str(text, 0);
    for (size_t k = lower_bound(index, m->ncases, h); k < m->ncases && index[k].h == h; k++)
        if (strcmp(of(m, index[k].i), text) == 0)
            return &m->cases[index[k].i];
    return NULL;
}

/* find_replay is find_case for replayed records, which must also answer for
 * 'model' or for any model. */
static const mock_replay *
find_replay(const ev_mock *m, const slot *index, text_fn of, const char *text, const char *model)
{
    uint64_t h = hash_str(text, 0);
    for (size_t k = lower_bound(index, m->nreplays, h); k < m->nreplays && index[k].h == h; k++) {
        const mock_replay *r = &m->replays[index[k].i];
        if (strcmp(of(m, index[k].i), text) == 0 &&
            (r->model == NULL || strcmp(r->model, model) == 0))
            return r;
    }
    return NULL;
}

static double
accuracy(const ev_mock *m, const char *model, const mock_case *c)
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
wrong_answer(const ev_mock *m, const mock_case *c, uint64_t h)
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

ev_mock_reply
ev_mock_answer(const ev_mock *m, const char *model, const char *full, const char *last)
{
    return ev_mock_answer_as(m, model, full, last, NULL);
}

static const mock_case *
lookup_case(const ev_mock *m, const char *full, const char *last)
{
    const mock_case *c = find_case(m, m->case_full, case_full, full);
    if (c == NULL && *last != '\0')
        c = find_case(m, m->case_last, case_last, last);
    return c;
}

bool
ev_mock_case_tag(const ev_mock *m, const char *full, const char *last, const char **tag)
{
    const mock_case *c = lookup_case(m, full, last);
    if (c == NULL)
        return false;
    *tag = c->tag;
    return true;
}

ev_mock_reply
ev_mock_answer_as(const ev_mock *m, const char *model, const char *full, const char *last,
                  const ev_mock_as *as)
{
    ev_mock_reply r = {NULL, EV_MOCK_UNKNOWN, NULL};
    const mock_replay *rp = find_replay(m, m->replay_full, replay_full, full, model);
    if (rp == NULL && *last != '\0')
        rp = find_replay(m, m->replay_last, replay_last, last, model);
    if (rp != NULL) {
        r.text = ev_alloc_strdup(rp->output);
        r.source = EV_MOCK_REPLAY;
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
    if (ev_unit(h) < p) {
        r.text = ev_alloc_strdup(c->expected);
        r.source = EV_MOCK_RIGHT;
    } else {
        r.text = wrong_answer(m, c, ev_mix64(h ^ 0x5bd1e995u));
        r.source = EV_MOCK_WRONG;
    }
    return r;
}

size_t
ev_mock_count_cases(const ev_mock *m)
{
    return m->ncases;
}

size_t
ev_mock_count_replay(const ev_mock *m)
{
    return m->nreplays;
}

void
ev_mock_set_judge(ev_mock *m, const char *model)
{
    free(m->judge);
    m->judge = model != NULL ? ev_alloc_strdup(model) : NULL;
}

bool
ev_mock_is_judge(const ev_mock *m, const char *model)
{
    return m->judge != NULL && strcmp(m->judge, model) == 0;
}

void
ev_mock_free(ev_mock *m)
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
    free(m->case_full);
    free(m->case_last);
    free(m->replay_full);
    free(m->replay_last);
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
    jv n = ev_normalize(jv_string_value(t), EV_NORM_CASE | EV_NORM_SPACE | EV_NORM_PUNCT);
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
ev_mock_judge(const char *prompt, bool invalid)
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
