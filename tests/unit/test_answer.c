/* Unit tests of mock/answer, ev-mock's answer to a chat request body. */
#include <string.h>

#include "mock/answer.h"
#include "mockunit.h"

static void
test_answer(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\"}",
        NULL,
    };
    evm_model *m = model_of(cases, false);
    evm_model_set_judge(m, "grader");
    evm_model_freeze(m);
    evm_jobs_config jc = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *jobs = evm_jobs_new(&jc);
    evm_answer_names names = evm_answer_openai(jobs);
    unsigned st;
    evm_answer_source src;
    const char *ask =
        "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"}]}";
    jv r = evm_answer_reply(&names, m, EVM_WIRE_OPENAI, ask, strlen(ask), "chatcmpl-1", 0, "req_1",
                            &st, &src);
    CHECK(st == 200 && src.source == EVM_MODEL_RIGHT && strcmp(src.case_id, "a") == 0,
          "a case's prompt is answered from the case");
    check_jv(jv_object_get(jv_object_get(jv_array_get(jv_object_get(r, jv_string("choices")), 0),
                                         jv_string("message")),
                           jv_string("content")),
             "\"2\"", "with its expected answer");
    const char *bad = "{\"model\":\"small\"}";
    r = evm_answer_reply(&names, m, EVM_WIRE_ANTHROPIC, bad, strlen(bad), "msg_1", 0, "req_2", &st,
                         NULL);
    CHECK(st == 400, "a body that is not a request is a 400");
    check_field(r, "request_id", "\"req_2\"", "in Anthropic's shape, with the request id");
    jv_free(r);
    const char *tuned = "{\"model\":\"ft:small:ev-mock::ftjob-0\",\"messages\":[{\"role\":\"user\","
                        "\"content\":\"q\"}]}";
    r = evm_answer_reply(&names, m, EVM_WIRE_OPENAI, tuned, strlen(tuned), "chatcmpl-2", 0, "req_3",
                         &st, NULL);
    CHECK(st == 404, "a model of ev-mock's naming that no job made is a 404");
    check_jv(jv_object_get(jv_object_get(r, jv_string("error")), jv_string("code")),
             "\"model_not_found\"", "as OpenAI words it");
    const char *judge = "{\"model\":\"grader\",\"messages\":[{\"role\":\"user\",\"content\":"
                        "\"Paris\\nParis\"}]}";
    r = evm_answer_reply(&names, m, EVM_WIRE_OPENAI, judge, strlen(judge), "chatcmpl-3", 0, "req_4",
                         &st, &src);
    jv text = jv_object_get(jv_object_get(jv_array_get(jv_object_get(r, jv_string("choices")), 0),
                                          jv_string("message")),
                            jv_string("content"));
    CHECK(strstr(jv_string_value(text), "PASS") != NULL, "the judge model grades");
    jv_free(text);
    char a[40], b[40];
    evm_answer_id(a, EVM_WIRE_OPENAI, 42, 1);
    evm_answer_id(b, EVM_WIRE_ANTHROPIC, 42, 2);
    CHECK(strncmp(a, "chatcmpl-", 9) == 0 && strlen(a) == 25, "OpenAI's answer ids");
    CHECK(strncmp(b, "msg_", 4) == 0 && strcmp(a + 9, b + 4) != 0,
          "Anthropic's; another attempt gets another id");
    evm_jobs_free(jobs);
    evm_model_free(m);
}

int
main(void)
{
    test_answer();
    UNIT_DONE();
}
