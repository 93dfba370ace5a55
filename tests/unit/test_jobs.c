/* Unit tests of mock/jobs, ev-mock's simulation of OpenAI's files and
 * fine-tuning jobs. Every call is given its time, so the steps of a job by
 * time are checked at exact moments, never by waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock/jobs.h"
#include "mockunit.h"

/* T0 is when the tests' files and jobs are made, in ms since the epoch. */
#define T0 1000000

/* examples returns a training file of 'n' examples, each its own case. */
static jv
examples(int n)
{
    jv text = jv_string("");
    for (int i = 0; i < n; i++)
        text = jv_string_append_str(text, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                                          "{\"role\":\"assistant\",\"content\":\"y\"}]}\n");
    return text;
}

/* start uploads 'file' to 'f' and creates a job of 3 epochs on it at T0;
 * returns the job's id. */
static jv
start(evm_jobs *f, jv file)
{
    const char *data = jv_string_value(file);
    evm_wire_reply r = evm_jobs_upload(f, "t.jsonl", "fine-tune", data, strlen(data), T0);
    jv id = text_of(r.body, "id");
    jv body = jv_string_fmt("{\"model\":\"small\",\"training_file\":\"%s\","
                            "\"hyperparameters\":{\"n_epochs\":3}}",
                            jv_string_value(id));
    r = evm_jobs_create(f, jv_string_value(body), strlen(jv_string_value(body)), T0);
    CHECK(r.status == 200, "a job is created");
    jv_free(id);
    jv_free(body);
    jv_free(file);
    return text_of(r.body, "id");
}

/* status returns the status of job 'id' at 'now'. */
static jv
status(evm_jobs *f, jv id, int64_t now)
{
    return text_of(evm_jobs_job(f, jv_string_value(id), now).body, "status");
}

static void
check_status(evm_jobs *f, jv id, int64_t now, const char *want, const char *name)
{
    jv st = status(f, id, now);
    CHECK_STR(jv_string_value(st), want, name);
    jv_free(st);
}

/* A job on 12 examples: 4 with their own tag "t", 8 asking the case "1+1?"
 * of tag "math". */
static void
test_learning(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"math\"]}",
        NULL,
    };
    evm_model *m = model_of(cases, false);
    evm_model_freeze(m);
    evm_jobs_config c = {.seed = 0,
                         .job_ms = 1000,
                         .model = m,
                         .learner = "small",
                         .params = evm_learner_defaults(),
                         .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv text = jv_string("");
    for (int i = 0; i < 12; i++)
        text = jv_string_append_str(
            text, i < 4 ? "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                          "{\"role\":\"assistant\",\"content\":\"y\"}],\"tags\":[\"t\"]}\n"
                        : "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"
                          "{\"role\":\"assistant\",\"content\":\"2\"}]}\n");
    const char *data = jv_string_value(text);
    evm_wire_reply r = evm_jobs_upload(f, "t.jsonl", "fine-tune", data, strlen(data), 1000000);
    CHECK(r.status == 200, "an upload is stored");
    jv id = jv_object_get(r.body, jv_string("id"));
    jv body = jv_string_fmt("{\"model\":\"small\",\"training_file\":\"%s\",\"suffix\":\"s\"}",
                            jv_string_value(id));
    r = evm_jobs_create(f, jv_string_value(body), strlen(jv_string_value(body)), 1000000);
    jv job = jv_object_get(jv_copy(r.body), jv_string("id"));
    jv st = jv_object_get(r.body, jv_string("status"));
    CHECK_STR(jv_string_value(st), "validating_files", "a new job validates its file");
    jv_free(st);
    evm_wire_reply j = evm_jobs_job(f, jv_string_value(job), 1000000 + 200);
    st = jv_object_get(j.body, jv_string("status"));
    CHECK_STR(jv_string_value(st), "queued", "a fifth of --job-ms later it is queued");
    jv_free(st);
    j = evm_jobs_job(f, jv_string_value(job), 1000000 + 400);
    st = jv_object_get(j.body, jv_string("status"));
    CHECK_STR(jv_string_value(st), "running", "two fifths later it runs");
    jv_free(st);
    j = evm_jobs_job(f, jv_string_value(job), 1000000 + 1000);
    jv name = jv_object_get(j.body, jv_string("fine_tuned_model"));
    jv want = jv_string_fmt("ft:small:ev-mock:s:%s", jv_string_value(job));
    CHECK_STR(jv_string_value(name), jv_string_value(want), "after --job-ms it has a model");

    evm_model_as as;
    CHECK(evm_jobs_resolve(f, jv_string_value(name), 1000000 + 500, &as) == EVM_JOBS_UNKNOWN,
          "before the job ends its model is unknown");
    CHECK(evm_jobs_resolve(f, jv_string_value(name), 1000000 + 1000, &as) == EVM_JOBS_TUNED,
          "then it is the learner's");
    CHECK_STR(as.draw, "small", "a tuned model draws as its base");
    CHECK_NEAR(as.accuracy(as.ctx, "math"),
               evm_learner_accuracy(&c.params, jv_string_value(job), "math", 8), 1e-12,
               "8 examples matched the case of tag math");
    CHECK_NEAR(as.accuracy(as.ctx, "t"),
               evm_learner_accuracy(&c.params, jv_string_value(job), "t", 4), 1e-12,
               "4 examples carried their own tag");
    CHECK(evm_jobs_resolve(f, "small", 0, &as) == EVM_JOBS_BASE &&
              as.accuracy(as.ctx, "math") == 0.25,
          "the base model answers at the floor");
    CHECK(evm_jobs_resolve(f, "gpt-4o", 0, &as) == EVM_JOBS_PLAIN, "other models are plain");
    jv_free(name);
    jv_free(want);
    jv_free(job);
    jv_free(body);
    jv_free(id);
    jv_free(text);
    evm_jobs_free(f);
    evm_model_free(m);
}

/* event returns the text 'key' of event 'i' (from the newest; negative
 * from the oldest) of the events of job 'id' at 'now'. */
static jv
event(evm_jobs *f, jv id, int64_t now, int i, const char *key)
{
    jv data = jv_object_get(evm_jobs_events(f, jv_string_value(id), 100, NULL, now).body,
                            jv_string("data"));
    int n = jv_array_length(jv_copy(data));
    return text_of(jv_array_get(data, i < 0 ? n + i : i), key);
}

static void
check_event(evm_jobs *f, jv id, int64_t now, int i, const char *want, const char *name)
{
    jv got = event(f, id, now, i, "message");
    CHECK_STR(jv_string_value(got), want, name);
    jv_free(got);
}

/* count returns how many events job 'id' has at 'now'. */
static int
count(evm_jobs *f, jv id, int64_t now)
{
    evm_wire_reply r = evm_jobs_events(f, jv_string_value(id), 100, NULL, now);
    return jv_array_length(jv_object_get(r.body, jv_string("data")));
}

/* By time, a job of --job-ms 1000 validates for 200 ms, is queued for
 * 200 ms and runs for the rest, an epoch a third of it. */
static void
test_by_time(void)
{
    evm_jobs_config c = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv id = start(f, examples(10));
    check_status(f, id, T0, "validating_files", "a new job validates its file");
    check_status(f, id, T0 + 199, "validating_files", "for a fifth of --job-ms");
    check_status(f, id, T0 + 200, "queued", "then it is queued");
    check_status(f, id, T0 + 399, "queued", "for another fifth");
    check_status(f, id, T0 + 400, "running", "then it runs");
    check_status(f, id, T0 + 999, "running", "until --job-ms");
    check_status(f, id, T0 + 1000, "succeeded", "and then it has succeeded");
    CHECK(count(f, id, T0) == 1, "one event while validating");
    check_event(f, id, T0 + 400, 0, "Fine-tuning job started", "the newest event comes first");
    CHECK(count(f, id, T0 + 599) == 3, "no epoch has ended in the first third of the run");
    check_event(f, id, T0 + 600, 0, "Epoch 1/3: training loss=0.9800",
                "each epoch ends with its metrics");
    CHECK(count(f, id, T0 + 999) == 5, "the last epoch's metrics wait for the end");
    CHECK(count(f, id, T0 + 1000) == 8, "at the end: 3 steps, 3 epochs, the model, the end");
    check_event(f, id, T0 + 1000, 0, "The job has successfully completed", "the last event");
    jv model = text_of(evm_jobs_job(f, jv_string_value(id), T0 + 1000).body, "fine_tuned_model");
    jv want = jv_string_fmt("New fine-tuned model created: %s", jv_string_value(model));
    check_event(f, id, T0 + 1000, 1, jv_string_value(want), "names the model");
    jv first = event(f, id, T0, 0, "id"), later = event(f, id, T0 + 1000, -1, "id");
    CHECK_STR(jv_string_value(later), jv_string_value(first), "an event keeps its id");
    jv_free(first);
    jv_free(later);
    jv_free(want);
    jv_free(model);
    jv_free(id);
    evm_jobs_free(f);
}

/* events pages: 'limit' events from the newest, or after the event
 * 'after', with has_more. */
static void
test_pages(void)
{
    evm_jobs_config c = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv id = start(f, examples(10));
    evm_wire_reply r = evm_jobs_events(f, jv_string_value(id), 2, NULL, T0 + 1000);
    check_field(r.body, "has_more", "true", "a page short of the events has more");
    jv data = jv_object_get(r.body, jv_string("data"));
    CHECK(jv_array_length(jv_copy(data)) == 2, "a page holds 'limit' events");
    jv second = text_of(jv_array_get(data, 1), "id");
    r = evm_jobs_events(f, jv_string_value(id), 100, jv_string_value(second), T0 + 1000);
    check_field(r.body, "has_more", "false", "the rest has no more");
    CHECK(jv_array_length(jv_object_get(r.body, jv_string("data"))) == 6,
          "after the second event come the six older ones");
    r = evm_jobs_events(f, "ftjob-none", 100, NULL, T0);
    CHECK(r.status == 404, "an unknown job has no events");
    jv_free(r.body);
    jv_free(second);
    jv_free(id);
    evm_jobs_free(f);
}

/* By poll, each GET of a job moves it one step, whatever the time. */
static void
test_by_poll(void)
{
    evm_jobs_config c = {
        .job_ms = 3600000, .by_poll = true, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv id = start(f, examples(10));
    check_status(f, id, T0, "queued", "the first GET moves a new job to queued");
    check_status(f, id, T0, "running", "the second to running");
    check_status(f, id, T0, "succeeded", "the third ends it");
    check_status(f, id, T0, "succeeded", "an ended job stays so");
    CHECK(count(f, id, T0) == 8, "its events are all there");
    jv_free(id);
    evm_jobs_free(f);
}

/* A cancel ends a job that has not ended; an ended job cannot be
 * cancelled. */
static void
test_cancel(void)
{
    evm_jobs_config c = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv id = start(f, examples(10));
    evm_wire_reply r = evm_jobs_cancel(f, jv_string_value(id), T0 + 300);
    check_field(r.body, "status", "\"cancelled\"", "a queued job is cancelled");
    jv_free(r.body);
    check_status(f, id, T0 + 1000, "cancelled", "and stays so past its end");
    check_event(f, id, T0 + 1000, 0, "Fine-tuning job cancelled", "its last event says so");
    CHECK(count(f, id, T0 + 1000) == 3, "no step after the cancel shows");
    r = evm_jobs_cancel(f, jv_string_value(id), T0 + 1000);
    CHECK(r.status == 400, "a cancelled job cannot be cancelled again");
    check_jv(jv_object_get(jv_object_get(r.body, jv_string("error")), jv_string("code")),
             "\"job_already_completed\"", "OpenAI's code");
    jv_free(id);
    evm_jobs_free(f);
}

/* The job-fail fault (fault.h) fails the jobs it picks. */
static void
test_job_fail(void)
{
    evm_fault_plan plan = evm_fault_defaults();
    plan.job_fail = 1;
    evm_jobs_config c = {.job_ms = 1000,
                         .faults = &plan,
                         .learner = "small",
                         .params = evm_learner_defaults(),
                         .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv id = start(f, examples(10));
    evm_wire_reply r = evm_jobs_job(f, jv_string_value(id), T0 + 1000);
    check_field(r.body, "status", "\"failed\"", "a picked job fails");
    check_field(r.body, "fine_tuned_model", "null", "and makes no model");
    check_jv(jv_object_get(jv_object_get(r.body, jv_string("error")), jv_string("code")),
             "\"server_error\"", "its error is a server error");
    jv name = jv_string_fmt("ft:small:ev-mock::%s", jv_string_value(id));
    evm_model_as as;
    CHECK(evm_jobs_resolve(f, jv_string_value(name), T0 + 1000, &as) == EVM_JOBS_UNKNOWN,
          "the model a failed job would have made is unknown");
    jv_free(name);
    jv_free(id);
    evm_jobs_free(f);
    /* the lost-id fault makes the job and loses the answer */
    plan = evm_fault_defaults();
    plan.lost_id = 1;
    f = evm_jobs_new(&c);
    jv text = examples(10);
    r = evm_jobs_upload(f, "t.jsonl", "fine-tune", jv_string_value(text),
                        strlen(jv_string_value(text)), T0);
    jv fid = text_of(r.body, "id");
    jv body = jv_string_fmt("{\"model\":\"small\",\"training_file\":\"%s\"}", jv_string_value(fid));
    r = evm_jobs_create(f, jv_string_value(body), strlen(jv_string_value(body)), T0);
    CHECK(r.status == 200 && r.lost, "lost-id: the job is made and its answer lost");
    jv_free(r.body);
    r = evm_jobs_list(f, T0);
    CHECK(jv_array_length(jv_object_get(r.body, jv_string("data"))) == 1, "and the list has it");
    jv_free(body);
    jv_free(fid);
    jv_free(text);
    evm_jobs_free(f);
}

/* Files: what an upload needs, and what a GET of one gives. */
static void
test_files(void)
{
    evm_jobs_config c = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    evm_wire_reply r = evm_jobs_upload(f, "a.jsonl", NULL, "x", 1, T0);
    CHECK(r.status == 400, "an upload needs a purpose");
    check_jv(jv_object_get(jv_object_get(r.body, jv_string("error")), jv_string("param")),
             "\"purpose\"", "the 400 names it");
    r = evm_jobs_upload(f, "a.jsonl", "nope", "x", 1, T0);
    CHECK(r.status == 400, "an unknown purpose is refused");
    jv_free(r.body);
    r = evm_jobs_upload(f, "a.jsonl", "batch", "abc", 3, T0);
    jv id = text_of(r.body, "id");
    r = evm_jobs_file(f, jv_string_value(id));
    check_field(r.body, "bytes", "3", "a stored file has its size");
    jv_free(r.body);
    char *purpose, *data;
    size_t len;
    CHECK(evm_jobs_content(f, jv_string_value(id), &purpose, &data, &len) && len == 3 &&
              strcmp(data, "abc") == 0 && strcmp(purpose, "batch") == 0,
          "and its bytes and purpose");
    free(purpose);
    free(data);
    r = evm_jobs_file(f, "file-none");
    CHECK(r.status == 404, "an unknown file is a 404");
    jv_free(r.body);
    jv_free(id);
    evm_jobs_free(f);
}

/* A journal gives a new store the files and jobs of an earlier one. */
static void
test_journal(void)
{
    char path[] = "/tmp/ev-test-jobs-XXXXXX";
    close(mkstemp(path));
    unlink(path);
    evm_jobs_config c = {.job_ms = 1000, .params = evm_learner_defaults(), .max_tokens = 16385};
    evm_jobs *f = evm_jobs_new(&c);
    jv err;
    CHECK(evm_jobs_journal(f, path, &err) == 0, "a missing journal starts empty");
    jv id = start(f, examples(10));
    evm_jobs_free(f);
    f = evm_jobs_new(&c);
    CHECK(evm_jobs_journal(f, path, &err) == 0, "a journal is read back");
    check_status(f, id, T0 + 1000, "succeeded", "its job runs on in the new store");
    evm_jobs_free(f);
    FILE *j = fopen(path, "a");
    fputs("{\"nothing\":1}\n", j);
    fclose(j);
    f = evm_jobs_new(&c);
    CHECK(evm_jobs_journal(f, path, &err) == -1, "a line of something else is refused");
    jv msg = jv_invalid_get_msg(err);
    jv want = jv_string_fmt("%s:3: not a record of an ev-mock journal", path);
    CHECK_STR(jv_string_value(msg), jv_string_value(want), "with its position");
    jv_free(msg);
    jv_free(want);
    evm_jobs_free(f);
    jv_free(id);
    unlink(path);
}

int
main(void)
{
    test_learning();
    test_by_time();
    test_pages();
    test_by_poll();
    test_cancel();
    test_job_fail();
    test_files();
    test_journal();
    UNIT_DONE();
}
