/*
 * Fuzz target: the scorers of ev-score (lib/score.c) and the extraction of
 * answers from free text they use (lib/extract.c). The first byte picks:
 *   0  ev_extract_number on the rest;
 *   1  ev_extract_choice on the rest;
 *   2  ev_extract_json on the rest (fenced code blocks, bracketed spans);
 *   3  a scorer: the rest is a SPEC line, then one JSON record, which may
 *      carry its own 'assert'; bit 2 of the first byte asks for texts to
 *      be normalised (--norm).
 * A record's assert may hold anything, jq programs and commands included:
 * jq runs in the sandbox under a small budget, so a program that loops or
 * allocates for ever fails its record, and a record's command is refused.
 * Only a SPEC line that names cmd is left out, since a command given there
 * would run. Every score must be an object {pass, value, scorer, reason}
 * with a value in [0, 1], or an error with a message; a record over its
 * budget fails with value 0 and comes with a warning.
 */
#include <math.h>
#include <stdbool.h>

#include "extract.h"
#include "score.h"
#include "text.h"

#include "fuzz.h"

/* check_score checks 'score' (consumed), what a scorer returned, and the
 * 'warning' (consumed) that came with it. */
static void
check_score(jv score, jv warning)
{
    if (!jv_is_valid(score)) {
        FUZZ_ASSERT(fuzz_has_message(score));
        FUZZ_ASSERT(!jv_is_valid(warning));
        jv_free(score);
        return;
    }
    if (jv_is_valid(warning)) {
        FUZZ_ASSERT(jv_get_kind(warning) == JV_KIND_STRING);
        jv pass = jv_object_get(jv_copy(score), jv_string("pass"));
        jv value = jv_object_get(jv_copy(score), jv_string("value"));
        FUZZ_ASSERT(jv_get_kind(pass) == JV_KIND_FALSE);
        FUZZ_ASSERT(jv_get_kind(value) == JV_KIND_NUMBER && jv_number_value(value) == 0);
        jv_free(pass);
        jv_free(value);
        jv_free(warning);
    }
    FUZZ_ASSERT(jv_get_kind(score) == JV_KIND_OBJECT);
    jv pass = jv_object_get(jv_copy(score), jv_string("pass"));
    jv value = jv_object_get(jv_copy(score), jv_string("value"));
    jv scorer = jv_object_get(jv_copy(score), jv_string("scorer"));
    jv reason = jv_object_get(jv_copy(score), jv_string("reason"));
    FUZZ_ASSERT(jv_get_kind(pass) == JV_KIND_TRUE || jv_get_kind(pass) == JV_KIND_FALSE);
    FUZZ_ASSERT(jv_get_kind(value) == JV_KIND_NUMBER);
    double d = jv_number_value(value);
    FUZZ_ASSERT(d >= 0 && d <= 1);
    FUZZ_ASSERT(jv_get_kind(scorer) == JV_KIND_STRING);
    FUZZ_ASSERT(jv_get_kind(reason) == JV_KIND_STRING);
    jv_free(pass);
    jv_free(value);
    jv_free(scorer);
    jv_free(reason);
    jv_free(score);
}

/* score compiles the SPEC on the first line of 's' and scores the record
 * that follows it, normalising texts first when 'norm'. */
static void
score(char *s, bool norm)
{
    char *nl = strchr(s, '\n');
    if (nl == NULL)
        return;
    *nl = '\0';
    jv rec = jv_parse(nl + 1);
    if (jv_get_kind(rec) != JV_KIND_OBJECT || strstr(s, "cmd") != NULL) {
        jv_free(rec);
        return;
    }
    ev_score_opts opts = {
        .norm = norm ? EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE | EV_TEXT_NORM_PUNCT : 0,
        .budget = {.cpu_seconds = 0.3, .memory_mb = 256},
    };
    jv err;
    ev_score *sc = ev_score_new(jv_string(s), &opts, &err);
    if (sc == NULL) {
        FUZZ_ASSERT(fuzz_has_message(err));
        jv_free(err);
    } else {
        jv warning;
        jv score = ev_score_run(sc, rec, &warning);
        check_score(score, warning);
        jv problems = ev_score_finish(sc);
        FUZZ_ASSERT(jv_get_kind(problems) == JV_KIND_ARRAY);
        FUZZ_ASSERT(jv_array_length(problems) == 0);
        ev_score_free(sc);
    }
    jv_free(rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *s = fuzz_cstring(data + 1, size - 1);
    double d;
    char c;
    switch (data[0] % 4) {
    case 0:
        (void)ev_extract_number(s, &d);
        break;
    case 1:
        if (ev_extract_choice(s, &c))
            FUZZ_ASSERT(c >= 'A' && c <= 'Z');
        break;
    case 2: {
        jv v = ev_extract_json(s);
        FUZZ_ASSERT(jv_is_valid(v) || fuzz_has_message(v));
        jv_free(v);
        break;
    }
    default:
        score(s, data[0] & 4);
        break;
    }
    free(s);
    return 0;
}
