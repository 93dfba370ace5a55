/* Unit tests of lib/batch: custom_ids, and the result lines of both providers'
 * batch APIs. */
#include <stdlib.h>

#include "batch.h"
#include "unit.h"

static void
test_batch(void)
{
    const char *tag = "0123456789abcdef";
    jv id = jv_string("a b/c");
    jv c = ev_batch_custom_id(tag, id, 0, 0);
    CHECK_STR(jv_string_value(c), "01234567_a_b_c_s0", "a custom_id is tag, cleaned id, sample");
    jv_free(c);
    jv_free(id);
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    id = jv_string(longid);
    c = ev_batch_custom_id(tag, id, 9999, 0);
    jv d = ev_batch_custom_id(tag, id, 9999, 1234);
    CHECK(strlen(jv_string_value(c)) <= 64 && strlen(jv_string_value(d)) <= 64,
          "a long id is cut so that the custom_id fits in 64 bytes, suffixes and all");
    CHECK(strcmp(jv_string_value(c), jv_string_value(d)) != 0, "a duplicate differs");
    CHECK_STR(jv_string_value(d) + strlen(jv_string_value(d)) - 11, "_s9999_1235",
              "the duplicate's suffix survives the cut");
    jv_free(c);
    jv_free(d);
    jv_free(id);
    id = jv_number(7);
    c = ev_batch_custom_id(tag, id, 2, 0);
    CHECK_STR(jv_string_value(c), "01234567_7_s2", "a numeric id is its JSON text");
    jv_free(c);
    jv_free(id);

    ev_provider_reply r;
    ev_provider_reply_init(&r);
    jv cid;
    long status;
    const char *ok = "{\"custom_id\":\"t_a_s0\",\"result\":{\"type\":\"succeeded\",\"message\":"
                     "{\"content\":[{\"type\":\"text\",\"text\":\"Paris\"}],\"stop_reason\":"
                     "\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}}";
    CHECK(ev_batch_result_read(EV_PROVIDER_ANTHROPIC, ok, strlen(ok), &cid, &status, &r) &&
              r.outcome == EV_PROVIDER_ANSWERED &&
              strcmp(jv_string_value(r.output), "Paris") == 0 &&
              strcmp(jv_string_value(cid), "t_a_s0") == 0,
          "an Anthropic result that succeeded reads as an answer, joined by custom_id");
    jv_free(cid);
    const char *exp = "{\"custom_id\":\"t_b_s0\",\"result\":{\"type\":\"expired\"}}";
    CHECK(ev_batch_result_read(EV_PROVIDER_ANTHROPIC, exp, strlen(exp), &cid, &status, &r) &&
              r.outcome == EV_PROVIDER_FAILED && strcmp(r.kind, "timeout") == 0,
          "an expired request is a failure of kind timeout");
    jv_free(cid);
    const char *err = "{\"id\":\"r\",\"custom_id\":\"t_c_s0\",\"response\":{\"status_code\":500,"
                      "\"body\":{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}},"
                      "\"error\":null}";
    CHECK(ev_batch_result_read(EV_PROVIDER_OPENAI, err, strlen(err), &cid, &status, &r) &&
              r.outcome == EV_PROVIDER_FAILED && status == 500 &&
              strstr(jv_string_value(r.message), "boom"),
          "an OpenAI error line is a final failure with its status and message");
    jv_free(cid);
    const char *junk = "[1,2]";
    CHECK(!ev_batch_result_read(EV_PROVIDER_OPENAI, junk, strlen(junk), &cid, &status, &r) &&
              !jv_is_valid(cid),
          "a line that is not a result is refused");
    jv_free(cid);
    ev_provider_reply_free(&r);
}

int
main(void)
{
    test_batch();
    UNIT_DONE();
}
