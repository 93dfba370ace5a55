/* Unit tests of lib/finetune: how OpenAI's jobs and events read, and the
 * flow (upload, create, follow, cancel) driven through a provider made up
 * here, whose job moves one status a poll, so that nothing waits on a
 * clock or a server. */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "chats.h"
#include "ev.h"
#include "finetune.h"
#include "unit.h"

/* --- a provider made up for the tests ------------------------------------ */

static struct {
    const char *statuses[8]; /* the job's status at create, then at each poll */
    int at;
    int failures;      /* polls still to fail, as a network error would */
    int uploads;       /* files uploaded */
    int creates;       /* jobs created */
    bool lose;         /* the next creation's answer is lost, the job made all the same */
    bool made;         /* a job exists for find to find */
    char body[64];     /* what was created: the file and the epochs */
    const char *error; /* the message of a job that fails */
} fake;

static jv
fake_job_now(void)
{
    const char *st = fake.statuses[fake.at];
    jv job = jv_parse("{\"job_id\":\"job-1\",\"fine_tuned_model\":null,\"trained_tokens\":null,"
                      "\"training_file\":\"file-1\",\"model\":\"base\"}");
    job = jv_object_set(job, jv_string("status"), jv_string(st));
    if (strcmp(st, "failed") == 0 && fake.error != NULL)
        job =
            jv_object_set(job, jv_string("error"),
                          jv_object_set(jv_object(), jv_string("message"), jv_string(fake.error)));
    if (strcmp(st, "succeeded") == 0)
        job = jv_object_set(job, jv_string("fine_tuned_model"), jv_string("base:tuned"));
    return job;
}

static jv
fake_upload(ev_rest *c, const ev_finetune_opts *o, const char *name, const char *data, size_t len,
            size_t examples, ev_rest_result *res)
{
    (void)c;
    (void)o;
    (void)examples;
    (void)name;
    (void)data;
    (void)len;
    *res = (ev_rest_result){EV_REST_OK, 200};
    fake.uploads++;
    return jv_string("file-1");
}

static jv
fake_create(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    (void)c;
    *res = (ev_rest_result){EV_REST_OK, 200};
    snprintf(fake.body, sizeof(fake.body), "%s x %ld", jv_string_value(file), o->epochs);
    jv_free(file);
    fake.creates++;
    fake.made = true;
    if (fake.lose) {
        fake.lose = false;
        *res = (ev_rest_result){EV_REST_NETWORK, 200};
        return jv_invalid_with_msg(jv_string("cannot create the job: connection cut"));
    }
    return fake_job_now();
}

static jv
fake_find(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    (void)c;
    (void)o;
    (void)file;
    *res = (ev_rest_result){EV_REST_OK, 200};
    return fake.made ? fake_job_now() : jv_null();
}

static jv
fake_job(ev_rest *c, const char *id, ev_rest_result *res)
{
    (void)c;
    (void)id;
    if (fake.failures > 0) {
        fake.failures--;
        *res = (ev_rest_result){EV_REST_NETWORK, 0};
        return jv_invalid_with_msg(jv_string("cannot connect"));
    }
    *res = (ev_rest_result){EV_REST_OK, 200};
    if (fake.statuses[fake.at + 1] != NULL)
        fake.at++;
    return fake_job_now();
}

/* fake_events lists one event a status seen, and the same ones again. */
static jv
fake_events(ev_rest *c, const char *id, ev_rest_result *res)
{
    (void)c;
    (void)id;
    *res = (ev_rest_result){EV_REST_OK, 200};
    jv list = jv_array();
    for (int i = 0; i <= fake.at; i++) {
        jv e = jv_object_set(jv_object(), jv_string("id"), jv_string_fmt("e%d", i));
        e = jv_object_set(e, jv_string("level"), jv_string(i == 1 ? "warn" : "info"));
        list = jv_array_append(list,
                               jv_object_set(e, jv_string("message"), jv_string_fmt("step %d", i)));
    }
    return list;
}

static jv
fake_cancel(ev_rest *c, const char *id, ev_rest_result *res)
{
    (void)c;
    (void)id;
    *res = (ev_rest_result){EV_REST_OK, 200};
    fake.statuses[fake.at] = "cancelled";
    return fake_job_now();
}

static const ev_finetune_api fake_api = {
    .name = "fake",
    .key_env = "FAKE_KEY",
    .url_env = "FAKE_URL",
    .url = "http://127.0.0.1:1",
    .upload = fake_upload,
    .create = fake_create,
    .find = fake_find,
    .job = fake_job,
    .events = fake_events,
    .cancel = fake_cancel,
};

/* --- what the flow says -------------------------------------------------- */

static const ev_log log_ = {unit_hear_warning, unit_hear_progress, NULL, NULL};

/* --- the tests ----------------------------------------------------------- */

static void
test_openai(void)
{
    jv raw = jv_parse("{\"object\":\"fine_tuning.job\",\"id\":\"ftjob-1\",\"status\":\"running\","
                      "\"model\":\"m\",\"seed\":3,\"error\":null}");
    CHECK_JV(ev_finetune_openai_job(raw),
             "{\"fine_tuned_model\":null,\"job_id\":\"ftjob-1\",\"model\":\"m\","
             "\"status\":\"running\",\"trained_tokens\":null,\"training_file\":null}",
             "an OpenAI job reads as the line, missing fields null, no error when it has none");
    jv_free(raw);
    raw = jv_parse("{\"id\":\"ftjob-2\",\"status\":\"failed\",\"error\":{\"code\":\"x\","
                   "\"message\":\"boom\"}}");
    jv job = ev_finetune_openai_job(raw);
    CHECK_JV(jv_object_get(job, jv_string("error")), "{\"code\":\"x\",\"message\":\"boom\"}",
             "a job's error object is kept");
    jv_free(raw);

    raw = jv_parse("{\"data\":[{\"id\":\"e2\",\"message\":\"b\",\"object\":\"x\"},"
                   "{\"id\":\"e1\",\"level\":\"warn\",\"message\":\"a\"}]}");
    CHECK_JV(ev_finetune_openai_events(raw),
             "[{\"id\":\"e1\",\"level\":\"warn\",\"message\":\"a\"},"
             "{\"id\":\"e2\",\"level\":null,\"message\":\"b\"}]",
             "events come oldest first, each {id, level, message}");
    jv_free(raw);
    raw = jv_parse("{\"data\":5}");
    CHECK_JV(ev_finetune_openai_events(raw), "[]", "a list without data has no events");
    jv_free(raw);

    jv err;
    ev_rest *c = ev_finetune_open(&ev_finetune_openai, "ftp://x", NULL, NULL, "t", NULL, &err);
    CHECK(c == NULL, "an API that is not http or https is refused");
    jv_free(err);
    c = ev_finetune_open(&ev_finetune_openai, "http://example.invalid/v1", "sk-1", NULL, "t", NULL,
                         &err);
    CHECK(c == NULL, "a key never goes over plain http to another host");
    jv m = jv_invalid_get_msg(err);
    CHECK(strstr(jv_string_value(m), "sk-1") == NULL, "and the message does not show it");
    jv_free(m);
}

/* The state of one run of the flow. */
typedef struct run {
    char *out; /* the line written */
    size_t len;
    FILE *f;
    ev_rest *c;
    ev_finetune_opts o;
} run;

static void
start(run *r, const volatile sig_atomic_t *stop)
{
    unit_said[0] = '\0';
    fake.at = 0;
    fake.uploads = 0;
    r->f = open_memstream(&r->out, &r->len);
    jv err;
    r->c = ev_finetune_open(&fake_api, NULL, NULL, NULL, "t", stop, &err);
    r->o = (ev_finetune_opts){.api = &fake_api,
                              .model = "base",
                              .seed = -1,
                              .epochs = 2,
                              .poll_ms = 1,
                              .stop = stop,
                              .log = &log_,
                              .out = r->f};
}

static void
finish(run *r)
{
    fclose(r->f);
    free(r->out);
    ev_rest_free(r->c);
}

static void
test_submit(void)
{
    char path[64];
    unit_file(path, "train.jsonl", TEN_CHATS CHAT(10) CHAT(11));
    char *files[] = {path};
    ev_dataset_opts d = {files,           1,     NULL,           EV_EXAMPLE_MAX_TOKENS,
                         EV_CONVERT_CHAT, &log_, EV_EXAMPLE_SFT, 0};
    ev_quote_opts q = {NULL, 0, NULL, 0};
    run r;
    start(&r, NULL);
    fake.statuses[0] = "validating_files";
    fake.statuses[1] = "running";
    fake.statuses[2] = "running";
    fake.statuses[3] = "succeeded";
    fake.statuses[4] = NULL;
    int status = ev_finetune_submit(r.c, &r.o, &d, &q);
    fflush(r.f);
    CHECK(status == EV_EXIT_OK, "a job that succeeds exits 0");
    CHECK_JV(jv_parse(r.out),
             "{\"fine_tuned_model\":\"base:tuned\",\"job_id\":\"job-1\",\"model\":\"base\","
             "\"provider\":\"fake\",\"status\":\"succeeded\",\"trained_tokens\":null,\"training_"
             "file\":\"file-1\"}",
             "one line names the tuned model");
    CHECK(unit_occurrences(r.out, "\n") == 1, "and it is the only one");
    CHECK_STR(fake.body, "file-1 x 2", "the job is created on the uploaded file, with the epochs");
    CHECK(strncmp(unit_said, "- 12 examples, about", 20) == 0, "the plan is unit_said first");
    CHECK(strstr(unit_said, "- uploaded the training file as 'file-1'\n") != NULL,
          "the upload is unit_said");
    CHECK(strstr(unit_said, "- created job 'job-1' to tune 'base'; following it every 0.001 s\n") !=
              NULL,
          "so is the job");
    CHECK(unit_occurrences(unit_said, "- job-1: step 0\n") == 1,
          "each event is unit_said once, however often listed");
    CHECK(unit_occurrences(unit_said, "- job-1: warn: step 1\n") == 1,
          "with its level when it is not info");
    CHECK(unit_occurrences(unit_said, "- job-1: running (") == 1,
          "a status is unit_said when it changes, not again");
    CHECK(unit_occurrences(unit_said, "- job-1: succeeded (") == 1, "and the end");
    CHECK(unit_occurrences(unit_said, "! ") == 0, "nothing is wrong");
    finish(&r);

    /* Polls that fail may pass: they are tried again, up to five. */
    start(&r, NULL);
    fake.failures = 2;
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    CHECK(status == EV_EXIT_OK, "two failed polls in a row do not end the following");
    CHECK(unit_occurrences(unit_said, "! cannot connect; trying again\n") == 2,
          "each is unit_said");
    finish(&r);
    start(&r, NULL);
    fake.failures = 5;
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    CHECK(status == EV_EXIT_TROUBLE, "five do");
    CHECK(unit_occurrences(unit_said, "! cannot connect; trying again\n") == 4,
          "after four tries again");
    CHECK(strstr(unit_said, "! cannot connect\n! job 'job-1' was not cancelled and goes on") !=
              NULL,
          "with the last failure and how to pick the job up again");
    fake.failures = 0;
    finish(&r);

    fake.statuses[3] = "failed";
    fake.error = "boom";
    start(&r, NULL);
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    fflush(r.f);
    CHECK(status == EV_EXIT_NO, "a job that fails exits 1");
    CHECK(strstr(unit_said, "! job 'job-1' failed: boom\n") != NULL, "with the provider's message");
    CHECK(strstr(r.out, "\"error\":{\"message\":\"boom\"}") != NULL, "and its line has the error");
    finish(&r);

    volatile sig_atomic_t stop = 1;
    start(&r, &stop);
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    fflush(r.f);
    CHECK(status == EV_EXIT_INTR, "an interrupt stops the following, with 130");
    CHECK(strstr(unit_said, "! interrupted while following job 'job-1'\n") != NULL, "and says so");
    CHECK(strstr(r.out, "\"status\":\"validating_files\"") != NULL,
          "the line says where the job was");
    finish(&r);

    start(&r, NULL);
    status = ev_finetune_resume(r.c, &r.o, "job-1");
    CHECK(status == EV_EXIT_NO, "a job created before is followed to its end");
    CHECK(fake.uploads == 0, "without uploading anything");
    finish(&r);

    start(&r, NULL);
    status = ev_finetune_cancel(r.c, &r.o, "job-1");
    fflush(r.f);
    CHECK(status == EV_EXIT_OK, "a cancel that is answered exits 0");
    CHECK(strstr(unit_said, "- job 'job-1' is cancelled\n") != NULL, "and says the job's status");
    CHECK(strstr(r.out, "\"status\":\"cancelled\"") != NULL, "which its line holds");
    finish(&r);
    unit_file_remove(path);

    unit_file(path, "few.jsonl", "{\"messages\":[]}\n");
    start(&r, NULL);
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    fflush(r.f);
    CHECK(status == EV_EXIT_NO, "an invalid file exits 1");
    CHECK(fake.uploads == 0, "and nothing is uploaded");
    CHECK(strstr(unit_said, "! refusing to upload an invalid training file; nothing was sent\n") !=
              NULL,
          "which is unit_said");
    CHECK_STR(r.out, "", "no line is written");
    finish(&r);
    unit_file_remove(path);
}

/* OpenAI's refusal to create a job says why and where to go. */
static void
test_refused(void)
{
    ev_rest_result res = {EV_REST_HTTP, 403};
    jv m = jv_invalid_get_msg(ev_finetune_openai_refused(
        jv_invalid_with_msg(jv_string("cannot create the job: HTTP 403: permission denied")),
        &res));
    CHECK(strstr(jv_string_value(m), "HTTP 403: permission denied; OpenAI is closing") != NULL,
          "a 403 keeps OpenAI's message");
    CHECK(strstr(jv_string_value(m), "2026-05-07") && strstr(jv_string_value(m), "2026-07-02") &&
              strstr(jv_string_value(m), "2027-01-06"),
          "and says the dates of the closing");
    CHECK(strstr(jv_string_value(m), "--provider together or --provider fireworks") != NULL,
          "and where to tune instead");
    jv_free(m);
    res.status = 400;
    m = jv_invalid_get_msg(ev_finetune_openai_refused(
        jv_invalid_with_msg(jv_string("HTTP 400: Fine-tuning is not available")), &res));
    CHECK(strstr(jv_string_value(m), "2027-01-06") != NULL, "so does a 400 about fine-tuning");
    jv_free(m);
    m = jv_invalid_get_msg(ev_finetune_openai_refused(
        jv_invalid_with_msg(jv_string("HTTP 400: invalid model")), &res));
    CHECK_STR(jv_string_value(m), "HTTP 400: invalid model", "another 400 is left as it is");
    jv_free(m);
    res = (ev_rest_result){EV_REST_OK, 200};
    CHECK_JV(ev_finetune_openai_refused(jv_parse("{\"job_id\":\"j\"}"), &res), "{\"job_id\":\"j\"}",
             "a job made is returned as it is");
}

/* A lost job is found in a list by its file, model and suffix, the newest
 * of those that match. */
static void
test_find(void)
{
    jv list = jv_parse("{\"data\":["
                       "{\"id\":\"a\",\"training_file\":\"f\",\"model\":\"m\",\"suffix\":\"s\","
                       "\"created_at\":5,\"status\":\"running\"},"
                       "{\"id\":\"b\",\"training_file\":\"f\",\"model\":\"m\",\"suffix\":\"s\","
                       "\"created_at\":9,\"status\":\"running\"},"
                       "{\"id\":\"c\",\"training_file\":\"f\",\"model\":\"m\",\"suffix\":\"t\","
                       "\"created_at\":20,\"status\":\"running\"},"
                       "{\"id\":\"d\",\"training_file\":\"g\",\"model\":\"m\",\"suffix\":\"s\","
                       "\"created_at\":30,\"status\":\"running\"}]}");
    jv job = ev_finetune_openai_find(list, "f", "m", "s", ev_finetune_openai_job);
    CHECK_JV(jv_object_get(job, jv_string("job_id")), "\"b\"", "the newest that matches");
    job = ev_finetune_openai_find(list, "f", "m", "x", ev_finetune_openai_job);
    CHECK_JV(job, "null", "none with another suffix");
    job = ev_finetune_openai_find(list, "f", "n", "s", ev_finetune_openai_job);
    CHECK_JV(job, "null", "none for another model");
    jv_free(list);
    list = jv_parse("{\"data\":[{\"id\":\"o\",\"training_file\":\"f\",\"model\":\"m\"}]}");
    job = ev_finetune_openai_find(list, "f", "m", "s", ev_finetune_openai_job);
    CHECK_JV(jv_object_get(job, jv_string("job_id")), "\"o\"",
             "a job without a suffix field (OpenAI's) matches by file and model");
    jv_free(list);
}

/* remove_tree removes the directory 'dir', its files and those of its
 * directories (a cache of a test). */
static void
remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            remove_tree(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

/* With a cache, a submission whose creation's answer was lost finds its
 * job rather than creating another, and a second run follows it. */
static void
test_lost(void)
{
    char path[64], dir[80];
    unit_file(path, "lost.jsonl", TEN_CHATS CHAT(10));
    snprintf(dir, sizeof(dir), "%s.cache", path);
    char *files[] = {path};
    ev_dataset_opts d = {files,           1,     NULL,           EV_EXAMPLE_MAX_TOKENS,
                         EV_CONVERT_CHAT, &log_, EV_EXAMPLE_SFT, 0};
    ev_quote_opts q = {NULL, 0, NULL, 0};
    jv err;
    ev_cache *cache = ev_cache_open(dir, &err);
    CHECK(cache != NULL, "the cache opens");
    run r;
    start(&r, NULL);
    r.o.cache = cache;
    fake.statuses[0] = "running";
    fake.statuses[1] = "succeeded";
    fake.statuses[2] = NULL;
    fake.creates = 0;
    fake.made = false;
    fake.lose = true;
    int status = ev_finetune_submit(r.c, &r.o, &d, &q);
    CHECK(status == EV_EXIT_OK, "a job whose answer was lost is found and followed to its end");
    CHECK(fake.creates == 1, "and created once");
    CHECK(strstr(unit_said, "the answer was lost, but the provider has the job 'job-1'") != NULL,
          "which is said");
    finish(&r);
    start(&r, NULL);
    r.o.cache = cache;
    fake.at = 0;
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    CHECK(status == EV_EXIT_OK, "a second run of the same file succeeds");
    CHECK(fake.creates == 1 && fake.uploads == 0, "with nothing uploaded or created again");
    CHECK(strstr(unit_said, "an earlier run submitted this file as job 'job-1'") != NULL,
          "following the earlier run's job");
    finish(&r);
    ev_cache_close(cache);
    remove_tree(dir);
    unit_file_remove(path);
}

int
main(void)
{
    test_refused();
    test_find();
    test_lost();
    test_openai();
    test_submit();
    UNIT_DONE();
}
