/*
 * together.h: Together AI's files and fine-tuning jobs (the v1 REST API,
 * https://api.together.ai/v1), a SIMULATION in ev-mock: files are kept in
 * memory, a job trains nothing, and the model it makes answers by the
 * learner's formula (learner.h) once it is deployed (dmi.h). The shapes
 * follow Together's OpenAPI spec and documentation as ev-mock(1) dates
 * them.
 *
 * Ownership: json.h.
 *
 * Thread-safe: the store holds a lock of its own, and hands out no jv it
 * keeps. Nothing is ever removed, so what evm_together_tuned points to
 * lives as long as the store.
 *
 * Files. POST /v1/files/upload takes a multipart form of purpose,
 * file_name, file_type (jsonl by default) and file, checks a fine-tune
 * file by Together's rules (trainset.h) at once, and answers the file
 * object with processing_status COMPLETED, or INVALID_FORMAT and a
 * validation_report naming the first problem. The same bytes uploaded
 * again for the same purpose get the same file back, as the docs say
 * Together does. GET /v1/files lists them ({"data"}, newest first), GET
 * /v1/files/{id} answers one.
 *
 * Jobs. POST /v1/fine-tunes creates a job from {training_file, model,
 * n_epochs, suffix, learning_rate, batch_size, training_method,
 * training_type, validation_file, ...}; a job moves pending -> queued ->
 * running -> uploading -> completed in fifths of 'job_ms' (one step a GET
 * by poll); a job the job-fail fault picks ends "error" after it runs, at
 * 'job_ms' (its third GET by poll). POST /v1/fine-tunes/{id}/cancel asks a job that has not ended
 * to stop: cancel_requested, then cancelled a tenth of 'job_ms' later (or
 * at the next GET). GET /v1/fine-tunes lists every job, newest first; GET
 * /v1/fine-tunes/{id}/events lists a job's events, oldest first; POST
 * /v1/fine-tunes/estimate-price prices a training file. A job's
 * model_output_name is "ev-mock/BASE-SUFFIX-HEX" (BASE the last part of
 * the model's name); once it has completed it also has model_object_id
 * ("ml_...") and model_object_name, which deployments name (dmi.h). Its
 * token_count is the file's estimated tokens (trainset.h) times n_epochs,
 * and its total_price, in nano-dollars, that times a made-up rate of
 * $0.50 a million tokens.
 *
 * Ids are hashes of the seed and the request, never of the clock, written
 * as Together writes them: "file-" or "ft-" and a UUID.
 */
#ifndef EVM_TOGETHER_H
#define EVM_TOGETHER_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "jobs.h"
#include "learner.h"
#include "wire.h"

/* The made-up price of training, in US dollars a million tokens, of
 * Together's and Fireworks' jobs alike. */
#define EVM_TOGETHER_TRAIN_USD_PER_M 0.5

typedef struct evm_together evm_together;

/* evm_together_new returns an empty store; of 'c' it reads seed, job_ms,
 * by_poll, faults (job-fail and lost-id), model, learner and params. */
evm_together *evm_together_new(const evm_jobs_config *c);

/* evm_together_serve answers a request to Together's files and
 * fine-tuning endpoints ('h' below the provider's root, "/v1/files...",
 * "/v1/fine-tunes..."); any other path or method gets 404. Errors have
 * Together's body, {"error": {message, type, param, code}}. */
evm_wire_reply evm_together_serve(evm_together *t, const evm_wire_http *h);

/* A model a job made, as a deployment serves it. */
typedef struct evm_together_model {
    const char *object_id;   /* "ml_..." */
    const char *object_name; /* "ev-mock/NAME" */
    const char *base;        /* the job's model */
    const evm_learner_tuned *tuned;
} evm_together_model;

/* evm_together_tuned finds the model object 'id' of a job that completed
 * by 'now' and fills '*m'; false when there is none. */
bool evm_together_tuned(evm_together *t, const char *id, int64_t now, evm_together_model *m);

/* evm_together_is_output says whether 'name' is the model_output_name or
 * model_object_name of a job: a model Together serves only deployed. */
bool evm_together_is_output(evm_together *t, const char *name);

/* evm_together_stats returns {files, jobs, by_status}. */
jv evm_together_stats(evm_together *t, int64_t now);

void evm_together_free(evm_together *t);

#endif
