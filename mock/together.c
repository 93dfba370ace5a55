#include "together.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "trainset.h"
#include "hash.h"
#include "json.h"
#include "steps.h"

/* The purposes and file types of Together's FileResponse. */
static const char *const purposes[] = {"fine-tune",   "eval",         "eval-sample",
                                       "eval-output", "eval-summary", "batch-generated",
                                       "batch-api"};
static const char *const file_types[] = {"jsonl", "csv", "parquet"};

/* A job's steps; a job the job-fail fault picks has one less, its last
 * "error" in place of uploading, and it reaches it at the end. */
enum step { S_PENDING, S_QUEUED, S_RUNNING, S_UPLOADING, S_COMPLETED, NSTEPS };

static const char *const step_names[NSTEPS] = {"pending", "queued", "running", "uploading",
                                               "completed"};

/* In fifths of --job-ms: a fifth pending, a fifth queued, two running and
 * a fifth uploading. */
static const int step_parts[NSTEPS - 1] = {1, 2, 4, 5};

/* The batch size a job of batch_size "max" reports, and the examples of a
 * training step: SIMULATED. */
#define MAX_BATCH 8

typedef struct tg_file {
    char *id, *filename, *purpose, *type;
    uint64_t hash; /* of the bytes, to find the same upload again */
    size_t len;
    long lines;
    int64_t created;
    bool checked;  /* a fine-tune file, checked by Together's rules */
    char *problem; /* the first problem when the check failed, else NULL */
    enum evm_trainset_format format;
    double examples, tokens;
    evm_learner_tally *tally;
} tg_file;

typedef struct tg_job {
    char *id, *model, *file, *vfile, *suffix;
    char *output, *object_id, *object_name;
    char *method, *type, *scheduler;           /* JSON texts; scheduler may be NULL */
    long epochs, checkpoints, evals, batch;    /* batch 0: "max" */
    double lr, warmup, grad_norm, decay, seed; /* seed NAN: none */
    bool packing, fail;
    const tg_file *data;
    evm_steps steps;     /* stopped when a cancel is asked */
    int64_t cancel_done; /* when the cancel is done; -1 not yet known */
    uint64_t key;
    evm_learner_tuned tuned;
} tg_job;

struct evm_together {
    evm_jobs_config c;
    pthread_mutex_t mu; /* guards everything below */
    tg_file **files;
    size_t nfiles;
    tg_job **jobs;
    size_t njobs;
};

/* bad returns a 400 whose message is 'msg' (a string). */
static evm_wire_reply
bad(jv msg, const char *param)
{
    return evm_wire_openai_reply(400, msg, param, NULL);
}

static evm_wire_reply
not_found(const char *what, const char *id)
{
    return evm_wire_openai_reply(404, jv_string_fmt("%s '%s' not found", what, id), NULL,
                                 "not_found");
}

evm_together *
evm_together_new(const evm_jobs_config *c)
{
    evm_together *t = ev_alloc_zero(1, sizeof(*t));
    t->c = *c;
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

static void
file_free(tg_file *x)
{
    free(x->id);
    free(x->filename);
    free(x->purpose);
    free(x->type);
    free(x->problem);
    evm_learner_tally_free(x->tally);
    free(x);
}

static void
job_free(tg_job *j)
{
    char *strings[] = {j->id,        j->model,       j->file,   j->vfile, j->suffix,   j->output,
                       j->object_id, j->object_name, j->method, j->type,  j->scheduler};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(strings[i]);
    free(j);
}

void
evm_together_free(evm_together *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nfiles; i++)
        file_free(t->files[i]);
    for (size_t i = 0; i < t->njobs; i++)
        job_free(t->jobs[i]);
    free(t->files);
    free(t->jobs);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* Lookups; callers hold the lock. */

static tg_file *
find_file(const evm_together *t, const char *id)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i]->id, id) == 0)
            return t->files[i];
    return NULL;
}

static tg_job *
find_job(const evm_together *t, const char *id)
{
    for (size_t i = 0; i < t->njobs; i++)
        if (strcmp(t->jobs[i]->id, id) == 0)
            return t->jobs[i];
    return NULL;
}

static const char *
one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return list[i];
    return NULL;
}

/* Files. */

static jv
file_json(const tg_file *x)
{
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("object"), jv_string("file"));
    o = jv_object_set(o, jv_string("created_at"), jv_number((double)(x->created / 1000)));
    o = jv_object_set(o, jv_string("filename"), jv_string(x->filename));
    o = jv_object_set(o, jv_string("bytes"), jv_number((double)x->len));
    o = jv_object_set(o, jv_string("purpose"), jv_string(x->purpose));
    o = jv_object_set(o, jv_string("FileType"), jv_string(x->type));
    o = jv_object_set(o, jv_string("Processed"), jv_true());
    o = jv_object_set(o, jv_string("LineCount"), jv_number((double)x->lines));
    o = jv_object_set(o, jv_string("processing_status"),
                      jv_string(x->problem ? "INVALID_FORMAT" : "COMPLETED"));
    jv report = jv_null();
    if (x->problem != NULL) {
        report = jv_object_set(jv_object(), jv_string("valid"), jv_false());
        report = jv_object_set(report, jv_string("error_type"), jv_string("INVALID_FORMAT"));
        report = jv_object_set(report, jv_string("error"), jv_string(x->problem));
    } else if (x->checked) {
        report = jv_object_set(jv_object(), jv_string("valid"), jv_true());
        report = jv_object_set(report, jv_string("dataset_format"),
                               jv_string(evm_trainset_format_name(x->format)));
        report = jv_object_set(report, jv_string("nlines"), jv_number((double)x->lines));
    }
    o = jv_object_set(o, jv_string("validation_report"), report);
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* count_lines counts the lines of 'data' that are not blank. */
static long
count_lines(const char *data, size_t len)
{
    long n = 0;
    bool blank = true;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            n += !blank;
            blank = true;
        } else if (strchr(" \t\r", data[i]) == NULL) {
            blank = false;
        }
    }
    return n + !blank;
}

/* new_file returns the file of the upload 'data' ('len' bytes), checked
 * when it is for fine-tuning; its id is set later. */
static tg_file *
new_file(const evm_together *t, const char *name, const char *purpose, const char *type,
         const char *data, size_t len, int64_t now)
{
    tg_file *x = ev_alloc_zero(1, sizeof(*x));
    x->filename = ev_alloc_strdup(name);
    x->purpose = ev_alloc_strdup(purpose);
    x->type = ev_alloc_strdup(type);
    x->hash = ev_hash_64(data, len, ev_hash_mix64(t->c.seed ^ 0x746f67ULL));
    x->len = len;
    x->lines = count_lines(data, len);
    x->created = now;
    x->checked = strcmp(purpose, "fine-tune") == 0;
    if (x->checked && strcmp(type, "jsonl") != 0) {
        x->problem = ev_alloc_strdup("ev-mock reads fine-tune files as jsonl only");
    } else if (x->checked) {
        evm_trainset d;
        evm_trainset_scan(&d, EVM_TRAINSET_TOGETHER, data, len, t->c.model);
        if (jv_get_kind(d.problem) == JV_KIND_STRING)
            x->problem = ev_alloc_strdup(jv_string_value(d.problem));
        x->format = d.format;
        x->examples = d.examples;
        x->tokens = d.tokens;
        x->tally = d.tally;
        d.tally = NULL;
        evm_trainset_free(&d);
    }
    return x;
}

/* form_text returns the text of field 'name' of the upload's form, or
 * NULL. */
static const char *
form_text(const evm_wire_http *h, const char *name)
{
    const evm_wire_field *f = evm_wire_form_get(h->form, name);
    return f != NULL ? f->data : NULL;
}

static evm_wire_reply
upload(evm_together *t, const evm_wire_http *h)
{
    const char *purpose = form_text(h, "purpose"), *name = form_text(h, "file_name");
    const char *type = form_text(h, "file_type");
    const evm_wire_field *file = evm_wire_form_get(h->form, "file");
    size_t np = sizeof(purposes) / sizeof(purposes[0]),
           nt = sizeof(file_types) / sizeof(*file_types);
    if (h->form == NULL)
        return bad(jv_string("The body must be multipart/form-data with the fields purpose, "
                             "file_name and file."),
                   NULL);
    if (purpose == NULL || name == NULL || file == NULL) {
        const char *missing = purpose == NULL ? "purpose" : name == NULL ? "file_name" : "file";
        return bad(jv_string_fmt("Missing required field '%s'.", missing), missing);
    }
    if (one_of(purpose, purposes, np) == NULL)
        return bad(jv_string_fmt("'%s' is not a purpose: want fine-tune, eval, eval-sample, "
                                 "eval-output, eval-summary, batch-generated or batch-api.",
                                 purpose),
                   "purpose");
    if (type != NULL && one_of(type, file_types, nt) == NULL)
        return bad(jv_string_fmt("'%s' is not a file type: want jsonl, csv or parquet.", type),
                   "file_type");
    tg_file *x = new_file(t, name, purpose, type ? type : "jsonl", file->data, file->len, h->now);
    uint64_t key = ev_hash_64(name, strlen(name) + 1, x->hash);
    key = ev_hash_64(purpose, strlen(purpose) + 1, key);
    pthread_mutex_lock(&t->mu);
    const tg_file *same = NULL;
    size_t dup = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        const tg_file *y = t->files[i];
        if (y->hash == x->hash && y->len == x->len && strcmp(y->purpose, x->purpose) == 0)
            same = same ? same : y;
        dup += y->hash == x->hash;
    }
    jv body;
    if (same != NULL) {
        body = file_json(same);
        file_free(x);
    } else {
        x->id = evm_wire_uuid("file-", key, dup);
        t->files = ev_alloc_array(t->files, t->nfiles + 1, sizeof(*t->files));
        t->files[t->nfiles++] = x;
        body = file_json(x);
    }
    pthread_mutex_unlock(&t->mu);
    return evm_wire_ok(body);
}

static evm_wire_reply
list_files(evm_together *t)
{
    jv data = jv_array();
    pthread_mutex_lock(&t->mu);
    for (size_t i = t->nfiles; i-- > 0;)
        data = jv_array_append(data, file_json(t->files[i]));
    pthread_mutex_unlock(&t->mu);
    return evm_wire_ok(jv_object_set(jv_object(), jv_string("data"), data));
}

static evm_wire_reply
get_file(evm_together *t, const char *id)
{
    pthread_mutex_lock(&t->mu);
    const tg_file *x = find_file(t, id);
    evm_wire_reply r = x ? evm_wire_ok(file_json(x)) : not_found("File", id);
    pthread_mutex_unlock(&t->mu);
    return r;
}

/* Jobs: their state at a time. */

static bool
cancelled(const tg_job *j, int64_t now)
{
    return evm_steps_stopped(&j->steps, now) && j->cancel_done >= 0 && j->cancel_done <= now;
}

static const char *
status(const tg_job *j, int64_t now)
{
    if (evm_steps_stopped(&j->steps, now))
        return cancelled(j, now) ? "cancelled" : "cancel_requested";
    int k = evm_steps_reached(&j->steps, now);
    return j->fail && k == S_UPLOADING ? "error" : step_names[k];
}

static bool
ended(const tg_job *j, int64_t now)
{
    return cancelled(j, now) || evm_steps_done(&j->steps, now);
}

static bool
completed(const tg_job *j, int64_t now)
{
    return !j->fail && !evm_steps_stopped(&j->steps, now) && evm_steps_done(&j->steps, now);
}

/* since returns when the job's current status began. */
static int64_t
since(const tg_job *j, int64_t now)
{
    if (evm_steps_stopped(&j->steps, now))
        return cancelled(j, now) ? j->cancel_done : j->steps.stopped;
    return j->steps.at[evm_steps_reached(&j->steps, now)];
}

/* steps_per_epoch returns the training steps of an epoch: the examples in
 * batches. */
static long
steps_per_epoch(const tg_job *j)
{
    long n = (long)ceil(j->data->examples / (double)(j->batch ? j->batch : MAX_BATCH));
    return n > 0 ? n : 1;
}

/* epoch_end returns when epoch 'e' (from 1) ends: evenly while the job
 * runs; -1 while that is not known (by poll, before it uploads). */
static int64_t
epoch_end(const tg_job *j, long e)
{
    const evm_steps *s = &j->steps;
    if (s->at[S_RUNNING] < 0 || s->at[S_UPLOADING] < 0)
        return -1;
    return s->at[S_RUNNING] + (s->at[S_UPLOADING] - s->at[S_RUNNING]) * e / j->epochs;
}

/* epochs_done returns the epochs done by 'now'; a failing job fails in its
 * first. */
static long
epochs_done(const tg_job *j, int64_t now)
{
    long e = 0;
    while (!j->fail && e < j->epochs && evm_steps_seen(&j->steps, epoch_end(j, e + 1), now))
        e++;
    return e;
}

static double
trained_tokens(const tg_job *j)
{
    return j->data->tokens * (double)j->epochs;
}

static jv
parsed(const char *text)
{
    return text != NULL ? jv_parse(text) : jv_null();
}

static jv
job_json(const tg_job *j, int64_t now)
{
    bool done = completed(j, now);
    double tokens = done ? trained_tokens(j) : 0;
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(j->id));
    o = jv_object_set(o, jv_string("status"), jv_string(status(j, now)));
    o = jv_object_set(o, jv_string("created_at"), evm_wire_time(j->steps.at[0]));
    o = jv_object_set(o, jv_string("updated_at"), evm_wire_time(since(j, now)));
    o = jv_object_set(o, jv_string("started_at"), evm_wire_time(since(j, now)));
    o = jv_object_set(o, jv_string("user_id"), jv_string("user_ev-mock"));
    o = jv_object_set(o, jv_string("model"), jv_string(j->model));
    o = jv_object_set(o, jv_string("model_output_name"), jv_string(j->output));
    if (j->suffix != NULL)
        o = jv_object_set(o, jv_string("suffix"), jv_string(j->suffix));
    o = jv_object_set(o, jv_string("training_file"), jv_string(j->file));
    if (j->vfile != NULL)
        o = jv_object_set(o, jv_string("validation_file"), jv_string(j->vfile));
    o = jv_object_set(o, jv_string("n_epochs"), jv_number((double)j->epochs));
    o = jv_object_set(o, jv_string("n_checkpoints"), jv_number((double)j->checkpoints));
    o = jv_object_set(o, jv_string("n_evals"), jv_number((double)j->evals));
    o = jv_object_set(o, jv_string("batch_size"),
                      jv_number((double)(j->batch ? j->batch : MAX_BATCH)));
    o = jv_object_set(o, jv_string("learning_rate"), jv_number(j->lr));
    if (j->scheduler != NULL)
        o = jv_object_set(o, jv_string("lr_scheduler"), parsed(j->scheduler));
    o = jv_object_set(o, jv_string("warmup_ratio"), jv_number(j->warmup));
    o = jv_object_set(o, jv_string("max_grad_norm"), jv_number(j->grad_norm));
    o = jv_object_set(o, jv_string("weight_decay"), jv_number(j->decay));
    o = jv_object_set(o, jv_string("random_seed"), ev_json_finite(j->seed));
    o = jv_object_set(o, jv_string("packing"), jv_bool(j->packing));
    o = jv_object_set(o, jv_string("training_method"), parsed(j->method));
    o = jv_object_set(o, jv_string("training_type"), parsed(j->type));
    o = jv_object_set(o, jv_string("token_count"), jv_number(tokens));
    o = jv_object_set(o, jv_string("total_price"),
                      jv_number(round(tokens * EVM_TOGETHER_TRAIN_USD_PER_M * 1000)));
    o = jv_object_set(o, jv_string("trainingfile_numlines"), jv_number((double)j->data->lines));
    o = jv_object_set(o, jv_string("trainingfile_size"), jv_number((double)j->data->len));
    o = jv_object_set(o, jv_string("epochs_completed"), jv_number((double)epochs_done(j, now)));
    jv progress = jv_object_set(jv_object(), jv_string("estimate_available"), jv_false());
    progress = jv_object_set(progress, jv_string("seconds_remaining"), jv_number(0));
    o = jv_object_set(o, jv_string("progress"), progress);
    if (done) {
        o = jv_object_set(o, jv_string("model_object_id"), jv_string(j->object_id));
        o = jv_object_set(o, jv_string("model_object_name"), jv_string(j->object_name));
    }
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* Creating a job. */

/* text reads the optional string 'key' of 'req' into '*out' (a copy, or
 * NULL when absent or null); false when it is not a string. */
static bool
text(jv req, const char *key, char **out)
{
    jv v = ev_json_field(req, key);
    bool ok = !jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL;
    if (jv_get_kind(v) == JV_KIND_STRING) {
        ok = true;
        *out = ev_alloc_strdup(jv_string_value(v));
    }
    jv_free(v);
    return ok;
}

static char *
dump(jv v)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    char *out = ev_alloc_strdup(jv_string_value(s));
    jv_free(s);
    return out;
}

/* read_method reads training_method of 'req' into the job: sft (the
 * default, train_on_inputs "auto") or dpo. Returns null or what is wrong. */
static jv
read_method(jv req, tg_job *j, bool *dpo)
{
    jv m = ev_json_field(req, "training_method");
    jv out = jv_null();
    if (!jv_is_valid(m) || jv_get_kind(m) == JV_KIND_NULL) {
        jv_free(m);
        m = jv_object_set(jv_object(), jv_string("method"), jv_string("sft"));
        m = jv_object_set(m, jv_string("train_on_inputs"), jv_string("auto"));
    }
    jv method = ev_json_field(m, "method"), inputs = ev_json_field(m, "train_on_inputs");
    jv beta = ev_json_field(m, "dpo_beta");
    const char *name = ev_json_str(method, "");
    *dpo = strcmp(name, "dpo") == 0;
    if (jv_get_kind(m) != JV_KIND_OBJECT || (strcmp(name, "sft") != 0 && !*dpo))
        out = jv_string("`training_method.method` must be 'sft' or 'dpo'");
    else if (!*dpo && jv_get_kind(inputs) != JV_KIND_TRUE && jv_get_kind(inputs) != JV_KIND_FALSE &&
             strcmp(ev_json_str(inputs, ""), "auto") != 0)
        out = jv_string("`training_method.train_on_inputs` is required for sft: true, false or "
                        "'auto'");
    else if (*dpo && jv_is_valid(beta) &&
             !(jv_get_kind(beta) == JV_KIND_NUMBER && jv_number_value(beta) > 0))
        out = jv_string("`training_method.dpo_beta` must be a number above 0");
    else
        j->method = dump(jv_copy(m));
    jv_free(m);
    jv_free(method);
    jv_free(inputs);
    jv_free(beta);
    return out;
}

/* read_type reads training_type of 'req' into the job: LoRA (the default,
 * rank 64, alpha 128) or Full. Returns null or what is wrong. */
static jv
read_type(jv req, tg_job *j)
{
    jv t = ev_json_field(req, "training_type");
    if (!jv_is_valid(t) || jv_get_kind(t) == JV_KIND_NULL) {
        jv_free(t);
        t = jv_object_set(jv_object(), jv_string("type"), jv_string("Lora"));
        t = jv_object_set(t, jv_string("lora_r"), jv_number(64));
        t = jv_object_set(t, jv_string("lora_alpha"), jv_number(128));
    }
    jv type = ev_json_field(t, "type");
    const char *name = ev_json_str(type, "");
    double r = NAN, alpha = NAN, dropout = 0;
    jv out = jv_null();
    if (jv_get_kind(t) != JV_KIND_OBJECT ||
        (strcmp(name, "Lora") != 0 && strcmp(name, "Full") != 0))
        out = jv_string("`training_type.type` must be 'Lora' or 'Full'");
    else if (strcmp(name, "Lora") == 0 &&
             (!evm_wire_number(t, "lora_r", 1, 1024, true, &r) ||
              !evm_wire_number(t, "lora_alpha", 1, 1e6, true, &alpha) || isnan(r) || isnan(alpha)))
        out = jv_string("`training_type.lora_r` and `lora_alpha` are required for Lora: whole "
                        "numbers of 1 or more");
    else if (strcmp(name, "Lora") == 0 &&
             (!evm_wire_number(t, "lora_dropout", 0, 1, false, &dropout) || dropout >= 1))
        out = jv_string("`training_type.lora_dropout` must be from 0 to below 1");
    bool lora = strcmp(name, "Lora") == 0,
         modules = jv_get_kind(t) == JV_KIND_OBJECT &&
                   jv_object_has(jv_copy(t), jv_string("lora_trainable_modules"));
    jv_free(type);
    if (jv_get_kind(out) == JV_KIND_NULL && lora) {
        t = jv_object_set(t, jv_string("lora_dropout"), jv_number(dropout));
        if (!modules)
            t = jv_object_set(t, jv_string("lora_trainable_modules"), jv_string("all-linear"));
    }
    if (jv_get_kind(out) == JV_KIND_NULL)
        j->type = dump(jv_copy(t));
    jv_free(t);
    return out;
}

/* read_request reads the request 'req' into 'j'. Returns null, or what is
 * wrong with '*param' naming the field. */
static jv
read_request(jv req, tg_job *j, bool *dpo, const char **param)
{
    double epochs = 1, checkpoints = 1, evals = 0, batch = 0;
    j->lr = 1e-5;
    j->grad_norm = 1;
    j->seed = NAN;
    j->packing = true;
    jv batch_v = ev_json_field(req, "batch_size"), packing = ev_json_field(req, "packing");
    jv sched = ev_json_field(req, "lr_scheduler");
    bool max = strcmp(ev_json_str(batch_v, ""), "max") == 0;
    bool packing_ok = !jv_is_valid(packing) || jv_get_kind(packing) == JV_KIND_TRUE ||
                      jv_get_kind(packing) == JV_KIND_FALSE;
    bool sched_ok = !jv_is_valid(sched) || jv_get_kind(sched) == JV_KIND_NULL ||
                    jv_get_kind(sched) == JV_KIND_OBJECT;
    /* the first field that is wrong, in the order of the spec */
    if (!text(req, "training_file", &j->file) || j->file == NULL)
        *param = "training_file";
    else if (!text(req, "model", &j->model) || j->model == NULL || *j->model == '\0')
        *param = "model";
    else if (!text(req, "validation_file", &j->vfile))
        *param = "validation_file";
    else if (!text(req, "suffix", &j->suffix) || (j->suffix != NULL && strlen(j->suffix) > 40))
        *param = "suffix";
    else if (!evm_wire_number(req, "n_epochs", 1, 1000, true, &epochs))
        *param = "n_epochs";
    else if (!evm_wire_number(req, "n_checkpoints", 1, 1000, true, &checkpoints))
        *param = "n_checkpoints";
    else if (!evm_wire_number(req, "n_evals", 0, 1000, true, &evals))
        *param = "n_evals";
    else if (!max && !evm_wire_number(req, "batch_size", 1, 1e6, true, &batch))
        *param = "batch_size";
    else if (!evm_wire_number(req, "learning_rate", 1e-12, 1, false, &j->lr))
        *param = "learning_rate";
    else if (!evm_wire_number(req, "warmup_ratio", 0, 1, false, &j->warmup))
        *param = "warmup_ratio";
    else if (!evm_wire_number(req, "max_grad_norm", 0, 1e9, false, &j->grad_norm))
        *param = "max_grad_norm";
    else if (!evm_wire_number(req, "weight_decay", 0, 1e9, false, &j->decay))
        *param = "weight_decay";
    else if (!evm_wire_number(req, "random_seed", -2147483648.0, 2147483647.0, true, &j->seed))
        *param = "random_seed";
    else if (!packing_ok)
        *param = "packing";
    else if (!sched_ok)
        *param = "lr_scheduler";
    jv out = *param == NULL                  ? jv_null()
             : strcmp(*param, "suffix") == 0 ? jv_string("`suffix` must be a string of "
                                                         "at most 40 characters")
             : strcmp(*param, "training_file") == 0 || strcmp(*param, "model") == 0
                 ? jv_string_fmt("`%s` is required: a string", *param)
                 : jv_string_fmt("`%s` is out of range or of the wrong type", *param);
    if (jv_get_kind(out) == JV_KIND_NULL &&
        jv_get_kind(out = read_method(req, j, dpo)) != JV_KIND_NULL)
        *param = "training_method";
    else if (jv_get_kind(out) == JV_KIND_NULL &&
             jv_get_kind(out = read_type(req, j)) != JV_KIND_NULL)
        *param = "training_type";
    j->epochs = (long)epochs;
    j->checkpoints = (long)checkpoints;
    j->evals = (long)evals;
    j->batch = (long)batch;
    j->packing = jv_get_kind(packing) != JV_KIND_FALSE;
    if (jv_get_kind(sched) == JV_KIND_OBJECT)
        j->scheduler = dump(jv_copy(sched));
    jv_free(batch_v);
    jv_free(packing);
    jv_free(sched);
    return out;
}

/* usable returns what keeps the file 'id' from training (for 'dpo' or
 * not), or null; '*x' is the file. */
static jv
usable(const evm_together *t, const char *id, bool dpo, const tg_file **x)
{
    *x = find_file(t, id);
    if (*x == NULL)
        return jv_string_fmt("File '%s' not found", id);
    if (strcmp((*x)->purpose, "fine-tune") != 0)
        return jv_string_fmt("File '%s' has purpose '%s', not 'fine-tune'", id, (*x)->purpose);
    if ((*x)->problem != NULL)
        return jv_string_fmt("File '%s' is invalid: %s", id, (*x)->problem);
    if (dpo != ((*x)->format == EVM_TRAINSET_PREFERENCE))
        return jv_string_fmt(dpo ? "File '%s' is not in the preference format that dpo needs"
                                 : "File '%s' is in the preference format, which needs method "
                                   "dpo",
                             id);
    return jv_null();
}

/* check_files returns what keeps the training file of 'j' (or its
 * validation file) from training, with '*param' naming it, or null; '*x'
 * and '*v' are the files. The lock is held. */
static jv
check_files(const evm_together *t, const tg_job *j, bool dpo, const tg_file **x, const tg_file **v,
            const char **param)
{
    jv why = usable(t, j->file, dpo, x);
    if (jv_get_kind(why) != JV_KIND_NULL)
        *param = "training_file";
    else if (j->vfile != NULL && jv_get_kind(why = usable(t, j->vfile, dpo, v)) != JV_KIND_NULL)
        *param = "validation_file";
    return why;
}

/* name_job gives 'j' its id, output names and fate; the lock is held. */
static void
name_job(evm_together *t, tg_job *j)
{
    uint64_t key =
        ev_hash_64(j->file, strlen(j->file) + 1, ev_hash_mix64(t->c.seed ^ 0x74676a6fULL));
    key = ev_hash_64(j->model, strlen(j->model) + 1, key);
    key = ev_hash_64(j->suffix ? j->suffix : "", strlen(j->suffix ? j->suffix : "") + 1, key);
    j->key = key;
    size_t dup = 0;
    for (size_t i = 0; i < t->njobs; i++)
        dup += t->jobs[i]->key == key;
    j->id = evm_wire_uuid("ft-", key, dup);
    const char *slash = strrchr(j->model, '/'), *base = slash ? slash + 1 : j->model;
    uint64_t h = ev_hash_64(j->id, strlen(j->id), 0);
    char *name = j->suffix ? ev_alloc_printf("%s-%s-%08" PRIx64, base, j->suffix, h >> 32)
                           : ev_alloc_printf("%s-%08" PRIx64, base, h >> 32);
    j->output = ev_alloc_printf("ev-mock/%s", name);
    j->object_name = ev_alloc_printf("ev-mock/%s", name);
    j->object_id = evm_wire_id("ml_", h, 0);
    free(name);
    j->fail = t->c.faults != NULL && evm_fault_job_fails(t->c.faults, j->id);
}

static evm_wire_reply
create(evm_together *t, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    if (!jv_is_valid(req))
        return bad(jv_string("The request body must be a JSON object."), NULL);
    tg_job *j = ev_alloc_zero(1, sizeof(*j));
    const char *param = NULL;
    bool dpo = false;
    jv why = read_request(req, j, &dpo, &param);
    jv_free(req);
    const tg_file *x = NULL, *v = NULL;
    pthread_mutex_lock(&t->mu);
    if (jv_get_kind(why) == JV_KIND_NULL) {
        jv_free(why);
        why = check_files(t, j, dpo, &x, &v, &param);
    }
    if (jv_get_kind(why) != JV_KIND_NULL) {
        pthread_mutex_unlock(&t->mu);
        job_free(j);
        return bad(why, param);
    }
    jv_free(why);
    j->data = x;
    name_job(t, j);
    j->tuned = (evm_learner_tuned){&t->c.params, j->id, x->tally};
    j->cancel_done = -1;
    evm_steps_start(&j->steps, j->fail ? NSTEPS - 1 : NSTEPS, h->now, t->c.job_ms, t->c.by_poll,
                    step_parts);
    t->jobs = ev_alloc_array(t->jobs, t->njobs + 1, sizeof(*t->jobs));
    t->jobs[t->njobs++] = j;
    evm_wire_reply r = evm_wire_ok(job_json(j, h->now));
    r.lost = t->c.faults != NULL && evm_fault_lost_id(t->c.faults, j->id);
    pthread_mutex_unlock(&t->mu);
    return r;
}

/* poll moves a job one step, by poll: a cancel asked is done, else the
 * next step is reached. */
static void
poll(evm_together *t, tg_job *j, int64_t now)
{
    if (!t->c.by_poll)
        return;
    if (evm_steps_stopped(&j->steps, now) && j->cancel_done < 0)
        j->cancel_done = now;
    else
        evm_steps_poll(&j->steps, now);
}

static evm_wire_reply
get_job(evm_together *t, const char *id, int64_t now)
{
    pthread_mutex_lock(&t->mu);
    tg_job *j = find_job(t, id);
    if (j != NULL)
        poll(t, j, now);
    evm_wire_reply r = j ? evm_wire_ok(job_json(j, now)) : not_found("Fine-tune job", id);
    pthread_mutex_unlock(&t->mu);
    return r;
}

static evm_wire_reply
list_jobs(evm_together *t, int64_t now)
{
    jv data = jv_array();
    pthread_mutex_lock(&t->mu);
    for (size_t i = t->njobs; i-- > 0;)
        data = jv_array_append(data, job_json(t->jobs[i], now));
    pthread_mutex_unlock(&t->mu);
    return evm_wire_ok(jv_object_set(jv_object(), jv_string("data"), data));
}

static evm_wire_reply
cancel(evm_together *t, const char *id, int64_t now)
{
    pthread_mutex_lock(&t->mu);
    tg_job *j = find_job(t, id);
    evm_wire_reply r;
    if (j == NULL) {
        r = not_found("Fine-tune job", id);
    } else if (ended(j, now) || evm_steps_stopped(&j->steps, now)) {
        r = bad(jv_string_fmt("Fine-tune job %s cannot be cancelled: it is %s", id, status(j, now)),
                NULL);
    } else {
        evm_steps_stop(&j->steps, now);
        long ms = t->c.job_ms / 10;
        j->cancel_done = t->c.by_poll ? -1 : now + (ms > 1 ? ms : 1);
        r = evm_wire_ok(job_json(j, now));
    }
    pthread_mutex_unlock(&t->mu);
    return r;
}

/* Events. */

static jv
event(const tg_job *j, int64_t at, const char *level, const char *type, jv message, long step)
{
    jv e = jv_object_set(jv_object(), jv_string("object"), jv_string("fine-tune-event"));
    e = jv_object_set(e, jv_string("created_at"), evm_wire_time(at));
    e = jv_object_set(e, jv_string("level"), jv_string(level));
    e = jv_object_set(e, jv_string("message"), message);
    e = jv_object_set(e, jv_string("type"), jv_string(type));
    e = jv_object_set(e, jv_string("param_count"), jv_number(0));
    bool end = strcmp(type, "job_complete") == 0;
    e = jv_object_set(e, jv_string("token_count"), jv_number(end ? trained_tokens(j) : 0));
    e = jv_object_set(e, jv_string("total_steps"),
                      jv_number((double)(steps_per_epoch(j) * j->epochs)));
    e = jv_object_set(e, jv_string("wandb_url"), jv_string(""));
    e = jv_object_set(e, jv_string("step"), jv_number((double)step));
    e = jv_object_set(e, jv_string("checkpoint_path"), jv_string(""));
    e = jv_object_set(e, jv_string("model_path"), jv_string(end ? j->output : ""));
    e = jv_object_set(e, jv_string("training_offset"), jv_number(0));
    return jv_object_set(e, jv_string("hash"), jv_string(""));
}

/* events returns the job's events at 'now', oldest first. */
static jv
events(const tg_job *j, int64_t now)
{
    const evm_steps *s = &j->steps;
    char when[32];
    jv list = jv_array_append(jv_array(), event(j, s->at[0], "info", "job_pending",
                                                jv_string("Fine tune request created"), 0));
    if (evm_steps_seen(s, s->at[S_RUNNING], now)) {
        evm_wire_rfc3339(when, sizeof(when), s->at[S_RUNNING]);
        list = jv_array_append(list, event(j, s->at[S_RUNNING], "info", "job_start",
                                           jv_string_fmt("Job started at %s", when), 0));
        list = jv_array_append(list, event(j, s->at[S_RUNNING], "info", "training_start",
                                           jv_string_fmt("Training started for %s", j->model), 0));
    }
    long done = epochs_done(j, now), steps = steps_per_epoch(j);
    for (long e = 1; e <= done; e++)
        list = jv_array_append(list, event(j, epoch_end(j, e), "info", "epoch_complete",
                                           jv_string_fmt("Epoch completed, at step %ld", e * steps),
                                           e * steps));
    if (j->fail && evm_steps_seen(s, s->at[S_UPLOADING], now)) {
        list = jv_array_append(
            list, event(j, s->at[S_UPLOADING], "error", "job_error",
                        jv_string_fmt("Job %s failed: internal error (simulated by ev-mock's "
                                      "job-fail fault)",
                                      j->id),
                        0));
    } else if (evm_steps_seen(s, s->at[S_UPLOADING], now)) {
        list = jv_array_append(list, event(j, s->at[S_UPLOADING], "info", "model_uploading",
                                           jv_string("Uploading output model"), 0));
    }
    if (completed(j, now)) {
        evm_wire_rfc3339(when, sizeof(when), s->at[S_COMPLETED]);
        list = jv_array_append(list, event(j, s->at[S_COMPLETED], "info", "model_upload_complete",
                                           jv_string("Model upload complete"), 0));
        list = jv_array_append(list, event(j, s->at[S_COMPLETED], "info", "job_complete",
                                           jv_string_fmt("Job finished at %s", when), 0));
    }
    if (evm_steps_stopped(s, now))
        list = jv_array_append(list, event(j, s->stopped, "info", "cancel_requested",
                                           jv_string("Cancel requested"), 0));
    if (cancelled(j, now))
        list = jv_array_append(
            list, event(j, j->cancel_done, "info", "job_stopped", jv_string("Job stopped"), 0));
    return list;
}

static evm_wire_reply
list_events(evm_together *t, const char *id, int64_t now)
{
    pthread_mutex_lock(&t->mu);
    const tg_job *j = find_job(t, id);
    evm_wire_reply r =
        j ? evm_wire_ok(jv_object_set(jv_object(), jv_string("data"), events(j, now)))
          : not_found("Fine-tune job", id);
    pthread_mutex_unlock(&t->mu);
    return r;
}

/* estimate answers POST /v1/fine-tunes/estimate-price. */
static evm_wire_reply
estimate(evm_together *t, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    if (!jv_is_valid(req))
        return bad(jv_string("The request body must be a JSON object."), NULL);
    tg_job *j = ev_alloc_zero(1, sizeof(*j));
    double epochs = 1, evals = 0;
    bool dpo = false;
    jv why = jv_null();
    const char *param = NULL;
    if (!text(req, "training_file", &j->file) || j->file == NULL) {
        param = "training_file";
    } else if (!text(req, "validation_file", &j->vfile)) {
        param = "validation_file";
    } else if (!evm_wire_number(req, "n_epochs", 1, 1000, true, &epochs)) {
        param = "n_epochs";
    } else if (!evm_wire_number(req, "n_evals", 0, 1000, true, &evals)) {
        param = "n_evals";
    } else if (jv_get_kind(why = read_method(req, j, &dpo)) != JV_KIND_NULL) {
        param = "training_method";
    }
    if (param != NULL && jv_get_kind(why) == JV_KIND_NULL) {
        jv_free(why);
        why = jv_string_fmt("`%s` is missing, out of range or of the wrong type", param);
    }
    jv_free(req);
    const tg_file *x = NULL, *v = NULL;
    pthread_mutex_lock(&t->mu);
    if (jv_get_kind(why) == JV_KIND_NULL) {
        jv_free(why);
        why = check_files(t, j, dpo, &x, &v, &param);
    }
    double train = x ? x->tokens * epochs : 0, eval = v ? v->tokens * evals : 0;
    pthread_mutex_unlock(&t->mu);
    job_free(j);
    if (jv_get_kind(why) != JV_KIND_NULL)
        return bad(why, param);
    jv_free(why);
    double price = train * EVM_TOGETHER_TRAIN_USD_PER_M / 1e6, limit = 1000;
    jv o = jv_object_set(jv_object(), jv_string("estimated_total_price"), jv_number(price));
    o = jv_object_set(o, jv_string("allowed_to_proceed"), jv_bool(price <= limit));
    o = jv_object_set(o, jv_string("user_limit"), jv_number(limit));
    o = jv_object_set(o, jv_string("estimated_train_token_count"), jv_number(train));
    o = jv_object_set(o, jv_string("estimated_eval_token_count"), jv_number(eval));
    return evm_wire_ok(jv_object_set(o, jv_string("simulated"), jv_true()));
}

evm_wire_reply
evm_together_serve(evm_together *t, const evm_wire_http *h)
{
    bool post = strcmp(h->method, "POST") == 0, get = strcmp(h->method, "GET") == 0;
    const char *p = h->path;
    char *id[1] = {NULL};
    evm_wire_reply r = {0, jv_invalid(), false};
    if (post && evm_wire_match(p, "/v1/files/upload", id))
        r = upload(t, h);
    else if (get && evm_wire_match(p, "/v1/files", id))
        r = list_files(t);
    else if (get && evm_wire_match(p, "/v1/files/*", id))
        r = get_file(t, id[0]);
    else if (post && evm_wire_match(p, "/v1/fine-tunes", id))
        r = create(t, h);
    else if (get && evm_wire_match(p, "/v1/fine-tunes", id))
        r = list_jobs(t, h->now);
    else if (post && evm_wire_match(p, "/v1/fine-tunes/estimate-price", id))
        r = estimate(t, h);
    else if (get && evm_wire_match(p, "/v1/fine-tunes/*", id))
        r = get_job(t, id[0], h->now);
    else if (get && evm_wire_match(p, "/v1/fine-tunes/*/events", id))
        r = list_events(t, id[0], h->now);
    else if (post && evm_wire_match(p, "/v1/fine-tunes/*/cancel", id))
        r = cancel(t, id[0], h->now);
    free(id[0]);
    if (r.status != 0)
        return r;
    return evm_wire_openai_reply(404, jv_string_fmt("Unknown request URL: %s %s", h->method, p),
                                 NULL, "unknown_url");
}

bool
evm_together_tuned(evm_together *t, const char *id, int64_t now, evm_together_model *m)
{
    pthread_mutex_lock(&t->mu);
    const tg_job *j = NULL;
    for (size_t i = 0; j == NULL && i < t->njobs; i++)
        if (strcmp(t->jobs[i]->object_id, id) == 0 && completed(t->jobs[i], now))
            j = t->jobs[i];
    if (j != NULL)
        *m = (evm_together_model){j->object_id, j->object_name, j->model, &j->tuned};
    pthread_mutex_unlock(&t->mu);
    return j != NULL;
}

bool
evm_together_is_output(evm_together *t, const char *name)
{
    pthread_mutex_lock(&t->mu);
    bool found = false;
    for (size_t i = 0; !found && i < t->njobs; i++)
        found = strcmp(t->jobs[i]->output, name) == 0 || strcmp(t->jobs[i]->object_name, name) == 0;
    pthread_mutex_unlock(&t->mu);
    return found;
}

jv
evm_together_stats(evm_together *t, int64_t now)
{
    static const char *const all[] = {"pending",          "queued",    "running", "uploading",
                                      "cancel_requested", "cancelled", "error",   "completed"};
    jv by = jv_object();
    pthread_mutex_lock(&t->mu);
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < t->njobs; i++)
            n += strcmp(status(t->jobs[i], now), all[k]) == 0;
        by = jv_object_set(by, jv_string(all[k]), jv_number((double)n));
    }
    jv o = jv_object_set(jv_object(), jv_string("files"), jv_number((double)t->nfiles));
    o = jv_object_set(o, jv_string("jobs"), jv_number((double)t->njobs));
    pthread_mutex_unlock(&t->mu);
    return jv_object_set(o, jv_string("by_status"), by);
}
