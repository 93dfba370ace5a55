#include "judge.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "cli.h"
#include "record.h"
#include "template.h"

/* The lines around the texts of a built-in prompt. */
#define MARK_INPUT "<<<INPUT>>>\n"
#define MARK_EXPECTED "\n<<<EXPECTED>>>\n"
#define MARK_OUTPUT "\n<<<OUTPUT>>>\n"
#define MARK_END "\n<<<END>>>\n"
#define MARK_LABELS "\nLabels: "

typedef struct judge_label {
    const char *name;
    double value;
    const char *meaning;
} judge_label;

/* fact grades consistency, not wording: an answer that gives only part of
 * the expected facts still passes, at a lower value. */
static const judge_label fact_labels[] = {
    {"A", 1, "the OUTPUT states the same facts as the EXPECTED answer"},
    {"B", 1, "the OUTPUT states every fact of the EXPECTED answer and more that agree with it"},
    {"C", 0.75, "the OUTPUT states some facts of the EXPECTED answer and nothing against the rest"},
    {"D", 1, "the OUTPUT differs from the EXPECTED answer only in ways that do not change it"},
    {"E", 0, "the OUTPUT contradicts the EXPECTED answer"},
};

static const judge_label closedqa_labels[] = {
    {"Y", 1, "the OUTPUT answers the INPUT correctly"},
    {"N", 0, "the OUTPUT does not answer the INPUT correctly"},
};

static const judge_label rubric_labels[] = {
    {"PASS", 1, "the OUTPUT meets the criterion"},
    {"FAIL", 0, "the OUTPUT does not meet the criterion"},
};

static const struct builtin {
    const char *name, *scorer, *task, *question;
    const judge_label *labels;
    int n;
} builtins[] = {
    [EV_JUDGE_FACT] = {"fact", "judge:fact",
                       "You are grading a model's answer against the expected answer. Compare "
                       "the facts only: ignore style, length and wording.\n",
                       "Which label says how the OUTPUT relates to the EXPECTED answer?\n",
                       fact_labels, 5},
    [EV_JUDGE_CLOSEDQA] = {"closedqa", "judge:closedqa",
                           "You are grading a model's answer to a question. The EXPECTED answer, "
                           "when there is one, is a reference for what is correct.\n",
                           "Does the OUTPUT answer the INPUT correctly?\n", closedqa_labels, 2},
    [EV_JUDGE_RUBRIC] = {"rubric", "judge:rubric",
                         "You are grading a model's answer against one criterion. The EXPECTED "
                         "answer, when there is one, is a reference.\n",
                         "Does the OUTPUT meet the criterion?\n", rubric_labels, 2},
};

struct ev_judge_rubric {
    enum ev_judge_kind kind;
    char *criterion;     /* rubric: the criterion */
    ev_template *tpl;    /* template */
    judge_label *labels; /* template: owned names; else the built-in table */
    int n;
};

static ev_judge_rubric *
rubric_new(enum ev_judge_kind kind)
{
    ev_judge_rubric *r = ev_alloc_zero(1, sizeof(*r));
    r->kind = kind;
    if (kind != EV_JUDGE_TEMPLATE) {
        r->labels = (judge_label *)builtins[kind].labels;
        r->n = builtins[kind].n;
    }
    return r;
}

ev_judge_rubric *
ev_judge_criterion(const char *text)
{
    ev_judge_rubric *r = rubric_new(EV_JUDGE_RUBRIC);
    r->criterion = ev_alloc_strdup(text);
    return r;
}

ev_judge_rubric *
ev_judge_parse(const char *spec, jv *err)
{
    if (strcmp(spec, "fact") == 0)
        return rubric_new(EV_JUDGE_FACT);
    if (strcmp(spec, "closedqa") == 0)
        return rubric_new(EV_JUDGE_CLOSEDQA);
    if (strncmp(spec, "rubric:", 7) == 0 && spec[7] != '\0')
        return ev_judge_criterion(spec + 7);
    *err = jv_invalid_with_msg(
        jv_string("a rubric is 'fact', 'closedqa' or 'rubric:TEXT' with TEXT not empty"));
    return NULL;
}

/* add_label adds the label "NAME=VALUE" of 'len' bytes at 'item' to 'r'. */
static bool
add_label(ev_judge_rubric *r, const char *item, size_t len, jv *err)
{
    char *name = ev_alloc_strndup(item, len);
    char *eq = strrchr(name, '=');
    double v = 0;
    bool ok = eq != NULL && eq != name && ev_cli_parse_double(eq + 1, 0, 1, &v);
    if (!ok) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("bad label '%s': want LABEL=VALUE with VALUE in [0, 1]", name));
        free(name);
        return false;
    }
    *eq = '\0';
    for (char *p = name; *p && ok; p++)
        ok = !isspace((unsigned char)*p);
    for (int i = 0; i < r->n && ok; i++)
        ok = strcasecmp(r->labels[i].name, name) != 0;
    if (ok)
        ok = strcasecmp(name, EV_JUDGE_INVALID) != 0;
    if (!ok) {
        *err = jv_invalid_with_msg(jv_string_fmt(
            "bad label '%s': labels are distinct, without blanks, and not INVALID", name));
        free(name);
        return false;
    }
    r->labels = ev_alloc_resize(r->labels, (size_t)(r->n + 1) * sizeof(judge_label));
    r->labels[r->n++] = (judge_label){name, v, NULL};
    return true;
}

/* parse_labels reads "LABEL=VALUE,..." into 'r'. */
static bool
parse_labels(ev_judge_rubric *r, const char *spec, jv *err)
{
    for (const char *p = spec;; p++) {
        size_t len = strcspn(p, ",");
        if (!add_label(r, p, len, err))
            return false;
        p += len;
        if (*p == '\0')
            return true;
    }
}

ev_judge_rubric *
ev_judge_from_template(const char *path, const char *labels, jv *err)
{
    ev_judge_rubric *r = rubric_new(EV_JUDGE_TEMPLATE);
    r->tpl = ev_template_load(path, err);
    if (r->tpl == NULL || !parse_labels(r, labels, err)) {
        ev_judge_free(r);
        return NULL;
    }
    return r;
}

const char *
ev_judge_scorer(const ev_judge_rubric *r)
{
    return r->kind == EV_JUDGE_TEMPLATE ? "judge:template" : builtins[r->kind].scorer;
}

bool
ev_judge_needs_expected(const ev_judge_rubric *r)
{
    return r->kind == EV_JUDGE_FACT;
}

const char *
ev_judge_meaning(const ev_judge_rubric *r, const char *name)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->labels[i].name, name) == 0)
            return r->labels[i].meaning;
    }
    return NULL;
}

static jv
builtin_prompt(const ev_judge_rubric *r, jv input, jv expected, jv output)
{
    const struct builtin *b = &builtins[r->kind];
    jv p = jv_string(b->task);
    p = jv_string_append_str(p, MARK_INPUT);
    p = jv_string_concat(p, input);
    p = jv_string_append_str(p, MARK_EXPECTED);
    p = jv_string_concat(p, jv_is_valid(expected) ? expected : jv_string("(none)"));
    p = jv_string_append_str(p, MARK_OUTPUT);
    p = jv_string_concat(p, output);
    p = jv_string_append_str(p, MARK_END);
    if (r->kind == EV_JUDGE_RUBRIC)
        p = jv_string_concat(p, jv_string_fmt("Criterion: %s\n", r->criterion));
    p = jv_string_append_str(p, b->question);
    p = jv_string_append_str(p, MARK_LABELS + 1);
    for (int i = 0; i < r->n; i++)
        p = jv_string_append_str(jv_string_append_str(p, i ? ", " : ""), r->labels[i].name);
    p = jv_string_append_str(p, "\n");
    for (int i = 0; i < r->n; i++)
        p = jv_string_concat(p, jv_string_fmt("%s: %s\n", r->labels[i].name, r->labels[i].meaning));
    return jv_string_append_str(p, "Think briefly if you need to, then write the label alone "
                                   "on the last line.");
}

jv
ev_judge_prompt(const ev_judge_rubric *r, jv rec, jv expected, jv output)
{
    if (!jv_is_valid(expected) && ev_judge_needs_expected(r)) {
        jv_free(expected);
        jv_free(output);
        return jv_invalid_with_msg(
            jv_string("no 'expected' for the judge (" EV_RECORD_EXPECTED_ELSEWHERE ")"));
    }
    jv input = ev_record_prompt_text(rec);
    if (r->kind != EV_JUDGE_TEMPLATE)
        return builtin_prompt(r, input, expected, output);
    jv fields = jv_copy(rec);
    if (jv_get_kind(fields) != JV_KIND_OBJECT) {
        jv_free(fields);
        fields = jv_object();
    }
    fields = jv_object_set(fields, jv_string("input"), input);
    fields = jv_object_set(fields, jv_string("output"), output);
    if (jv_is_valid(expected))
        fields = jv_object_set(fields, jv_string("expected"), expected);
    else
        fields = jv_object_delete(fields, jv_string("expected"));
    jv out = ev_template_render(r->tpl, fields);
    jv_free(fields);
    return out;
}

/* unwrap trims 's' of blanks, a "Grade:" or "Answer:" or "Label:" prefix,
 * a final full stop and the quotes, asterisks and brackets around it. The
 * result is in 'buf'. */
static void
unwrap(const char *s, size_t len, char *buf)
{
    static const char *const prefixes[] = {"grade:", "answer:", "label:"};
    static const char wraps[] = "\"'`*[]()<>";
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && strncasecmp(s, prefixes[i], n) == 0) {
            s += n;
            len -= n;
            break;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        while (len > 0 && isspace((unsigned char)s[len - 1]))
            len--;
        if (len > 0 && s[len - 1] == '.')
            len--;
        while (len > 0 && (isspace((unsigned char)*s) || strchr(wraps, *s) != NULL))
            s++, len--;
        while (len > 0 && (isspace((unsigned char)s[len - 1]) || strchr(wraps, s[len - 1]) != NULL))
            len--;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
}

jv
ev_judge_read(const ev_judge_rubric *r, const char *text)
{
    /* the last non-empty line; a one-line answer is its own last line */
    const char *stop = text + strlen(text);
    while (stop > text && isspace((unsigned char)stop[-1]))
        stop--;
    const char *line = stop;
    while (line > text && line[-1] != '\n')
        line--;
    size_t len = (size_t)(stop - line);
    jv out = jv_object();
    if (len <= 64) {
        char buf[65];
        unwrap(line, len, buf);
        for (int i = 0; i < r->n; i++) {
            if (strcasecmp(buf, r->labels[i].name) == 0) {
                out = jv_object_set(out, jv_string("label"), jv_string(r->labels[i].name));
                return jv_object_set(out, jv_string("value"), jv_number(r->labels[i].value));
            }
        }
    }
    out = jv_object_set(out, jv_string("label"), jv_string(EV_JUDGE_INVALID));
    return jv_object_set(out, jv_string("value"), jv_number(0));
}

static bool
sample_pass(jv label, double value)
{
    return value >= 0.5 && strcmp(jv_string_value(label), EV_JUDGE_INVALID) != 0;
}

jv
ev_judge_aggregate(jv samples, bool mean)
{
    int n = jv_array_length(jv_copy(samples));
    jv counts = jv_object(); /* label -> votes */
    double sum = 0;
    jv best = jv_invalid();
    int best_votes = 0;
    double best_value = 0;
    jv_array_foreach(samples, i, s)
    {
        jv l = jv_object_get(jv_copy(s), jv_string("label"));
        jv v = jv_object_get(s, jv_string("value"));
        double value = jv_number_value(v);
        jv_free(v);
        sum += value;
        jv c = jv_object_get(jv_copy(counts), jv_copy(l));
        int votes = (jv_is_valid(c) ? (int)jv_number_value(c) : 0) + 1;
        jv_free(c);
        counts = jv_object_set(counts, jv_copy(l), jv_number(votes));
        /* ties go to the lower value: when unsure, say less */
        if (votes > best_votes || (votes == best_votes && value < best_value)) {
            jv_free(best);
            best = jv_copy(l);
            best_votes = votes;
            best_value = value;
        }
        jv_free(l);
    }
    jv_free(counts);
    double value = mean && n > 0 ? sum / n : best_value;
    /* a result whose label is INVALID never passes, whatever the mean */
    bool pass = mean ? value >= 0.5 && sample_pass(best, 1) : sample_pass(best, best_value);
    int agree = best_votes;
    if (mean) {
        agree = 0;
        jv_array_foreach(samples, i, s)
        {
            jv l = jv_object_get(jv_copy(s), jv_string("label"));
            jv v = jv_object_get(s, jv_string("value"));
            agree += sample_pass(l, jv_number_value(v)) == pass;
            jv_free(l);
            jv_free(v);
        }
    }
    jv_free(samples);
    jv out = jv_object_set(jv_object(), jv_string("label"),
                           jv_is_valid(best) ? best : jv_string(EV_JUDGE_INVALID));
    out = jv_object_set(out, jv_string("value"), jv_number(value));
    out = jv_object_set(out, jv_string("pass"), jv_bool(pass));
    return jv_object_set(out, jv_string("agreement"),
                         jv_number(n > 0 ? round(1e6 * agree / n) / 1e6 : 0));
}

void
ev_judge_free(ev_judge_rubric *r)
{
    if (r == NULL)
        return;
    if (r->kind == EV_JUDGE_TEMPLATE) {
        for (int i = 0; i < r->n; i++)
            free((char *)r->labels[i].name);
        free(r->labels);
    }
    ev_template_free(r->tpl);
    free(r->criterion);
    free(r);
}

/* --- the reading side ---------------------------------------------------- */

/* after returns what follows the first 'mark' in 's', or NULL. */
static const char *
after(const char *s, const char *mark)
{
    const char *p = strstr(s, mark);
    return p ? p + strlen(mark) : NULL;
}

bool
ev_judge_split(const char *prompt, ev_judge_parts *p)
{
    const char *in = strstr(prompt, MARK_INPUT);
    if (in == NULL)
        return false;
    in += strlen(MARK_INPUT);
    const char *ex = strstr(in, MARK_EXPECTED);
    const char *exb = ex ? ex + strlen(MARK_EXPECTED) : NULL;
    const char *out = exb ? strstr(exb, MARK_OUTPUT) : NULL;
    const char *outb = out ? out + strlen(MARK_OUTPUT) : NULL;
    /* the last end mark, so that an output holding one is read whole */
    const char *end = NULL;
    for (const char *q = outb; q && (q = strstr(q, MARK_END)) != NULL; q++)
        end = q;
    const char *labels = end ? after(end, MARK_LABELS) : NULL;
    if (labels == NULL)
        return false;
    size_t llen = strcspn(labels, "\n");
    bool found = false;
    for (int k = EV_JUDGE_FACT; k <= EV_JUDGE_RUBRIC && !found; k++) {
        const struct builtin *b = &builtins[k];
        char want[64] = "";
        size_t used = 0;
        for (int i = 0; i < b->n; i++)
            used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", i ? ", " : "",
                                     b->labels[i].name);
        if (llen == used && strncmp(labels, want, llen) == 0) {
            p->kind = (enum ev_judge_kind)k;
            found = true;
        }
    }
    if (!found)
        return false;
    p->input = in;
    p->input_len = (size_t)(ex - in);
    p->expected = exb;
    p->expected_len = (size_t)(out - exb);
    p->has_expected = !(p->expected_len == 6 && strncmp(exb, "(none)", 6) == 0);
    p->output = outb;
    p->output_len = (size_t)(end - outb);
    return true;
}

const char *
ev_judge_label(enum ev_judge_kind kind, bool pass, bool partial, bool more)
{
    const struct builtin *b = &builtins[kind];
    if (kind == EV_JUDGE_FACT && pass && more)
        return "B";
    if (kind == EV_JUDGE_FACT && partial)
        return "C";
    return pass ? b->labels[0].name : b->labels[b->n - 1].name;
}
