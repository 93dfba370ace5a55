#include "finetune_fireworks.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "url.h"

#define DPO_BETA 0.1

/* status returns the line's word for Fireworks' state 's', a new string. */
static char *
status(const char *s)
{
    if (strcmp(s, "JOB_STATE_COMPLETED") == 0 || strcmp(s, "JOB_STATE_EARLY_STOPPED") == 0 ||
        strcmp(s, "COMPLETED") == 0)
        return ev_alloc_strdup("succeeded");
    if (strcmp(s, "JOB_STATE_FAILED") == 0 || strcmp(s, "JOB_STATE_EXPIRED") == 0 ||
        strcmp(s, "FAILED") == 0)
        return ev_alloc_strdup("failed");
    if (strcmp(s, "JOB_STATE_CANCELLED") == 0)
        return ev_alloc_strdup("cancelled");
    if (strncmp(s, "JOB_STATE_", 10) == 0)
        s += 10;
    char *out = ev_alloc_strdup(s);
    for (char *p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* config returns the member 'key' of a job: of trainingConfig in a DPO
 * job, else of the job. */
static jv
config(jv job /* borrowed */, const char *key)
{
    jv tc = ev_json_field_kind(job, "trainingConfig", JV_KIND_OBJECT);
    jv v = jv_get_kind(tc) == JV_KIND_OBJECT ? ev_finetune_field(tc, key) : jv_null();
    jv_free(tc);
    if (jv_get_kind(v) == JV_KIND_NULL) {
        jv_free(v);
        v = ev_finetune_field(job, key);
    }
    return v;
}

jv
ev_finetune_fireworks_job(jv job)
{
    jv st = ev_json_field(job, "state");
    char *word = status(ev_json_str(st, "unknown"));
    bool done = strcmp(word, "succeeded") == 0;
    jv out = ev_json_set(jv_object(), "job_id", ev_finetune_field(job, "name"));
    out = ev_json_set(out, "status", jv_string(word));
    out = ev_json_set(out, "fine_tuned_model", done ? config(job, "outputModel") : jv_null());
    jv tokens = ev_json_path(job, "jobProgress.inputTokens");
    if (jv_get_kind(tokens) == JV_KIND_STRING) {
        double n = strtod(jv_string_value(tokens), NULL);
        jv_free(tokens);
        tokens = jv_number(n);
    }
    out = ev_json_set(out, "trained_tokens",
                      done && jv_get_kind(tokens) == JV_KIND_NUMBER ? tokens
                                                                    : (jv_free(tokens), jv_null()));
    out = ev_json_set(out, "training_file", ev_finetune_field(job, "dataset"));
    out = ev_json_set(out, "model", config(job, "baseModel"));
    if (strcmp(word, "failed") == 0) {
        jv msg = ev_json_path(job, "status.message");
        if (jv_get_kind(msg) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(msg)) == 0) {
            jv_free(msg);
            msg = jv_string_fmt("the job ended %s, and Fireworks gave no reason",
                                ev_json_str(st, "unknown"));
        }
        out = ev_json_set(out, "error", ev_json_set(jv_object(), "message", msg));
    }
    free(word);
    jv_free(st);
    return out;
}

/* account_path returns /v1/accounts/{account}'tail'. */
static jv
account_path(const ev_finetune_opts *o, const char *tail)
{
    jv a = ev_url_escape(o->account != NULL ? o->account : "", false);
    jv p = jv_string_fmt("/v1/accounts/%s%s", jv_string_value(a), tail);
    jv_free(a);
    return p;
}

/* dataset_id names the submission's dataset. */
static jv
dataset_id(const ev_finetune_opts *o)
{
    return jv_string_fmt("%s-%s", o->run, o->dpo ? "pref" : "train");
}

/* upload makes the dataset, unless an earlier run made it, and sends the
 * file; it returns the dataset's name. */
static jv
upload(ev_rest *c, const ev_finetune_opts *o, const char *name, const char *data, size_t len,
       size_t examples, ev_rest_result *res)
{
    jv id = dataset_id(o);
    jv tail = jv_string_fmt("/datasets/%s", jv_string_value(id));
    jv path = account_path(o, jv_string_value(tail));
    jv ds = ev_rest_get(c, jv_string_value(path), "cannot get the dataset", res);
    bool ready = false;
    if (jv_is_valid(ds)) {
        jv st = ev_json_field(ds, "state");
        ready = strcmp(ev_json_str(st, ""), "READY") == 0;
        jv_free(st);
    } else if (res->fail == EV_REST_HTTP && res->status == 404) {
        jv_free(ds);
        jv d = ev_json_set(jv_object(), "displayName", jv_string_fmt("ev-tune %s", name));
        d = ev_json_set(d, "exampleCount", jv_string_fmt("%zu", examples));
        d = ev_json_set(d, "format", jv_string("CHAT"));
        d = ev_json_set(d, "userUploaded", jv_object());
        jv body = ev_json_set(jv_object(), "datasetId", jv_copy(id));
        body = ev_json_set(body, "dataset", d);
        jv made = account_path(o, "/datasets");
        ds = ev_rest_post(c, jv_string_value(made), body, "cannot create the dataset", res);
        jv_free(made);
    }
    jv out;
    if (!jv_is_valid(ds)) {
        out = ds;
    } else {
        jv_free(ds);
        if (ready) {
            out = jv_true();
        } else {
            jv up = jv_string_fmt("%s:upload", jv_string_value(path));
            out = ev_rest_upload_form(c, jv_string_value(up), jv_object(), name, data, len,
                                      "cannot upload the training file", res);
            jv_free(up);
        }
        if (jv_is_valid(out)) {
            jv_free(out);
            out = jv_string_fmt("accounts/%s/datasets/%s", o->account, jv_string_value(id));
        }
    }
    jv_free(path);
    jv_free(tail);
    jv_free(id);
    return out;
}

/* Fireworks cuts a job's examples at this many tokens unless the job's
 * maxContextLength says otherwise (docs: fine-tuning models). */
#define JOB_CONTEXT 32768

/* limits asks Fireworks for the base model: whether it is tunable, and its
 * context, of which a job uses JOB_CONTEXT at most. A base it does not know
 * (404) is left for the job's creation to refuse. */
static jv
limits(ev_rest *c, const ev_finetune_opts *o)
{
    ev_rest_result res;
    jv m = ev_finetune_fireworks_send(c, "GET", o->model, jv_invalid(), "cannot get the base model",
                                      &res);
    if (!jv_is_valid(m))
        return m;
    jv out = ev_json_set(jv_object(), "tunable", ev_json_field(m, "tunable"));
    out = ev_json_set(out, "why",
                      jv_string("Fireworks says it is not tunable; pick a model of its list of "
                                "tunable models, such as accounts/fireworks/models/qwen3-8b"));
    jv ctx = ev_json_field_kind(m, "contextLength", JV_KIND_NUMBER);
    if (jv_get_kind(ctx) == JV_KIND_NUMBER && jv_number_value(ctx) > JOB_CONTEXT) {
        jv_free(ctx);
        ctx = jv_number(JOB_CONTEXT);
    }
    out = ev_json_set(out, "context",
                      jv_get_kind(ctx) == JV_KIND_NUMBER ? ctx : (jv_free(ctx), jv_null()));
    out = ev_json_set(out, "source",
                      jv_string("Fireworks' model: its tunable and contextLength, cut at 32768 "
                                "tokens as a job does"));
    jv_free(m);
    return out;
}

/* collection is the kind of job the submission makes. */
static const char *
collection(const ev_finetune_opts *o)
{
    return o->dpo ? "dpoJobs" : "supervisedFineTuningJobs";
}

static jv
create(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    jv out_model = jv_string_fmt("accounts/%s/models/%s", o->account, o->run);
    jv training = ev_json_set(jv_object(), "baseModel", jv_string(o->model));
    training = ev_json_set(training, "outputModel", out_model);
    if (o->epochs > 0)
        training = ev_json_set(training, "epochs", jv_number((double)o->epochs));
    jv body = ev_json_set(jv_object(), "dataset", file);
    body = ev_json_set(
        body, "displayName",
        jv_string_fmt("ev-tune %s%s%s", o->run, o->suffix ? " " : "", o->suffix ? o->suffix : ""));
    if (o->dpo) {
        body = ev_json_set(body, "trainingConfig", training);
        jv loss = ev_json_set(jv_object(), "method", jv_string("DPO"));
        loss = ev_json_set(loss, "dpo", ev_json_set(jv_object(), "beta", jv_number(DPO_BETA)));
        body = ev_json_set(body, "lossConfig", loss);
    } else {
        jv_object_foreach(training, k, v) body = jv_object_set(body, k, v);
        jv_free(training);
    }
    jv tail = jv_string_fmt("/%s?%sId=%s", collection(o),
                            o->dpo ? "dpoJob" : "supervisedFineTuningJob", o->run);
    jv path = account_path(o, jv_string_value(tail));
    jv job = ev_rest_post(c, jv_string_value(path), body, "cannot create the job", res);
    jv_free(path);
    jv_free(tail);
    return ev_finetune_read_as(job, ev_finetune_fireworks_job);
}

static jv
find(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    (void)file;
    jv tail = jv_string_fmt("/%s/%s", collection(o), o->run);
    jv path = account_path(o, jv_string_value(tail));
    jv job = ev_rest_get(c, jv_string_value(path), "cannot get the job", res);
    jv_free(path);
    jv_free(tail);
    if (!jv_is_valid(job) && res->fail == EV_REST_HTTP && res->status == 404) {
        jv_free(job);
        return jv_null();
    }
    return ev_finetune_read_as(job, ev_finetune_fireworks_job);
}

jv
ev_finetune_fireworks_send(ev_rest *c, const char *method, const char *name, jv body,
                           const char *what, ev_rest_result *res)
{
    jv esc = ev_url_escape(name, true);
    jv path = jv_string_fmt("/v1/%s", jv_string_value(esc));
    jv out = ev_rest_send(c, method, jv_string_value(path), body, what, res);
    jv_free(path);
    jv_free(esc);
    return out;
}

static jv
job(ev_rest *c, const char *id, ev_rest_result *res)
{
    return ev_finetune_read_as(
        ev_finetune_fireworks_send(c, "GET", id, jv_invalid(), "cannot get the job", res),
        ev_finetune_fireworks_job);
}

static jv
events(ev_rest *c, const char *id, ev_rest_result *res)
{
    (void)c;
    (void)id;
    *res = (ev_rest_result){EV_REST_OK, 0};
    return jv_array();
}

/* cancel deletes the job, Fireworks' documented way to stop one; the
 * line says cancelled, since a deleted job can no longer be asked. */
static jv
cancel(ev_rest *c, const char *id, ev_rest_result *res)
{
    jv j = ev_finetune_fireworks_send(c, "GET", id, jv_invalid(), "cannot get the job", res);
    if (!jv_is_valid(j))
        return j;
    jv done =
        ev_finetune_fireworks_send(c, "DELETE", id, jv_invalid(), "cannot cancel the job", res);
    if (!jv_is_valid(done)) {
        jv_free(j);
        return done;
    }
    jv_free(done);
    jv line = ev_finetune_fireworks_job(j);
    jv_free(j);
    return ev_json_set(line, "status", jv_string("cancelled"));
}

const ev_finetune_api ev_finetune_fireworks = {
    .name = "fireworks",
    .key_env = "FIREWORKS_API_KEY",
    .url_env = "FIREWORKS_BASE_URL",
    .url = "https://api.fireworks.ai",
    .account_env = "FIREWORKS_ACCOUNT_ID",
    .min_examples = 3, /* "Minimum 3 examples" (docs: fine-tuning models) */
    .upload = upload,
    .create = create,
    .find = find,
    .limits = limits,
    .job = job,
    .events = events,
    .cancel = cancel,
};
