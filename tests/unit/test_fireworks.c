/* Unit tests of mock/fireworks, ev-mock's simulation of Fireworks'
 * datasets, fine-tuning jobs, models and deployments: steps by time at
 * exact moments, the refusals of Training V2, accounts, and what chat
 * names resolve to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mock/fireworks.h"
#include "mockunit.h"

#define T0 1000000
#define BASE "accounts/fireworks/models/qwen3-8b"
#define ACCOUNT "/v1/accounts/acme"

/* serve sends 'method' 'path' with the JSON 'body' (or none) and the
 * query 'query' ("NAME=VALUE", or NULL) at 'now'. */
static evm_wire_reply
serve(evm_fireworks *f, const char *method, const char *path, const char *body, const char *query,
      int64_t now)
{
    evm_wire_http h = http(method, path, body, query, now);
    return evm_fireworks_serve(f, &h);
}

static unsigned
status_of(evm_wire_reply r)
{
    jv_free(r.body);
    return r.status;
}

/* dataset makes the dataset 'id' of 'data' at T0. */
static unsigned
dataset(evm_fireworks *f, const char *id, const char *data)
{
    jv body = jv_string_fmt("{\"datasetId\":\"%s\",\"dataset\":{\"userUploaded\":{}}}", id);
    jv path = jv_string_fmt(ACCOUNT "/datasets/%s:upload", id);
    jv_free(serve(f, "POST", ACCOUNT "/datasets", jv_string_value(body), NULL, T0).body);
    evm_wire_form form = {NULL, 0};
    evm_wire_form_append(&form, "file", "t.jsonl", data, strlen(data));
    evm_wire_http h = {"POST", jv_string_value(path), "", 0, &form, NULL, NULL, T0};
    evm_wire_reply r = evm_fireworks_serve(f, &h);
    evm_wire_form_free(&form);
    jv_free(body);
    jv_free(path);
    return status_of(r);
}

static evm_fireworks *
store(evm_jobs_config *c, evm_fault_plan *faults, bool by_poll)
{
    *faults = evm_fault_defaults();
    *c = (evm_jobs_config){.job_ms = 1000,
                           .deploy_ms = 100,
                           .by_poll = by_poll,
                           .faults = faults,
                           .learner = BASE,
                           .params = evm_learner_defaults()};
    return evm_fireworks_new(c, "acme");
}

static void
check_path(evm_fireworks *f, const char *path, int64_t now, const char *key, const char *want,
           const char *name)
{
    jv b = serve(f, "GET", path, NULL, NULL, now).body;
    check_field(b, key, want, name);
    jv_free(b);
}

static enum evm_jobs_kind
resolve(evm_fireworks *f, const char *model, int64_t now)
{
    evm_model_as as;
    return evm_fireworks_resolve(f, model, now, &as);
}

static void
test_flow(void)
{
    evm_jobs_config c;
    evm_fault_plan faults;
    evm_fireworks *f = store(&c, &faults, false);
    CHECK(dataset(f, "train", MOCK_CHAT MOCK_CHAT MOCK_CHAT) == 200,
          "a dataset is made and uploaded");
    check_path(f, ACCOUNT "/datasets/train", T0, "state", "\"READY\"", "and READY");
    check_path(f, ACCOUNT "/datasets/train", T0, "exampleCount", "\"3\"",
               "with its examples, an int64 as a string");
    evm_wire_reply r = serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                             "{\"dataset\":\"accounts/acme/datasets/train\",\"baseModel\":\"" BASE
                             "\",\"epochs\":2}",
                             "supervisedFineTuningJobId=sft", T0);
    CHECK(r.status == 200, "a supervised job is made with the id asked");
    check_field(r.body, "name", "\"accounts/acme/supervisedFineTuningJobs/sft\"", "its name");
    check_field(r.body, "outputModel", "\"accounts/acme/models/sft\"", "its model is its id's");
    check_field(r.body, "loraRank", "8", "rank 8 by default");
    jv_free(r.body);
    const char *path = ACCOUNT "/supervisedFineTuningJobs/sft";
    check_path(f, path, T0 + 199, "state", "\"JOB_STATE_CREATING\"", "creating for a fifth");
    check_path(f, path, T0 + 200, "state", "\"JOB_STATE_PENDING\"", "pending");
    check_path(f, path, T0 + 400, "state", "\"JOB_STATE_RUNNING\"", "running");
    check_path(f, path, T0 + 800, "state", "\"JOB_STATE_WRITING_RESULTS\"", "writing results");
    CHECK(status_of(serve(f, "GET", ACCOUNT "/models/sft", NULL, NULL, T0 + 999)) == 404,
          "no model before the job completes");
    check_path(f, path, T0 + 1000, "state", "\"JOB_STATE_COMPLETED\"", "completed after --job-ms");
    check_path(f, ACCOUNT "/models/sft", T0 + 1000, "kind", "\"HF_PEFT_ADDON\"",
               "then its model is a LoRA");
    CHECK(resolve(f, "accounts/acme/models/sft", T0 + 1000) == EVM_JOBS_UNKNOWN,
          "which no deployment serves yet");
    r = serve(f, "POST", ACCOUNT "/deployments", "{\"baseModel\":\"accounts/acme/models/sft\"}",
              "deploymentId=dep", T0 + 1000);
    check_field(r.body, "state", "\"CREATING\"", "a deployment is creating");
    check_field(r.body, "minReplicaCount", "0", "from 0 replicas by default");
    jv_free(r.body);
    CHECK(resolve(f, "accounts/acme/models/sft", T0 + 1099) == EVM_JOBS_UNKNOWN,
          "it does not serve while creating");
    check_path(f, ACCOUNT "/deployments/dep", T0 + 1100, "state", "\"READY\"",
               "ready after --deploy-ms");
    CHECK(resolve(f, "accounts/acme/models/sft", T0 + 1100) == EVM_JOBS_TUNED,
          "then the model is the tuned model");
    CHECK(resolve(f, "accounts/acme/models/sft#accounts/acme/deployments/dep", T0 + 1100) ==
              EVM_JOBS_TUNED,
          "also through that deployment");
    CHECK(resolve(f, "accounts/acme/models/sft#accounts/acme/deployments/x", T0 + 1100) ==
              EVM_JOBS_UNKNOWN,
          "but not through another");
    CHECK(resolve(f, BASE, T0) == EVM_JOBS_BASE && resolve(f, "gpt-4o", T0) == EVM_JOBS_PLAIN,
          "the learner's base is the base, another name plain");
    CHECK(resolve(f, "accounts/acme/models/nope", T0) == EVM_JOBS_UNKNOWN,
          "a model of the account no job made is unknown");
    CHECK(status_of(serve(f, "DELETE", ACCOUNT "/deployments/dep", NULL, NULL, T0 + 2000)) == 200,
          "a deployment is deleted");
    CHECK(resolve(f, "accounts/acme/models/sft", T0 + 2000) == EVM_JOBS_UNKNOWN,
          "and serves no more at once");
    check_path(f, ACCOUNT "/deployments/dep", T0 + 2000, "state", "\"DELETING\"", "deleting");
    check_path(f, ACCOUNT "/deployments/dep", T0 + 2010, "state", "\"DELETED\"", "then deleted");
    /* a warm start continues from the model */
    r = serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
              "{\"dataset\":\"accounts/acme/datasets/train\","
              "\"warmStartFrom\":\"accounts/acme/models/sft\"}",
              "supervisedFineTuningJobId=more", T0 + 2000);
    check_field(r.body, "warmStartFrom", "\"accounts/acme/models/sft\"",
                "a job warm-starts from a tuned model");
    jv_free(r.body);
    jv stats = evm_fireworks_stats(f, T0 + 2010);
    check_jv(
        stats,
        "{\"account\":\"acme\",\"by_state\":{\"JOB_STATE_COMPLETED\":1,\"JOB_STATE_CREATING\":1,"
        "\"JOB_STATE_FAILED\":0,\"JOB_STATE_PENDING\":0,\"JOB_STATE_RUNNING\":0,"
        "\"JOB_STATE_WRITING_RESULTS\":0},\"datasets\":1,\"deployments\":0,"
        "\"deployments_by_state\":{\"CREATING\":0,\"DELETED\":1,\"DELETING\":0,\"READY\":0},"
        "\"jobs\":2}",
        "stats count datasets, jobs and deployments by state");
    evm_fireworks_free(f);
}

static void
test_refusals(void)
{
    evm_jobs_config c;
    evm_fault_plan faults;
    evm_fireworks *f = store(&c, &faults, true);
    CHECK(dataset(f, "train", MOCK_CHAT MOCK_CHAT MOCK_CHAT) == 200 &&
              dataset(f, "pref", MOCK_PREF MOCK_PREF MOCK_PREF) == 200,
          "a chat and a preference dataset");
    CHECK(dataset(f, "two", MOCK_CHAT MOCK_CHAT) == 400, "a dataset of 2 examples is refused");
    check_path(f, ACCOUNT "/datasets/two", T0, "state", "\"UPLOADING\"", "and stays UPLOADING");
    CHECK(status_of(serve(f, "POST", ACCOUNT "/datasets",
                          "{\"datasetId\":\"train\",\"dataset\":{\"userUploaded\":{}}}", NULL,
                          T0)) == 409,
          "a dataset id is taken once");
    CHECK(status_of(serve(f, "POST", ACCOUNT "/datasets",
                          "{\"datasetId\":\"9lives\",\"dataset\":{\"userUploaded\":{}}}", NULL,
                          T0)) == 400,
          "an id starts with a letter");
    CHECK(status_of(serve(f, "POST", ACCOUNT "/datasets",
                          "{\"datasetId\":\"n\",\"dataset\":{\"exampleCount\":\"many\"}}", NULL,
                          T0)) == 400,
          "an exampleCount is an int64, a number or a string of one");
    static const char *const bad[] = {
        "\"batchSize\":8",         "\"gradientAccumulationSteps\":4",
        "\"jinjaTemplate\":\"t\"", "\"earlyStop\":true",
        "\"mtpEnabled\":true",     "\"wrapper\":{}",
        "\"loraRank\":64",         "\"maxContextLength\":1000000",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jv body = jv_string_fmt(
            "{\"dataset\":\"accounts/acme/datasets/train\",\"baseModel\":\"" BASE "\",%s}", bad[i]);
        evm_wire_reply r =
            serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs", jv_string_value(body), NULL, T0);
        jv code = jv_object_get(jv_copy(r.body), jv_string("code"));
        CHECK(r.status == 400 && jv_number_value(code) == 3, "Training V2 refuses it");
        jv_free(code);
        jv_free(r.body);
        jv_free(body);
    }
    evm_wire_reply r = serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                             "{\"dataset\":\"accounts/acme/datasets/train\",\"baseModel\":\"" BASE
                             "\",\"batchSize\":0}",
                             "supervisedFineTuningJobId=zero", T0);
    CHECK(r.status == 200, "a batchSize of 0 is no batch size");
    jv_free(r.body);
    CHECK(status_of(serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                          "{\"dataset\":\"accounts/acme/datasets/train\",\"baseModel\":\"" BASE
                          "\",\"outputModel\":\"accounts/acme/models/zero\"}",
                          NULL, T0)) == 409,
          "an output model another job makes is taken");
    CHECK(status_of(serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                          "{\"dataset\":\"accounts/acme/datasets/two\",\"baseModel\":\"" BASE "\"}",
                          NULL, T0)) == 400,
          "a dataset not READY is refused");
    CHECK(
        status_of(serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                        "{\"dataset\":\"accounts/acme/datasets/pref\",\"baseModel\":\"" BASE "\"}",
                        NULL, T0)) == 400,
        "preference data is for DPO");
    r = serve(
        f, "POST", ACCOUNT "/dpoJobs",
        "{\"dataset\":\"accounts/acme/datasets/pref\",\"trainingConfig\":{\"baseModel\":\"" BASE
        "\"},\"lossConfig\":{\"method\":\"DPO\",\"dpo\":{\"beta\":0.2}}}",
        "dpoJobId=dpo", T0);
    CHECK(r.status == 200, "a DPO job on preference data");
    check_field(r.body, "lossConfig", "{\"dpo\":{\"beta\":0.2},\"method\":\"DPO\"}",
                "keeps its loss");
    jv_free(r.body);
    const char *want[] = {"PENDING", "RUNNING", "WRITING_RESULTS", "COMPLETED"};
    for (int i = 0; i < 4; i++) {
        jv b = serve(f, "GET", ACCOUNT "/dpoJobs/dpo", NULL, NULL, T0).body;
        jv st = text_of(b, "state");
        CHECK(strcmp(jv_string_value(st) + strlen("JOB_STATE_"), want[i]) == 0,
              "by poll, one state a GET");
        jv_free(st);
    }
    CHECK(status_of(serve(f, "POST", ACCOUNT "/dpoJobs",
                          "{\"dataset\":\"accounts/acme/datasets/pref\",\"trainingConfig\":{"
                          "\"baseModel\":\"" BASE "\"}}",
                          NULL, T0)) == 400,
          "a DPO job must say DPO");
    CHECK(status_of(serve(f, "GET", "/v1/accounts/other/datasets", NULL, NULL, T0)) == 403,
          "another account is denied");
    r = serve(f, "GET", "/v1/accounts/fireworks/models/llama-v3p1-8b-instruct", NULL, NULL, T0);
    check_field(r.body, "tunable", "false", "a public base model says whether it is tunable");
    jv_free(r.body);
    CHECK(status_of(serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                          "{\"dataset\":\"accounts/acme/datasets/train\","
                          "\"baseModel\":\"accounts/fireworks/models/llama-v3p1-8b-instruct\"}",
                          NULL, T0)) == 400,
          "and a job on one that is not is refused");
    CHECK(status_of(serve(f, "DELETE", ACCOUNT "/dpoJobs/dpo", NULL, NULL, T0)) == 200 &&
              status_of(serve(f, "GET", ACCOUNT "/dpoJobs/dpo", NULL, NULL, T0)) == 404,
          "a deleted job is gone");
    CHECK(status_of(serve(f, "GET", ACCOUNT "/nothing", NULL, NULL, T0)) == 404,
          "an unknown path is 404");
    evm_fireworks_free(f);
}

static void
test_faults(void)
{
    evm_jobs_config c;
    evm_fault_plan faults;
    evm_fireworks *f = store(&c, &faults, false);
    faults.job_fail = 1;
    faults.lost_id = 1;
    faults.slow_deploy = 1;
    dataset(f, "train", MOCK_CHAT MOCK_CHAT MOCK_CHAT);
    evm_wire_reply r =
        serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
              "{\"dataset\":\"accounts/acme/datasets/train\",\"baseModel\":\"" BASE "\"}",
              "supervisedFineTuningJobId=doomed", T0);
    CHECK(r.status == 200 && r.lost, "the lost-id fault loses the answer of a job made");
    jv_free(r.body);
    jv b = serve(f, "GET", ACCOUNT "/supervisedFineTuningJobs/doomed", NULL, NULL, T0 + 1000).body;
    check_field(b, "state", "\"JOB_STATE_FAILED\"", "job-fail fails it at the end of its running");
    jv code = ev_json_path(b, "status.code");
    CHECK_STR(ev_json_str(code, ""), "INTERNAL", "with an INTERNAL status");
    jv_free(code);
    jv_free(b);
    evm_fireworks_free(f);

    f = store(&c, &faults, false);
    faults.slow_deploy = 1;
    dataset(f, "train", MOCK_CHAT MOCK_CHAT MOCK_CHAT);
    jv_free(serve(f, "POST", ACCOUNT "/supervisedFineTuningJobs",
                  "{\"dataset\":\"accounts/acme/datasets/train\",\"baseModel\":\"" BASE "\"}",
                  "supervisedFineTuningJobId=ok", T0)
                .body);
    jv_free(serve(f, "POST", ACCOUNT "/deployments", "{\"baseModel\":\"accounts/acme/models/ok\"}",
                  "deploymentId=slow", T0 + 1000)
                .body);
    check_path(f, ACCOUNT "/deployments/slow", T0 + 1999, "state", "\"CREATING\"",
               "a slow deploy is creating for ten times --deploy-ms");
    check_path(f, ACCOUNT "/deployments/slow", T0 + 2000, "state", "\"READY\"", "then ready");
    evm_fireworks_free(f);
}

int
main(void)
{
    test_flow();
    test_refusals();
    test_faults();
    UNIT_DONE();
}
