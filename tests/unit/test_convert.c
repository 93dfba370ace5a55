/* Unit tests of lib/convert: chat examples as Alpaca and ShareGPT, and the
 * names of the formats. */
#include <stdlib.h>

#include "convert.h"
#include "unit.h"

static void
check_convert(jv (*to)(jv), const char *chat, const char *want, const char *name)
{
    jv c = jv_parse(chat);
    jv out = to(c);
    jv_free(c);
    if (jv_is_valid(out)) {
        CHECK_JV(out, want, name);
    } else {
        jv m = jv_invalid_get_msg(out);
        CHECK_STR(jv_string_value(m), want, name);
        jv_free(m);
    }
}

static void
test_conversions(void)
{
    const char *sys = "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                      "{\"role\":\"user\",\"content\":\"q\"},"
                      "{\"role\":\"assistant\",\"content\":\"a\"}]}";
    const char *plain = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                        "{\"role\":\"assistant\",\"content\":\"a\"}]}";
    check_convert(ev_convert_alpaca, sys,
                  "{\"input\":\"q\",\"instruction\":\"s\",\"output\":\"a\"}",
                  "alpaca: the system message is the instruction, the user's the input");
    check_convert(ev_convert_alpaca, plain,
                  "{\"input\":\"\",\"instruction\":\"q\",\"output\":\"a\"}",
                  "alpaca: without a system message the user's is the instruction");
    check_convert(
        ev_convert_alpaca,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"r\"},"
        "{\"role\":\"assistant\",\"content\":\"b\"}]}",
        "alpaca holds one exchange (system?, user, assistant), and message 2 is an "
        "assistant message",
        "alpaca refuses a second turn");
    check_convert(ev_convert_sharegpt, sys,
                  "{\"conversations\":[{\"from\":\"system\",\"value\":\"s\"},"
                  "{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}]}",
                  "sharegpt: system, human, gpt");
    check_convert(ev_convert_sharegpt, "{\"messages\":[{\"role\":\"tool\",\"content\":\"r\"}]}",
                  "sharegpt has no role for 'tool' (message 1)", "sharegpt refuses a tool role");
}

int
main(void)
{
    test_conversions();
    UNIT_DONE();
}
