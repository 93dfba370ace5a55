#include "fireworks.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "trainset.h"
#include "hash.h"
#include "json.h"
#include "learner.h"
#include "steps.h"
#include "together.h"

/* A job's states; a job the job-fail fault picks has one less, its last
 * _FAILED in place of writing results, and it reaches it at the end. */
enum step { S_CREATING, S_PENDING, S_RUNNING, S_WRITING, S_COMPLETED, NSTEPS };

static const char *const job_states[NSTEPS] = {"JOB_STATE_CREATING", "JOB_STATE_PENDING",
                                               "JOB_STATE_RUNNING", "JOB_STATE_WRITING_RESULTS",
                                               "JOB_STATE_COMPLETED"};

/* In fifths of --job-ms, as Together's (together.h). */
static const int step_parts[NSTEPS - 1] = {1, 2, 4, 5};

/* A slow deployment is CREATING for ten times as long, one step a tenth. */
#define SLOW_STEPS 11

/* The public base models (accounts/fireworks/models/ID) and their
 * contexts, from Fireworks' table of tunable models, which does not list
 * llama-v3p1-8b-instruct; --learner makes its base tunable too. */
static const struct {
    const char *id;
    long context;
    bool tunable;
} bases[] = {
    {"qwen3-8b", 256000, true},       {"qwen3-4b", 65536, true},
    {"qwen3p5-9b", 256000, true},     {"qwen3-32b", 131072, true},
    {"qwen3-30b-a3b", 131072, true},  {"llama-v3p3-70b-instruct", 131072, true},
    {"gemma-4-31b-it", 262144, true}, {"llama-v3p1-8b-instruct", 131072, false},
};

#define NBASES (sizeof(bases) / sizeof(bases[0]))
#define BASES "accounts/fireworks/models/"

/* The fields the SDK knows, of a supervised job, of a DPO job and of its
 * trainingConfig. */
static const char *const sft_fields[] = {
    "dataset",
    "baseModel",
    "warmStartFrom",
    "outputModel",
    "displayName",
    "epochs",
    "learningRate",
    "learningRateWarmupSteps",
    "lrScheduler",
    "loraRank",
    "maxContextLength",
    "batchSizeSamples",
    "evaluationDataset",
    "evalAutoCarveout",
    "optimizerWeightDecay",
    "wandbConfig",
    "region",
    "isTurbo",
    "nodes",
    "usePurpose",
    "awsS3Config",
    "azureBlobStorageConfig",
    "batchSize",
    "gradientAccumulationSteps",
    "jinjaTemplate",
    "earlyStop",
    "mtpEnabled",
    "mtpNumDraftTokens",
    "mtpFreezeBaseModel",
    NULL,
};
static const char *const dpo_fields[] = {
    "dataset",     "displayName", "trainingConfig",         "lossConfig",
    "wandbConfig", "awsS3Config", "azureBlobStorageConfig", NULL,
};
static const char *const training_fields[] = {
    "baseModel",
    "warmStartFrom",
    "outputModel",
    "epochs",
    "learningRate",
    "learningRateWarmupSteps",
    "loraRank",
    "maxContextLength",
    "batchSizeSamples",
    "optimizerWeightDecay",
    "region",
    "batchSize",
    "gradientAccumulationSteps",
    "jinjaTemplate",
    NULL,
};

typedef struct fw_dataset {
    char *id, *name, *display, *format, *filename;
    int64_t created, updated;
    double declared; /* exampleCount as the client gave it, or -1 */
    bool ready, deleted;
    size_t len;
    enum evm_trainset_format kind;
    double examples, tokens;
    evm_learner_tally *tally;
} fw_dataset;

typedef struct fw_job {
    bool dpo, fail, deleted;
    char *id, *name, *dataset, *eval, *base, *warm, *output, *display;
    double epochs, lr, beta;
    long rank, context, batch, warmup;
    const fw_dataset *data;
    evm_steps steps;
    evm_learner_tuned tuned;
} fw_job;

typedef struct fw_deployment {
    char *id, *name, *model, *display, *accelerator;
    long min, max;
    bool addons, slow, deleted;
    const fw_job *job; /* of the model it serves; NULL for a base model */
    evm_steps up, gone;
    int64_t created, updated;
} fw_deployment;

struct evm_fireworks {
    evm_jobs_config c;
    char *account;
    pthread_mutex_t mu; /* guards everything below */
    fw_dataset **datasets;
    size_t ndatasets;
    fw_job **jobs;
    size_t njobs;
    fw_deployment **deployments;
    size_t ndeployments;
};

static evm_wire_reply
fail(enum evm_wire_grpc code, jv msg)
{
    return evm_wire_grpc_reply(code, msg);
}

static evm_wire_reply
invalid(jv msg)
{
    return fail(EVM_WIRE_GRPC_INVALID_ARGUMENT, msg);
}

static evm_wire_reply
not_found(const char *what, const char *name)
{
    return fail(EVM_WIRE_GRPC_NOT_FOUND, jv_string_fmt("%s '%s' not found", what, name));
}

/* add appends 'x' to the array '*list' of '*n'. */
static void
add(void *list, size_t *n, void *x)
{
    void ***l = list;
    *l = ev_alloc_array(*l, *n + 1, sizeof(**l));
    (*l)[(*n)++] = x;
}

evm_fireworks *
evm_fireworks_new(const evm_jobs_config *c, const char *account)
{
    evm_fireworks *f = ev_alloc_zero(1, sizeof(*f));
    f->c = *c;
    f->account = ev_alloc_strdup(account);
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

void
evm_fireworks_free(evm_fireworks *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->ndatasets; i++) {
        fw_dataset *x = f->datasets[i];
        char *s[] = {x->id, x->name, x->display, x->format, x->filename};
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
            free(s[k]);
        evm_learner_tally_free(x->tally);
        free(x);
    }
    for (size_t i = 0; i < f->njobs; i++) {
        fw_job *j = f->jobs[i];
        char *s[] = {j->id, j->name, j->dataset, j->eval, j->base, j->warm, j->output, j->display};
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
            free(s[k]);
        free(j);
    }
    for (size_t i = 0; i < f->ndeployments; i++) {
        fw_deployment *x = f->deployments[i];
        char *s[] = {x->id, x->name, x->model, x->display, x->accelerator};
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
            free(s[k]);
        free(x);
    }
    free(f->datasets);
    free(f->jobs);
    free(f->deployments);
    free(f->account);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static jv
ok_status(void)
{
    jv s = jv_object_set(jv_object(), jv_string("code"), jv_string("OK"));
    return jv_object_set(s, jv_string("message"), jv_string(""));
}

/* name_in returns the id of the name 'name' of the account's 'kind'
 * ("accounts/A/KIND/ID"), or NULL; the caller frees it. */
static char *
name_in(const evm_fireworks *f, const char *name, const char *kind)
{
    char *cap[2] = {NULL, NULL};
    jv pattern = jv_string_fmt("accounts/*/%s/*", kind);
    bool ok = evm_wire_match(name, jv_string_value(pattern), cap);
    jv_free(pattern);
    if (ok && strcmp(cap[0], f->account) == 0) {
        free(cap[0]);
        return cap[1];
    }
    free(cap[0]);
    free(cap[1]);
    return NULL;
}

/* Lookups; callers hold the lock. Deleted things are not found. */

static fw_dataset *
find_dataset(const evm_fireworks *f, const char *id)
{
    for (size_t i = 0; i < f->ndatasets; i++)
        if (!f->datasets[i]->deleted && strcmp(f->datasets[i]->id, id) == 0)
            return f->datasets[i];
    return NULL;
}

static fw_job *
find_job(const evm_fireworks *f, const char *id, bool dpo)
{
    for (size_t i = 0; i < f->njobs; i++) {
        fw_job *j = f->jobs[i];
        if (!j->deleted && j->dpo == dpo && strcmp(j->id, id) == 0)
            return j;
    }
    return NULL;
}

static fw_deployment *
find_deployment(const evm_fireworks *f, const char *id)
{
    for (size_t i = 0; i < f->ndeployments; i++)
        if (strcmp(f->deployments[i]->id, id) == 0)
            return f->deployments[i];
    return NULL;
}

/* made returns the job that makes the output model 'name', or NULL. */
static fw_job *
made(const evm_fireworks *f, const char *name)
{
    for (size_t i = 0; i < f->njobs; i++)
        if (!f->jobs[i]->deleted && strcmp(f->jobs[i]->output, name) == 0)
            return f->jobs[i];
    return NULL;
}

static bool
completed(const fw_job *j, int64_t now)
{
    return !j->fail && !j->deleted && evm_steps_done(&j->steps, now);
}

/* base_context returns the context of the public base model 'name', 0 when
 * it is not one; '*tunable' says whether it may be tuned. */
static long
base_context(const evm_fireworks *f, const char *name, bool *tunable)
{
    *tunable = f->c.learner != NULL && strcmp(name, f->c.learner) == 0;
    for (size_t i = 0; strncmp(name, BASES, strlen(BASES)) == 0 && i < NBASES; i++)
        if (strcmp(name + strlen(BASES), bases[i].id) == 0) {
            *tunable = *tunable || bases[i].tunable;
            return bases[i].context;
        }
    return *tunable ? 131072 : 0;
}

/* Datasets. */

static jv
count(double n)
{
    return jv_string_fmt("%.0f", n);
}

static jv
dataset_json(const fw_dataset *x)
{
    jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(x->name));
    o = jv_object_set(o, jv_string("displayName"), jv_string(x->display));
    o = jv_object_set(o, jv_string("createTime"), evm_wire_time(x->created));
    o = jv_object_set(o, jv_string("updateTime"), evm_wire_time(x->updated));
    o = jv_object_set(o, jv_string("state"), jv_string(x->ready ? "READY" : "UPLOADING"));
    o = jv_object_set(o, jv_string("status"), ok_status());
    o = jv_object_set(o, jv_string("exampleCount"),
                      count(x->ready          ? x->examples
                            : x->declared > 0 ? x->declared
                                              : 0));
    o = jv_object_set(o, jv_string("estimatedTokenCount"), count(x->tokens));
    o = jv_object_set(o, jv_string("format"), jv_string(x->format));
    o = jv_object_set(o, jv_string("userUploaded"), jv_object());
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

static evm_wire_reply
create_dataset(evm_fireworks *f, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    jv id = ev_json_field(req, "datasetId"), ds = ev_json_field(req, "dataset");
    jv display = ev_json_field(ds, "displayName"), format = ev_json_field(ds, "format");
    jv examples = ev_json_field(ds, "exampleCount");
    /* an int64, which JSON may carry as a number or a string */
    double declared = -1;
    long n;
    bool count_ok = !jv_is_valid(examples);
    if (jv_get_kind(examples) == JV_KIND_NUMBER)
        count_ok = evm_wire_number(ds, "exampleCount", 0, 3e6, true, &declared);
    else if (jv_get_kind(examples) == JV_KIND_STRING &&
             (count_ok = ev_cli_parse_long(jv_string_value(examples), 0, 3000000, &n)))
        declared = (double)n;
    evm_wire_reply r;
    if (!count_ok)
        r = invalid(jv_string("dataset.exampleCount must be a whole number of 0 or more"));
    else if (jv_get_kind(id) != JV_KIND_STRING || !evm_wire_good_id(jv_string_value(id)))
        r = invalid(jv_string("datasetId is required: a lowercase letter, then lowercase letters, "
                              "digits and '-', at most 63"));
    else if (jv_get_kind(ds) != JV_KIND_OBJECT)
        r = invalid(jv_string("dataset is required: an object, such as {\"userUploaded\": {}}"));
    else if (find_dataset(f, jv_string_value(id)) != NULL)
        r = fail(EVM_WIRE_GRPC_ALREADY_EXISTS,
                 jv_string_fmt("dataset 'accounts/%s/datasets/%s' already exists", f->account,
                               jv_string_value(id)));
    else {
        fw_dataset *x = ev_alloc_zero(1, sizeof(*x));
        x->id = ev_alloc_strdup(jv_string_value(id));
        x->name = ev_alloc_printf("accounts/%s/datasets/%s", f->account, x->id);
        x->display = ev_alloc_strdup(ev_json_str(display, x->id));
        x->format = ev_alloc_strdup(ev_json_str(format, "FORMAT_UNSPECIFIED"));
        x->created = x->updated = h->now;
        x->declared = declared;
        add(&f->datasets, &f->ndatasets, x);
        r = evm_wire_ok(dataset_json(x));
    }
    jv_free(req);
    jv_free(id);
    jv_free(ds);
    jv_free(display);
    jv_free(format);
    jv_free(examples);
    return r;
}

static evm_wire_reply
upload(evm_fireworks *f, fw_dataset *x, const evm_wire_http *h)
{
    const evm_wire_field *file = evm_wire_form_get(h->form, "file");
    if (file == NULL)
        return invalid(jv_string("the upload must be multipart/form-data with the field 'file'"));
    if (x->ready)
        return fail(EVM_WIRE_GRPC_FAILED_PRECONDITION,
                    jv_string_fmt("dataset '%s' is already uploaded", x->name));
    if (file->len > 150L * 1024 * 1024)
        return invalid(jv_string("this upload path takes files up to 150 MB"));
    evm_trainset d;
    evm_trainset_scan(&d, EVM_TRAINSET_FIREWORKS, file->data, file->len, f->c.model);
    if (jv_get_kind(d.problem) == JV_KIND_STRING) {
        evm_wire_reply r =
            invalid(jv_string_fmt("dataset '%s': %s", x->name, jv_string_value(d.problem)));
        evm_trainset_free(&d);
        return r;
    }
    x->ready = true;
    x->updated = h->now;
    x->len = file->len;
    x->filename = ev_alloc_strdup(file->filename ? file->filename : "file");
    x->kind = d.format;
    x->examples = d.examples;
    x->tokens = d.tokens;
    x->tally = d.tally;
    d.tally = NULL;
    evm_trainset_free(&d);
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("object"), jv_string("file"));
    o = jv_object_set(o, jv_string("bytes"), jv_number((double)x->len));
    o = jv_object_set(o, jv_string("created_at"), jv_number((double)(h->now / 1000)));
    o = jv_object_set(o, jv_string("filename"), jv_string(x->filename));
    return evm_wire_ok(jv_object_set(o, jv_string("purpose"), jv_string("fine-tune")));
}

/* Jobs: their state at a time. */

static const char *
job_state(const fw_job *j, int64_t now)
{
    int k = evm_steps_reached(&j->steps, now);
    return j->fail && k == S_WRITING ? "JOB_STATE_FAILED" : job_states[k];
}

static double
trained_tokens(const fw_job *j)
{
    return j->data->tokens * j->epochs;
}

static jv
cost(double tokens)
{
    double usd = tokens * EVM_TOGETHER_TRAIN_USD_PER_M / 1e6, units = floor(usd);
    jv o = jv_object_set(jv_object(), jv_string("currencyCode"), jv_string("USD"));
    o = jv_object_set(o, jv_string("units"), jv_string_fmt("%.0f", units));
    return jv_object_set(o, jv_string("nanos"), jv_number(round((usd - units) * 1e9)));
}

/* training_json returns what a job was asked to train: the body of a
 * supervised job, the trainingConfig of a DPO job. */
static jv
training_json(jv o, const fw_job *j)
{
    o = jv_object_set(o, jv_string(j->warm ? "warmStartFrom" : "baseModel"),
                      jv_string(j->warm ? j->warm : j->base));
    o = jv_object_set(o, jv_string("outputModel"), jv_string(j->output));
    o = jv_object_set(o, jv_string("epochs"), jv_number(j->epochs));
    o = jv_object_set(o, jv_string("learningRate"), jv_number(j->lr));
    o = jv_object_set(o, jv_string("learningRateWarmupSteps"), jv_number((double)j->warmup));
    o = jv_object_set(o, jv_string("loraRank"), jv_number((double)j->rank));
    o = jv_object_set(o, jv_string("maxContextLength"), jv_number((double)j->context));
    return jv_object_set(o, jv_string("batchSizeSamples"), jv_number((double)j->batch));
}

static jv
job_json(const fw_job *j, int64_t now)
{
    const char *st = job_state(j, now);
    bool ended = evm_steps_done(&j->steps, now);
    jv status = ok_status();
    if (j->fail && ended) {
        status = jv_object_set(status, jv_string("code"), jv_string("INTERNAL"));
        status = jv_object_set(status, jv_string("message"),
                               jv_string_fmt("job %s failed: internal error (simulated by "
                                             "ev-mock's job-fail fault)",
                                             j->name));
    }
    jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(j->name));
    o = jv_object_set(o, jv_string("displayName"), jv_string(j->display));
    o = jv_object_set(o, jv_string("state"), jv_string(st));
    o = jv_object_set(o, jv_string("status"), status);
    o = jv_object_set(o, jv_string("dataset"), jv_string(j->dataset));
    o = jv_object_set(o, jv_string("createdBy"), jv_string("ev-mock@example.com"));
    o = jv_object_set(o, jv_string("createTime"), evm_wire_time(j->steps.at[0]));
    o = jv_object_set(o, jv_string("updateTime"),
                      evm_wire_time(j->steps.at[evm_steps_reached(&j->steps, now)]));
    if (ended)
        o = jv_object_set(o, jv_string("completedTime"),
                          evm_wire_time(j->steps.at[j->steps.n - 1]));
    if (j->dpo) {
        o = jv_object_set(o, jv_string("trainingConfig"), training_json(jv_object(), j));
        jv dpo = jv_object_set(jv_object(), jv_string("beta"), jv_number(j->beta));
        jv loss = jv_object_set(jv_object(), jv_string("method"), jv_string("DPO"));
        o = jv_object_set(o, jv_string("lossConfig"), jv_object_set(loss, jv_string("dpo"), dpo));
    } else {
        o = training_json(o, j);
        if (j->eval != NULL)
            o = jv_object_set(o, jv_string("evaluationDataset"), jv_string(j->eval));
        o = jv_object_set(o, jv_string("estimatedCost"), cost(trained_tokens(j)));
        int k = evm_steps_reached(&j->steps, now);
        jv progress = jv_object_set(jv_object(), jv_string("percent"),
                                    jv_number(completed(j, now) ? 100 : k * 20));
        progress = jv_object_set(progress, jv_string("epoch"),
                                 jv_number(k >= S_WRITING && !j->fail ? floor(j->epochs) : 0));
        o = jv_object_set(o, jv_string("jobProgress"), progress);
    }
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* Creating a job. */

/* unknown returns the first key of 'obj' that is not in 'fields', or
 * null. */
static jv
unknown(jv obj, const char *const *fields)
{
    jv found = jv_null();
    jv_object_foreach(obj, k, v)
    {
        size_t i = 0;
        while (fields[i] != NULL && strcmp(fields[i], jv_string_value(k)) != 0)
            i++;
        if (fields[i] == NULL && jv_get_kind(found) == JV_KIND_NULL)
            found = jv_string_fmt("unknown field \"%s\"", jv_string_value(k));
        jv_free(k);
        jv_free(v);
    }
    return found;
}

/* set says whether 'key' of 'obj' is set to other than its zero: a
 * nonzero number, true, or a non-empty string. */
static bool
set(jv obj, const char *key)
{
    jv v = ev_json_field(obj, key);
    bool yes = (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) != 0) ||
               jv_get_kind(v) == JV_KIND_TRUE ||
               (jv_get_kind(v) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(v)) > 0);
    jv_free(v);
    return yes;
}

/* refused returns what Training V2 refuses in 'obj', or null. */
static jv
refused(jv obj)
{
    static const char *const gone[] = {
        "batchSize",  "gradientAccumulationSteps", "jinjaTemplate",     "earlyStop",
        "mtpEnabled", "mtpNumDraftTokens",         "mtpFreezeBaseModel"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        if (set(obj, gone[i]))
            return jv_string_fmt("%s is deprecated and refused by Training V2%s", gone[i],
                                 i == 0 ? ": use batchSizeSamples" : "");
    return jv_null();
}

/* read_base reads baseModel or warmStartFrom of 'cfg' into the job, and
 * the context of its base into '*context'; returns null or what is wrong. */
static jv
read_base(evm_fireworks *f, jv cfg, fw_job *j, int64_t now, long *context)
{
    jv base = ev_json_field(cfg, "baseModel"), warm = ev_json_field(cfg, "warmStartFrom");
    const char *b = ev_json_str(base, NULL), *w = ev_json_str(warm, NULL);
    bool tunable = false;
    jv why = jv_null();
    if ((b == NULL) == (w == NULL)) {
        why = jv_string("give one of baseModel and warmStartFrom");
    } else if (b != NULL && ((*context = base_context(f, b, &tunable)) == 0 || !tunable)) {
        why = jv_string_fmt("base model '%s' is not tunable", b);
    } else if (b != NULL) {
        j->base = ev_alloc_strdup(b);
    } else {
        const fw_job *from = made(f, w);
        if (from == NULL || !completed(from, now))
            why = jv_string_fmt("warmStartFrom '%s' is not a fine-tuned model of this account", w);
        else {
            j->warm = ev_alloc_strdup(w);
            j->base = ev_alloc_strdup(from->base);
            *context = base_context(f, from->base, &tunable);
        }
    }
    jv_free(base);
    jv_free(warm);
    return why;
}

/* read_training reads what a job trains, from 'cfg' (the body of a
 * supervised job, the trainingConfig of a DPO job), into the job; returns
 * null or what is wrong. An outputModel another job makes is refused with
 * '*taken' set. */
static jv
read_training(evm_fireworks *f, jv cfg, fw_job *j, int64_t now, bool *taken)
{
    long context = 0;
    double epochs = 1, lr = 1e-4, rank = 8, ctx = NAN, batch = j->dpo ? 4 : 32, warmup = 0;
    jv why = read_base(f, cfg, j, now, &context);
    jv output = ev_json_field(cfg, "outputModel");
    char *out = jv_get_kind(output) == JV_KIND_STRING
                    ? name_in(f, jv_string_value(output), "models")
                    : NULL;
    if (jv_get_kind(why) != JV_KIND_NULL) {
        /* reported */
    } else if (jv_is_valid(output) && (out == NULL || !evm_wire_good_id(out))) {
        why = jv_string_fmt("outputModel must be accounts/%s/models/ID, ID a lowercase letter, "
                            "then lowercase letters, digits and '-', at most 63",
                            f->account);
    } else if (!evm_wire_number(cfg, "epochs", 1e-9, 1e6, false, &epochs) ||
               !evm_wire_number(cfg, "learningRate", 1e-12, 1, false, &lr) ||
               !evm_wire_number(cfg, "loraRank", 1, 32, true, &rank) ||
               ((long)rank & ((long)rank - 1)) != 0) {
        why = jv_string("epochs and learningRate must be above 0, loraRank a power of 2 up to 32");
    } else if (!evm_wire_number(cfg, "maxContextLength", 1, (double)context, true, &ctx) ||
               !evm_wire_number(cfg, "batchSizeSamples", 1, 1e6, true, &batch) ||
               !evm_wire_number(cfg, "learningRateWarmupSteps", 0, 1e9, true, &warmup)) {
        why = jv_string_fmt("maxContextLength must be a whole number up to the base's %ld; "
                            "batchSizeSamples and learningRateWarmupSteps whole numbers",
                            context);
    } else {
        j->output = jv_is_valid(output)
                        ? ev_alloc_strdup(jv_string_value(output))
                        : ev_alloc_printf("accounts/%s/models/%s", f->account, j->id);
        *taken = made(f, j->output) != NULL;
        if (*taken)
            why = jv_string_fmt("model '%s' already exists", j->output);
    }
    j->epochs = epochs;
    j->lr = lr;
    j->rank = (long)rank;
    j->context = isnan(ctx) ? (context < 32768 ? context : 32768) : (long)ctx;
    j->batch = (long)batch;
    j->warmup = (long)warmup;
    jv_free(output);
    free(out);
    return why;
}

/* read_data reads the dataset (and with 'eval', the evaluationDataset)
 * 'key' of 'req' into '*name'; returns null or what is wrong. */
static jv
read_data(evm_fireworks *f, jv req, const char *key, bool dpo, char **name, const fw_dataset **x,
          bool *precondition)
{
    jv v = ev_json_field(req, key);
    char *id = jv_get_kind(v) == JV_KIND_STRING ? name_in(f, jv_string_value(v), "datasets") : NULL;
    *x = id != NULL ? find_dataset(f, id) : NULL;
    jv why = jv_null();
    if (*x == NULL)
        why = jv_string_fmt("%s must name a dataset of accounts/%s", key, f->account);
    else if ((*precondition = !(*x)->ready))
        why = jv_string_fmt("dataset '%s' is not READY: upload it first", (*x)->name);
    else if (dpo != ((*x)->kind == EVM_TRAINSET_PREFERENCE))
        why = jv_string_fmt(dpo ? "dataset '%s' is not preference data, which a DPO job needs"
                                : "dataset '%s' is preference data: train it with a DPO job",
                            (*x)->name);
    else
        *name = ev_alloc_strdup((*x)->name);
    jv_free(v);
    free(id);
    return why;
}

/* read_loss reads the lossConfig of a DPO job: DPO, with a beta in (0, 0.5). */
static jv
read_loss(jv req, fw_job *j)
{
    jv loss = ev_json_field(req, "lossConfig");
    jv method = ev_json_field(loss, "method"), dpo = ev_json_field(loss, "dpo");
    const char *m = ev_json_str(method, "METHOD_UNSPECIFIED");
    j->beta = 0.1;
    jv why = jv_null();
    if (strcmp(m, "METHOD_UNSPECIFIED") == 0)
        why = jv_string("lossConfig.method must be given: Fireworks' documents disagree on what "
                        "an unspecified method means; send \"DPO\"");
    else if (strcmp(m, "DPO") != 0)
        why = jv_string_fmt("lossConfig.method '%s': ev-mock simulates DPO only", m);
    else if (!evm_wire_number(dpo, "beta", 1e-12, 0.5, false, &j->beta) || j->beta >= 0.5)
        why = jv_string("lossConfig.dpo.beta must be above 0 and below 0.5");
    jv_free(loss);
    jv_free(method);
    jv_free(dpo);
    return why;
}

/* read_job reads the request 'req' into the job; returns null or what is
 * wrong, with '*taken' set when an output is taken and '*precondition'
 * when a dataset is not ready. */
static jv
read_job(evm_fireworks *f, jv req, fw_job *j, int64_t now, bool *taken, bool *precondition)
{
    jv cfg = j->dpo ? ev_json_field(req, "trainingConfig") : jv_copy(req);
    jv display = ev_json_field(req, "displayName");
    const fw_dataset *x = NULL, *e = NULL;
    jv why = unknown(req, j->dpo ? dpo_fields : sft_fields);
    if (jv_get_kind(why) == JV_KIND_NULL && j->dpo && jv_get_kind(cfg) != JV_KIND_OBJECT)
        why = jv_string("trainingConfig is required: an object");
    else if (jv_get_kind(why) == JV_KIND_NULL && j->dpo)
        why = unknown(cfg, training_fields);
    if (jv_get_kind(why) == JV_KIND_NULL)
        why = refused(cfg);
    if (jv_get_kind(why) == JV_KIND_NULL)
        why = read_data(f, req, "dataset", j->dpo, &j->dataset, &x, precondition);
    if (jv_get_kind(why) == JV_KIND_NULL && !j->dpo &&
        jv_object_has(jv_copy(req), jv_string("evaluationDataset")))
        why = read_data(f, req, "evaluationDataset", false, &j->eval, &e, precondition);
    if (jv_get_kind(why) == JV_KIND_NULL && j->dpo)
        why = read_loss(req, j);
    if (jv_get_kind(why) == JV_KIND_NULL)
        why = read_training(f, cfg, j, now, taken);
    if (jv_get_kind(why) == JV_KIND_NULL && x->examples * j->epochs > 3e6)
        why = jv_string("examples times epochs must be at most 3,000,000");
    if (jv_get_kind(why) == JV_KIND_NULL && jv_is_valid(display) &&
        jv_get_kind(display) != JV_KIND_STRING)
        why = jv_string("displayName must be a string");
    j->data = x;
    j->display = ev_alloc_strdup(ev_json_str(display, j->id));
    jv_free(cfg);
    jv_free(display);
    return why;
}

static void
job_free(fw_job *j)
{
    char *s[] = {j->id, j->name, j->dataset, j->eval, j->base, j->warm, j->output, j->display};
    for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
        free(s[k]);
    free(j);
}

/* new_id returns the id a client asked for in the query 'param', checked,
 * or one made of the seed and the body; NULL with '*why' set when the
 * asked one is not an id. */
static char *
new_id(const evm_fireworks *f, const evm_wire_http *h, const char *param, size_t dup, jv *why)
{
    const char *asked = evm_wire_query(h, param);
    if (asked != NULL && !evm_wire_good_id(asked)) {
        *why = jv_string_fmt("%s '%s' is not an id: a lowercase letter, then lowercase letters, "
                             "digits and '-', at most 63",
                             param, asked);
        return NULL;
    }
    uint64_t key = ev_hash_64(h->body, h->len, ev_hash_mix64(f->c.seed ^ 0x66776964ULL));
    return asked != NULL ? ev_alloc_strdup(asked) : evm_wire_uuid("", key, dup);
}

static evm_wire_reply
create_job(evm_fireworks *f, const evm_wire_http *h, bool dpo)
{
    jv req = evm_wire_json_body(h);
    if (!jv_is_valid(req))
        return invalid(jv_string("the body must be a JSON object"));
    fw_job *j = ev_alloc_zero(1, sizeof(*j));
    j->dpo = dpo;
    jv why = jv_null();
    j->id = new_id(f, h, dpo ? "dpoJobId" : "supervisedFineTuningJobId", f->njobs, &why);
    bool taken = j->id != NULL && find_job(f, j->id, dpo) != NULL, precondition = false;
    if (taken) {
        jv_free(why);
        why = jv_string_fmt("job '%s' already exists", j->id);
    } else if (j->id != NULL) {
        why = read_job(f, req, j, h->now, &taken, &precondition);
    }
    jv_free(req);
    if (jv_get_kind(why) != JV_KIND_NULL) {
        job_free(j);
        return fail(taken          ? EVM_WIRE_GRPC_ALREADY_EXISTS
                    : precondition ? EVM_WIRE_GRPC_FAILED_PRECONDITION
                                   : EVM_WIRE_GRPC_INVALID_ARGUMENT,
                    why);
    }
    jv_free(why);
    j->name = ev_alloc_printf("accounts/%s/%s/%s", f->account,
                              dpo ? "dpoJobs" : "supervisedFineTuningJobs", j->id);
    j->fail = f->c.faults != NULL && evm_fault_job_fails(f->c.faults, j->name);
    j->tuned = (evm_learner_tuned){&f->c.params, j->name, j->data->tally};
    evm_steps_start(&j->steps, j->fail ? NSTEPS - 1 : NSTEPS, h->now, f->c.job_ms, f->c.by_poll,
                    step_parts);
    add(&f->jobs, &f->njobs, j);
    evm_wire_reply r = evm_wire_ok(job_json(j, h->now));
    r.lost = f->c.faults != NULL && evm_fault_lost_id(f->c.faults, j->name);
    return r;
}

static evm_wire_reply
get_job(evm_fireworks *f, fw_job *j, int64_t now)
{
    if (f->c.by_poll)
        evm_steps_poll(&j->steps, now);
    return evm_wire_ok(job_json(j, now));
}

static evm_wire_reply
list_jobs(evm_fireworks *f, bool dpo, int64_t now)
{
    jv data = jv_array();
    for (size_t i = f->njobs; i-- > 0;)
        if (!f->jobs[i]->deleted && f->jobs[i]->dpo == dpo)
            data = jv_array_append(data, job_json(f->jobs[i], now));
    jv o =
        jv_object_set(jv_object(), jv_string(dpo ? "dpoJobs" : "supervisedFineTuningJobs"), data);
    return evm_wire_ok(jv_object_set(o, jv_string("nextPageToken"), jv_string("")));
}

/* Models. */

static jv
base_json(size_t i)
{
    jv o = jv_object_set(jv_object(), jv_string("name"), jv_string_fmt(BASES "%s", bases[i].id));
    o = jv_object_set(o, jv_string("displayName"), jv_string(bases[i].id));
    o = jv_object_set(o, jv_string("kind"), jv_string("HF_BASE_MODEL"));
    o = jv_object_set(o, jv_string("state"), jv_string("READY"));
    o = jv_object_set(o, jv_string("status"), ok_status());
    o = jv_object_set(o, jv_string("tunable"), jv_bool(bases[i].tunable));
    o = jv_object_set(o, jv_string("supportsLora"), jv_true());
    o = jv_object_set(o, jv_string("contextLength"), jv_number((double)bases[i].context));
    return jv_object_set(o, jv_string("public"), jv_true());
}

static evm_wire_reply
get_base(const char *id)
{
    for (size_t i = 0; i < NBASES; i++)
        if (strcmp(bases[i].id, id) == 0)
            return evm_wire_ok(base_json(i));
    jv name = jv_string_fmt(BASES "%s", id);
    evm_wire_reply r = not_found("model", jv_string_value(name));
    jv_free(name);
    return r;
}

static evm_wire_reply
get_model(evm_fireworks *f, const char *id, int64_t now)
{
    jv name = jv_string_fmt("accounts/%s/models/%s", f->account, id);
    const fw_job *j = made(f, jv_string_value(name));
    if (j == NULL || !completed(j, now)) {
        evm_wire_reply r = not_found("model", jv_string_value(name));
        jv_free(name);
        return r;
    }
    jv peft = jv_object_set(jv_object(), jv_string("baseModel"), jv_string(j->base));
    peft = jv_object_set(peft, jv_string("r"), jv_number((double)j->rank));
    peft = jv_object_set(peft, jv_string("targetModules"), jv_array());
    jv o = jv_object_set(jv_object(), jv_string("name"), name);
    o = jv_object_set(o, jv_string("displayName"), jv_string(id));
    o = jv_object_set(o, jv_string("kind"), jv_string("HF_PEFT_ADDON"));
    o = jv_object_set(o, jv_string("state"), jv_string("READY"));
    o = jv_object_set(o, jv_string("status"), ok_status());
    o = jv_object_set(o, jv_string("peftDetails"), peft);
    o = jv_object_set(o, jv_string("fineTuningJob"), jv_string(j->name));
    o = jv_object_set(o, jv_string("contextLength"), jv_number((double)j->context));
    o = jv_object_set(o, jv_string("createTime"), evm_wire_time(j->steps.at[j->steps.n - 1]));
    return evm_wire_ok(jv_object_set(o, jv_string("simulated"), jv_true()));
}

/* Deployments. */

static const char *
deployment_state(const fw_deployment *x, int64_t now)
{
    if (x->deleted)
        return evm_steps_done(&x->gone, now) ? "DELETED" : "DELETING";
    return evm_steps_done(&x->up, now) ? "READY" : "CREATING";
}

static bool
serving(const fw_deployment *x, int64_t now)
{
    return !x->deleted && evm_steps_done(&x->up, now);
}

static jv
deployment_json(const fw_deployment *x, int64_t now)
{
    bool up = serving(x, now);
    long replicas = up ? (x->min > 0 ? x->min : 1) : 0;
    jv stats =
        jv_object_set(jv_object(), jv_string("readyReplicaCount"), jv_number((double)replicas));
    stats = jv_object_set(stats, jv_string("pendingSchedulingReplicaCount"),
                          jv_number(!up && !x->deleted ? 1 : 0));
    jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(x->name));
    o = jv_object_set(o, jv_string("baseModel"), jv_string(x->model));
    o = jv_object_set(o, jv_string("displayName"), jv_string(x->display));
    o = jv_object_set(o, jv_string("state"), jv_string(deployment_state(x, now)));
    o = jv_object_set(o, jv_string("status"), ok_status());
    o = jv_object_set(o, jv_string("replicaCount"), jv_number((double)replicas));
    o = jv_object_set(o, jv_string("desiredReplicaCount"),
                      jv_number(x->deleted ? 0 : (double)(x->min > 0 ? x->min : 1)));
    o = jv_object_set(o, jv_string("replicaStats"), stats);
    o = jv_object_set(o, jv_string("acceleratorType"), jv_string(x->accelerator));
    o = jv_object_set(o, jv_string("acceleratorCount"), jv_number(1));
    o = jv_object_set(o, jv_string("minReplicaCount"), jv_number((double)x->min));
    o = jv_object_set(o, jv_string("maxReplicaCount"), jv_number((double)x->max));
    o = jv_object_set(o, jv_string("enableAddons"), jv_bool(x->addons));
    o = jv_object_set(o, jv_string("createTime"), evm_wire_time(x->created));
    o = jv_object_set(o, jv_string("updateTime"), evm_wire_time(x->updated));
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* read_deployment reads the body 'req' into 'x'; returns null or what is
 * wrong, with '*precondition' set when the model is not ready. */
static jv
read_deployment(evm_fireworks *f, jv req, fw_deployment *x, int64_t now, bool *precondition)
{
    static const char *const accelerators[] = {
        "NVIDIA_A100_80GB", "NVIDIA_H100_80GB", "NVIDIA_H200_141GB", "NVIDIA_B200_180GB",
        "AMD_MI300X_192GB", "AMD_MI325X_256GB", "AMD_MI350X_288GB",  "NVIDIA_A10G_24GB",
        "NVIDIA_A100_40GB", "NVIDIA_L4_24GB",
    };
    jv model = ev_json_field(req, "baseModel"), accel = ev_json_field(req, "acceleratorType");
    jv display = ev_json_field(req, "displayName"), addons = ev_json_field(req, "enableAddons");
    const char *m = ev_json_str(model, NULL), *a = ev_json_str(accel, "NVIDIA_H100_80GB");
    double min = 0, max = NAN;
    bool tunable, known = false;
    for (size_t i = 0; i < sizeof(accelerators) / sizeof(accelerators[0]); i++)
        known = known || strcmp(a, accelerators[i]) == 0;
    const fw_job *j = m != NULL ? made(f, m) : NULL;
    jv why = jv_null();
    if (m == NULL) {
        why = jv_string("baseModel is required");
    } else if (j == NULL && base_context(f, m, &tunable) == 0) {
        why = jv_string_fmt("baseModel '%s' is not a model of accounts/%s or a base model", m,
                            f->account);
    } else if (j != NULL && !completed(j, now)) {
        *precondition = true;
        why = jv_string_fmt("model '%s' is not READY: its job has not completed", m);
    } else if (!known) {
        why = jv_string_fmt("acceleratorType '%s' is not one Fireworks offers", a);
    } else if (!evm_wire_number(req, "minReplicaCount", 0, 100, true, &min) ||
               !evm_wire_number(req, "maxReplicaCount", 0, 100, true, &max) ||
               (!isnan(max) && max < min)) {
        why = jv_string("minReplicaCount and maxReplicaCount must be whole numbers, min <= max");
    } else {
        x->model = ev_alloc_strdup(m);
        x->accelerator = ev_alloc_strdup(a);
        x->display = ev_alloc_strdup(ev_json_str(display, m));
        x->min = (long)min;
        x->max = isnan(max) ? (x->min > 1 ? x->min : 1) : (long)max;
        x->addons = jv_get_kind(addons) == JV_KIND_TRUE;
        x->job = j;
    }
    jv_free(model);
    jv_free(accel);
    jv_free(display);
    jv_free(addons);
    return why;
}

static evm_wire_reply
create_deployment(evm_fireworks *f, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    if (!jv_is_valid(req))
        return invalid(jv_string("the body must be a JSON object"));
    fw_deployment *x = ev_alloc_zero(1, sizeof(*x));
    jv why = jv_null();
    bool precondition = false, taken = false;
    x->id = new_id(f, h, "deploymentId", f->ndeployments, &why);
    if (x->id != NULL && (taken = find_deployment(f, x->id) != NULL))
        why = jv_string_fmt("deployment '%s' already exists", x->id);
    else if (x->id != NULL)
        why = read_deployment(f, req, x, h->now, &precondition);
    jv_free(req);
    if (jv_get_kind(why) != JV_KIND_NULL) {
        char *s[] = {x->id, x->model, x->display, x->accelerator};
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
            free(s[k]);
        free(x);
        return fail(taken          ? EVM_WIRE_GRPC_ALREADY_EXISTS
                    : precondition ? EVM_WIRE_GRPC_FAILED_PRECONDITION
                                   : EVM_WIRE_GRPC_INVALID_ARGUMENT,
                    why);
    }
    jv_free(why);
    x->name = ev_alloc_printf("accounts/%s/deployments/%s", f->account, x->id);
    x->slow = f->c.faults != NULL && evm_fault_slow_deploy(f->c.faults, x->name);
    x->created = x->updated = h->now;
    evm_steps_start(&x->up, x->slow ? SLOW_STEPS : 2, h->now, f->c.deploy_ms * (x->slow ? 10 : 1),
                    f->c.by_poll, NULL);
    add(&f->deployments, &f->ndeployments, x);
    evm_wire_reply r = evm_wire_ok(deployment_json(x, h->now));
    r.lost = f->c.faults != NULL && evm_fault_lost_id(f->c.faults, x->name);
    return r;
}

static evm_wire_reply
get_deployment(evm_fireworks *f, fw_deployment *x, int64_t now)
{
    if (f->c.by_poll)
        evm_steps_poll(x->deleted ? &x->gone : &x->up, now);
    return evm_wire_ok(deployment_json(x, now));
}

static evm_wire_reply
delete_deployment(evm_fireworks *f, fw_deployment *x, int64_t now)
{
    if (x->deleted)
        return not_found("deployment", x->name);
    x->deleted = true;
    x->updated = now;
    long ms = f->c.deploy_ms / 10;
    evm_steps_start(&x->gone, 2, now, ms > 1 ? ms : 1, f->c.by_poll, NULL);
    return evm_wire_ok(jv_object());
}

static evm_wire_reply
list_deployments(evm_fireworks *f, int64_t now)
{
    jv data = jv_array();
    for (size_t i = f->ndeployments; i-- > 0;)
        if (strcmp(deployment_state(f->deployments[i], now), "DELETED") != 0)
            data = jv_array_append(data, deployment_json(f->deployments[i], now));
    jv o = jv_object_set(jv_object(), jv_string("deployments"), data);
    return evm_wire_ok(jv_object_set(o, jv_string("nextPageToken"), jv_string("")));
}

/* Routing. */

static evm_wire_reply
list_datasets(evm_fireworks *f)
{
    jv data = jv_array();
    for (size_t i = f->ndatasets; i-- > 0;)
        if (!f->datasets[i]->deleted)
            data = jv_array_append(data, dataset_json(f->datasets[i]));
    jv o = jv_object_set(jv_object(), jv_string("datasets"), data);
    return evm_wire_ok(jv_object_set(o, jv_string("nextPageToken"), jv_string("")));
}

/* serve_datasets answers the account's datasets ('sub' the path below the
 * account); the lock is held. */
static evm_wire_reply
serve_datasets(evm_fireworks *f, const evm_wire_http *h, const char *sub, bool get, bool post)
{
    char *id[1] = {NULL};
    evm_wire_reply r = {0, jv_invalid(), false};
    bool del = strcmp(h->method, "DELETE") == 0;
    if (post && evm_wire_match(sub, "/datasets", id)) {
        r = create_dataset(f, h);
    } else if (get && evm_wire_match(sub, "/datasets", id)) {
        r = list_datasets(f);
    } else if (evm_wire_match(sub, "/datasets/*", id) ||
               (post && evm_wire_match(sub, "/datasets/*:upload", id))) {
        fw_dataset *x = find_dataset(f, id[0]);
        if (x == NULL) {
            jv name = jv_string_fmt("accounts/%s/datasets/%s", f->account, id[0]);
            r = not_found("dataset", jv_string_value(name));
            jv_free(name);
        } else if (post) {
            r = upload(f, x, h);
        } else if (get) {
            r = evm_wire_ok(dataset_json(x));
        } else if (del) {
            x->deleted = true;
            r = evm_wire_ok(jv_object());
        }
    }
    free(id[0]);
    return r;
}

/* serve_account answers the paths of the account ('sub' the path below
 * it); the lock is held. */
static evm_wire_reply
serve_account(evm_fireworks *f, const evm_wire_http *h, const char *sub)
{
    bool get = strcmp(h->method, "GET") == 0, post = strcmp(h->method, "POST") == 0;
    bool del = strcmp(h->method, "DELETE") == 0;
    char *id[1] = {NULL};
    evm_wire_reply r = serve_datasets(f, h, sub, get, post);
    if (r.status != 0)
        return r;
    for (int dpo = 0; dpo < 2 && r.status == 0; dpo++) {
        const char *coll = dpo ? "/dpoJobs" : "/supervisedFineTuningJobs";
        jv one = jv_string_fmt("%s/*", coll);
        if (post && evm_wire_match(sub, coll, id)) {
            r = create_job(f, h, dpo);
        } else if (get && evm_wire_match(sub, coll, id)) {
            r = list_jobs(f, dpo, h->now);
        } else if ((get || del) && evm_wire_match(sub, jv_string_value(one), id)) {
            fw_job *j = find_job(f, id[0], dpo);
            if (j == NULL) {
                jv name = jv_string_fmt("accounts/%s%s/%s", f->account, coll, id[0]);
                r = not_found("job", jv_string_value(name));
                jv_free(name);
            } else if (get) {
                r = get_job(f, j, h->now);
            } else {
                j->deleted = true;
                r = evm_wire_ok(jv_object());
            }
        }
        jv_free(one);
    }
    if (r.status == 0 && get && evm_wire_match(sub, "/models/*", id)) {
        r = get_model(f, id[0], h->now);
    } else if (r.status == 0 && post && evm_wire_match(sub, "/deployments", id)) {
        r = create_deployment(f, h);
    } else if (r.status == 0 && get && evm_wire_match(sub, "/deployments", id)) {
        r = list_deployments(f, h->now);
    } else if (r.status == 0 && (get || del) && evm_wire_match(sub, "/deployments/*", id)) {
        fw_deployment *x = find_deployment(f, id[0]);
        jv name = jv_string_fmt("accounts/%s/deployments/%s", f->account, id[0]);
        r = x == NULL ? not_found("deployment", jv_string_value(name))
            : get     ? get_deployment(f, x, h->now)
                      : delete_deployment(f, x, h->now);
        jv_free(name);
    }
    free(id[0]);
    return r;
}

evm_wire_reply
evm_fireworks_serve(evm_fireworks *f, const evm_wire_http *h)
{
    static const char root[] = "/v1/accounts/";
    const char *p = h->path;
    evm_wire_reply r = {0, jv_invalid(), false};
    if (strncmp(p, root, sizeof(root) - 1) == 0) {
        const char *account = p + sizeof(root) - 1;
        size_t n = strcspn(account, "/");
        char *id[1] = {NULL};
        if (n == strlen(f->account) && strncmp(account, f->account, n) == 0) {
            pthread_mutex_lock(&f->mu);
            r = serve_account(f, h, account + n);
            pthread_mutex_unlock(&f->mu);
        } else if (strcmp(h->method, "GET") == 0 &&
                   evm_wire_match(p, "/v1/accounts/fireworks/models/*", id)) {
            r = get_base(id[0]);
        } else {
            jv name = jv_string_sized(account, (int)n);
            r = fail(EVM_WIRE_GRPC_PERMISSION_DENIED,
                     jv_string_fmt("permission denied: the key is not of account '%s'",
                                   jv_string_value(name)));
            jv_free(name);
        }
        free(id[0]);
    }
    if (r.status != 0)
        return r;
    return fail(EVM_WIRE_GRPC_NOT_FOUND, jv_string_fmt("no such path: %s %s", h->method, p));
}

enum evm_jobs_kind
evm_fireworks_resolve(void *store, const char *model, int64_t now, evm_model_as *as)
{
    evm_fireworks *f = store;
    const char *learner = f->c.learner;
    if (learner != NULL && strcmp(model, learner) == 0) {
        *as = (evm_model_as){learner, evm_learner_base_accuracy, &f->c.params};
        return EVM_JOBS_BASE;
    }
    const char *hash = strchr(model, '#');
    char *name = hash ? ev_alloc_strndup(model, (size_t)(hash - model)) : ev_alloc_strdup(model);
    char *ours = name_in(f, name, "models"),
         *dep = hash ? name_in(f, hash + 1, "deployments") : NULL;
    pthread_mutex_lock(&f->mu);
    const fw_job *j = made(f, name);
    bool up = false;
    for (size_t i = 0; j != NULL && i < f->ndeployments; i++) {
        const fw_deployment *x = f->deployments[i];
        up = up || (x->job == j && serving(x, now) && (dep == NULL || strcmp(dep, x->id) == 0));
    }
    pthread_mutex_unlock(&f->mu);
    enum evm_jobs_kind kind = ours == NULL && hash == NULL                       ? EVM_JOBS_PLAIN
                              : !up                                              ? EVM_JOBS_UNKNOWN
                              : learner != NULL && strcmp(j->base, learner) == 0 ? EVM_JOBS_TUNED
                                                                                 : EVM_JOBS_PLAIN;
    if (kind == EVM_JOBS_TUNED)
        *as = (evm_model_as){learner, evm_learner_tuned_accuracy, &j->tuned};
    free(name);
    free(ours);
    free(dep);
    return kind;
}

evm_answer_names
evm_fireworks_names(evm_fireworks *f)
{
    return (evm_answer_names){evm_fireworks_resolve, f,
                              "Model not found, inaccessible, and/or not deployed: '", "'",
                              "model_not_found"};
}

jv
evm_fireworks_stats(evm_fireworks *f, int64_t now)
{
    static const char *const jobs[] = {"JOB_STATE_CREATING",  "JOB_STATE_PENDING",
                                       "JOB_STATE_RUNNING",   "JOB_STATE_WRITING_RESULTS",
                                       "JOB_STATE_COMPLETED", "JOB_STATE_FAILED"};
    static const char *const deps[] = {"CREATING", "READY", "DELETING", "DELETED"};
    jv by = jv_object(), dby = jv_object();
    unsigned long datasets = 0, njobs = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->ndatasets; i++)
        datasets += !f->datasets[i]->deleted;
    for (size_t i = 0; i < f->njobs; i++)
        njobs += !f->jobs[i]->deleted;
    for (size_t k = 0; k < sizeof(jobs) / sizeof(jobs[0]); k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < f->njobs; i++)
            n += !f->jobs[i]->deleted && strcmp(job_state(f->jobs[i], now), jobs[k]) == 0;
        by = jv_object_set(by, jv_string(jobs[k]), jv_number((double)n));
    }
    for (size_t k = 0; k < sizeof(deps) / sizeof(deps[0]); k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < f->ndeployments; i++)
            n += strcmp(deployment_state(f->deployments[i], now), deps[k]) == 0;
        dby = jv_object_set(dby, jv_string(deps[k]), jv_number((double)n));
    }
    unsigned long deployments = 0;
    for (size_t i = 0; i < f->ndeployments; i++)
        deployments += !f->deployments[i]->deleted;
    jv o = jv_object_set(jv_object(), jv_string("account"), jv_string(f->account));
    o = jv_object_set(o, jv_string("datasets"), jv_number((double)datasets));
    o = jv_object_set(o, jv_string("jobs"), jv_number((double)njobs));
    o = jv_object_set(o, jv_string("deployments"), jv_number((double)deployments));
    pthread_mutex_unlock(&f->mu);
    o = jv_object_set(o, jv_string("by_state"), by);
    return jv_object_set(o, jv_string("deployments_by_state"), dby);
}
