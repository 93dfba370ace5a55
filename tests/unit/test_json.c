/* Unit tests of lib/json: field and path getters, and parse messages. */
#include <math.h>
#include <stdlib.h>

#include "json.h"
#include "unit.h"

static void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

static void
test_fields(void)
{
    jv o = jv_parse("{\"a\":{\"b\":[10,20]},\"s\":\"x\",\"n\":null}");
    check_jv(ev_json_field(o, "s"), "\"x\"", "a member is returned");
    CHECK(!jv_is_valid(ev_json_field(o, "zz")), "a missing member is invalid");
    jv not_obj = jv_number(1);
    CHECK(!jv_is_valid(ev_json_field(not_obj, "a")), "a number has no members");
    check_jv(ev_json_field_kind(o, "s", JV_KIND_NUMBER), "null",
             "a member of another kind is null");
    check_jv(ev_json_field_kind(o, "s", JV_KIND_STRING), "\"x\"",
             "a member of the kind asked is returned");
    check_jv(ev_json_path(o, "a.b.1"), "20", "a path walks objects and array indices");
    CHECK(!jv_is_valid(ev_json_path(o, "a.b.7")), "an index past the end is invalid");
    CHECK(!jv_is_valid(ev_json_path(o, "s.t")), "a path through a string is invalid");
    CHECK(ev_json_number(o, "a.b.0") == 10, "a number at a path is read");
    CHECK(isnan(ev_json_number(o, "s")), "a string is not a number");
    CHECK(isnan(ev_json_number(o, "n")), "null is not a number");
    jv flags = jv_parse("{\"t\":true,\"f\":false,\"one\":1,\"in\":{\"t\":true}}");
    CHECK(ev_json_true(flags, "t"), "true is true");
    CHECK(ev_json_true(flags, "in.t"), "true at a path is true");
    CHECK(!ev_json_true(flags, "f"), "false is not true");
    CHECK(!ev_json_true(flags, "one"), "a number is not true");
    CHECK(!ev_json_true(flags, "zz"), "a missing member is not true");
    jv_free(flags);
    jv s = ev_json_field(o, "s");
    CHECK_STR(ev_json_str(s, "-"), "x", "a string's text");
    jv_free(s);
    CHECK_STR(ev_json_str(o, "-"), "-", "anything else gives the fallback");
    /* the borrowed values are still whole */
    check_jv(jv_copy(o), "{\"a\":{\"b\":[10,20]},\"n\":null,\"s\":\"x\"}",
             "every getter left its argument untouched");
    jv_free(o);
}

static void
test_makers(void)
{
    check_jv(ev_json_string_or_null(NULL), "null", "NULL becomes null");
    check_jv(ev_json_string_or_null("t"), "\"t\"", "a string stays a string");
    check_jv(ev_json_finite(NAN), "null", "NaN becomes null");
    check_jv(ev_json_finite(INFINITY), "null", "infinity becomes null");
    check_jv(ev_json_finite(0.5), "0.5", "a finite number stays");
    check_jv(ev_json_set(jv_object(), "k", jv_true()), "{\"k\":true}", "set adds a member");
}

static void
test_parse_error(void)
{
    jv m = ev_json_parse_error(jv_parse("{\"secret\": x"));
    CHECK(jv_get_kind(m) == JV_KIND_STRING, "a parse error has a message");
    CHECK(strstr(jv_string_value(m), "while parsing") == NULL, "jq's suffix is cut");
    CHECK(strstr(jv_string_value(m), "secret") == NULL, "the text itself is not quoted");
    jv_free(m);
    check_jv(ev_json_parse_error(jv_invalid()), "\"not JSON\"",
             "an invalid without a message reads 'not JSON'");
}

int
main(void)
{
    test_fields();
    test_makers();
    test_parse_error();
    UNIT_DONE();
}
