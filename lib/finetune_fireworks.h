/*
 * finetune_fireworks.h: Fireworks AI's fine-tuning API as an
 * ev_finetune_api (lib/finetune.h), from its Python SDK
 * (fw-ai-external/python-sdk 1.2.2, 2026-07-21) and docs.fireworks.ai
 * (2026), under https://api.fireworks.ai/v1/accounts/{account}:
 *
 *   POST /datasets                {datasetId, dataset: {displayName, exampleCount,
 *                                  format, userUploaded}}
 *   POST /datasets/{id}:upload    multipart: file
 *   POST /supervisedFineTuningJobs?supervisedFineTuningJobId=ID
 *                                 {dataset, baseModel, outputModel, displayName, epochs}
 *   POST /dpoJobs?dpoJobId=ID     {dataset, displayName, trainingConfig: {baseModel,
 *                                  outputModel, epochs}, lossConfig: {method: DPO, dpo}}
 *   GET  /v1/{job name}, DELETE /v1/{job name} (the documented way to stop one)
 *
 * ev chooses every id (the run's name), so a job whose answer was lost is
 * found again with a GET; a dataset made before is used again. A job's id
 * in the line is its resource name (accounts/A/supervisedFineTuningJobs/ID),
 * which --resume and --cancel take. Fireworks has no events for these jobs:
 * the follower says each change of state.
 *
 * Ownership: json.h.
 */
#ifndef EV_FINETUNE_FIREWORKS_H
#define EV_FINETUNE_FIREWORKS_H

#include <jv.h>

#include "finetune.h"

extern const ev_finetune_api ev_finetune_fireworks;

/* ev_finetune_fireworks_job returns Fireworks' supervised or DPO job 'job'
 * in the line's form: JOB_STATE_COMPLETED (and _EARLY_STOPPED) is
 * "succeeded", _FAILED and _EXPIRED "failed", _CANCELLED "cancelled", any
 * other state its name in lowercase without JOB_STATE_. */
jv ev_finetune_fireworks_job(jv job /* borrowed */);

/* ev_finetune_fireworks_send sends 'method' to /v1/'name', a resource
 * name such as accounts/a/deployments/d, with 'body' (consumed; invalid for
 * none), as ev_rest_send does. */
jv ev_finetune_fireworks_send(ev_rest *c, const char *method, const char *name, jv body,
                              const char *what, ev_rest_result *res);

#endif
