/* Unit tests of mock/batches, ev-mock's simulation of OpenAI's Batch API
 * and Anthropic's Message Batches API. Every call is given its time, so the
 * steps of a batch by time are checked at exact moments, never by waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "mock/answer.h"
#include "mock/batches.h"
#include "mockunit.h"

/* T0 is when the tests' batches are made, in ms since the epoch. */
#define T0 1000000

/* A simulation to test: the model, the file store, the faults, the batches. */
typedef struct sim {
    evm_model *model;
    evm_jobs *jobs;
    evm_fault_plan faults;
    evm_batches *batches;
} sim;

static void
sim_start(sim *s, bool by_poll, double fail, double expire)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\"}",
        NULL,
    };
    s->model = model_of(cases, false);
    evm_model_freeze(s->model);
    evm_jobs_config jc = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    s->jobs = evm_jobs_new(&jc);
    s->faults = evm_fault_defaults();
    s->faults.batch_fail = fail;
    s->faults.batch_expire = expire;
    evm_batches_config bc = {.batch_ms = 1000,
                             .by_poll = by_poll,
                             .faults = &s->faults,
                             .base = "http://127.0.0.1:1",
                             .model = s->model,
                             .jobs = s->jobs};
    s->batches = evm_batches_new(&bc);
}

static void
sim_free(sim *s)
{
    evm_batches_free(s->batches);
    evm_jobs_free(s->jobs);
    evm_model_free(s->model);
}

/* The body of every line of the tests' input files. */
static const char line_body[] =
    "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"}]}";

/* submit uploads an input file of the 'n' lines 'ids' for the chat
 * endpoint, creates a batch of it at T0 and returns the batch's id. */
static jv
submit(sim *s, const char *const *ids, int n)
{
    jv text = jv_string("");
    for (int i = 0; i < n; i++)
        text = jv_string_concat(text,
                                jv_string_fmt("{\"custom_id\":\"%s\",\"method\":\"POST\",\"url\":"
                                              "\"/v1/chat/completions\",\"body\":%s}\n",
                                              ids[i], line_body));
    const char *data = jv_string_value(text);
    jv file =
        text_of(evm_jobs_upload(s->jobs, "in.jsonl", "batch", data, strlen(data), T0).body, "id");
    jv req = jv_string_fmt("{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
                           "\"completion_window\":\"24h\"}",
                           jv_string_value(file));
    evm_wire_reply r =
        evm_batches_create(s->batches, jv_string_value(req), strlen(jv_string_value(req)), T0);
    CHECK(r.status == 200, "a batch is created");
    jv_free(text);
    jv_free(file);
    jv_free(req);
    return text_of(r.body, "id");
}

/* look returns the batch 'id' at 'now'. */
static jv
look(sim *s, jv id, int64_t now)
{
    return evm_batches_get(s->batches, jv_string_value(id), now).body;
}

static void
check_look(sim *s, jv id, int64_t now, const char *key, const char *want, const char *name)
{
    jv b = look(s, id, now);
    jv v = key[0] == '.'
               ? jv_object_get(jv_object_get(b, jv_string("request_counts")), jv_string(key + 1))
               : jv_object_get(b, jv_string(key));
    check_jv(v, want, name);
}

/* content returns the bytes of the file named by 'key' of batch 'id' at
 * 'now', or "" when it has none. */
static jv
content(sim *s, jv id, int64_t now, const char *key)
{
    jv file = text_of(look(s, id, now), key);
    char *data = NULL;
    size_t len;
    jv out = evm_jobs_content(s->jobs, jv_string_value(file), NULL, &data, &len)
                 ? jv_string_sized(data, (int)len)
                 : jv_string("");
    free(data);
    jv_free(file);
    return out;
}

static const char *const four[] = {"a", "b", "c", "d"};

/* By time, a batch of --batch-ms 1000 validates for 200 ms, does its lines
 * at an even rate for 600 ms and finalizes for 200 ms. */
static void
test_by_time(void)
{
    sim s;
    sim_start(&s, false, 0, 0);
    jv id = submit(&s, four, 4);
    check_look(&s, id, T0, "status", "\"validating\"", "a new batch validates");
    check_look(&s, id, T0 + 199, "status", "\"validating\"", "for a fifth of --batch-ms");
    check_look(&s, id, T0 + 200, "status", "\"in_progress\"", "then it is in progress");
    check_look(&s, id, T0 + 200, ".completed", "0", "with no line done yet");
    check_look(&s, id, T0 + 500, ".completed", "2", "half its time in, half its lines");
    check_look(&s, id, T0 + 800, "status", "\"finalizing\"", "then it finalizes");
    check_look(&s, id, T0 + 999, "output_file_id", "null", "with no file yet");
    check_look(&s, id, T0 + 1000, "status", "\"completed\"", "it ends after --batch-ms");
    check_look(&s, id, T0 + 1000, ".completed", "4", "with every line done");
    check_look(&s, id, T0 + 1000, "error_file_id", "null", "no line failed");

    /* A line's answer is the one the synchronous endpoint gives the first
     * attempt of its body. */
    jv out = content(&s, id, T0 + 1000, "output_file_id");
    jv first = jv_parse_sized(jv_string_value(out),
                              (int)(strchr(jv_string_value(out), '\n') - jv_string_value(out)));
    check_field(first, "custom_id", "\"a\"", "the output is in input order");
    jv resp = jv_object_get(first, jv_string("response"));
    check_field(resp, "status_code", "200", "a line that ran answers 200");
    char aid[40];
    unsigned st;
    evm_answer_id(aid, EVM_WIRE_OPENAI, ev_hash_64(line_body, strlen(line_body), 0), 1);
    evm_answer_names names = evm_answer_openai(s.jobs);
    jv sync = evm_answer_reply(&names, s.model, EVM_WIRE_OPENAI, line_body, strlen(line_body), aid,
                               T0, "req_x", &st, NULL);
    jv body = jv_object_get(resp, jv_string("body"));
    sync = jv_object_delete(sync, jv_string("created"));
    body = jv_object_delete(body, jv_string("created"));
    CHECK(jv_equal(body, sync), "the body is the synchronous endpoint's");
    jv_free(out);
    jv_free(id);
    sim_free(&s);
}

/* By poll, each GET moves a batch one step, and in progress takes two. */
static void
test_by_poll(void)
{
    sim s;
    sim_start(&s, true, 0, 0);
    jv id = submit(&s, four, 4);
    check_look(&s, id, T0, ".completed", "0", "the first GET starts the lines");
    check_look(&s, id, T0, ".completed", "2", "the second does half");
    check_look(&s, id, T0, "status", "\"finalizing\"", "the third finalizes");
    check_look(&s, id, T0, "status", "\"completed\"", "the fourth ends it");
    check_look(&s, id, T0, "status", "\"completed\"", "and it stays ended");
    jv_free(id);

    id = submit(&s, four, 4);
    evm_wire_reply r = evm_batches_cancel(s.batches, jv_string_value(id), T0);
    check_field(r.body, "status", "\"cancelling\"", "a cancel is asked");
    jv_free(r.body);
    check_look(&s, id, T0, "status", "\"cancelled\"", "and takes one GET");
    check_look(&s, id, T0, "output_file_id", "null", "no line was done, so there is no file");
    r = evm_batches_cancel(s.batches, jv_string_value(id), T0);
    CHECK(r.status == 400, "an ended batch cannot be cancelled");
    jv_free(r.body);
    jv_free(id);
    sim_free(&s);
}

/* The batch-fail and batch-expire faults (fault.h) end lines in the error
 * file. */
static void
test_faults(void)
{
    sim s;
    sim_start(&s, false, 1, 0);
    jv id = submit(&s, four, 4);
    check_look(&s, id, T0 + 1000, "output_file_id", "null", "batch-fail 1: no line answers");
    jv err = content(&s, id, T0 + 1000, "error_file_id");
    jv first = jv_parse_sized(jv_string_value(err),
                              (int)(strchr(jv_string_value(err), '\n') - jv_string_value(err)));
    check_jv(jv_object_get(jv_object_get(first, jv_string("response")), jv_string("status_code")),
             "500", "each line is a 500 in the error file");
    jv_free(err);
    jv_free(id);
    sim_free(&s);

    sim_start(&s, false, 0, 1);
    id = submit(&s, four, 4);
    check_look(&s, id, T0 + 1000, "status", "\"expired\"", "batch-expire 1: the batch expires");
    err = content(&s, id, T0 + 1000, "error_file_id");
    first = jv_parse_sized(jv_string_value(err),
                           (int)(strchr(jv_string_value(err), '\n') - jv_string_value(err)));
    check_jv(jv_object_get(jv_object_get(first, jv_string("error")), jv_string("code")),
             "\"batch_expired\"", "each line is listed as batch_expired");
    jv_free(err);
    jv_free(id);
    sim_free(&s);
}

/* An input file with a bad line makes a batch that fails, naming it. */
static void
test_invalid(void)
{
    sim s;
    sim_start(&s, false, 0, 0);
    static const char *const twice[] = {"a", "a"};
    jv id = submit(&s, twice, 2);
    check_look(&s, id, T0 + 1000, "status", "\"failed\"", "a duplicate custom_id fails the batch");
    jv errors = jv_object_get(look(&s, id, T0 + 1000), jv_string("errors"));
    jv e = jv_array_get(jv_object_get(errors, jv_string("data")), 0);
    check_field(e, "code", "\"duplicate_custom_id\"", "errors.data says why");
    check_field(e, "line", "2", "and where");
    jv_free(e);
    jv_free(id);
    const char *none = "{\"input_file_id\":\"file-none\",\"endpoint\":\"/v1/chat/completions\","
                       "\"completion_window\":\"24h\"}";
    evm_wire_reply r = evm_batches_create(s.batches, none, strlen(none), T0);
    CHECK(r.status == 404, "an unknown input file is a 404");
    jv_free(r.body);
    sim_free(&s);
}

/* Anthropic's batches: the requests in the body, results once it ends. */
static void
test_anthropic(void)
{
    sim s;
    sim_start(&s, false, 0, 0);
    const char *req = "{\"requests\":[{\"custom_id\":\"x\",\"params\":{\"model\":\"small\","
                      "\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"}]}},"
                      "{\"custom_id\":\"y\",\"params\":{\"model\":\"small\",\"messages\":[]}}]}";
    evm_wire_reply r = evm_batches_msg_create(s.batches, req, strlen(req), T0, "req_1");
    CHECK(r.status == 200, "a message batch is created");
    check_field(r.body, "processing_status", "\"in_progress\"", "in progress at once");
    jv id = text_of(r.body, "id");
    char *text;
    size_t len;
    r = evm_batches_msg_results(s.batches, jv_string_value(id), T0 + 999, "req_2", &text, &len);
    CHECK(r.status == 400, "no results before it ends");
    jv_free(r.body);
    r = evm_batches_msg_get(s.batches, jv_string_value(id), T0 + 1000, "req_3");
    check_field(r.body, "processing_status", "\"ended\"", "it ends after --batch-ms");
    jv_free(r.body);
    r = evm_batches_msg_results(s.batches, jv_string_value(id), T0 + 1000, "req_4", &text, &len);
    CHECK(r.status == 200, "then its results are there");
    jv_free(r.body);
    char *nl = strchr(text, '\n');
    jv first = jv_parse_sized(text, (int)(nl - text)), second = jv_parse(nl + 1);
    check_jv(jv_object_get(jv_object_get(first, jv_string("result")), jv_string("type")),
             "\"succeeded\"", "a good request succeeds");
    check_jv(jv_object_get(jv_object_get(second, jv_string("result")), jv_string("type")),
             "\"errored\"", "a request the endpoint refuses is errored");
    free(text);
    jv stats = evm_batches_stats(s.batches, T0 + 1000);
    check_jv(
        jv_object_get(jv_object_get(stats, jv_string("anthropic")), jv_string("requests_answered")),
        "2", "both lines count as answered");
    evm_batches_reset_stats(s.batches);
    stats = evm_batches_stats(s.batches, T0 + 1000);
    check_jv(
        jv_object_get(jv_object_get(stats, jv_string("anthropic")), jv_string("batches_created")),
        "0", "a reset starts the counts over");
    jv_free(id);
    sim_free(&s);
}

int
main(void)
{
    test_by_time();
    test_by_poll();
    test_faults();
    test_invalid();
    test_anthropic();
    UNIT_DONE();
}
