/* Unit tests of lib/pattern: which regexes are compiled, and what a match
 * costs. */
#include <math.h>

#include "pattern.h"
#include "unit.h"

static void
pieces_are(const char *p, double want, const char *name)
{
    bool stacked, backref;
    CHECK_NEAR(ev_pattern_pieces(p, &stacked, &backref), want, 0, name);
}

static void
test_pieces(void)
{
    /* The bound counts what regcomp writes out, and one piece more for
     * each repetition operator. */
    pieces_are("abc", 3, "each character is a piece");
    pieces_are("a{3}", 4, "a counted repetition is written out: aaa and the operator");
    pieces_are("a+", 3, "a+ is written as aa*");
    pieces_are("a*", 2, "a* is its atom and the operator");
    pieces_are("(ab){3}", 7, "a repeated group counts its pieces each time");
    pieces_are("((a{10}){10}){10}", 1111, "nested repetitions multiply");
    pieces_are("a{,5}", 6, "{,n} reads as {0,n}");
    pieces_are("[a-z]{2}", 3, "a bracket expression is one piece");
    pieces_are("[]a]", 1, "a ']' first in brackets is a member");
    pieces_are("[[:alpha:]]", 1, "a character class inside brackets is one piece");
    pieces_are("\\{3}", 3, "an escaped brace is a character, not a repetition");
    char deep[80] = "";
    for (int i = 0; i < 70; i++)
        deep[i] = '(';
    bool stacked, backref;
    CHECK(isinf(ev_pattern_pieces(deep, &stacked, &backref)),
          "groups nested past 64 count as infinite");
    ev_pattern_pieces("a*+", &stacked, &backref);
    CHECK(stacked, "a repetition after a repetition is seen");
    ev_pattern_pieces("(a*)+", &stacked, &backref);
    CHECK(!stacked, "a repeated group of a repetition is not stacked");
    ev_pattern_pieces("(a)\\1", &stacked, &backref);
    CHECK(backref, "a back-reference is seen");
    ev_pattern_pieces("a\\.1", &stacked, &backref);
    CHECK(!backref, "an escaped dot before a digit is no back-reference");
}

static void
refused(const char *p, const char *want, const char *name)
{
    jv err = jv_invalid();
    ev_pattern *pat = ev_pattern_new(p, &err);
    CHECK(pat == NULL, name);
    jv m = jv_invalid_get_msg(err);
    const char *got = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "";
    CHECK(strstr(got, want) != NULL, name);
    if (strstr(got, want) == NULL)
        printf("#   got '%s', want it to hold '%s'\n", got, want);
    jv_free(m);
    ev_pattern_free(pat);
}

static void
test_new(void)
{
    refused("a{100}{100}", "too many repetitions, over 4096 pieces", "too many pieces are refused");
    refused("^a*+", "a repetition ('*', '+', '?' or '{}') follows another",
            "a stacked repetition is refused");
    refused("(a)\\1", "back-references ('\\1' to '\\9') are refused",
            "a back-reference is refused");
    refused("(a", "bad regex '(a': ", "what regcomp refuses is quoted with its reason");
    jv err = jv_invalid();
    ev_pattern *p = ev_pattern_new("^[A-C]$", &err);
    CHECK(p != NULL, "a plain pattern compiles");
    CHECK(ev_pattern_match(p, "B"), "it matches what it should");
    CHECK(!ev_pattern_match(p, "D"), "and not what it should not");
    CHECK_NEAR(ev_pattern_cost(p, 10), 10.0 * 10 * (p->pieces + 1), 0,
               "a match costs the text's length squared times the pieces and one");
    ev_pattern_free(p);
    jv_free(err);
}

static void
test_cached(void)
{
    ev_memo *m = ev_memo_new(1, ev_pattern_free);
    jv err = jv_invalid();
    bool own;
    ev_pattern *a = ev_pattern_cached(m, "x+", &own, &err);
    CHECK(a != NULL && !own, "the first pattern is kept by the memo");
    CHECK(ev_pattern_cached(m, "x+", &own, &err) == a, "the same text gives the same pattern");
    ev_pattern *b = ev_pattern_cached(m, "y+", &own, &err);
    CHECK(b != NULL && own, "past the memo's bound the caller owns the pattern");
    ev_pattern_free(b);
    CHECK(ev_pattern_cached(m, "(", &own, &err) == NULL, "a bad pattern is not kept");
    jv_free(err);
    ev_memo_free(m);
}

int
main(void)
{
    test_pieces();
    test_new();
    test_cached();
    UNIT_DONE();
}
