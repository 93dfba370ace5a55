/* Unit tests of lib/jqprog: jq programs as the jq scorer runs them. The
 * module runs in the sandbox's worker; here it runs in the test itself. */
#include "jqprog.h"
#include "unit.h"

/* reply_is runs 'program' on 'input' (JSON text, or NULL to compile only)
 * and compares the reply, as compact JSON with sorted keys, with 'want'. */
static void
reply_is(ev_jqprog *j, const char *program, const char *input, const char *want, const char *name)
{
    jv in = input != NULL ? jv_parse(input) : jv_invalid();
    jv r = ev_jqprog_run(j, jv_string(program), in);
    jv d = jv_dump_string(r, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(d), want, name);
    jv_free(d);
}

int
main(void)
{
    ev_jqprog *j = ev_jqprog_new();
    reply_is(j, ".output == .expected", "{\"output\":\"a\",\"expected\":\"a\"}",
             "{\"more\":false,\"result\":true}", "a boolean result");
    reply_is(j, ".x", "{\"x\":0.25}", "{\"more\":false,\"result\":0.25}", "a number result");
    reply_is(j, ".x", "{\"x\":\"text\"}", "{\"more\":false,\"shown\":\"'text'\"}",
             "another result is shown as a reason shows it");
    reply_is(j, ".[]", "[true,false]", "{\"more\":true,\"result\":true}",
             "a second result is noted");
    reply_is(j, "empty", "{}", "{}", "no result gives an empty reply");
    reply_is(j, "error(\"boom\")", "{}", "{\"error\":\"boom\"}", "a run-time error");
    reply_is(j, "1 +", NULL,
             "{\"compile\":\"syntax error, unexpected $end (Unix shell quoting issues?)\"}",
             "a compile error is jq's first message without its position");
    reply_is(j, ".a", NULL, "{}", "a program that compiles, with no input, is only compiled");
    reply_is(j, "# note\nimport \"x\" as x; .", "{}",
             "{\"compile\":\"jq modules ('module', 'import', 'include') are not available\"}",
             "modules are refused, after comments too");
    reply_is(j, "[inputs]", "{}", "{\"more\":false,\"shown\":\"[]\"}", "there is no other input");
    reply_is(j, "debug | true", "{}", "{\"more\":false,\"result\":true}", "debug goes nowhere");
    jv big = jv_string("");
    for (int i = 0; i < 300; i++)
        big = jv_string_append_str(big, "abcd");
    jv r = ev_jqprog_run(j, jv_string("error(.)"), big);
    jv e = jv_object_get(r, jv_string("error"));
    CHECK(jv_get_kind(e) == JV_KIND_STRING &&
              jv_string_length_bytes(jv_copy(e)) == EV_JQPROG_TEXT_MAX,
          "a long message is cut to EV_JQPROG_TEXT_MAX bytes");
    jv_free(e);
    ev_jqprog_free(j);
    UNIT_DONE();
}
