/* Unit tests of lib/jsondiff: the first difference, by its jq path. */
#include "jsondiff.h"
#include "unit.h"

static void
diff_is(const char *want, const char *got, bool subset, const char *expect, const char *name)
{
    jv w = jv_parse(want), g = jv_parse(got);
    jv d = ev_jsondiff_first(w, g, subset);
    if (expect == NULL) {
        CHECK(!jv_is_valid(d), name);
    } else {
        CHECK_STR(jv_is_valid(d) ? jv_string_value(d) : "(none)", expect, name);
    }
    jv_free(d);
    jv_free(w);
    jv_free(g);
}

int
main(void)
{
    diff_is("{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}", false, NULL,
            "key order makes no difference");
    diff_is("{\"a\":{\"b\":1}}", "{\"a\":{\"b\":2}}", false, ".a.b: expected 1, got 2",
            "a nested value is named by its path");
    diff_is("{\"a\":1}", "{}", false, "missing key '.a'", "a missing key");
    diff_is("{}", "{\"x y\":1}", false, "unexpected key '.[\"x y\"]'",
            "a key that is no identifier is quoted in brackets");
    diff_is("{}", "{\"x\":1}", true, NULL, "a subset allows keys it does not name");
    diff_is("{\"a\":{}}", "{\"a\":{\"x\":1}}", true, NULL, "at any depth");
    diff_is("[1,2,3]", "[1,2]", false, "expected 3 elements, got 2", "arrays of other lengths");
    diff_is("{\"l\":[1]}", "{\"l\":[]}", false, ".l: expected 1 element, got 0",
            "one element takes no plural");
    diff_is("[1,[2,3]]", "[1,[2,4]]", false, ".[1][1]: expected 3, got 4",
            "array elements are named by index");
    diff_is("\"Paris\"", "\"Lyon\"", false, "expected 'Paris', got 'Lyon'",
            "strings are quoted at the top level");
    diff_is("{\"b\":1,\"a\":1}", "{\"a\":2,\"b\":2}", false, ".a: expected 1, got 2",
            "the first difference is the first in sorted key order");
    UNIT_DONE();
}
