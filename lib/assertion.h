/*
 * assertion.h: SPEC strings and 'assert' values, read into assertions.
 *
 * Ownership: json.h.
 *
 * A scorer is written as a SPEC string, "TYPE" or "TYPE:VALUE" with TYPE
 * perhaps prefixed "not-" ("exact", "contains:Paris", "not-regex:^A",
 * "number:0.01", "jq:.output == .expected", "judge:is polite"), or as an
 * object {"type", "value", "weight"}, or as a list of these, which passes
 * when all pass. ev-score(1) documents every type; ev_assertion_parse reads
 * them into a plan of assertions and says what is wrong with one that is
 * not right, without naming the spec.
 *
 * What VALUE means depends on the type: the answer to compare with in
 * place of 'expected' (exact, contains, icontains, starts-with, regex,
 * choice, json, json-subset), a tolerance or threshold (number, f1,
 * similar), a program (jq, cmd: required), or a judge's criterion (judge;
 * none means the run's rubric).
 *
 * Parsing is pure; what an assertion needs beyond its text (a compiled
 * regex, a jq program known to compile, a cmd scorer's process) the caller
 * makes in its 'bind' callback, called for each such assertion as soon as
 * it is read, so that the first thing wrong in a list is the one reported.
 */
#ifndef EV_ASSERTION_H
#define EV_ASSERTION_H

#include <stdbool.h>

#include <jv.h>

#include "coproc.h"
#include "judge.h"
#include "pattern.h"

enum ev_assertion_kind {
    EV_ASSERTION_CHOICE,
    EV_ASSERTION_CMD,
    EV_ASSERTION_CONTAINS,
    EV_ASSERTION_EXACT,
    EV_ASSERTION_F1,
    EV_ASSERTION_ICONTAINS,
    EV_ASSERTION_JQ,
    EV_ASSERTION_JUDGE,
    EV_ASSERTION_JSON,
    EV_ASSERTION_JSON_SUBSET,
    EV_ASSERTION_NUMBER,
    EV_ASSERTION_REGEX,
    EV_ASSERTION_SIMILAR,
    EV_ASSERTION_STARTS_WITH,
};

/* What the ":VALUE" of a SPEC means. */
enum ev_assertion_role {
    EV_ASSERTION_ANSWER,  /* the answer to compare with, in place of 'expected' */
    EV_ASSERTION_LIMIT,   /* a tolerance or threshold; 'expected' is the answer */
    EV_ASSERTION_PROGRAM, /* a jq program or shell command; required */
    EV_ASSERTION_RUBRIC,  /* a judge's criterion; none: the run's rubric */
};

/* A type of assertion. */
typedef struct ev_assertion_type {
    const char *name;
    enum ev_assertion_kind kind;
    enum ev_assertion_role role;
    double lo, hi, deflt; /* the range and default of a limit */
} ev_assertion_type;

/* One assertion, read. */
typedef struct ev_assertion {
    const ev_assertion_type *type;
    bool negate;      /* not-TYPE */
    bool limit_given; /* the limit was written, not taken by default */
    double limit;
    double weight;                 /* in a list; 1 unless given */
    jv answer;                     /* the answer given as VALUE, or invalid to use 'expected';
                                    * the program of a jq or cmd assertion */
    jv name;                       /* the assertion as a SPEC string, as the score names it */
    const ev_judge_rubric *rubric; /* a judge's rubric */
    ev_judge_rubric *own_rubric;   /* 'rubric' when it is this assertion's */
    /* What 'bind' makes: */
    ev_pattern *re;  /* a regex's VALUE, compiled */
    bool own_re;     /* 're' is this assertion's to free, not a memo's */
    ev_coproc *proc; /* a cmd scorer's process, which the caller keeps */
} ev_assertion;

/* A whole scorer: one assertion, or a list that passes when all pass. */
typedef struct ev_assertion_plan {
    ev_assertion *items;
    int n;
    jv name; /* the specs of the list joined by " & " */
} ev_assertion_plan;

/* What parsing needs from its caller. */
typedef struct ev_assertion_env {
    const ev_judge_rubric *rubric; /* the run's, for a bare "judge"; may be NULL */
    /* bind makes what 'a' needs beyond its text: for a regex given a
     * pattern, for a jq program and for a cmd command. It returns false
     * with '*err' set to an invalid with a message when it cannot. */
    bool (*bind)(void *ctx, ev_assertion *a, jv *err);
    void *ctx;
} ev_assertion_env;

/* ev_assertion_parse reads 'spec' (a SPEC string, an object, or a list of
 * them) into '*p'. On failure '*p' is empty and '*err' is an invalid whose
 * message says what is wrong. */
bool ev_assertion_parse(jv spec, const ev_assertion_env *env, ev_assertion_plan *p, jv *err);

/* ev_assertion_plan_free frees what 'p' holds, but not the processes its
 * cmd assertions use, and leaves it empty. */
void ev_assertion_plan_free(ev_assertion_plan *p);

#endif
