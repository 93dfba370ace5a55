/* Unit tests of lib/finetune_together: how Together's jobs and events read
 * as the line and the follower's events. */
#include <stdlib.h>

#include "finetune_together.h"
#include "unit.h"

static void
test_job(void)
{
    jv raw = jv_parse("{\"id\":\"ft-1\",\"status\":\"completed\",\"model\":\"meta-llama/L\","
                      "\"model_output_name\":\"me/L-ev-1\",\"token_count\":850,"
                      "\"training_file\":\"file-1\",\"suffix\":\"ev-1\",\"total_price\":1500,"
                      "\"model_object_id\":\"ml_1\"}");
    CHECK_JV(ev_finetune_together_job(raw),
             "{\"fine_tuned_model\":\"me/L-ev-1\",\"job_id\":\"ft-1\","
             "\"model\":\"meta-llama/L\",\"model_object_id\":\"ml_1\","
             "\"status\":\"succeeded\",\"trained_tokens\":850,"
             "\"training_file\":\"file-1\"}",
             "a completed job succeeded, names its output model, its tokens and model object");
    jv_free(raw);
    raw = jv_parse("{\"id\":\"ft-2\",\"status\":\"running\",\"model\":\"m\","
                   "\"model_output_name\":\"me/m-x\",\"token_count\":0,\"training_file\":\"f\"}");
    CHECK_JV(ev_finetune_together_job(raw),
             "{\"fine_tuned_model\":null,\"job_id\":\"ft-2\",\"model\":\"m\","
             "\"status\":\"running\",\"trained_tokens\":null,"
             "\"training_file\":\"f\"}",
             "a running job keeps its word, and names no model yet");
    jv_free(raw);
    const char *ends[][2] = {{"error", "failed"},
                             {"user_error", "failed"},
                             {"cancelled", "cancelled"},
                             {"cancel_requested", "cancel_requested"},
                             {"COMPLETED", "succeeded"}};
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        raw = jv_object_set(jv_object(), jv_string("status"), jv_string(ends[i][0]));
        jv line = ev_finetune_together_job(raw);
        jv st = jv_object_get(line, jv_string("status"));
        CHECK_STR(jv_string_value(st), ends[i][1], ends[i][0]);
        jv_free(st);
        jv_free(raw);
    }
}

static void
test_events(void)
{
    jv raw = jv_parse("{\"data\":[{\"object\":\"fine-tune-event\",\"created_at\":\"t1\","
                      "\"type\":\"job_start\",\"level\":\"info\",\"message\":\"Job started\"},"
                      "{\"created_at\":\"t2\",\"type\":\"JOB_ERROR\",\"level\":\"Error\","
                      "\"message\":\"boom\"},"
                      "{\"created_at\":\"t3\",\"type\":\"warning\",\"level\":\"legacy_iwarning\","
                      "\"message\":\"slow\"},{\"created_at\":\"t4\",\"level\":null}]}");
    CHECK_JV(ev_finetune_together_events(raw),
             "[{\"id\":\"t1 job_start Job started\",\"level\":\"info\","
             "\"message\":\"Job started\"},{\"id\":\"t2 JOB_ERROR boom\","
             "\"level\":\"error\",\"message\":\"boom\"},{\"id\":\"t3 warning slow\","
             "\"level\":\"warning\",\"message\":\"slow\"},{\"id\":\"t4  \","
             "\"level\":\"info\",\"message\":\"\"}]",
             "events get an id of their time, type and message, and a level of either casing");
    jv_free(raw);
    raw = jv_parse("{}");
    CHECK_JV(ev_finetune_together_events(raw), "[]", "a list without data has no events");
    jv_free(raw);
}

int
main(void)
{
    test_job();
    test_events();
    UNIT_DONE();
}
