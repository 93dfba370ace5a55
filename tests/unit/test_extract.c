/* Unit tests of lib/extract: answers pulled out of free text. */
#include <stdlib.h>

#include "extract.h"
#include "text.h"
#include "unit.h"

static void
number_is(const char *s, double want, const char *name)
{
    double got = NAN;
    bool found = ev_extract_number(s, &got);
    CHECK(found, name);
    if (found)
        CHECK_NEAR(got, want, 1e-9, name);
}

static void
no_number(const char *s, const char *name)
{
    double got;
    CHECK(!ev_extract_number(s, &got), name);
}

static void
test_numbers(void)
{
    number_is("42", 42, "a bare integer");
    number_is("The answer is 1,234.5.", 1234.5, "thousands separators and a decimal point");
    number_is("about 1,234,567 people", 1234567, "several thousands groups");
    number_is("-3 degrees", -3, "a leading minus sign");
    number_is("x = -0.25", -0.25, "a minus sign after an equals sign");
    number_is("\xE2\x88\x92"
              "7",
              -7, "a Unicode minus sign");
    number_is("A-5 is the road", 5, "a hyphen glued to a word is no sign");
    number_is("+8", 8, "a plus sign");
    number_is(".5 of it", 0.5, "a number starting with its decimal point");
    number_is("50%", 50, "a percentage is read as written");
    number_is("costs $1,000", 1000, "a currency sign before the number");
    number_is("1,2,3", 1, "commas not in groups of three end the number");
    number_is("3,5", 3, "a decimal comma is not read");
    number_is("1.5e3 metres", 1500, "an exponent");
    number_is("3 eggs", 3, "a letter e that starts a word is no exponent");
    number_is("It is 3.", 3, "a full stop after a number is no decimal point");
    number_is("four", 4, "a number word");
    number_is("Twenty-one", 21, "a hyphenated number word, capitalised");
    number_is("twenty one", 21, "number words joined by a space");
    number_is("three hundred and five", 305, "hundreds with 'and'");
    number_is("one thousand two hundred thirty-four", 1234, "thousands in words");
    number_is("two million", 2e6, "millions in words");
    number_is("minus twelve", -12, "'minus' before number words");
    number_is("zero", 0, "zero in words");
    number_is("one of them is 7", 7, "digits win over words");
    number_is("I have seven cats and one dog", 7, "the first number in words");
    number_is("twenty twelve", 20, "two tens in a row are two numbers");
}

static void
test_no_numbers(void)
{
    no_number("", "empty text has no number");
    no_number("no numbers here", "plain words have no number");
    no_number("someone is alone", "'one' inside a word is no number");
    no_number("minus", "'minus' alone is no number");
}

static void
choice_is(const char *s, char want, const char *name)
{
    char got = '?';
    bool found = ev_extract_choice(s, &got);
    CHECK(found && got == want, name);
    if (!found || got != want)
        printf("#   got '%c' (found %d), want '%c'\n", got, found, want);
}

static void
no_choice(const char *s, const char *name)
{
    char got;
    CHECK(!ev_extract_choice(s, &got), name);
}

static void
test_choices(void)
{
    choice_is("B", 'B', "a bare letter");
    choice_is("b", 'B', "a bare lower-case letter");
    choice_is("(B)", 'B', "a letter in parentheses");
    choice_is("**B**", 'B', "a letter in bold");
    choice_is("B)", 'B', "a letter and a closing parenthesis");
    choice_is(" C. \n", 'C', "a letter and a full stop, with blanks");
    choice_is("Answer: B", 'B', "'Answer:' and a letter");
    choice_is("The answer is B.", 'B', "'The answer is' and a letter");
    choice_is("The correct answer is (c).", 'C', "'answer is' and a wrapped lower-case letter");
    choice_is("I think the answer is **D** because", 'D', "the pronoun I is not taken");
    choice_is("Option A looks wrong, so the answer is C", 'C', "the last keyword wins");
    choice_is("B) Paris", 'B', "a leading letter and a parenthesis");
    choice_is("D. Oslo is the capital", 'D', "a leading letter and a full stop");
    choice_is("It must be (A), since", 'A', "the first wrapped letter anywhere");
    no_choice("A cat sat on the mat", "a leading article is no choice");
    no_choice("The answer is a bit unclear", "the article after 'answer is' is no choice");
    no_choice("", "empty text has no choice");
    no_choice("Paris", "a word is no choice");
}

static void
json_is(const char *s, const char *want, const char *name)
{
    jv v = ev_extract_json(s);
    if (!jv_is_valid(v)) {
        jv_free(v);
        CHECK(false, name);
        return;
    }
    jv d = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(d), want, name);
    jv_free(d);
}

static void
test_json(void)
{
    json_is("{\"b\":1,\"a\":[1,2]}", "{\"a\":[1,2],\"b\":1}", "plain JSON");
    json_is("  [1, 2]\n", "[1,2]", "JSON with blanks around it");
    json_is("Here:\n```json\n{\"a\": 1}\n```\nDone.", "{\"a\":1}", "a fenced json block");
    json_is("```\n[true]\n```", "[true]", "a fence with no language");
    json_is("The result is {\"a\": {\"b\": 2}}.", "{\"a\":{\"b\":2}}", "JSON inside prose");
    json_is("\"Paris\"", "\"Paris\"", "a JSON string");
    jv bad = ev_extract_json("{\"a\": 1");
    CHECK(!jv_is_valid(bad) && jv_invalid_has_msg(jv_copy(bad)), "unfinished JSON is an error");
    jv m = jv_invalid_get_msg(bad);
    CHECK(jv_get_kind(m) == JV_KIND_STRING && strstr(jv_string_value(m), "while parsing") == NULL,
          "the error does not quote the input");
    jv_free(m);
}

int
main(void)
{
    ev_text_locale();
    test_numbers();
    test_no_numbers();
    test_choices();
    test_json();
    UNIT_DONE();
}
