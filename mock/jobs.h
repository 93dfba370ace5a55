/*
 * jobs.h: the OpenAI files and fine-tuning jobs of ev-mock, a
 * SIMULATION: files are kept in memory, a job trains nothing, and the
 * model it makes answers by the learner's formula (learner.h).
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Every function is thread-safe: the store holds a lock of its own, and
 * hands out no jv it keeps (jv reference counts are not safe to share).
 *
 * Ids are hashes, never of the clock: a file's id is a hash of the seed,
 * its name, purpose and bytes; a job's, of the seed, its file, model and
 * suffix; each with a count of the earlier equal ones. The same requests
 * made to a restarted server therefore give the same ids, and the same
 * training gives the same model name.
 *
 * A job moves validating_files -> queued -> running -> succeeded (or failed,
 * when the job-fail fault picks it; or cancelled, when asked before it
 * ends). By time (the default), it spends a fifth of 'job_ms' validating,
 * a fifth queued and the rest running. By poll, each GET of the job moves
 * it one step, whatever the time. Its model is named
 * "ft:BASE:ev-mock:SUFFIX:JOBID".
 *
 * Times: 'now' arguments are milliseconds since the epoch, so tests can
 * drive the clock; the API's created_at and finished_at are seconds.
 */
#ifndef EVM_JOBS_H
#define EVM_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "fault.h"
#include "learner.h"
#include "model.h"
#include "wire.h"

typedef struct evm_jobs evm_jobs;

typedef struct evm_jobs_config {
    uint64_t seed;
    long job_ms;                  /* by time: how long a job takes */
    long deploy_ms;               /* by time: how long a deployment takes to come up
                                     (Together's and Fireworks') */
    bool by_poll;                 /* each GET of a job (or deployment) moves it one step */
    const evm_fault_plan *faults; /* its job-fail share picks the jobs that fail
                                     (borrowed; NULL: none fails) */
    const evm_model *model;       /* frozen; cases that training examples match
                                     (borrowed; NULL: none) */
    const char *learner;          /* the base model simulated as a learner, or NULL */
    evm_learner params;           /* the learner's formula */
    double max_tokens;            /* the token limit of an example, for validation */
} evm_jobs_config;

/* evm_jobs_new returns an empty store with a copy of 'c'. */
evm_jobs *evm_jobs_new(const evm_jobs_config *c);

/* evm_jobs_journal replays the journal at 'path', if it exists, into 'f', and
 * then appends every new file, job, step and cancellation to it, so that a
 * restarted server knows the files, jobs and tuned models of earlier runs.
 * Returns 0, or -1 with '*err' set to an invalid whose message names the
 * path (and line). Call it once, before the first request. */
int evm_jobs_journal(evm_jobs *f, const char *path, jv *err);

/* evm_jobs_upload stores a file (POST /v1/files): 'data' ('len' bytes),
 * named 'filename', for 'purpose'. Either may be NULL when the form lacked
 * it, which is a 400. */
evm_wire_reply evm_jobs_upload(evm_jobs *f, const char *filename, const char *purpose,
                               const char *data, size_t len, int64_t now);

/* evm_jobs_add stores a file the server made itself, such as a batch's
 * output (purpose "batch_output"), without the checks of an upload, and
 * returns its id, which the caller frees. */
char *evm_jobs_add(evm_jobs *f, const char *filename, const char *purpose, const char *data,
                   size_t len, int64_t now);

/* evm_jobs_content copies the bytes of the file 'id' into '*data' (with a NUL
 * after its '*len' bytes) and, when 'purpose' is not NULL, its purpose into
 * '*purpose'; the caller frees both. Returns false, and sets nothing, when
 * there is no such file. */
bool evm_jobs_content(evm_jobs *f, const char *id, char **purpose, char **data, size_t *len);

/* evm_jobs_file answers GET /v1/files/{id}. */
evm_wire_reply evm_jobs_file(evm_jobs *f, const char *id);

/* evm_jobs_create creates a job from the JSON request 'body' ('len' bytes,
 * NUL-terminated): {model, training_file, suffix?, seed?, hyperparameters?
 * or method.supervised.hyperparameters?}. The training file must exist,
 * have purpose fine-tune, pass ev-tune's checks (example.h) and hold at least
 * 10 examples; otherwise the answer is a 400 in OpenAI's error shape. The
 * job counts its examples by tag: an example's own 'tags' (the first),
 * else the first tag of the case (in the mock) with its prompt, else
 * EVM_LEARNER_OTHER. Its trained_tokens are ev-tune's estimate of its
 * billing tokens times its epochs. When the lost-id fault picks the new
 * job, the reply is marked lost (wire.h). */
evm_wire_reply evm_jobs_create(evm_jobs *f, const char *body, size_t len, int64_t now);

/* evm_jobs_job answers GET /v1/fine_tuning/jobs/{id}; by poll, it moves the
 * job one step first. */
evm_wire_reply evm_jobs_job(evm_jobs *f, const char *id, int64_t now);

/* evm_jobs_list answers GET /v1/fine_tuning/jobs: every job, newest first. */
evm_wire_reply evm_jobs_list(evm_jobs *f, int64_t now);

/* evm_jobs_events answers GET /v1/fine_tuning/jobs/{id}/events: at most
 * 'limit' events, newest first, starting after the event 'after' (NULL:
 * from the newest), with has_more. */
evm_wire_reply evm_jobs_events(evm_jobs *f, const char *id, long limit, const char *after,
                               int64_t now);

/* evm_jobs_cancel answers POST /v1/fine_tuning/jobs/{id}/cancel: a job that
 * has not ended is cancelled; one that has is a 400. */
evm_wire_reply evm_jobs_cancel(evm_jobs *f, const char *id, int64_t now);

/* What a model name is to the store. */
enum evm_jobs_kind {
    EVM_JOBS_PLAIN,   /* not the learner's: answer by the usual rules */
    EVM_JOBS_BASE,    /* the learner's base model */
    EVM_JOBS_TUNED,   /* a model tuned from the learner's base by a job here */
    EVM_JOBS_UNKNOWN, /* an ev-mock model name ("ft:...:ev-mock:...:ftjob-...")
                      whose job is unknown or has not succeeded */
};

/* evm_jobs_resolve says what 'model' is and, for the learner's models, fills
 * '*as' to answer as it (evm_model_answer_as). What '*as' points to lives as
 * long as the store. A tuned model whose base is not the learner's answers
 * by the usual rules. */
enum evm_jobs_kind evm_jobs_resolve(evm_jobs *f, const char *model, int64_t now, evm_model_as *as);

/* evm_jobs_stats returns {simulated: true, files, jobs, by_status, learner},
 * where learner is null or {base, floor, gain, ceiling, scale, noise,
 * formula}. */
jv evm_jobs_stats(evm_jobs *f, int64_t now);

void evm_jobs_free(evm_jobs *f);

#endif
