/* Unit tests of mock/together, ev-mock's simulation of Together's files and
 * fine-tuning jobs. Every request is given its time, so the steps of a job
 * by time are checked at exact moments, never by waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mock/together.h"
#include "mockunit.h"

/* T0 is when the tests' files and jobs are made, in ms since the epoch. */
#define T0 1000000

/* call sends 'method' 'path' with the JSON 'body' (or none) at 'now'. */
static evm_wire_reply
call(evm_together *t, const char *method, const char *path, const char *body, int64_t now)
{
    evm_wire_http h = http(method, path, body, NULL, now);
    return evm_together_serve(t, &h);
}

/* upload uploads 'data' as 'name' for 'purpose' at T0. */
static evm_wire_reply
upload(evm_together *t, const char *name, const char *purpose, const char *data)
{
    evm_wire_form f = {NULL, 0};
    if (purpose != NULL)
        evm_wire_form_append(&f, "purpose", NULL, purpose, strlen(purpose));
    evm_wire_form_append(&f, "file_name", NULL, name, strlen(name));
    evm_wire_form_append(&f, "file", name, data, strlen(data));
    evm_wire_http h = {"POST", "/v1/files/upload", "", 0, &f, NULL, NULL, T0};
    evm_wire_reply r = evm_together_serve(t, &h);
    evm_wire_form_free(&f);
    return r;
}

/* field returns the text of 'key' of reply 'r', which it frees. */
static jv
field(evm_wire_reply r, const char *key)
{
    return text_of(r.body, key);
}

static evm_together *
store(long job_ms, bool by_poll, const evm_fault_plan *faults)
{
    evm_jobs_config c = {.seed = 0,
                         .job_ms = job_ms,
                         .by_poll = by_poll,
                         .faults = faults,
                         .params = evm_learner_defaults()};
    return evm_together_new(&c);
}

/* start uploads 'data' and creates a job on it with the extra request
 * fields 'extra' ("" or ",..."); returns the job's id. */
static jv
start(evm_together *t, const char *data, const char *extra)
{
    jv file = field(upload(t, "t.jsonl", "fine-tune", data), "id");
    jv body = jv_string_fmt("{\"model\":\"meta-llama/Meta-Llama-3.1-8B-Instruct-Reference\","
                            "\"training_file\":\"%s\",\"n_epochs\":2,\"suffix\":\"ev\"%s}",
                            jv_string_value(file), extra);
    evm_wire_reply r = call(t, "POST", "/v1/fine-tunes", jv_string_value(body), T0);
    CHECK(r.status == 200, "a job is created");
    jv_free(file);
    jv_free(body);
    return field(r, "id");
}

static jv
job_at(evm_together *t, jv id, int64_t now)
{
    jv path = jv_string_fmt("/v1/fine-tunes/%s", jv_string_value(id));
    evm_wire_reply r = call(t, "GET", jv_string_value(path), NULL, now);
    jv_free(path);
    return r.body;
}

static void
check_status(evm_together *t, jv id, int64_t now, const char *want, const char *name)
{
    jv st = text_of(job_at(t, id, now), "status");
    CHECK_STR(jv_string_value(st), want, name);
    jv_free(st);
}

static void
test_files(void)
{
    evm_together *t = store(1000, false, NULL);
    evm_wire_reply r = upload(t, "train.jsonl", "fine-tune", MOCK_CHAT MOCK_CHAT);
    CHECK(r.status == 200, "an upload is stored");
    jv id = text_of(jv_copy(r.body), "id");
    CHECK(strncmp(jv_string_value(id), "file-", 5) == 0 &&
              jv_string_length_bytes(jv_copy(id)) == 41,
          "a file id is file- and a UUID");
    check_field(r.body, "FileType", "\"jsonl\"", "jsonl by default");
    check_field(r.body, "processing_status", "\"COMPLETED\"", "a good file is COMPLETED at once");
    check_field(r.body, "validation_report",
                "{\"dataset_format\":\"conversation\",\"nlines\":2,\"valid\":true}",
                "with its report");
    check_field(r.body, "LineCount", "2", "and its lines");
    jv_free(r.body);
    r = upload(t, "again.jsonl", "fine-tune", MOCK_CHAT MOCK_CHAT);
    jv again = field(r, "id");
    CHECK_STR(jv_string_value(again), jv_string_value(id), "the same bytes get the same file");
    jv_free(again);
    r = upload(t, "bad.jsonl", "fine-tune", MOCK_CHAT "{\"messages\":[{\"content\":\"x\"}]}\n");
    check_field(r.body, "processing_status", "\"INVALID_FORMAT\"", "a bad file is INVALID_FORMAT");
    check_field(r.body, "validation_report",
                "{\"error\":\"Line 2: `messages[0]` must contain a `role` field\","
                "\"error_type\":\"INVALID_FORMAT\",\"valid\":false}",
                "its report names the first problem by line");
    jv bad = text_of(r.body, "id");
    r = upload(t, "x.jsonl", NULL, MOCK_CHAT);
    CHECK(r.status == 400, "an upload without a purpose is refused");
    check_jv(r.body,
             "{\"error\":{\"code\":null,\"message\":\"Missing required field 'purpose'.\","
             "\"param\":\"purpose\",\"type\":\"invalid_request_error\"}}",
             "in Together's error shape");
    r = upload(t, "x.jsonl", "train", MOCK_CHAT);
    CHECK(r.status == 400, "an unknown purpose is refused");
    jv_free(r.body);
    r = call(t, "GET", "/v1/files", NULL, T0);
    CHECK(jv_array_length(jv_object_get(r.body, jv_string("data"))) == 2,
          "GET /v1/files lists the two files");
    jv path = jv_string_fmt("/v1/files/%s", jv_string_value(id));
    r = call(t, "GET", jv_string_value(path), NULL, T0);
    CHECK(r.status == 200, "GET /v1/files/ID answers the file");
    jv_free(r.body);
    r = call(t, "GET", "/v1/files/file-nope", NULL, T0);
    CHECK(r.status == 404, "an unknown file is 404");
    jv_free(r.body);
    /* a job on the bad file is refused with its problem */
    jv body = jv_string_fmt("{\"model\":\"m\",\"training_file\":\"%s\"}", jv_string_value(bad));
    r = call(t, "POST", "/v1/fine-tunes", jv_string_value(body), T0);
    CHECK(r.status == 400, "a job on an invalid file is refused");
    jv msg = jv_object_get(jv_object_get(r.body, jv_string("error")), jv_string("message"));
    CHECK(strstr(jv_string_value(msg), "must contain a `role` field") != NULL,
          "with the file's problem");
    jv_free(msg);
    jv_free(body);
    jv_free(path);
    jv_free(bad);
    jv_free(id);
    evm_together_free(t);
}

static void
test_jobs_by_time(void)
{
    evm_together *t = store(1000, false, NULL);
    jv id = start(t, MOCK_CHAT MOCK_CHAT MOCK_CHAT, "");
    CHECK(strncmp(jv_string_value(id), "ft-", 3) == 0, "a job id is ft- and a UUID");
    jv j = job_at(t, id, T0);
    check_field(j, "status", "\"pending\"", "a new job is pending");
    check_field(j, "training_method", "{\"method\":\"sft\",\"train_on_inputs\":\"auto\"}",
                "sft by default");
    check_field(j, "training_type",
                "{\"lora_alpha\":128,\"lora_dropout\":0,\"lora_r\":64,"
                "\"lora_trainable_modules\":\"all-linear\",\"type\":\"Lora\"}",
                "LoRA by default");
    check_field(j, "created_at", "\"1970-01-01T00:16:40Z\"", "times are RFC 3339");
    jv out = text_of(jv_copy(j), "model_output_name");
    CHECK(strncmp(jv_string_value(out), "ev-mock/Meta-Llama-3.1-8B-Instruct-Reference-ev-", 48) ==
              0,
          "the output model is named from the base's last part and the suffix");
    CHECK(!jv_object_has(jv_copy(j), jv_string("model_object_id")),
          "no model object before it completes");
    jv_free(j);
    check_status(t, id, T0 + 199, "pending", "pending for a fifth of the time");
    check_status(t, id, T0 + 200, "queued", "then queued");
    check_status(t, id, T0 + 400, "running", "then running");
    check_status(t, id, T0 + 800, "uploading", "then uploading");
    check_status(t, id, T0 + 1000, "completed", "completed after --job-ms");
    j = job_at(t, id, T0 + 1000);
    jv tokens = jv_object_get(jv_copy(j), jv_string("token_count"));
    CHECK(jv_number_value(tokens) == 2 * 3 * (double)((strlen(MOCK_CHAT) - 1 + 3) / 4),
          "token_count: the file's tokens times the epochs");
    jv price = jv_object_get(jv_copy(j), jv_string("total_price"));
    CHECK(jv_number_value(price) == jv_number_value(tokens) * 500,
          "total_price in nano-dollars at $0.50 a million tokens");
    jv_free(price);
    jv obj = text_of(jv_copy(j), "model_object_id");
    CHECK(strncmp(jv_string_value(obj), "ml_", 3) == 0, "a completed job has its model object");
    evm_together_model m;
    CHECK(evm_together_tuned(t, jv_string_value(obj), T0 + 1000, &m) &&
              strcmp(m.base, "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference") == 0 &&
              m.tuned->tally != NULL,
          "the store finds the model a job made, with its examples");
    CHECK(!evm_together_tuned(t, jv_string_value(obj), T0 + 999, &m),
          "but not before the job completed");
    CHECK(evm_together_is_output(t, jv_string_value(out)), "its output name is known");
    jv_free(tokens);
    jv_free(obj);
    jv_free(out);
    jv_free(j);
    jv path = jv_string_fmt("/v1/fine-tunes/%s/events", jv_string_value(id));
    evm_wire_reply r = call(t, "GET", jv_string_value(path), NULL, T0 + 1000);
    jv types = jv_string("");
    jv data = jv_object_get(r.body, jv_string("data"));
    jv_array_foreach(data, i, e)
    {
        jv type = text_of(e, "type");
        types = jv_string_append_str(types, i ? " " : "");
        types = jv_string_concat(types, type);
    }
    jv_free(data);
    CHECK_STR(jv_string_value(types),
              "job_pending job_start training_start epoch_complete epoch_complete "
              "model_uploading model_upload_complete job_complete",
              "the events, oldest first");
    jv_free(types);
    jv_free(path);
    r = call(t, "GET", "/v1/fine-tunes", NULL, T0);
    CHECK(jv_array_length(jv_object_get(r.body, jv_string("data"))) == 1, "the list has the job");
    jv_free(id);
    evm_together_free(t);
}

static void
test_jobs_by_poll(void)
{
    evm_fault_plan faults = evm_fault_defaults();
    faults.job_fail = 1;
    evm_together *t = store(3600000, true, NULL);
    jv id = start(t, MOCK_CHAT, "");
    const char *want[] = {"queued", "running", "uploading", "completed", "completed"};
    for (int i = 0; i < 5; i++)
        check_status(t, id, T0 + 1, want[i], "by poll, one step a GET");
    jv_free(id);
    evm_together_free(t);

    t = store(3600000, true, &faults);
    id = start(t, MOCK_CHAT, "");
    const char *failing[] = {"queued", "running", "error", "error"};
    for (int i = 0; i < 4; i++)
        check_status(t, id, T0 + 1, failing[i], "the job-fail fault ends a job in error");
    jv path = jv_string_fmt("/v1/fine-tunes/%s/events", jv_string_value(id));
    evm_wire_reply r = call(t, "GET", jv_string_value(path), NULL, T0 + 1);
    jv data = jv_object_get(r.body, jv_string("data"));
    jv last = jv_array_get(jv_copy(data), jv_array_length(jv_copy(data)) - 1);
    jv_free(data);
    check_field(last, "type", "\"job_error\"", "with a job_error event");
    check_field(last, "level", "\"error\"", "of level error");
    jv_free(last);
    jv_free(path);
    jv_free(id);
    evm_together_free(t);
}

static void
test_cancel_and_lost(void)
{
    evm_fault_plan faults = evm_fault_defaults();
    faults.lost_id = 1;
    evm_together *t = store(1000, false, &faults);
    jv file = field(upload(t, "t.jsonl", "fine-tune", MOCK_CHAT), "id");
    jv body = jv_string_fmt("{\"model\":\"m\",\"training_file\":\"%s\"}", jv_string_value(file));
    evm_wire_reply r = call(t, "POST", "/v1/fine-tunes", jv_string_value(body), T0);
    CHECK(r.status == 200 && r.lost, "the lost-id fault makes the job, and loses the answer");
    jv id = field(r, "id");
    jv path = jv_string_fmt("/v1/fine-tunes/%s/cancel", jv_string_value(id));
    r = call(t, "POST", jv_string_value(path), NULL, T0 + 300);
    check_field(r.body, "status", "\"cancel_requested\"", "a cancel is asked");
    jv_free(r.body);
    check_status(t, id, T0 + 399, "cancel_requested", "until a tenth of --job-ms has passed");
    check_status(t, id, T0 + 400, "cancelled", "then the job is cancelled");
    check_status(t, id, T0 + 5000, "cancelled", "and stays so");
    r = call(t, "POST", jv_string_value(path), NULL, T0 + 5000);
    CHECK(r.status == 400, "an ended job cannot be cancelled");
    jv_free(r.body);
    r = call(t, "POST", "/v1/fine-tunes/ft-nope/cancel", NULL, T0);
    CHECK(r.status == 404, "an unknown job is 404");
    jv_free(r.body);
    jv_free(path);
    jv_free(id);
    jv_free(body);
    jv_free(file);
    evm_together_free(t);
}

static void
test_requests(void)
{
    evm_together *t = store(1000, false, NULL);
    jv sft = field(upload(t, "s.jsonl", "fine-tune", MOCK_CHAT), "id");
    jv pref = field(upload(t, "p.jsonl", "fine-tune", MOCK_PREF), "id");
    /* each after {"training_file": ID */
    static const struct {
        const char *rest, *param;
    } bad[] = {
        {"}", "model"},
        {",\"model\":\"m\",\"n_epochs\":0}", "n_epochs"},
        {",\"model\":\"m\",\"suffix\":\"a-suffix-of-more-than-forty-characters-xy\"}", "suffix"},
        {",\"model\":\"m\",\"batch_size\":\"big\"}", "batch_size"},
        {",\"model\":\"m\",\"training_method\":{\"method\":\"sft\"}}", "training_method"},
        {",\"model\":\"m\",\"training_type\":{\"type\":\"Lora\"}}", "training_type"},
        {",\"model\":\"m\",\"training_method\":{\"method\":\"dpo\"}}", "training_file"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jv body = jv_string_fmt("{\"training_file\":\"%s\"%s", jv_string_value(sft), bad[i].rest);
        evm_wire_reply r = call(t, "POST", "/v1/fine-tunes", jv_string_value(body), T0);
        jv param = ev_json_path(r.body, "error.param");
        CHECK(r.status == 400 && strcmp(ev_json_str(param, ""), bad[i].param) == 0,
              "a bad request is refused naming its field");
        jv_free(param);
        jv_free(r.body);
        jv_free(body);
    }
    jv body = jv_string_fmt("{\"model\":\"m\",\"training_file\":\"%s\","
                            "\"training_method\":{\"method\":\"dpo\",\"dpo_beta\":0.2},"
                            "\"training_type\":{\"type\":\"Full\"}}",
                            jv_string_value(pref));
    evm_wire_reply r = call(t, "POST", "/v1/fine-tunes", jv_string_value(body), T0);
    CHECK(r.status == 200, "a full DPO job on a preference file");
    check_field(r.body, "training_method", "{\"dpo_beta\":0.2,\"method\":\"dpo\"}",
                "keeps its method");
    check_field(r.body, "training_type", "{\"type\":\"Full\"}", "and its type");
    jv_free(r.body);
    jv_free(body);
    body = jv_string_fmt("{\"training_file\":\"%s\",\"n_epochs\":4}", jv_string_value(sft));
    r = call(t, "POST", "/v1/fine-tunes/estimate-price", jv_string_value(body), T0);
    double tokens = 4 * (double)((strlen(MOCK_CHAT) - 1 + 3) / 4);
    jv price = jv_object_get(jv_copy(r.body), jv_string("estimated_total_price"));
    CHECK(jv_number_value(price) == tokens * 0.5 / 1e6, "estimate-price: tokens times the rate");
    check_field(r.body, "allowed_to_proceed", "true", "and allowed");
    jv_free(price);
    jv_free(r.body);
    jv_free(body);
    r = call(t, "GET", "/v1/fine-tunes/ft-nope", NULL, T0);
    CHECK(r.status == 404, "an unknown job is 404");
    jv_free(r.body);
    r = call(t, "DELETE", "/v1/files", NULL, T0);
    CHECK(r.status == 404, "another method is 404");
    jv_free(r.body);
    jv_free(sft);
    jv_free(pref);
    evm_together_free(t);
}

int
main(void)
{
    test_files();
    test_jobs_by_time();
    test_jobs_by_poll();
    test_cancel_and_lost();
    test_requests();
    UNIT_DONE();
}
