/* Unit tests of lib/finetune_fireworks: how Fireworks' supervised and DPO
 * jobs read as the line. */
#include <stdlib.h>

#include "finetune_fireworks.h"
#include "unit.h"

static void
test_job(void)
{
    jv raw = jv_parse("{\"name\":\"accounts/a/supervisedFineTuningJobs/ev-1\","
                      "\"state\":\"JOB_STATE_COMPLETED\",\"status\":{\"code\":\"OK\"},"
                      "\"dataset\":\"accounts/a/datasets/ev-1-train\","
                      "\"baseModel\":\"accounts/fireworks/models/qwen3-8b\","
                      "\"outputModel\":\"accounts/a/models/ev-1\","
                      "\"jobProgress\":{\"percent\":100,\"inputTokens\":\"1200\"}}");
    CHECK_JV(ev_finetune_fireworks_job(raw),
             "{\"fine_tuned_model\":\"accounts/a/models/ev-1\","
             "\"job_id\":\"accounts/a/supervisedFineTuningJobs/ev-1\","
             "\"model\":\"accounts/fireworks/models/qwen3-8b\","
             "\"status\":\"succeeded\",\"trained_tokens\":1200,"
             "\"training_file\":\"accounts/a/datasets/ev-1-train\"}",
             "a completed supervised job names its output model and tokens (an int64 string)");
    jv_free(raw);
    raw = jv_parse("{\"name\":\"accounts/a/dpoJobs/ev-2\",\"state\":\"JOB_STATE_FAILED\","
                   "\"status\":{\"code\":\"INTERNAL\",\"message\":\"out of memory\"},"
                   "\"dataset\":\"d\",\"trainingConfig\":{\"baseModel\":\"b\","
                   "\"outputModel\":\"accounts/a/models/ev-2\"}}");
    CHECK_JV(ev_finetune_fireworks_job(raw),
             "{\"error\":{\"message\":\"out of memory\"},\"fine_tuned_model\":null,"
             "\"job_id\":\"accounts/a/dpoJobs/ev-2\",\"model\":\"b\","
             "\"status\":\"failed\",\"trained_tokens\":null,\"training_file\":\"d\"}",
             "a failed DPO job reads its base from trainingConfig and its error from status");
    jv_free(raw);
    raw = jv_parse("{\"name\":\"n\",\"state\":\"JOB_STATE_EXPIRED\",\"status\":{}}");
    jv line = ev_finetune_fireworks_job(raw);
    CHECK_JV(jv_object_get(jv_copy(line), jv_string("error")),
             "{\"message\":\"the job ended JOB_STATE_EXPIRED, and Fireworks gave no reason\"}",
             "an expired job failed, and says so without a message");
    jv_free(line);
    jv_free(raw);
    const char *words[][2] = {{"JOB_STATE_WRITING_RESULTS", "writing_results"},
                              {"JOB_STATE_CANCELLED", "cancelled"},
                              {"JOB_STATE_EARLY_STOPPED", "succeeded"},
                              {"RUNNING", "running"}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        raw = jv_object_set(jv_object(), jv_string("state"), jv_string(words[i][0]));
        line = ev_finetune_fireworks_job(raw);
        jv st = jv_object_get(line, jv_string("status"));
        CHECK_STR(jv_string_value(st), words[i][1], words[i][0]);
        jv_free(st);
        jv_free(raw);
    }
}

int
main(void)
{
    test_job();
    UNIT_DONE();
}
