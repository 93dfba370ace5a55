#include "finetune.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "clock.h"
#include "ev.h"
#include "json.h"
#include "jsonl.h"
#include "secret.h"

/* Polls in a row that may fail on their own before the follower gives up. */
#define MAX_POLL_FAILURES 5
/* How long one request may take, at most. */
#define REQUEST_MS 60000L
#define UPLOAD_MS 600000L
/* The events fetched at each poll. */
#define EVENTS 100

/* --- OpenAI ------------------------------------------------------------- */

/* field_or_null returns member 'key' of 'obj', or null when it has none. */
static jv
field_or_null(jv obj /* borrowed */, const char *key)
{
    jv v = ev_json_field(obj, key);
    return jv_is_valid(v) ? v : jv_null();
}

jv
ev_finetune_openai_job(jv job)
{
    static const char *const keys[] = {"fine_tuned_model", "trained_tokens", "training_file",
                                       "model"};
    jv out = ev_json_set(jv_object(), "job_id", field_or_null(job, "id"));
    out = ev_json_set(out, "status", field_or_null(job, "status"));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        out = ev_json_set(out, keys[i], field_or_null(job, keys[i]));
    jv err = ev_json_field_kind(job, "error", JV_KIND_OBJECT);
    if (jv_get_kind(err) == JV_KIND_OBJECT)
        return ev_json_set(out, "error", err);
    jv_free(err);
    return out;
}

jv
ev_finetune_openai_events(jv list)
{
    jv data = ev_json_field_kind(list, "data", JV_KIND_ARRAY);
    jv out = jv_array();
    int n = jv_get_kind(data) == JV_KIND_ARRAY ? jv_array_length(jv_copy(data)) : 0;
    for (int i = n - 1; i >= 0; i--) {
        jv e = jv_array_get(jv_copy(data), i);
        jv event = ev_json_set(jv_object(), "id", field_or_null(e, "id"));
        event = ev_json_set(event, "level", field_or_null(e, "level"));
        event = ev_json_set(event, "message", field_or_null(e, "message"));
        out = jv_array_append(out, event);
        jv_free(e);
    }
    jv_free(data);
    return out;
}

/* read_as returns 'answer' as 'reader' reads it, or as it is when the
 * request failed. */
static jv
read_as(jv answer, jv (*reader)(jv))
{
    if (!jv_is_valid(answer))
        return answer;
    jv out = reader(answer);
    jv_free(answer);
    return out;
}

/* file_id returns the id of the uploaded file 'file'. */
static jv
file_id(jv file /* borrowed */)
{
    jv id = ev_json_field_kind(file, "id", JV_KIND_STRING);
    if (jv_get_kind(id) == JV_KIND_STRING)
        return id;
    jv_free(id);
    return jv_invalid_with_msg(jv_string("the upload's answer has no file id"));
}

static jv
openai_upload(ev_rest *c, const char *name, const char *data, size_t len, ev_rest_result *res)
{
    return read_as(ev_rest_upload(c, "fine-tune", name, data, len, res), file_id);
}

static jv
openai_create(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    jv req = ev_json_set(jv_object(), "model", jv_string(o->model));
    req = ev_json_set(req, "training_file", file);
    if (o->suffix != NULL)
        req = ev_json_set(req, "suffix", jv_string(o->suffix));
    if (o->seed >= 0)
        req = ev_json_set(req, "seed", jv_number((double)o->seed));
    if (o->epochs > 0)
        req = ev_json_set(req, "hyperparameters",
                          ev_json_set(jv_object(), "n_epochs", jv_number((double)o->epochs)));
    return read_as(ev_rest_create(c, req, res), ev_finetune_openai_job);
}

static jv
openai_job(ev_rest *c, const char *id, ev_rest_result *res)
{
    return read_as(ev_rest_job(c, id, res), ev_finetune_openai_job);
}

static jv
openai_events(ev_rest *c, const char *id, ev_rest_result *res)
{
    return read_as(ev_rest_events(c, id, EVENTS, res), ev_finetune_openai_events);
}

static jv
openai_cancel(ev_rest *c, const char *id, ev_rest_result *res)
{
    return read_as(ev_rest_cancel(c, id, res), ev_finetune_openai_job);
}

const ev_finetune_api ev_finetune_openai = {
    .name = "openai",
    .key_env = "OPENAI_API_KEY",
    .url_env = "OPENAI_BASE_URL",
    .url = "https://api.openai.com/v1",
    .upload = openai_upload,
    .create = openai_create,
    .job = openai_job,
    .events = openai_events,
    .cancel = openai_cancel,
};

/* --- the client ---------------------------------------------------------- */

ev_rest *
ev_finetune_open(const ev_finetune_api *api, const char *base, const char *key, const char *cacert,
                 const char *agent, const volatile sig_atomic_t *stop, jv *err)
{
    jv url = ev_secret_base(base, api->url_env, api->url);
    if (!jv_is_valid(url)) {
        *err = url;
        return NULL;
    }
    ev_rest *c = ev_rest_new(jv_string_value(url), key, stop, err);
    jv_free(url);
    if (c == NULL)
        return NULL;
    ev_rest_set_agent(c, agent);
    if (cacert != NULL)
        ev_rest_set_cacert(c, cacert);
    return c;
}

/* --- following a job ----------------------------------------------------- */

static bool
stopped(const ev_finetune_opts *o)
{
    return o->stop != NULL && *o->stop;
}

/* nap sleeps 'ms' milliseconds, or less when a signal comes. */
static void
nap(const ev_finetune_opts *o, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    if (!stopped(o))
        nanosleep(&ts, NULL);
}

static bool
terminal(const char *status)
{
    return strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "cancelled") == 0;
}

/* The state of a job being followed. */
typedef struct follower {
    ev_rest *c;
    const ev_finetune_opts *o;
    jv job;  /* the last answer, in the line's form */
    jv seen; /* ids of the events already shown */
    char *id;
    double start;
} follower;

/* show_events says the job's events not said yet, oldest first. */
static void
show_events(follower *f)
{
    ev_rest_result res;
    jv events = f->o->api->events(f->c, f->id, &res);
    if (!jv_is_valid(events)) {
        if (res.fail != EV_REST_INTERRUPTED)
            ev_log_progress_jv(f->o->log, events);
        else
            jv_free(events);
        return;
    }
    jv_array_foreach(events, i, e)
    {
        jv eid = ev_json_field(e, "id");
        bool fresh = false;
        if (jv_get_kind(eid) == JV_KIND_STRING) {
            jv was = jv_object_get(jv_copy(f->seen), jv_copy(eid));
            fresh = !jv_is_valid(was);
            jv_free(was);
        }
        if (fresh) {
            f->seen = jv_object_set(f->seen, jv_copy(eid), jv_true());
            jv msg = ev_json_field(e, "message"), level = ev_json_field(e, "level");
            const char *lv = ev_json_str(level, "info");
            bool info = strcmp(lv, "info") == 0;
            ev_log_progress(f->o->log, "%s: %s%s%s", f->id, info ? "" : lv, info ? "" : ": ",
                            ev_json_str(msg, ""));
            jv_free(msg);
            jv_free(level);
        }
        jv_free(eid);
        jv_free(e);
        (void)i;
    }
    jv_free(events);
}

static void
resume_hint(const follower *f)
{
    ev_log_warn(f->o->log,
                "job '%s' was not cancelled and goes on at the provider: 'ev-tune --resume %s' "
                "follows it again, 'ev-tune --cancel %s' cancels it (with the same --base-url)",
                f->id, f->id, f->id);
}

/* status_of returns the status of the job 'f' holds, "unknown" when it
 * has none, as a new string. */
static char *
status_of(const follower *f)
{
    jv st = ev_json_field(f->job, "status");
    char *s = ev_alloc_strdup(ev_json_str(st, "unknown"));
    jv_free(st);
    return s;
}

/* until returns the milliseconds from now to 'deadline' (0: none), plus
 * one, or 'ms' when that is sooner. */
static long
until(double deadline, long ms)
{
    double left = deadline > 0 ? deadline - ev_clock_mono() : 1e9;
    return left * 1000 < (double)ms ? (long)(left * 1000) + 1 : ms;
}

/* poll fetches the job once more; false when following must end, with
 * '*status' set. */
static bool
poll_job(follower *f, int *failures, int *status)
{
    ev_rest_result res;
    jv j = f->o->api->job(f->c, f->id, &res);
    if (jv_is_valid(j)) {
        *failures = 0;
        jv_free(f->job);
        f->job = j;
        show_events(f);
        return true;
    }
    if (res.fail == EV_REST_INTERRUPTED) {
        jv_free(j);
        return true;
    }
    if (ev_rest_transient(&res) && ++*failures < MAX_POLL_FAILURES) {
        jv m = jv_invalid_get_msg(j);
        ev_log_warn(f->o->log, "%s; trying again", jv_string_value(m));
        jv_free(m);
        return true;
    }
    ev_log_warn_jv(f->o->log, j);
    resume_hint(f);
    *status = EV_EXIT_TROUBLE;
    return false;
}

/* ended says how a job that reached status 'last' ended, and returns the
 * exit status. */
static int
ended(const follower *f, const char *last)
{
    if (strcmp(last, "succeeded") == 0)
        return EV_EXIT_OK;
    jv msg = ev_json_path(f->job, "error.message");
    ev_log_warn(f->o->log, "job '%s' %s%s%s", f->id, last,
                jv_get_kind(msg) == JV_KIND_STRING ? ": " : "", ev_json_str(msg, ""));
    jv_free(msg);
    return EV_EXIT_NO;
}

/* follow polls 'job' until it ends, the time is up or a signal comes, then
 * writes the line and returns the exit status. */
static int
follow(ev_rest *c, const ev_finetune_opts *o, jv job)
{
    follower f = {c, o, job, jv_object(), NULL, ev_clock_mono()};
    jv id = ev_json_field(job, "job_id");
    f.id = ev_alloc_strdup(ev_json_str(id, "?"));
    jv_free(id);
    double deadline = o->timeout_s > 0 ? f.start + o->timeout_s : 0;
    int failures = 0, status = -1;
    char *last = status_of(&f);
    show_events(&f);
    while (!terminal(last)) {
        if (stopped(o)) {
            ev_log_warn(o->log, "interrupted while following job '%s'", f.id);
            resume_hint(&f);
            status = EV_EXIT_INTR;
            break;
        }
        if (deadline > 0 && deadline - ev_clock_mono() <= 0) {
            ev_log_warn(o->log, "gave up after %g s: job '%s' is %s", o->timeout_s, f.id, last);
            resume_hint(&f);
            status = EV_EXIT_TROUBLE;
            break;
        }
        nap(o, until(deadline, o->poll_ms));
        if (stopped(o))
            continue;
        ev_rest_set_timeout(c, until(deadline, REQUEST_MS));
        if (!poll_job(&f, &failures, &status))
            break;
        char *now = status_of(&f);
        if (strcmp(now, last) != 0)
            ev_log_progress(o->log, "%s: %s (%.1f s)", f.id, now, ev_clock_mono() - f.start);
        free(last);
        last = now;
    }
    if (status < 0)
        status = ended(&f, last);
    ev_jsonl_write(o->out, f.job);
    free(last);
    free(f.id);
    jv_free(f.seen);
    return status;
}

/* --- the flows ----------------------------------------------------------- */

/* failed reports the failed request 'answer' and returns the exit status. */
static int
failed(const ev_finetune_opts *o, jv answer)
{
    ev_log_warn_jv(o->log, answer);
    return stopped(o) ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
}

/* upload_name names the uploaded file after the one operand, if there is
 * one. */
static const char *
upload_name(const ev_dataset_opts *d)
{
    if (d->nfiles == 1 && strcmp(d->files[0], "-") != 0) {
        const char *slash = strrchr(d->files[0], '/');
        return slash ? slash + 1 : d->files[0];
    }
    return "ev-tune-train.jsonl";
}

int
ev_finetune_submit(ev_rest *c, const ev_finetune_opts *o, const ev_dataset_opts *d,
                   const ev_quote_opts *q)
{
    ev_dataset set;
    ev_quote quote;
    int status = ev_dataset_prepare(
        &set, &quote, d, q, "refusing to upload an invalid training file; nothing was sent");
    if (status != EV_EXIT_OK)
        return status;
    ev_quote_free(&quote);
    ev_rest_result res;
    ev_rest_set_timeout(c, UPLOAD_MS);
    jv file = o->api->upload(c, upload_name(d), set.text, set.len, &res);
    ev_dataset_free(&set);
    if (!jv_is_valid(file))
        return failed(o, file);
    ev_log_progress(o->log, "uploaded the training file as '%s'", jv_string_value(file));
    ev_rest_set_timeout(c, REQUEST_MS);
    jv job = o->api->create(c, o, file, &res);
    if (!jv_is_valid(job)) {
        bool lost = res.fail == EV_REST_INTERRUPTED || res.fail == EV_REST_TIMEOUT;
        status = failed(o, job);
        if (lost)
            ev_log_warn(o->log, "the job may have been created all the same: list the jobs to see");
        return status;
    }
    jv id = ev_json_field(job, "job_id");
    ev_log_progress(o->log, "created job '%s' to tune '%s'; following it every %g s",
                    ev_json_str(id, "?"), o->model, (double)o->poll_ms / 1000);
    jv_free(id);
    return follow(c, o, job);
}

/* ask asks the provider's 'fn' about job 'id', within REQUEST_MS. */
static jv
ask(ev_rest *c, jv (*fn)(ev_rest *, const char *, ev_rest_result *), const char *id)
{
    ev_rest_result res;
    ev_rest_set_timeout(c, REQUEST_MS);
    return fn(c, id, &res);
}

int
ev_finetune_resume(ev_rest *c, const ev_finetune_opts *o, const char *id)
{
    jv job = ask(c, o->api->job, id);
    return jv_is_valid(job) ? follow(c, o, job) : failed(o, job);
}

int
ev_finetune_cancel(ev_rest *c, const ev_finetune_opts *o, const char *id)
{
    jv job = ask(c, o->api->cancel, id);
    if (!jv_is_valid(job))
        return failed(o, job);
    jv st = ev_json_field(job, "status");
    ev_log_progress(o->log, "job '%s' is %s", id, ev_json_str(st, "unknown"));
    jv_free(st);
    ev_jsonl_write(o->out, job);
    return EV_EXIT_OK;
}
