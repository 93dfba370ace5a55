/* Unit tests of lib/finetune: how OpenAI's jobs and events read, and the
 * flow (upload, create, follow, cancel) driven through a provider made up
 * here, whose job moves one status a poll, so that nothing waits on a
 * clock or a server. */
#include <stdlib.h>

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
fake_upload(ev_rest *c, const char *name, const char *data, size_t len, ev_rest_result *res)
{
    (void)c;
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
    return fake_job_now();
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

static const ev_finetune_api fake_api = {"fake",      "FAKE_KEY",  "FAKE_URL", "http://127.0.0.1:1",
                                         fake_upload, fake_create, fake_job,   fake_events,
                                         fake_cancel};

/* --- what the flow says -------------------------------------------------- */

static void
hear_warning(void *ctx, const char *line)
{
    (void)ctx;
    unit_hear("! ", line);
}

static void
hear_progress(void *ctx, const char *line)
{
    (void)ctx;
    unit_hear("- ", line);
}

static const ev_log log_ = {hear_warning, hear_progress, NULL, NULL};

/* count returns how many times 'needle' is in 'hay'. */
static int
count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

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
    r->o = (ev_finetune_opts){&fake_api, "base", NULL, -1, 2, 1, 0, stop, &log_, r->f};
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
    ev_dataset_opts d = {files,           1,     NULL,          EV_EXAMPLE_MAX_TOKENS,
                         EV_CONVERT_CHAT, &log_, EV_EXAMPLE_SFT};
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
             "\"status\":\"succeeded\",\"trained_tokens\":null,\"training_file\":\"file-1\"}",
             "one line names the tuned model");
    CHECK(count(r.out, "\n") == 1, "and it is the only one");
    CHECK_STR(fake.body, "file-1 x 2", "the job is created on the uploaded file, with the epochs");
    CHECK(strncmp(unit_said, "- 12 examples, about", 20) == 0, "the plan is unit_said first");
    CHECK(strstr(unit_said, "- uploaded the training file as 'file-1'\n") != NULL,
          "the upload is unit_said");
    CHECK(strstr(unit_said, "- created job 'job-1' to tune 'base'; following it every 0.001 s\n") !=
              NULL,
          "so is the job");
    CHECK(count(unit_said, "- job-1: step 0\n") == 1,
          "each event is unit_said once, however often listed");
    CHECK(count(unit_said, "- job-1: warn: step 1\n") == 1, "with its level when it is not info");
    CHECK(count(unit_said, "- job-1: running (") == 1,
          "a status is unit_said when it changes, not again");
    CHECK(count(unit_said, "- job-1: succeeded (") == 1, "and the end");
    CHECK(count(unit_said, "! ") == 0, "nothing is wrong");
    finish(&r);

    /* Polls that fail may pass: they are tried again, up to five. */
    start(&r, NULL);
    fake.failures = 2;
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    CHECK(status == EV_EXIT_OK, "two failed polls in a row do not end the following");
    CHECK(count(unit_said, "! cannot connect; trying again\n") == 2, "each is unit_said");
    finish(&r);
    start(&r, NULL);
    fake.failures = 5;
    status = ev_finetune_submit(r.c, &r.o, &d, &q);
    CHECK(status == EV_EXIT_TROUBLE, "five do");
    CHECK(count(unit_said, "! cannot connect; trying again\n") == 4, "after four tries again");
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

int
main(void)
{
    test_openai();
    test_submit();
    UNIT_DONE();
}
