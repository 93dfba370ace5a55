/*
 * Fuzz target: the scorers of ev-score (lib/score.c) and the extraction of
 * answers from free text they use (lib/extract.c). The first byte picks:
 *   0  ev_extract_number on the rest;
 *   1  ev_extract_choice on the rest;
 *   2  ev_extract_json on the rest (fenced code blocks, bracketed spans);
 *   3  a scorer: the rest is a SPEC line, then one JSON record, which may
 *      carry its own 'assert'; bit 2 of the first byte asks for texts to
 *      be normalised (--norm).
 * jq and cmd scorers are left out: a jq program may loop for ever, and a
 * command would run. Every score must be an object {pass, value, scorer,
 * reason} with a value in [0, 1], or an error with a message.
 */
#include <math.h>
#include <stdbool.h>

#include "extract.h"
#include "score.h"
#include "text.h"

#include "fuzz.h"

/* runs_code says whether 's' may name a jq or cmd scorer. */
static bool
runs_code(const char *s)
{
    return strstr(s, "jq") != NULL || strstr(s, "cmd") != NULL;
}

/* check_score checks 'score' (consumed), what a scorer returned. */
static void
check_score(jv score)
{
    if (!jv_is_valid(score)) {
        FUZZ_ASSERT(fuzz_has_message(score));
        jv_free(score);
        return;
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
    if (jv_get_kind(rec) != JV_KIND_OBJECT || runs_code(s)) {
        jv_free(rec);
        return;
    }
    jv a = jv_object_get(jv_copy(rec), jv_string("assert"));
    jv text = jv_is_valid(a) ? jv_dump_string(a, 0) : jv_string("");
    bool unsafe = runs_code(jv_string_value(text));
    jv_free(text);
    if (unsafe) {
        jv_free(rec);
        return;
    }
    ev_score_opts opts = {.norm = norm ? EV_NORM_CASE | EV_NORM_SPACE | EV_NORM_PUNCT : 0};
    jv err;
    ev_scoring *sc = ev_scoring_new(jv_string(s), &opts, &err);
    if (sc == NULL) {
        FUZZ_ASSERT(fuzz_has_message(err));
        jv_free(err);
    } else {
        check_score(ev_scoring_run(sc, rec));
        ev_scoring_free(sc);
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
