/* Unit tests of lib/text: UTF-8, normalisation and words. */
#include "text.h"
#include "unit.h"

static void
test_text(void)
{
    jv s = ev_text_normalize("  Hello,   WORLD!\t", EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE);
    CHECK_STR(jv_string_value(s), "hello, world!", "case and space normalisation");
    jv_free(s);
    s = ev_text_normalize("  Hello,   WORLD!\t",
                          EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE | EV_TEXT_NORM_PUNCT);
    CHECK_STR(jv_string_value(s), "hello world", "punctuation is dropped");
    jv_free(s);
    s = ev_text_normalize("ÉCOLE «Été»", EV_TEXT_NORM_CASE | EV_TEXT_NORM_PUNCT);
    CHECK_STR(jv_string_value(s), "école été", "case folding and punctuation cover non-ASCII");
    jv_free(s);
    jv w = jv_dump_string(ev_text_words("It's 4 o'clock, Zoë!"), 0);
    CHECK_STR(jv_string_value(w), "[\"it\",\"s\",\"4\",\"o\",\"clock\",\"zoë\"]",
              "words split on punctuation and fold case");
    jv_free(w);
    const char *p = "\xff"
                    "a";
    CHECK(ev_text_utf8_next(&p) == 0xFFFD && *p == 'a', "an invalid byte reads as U+FFFD");
    CHECK(ev_text_utf8_valid_len("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 15) == 15,
          "two-, three- and four-byte sequences are valid UTF-8");
    CHECK(ev_text_utf8_valid_len("caf\xe9 x", 6) == 3, "a Latin-1 byte is invalid UTF-8");
    CHECK(ev_text_utf8_valid_len("a\xc0\xaf", 3) == 1, "an overlong form is invalid UTF-8");
    CHECK(ev_text_utf8_valid_len("a\xed\xa0\x80", 4) == 1, "a surrogate is invalid UTF-8");
    CHECK(ev_text_utf8_valid_len("a\xf4\x90\x80\x80", 5) == 1, "above U+10FFFF is invalid UTF-8");
    CHECK(ev_text_utf8_valid_len("ab\xe2\x82", 4) == 2, "a sequence cut short is invalid UTF-8");
    CHECK(ev_text_utf8_valid_len("\xbf", 1) == 0, "a lone continuation byte is invalid UTF-8");
}

int
main(void)
{
    ev_text_locale();
    test_text();
    UNIT_DONE();
}
