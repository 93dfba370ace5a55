#include "finetune_together.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "json.h"
#include "url.h"

/* The LoRA of a job that is not full fine-tuning: the rank of the docs'
 * example for an 8B model, and alpha twice it, as Together's SDK sets. */
#define LORA_RANK 16
#define DPO_BETA 0.1

/* status returns the line's word for Together's status 's'. */
static const char *
status(const char *s)
{
    if (strcasecmp(s, "completed") == 0)
        return "succeeded";
    if (strcasecmp(s, "error") == 0 || strcasecmp(s, "user_error") == 0)
        return "failed";
    if (strcasecmp(s, "cancelled") == 0)
        return "cancelled";
    return s;
}

jv
ev_finetune_together_job(jv job)
{
    jv st = ev_json_field(job, "status");
    const char *word = status(ev_json_str(st, "unknown"));
    bool done = strcmp(word, "succeeded") == 0;
    jv out = ev_json_set(jv_object(), "job_id", ev_finetune_field(job, "id"));
    out = ev_json_set(out, "status", jv_string(word));
    out = ev_json_set(out, "fine_tuned_model",
                      done ? ev_finetune_field(job, "model_output_name") : jv_null());
    jv tokens = ev_json_field_kind(job, "token_count", JV_KIND_NUMBER);
    out = ev_json_set(out, "trained_tokens",
                      done && jv_is_valid(tokens) ? tokens : (jv_free(tokens), jv_null()));
    out = ev_json_set(out, "training_file", ev_finetune_field(job, "training_file"));
    out = ev_json_set(out, "model", ev_finetune_field(job, "model"));
    jv ml = ev_json_field_kind(job, "model_object_id", JV_KIND_STRING);
    if (jv_get_kind(ml) == JV_KIND_STRING)
        out = ev_json_set(out, "model_object_id", ml);
    else
        jv_free(ml);
    jv_free(st);
    return out;
}

jv
ev_finetune_together_events(jv list)
{
    jv data = ev_json_field_kind(list, "data", JV_KIND_ARRAY);
    jv out = jv_array();
    if (jv_get_kind(data) == JV_KIND_ARRAY) {
        jv_array_foreach(data, i, e)
        {
            jv at = ev_json_field(e, "created_at"), type = ev_json_field(e, "type");
            jv msg = ev_json_field(e, "message"), level = ev_json_field(e, "level");
            jv id = jv_string_fmt("%s %s %s", ev_json_str(at, ""), ev_json_str(type, ""),
                                  ev_json_str(msg, ""));
            const char *lv = ev_json_str(level, "");
            /* "legacy_ierror" and "Error" are errors too */
            const char *word = strcasestr(lv, "error")  ? "error"
                               : strcasestr(lv, "warn") ? "warning"
                                                        : "info";
            jv event = ev_json_set(jv_object(), "id", id);
            event = ev_json_set(event, "level", jv_string(word));
            event = ev_json_set(event, "message", jv_string(ev_json_str(msg, "")));
            out = jv_array_append(out, event);
            jv_free(at);
            jv_free(type);
            jv_free(msg);
            jv_free(level);
            jv_free(e);
            (void)i;
        }
    }
    jv_free(data);
    return out;
}

/* The contexts of the bases in Together's table of supported models
 * (docs.together.ai, fine-tuning/supported-models, 2026; Qwen3-8B and
 * Meta-Llama-3-8B-Instruct from its older table), for SFT and DPO with
 * LoRA, used when its limits endpoint does not answer. */
static const struct {
    const char *model;
    double sft, dpo;
} contexts[] = {
    {"google/gemma-4-31B-it", 49152, 24576},
    {"meta-llama/Llama-3.3-70B-Instruct-Reference", 24576, 12288},
    {"meta-llama/Meta-Llama-3-8B-Instruct", 8192, 8192},
    {"meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", 131072, 65536},
    {"openai/gpt-oss-20b", 131072, 65536},
    {"Qwen/Qwen3-8B", 32768, 40960},
    {"Qwen/Qwen3.5-4B", 131072, 65536},
    {"Qwen/Qwen3.5-9B", 65536, 49152},
};

/* limits asks GET /fine-tunes/models/limits for the base's
 * max_seq_length_sft or _dpo, else looks the base up in Together's table;
 * an unknown context is null. */
static jv
limits(ev_rest *c, const ev_finetune_opts *o)
{
    jv name = ev_url_escape(o->model, false);
    jv path = jv_string_fmt("/fine-tunes/models/limits?model_name=%s", jv_string_value(name));
    jv l = ev_rest_get(c, jv_string_value(path), "cannot get the base's limits", NULL);
    jv_free(path);
    jv_free(name);
    jv ctx = jv_is_valid(l)
                 ? ev_json_field_kind(l, o->dpo ? "max_seq_length_dpo" : "max_seq_length_sft",
                                      JV_KIND_NUMBER)
                 : jv_null();
    jv_free(l);
    jv out = ev_json_set(jv_object(), "tunable", jv_true());
    if (jv_get_kind(ctx) == JV_KIND_NUMBER) {
        out = ev_json_set(out, "context", ctx);
        return ev_json_set(out, "source", jv_string("Together's limits of the model"));
    }
    jv_free(ctx);
    for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++)
        if (strcmp(contexts[i].model, o->model) == 0) {
            out =
                ev_json_set(out, "context", jv_number(o->dpo ? contexts[i].dpo : contexts[i].sft));
            return ev_json_set(out, "source",
                               jv_string("Together's table of supported models, 2026"));
        }
    return ev_json_set(out, "context", jv_null());
}

/* upload sends the file as the REST reference documents it, then waits
 * while Together processes it (processing_status, polled with GET
 * /files/{id}; an answer without one is taken as processed); a file
 * Together's check refused (INVALID_FORMAT, FAILED) is an error with its
 * report's reason. */
static jv
upload(ev_rest *c, const ev_finetune_opts *o, const char *name, const char *data, size_t len,
       size_t examples, ev_rest_result *res)
{
    (void)examples;
    jv fields = ev_json_set(jv_object(), "purpose", jv_string("fine-tune"));
    fields = ev_json_set(fields, "file_name", jv_string(name));
    fields = ev_json_set(fields, "file_type", jv_string("jsonl"));
    jv file = ev_rest_upload_form(c, "/files/upload", fields, name, data, len,
                                  "cannot upload the training file", res);
    if (!jv_is_valid(file))
        return file;
    jv id = ev_json_field_kind(file, "id", JV_KIND_STRING);
    if (jv_get_kind(id) != JV_KIND_STRING) {
        jv_free(id);
        jv_free(file);
        return jv_invalid_with_msg(jv_string("the upload's answer has no file id"));
    }
    jv esc = ev_url_escape(jv_string_value(id), false);
    jv path = jv_string_fmt("/files/%s", jv_string_value(esc));
    jv out = jv_invalid();
    while (!jv_is_valid(out)) {
        jv st = ev_json_field(file, "processing_status");
        const char *s = ev_json_str(st, "COMPLETED");
        if (strcmp(s, "COMPLETED") == 0) {
            out = jv_copy(id);
        } else if (strcmp(s, "INVALID_FORMAT") == 0 || strcmp(s, "FAILED") == 0) {
            jv why = ev_json_path(file, "validation_report.error");
            out = jv_invalid_with_msg(
                jv_string_fmt("Together refused the training file '%s' (%s): %s",
                              jv_string_value(id), s, ev_json_str(why, "no reason given")));
            jv_free(why);
        } else if (ev_finetune_stopped(o)) {
            out = jv_invalid_with_msg(
                jv_string_fmt("interrupted while Together processes the training file '%s'",
                              jv_string_value(id)));
        } else {
            ev_clock_nap(o->poll_ms, o->stop);
            jv next = ev_rest_get(c, jv_string_value(path), "cannot get the training file", res);
            if (!jv_is_valid(next))
                out = next;
            jv_free(file);
            file = jv_is_valid(next) ? next : jv_object();
        }
        jv_free(st);
        if (!jv_is_valid(out) && jv_invalid_has_msg(jv_copy(out)))
            break;
    }
    jv_free(path);
    jv_free(esc);
    jv_free(id);
    jv_free(file);
    return out;
}

/* suffix is the suffix that names the submission. */
static const char *
suffix(const ev_finetune_opts *o)
{
    return o->suffix != NULL ? o->suffix : o->run;
}

static jv
create(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    jv req = ev_json_set(jv_object(), "training_file", file);
    req = ev_json_set(req, "model", jv_string(o->model));
    if (o->epochs > 0)
        req = ev_json_set(req, "n_epochs", jv_number((double)o->epochs));
    if (suffix(o) != NULL)
        req = ev_json_set(req, "suffix", jv_string(suffix(o)));
    if (o->seed >= 0)
        req = ev_json_set(req, "random_seed", jv_number((double)o->seed));
    jv method = ev_json_set(jv_object(), "method", jv_string(o->dpo ? "dpo" : "sft"));
    method = o->dpo ? ev_json_set(method, "dpo_beta", jv_number(DPO_BETA))
                    : ev_json_set(method, "train_on_inputs", jv_string("auto"));
    req = ev_json_set(req, "training_method", method);
    jv type = ev_json_set(jv_object(), "type", jv_string(o->full ? "Full" : "Lora"));
    if (!o->full) {
        type = ev_json_set(type, "lora_r", jv_number(LORA_RANK));
        type = ev_json_set(type, "lora_alpha", jv_number(2 * LORA_RANK));
        type = ev_json_set(type, "lora_dropout", jv_number(0));
        type = ev_json_set(type, "lora_trainable_modules", jv_string("all-linear"));
    }
    req = ev_json_set(req, "training_type", type);
    return ev_finetune_read_as(ev_rest_post(c, "/fine-tunes", req, "cannot create the job", res),
                               ev_finetune_together_job);
}

static jv
find(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res)
{
    jv list = ev_rest_get(c, "/fine-tunes", "cannot list the jobs", res);
    if (!jv_is_valid(list))
        return list;
    jv out = ev_finetune_openai_find(list, jv_string_value(file), o->model, suffix(o),
                                     ev_finetune_together_job);
    jv_free(list);
    return out;
}

/* call sends 'method' to /fine-tunes/{id}'tail' and returns the answer. */
static jv
call(ev_rest *c, const char *method, const char *id, const char *tail, const char *what,
     ev_rest_result *res)
{
    jv esc = ev_url_escape(id, false);
    jv path = jv_string_fmt("/fine-tunes/%s%s", jv_string_value(esc), tail);
    jv out = ev_rest_send(c, method, jv_string_value(path), jv_invalid(), what, res);
    jv_free(path);
    jv_free(esc);
    return out;
}

static jv
events(ev_rest *c, const char *id, ev_rest_result *res)
{
    return ev_finetune_read_as(call(c, "GET", id, "/events", "cannot get the job's events", res),
                               ev_finetune_together_events);
}

/* job fetches the job; a failed one gets its last error event as its
 * error, since Together's job object holds no message. */
static jv
job(ev_rest *c, const char *id, ev_rest_result *res)
{
    jv j = ev_finetune_read_as(call(c, "GET", id, "", "cannot get the job", res),
                               ev_finetune_together_job);
    jv st = ev_json_field(j, "status");
    bool failed = jv_is_valid(j) && strcmp(ev_json_str(st, ""), "failed") == 0;
    jv_free(st);
    if (!failed)
        return j;
    ev_rest_result r;
    jv list = events(c, id, &r);
    jv msg = jv_string("the job failed, and Together gave no reason");
    if (jv_is_valid(list)) {
        jv_array_foreach(list, i, e)
        {
            jv level = ev_json_field(e, "level");
            if (strcmp(ev_json_str(level, ""), "error") == 0) {
                jv_free(msg);
                msg = ev_json_field(e, "message");
            }
            jv_free(level);
            jv_free(e);
            (void)i;
        }
    }
    jv_free(list);
    return ev_json_set(j, "error", ev_json_set(jv_object(), "message", msg));
}

static jv
cancel(ev_rest *c, const char *id, ev_rest_result *res)
{
    return ev_finetune_read_as(call(c, "POST", id, "/cancel", "cannot cancel the job", res),
                               ev_finetune_together_job);
}

const ev_finetune_api ev_finetune_together = {
    .name = "together",
    .key_env = "TOGETHER_API_KEY",
    .url_env = "TOGETHER_BASE_URL",
    .url = "https://api.together.ai/v1",
    .min_examples = 1, /* MIN_SAMPLES of its SDK's file check */
    .upload = upload,
    .create = create,
    .find = find,
    .limits = limits,
    .job = job,
    .events = events,
    .cancel = cancel,
};
