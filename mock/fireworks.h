/*
 * fireworks.h: Fireworks AI's datasets, fine-tuning jobs, models and
 * deployments (https://api.fireworks.ai/v1/accounts/{account}/...), a
 * SIMULATION in ev-mock: datasets are kept in memory, a job trains
 * nothing, and the model it makes answers by the learner's formula
 * (learner.h) once a deployment of it is ready. The shapes follow
 * Fireworks' SDK and documentation as ev-mock(1) dates them.
 *
 * Ownership: json.h.
 *
 * Thread-safe: the store holds a lock of its own, and hands out no jv it
 * keeps. Nothing is ever freed before the store, so what a resolved model
 * points to lives as long as it.
 *
 * One account, the store's, is the key's: a path of another account gets
 * 403 PERMISSION_DENIED, but for GET accounts/fireworks/models/{id}, the
 * public base models, which say whether they are tunable. The client
 * chooses the ids (datasetId, supervisedFineTuningJobId, dpoJobId,
 * deploymentId: a lowercase letter, then lowercase letters, digits and
 * '-', at most 63), so a lost one is found again by a GET; an id taken is
 * 409 ALREADY_EXISTS.
 *
 * A dataset is made UPLOADING, and its :upload (a multipart field 'file')
 * checks it by Fireworks' rules (trainset.h) and makes it READY, or answers
 * 400 with the first problem. A supervised (or DPO) job moves
 * JOB_STATE_CREATING -> _PENDING -> _RUNNING -> _WRITING_RESULTS ->
 * _COMPLETED in fifths of 'job_ms' (one step a GET by poll); a job the
 * job-fail fault picks ends _FAILED after it runs, at 'job_ms' (its third
 * GET by poll); DELETE removes it, which stops it. Fields that Fireworks' Training V2
 * refuses (a nonzero batchSize or gradientAccumulationSteps, a jinjaTemplate,
 * earlyStop or mtpEnabled) are refused, as is any field the SDK does not
 * know. A completed job's outputModel (accounts/A/models/{job id} unless
 * it named one) is then a READY model of kind HF_PEFT_ADDON. A deployment
 * of it comes up CREATING -> READY over 'deploy_ms' (ten times as long when
 * the slow-deploy fault picks it), and answers chat requests for the model
 * on /inference/v1/chat/completions; DELETE makes it DELETING, then
 * DELETED, and it serves no more at once. Fireworks reports no price of a
 * deployment.
 */
#ifndef EVM_FIREWORKS_H
#define EVM_FIREWORKS_H

#include <stdint.h>

#include <jv.h>

#include "answer.h"
#include "jobs.h"
#include "model.h"
#include "wire.h"

typedef struct evm_fireworks evm_fireworks;

/* evm_fireworks_new returns an empty store of the account 'account'
 * (copied); of 'c' it reads seed, job_ms, deploy_ms, by_poll, faults
 * (job-fail, lost-id, slow-deploy), model, learner and params. */
evm_fireworks *evm_fireworks_new(const evm_jobs_config *c, const char *account);

/* evm_fireworks_serve answers a request under /v1/accounts ('h' below the
 * provider's root); any other path or method gets 404. Errors have
 * Fireworks' body, {"code", "message", "details": []}. */
evm_wire_reply evm_fireworks_serve(evm_fireworks *f, const evm_wire_http *h);

/* evm_fireworks_resolve says what the model name 'model' is on Fireworks'
 * inference endpoint at 'now', as evm_jobs_resolve does (answer.h's
 * resolve, with the store 'f'): "accounts/A/models/M" of a job, with a
 * ready deployment of it (or "...#accounts/A/deployments/D", that one), is
 * the model the job made, tuned from the learner's base or plain; a model
 * of the account without one is unknown; the learner's base is the base;
 * any other name is plain. */
enum evm_jobs_kind evm_fireworks_resolve(void *f, const char *model, int64_t now, evm_model_as *as);

/* evm_fireworks_names returns the model names of Fireworks' inference
 * endpoint: evm_fireworks_resolve's, with 'f'; a name it does not serve
 * gets 404 with code model_not_found. */
evm_answer_names evm_fireworks_names(evm_fireworks *f);

/* evm_fireworks_stats returns {account, datasets, jobs, by_state,
 * deployments, deployments_by_state}. */
jv evm_fireworks_stats(evm_fireworks *f, int64_t now);

void evm_fireworks_free(evm_fireworks *f);

#endif
