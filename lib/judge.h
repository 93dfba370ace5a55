/*
 * judge.h: the judge prompt format, for model-graded scoring.
 *
 * Ownership: json.h.
 *
 * A rubric says how a judge model grades an answer: a built-in one (fact,
 * closedqa, rubric:TEXT) writes a prompt in the format below, and a user's
 * template (template.h) writes whatever its author wrote. Either way the
 * judge must answer with one label of a fixed set, each label mapped to a
 * value in [0, 1]; an answer that is not one of them reads as the label
 * INVALID, value 0.
 *
 * The built-in prompt puts the three texts between lines that ev-mock reads
 * back (ev_judge_split), so the format lives here alone:
 *
 *     ...the task...
 *     <<<INPUT>>>
 *     the prompt the model was given
 *     <<<EXPECTED>>>
 *     the expected answer, or "(none)"
 *     <<<OUTPUT>>>
 *     the model's answer
 *     <<<END>>>
 *     ...the criterion...
 *     Labels: A, B, C, D, E
 *     A: ...what each label means...
 */
#ifndef EV_JUDGE_H
#define EV_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#define EV_JUDGE_INVALID "INVALID"

enum ev_judge_kind {
    EV_JUDGE_FACT,     /* is the output consistent with the expected answer; A to E */
    EV_JUDGE_CLOSEDQA, /* does it answer the question correctly; Y or N */
    EV_JUDGE_RUBRIC,   /* does it meet a criterion; PASS or FAIL */
    EV_JUDGE_TEMPLATE, /* a user's template and labels */
};

typedef struct ev_judge_rubric ev_judge_rubric;

/* ev_judge_parse reads a --judge RUBRIC: "fact", "closedqa" or
 * "rubric:TEXT". On error it returns NULL and sets '*err' to an invalid
 * with a message. */
ev_judge_rubric *ev_judge_parse(const char *spec, jv *err);

/* ev_judge_criterion returns the rubric "does it meet 'text'". */
ev_judge_rubric *ev_judge_criterion(const char *text);

/* ev_judge_from_template reads the template file 'path', whose placeholders
 * {{input}}, {{expected}} and {{output}} are the texts of the case, and
 * the label list 'labels', "LABEL=VALUE,..." with values in [0, 1]. */
ev_judge_rubric *ev_judge_from_template(const char *path, const char *labels, jv *err);

/* ev_judge_scorer names the rubric in a score: "judge:fact",
 * "judge:closedqa", "judge:rubric" or "judge:template". */
const char *ev_judge_scorer(const ev_judge_rubric *r);

/* ev_judge_needs_expected says whether a case must have an expected
 * answer to be graded (fact, and a template that names {{expected}}). */
bool ev_judge_needs_expected(const ev_judge_rubric *r);

/* ev_judge_prompt writes the judge's prompt for the case 'rec' whose
 * answer is 'output' and expected answer 'expected' (text, or invalid when
 * there is none). Returns a string, or an invalid with a message. */
jv ev_judge_prompt(const ev_judge_rubric *r, jv rec /* borrowed */, jv expected, jv output);

/* ev_judge_read reads a judge's answer 'text': the whole trimmed answer,
 * or its last non-empty line, must be a label, optionally wrapped in quotes,
 * asterisks or brackets, followed by a full stop, or after "Grade:",
 * "Answer:" or "Label:"; letters match in any case. Returns {label, value}:
 * the label as the rubric spells it, or INVALID with value 0. */
jv ev_judge_read(const ev_judge_rubric *r, const char *text);

/* ev_judge_aggregate combines the {label, value} of the samples (an array)
 * into {label, value, pass, agreement}. With 'mean' the value is the mean of
 * the samples' values, the label the most common one, and the agreement the
 * share of samples whose own verdict (value >= 0.5) is the result's; else
 * the label is the most common one (a tie goes to the lower value), the
 * value is its value, and the agreement the share of samples that gave it.
 * 'pass' is value >= 0.5, except that INVALID never passes. */
jv ev_judge_aggregate(jv samples, bool mean);

/* ev_judge_meaning returns what 'label' means in a built-in rubric, or
 * NULL. */
const char *ev_judge_meaning(const ev_judge_rubric *r, const char *label);

void ev_judge_free(ev_judge_rubric *r);

/* The reading side, for ev-mock: a built-in judge prompt taken apart. The
 * texts point into the prompt and are not NUL-terminated. */
typedef struct ev_judge_parts {
    enum ev_judge_kind kind;
    const char *input, *expected, *output;
    size_t input_len, expected_len, output_len;
    bool has_expected;
} ev_judge_parts;

/* ev_judge_split takes apart a prompt written by ev_judge_prompt for a
 * built-in rubric. Returns false when 'prompt' is not one. */
bool ev_judge_split(const char *prompt, ev_judge_parts *p);

/* ev_judge_label returns the passing (best) or failing (worst) label of a
 * built-in rubric, and for fact with 'partial' the label of an answer that
 * gives part of the expected one, or of one that adds to it with 'more'. */
const char *ev_judge_label(enum ev_judge_kind kind, bool pass, bool partial, bool more);

#endif
