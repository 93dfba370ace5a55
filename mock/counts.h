/*
 * counts.h: what ev-mock's server saw, as GET /stats shows it: requests by
 * endpoint and by outcome, models asked for, where answers came from,
 * attempts per distinct body, requests in flight and files uploaded.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Not thread-safe: the server holds its lock around every call.
 */
#ifndef EVM_COUNTS_H
#define EVM_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "fault.h"
#include "model.h"

/* The endpoints a request counts under, with or without /v1 and whatever
 * follows for the files, jobs and batches: /v1/fine_tuning/jobs/ID/events
 * counts as /v1/fine_tuning/jobs. Together's and Fireworks' endpoints,
 * under the roots /together and /fireworks, count the same way, every
 * path under /together/v2 as one, and Fireworks' under its collection
 * whatever the account. */
enum evm_counts_path {
    EVM_COUNTS_CHAT_V1,
    EVM_COUNTS_CHAT,
    EVM_COUNTS_MESSAGES_V1,
    EVM_COUNTS_MESSAGES,
    EVM_COUNTS_TOGETHER_CHAT,
    EVM_COUNTS_FIREWORKS_CHAT,
    EVM_COUNTS_FILES,
    EVM_COUNTS_JOBS,
    EVM_COUNTS_BATCHES,
    EVM_COUNTS_MESSAGE_BATCHES,
    EVM_COUNTS_TOGETHER_FILES,
    EVM_COUNTS_TOGETHER_JOBS,
    EVM_COUNTS_TOGETHER_WHOAMI,
    EVM_COUNTS_TOGETHER_V2,
    EVM_COUNTS_FIREWORKS_DATASETS,
    EVM_COUNTS_FIREWORKS_SFT,
    EVM_COUNTS_FIREWORKS_DPO,
    EVM_COUNTS_FIREWORKS_MODELS,
    EVM_COUNTS_FIREWORKS_DEPLOYMENTS,
    EVM_COUNTS_OTHER,
    EVM_COUNTS_NPATHS,
};

/* evm_counts_is_model says whether requests to 'path' are for a model:
 * the chat and messages endpoints. */
bool evm_counts_is_model(enum evm_counts_path path);

/* What became of a request: ok, a fault, or a refusal. */
enum evm_counts_outcome {
    EVM_COUNTS_OK,
    EVM_COUNTS_FAULT, /* EVM_COUNTS_FAULT + enum evm_fault */
    EVM_COUNTS_RATE_LIMITED = EVM_COUNTS_FAULT + EVM_FAULT_N,
    EVM_COUNTS_UNAUTHORIZED,
    EVM_COUNTS_BAD_REQUEST,
    EVM_COUNTS_NOT_FOUND,
    EVM_COUNTS_LOST_ID, /* done, but the answer cut short (the lost-id fault) */
    EVM_COUNTS_NOUTCOMES,
};

typedef struct evm_counts evm_counts;

evm_counts *evm_counts_new(void);

/* evm_counts_path_of returns the endpoint the path 'url' counts under. */
enum evm_counts_path evm_counts_path_of(const char *url);

/* evm_counts_outcome_name returns the name of 'o' in by_outcome: "ok", a
 * fault's name (fault.h), "rate_limited", "unauthorized", "bad_request",
 * "not_found" or "lost_id". */
const char *evm_counts_outcome_name(enum evm_counts_outcome o);

/* evm_counts_source_name returns the name of 'source' in answers:
 * "replay", "right", "wrong" or "unknown". */
const char *evm_counts_source_name(enum evm_model_source source);

/* evm_counts_request counts a request to 'path' that ended as 'outcome'. */
void evm_counts_request(evm_counts *c, enum evm_counts_path path, enum evm_counts_outcome outcome);

/* evm_counts_model counts a request for 'model'. Past a thousand names, a
 * client is making them up: new names are no longer counted. */
void evm_counts_model(evm_counts *c, const char *model);

/* evm_counts_attempt counts one more attempt of the body whose hash is
 * 'body' and returns how many there have been, this one included. */
unsigned long evm_counts_attempt(evm_counts *c, uint64_t body);

/* evm_counts_answer counts an answer made from 'source'. */
void evm_counts_answer(evm_counts *c, enum evm_model_source source);

/* evm_counts_enter and evm_counts_leave count a request that reaches the
 * model and its end, for in_flight and max_in_flight. */
void evm_counts_enter(evm_counts *c);
void evm_counts_leave(evm_counts *c);

/* evm_counts_upload counts a file uploaded. */
void evm_counts_upload(evm_counts *c);

/* evm_counts_json returns the object of GET /stats: {requests, by_path,
 * by_outcome, by_model, answers, distinct_bodies, max_attempts, in_flight,
 * max_in_flight, fine_tuning, batches}, where 'fine_tuning' is the job
 * store's (jobs.h) and 'batches' the batch store's (batches.h), with
 * files_uploaded added to batches.openai. */
jv evm_counts_json(const evm_counts *c, jv fine_tuning, jv batches);

/* evm_counts_summary returns the line ev-mock prints at exit: "N requests:
 * N ok, N faulted, N rate limited, N unauthorized, N bad, N not found",
 * where the faulted count the lost ids too. */
jv evm_counts_summary(const evm_counts *c);

/* evm_counts_reset starts the counts over; requests in flight stay counted
 * as in flight. */
void evm_counts_reset(evm_counts *c);

void evm_counts_free(evm_counts *c);

#endif
