#include "jobs.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "json.h"
#include "dataset.h"
#include "example.h"
#include "hash.h"
#include "jsonl.h"
#include "quote.h"
#include "record.h"
#include "steps.h"
#include "trainset.h"

/* The purposes OpenAI's files endpoint accepts. */
static const char *const purposes[] = {"fine-tune", "batch",     "assistants",
                                       "vision",    "user_data", "evals"};

/* A job's steps; 'done' is succeeded or failed, as the fault decides. */
enum step { S_VALIDATING, S_QUEUED, S_RUNNING, S_DONE, NSTEPS };

static const char *const step_names[NSTEPS] = {"validating_files", "queued", "running", "done"};

/* The problems quoted in a 400 for an invalid training file. */
#define QUOTED_PROBLEMS 3

typedef struct ft_file {
    char *id, *filename, *purpose;
    char *data; /* NUL-terminated, 'len' bytes before the NUL */
    size_t len;
    int64_t created;
    uint64_t key; /* hash of what makes the id, before the duplicate count */
} ft_file;

typedef struct ft_job {
    char *id, *model, *file, *suffix, *name;
    long seed, epochs, batch;
    double lr;
    double examples, trained_tokens;
    evm_steps steps; /* NSTEPS; stopped when cancelled */
    bool fail;
    uint64_t key;
    evm_learner_tally *tally;
    evm_learner_tuned tuned; /* how the model it made answers */
} ft_job;

struct evm_jobs {
    evm_jobs_config c;
    char *learner;
    pthread_mutex_t mu; /* guards everything below */
    ft_file **files;
    size_t nfiles;
    ft_job **jobs;
    size_t njobs;
    FILE *journal;
    char *journal_path;
};

/* bad returns a 400 whose message is 'msg' (a string). */
static evm_wire_reply
bad(jv msg, const char *param, const char *code)
{
    return evm_wire_openai_reply(400, msg, param, code);
}

static evm_wire_reply
not_found(const char *what, const char *id)
{
    return evm_wire_openai_reply(404, jv_string_fmt("No such %s: '%s'", what, id), NULL,
                                 "not_found");
}

evm_jobs *
evm_jobs_new(const evm_jobs_config *c)
{
    evm_jobs *f = ev_alloc_zero(1, sizeof(*f));
    f->c = *c;
    f->learner = c->learner != NULL ? ev_alloc_strdup(c->learner) : NULL;
    f->c.learner = f->learner;
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

static void
file_free(ft_file *x)
{
    free(x->id);
    free(x->filename);
    free(x->purpose);
    free(x->data);
    free(x);
}

static void
job_free(ft_job *j)
{
    free(j->id);
    free(j->model);
    free(j->file);
    free(j->suffix);
    free(j->name);
    evm_learner_tally_free(j->tally);
    free(j);
}

void
evm_jobs_free(evm_jobs *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->nfiles; i++)
        file_free(f->files[i]);
    for (size_t i = 0; i < f->njobs; i++)
        job_free(f->jobs[i]);
    free(f->files);
    free(f->jobs);
    if (f->journal != NULL)
        fclose(f->journal);
    free(f->journal_path);
    free(f->learner);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* Lookups; callers hold the lock. */

static ft_file *
find_file(const evm_jobs *f, const char *id)
{
    for (size_t i = 0; i < f->nfiles; i++)
        if (strcmp(f->files[i]->id, id) == 0)
            return f->files[i];
    return NULL;
}

static ft_job *
find_job(const evm_jobs *f, const char *id)
{
    for (size_t i = 0; i < f->njobs; i++)
        if (strcmp(f->jobs[i]->id, id) == 0)
            return f->jobs[i];
    return NULL;
}

static void
add_file(evm_jobs *f, ft_file *x)
{
    f->files = ev_alloc_resize(f->files, (f->nfiles + 1) * sizeof(*f->files));
    f->files[f->nfiles++] = x;
}

static void
add_job(evm_jobs *f, ft_job *j)
{
    f->jobs = ev_alloc_resize(f->jobs, (f->njobs + 1) * sizeof(*f->jobs));
    f->jobs[f->njobs++] = j;
}

/* The journal. */

/* journal writes one record (consumed) to the journal, if there is one. A
 * failed write is not the request's failure: the answer stands, and only a
 * restart would forget it. */
static void
journal(evm_jobs *f, const char *kind, jv what)
{
    if (f->journal == NULL) {
        jv_free(what);
        return;
    }
    jv rec = jv_object_set(jv_object(), jv_string(kind), what);
    jv_dumpf(rec, f->journal, 0);
    fputc('\n', f->journal);
    fflush(f->journal);
}

static jv
file_record(const ft_file *x)
{
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("filename"), jv_string(x->filename));
    o = jv_object_set(o, jv_string("purpose"), jv_string(x->purpose));
    o = jv_object_set(o, jv_string("created"), jv_number((double)x->created));
    o = jv_object_set(o, jv_string("key"), jv_number((double)(x->key >> 11)));
    return jv_object_set(o, jv_string("content"), jv_string_sized(x->data, (int)x->len));
}

static jv
job_record(const ft_job *j)
{
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(j->id));
    o = jv_object_set(o, jv_string("model"), jv_string(j->model));
    o = jv_object_set(o, jv_string("training_file"), jv_string(j->file));
    o = jv_object_set(o, jv_string("suffix"), evm_wire_nullable(j->suffix));
    o = jv_object_set(o, jv_string("seed"), jv_number((double)j->seed));
    o = jv_object_set(o, jv_string("n_epochs"), jv_number((double)j->epochs));
    o = jv_object_set(o, jv_string("batch_size"), jv_number((double)j->batch));
    o = jv_object_set(o, jv_string("learning_rate_multiplier"), jv_number(j->lr));
    o = jv_object_set(o, jv_string("examples"), jv_number(j->examples));
    o = jv_object_set(o, jv_string("trained_tokens"), jv_number(j->trained_tokens));
    jv at = jv_array();
    for (int k = 0; k < NSTEPS; k++)
        at = jv_array_append(at, jv_number((double)j->steps.at[k]));
    o = jv_object_set(o, jv_string("at"), at);
    o = jv_object_set(o, jv_string("fail"), jv_bool(j->fail));
    o = jv_object_set(o, jv_string("key"), jv_number((double)(j->key >> 11)));
    jv tally = jv_object();
    for (size_t i = 0; i < evm_learner_tally_size(j->tally); i++) {
        double n;
        const char *tag = evm_learner_tally_at(j->tally, i, &n);
        tally = jv_object_set(tally, jv_string(tag), jv_number(n));
    }
    return jv_object_set(o, jv_string("tally"), tally);
}

static char *
get_str(jv o, const char *key, bool *ok)
{
    jv v = ev_json_field(o, key);
    char *s = NULL;
    if (jv_get_kind(v) == JV_KIND_STRING)
        s = ev_alloc_strdup(jv_string_value(v));
    else if (jv_get_kind(v) != JV_KIND_NULL)
        *ok = false;
    jv_free(v);
    return s;
}

static double
get_num(jv o, const char *key, bool *ok)
{
    jv v = ev_json_field(o, key);
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    *ok = *ok && !isnan(x);
    jv_free(v);
    return x;
}

static const char *
replay_file(evm_jobs *f, jv o)
{
    bool ok = true;
    ft_file *x = ev_alloc_zero(1, sizeof(*x));
    x->id = get_str(o, "id", &ok);
    x->filename = get_str(o, "filename", &ok);
    x->purpose = get_str(o, "purpose", &ok);
    x->created = (int64_t)get_num(o, "created", &ok);
    x->key = (uint64_t)get_num(o, "key", &ok) << 11;
    jv content = ev_json_field(o, "content");
    ok = ok && x->id && x->filename && x->purpose && jv_get_kind(content) == JV_KIND_STRING;
    if (ok) {
        x->len = (size_t)jv_string_length_bytes(jv_copy(content));
        x->data = memcpy(ev_alloc(x->len + 1), jv_string_value(content), x->len + 1);
    }
    jv_free(content);
    if (!ok || find_file(f, x->id) != NULL) {
        file_free(x);
        return ok ? "a file id appears twice" : "a file record lacks a field";
    }
    add_file(f, x);
    return NULL;
}

static const char *
replay_job(evm_jobs *f, jv o)
{
    bool ok = true;
    ft_job *j = ev_alloc_zero(1, sizeof(*j));
    j->id = get_str(o, "id", &ok);
    j->model = get_str(o, "model", &ok);
    j->file = get_str(o, "training_file", &ok);
    j->suffix = get_str(o, "suffix", &ok);
    j->seed = (long)get_num(o, "seed", &ok);
    j->epochs = (long)get_num(o, "n_epochs", &ok);
    j->batch = (long)get_num(o, "batch_size", &ok);
    j->lr = get_num(o, "learning_rate_multiplier", &ok);
    j->examples = get_num(o, "examples", &ok);
    j->trained_tokens = get_num(o, "trained_tokens", &ok);
    j->key = (uint64_t)get_num(o, "key", &ok) << 11;
    j->steps = (evm_steps){.n = NSTEPS, .stopped = -1};
    j->tally = evm_learner_tally_new();
    jv at = ev_json_field(o, "at"), fail = ev_json_field(o, "fail"),
       tally = ev_json_field(o, "tally");
    ok = ok && j->id && j->model && j->file && jv_get_kind(at) == JV_KIND_ARRAY &&
         jv_array_length(jv_copy(at)) == NSTEPS && jv_get_kind(tally) == JV_KIND_OBJECT;
    for (int k = 0; ok && k < NSTEPS; k++) {
        jv v = jv_array_get(jv_copy(at), k);
        ok = jv_get_kind(v) == JV_KIND_NUMBER;
        j->steps.at[k] = ok ? (int64_t)jv_number_value(v) : -1;
        jv_free(v);
    }
    j->fail = jv_get_kind(fail) == JV_KIND_TRUE;
    if (ok) {
        jv_object_foreach(tally, tag, n)
        {
            if (jv_get_kind(n) == JV_KIND_NUMBER)
                evm_learner_tally_add(j->tally, jv_string_value(tag), jv_number_value(n));
            jv_free(tag);
            jv_free(n);
        }
    }
    jv_free(at);
    jv_free(fail);
    jv_free(tally);
    if (!ok || find_job(f, j->id) != NULL) {
        job_free(j);
        return ok ? "a job id appears twice" : "a job record lacks a field";
    }
    jv name = jv_string_fmt("ft:%s:ev-mock:%s:%s", j->model, j->suffix ? j->suffix : "", j->id);
    j->name = ev_alloc_strdup(jv_string_value(name));
    jv_free(name);
    j->tuned = (evm_learner_tuned){&f->c.params, j->id, j->tally};
    add_job(f, j);
    return NULL;
}

/* replay_change applies a step or a cancellation 'o' of a known job. */
static const char *
replay_change(evm_jobs *f, jv o, bool cancel)
{
    bool ok = true;
    char *id = get_str(o, "id", &ok);
    double at = get_num(o, "at", &ok);
    double step = cancel ? 0 : get_num(o, "step", &ok);
    ft_job *j = ok && id ? find_job(f, id) : NULL;
    free(id);
    if (j == NULL)
        return "a change names an unknown job";
    if (cancel)
        evm_steps_stop(&j->steps, (int64_t)at);
    else if (step >= 1 && step < NSTEPS)
        j->steps.at[(int)step] = (int64_t)at;
    else
        return "a step is out of range";
    return NULL;
}

int
evm_jobs_journal(evm_jobs *f, const char *path, jv *err)
{
    if (access(path, F_OK) == 0) {
        char *paths[] = {(char *)path};
        ev_jsonl_reader r;
        jv rec;
        int rc;
        ev_jsonl_init(&r, paths, 1, NULL);
        while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
            if (rc == EV_JSONL_BAD) {
                ev_jsonl_free(&r);
                *err = rec;
                return -1;
            }
            const char *why = "not a record of an ev-mock journal";
            jv v;
            if (jv_is_valid(v = ev_json_field(rec, "file")))
                why = replay_file(f, v);
            else if (jv_free(v), jv_is_valid(v = ev_json_field(rec, "job")))
                why = replay_job(f, v);
            else if (jv_free(v), jv_is_valid(v = ev_json_field(rec, "step")))
                why = replay_change(f, v, false);
            else if (jv_free(v), jv_is_valid(v = ev_json_field(rec, "cancel")))
                why = replay_change(f, v, true);
            jv_free(v);
            jv_free(rec);
            if (why != NULL) {
                jv where = ev_jsonl_where(&r);
                *err = jv_invalid_with_msg(jv_string_fmt("%s: %s", jv_string_value(where), why));
                jv_free(where);
                ev_jsonl_free(&r);
                return -1;
            }
        }
        ev_jsonl_free(&r);
    }
    f->journal = fopen(path, "a");
    if (f->journal == NULL) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot open '%s': %s", path, strerror(errno)));
        return -1;
    }
    f->journal_path = ev_alloc_strdup(path);
    return 0;
}

/* Files. */

static jv
file_json(const ft_file *x)
{
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("object"), jv_string("file"));
    o = jv_object_set(o, jv_string("bytes"), jv_number((double)x->len));
    o = jv_object_set(o, jv_string("created_at"), jv_number((double)(x->created / 1000)));
    o = jv_object_set(o, jv_string("filename"), jv_string(x->filename));
    o = jv_object_set(o, jv_string("purpose"), jv_string(x->purpose));
    o = jv_object_set(o, jv_string("status"), jv_string("processed"));
    return jv_object_set(o, jv_string("status_details"), jv_null());
}

/* store keeps a copy of 'data' ('len' bytes) as a file named 'filename'
 * for 'purpose', and returns it; the store's lock must not be held. */
static ft_file *
store(evm_jobs *f, const char *filename, const char *purpose, const char *data, size_t len,
      int64_t now, jv *body)
{
    uint64_t key = ev_hash_64(data, len, ev_hash_mix64(f->c.seed ^ 0x66696c65ULL));
    key = ev_hash_64(filename, strlen(filename) + 1, key);
    key = ev_hash_64(purpose, strlen(purpose) + 1, key) & ~(uint64_t)0x7ff;
    ft_file *x = ev_alloc(sizeof(*x));
    x->filename = ev_alloc_strdup(filename);
    x->purpose = ev_alloc_strdup(purpose);
    x->data = memcpy(ev_alloc(len + 1), data, len);
    x->data[len] = '\0';
    x->len = len;
    x->created = now;
    x->key = key;
    pthread_mutex_lock(&f->mu);
    size_t dup = 0;
    for (size_t i = 0; i < f->nfiles; i++)
        dup += f->files[i]->key == key;
    x->id = evm_wire_id("file-", key, dup);
    add_file(f, x);
    journal(f, "file", file_record(x));
    *body = file_json(x);
    pthread_mutex_unlock(&f->mu);
    return x;
}

evm_wire_reply
evm_jobs_upload(evm_jobs *f, const char *filename, const char *purpose, const char *data,
                size_t len, int64_t now)
{
    if (purpose == NULL)
        return bad(jv_string("Missing required parameter: 'purpose'."), "purpose", NULL);
    if (data == NULL || filename == NULL)
        return bad(jv_string("Missing required parameter: 'file'."), "file", NULL);
    size_t k = 0;
    while (k < sizeof(purposes) / sizeof(purposes[0]) && strcmp(purposes[k], purpose) != 0)
        k++;
    if (k == sizeof(purposes) / sizeof(purposes[0]))
        return bad(jv_string_fmt("'%s' is not one of ['fine-tune', 'batch', 'assistants', "
                                 "'vision', 'user_data', 'evals'] - 'purpose'",
                                 purpose),
                   "purpose", NULL);
    if (len > INT32_MAX)
        return bad(jv_string("The file is too large."), "file", NULL);
    jv body;
    store(f, filename, purpose, data, len, now, &body);
    return evm_wire_ok(body);
}

char *
evm_jobs_add(evm_jobs *f, const char *filename, const char *purpose, const char *data, size_t len,
             int64_t now)
{
    jv body;
    ft_file *x = store(f, filename, purpose, data, len, now, &body);
    jv_free(body);
    /* x->id never changes once stored, and files are never removed */
    return ev_alloc_strdup(x->id);
}

bool
evm_jobs_content(evm_jobs *f, const char *id, char **purpose, char **data, size_t *len)
{
    pthread_mutex_lock(&f->mu);
    const ft_file *x = find_file(f, id);
    if (x != NULL) {
        if (purpose != NULL)
            *purpose = ev_alloc_strdup(x->purpose);
        *data = memcpy(ev_alloc(x->len + 1), x->data, x->len + 1);
        *len = x->len;
    }
    pthread_mutex_unlock(&f->mu);
    return x != NULL;
}

evm_wire_reply
evm_jobs_file(evm_jobs *f, const char *id)
{
    pthread_mutex_lock(&f->mu);
    const ft_file *x = find_file(f, id);
    evm_wire_reply r = x != NULL ? evm_wire_ok(file_json(x)) : not_found("file", id);
    pthread_mutex_unlock(&f->mu);
    return r;
}

/* Jobs: their state at a time. */

/* reached returns the last step reached at 'now'. */
static int
reached(const ft_job *j, int64_t now)
{
    return evm_steps_reached(&j->steps, now);
}

static bool
is_cancelled(const ft_job *j, int64_t now)
{
    return evm_steps_stopped(&j->steps, now);
}

static const char *
status(const ft_job *j, int64_t now)
{
    if (is_cancelled(j, now))
        return "cancelled";
    int k = reached(j, now);
    if (k == S_DONE)
        return j->fail ? "failed" : "succeeded";
    return step_names[k];
}

static bool
ended(const ft_job *j, int64_t now)
{
    return evm_steps_ended(&j->steps, now);
}

static jv
hyperparameters(const ft_job *j)
{
    jv h = jv_object_set(jv_object(), jv_string("n_epochs"), jv_number((double)j->epochs));
    h = jv_object_set(h, jv_string("batch_size"), jv_number((double)j->batch));
    return jv_object_set(h, jv_string("learning_rate_multiplier"), jv_number(j->lr));
}

static jv
job_error(const ft_job *j)
{
    jv e = jv_object_set(jv_object(), jv_string("code"), jv_string("server_error"));
    e = jv_object_set(e, jv_string("message"),
                      jv_string_fmt("Fine-tuning job %s failed due to an internal error "
                                    "(simulated by ev-mock's job-fail fault).",
                                    j->id));
    return jv_object_set(e, jv_string("param"), jv_null());
}

static jv
job_json(const ft_job *j, int64_t now)
{
    const char *st = status(j, now);
    bool ok = strcmp(st, "succeeded") == 0, failed = strcmp(st, "failed") == 0;
    int64_t finished = is_cancelled(j, now) ? j->steps.stopped
                       : ok || failed       ? j->steps.at[S_DONE]
                                            : -1;
    jv o = jv_object_set(jv_object(), jv_string("object"), jv_string("fine_tuning.job"));
    o = jv_object_set(o, jv_string("id"), jv_string(j->id));
    o = jv_object_set(o, jv_string("model"), jv_string(j->model));
    o = jv_object_set(o, jv_string("created_at"), jv_number((double)(j->steps.at[0] / 1000)));
    o = jv_object_set(o, jv_string("finished_at"),
                      finished >= 0 ? jv_number((double)(finished / 1000)) : jv_null());
    o = jv_object_set(o, jv_string("fine_tuned_model"), ok ? jv_string(j->name) : jv_null());
    o = jv_object_set(o, jv_string("organization_id"), jv_string("org-ev-mock"));
    o = jv_object_set(o, jv_string("result_files"), jv_array());
    o = jv_object_set(o, jv_string("status"), jv_string(st));
    o = jv_object_set(o, jv_string("validation_file"), jv_null());
    o = jv_object_set(o, jv_string("training_file"), jv_string(j->file));
    o = jv_object_set(o, jv_string("hyperparameters"), hyperparameters(j));
    o = jv_object_set(o, jv_string("trained_tokens"),
                      ok ? jv_number(j->trained_tokens) : jv_null());
    o = jv_object_set(o, jv_string("error"), failed ? job_error(j) : jv_null());
    o = jv_object_set(o, jv_string("user_provided_suffix"), evm_wire_nullable(j->suffix));
    o = jv_object_set(o, jv_string("seed"), jv_number((double)j->seed));
    o = jv_object_set(o, jv_string("estimated_finish"), jv_null());
    o = jv_object_set(o, jv_string("integrations"), jv_array());
    jv sup = jv_object_set(jv_object(), jv_string("hyperparameters"), hyperparameters(j));
    jv method = jv_object_set(jv_object(), jv_string("type"), jv_string("supervised"));
    o = jv_object_set(o, jv_string("method"), jv_object_set(method, jv_string("supervised"), sup));
    o = jv_object_set(o, jv_string("metadata"), jv_null());
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* Creating a job. */

/* option reads hyperparameter 'key' of 'hp' (borrowed): "auto" or absent
 * leaves '*out'; a number in [lo, hi] (a whole one when 'whole') sets it.
 * Returns false when it is anything else. */
static bool
option(jv hp, const char *key, double lo, double hi, bool whole, double *out)
{
    jv v = jv_get_kind(hp) == JV_KIND_OBJECT ? ev_json_field(hp, key) : jv_invalid();
    bool ok = true;
    if (jv_get_kind(v) == JV_KIND_NUMBER) {
        double x = jv_number_value(v);
        ok = x >= lo && x <= hi && (!whole || x == floor(x));
        if (ok)
            *out = x;
    } else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
        ok = jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), "auto") == 0;
    }
    jv_free(v);
    return ok;
}

/* The outcome of reading a training file. */
typedef struct scan {
    double examples, billing_tokens;
    long problems;
    jv quoted; /* the first QUOTED_PROBLEMS problems, as strings */
    evm_learner_tally *tally;
} scan;

static void
scan_line(const evm_jobs *f, scan *s, char *line, size_t len, unsigned long lineno)
{
    jv rec = jv_parse_sized(line, (int)len);
    jv problems;
    ev_example_measure m = {0, 0, 0, false, false};
    if (!jv_is_valid(rec)) {
        jv_free(rec);
        problems =
            jv_array_append(jv_array(), jv_array_append(jv_array_append(jv_array(), jv_number(0)),
                                                        jv_string("not valid JSON")));
        rec = jv_null();
    } else {
        problems = ev_example_check(rec, f->c.max_tokens, &m);
    }
    int n = jv_array_length(jv_copy(problems));
    if (n == 0) {
        evm_trainset_count(s->tally, f->c.model, rec, ev_record_input(rec));
        s->examples++;
        s->billing_tokens += m.tokens < f->c.max_tokens ? m.tokens : f->c.max_tokens;
    }
    jv_array_foreach(problems, i, p)
    {
        s->problems++;
        if (jv_array_length(jv_copy(s->quoted)) < QUOTED_PROBLEMS) {
            jv text = jv_array_get(jv_copy(p), 1);
            s->quoted = jv_array_append(
                s->quoted, jv_string_fmt("line %lu: %s", lineno, jv_string_value(text)));
            jv_free(text);
        }
        jv_free(p);
        (void)i;
    }
    jv_free(problems);
    jv_free(rec);
}

/* scan_file validates the training file 'x' and counts its examples. */
static void
scan_file(const evm_jobs *f, const ft_file *x, scan *s)
{
    *s = (scan){0, 0, 0, jv_array(), evm_learner_tally_new()};
    char *line = ev_alloc(x->len + 1);
    unsigned long lineno = 0;
    for (size_t at = 0; at < x->len;) {
        const char *end = memchr(x->data + at, '\n', x->len - at);
        size_t n = end ? (size_t)(end - (x->data + at)) : x->len - at;
        memcpy(line, x->data + at, n);
        at += n + (end != NULL);
        lineno++;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        line[n] = '\0';
        size_t lead = strspn(line, " \t");
        if (lead == n)
            continue;
        scan_line(f, s, line, n, lineno);
    }
    free(line);
}

static jv
joined(jv list)
{
    jv out = jv_string("");
    jv_array_foreach(list, i, s)
    {
        if (i > 0)
            out = jv_string_append_str(out, "; ");
        out = jv_string_concat(out, s);
    }
    jv_free(list);
    return out;
}

/* check_file returns whether file 'x' can train a job; when it cannot, '*r'
 * gets the 400. */
static bool
check_file(const evm_jobs *f, const ft_file *x, scan *s, evm_wire_reply *r)
{
    if (strcmp(x->purpose, "fine-tune") != 0) {
        *r = bad(jv_string_fmt("File '%s' has purpose '%s', not 'fine-tune'.", x->id, x->purpose),
                 "training_file", "invalid_training_file");
        return false;
    }
    scan_file(f, x, s);
    if (s->problems > 0) {
        long more = s->problems - jv_array_length(jv_copy(s->quoted));
        jv list = joined(jv_copy(s->quoted));
        jv msg = jv_string_fmt("Invalid file format for training file '%s': %s", x->id,
                               jv_string_value(list));
        jv_free(list);
        if (more > 0)
            msg = jv_string_concat(
                msg, jv_string_fmt("; and %ld more problem%s", more, more == 1 ? "" : "s"));
        *r = bad(msg, "training_file", "invalid_training_file");
        return false;
    }
    if (s->examples < EV_DATASET_MIN_EXAMPLES) {
        *r = bad(jv_string_fmt("Training file '%s' has %.0f example%s, but at least %d are "
                               "required.",
                               x->id, s->examples, s->examples == 1 ? "" : "s",
                               EV_DATASET_MIN_EXAMPLES),
                 "training_file", "invalid_n_examples");
        return false;
    }
    return true;
}

/* read_request reads the job request 'req' (borrowed) into 'j', or returns
 * the 400. */
static bool
read_request(jv req, ft_job *j, evm_wire_reply *r)
{
    jv model = ev_json_field(req, "model"), file = ev_json_field(req, "training_file");
    jv suffix = ev_json_field(req, "suffix"), seed = ev_json_field(req, "seed");
    bool ok = false;
    if (jv_get_kind(model) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(model)) == 0) {
        *r = bad(jv_string("Missing required parameter: 'model'."), "model", NULL);
    } else if (jv_get_kind(file) != JV_KIND_STRING) {
        *r = bad(jv_string("Missing required parameter: 'training_file'."), "training_file", NULL);
    } else if (jv_is_valid(suffix) && jv_get_kind(suffix) != JV_KIND_NULL &&
               (jv_get_kind(suffix) != JV_KIND_STRING ||
                jv_string_length_bytes(jv_copy(suffix)) > 64 ||
                strchr(jv_string_value(suffix), ':') != NULL)) {
        *r = bad(jv_string("'suffix' must be a string of at most 64 characters without ':'."),
                 "suffix", NULL);
    } else if (jv_is_valid(seed) && jv_get_kind(seed) != JV_KIND_NULL &&
               (jv_get_kind(seed) != JV_KIND_NUMBER ||
                jv_number_value(seed) != floor(jv_number_value(seed)) ||
                fabs(jv_number_value(seed)) > 2147483647)) {
        *r = bad(jv_string("'seed' must be an integer."), "seed", NULL);
    } else {
        ok = true;
        j->model = ev_alloc_strdup(jv_string_value(model));
        j->file = ev_alloc_strdup(jv_string_value(file));
        if (jv_get_kind(suffix) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(suffix)) > 0)
            j->suffix = ev_alloc_strdup(jv_string_value(suffix));
        j->seed = jv_get_kind(seed) == JV_KIND_NUMBER ? (long)jv_number_value(seed) : -1;
    }
    jv_free(model);
    jv_free(file);
    jv_free(suffix);
    jv_free(seed);
    return ok;
}

/* read_hyperparameters reads hyperparameters or
 * method.supervised.hyperparameters of 'req' (borrowed): NAN where auto. */
static bool
read_hyperparameters(jv req, double *epochs, double *batch, double *lr, evm_wire_reply *r)
{
    jv hp = ev_json_field(req, "hyperparameters");
    if (!jv_is_valid(hp) || jv_get_kind(hp) == JV_KIND_NULL) {
        jv_free(hp);
        jv method = ev_json_field(req, "method");
        jv sup =
            jv_get_kind(method) == JV_KIND_OBJECT ? ev_json_field(method, "supervised") : jv_null();
        hp = jv_get_kind(sup) == JV_KIND_OBJECT ? ev_json_field(sup, "hyperparameters") : jv_null();
        jv_free(method);
        jv_free(sup);
    }
    const char *badkey = NULL;
    if (!option(hp, "n_epochs", 1, 50, true, epochs))
        badkey = "n_epochs";
    else if (!option(hp, "batch_size", 1, 256, true, batch))
        badkey = "batch_size";
    else if (!option(hp, "learning_rate_multiplier", 1e-9, 100, false, lr))
        badkey = "learning_rate_multiplier";
    jv_free(hp);
    if (badkey != NULL) {
        *r = bad(jv_string_fmt("'%s' must be 'auto' or a number in range.", badkey), badkey, NULL);
        return false;
    }
    return true;
}

/* When a job reaches each step, in fifths of 'job_ms': a fifth validating,
 * a fifth queued, the rest running. */
static const int step_parts[NSTEPS - 1] = {1, 2, 5};

evm_wire_reply
evm_jobs_create(evm_jobs *f, const char *body, size_t len, int64_t now)
{
    jv req = len > 0 && len < INT32_MAX ? jv_parse_sized(body, (int)len) : jv_invalid();
    if (jv_get_kind(req) != JV_KIND_OBJECT) {
        jv_free(req);
        return bad(jv_string("We could not parse the JSON body of your request."), NULL, NULL);
    }
    evm_wire_reply r;
    ft_job *j = ev_alloc_zero(1, sizeof(*j));
    double epochs = NAN, batch = NAN, lr = NAN;
    if (!read_request(req, j, &r) || !read_hyperparameters(req, &epochs, &batch, &lr, &r)) {
        jv_free(req);
        job_free(j);
        return r;
    }
    jv_free(req);

    /* Validating a file of many examples takes time; the lock is not held
     * for it, and files never change once stored. */
    pthread_mutex_lock(&f->mu);
    const ft_file *x = find_file(f, j->file);
    pthread_mutex_unlock(&f->mu);
    if (x == NULL) {
        r = bad(jv_string_fmt("invalid training_file: '%s' does not exist", j->file),
                "training_file", "invalid_training_file");
        job_free(j);
        return r;
    }
    scan s = {0, 0, 0, jv_null(), NULL};
    if (!check_file(f, x, &s, &r)) {
        jv_free(s.quoted);
        evm_learner_tally_free(s.tally);
        job_free(j);
        return r;
    }
    jv_free(s.quoted);
    j->tally = s.tally;
    j->examples = s.examples;
    j->epochs = isnan(epochs) ? ev_quote_default_epochs((size_t)s.examples, NULL) : (long)epochs;
    j->batch = isnan(batch) ? 1 : (long)batch;
    j->lr = isnan(lr) ? 2 : lr;
    j->trained_tokens = s.billing_tokens * (double)j->epochs;

    uint64_t key = ev_hash_64(j->file, strlen(j->file) + 1, ev_hash_mix64(f->c.seed ^ 0x6a6f62ULL));
    key = ev_hash_64(j->model, strlen(j->model) + 1, key);
    key = ev_hash_64(j->suffix ? j->suffix : "", strlen(j->suffix ? j->suffix : "") + 1, key);
    j->key = key & ~(uint64_t)0x7ff;
    pthread_mutex_lock(&f->mu);
    size_t dup = 0;
    for (size_t i = 0; i < f->njobs; i++)
        dup += f->jobs[i]->key == j->key;
    j->id = evm_wire_id("ftjob-", j->key, dup);
    if (j->seed < 0)
        j->seed = (long)(ev_hash_mix64(j->key ^ dup) % 2147483647u);
    jv name = jv_string_fmt("ft:%s:ev-mock:%s:%s", j->model, j->suffix ? j->suffix : "", j->id);
    j->name = ev_alloc_strdup(jv_string_value(name));
    jv_free(name);
    j->fail = f->c.faults != NULL && evm_fault_job_fails(f->c.faults, j->id);
    evm_steps_start(&j->steps, NSTEPS, now, f->c.job_ms, f->c.by_poll, step_parts);
    j->tuned = (evm_learner_tuned){&f->c.params, j->id, j->tally};
    add_job(f, j);
    journal(f, "job", job_record(j));
    r = evm_wire_ok(job_json(j, now));
    r.lost = f->c.faults != NULL && evm_fault_lost_id(f->c.faults, j->id);
    pthread_mutex_unlock(&f->mu);
    return r;
}

evm_wire_reply
evm_jobs_job(evm_jobs *f, const char *id, int64_t now)
{
    pthread_mutex_lock(&f->mu);
    ft_job *j = find_job(f, id);
    evm_wire_reply r;
    if (j == NULL) {
        r = not_found("job", id);
    } else {
        int k;
        if (f->c.by_poll && (k = evm_steps_poll(&j->steps, now)) > 0) {
            jv step = jv_object_set(jv_object(), jv_string("id"), jv_string(j->id));
            step = jv_object_set(step, jv_string("step"), jv_number(k));
            journal(f, "step", jv_object_set(step, jv_string("at"), jv_number((double)now)));
        }
        r = evm_wire_ok(job_json(j, now));
    }
    pthread_mutex_unlock(&f->mu);
    return r;
}

evm_wire_reply
evm_jobs_list(evm_jobs *f, int64_t now)
{
    pthread_mutex_lock(&f->mu);
    jv data = jv_array();
    for (size_t i = f->njobs; i-- > 0;)
        data = jv_array_append(data, job_json(f->jobs[i], now));
    pthread_mutex_unlock(&f->mu);
    jv o = jv_object_set(jv_object(), jv_string("object"), jv_string("list"));
    o = jv_object_set(o, jv_string("data"), data);
    return evm_wire_ok(jv_object_set(o, jv_string("has_more"), jv_false()));
}

/* Events. */

static jv
event(const ft_job *j, int index, int64_t at, const char *level, const char *type, jv message,
      jv data)
{
    char id[40];
    snprintf(id, sizeof(id), "ftevent-%016" PRIx64,
             ev_hash_64(&index, sizeof(index), ev_hash_64(j->id, strlen(j->id), 0)));
    jv e = jv_object_set(jv_object(), jv_string("object"), jv_string("fine_tuning.job.event"));
    e = jv_object_set(e, jv_string("id"), jv_string(id));
    e = jv_object_set(e, jv_string("created_at"), jv_number((double)(at / 1000)));
    e = jv_object_set(e, jv_string("level"), jv_string(level));
    e = jv_object_set(e, jv_string("message"), message);
    e = jv_object_set(e, jv_string("data"), data);
    return jv_object_set(e, jv_string("type"), jv_string(type));
}

/* visible says whether an event at 'at' has happened by 'now' and is not
 * after the job's cancellation. */
static bool
visible(const ft_job *j, int64_t at, int64_t now)
{
    return evm_steps_seen(&j->steps, at, now);
}

/* events returns the job's events at 'now', oldest first. The list only
 * ever grows at its end, so an event keeps its index and id. */
static jv
events(const ft_job *j, int64_t now)
{
    jv list = jv_array();
    int n = 0;
    for (int k = 0; k < S_DONE && visible(j, j->steps.at[k], now); k++) {
        jv said = k == S_VALIDATING ? jv_string_fmt("Validating training file: %s", j->file)
                  : k == S_QUEUED   ? jv_string("Files validated, moving job to queued state")
                                    : jv_string("Fine-tuning job started");
        list = jv_array_append(list,
                               event(j, n++, j->steps.at[k], "info", "message", said, jv_object()));
    }
    bool done = visible(j, j->steps.at[S_DONE], now);
    if (!j->fail && j->steps.at[S_RUNNING] >= 0 && j->steps.at[S_DONE] >= 0) {
        int64_t run = j->steps.at[S_DONE] - j->steps.at[S_RUNNING];
        long steps = (long)ceil(j->examples / (double)j->batch);
        for (long e = 1; e <= j->epochs; e++) {
            int64_t at = j->steps.at[S_RUNNING] + run * e / j->epochs;
            if (!visible(j, at, now) || (at == j->steps.at[S_DONE] && !done))
                break;
            double loss = 0.2 + 1.3 * pow(0.6, (double)e);
            jv data = jv_object_set(jv_object(), jv_string("step"), jv_number((double)(e * steps)));
            data = jv_object_set(data, jv_string("total_steps"),
                                 jv_number((double)(j->epochs * steps)));
            data = jv_object_set(data, jv_string("train_loss"), jv_number(round(loss * 1e4) / 1e4));
            list = jv_array_append(
                list, event(j, n++, at, "info", "metrics",
                            jv_string_fmt("Epoch %ld/%ld: training loss=%.4f", e, j->epochs, loss),
                            data));
        }
    }
    if (done && j->fail) {
        jv err = job_error(j);
        jv msg = ev_json_field(err, "message");
        jv_free(err);
        list = jv_array_append(
            list, event(j, n++, j->steps.at[S_DONE], "error", "message", msg, jv_object()));
    } else if (done) {
        list = jv_array_append(
            list, event(j, n++, j->steps.at[S_DONE], "info", "message",
                        jv_string_fmt("New fine-tuned model created: %s", j->name), jv_object()));
        list = jv_array_append(list,
                               event(j, n++, j->steps.at[S_DONE], "info", "message",
                                     jv_string("The job has successfully completed"), jv_object()));
    }
    if (is_cancelled(j, now))
        list = jv_array_append(list, event(j, n++, j->steps.stopped, "info", "message",
                                           jv_string("Fine-tuning job cancelled"), jv_object()));
    return list;
}

evm_wire_reply
evm_jobs_events(evm_jobs *f, const char *id, long limit, const char *after, int64_t now)
{
    pthread_mutex_lock(&f->mu);
    ft_job *j = find_job(f, id);
    if (j == NULL) {
        evm_wire_reply r = not_found("job", id);
        pthread_mutex_unlock(&f->mu);
        return r;
    }
    jv all = events(j, now);
    pthread_mutex_unlock(&f->mu);
    int n = jv_array_length(jv_copy(all)), start = n - 1;
    if (after != NULL) {
        for (int i = n - 1; i >= 0; i--) {
            jv e = jv_array_get(jv_copy(all), i);
            jv eid = ev_json_field(e, "id");
            jv_free(e);
            bool hit = strcmp(jv_string_value(eid), after) == 0;
            jv_free(eid);
            if (hit) {
                start = i - 1;
                break;
            }
        }
    }
    jv data = jv_array();
    int i = start;
    for (; i >= 0 && jv_array_length(jv_copy(data)) < limit; i--)
        data = jv_array_append(data, jv_array_get(jv_copy(all), i));
    jv_free(all);
    jv o = jv_object_set(jv_object(), jv_string("object"), jv_string("list"));
    o = jv_object_set(o, jv_string("data"), data);
    return evm_wire_ok(jv_object_set(o, jv_string("has_more"), jv_bool(i >= 0)));
}

evm_wire_reply
evm_jobs_cancel(evm_jobs *f, const char *id, int64_t now)
{
    pthread_mutex_lock(&f->mu);
    ft_job *j = find_job(f, id);
    evm_wire_reply r;
    if (j == NULL) {
        r = not_found("job", id);
    } else if (ended(j, now)) {
        r = bad(jv_string_fmt("Job %s has already %s.", j->id, status(j, now)), NULL,
                "job_already_completed");
    } else {
        evm_steps_stop(&j->steps, now);
        jv c = jv_object_set(jv_object(), jv_string("id"), jv_string(j->id));
        journal(f, "cancel", jv_object_set(c, jv_string("at"), jv_number((double)now)));
        r = evm_wire_ok(job_json(j, now));
    }
    pthread_mutex_unlock(&f->mu);
    return r;
}

/* Answering as the learner's models. */

/* ours says whether 'model' has the shape of the names this store gives,
 * "ft:BASE:ev-mock:SUFFIX:ftjob-...", and sets '*id' to the job id in it. */
static bool
ours(const char *model, const char **id)
{
    const char *last = strrchr(model, ':');
    if (strncmp(model, "ft:", 3) != 0 || last == NULL || strncmp(last + 1, "ftjob-", 6) != 0 ||
        strstr(model, ":ev-mock:") == NULL)
        return false;
    *id = last + 1;
    return true;
}

enum evm_jobs_kind
evm_jobs_resolve(evm_jobs *f, const char *model, int64_t now, evm_model_as *as)
{
    const char *id;
    if (f->learner != NULL && strcmp(model, f->learner) == 0) {
        *as = (evm_model_as){f->learner, evm_learner_base_accuracy, &f->c.params};
        return EVM_JOBS_BASE;
    }
    if (!ours(model, &id))
        return EVM_JOBS_PLAIN;
    pthread_mutex_lock(&f->mu);
    const ft_job *j = find_job(f, id);
    bool ready = j != NULL && strcmp(j->name, model) == 0 && !j->fail && !is_cancelled(j, now) &&
                 reached(j, now) == S_DONE;
    pthread_mutex_unlock(&f->mu);
    if (!ready)
        return EVM_JOBS_UNKNOWN;
    if (f->learner == NULL || strcmp(j->model, f->learner) != 0)
        return EVM_JOBS_PLAIN;
    *as = (evm_model_as){f->learner, evm_learner_tuned_accuracy, &j->tuned};
    return EVM_JOBS_TUNED;
}

jv
evm_jobs_stats(evm_jobs *f, int64_t now)
{
    static const char *const all[] = {"validating_files", "queued", "running",
                                      "succeeded",        "failed", "cancelled"};
    jv by = jv_object();
    pthread_mutex_lock(&f->mu);
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < f->njobs; i++)
            n += strcmp(status(f->jobs[i], now), all[k]) == 0;
        by = jv_object_set(by, jv_string(all[k]), jv_number((double)n));
    }
    jv o = jv_object_set(jv_object(), jv_string("simulated"), jv_true());
    o = jv_object_set(o, jv_string("files"), jv_number((double)f->nfiles));
    o = jv_object_set(o, jv_string("jobs"), jv_number((double)f->njobs));
    pthread_mutex_unlock(&f->mu);
    o = jv_object_set(o, jv_string("by_status"), by);
    jv l = jv_null();
    if (f->learner != NULL) {
        const evm_learner *p = &f->c.params;
        l = jv_object_set(jv_object(), jv_string("base"), jv_string(f->learner));
        l = jv_object_set(l, jv_string("floor"), jv_number(p->floor));
        l = jv_object_set(l, jv_string("gain"), jv_number(p->gain));
        l = jv_object_set(l, jv_string("ceiling"), jv_number(p->ceiling));
        l = jv_object_set(l, jv_string("scale"), jv_number(p->scale));
        l = jv_object_set(l, jv_string("noise"), jv_number(p->noise));
        l = jv_object_set(l, jv_string("formula"),
                          jv_string("SIMULATION: p(tag) = min(ceiling, floor + gain * log2(1 + "
                                    "n_tag / scale)) + noise(job, tag), clamped to [0, 1]"));
    }
    return jv_object_set(o, jv_string("learner"), l);
}
