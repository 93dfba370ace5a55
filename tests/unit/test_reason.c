/* Unit tests of lib/reason: how reasons quote texts and values. */
#include "reason.h"
#include "unit.h"

static void
test_clip(void)
{
    char buf[EV_REASON_CLIP_SIZE];
    CHECK_STR(ev_reason_clip("Paris", buf), "Paris", "a short text is quoted whole");
    CHECK_STR(ev_reason_clip("a\nb\tc\rd", buf), "a\\nb\\tc\\rd",
              "newlines, tabs and carriage returns are written as escapes");
    CHECK_STR(ev_reason_clip("a\x01z\x7f", buf), "a?z?", "other control characters become '?'");
    const char *long_text = "0123456789012345678901234567890123456789TAIL";
    CHECK_STR(ev_reason_clip(long_text, buf), "0123456789012345678901234567890123456789...",
              "a text past 40 bytes is cut there and marked");
    /* 39 ASCII bytes and a two-byte letter that straddles byte 40 */
    const char *straddle = "012345678901234567890123456789012345678\xc3\xa9xyz";
    CHECK_STR(ev_reason_clip(straddle, buf), "012345678901234567890123456789012345678...",
              "a cut never splits a UTF-8 sequence");
    char small[2 * 3 + 4];
    CHECK_STR(ev_reason_clip_to("\n\n\n\n", 3, small, sizeof(small)), "\\n\\n\\n...",
              "clip_to cuts at its own bound, and escapes fit the buffer");
}

static void
test_show(void)
{
    char buf[EV_REASON_SHOW_SIZE];
    jv s = jv_string("Lyon");
    CHECK_STR(ev_reason_show(s, buf), "'Lyon'", "a string is shown in single quotes");
    jv_free(s);
    jv o = jv_parse("{\"a\": [1, 2]}");
    CHECK_STR(ev_reason_show(o, buf), "{\"a\":[1,2]}", "another value is shown as compact JSON");
    jv_free(o);
    jv n = jv_number(4);
    CHECK_STR(ev_reason_show(n, buf), "4", "a number is shown as JSON");
    jv_free(n);
}

static void
test_words(void)
{
    char buf[EV_REASON_OTHERS_SIZE];
    CHECK_STR(ev_reason_others(0, buf), "", "no other answers say nothing");
    CHECK_STR(ev_reason_others(1, buf), " or 1 other", "one other answer");
    CHECK_STR(ev_reason_others(3, buf), " or 3 others", "three other answers");
    CHECK_STR(ev_reason_plural(1), "", "one takes no plural");
    CHECK_STR(ev_reason_plural(0), "s", "none takes the plural");
    jv f = ev_reason_fmt("expected %s, got %d", "'a'", 2);
    CHECK_STR(jv_string_value(f), "expected 'a', got 2", "fmt formats as printf");
    jv_free(f);
}

int
main(void)
{
    test_clip();
    test_show();
    test_words();
    UNIT_DONE();
}
