#include "finetune.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cache.h"
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

jv
ev_finetune_field(jv obj /* borrowed */, const char *key)
{
    jv v = ev_json_field(obj, key);
    return jv_is_valid(v) ? v : jv_null();
}

jv
ev_finetune_openai_job(jv job)
{
    static const char *const keys[] = {"fine_tuned_model", "trained_tokens", "training_file",
                                       "model"};
    jv out = ev_json_set(jv_object(), "job_id", ev_finetune_field(job, "id"));
    out = ev_json_set(out, "status", ev_finetune_field(job, "status"));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        out = ev_json_set(out, keys[i], ev_finetune_field(job, keys[i]));
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
        jv event = ev_json_set(jv_object(), "id", ev_finetune_field(e, "id"));
        event = ev_json_set(event, "level", ev_finetune_field(e, "level"));
        event = ev_json_set(event, "message", ev_finetune_field(e, "message"));
        out = jv_array_append(out, event);
        jv_free(e);
    }
    jv_free(data);
    return out;
}

jv
ev_finetune_read_as(jv answer, jv (*reader)(jv))
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
openai_upload(ev_rest *c, const ev_finetune_opts *o, const char *name, const char *data, size_t len,
              size_t examples, ev_rest_result *res)
{
    (void)o;
    (void)examples;
    return ev_finetune_read_as(ev_rest_upload(c, "fine-tune", name, data, len, res), file_id);
}

jv
ev_finetune_openai_find(jv list, const char *file, const char *model, const char *suffix,
                        jv (*reader)(jv))
{
    jv data = ev_json_field_kind(list, "data", JV_KIND_ARRAY);
    jv best = jv_null(), when = jv_null();
    if (jv_get_kind(data) == JV_KIND_ARRAY) {
        jv_array_foreach(data, i, j)
        {
            jv f = ev_json_field(j, "training_file"), m = ev_json_field(j, "model");
            /* null when missing: jv_cmp takes no invalid */
            jv sfx = ev_json_field(j, "suffix"), at = ev_finetune_field(j, "created_at");
            const char *js = ev_json_str(sfx, NULL);
            /* a job without a suffix field (OpenAI's) is matched by its file and model */
            bool same = strcmp(ev_json_str(f, ""), file) == 0 &&
                        strcmp(ev_json_str(m, ""), model) == 0 &&
                        (jv_get_kind(sfx) != JV_KIND_STRING ||
                         strcmp(js, suffix != NULL ? suffix : "") == 0);
            if (same &&
                (jv_get_kind(best) == JV_KIND_NULL || jv_cmp(jv_copy(at), jv_copy(when)) > 0)) {
                jv_free(best);
                jv_free(when);
                best = jv_copy(j);
                when = jv_copy(at);
            }
            jv_free(f);
            jv_free(m);
            jv_free(sfx);
            jv_free(at);
            jv_free(j);
            (void)i;
        }
    }
    jv_free(data);
    jv_free(when);
    return jv_get_kind(best) == JV_KIND_NULL ? best : ev_finetune_read_as(best, reader);
}

static jv
openai_find(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    jv list = ev_rest_get(c, "/fine_tuning/jobs?limit=100", "cannot list the jobs", res);
    if (!jv_is_valid(list))
        return list;
    jv out = ev_finetune_openai_find(list, jv_string_value(file), o->model, o->suffix,
                                     ev_finetune_openai_job);
    jv_free(list);
    return out;
}

jv
ev_finetune_openai_refused(jv job, const ev_rest_result *res)
{
    if (jv_is_valid(job) || res->fail != EV_REST_HTTP || (res->status != 403 && res->status != 400))
        return job;
    jv m = jv_invalid_get_msg(job);
    const char *t = jv_string_value(m);
    if (res->status == 400 && strcasestr(t, "fine-tun") == NULL &&
        strcasestr(t, "fine tun") == NULL)
        return jv_invalid_with_msg(m);
    jv out = jv_string_fmt(
        "%s; OpenAI is closing self-serve fine-tuning: since 2026-05-07 to organisations that "
        "never fine-tuned, since 2026-07-02 to those without fine-tuned inference in the last 60 "
        "days, from 2027-01-06 to everyone; tune an open model with --provider together or "
        "--provider fireworks (ev-tune(1))",
        t);
    jv_free(m);
    return jv_invalid_with_msg(out);
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
    if (o->dpo) {
        jv hp = ev_json_set(jv_object(), "beta", jv_string("auto"));
        jv dpo = ev_json_set(jv_object(), "hyperparameters", hp);
        req = ev_json_set(
            req, "method",
            ev_json_set(ev_json_set(jv_object(), "type", jv_string("dpo")), "dpo", dpo));
    }
    return ev_finetune_openai_refused(
        ev_finetune_read_as(ev_rest_create(c, req, res), ev_finetune_openai_job), res);
}

static jv
openai_job(ev_rest *c, const char *id, ev_rest_result *res)
{
    return ev_finetune_read_as(ev_rest_job(c, id, res), ev_finetune_openai_job);
}

static jv
openai_events(ev_rest *c, const char *id, ev_rest_result *res)
{
    return ev_finetune_read_as(ev_rest_events(c, id, EVENTS, res), ev_finetune_openai_events);
}

static jv
openai_cancel(ev_rest *c, const char *id, ev_rest_result *res)
{
    return ev_finetune_read_as(ev_rest_cancel(c, id, res), ev_finetune_openai_job);
}

const ev_finetune_api ev_finetune_openai = {
    .name = "openai",
    .key_env = "OPENAI_API_KEY",
    .url_env = "OPENAI_BASE_URL",
    .url = "https://api.openai.com/v1",
    .upload = openai_upload,
    .create = openai_create,
    .find = openai_find,
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

bool
ev_finetune_stopped(const ev_finetune_opts *o)
{
    return o->stop != NULL && *o->stop;
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
    const char *p = f->o->api->name;
    bool openai = f->o->api == &ev_finetune_openai;
    ev_log_warn(f->o->log,
                "job '%s' was not cancelled and goes on at the provider: 'ev-tune%s%s --resume "
                "%s' follows it again, 'ev-tune%s%s --cancel %s' cancels it (with the same "
                "--base-url)",
                f->id, openai ? "" : " --provider ", openai ? "" : p, f->id,
                openai ? "" : " --provider ", openai ? "" : p, f->id);
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

/* write_line writes the line of 'job' (consumed), with the provider, or
 * keeps it in '*o->line'. */
static void
write_line(const ev_finetune_opts *o, jv job)
{
    job = ev_json_set(job, "provider", jv_string(o->api->name));
    if (o->line != NULL) {
        jv_free(*o->line);
        *o->line = job;
    } else {
        ev_jsonl_write(o->out, job);
    }
}

/* follow polls 'job' until it ends, the time is up or a signal comes, then
 * writes the line and returns the exit status. A job that failed or was
 * cancelled drops the state 'state' (NULL: none). */
static int
follow(ev_rest *c, const ev_finetune_opts *o, jv job, const char *state)
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
        if (ev_finetune_stopped(o)) {
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
        ev_clock_nap(until(deadline, o->poll_ms), o->stop);
        if (ev_finetune_stopped(o))
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
    if (status == EV_EXIT_NO && state != NULL && o->cache != NULL)
        ev_cache_state_remove(o->cache, state);
    write_line(o, f.job);
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
    return ev_finetune_stopped(o) ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
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

/* ask asks the provider's 'fn' about job 'id', within REQUEST_MS. */
static jv
ask(ev_rest *c, jv (*fn)(ev_rest *, const char *, ev_rest_result *), const char *id)
{
    ev_rest_result res;
    ev_rest_set_timeout(c, REQUEST_MS);
    return fn(c, id, &res);
}

/* A submission's state (lib/cache.h), named by what it submits. */
typedef struct submission {
    ev_rest *c;
    ev_finetune_opts o; /* with 'run' set */
    char name[EV_CACHE_KEY_LEN + 1];
    char run[16];
    jv state; /* {provider, model, file?, creating?, job_id?} */
} submission;

/* name_submission names the state of submitting 'text' as 'o' says. */
static void
name_submission(submission *s, const char *base, const char *text, size_t len)
{
    const ev_finetune_opts *o = &s->o;
    jv what = jv_array();
    what = jv_array_append(what, jv_string(o->model));
    what = jv_array_append(what, o->suffix ? jv_string(o->suffix) : jv_null());
    what = jv_array_append(what, jv_number((double)o->seed));
    what = jv_array_append(what, jv_number((double)o->epochs));
    what = jv_array_append(what, o->account ? jv_string(o->account) : jv_null());
    what = jv_array_append(what, jv_bool(o->dpo));
    what = jv_array_append(what, jv_bool(o->full));
    jv head = jv_dump_string(what, 0);
    jv body = jv_string_fmt("%s\n", jv_string_value(head));
    body = jv_string_append_buf(body, text, (int)len);
    char provider[64];
    snprintf(provider, sizeof(provider), "tune %s", o->api->name);
    ev_cache_key(provider, base, 0, jv_string_value(body),
                 (size_t)jv_string_length_bytes(jv_copy(body)), s->name);
    snprintf(s->run, sizeof(s->run), "ev-%.12s", s->name);
    s->o.run = s->run;
    jv_free(head);
    jv_free(body);
}

/* save keeps the state; false, said, when it cannot, since a submission
 * whose ids may be lost must not go on. */
static bool
save(submission *s)
{
    if (s->o.cache == NULL)
        return true;
    jv err;
    if (ev_cache_state_put(s->o.cache, s->name, jv_copy(s->state), &err))
        return true;
    ev_log_warn_jv(s->o.log, err);
    ev_log_warn(s->o.log, "the submission's state must be kept so that it is never paid twice: "
                          "name a directory that can be written with --cache-dir");
    return false;
}

/* saved returns member 'key' of the state, a string, or NULL (borrowed
 * from the state). */
static const char *
saved(const submission *s, const char *key)
{
    jv v = ev_json_field(s->state, key);
    const char *out = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
    jv_free(v); /* the state holds its own reference */
    return out;
}

/* record sets member 'key' of the state to 'v' and keeps it. */
static bool
record(submission *s, const char *key, jv v)
{
    s->state = ev_json_set(s->state, key, v);
    return save(s);
}

/* follow_found follows 'job', found at the provider, recording its id. */
static int
follow_found(submission *s, jv job, const char *how)
{
    jv id = ev_json_field(job, "job_id");
    ev_log_progress(s->o.log, "%s job '%s'; following it rather than creating another", how,
                    ev_json_str(id, "?"));
    if (!record(s, "job_id", id)) {
        jv_free(job);
        return EV_EXIT_TROUBLE;
    }
    s->state = ev_json_set(s->state, "creating", jv_false());
    save(s);
    return follow(s->c, &s->o, job, s->name);
}

/* look asks the provider for the job a lost answer made; null when there
 * is none, an invalid (said) when the provider could not be asked. */
static jv
look(submission *s, jv file /* borrowed */)
{
    ev_rest_result res;
    ev_rest_set_timeout(s->c, REQUEST_MS);
    jv job = s->o.api->find(s->c, &s->o, file, &res);
    if (!jv_is_valid(job)) {
        jv m = jv_invalid_get_msg(job);
        ev_log_warn(s->o.log,
                    "%s; the job may exist: ev-tune creates no other, and looks for it again when "
                    "run again",
                    jv_is_valid(m) ? jv_string_value(m) : "cannot look for the job");
        jv_free(m);
        return jv_invalid();
    }
    return job;
}

/* create creates the job on 'file' (consumed), having recorded that it
 * does; when the answer is lost it looks for the job at once. */
static int
create(submission *s, jv file)
{
    if (!record(s, "creating", jv_true())) {
        jv_free(file);
        return EV_EXIT_TROUBLE;
    }
    ev_rest_result res;
    ev_rest_set_timeout(s->c, REQUEST_MS);
    jv job = s->o.api->create(s->c, &s->o, jv_copy(file), &res);
    if (jv_is_valid(job)) {
        jv_free(file);
        jv id = ev_json_field(job, "job_id");
        ev_log_progress(s->o.log, "created job '%s' to tune '%s'; following it every %g s",
                        ev_json_str(id, "?"), s->o.model, (double)s->o.poll_ms / 1000);
        if (!record(s, "job_id", id)) {
            jv_free(job);
            return EV_EXIT_TROUBLE;
        }
        return follow(s->c, &s->o, job, s->name);
    }
    bool lost = res.fail == EV_REST_NETWORK || res.fail == EV_REST_TIMEOUT ||
                res.fail == EV_REST_INTERRUPTED || (res.fail == EV_REST_HTTP && res.status >= 500);
    int status = failed(&s->o, job);
    if (!lost) {
        /* the provider refused: nothing was made */
        s->state = ev_json_set(s->state, "creating", jv_false());
        save(s);
        jv_free(file);
        return status;
    }
    if (!ev_finetune_stopped(&s->o) && s->o.api->find != NULL) {
        jv found = look(s, file);
        jv_free(file);
        if (jv_get_kind(found) == JV_KIND_OBJECT)
            return follow_found(s, found, "the answer was lost, but the provider has the");
        if (jv_get_kind(found) == JV_KIND_NULL) {
            ev_log_warn(s->o.log, "the provider has no such job: nothing was created; run again "
                                  "to create it");
            s->state = ev_json_set(s->state, "creating", jv_false());
            save(s);
        }
        jv_free(found);
        return status;
    }
    jv_free(file);
    ev_log_warn(s->o.log, "the job may have been created all the same: run the same command "
                          "again, and ev-tune looks for it before it creates another");
    return status;
}

/* submit runs a submission whose state was read: follow its job, or look
 * for it, or upload and create. */
static int
submit(submission *s, const ev_dataset *set, const ev_dataset_opts *d)
{
    const char *id = saved(s, "job_id");
    if (id != NULL) {
        char *copy = ev_alloc_strdup(id);
        ev_log_progress(s->o.log,
                        "an earlier run submitted this file as job '%s'; following it "
                        "(its state: %s/batches/%s.json)",
                        copy, ev_cache_dir(s->o.cache), s->name);
        ev_rest_result got;
        ev_rest_set_timeout(s->c, REQUEST_MS);
        jv job = s->o.api->job(s->c, copy, &got);
        if (!jv_is_valid(job) && got.fail == EV_REST_HTTP && got.status == 404) {
            /* a job the provider no longer has is followed by no one */
            ev_cache_state_remove(s->o.cache, s->name);
            ev_log_warn(s->o.log,
                        "the provider has no job '%s' any more: its state is dropped; "
                        "run again to submit the file anew",
                        copy);
        }
        free(copy);
        return jv_is_valid(job) ? follow(s->c, &s->o, job, s->name) : failed(&s->o, job);
    }
    jv file;
    ev_rest_result res;
    if (saved(s, "file") != NULL) {
        file = jv_string(saved(s, "file"));
        ev_log_progress(s->o.log, "an earlier run uploaded this file as '%s'",
                        jv_string_value(file));
        jv creating = ev_json_field(s->state, "creating");
        bool lost = jv_get_kind(creating) == JV_KIND_TRUE;
        jv_free(creating);
        if (lost && s->o.api->find != NULL) {
            jv found = look(s, file);
            if (jv_get_kind(found) == JV_KIND_OBJECT) {
                jv_free(file);
                return follow_found(s, found, "an earlier run lost the answer to its creation of");
            }
            if (!jv_is_valid(found)) {
                jv_free(file);
                return EV_EXIT_TROUBLE;
            }
            jv_free(found);
        }
    } else {
        ev_rest_set_timeout(s->c, UPLOAD_MS);
        file = s->o.api->upload(s->c, &s->o, upload_name(d), set->text, set->len, set->valid, &res);
        if (!jv_is_valid(file))
            return failed(&s->o, file);
        ev_log_progress(s->o.log, "uploaded the training file as '%s'", jv_string_value(file));
        if (!record(s, "file", jv_copy(file))) {
            jv_free(file);
            return EV_EXIT_TROUBLE;
        }
    }
    return create(s, file);
}

/* limit sets the example limit of 'd' to the base model's context, as the
 * provider says it; false (said) when the provider says the base cannot be
 * tuned. */
static bool
limit(ev_rest *c, const ev_finetune_opts *o, ev_dataset_opts *d)
{
    if (o->api->limits == NULL || o->max_tokens_given)
        return true;
    ev_rest_set_timeout(c, REQUEST_MS);
    jv l = o->api->limits(c, o);
    if (!jv_is_valid(l)) {
        jv m = jv_invalid_get_msg(l);
        ev_log_warn(o->log, "%s; examples are checked against %g tokens (--max-example-tokens)",
                    jv_is_valid(m) ? jv_string_value(m) : "cannot ask for the base's limits",
                    d->max_tokens);
        jv_free(m);
        return true;
    }
    jv ctx = ev_json_field(l, "context"), tunable = ev_json_field(l, "tunable");
    jv src = ev_json_field(l, "source"), why = ev_json_field(l, "why");
    bool ok = jv_get_kind(tunable) != JV_KIND_FALSE;
    if (!ok)
        ev_log_warn(o->log, "'%s' cannot be tuned: %s; nothing was sent", o->model,
                    ev_json_str(why, "the provider says so"));
    else if (jv_get_kind(ctx) == JV_KIND_NUMBER) {
        d->max_tokens = jv_number_value(ctx);
        ev_log_progress(o->log, "examples are checked against %g tokens, the context of '%s' (%s)",
                        d->max_tokens, o->model, ev_json_str(src, o->api->name));
    }
    jv_free(ctx);
    jv_free(tunable);
    jv_free(src);
    jv_free(why);
    jv_free(l);
    return ok;
}

int
ev_finetune_submit(ev_rest *c, const ev_finetune_opts *o, const ev_dataset_opts *d,
                   const ev_quote_opts *q)
{
    ev_dataset set;
    ev_quote quote;
    ev_dataset_opts checked = *d;
    if (o->api->min_examples > 0)
        checked.min_examples = o->api->min_examples;
    if (!limit(c, o, &checked))
        return ev_finetune_stopped(o) ? EV_EXIT_INTR : EV_EXIT_NO;
    int status = ev_dataset_prepare(
        &set, &quote, &checked, q, "refusing to upload an invalid training file; nothing was sent");
    if (status != EV_EXIT_OK)
        return status;
    submission s = {.c = c, .o = *o, .state = jv_invalid()};
    /* OpenAI picks the epochs itself ("auto"); the others are told the
     * plan's, which the quote priced */
    if (o->epochs == 0 && o->api != &ev_finetune_openai)
        s.o.epochs = quote.epochs;
    ev_quote_free(&quote);
    name_submission(&s, ev_rest_base(c), set.text, set.len);
    if (o->cache != NULL) {
        s.state = ev_cache_state_get(o->cache, s.name);
        if (!jv_is_valid(s.state) && jv_invalid_has_msg(jv_copy(s.state))) {
            ev_log_warn_jv(o->log, s.state);
            ev_dataset_free(&set);
            return EV_EXIT_TROUBLE;
        }
    }
    if (jv_get_kind(s.state) != JV_KIND_OBJECT) {
        jv_free(s.state);
        s.state = ev_json_set(jv_object(), "provider", jv_string(o->api->name));
        s.state = ev_json_set(s.state, "model", jv_string(o->model));
    }
    status = submit(&s, &set, d);
    ev_dataset_free(&set);
    jv_free(s.state);
    return status;
}

int
ev_finetune_resume(ev_rest *c, const ev_finetune_opts *o, const char *id)
{
    jv job = ask(c, o->api->job, id);
    return jv_is_valid(job) ? follow(c, o, job, NULL) : failed(o, job);
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
    write_line(o, job);
    return EV_EXIT_OK;
}
