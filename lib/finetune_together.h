/*
 * finetune_together.h: Together AI's fine-tuning API as an
 * ev_finetune_api (lib/finetune.h), from its OpenAPI spec
 * (togethercomputer/openapi, 2026-04-28) and docs.together.ai (2026):
 *
 *   POST /files/upload            multipart: purpose, file_name, file_type, file
 *   POST /fine-tunes              {training_file, model, n_epochs, suffix,
 *                                  random_seed, training_method, training_type}
 *   GET  /fine-tunes              {data: [...]}: a lost job is found by its
 *                                  training_file, model and suffix
 *   GET  /fine-tunes/{id}, /fine-tunes/{id}/events, POST /fine-tunes/{id}/cancel
 *
 * LoRA unless 'full'; supervised ("sft", train_on_inputs "auto") unless
 * 'dpo' ("dpo", dpo_beta 0.1). A job has no id until Together gives one,
 * so the suffix names the submission: --suffix, else the run's name. The
 * tuned model is the job's model_output_name, read, never built.
 *
 * Ownership: json.h.
 */
#ifndef EV_FINETUNE_TOGETHER_H
#define EV_FINETUNE_TOGETHER_H

#include <jv.h>

#include "finetune.h"

extern const ev_finetune_api ev_finetune_together;

/* ev_finetune_together_job returns Together's job 'job' in the line's
 * form: completed is "succeeded", error and user_error "failed"; the
 * tuned model and its tokens only once it succeeded; and, when the job has
 * one, its model_object_id, the model a deployment serves. */
jv ev_finetune_together_job(jv job /* borrowed */);

/* ev_finetune_together_events returns Together's list of events 'list'
 * ({data: [...]}) as events, each {id, level, message}, the id made of the
 * event's time, type and message (Together's events have none). */
jv ev_finetune_together_events(jv list /* borrowed */);

#endif
