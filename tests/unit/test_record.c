/* Unit tests of lib/record and lib/hash. */
#include <stdlib.h>

#include "hash.h"
#include "record.h"
#include "text.h"
#include "unit.h"

/* check_jv compares the compact JSON of 'v' (consumed) with 'want'. */
static void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

static jv
parse(const char *s)
{
    return jv_parse(s);
}

static void
test_message(void)
{
    CHECK_JV_ORDERED(ev_record_message("user", jv_string("Hi")),
                     "{\"role\":\"user\",\"content\":\"Hi\"}",
                     "a chat message is its role, then its content");
    CHECK_JV(ev_record_message("assistant", jv_null()), "{\"content\":null,\"role\":\"assistant\"}",
             "the content is taken as given");
}

static void
test_fields(void)
{
    jv r = parse("{\"input\":\"hi\",\"ideal\":\"there\"}");
    check_jv(ev_record_expected(r), "\"there\"", "'ideal' is read as expected");
    jv_free(r);

    r = parse("{\"input\":\"hi\",\"target\":[1,2]}");
    check_jv(ev_record_expected(r), "[1,2]", "'target' is read as expected");
    jv_free(r);

    r = parse("{\"input\":\"hi\",\"expected\":\"a\",\"ideal\":\"b\"}");
    check_jv(ev_record_expected(r), "\"a\"", "'expected' wins over its aliases");
    jv_free(r);

    r = parse(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        "{\"role\":\"user\",\"content\":\"2+2?\"},{\"role\":\"assistant\",\"content\":\"4\"}]}");
    check_jv(ev_record_expected(r), "\"4\"", "messages: the final assistant message is expected");
    check_jv(
        ev_record_input(r),
        "[{\"content\":\"be brief\",\"role\":\"system\"},{\"content\":\"2+2?\",\"role\":\"user\"}]",
        "messages: the rest is the input");
    check_jv(ev_record_prompt_text(r), "\"be brief\\n2+2?\"",
             "messages: prompt text joins contents");
    jv_free(r);

    r = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    CHECK(!jv_is_valid(ev_record_expected(r)), "messages without a final assistant: no expected");
    jv_free(r);

    check_jv(ev_record_content_text(parse("[{\"type\":\"text\",\"text\":\"a \"},\"b\","
                                          "{\"type\":\"image_url\",\"image_url\":{}}]")),
             "\"a b\"", "content parts read as their text, other parts left out");
    r = parse("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
              "\"text\":\"hi\"}]}]}");
    check_jv(ev_record_prompt_text(r), "\"hi\"", "prompt text reads multi-part content as text");
    jv_free(r);

    r = parse("{\"input\":42,\"expected\":\"x\"}");
    jv in = ev_record_input(r);
    CHECK(!jv_is_valid(in) && jv_invalid_has_msg(jv_copy(in)),
          "an input that is neither a string nor messages is an error");
    jv_free(in);
    check_jv(ev_record_id(r), "\"h6612e41f1cbaf88a\"", "its id is still derived from it");
    jv_free(r);

    r = parse("{\"input\":\"x\",\"tags\":\"solo\"}");
    check_jv(ev_record_tags(r), "[\"solo\"]", "a lone tag string becomes a one-element array");
    jv_free(r);
    r = parse("{\"input\":\"x\"}");
    check_jv(ev_record_tags(r), "[]", "missing tags are an empty array");
    jv_free(r);
}

static void
test_ids(void)
{
    jv a = parse("{\"input\":{\"b\":1,\"a\":2}}");
    jv b = parse("{\"input\":{\"a\":2,\"b\":1},\"expected\":\"x\"}");
    jv ia = ev_record_id(a), ib = ev_record_id(b);
    CHECK_STR(jv_string_value(ia), jv_string_value(ib), "derived id ignores key order in input");
    CHECK(strlen(jv_string_value(ia)) == 17 && jv_string_value(ia)[0] == 'h',
          "derived id is 'h' and 16 hex digits");
    jv_free(ia);
    jv_free(ib);
    jv_free(a);
    jv_free(b);

    /* The derived id is part of the contract: it must never change. The value
     * was computed independently from the definition in hash.h. */
    a = parse("{\"input\":\"What is the capital of France?\"}");
    check_jv(ev_record_id(a), "\"hc2fac1587eb66d99\"", "derived id of a known input is stable");
    jv_free(a);

    a = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
              "{\"role\":\"assistant\",\"content\":\"yo\"}]}");
    b = parse("{\"input\":[{\"role\":\"user\",\"content\":\"hi\"}],\"expected\":\"yo\"}");
    ia = ev_record_id(a);
    ib = ev_record_id(b);
    CHECK_STR(jv_string_value(ia), jv_string_value(ib),
              "a chat-format case and its input/expected twin share an id");
    jv_free(ia);
    jv_free(ib);
    jv_free(a);
    jv_free(b);

    a = parse("{\"id\":42,\"input\":\"x\"}");
    check_jv(ev_record_id(a), "\"42\"", "a numeric id becomes its JSON text");
    jv_free(a);

    a = parse("{\"expected\":\"x\"}");
    jv e = ev_record_id(a);
    CHECK(!jv_is_valid(e) && jv_invalid_has_msg(jv_copy(e)), "no id and no input is an error");
    jv_free(e);
    check_jv(ev_record_with_id(parse("{\"input\":\"q\"}")),
             "{\"id\":\"h4aadf762a21ae91c\",\"input\":\"q\"}",
             "ev_record_with_id adds the derived id");
    jv_free(a);
}

/* check_problem checks what 'f' says of the record 'json': 'want' is the
 * message, or NULL for none. */
static void
check_problem(jv (*f)(jv), const char *json, const char *want, const char *name)
{
    jv r = parse(json);
    jv p = f(r);
    if (want == NULL)
        CHECK(!jv_is_valid(p), name);
    else
        CHECK_STR(jv_is_valid(p) ? jv_string_value(p) : "(none)", want, name);
    jv_free(p);
    jv_free(r);
}

static void
test_problems(void)
{
    const char *bad_id = "'id' is neither a string nor a number";
    check_problem(ev_record_id_problem, "{\"id\":\"a\"}", NULL, "a string id is an id");
    check_problem(ev_record_id_problem, "{\"id\":-1.5}", NULL, "a number is an id");
    check_problem(ev_record_id_problem, "{\"id\":null}", NULL, "a null id is derived");
    check_problem(ev_record_id_problem, "{}", NULL, "no id is derived");
    check_problem(ev_record_id_problem, "{\"id\":true}", bad_id, "true is no id");
    check_problem(ev_record_id_problem, "{\"id\":[\"a\"]}", bad_id, "an array is no id");
    check_problem(ev_record_id_problem, "{\"id\":{\"a\":1}}", bad_id, "an object is no id");
    jv r = parse("{\"id\":{\"a\":1},\"input\":\"q\"}");
    jv id = ev_record_id(r);
    CHECK(!jv_is_valid(id) && jv_invalid_has_msg(jv_copy(id)), "ev_record_id refuses it too");
    jv_free(id);
    jv_free(r);

    check_problem(ev_record_score_problem, "{}", NULL, "no score is no problem");
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":true}}", NULL,
                  "a value may be absent");
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":false,\"value\":0}}", NULL,
                  "0 is a value");
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":true,\"value\":1}}", NULL,
                  "1 is a value");
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":true,\"value\":1.25}}",
                  "'score.value' is 1.25, not a number from 0 to 1", "1.25 is out of range");
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":true,\"value\":-1e-9}}",
                  "'score.value' is -1e-09, not a number from 0 to 1",
                  "a negative is out of range");
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":true,\"value\":1e400}}",
                  "'score.value' is infinite, not a number from 0 to 1",
                  "infinity is out of range");
    r = jv_object_set(jv_object(), jv_string("score"),
                      jv_object_set(jv_object_set(jv_object(), jv_string("pass"), jv_true()),
                                    jv_string("value"), jv_number(NAN)));
    jv p = ev_record_score_problem(r);
    CHECK_STR(jv_is_valid(p) ? jv_string_value(p) : "(none)",
              "'score.value' is NaN, not a number from 0 to 1", "NaN is out of range");
    jv_free(p);
    jv_free(r);
    check_problem(ev_record_score_problem, "{\"score\":{\"pass\":1}}",
                  "'score.pass' is neither true nor false", "pass is a boolean");
}

static void
test_hash(void)
{
    CHECK(ev_hash_64("abc", 3, 1) != ev_hash_64("abc", 3, 2), "the seed changes the hash");
    CHECK(ev_hash_64("abc", 3, 7) == ev_hash_64("abc", 3, 7), "the hash is deterministic");
    double u = ev_hash_unit(UINT64_MAX);
    CHECK(u < 1.0 && u > 0.999, "ev_hash_unit stays below 1");
    CHECK(ev_hash_unit(0) == 0.0, "ev_hash_unit of 0 is 0");
}

int
main(void)
{
    test_message();
    ev_text_locale();
    test_fields();
    test_ids();
    test_problems();
    test_hash();
    UNIT_DONE();
}
