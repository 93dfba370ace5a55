/* Unit tests of mock/counts, what ev-mock's GET /stats shows. */
#include <string.h>

#include "mock/counts.h"
#include "mockunit.h"

static void
test_paths(void)
{
    CHECK(evm_counts_path_of("/v1/chat/completions") == EVM_COUNTS_CHAT_V1, "OpenAI's chat");
    CHECK(evm_counts_path_of("/messages") == EVM_COUNTS_MESSAGES, "Anthropic's, without /v1");
    CHECK(evm_counts_path_of("/v1/fine_tuning/jobs/ftjob-1/events") == EVM_COUNTS_JOBS,
          "a job's events count under the jobs");
    CHECK(evm_counts_path_of("/files/file-1/content") == EVM_COUNTS_FILES,
          "a file's content under the files, with or without /v1");
    CHECK(evm_counts_path_of("/v1/messages/batches/x/results") == EVM_COUNTS_MESSAGE_BATCHES,
          "message batches are not messages");
    CHECK(evm_counts_path_of("/v1/batchesx") == EVM_COUNTS_OTHER, "a longer name is another path");
    CHECK(evm_counts_path_of("/v1/chat/completions/x") == EVM_COUNTS_OTHER,
          "the model endpoints are matched whole");
    CHECK(evm_counts_path_of("/together/v1/files/upload") == EVM_COUNTS_TOGETHER_FILES,
          "Together's upload counts under its files");
    CHECK(evm_counts_path_of("/together/v1/fine-tunes/ft-1/events") == EVM_COUNTS_TOGETHER_JOBS,
          "a Together job's events under its fine-tunes");
    CHECK(evm_counts_path_of("/together/v2/projects/p/endpoints/e/deployments") ==
              EVM_COUNTS_TOGETHER_V2,
          "every Together v2 path counts as one");
    CHECK(evm_counts_path_of("/together/v1/chat/completions") == EVM_COUNTS_TOGETHER_CHAT &&
              evm_counts_is_model(EVM_COUNTS_TOGETHER_CHAT),
          "Together's chat is a model endpoint");
    CHECK(evm_counts_path_of("/fireworks/v1/accounts/a/datasets/d:upload") ==
              EVM_COUNTS_FIREWORKS_DATASETS,
          "a Fireworks custom method counts under its collection");
    CHECK(evm_counts_path_of("/fireworks/v1/accounts/other/dpoJobs") == EVM_COUNTS_FIREWORKS_DPO,
          "whatever the account");
    CHECK(evm_counts_path_of("/fireworks/v1/accounts/a/deploymentsx") == EVM_COUNTS_OTHER &&
              evm_counts_path_of("/fireworks/v1/accounts/a") == EVM_COUNTS_OTHER,
          "a longer collection, or none, is another path");
    CHECK(evm_counts_path_of("/fireworks/inference/v1/chat/completions") ==
                  EVM_COUNTS_FIREWORKS_CHAT &&
              !evm_counts_is_model(EVM_COUNTS_FIREWORKS_MODELS),
          "Fireworks' inference path is a model endpoint, its models collection is not");
    CHECK(evm_counts_path_of("/v1/files:upload") == EVM_COUNTS_OTHER,
          "only Fireworks' paths take custom methods");
    CHECK_STR(evm_counts_outcome_name(EVM_COUNTS_LOST_ID), "lost_id", "a lost id has its name");
    CHECK_STR(evm_counts_outcome_name(EVM_COUNTS_FAULT + EVM_FAULT_TRUNCATED), "truncated",
              "a fault's outcome is its name");
    CHECK_STR(evm_counts_outcome_name(EVM_COUNTS_RATE_LIMITED), "rate_limited",
              "refusals have their own names");
}

static void
test_counts(void)
{
    evm_counts *c = evm_counts_new();
    CHECK(evm_counts_attempt(c, 1) == 1 && evm_counts_attempt(c, 2) == 1 &&
              evm_counts_attempt(c, 1) == 2,
          "attempts are counted per body");
    evm_counts_request(c, EVM_COUNTS_CHAT_V1, EVM_COUNTS_OK);
    evm_counts_request(c, EVM_COUNTS_CHAT_V1, EVM_COUNTS_FAULT + EVM_FAULT_500);
    evm_counts_request(c, EVM_COUNTS_OTHER, EVM_COUNTS_NOT_FOUND);
    evm_counts_request(c, EVM_COUNTS_TOGETHER_JOBS, EVM_COUNTS_LOST_ID);
    evm_counts_model(c, "small");
    evm_counts_model(c, "small");
    evm_counts_answer(c, EVM_MODEL_WRONG);
    evm_counts_enter(c);
    evm_counts_enter(c);
    evm_counts_leave(c);
    evm_counts_upload(c);
    jv jobs = jv_object_set(jv_object(), jv_string("jobs"), jv_number(0));
    jv batches = jv_object_set(jv_object(), jv_string("openai"), jv_object());
    jv o = evm_counts_json(c, jobs, batches);
    check_field(o, "requests", "4", "every request counts");
    check_jv(jv_object_get(jv_object_get(jv_copy(o), jv_string("by_path")),
                           jv_string("/together/v1/fine-tunes")),
             "1", "a provider's path by its name");
    check_jv(
        jv_object_get(jv_object_get(jv_copy(o), jv_string("by_outcome")), jv_string("lost_id")),
        "1", "a lost answer by its outcome");
    check_jv(jv_object_get(jv_object_get(jv_copy(o), jv_string("by_path")),
                           jv_string("/v1/chat/completions")),
             "2", "by its path");
    check_jv(jv_object_get(jv_object_get(jv_copy(o), jv_string("by_outcome")), jv_string("500")),
             "1", "and by what became of it");
    check_field(o, "by_model", "{\"small\":2}", "models are counted by name");
    check_jv(jv_object_get(jv_object_get(jv_copy(o), jv_string("answers")), jv_string("wrong")),
             "1", "answers by where they came from");
    check_field(o, "distinct_bodies", "2", "two bodies were seen");
    check_field(o, "max_attempts", "2", "one of them twice");
    check_field(o, "in_flight", "1", "one request is in flight");
    check_field(o, "max_in_flight", "2", "two were at once");
    check_field(o, "fine_tuning", "{\"jobs\":0}", "the job store's stats are carried");
    check_field(o, "batches", "{\"openai\":{\"files_uploaded\":1}}",
                "uploads count under the batches");
    jv_free(o);
    jv line = evm_counts_summary(c);
    CHECK_STR(jv_string_value(line),
              "4 requests: 1 ok, 2 faulted, 0 rate limited, 0 unauthorized, 0 bad, 1 not found",
              "the summary at exit, a lost answer among the faulted");
    jv_free(line);
    evm_counts_reset(c);
    o = evm_counts_json(c, jv_null(), jv_object_set(jv_object(), jv_string("openai"), jv_object()));
    check_field(o, "requests", "0", "a reset starts the counts over");
    check_field(o, "distinct_bodies", "0", "and the attempts");
    check_field(o, "in_flight", "1", "but a request in flight is still in flight");
    jv_free(o);
    CHECK(evm_counts_attempt(c, 1) == 1, "a body after a reset is new");
    evm_counts_free(c);
}

int
main(void)
{
    test_paths();
    test_counts();
    UNIT_DONE();
}
