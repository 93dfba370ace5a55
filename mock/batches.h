/*
 * batches.h: the batch APIs of ev-mock, a SIMULATION of OpenAI's Batch API
 * (a file of request lines in, files of answers out) and of Anthropic's
 * Message Batches API (the requests in the body, results as JSONL).
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Every function is thread-safe: the store holds a lock of its own, and
 * hands out no jv it keeps.
 *
 * A batch's lines are answered when the batch is created, each by the
 * function of the synchronous endpoints (answer.h), so a line gets the
 * body the synchronous endpoint would send; time, or polling, only reveals
 * the answers. By time, a batch spends a fifth of 'batch_ms' validating,
 * three fifths in progress, while its lines are done in order at an even
 * rate, and a fifth finalizing. By poll, each GET of the batch moves it one
 * step, and in progress takes two: none done, then half. OpenAI's statuses
 * are validating -> in_progress -> finalizing -> completed (or expired, when
 * the batch-expire fault picked a line; or failed, when the input file is
 * invalid); Anthropic's are in_progress -> ended.
 *
 * Faults pick lines by a hash of the seed and the line's custom_id
 * (fault.h): the batch-fail fault makes a line end errored (a 500 in
 * OpenAI's error file, an api_error result in Anthropic's results), the
 * batch-expire fault makes it never run (listed in OpenAI's error file with
 * code batch_expired, and an expired result in Anthropic's). A cancel keeps the lines done when it
 * was asked; the rest are left out of OpenAI's files and are canceled in
 * Anthropic's results. Cancelling takes a tenth of 'batch_ms', or one GET.
 *
 * Ids are hashes of the seed and the request with a count of the earlier
 * equal ones, never of the clock. OpenAI's input and output files live in
 * the file store of jobs.h. Batches are kept in memory only: --state
 * does not keep them.
 *
 * Times: 'now' arguments are milliseconds since the epoch; OpenAI's times
 * are seconds, Anthropic's RFC 3339.
 */
#ifndef EVM_BATCHES_H
#define EVM_BATCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "fault.h"
#include "jobs.h"
#include "model.h"
#include "wire.h"

/* OpenAI's limits on an input file, and Anthropic's on a batch. */
#define EVM_BATCHES_OPENAI_MAX_LINES 50000
#define EVM_BATCHES_OPENAI_MAX_BYTES (200L * 1024 * 1024)
#define EVM_BATCHES_ANTHROPIC_MAX_REQUESTS 100000

typedef struct evm_batches evm_batches;

typedef struct evm_batches_config {
    uint64_t seed;
    long batch_ms;                /* by time: how long a batch takes */
    bool by_poll;                 /* each GET of a batch moves it one step */
    const evm_fault_plan *faults; /* its batch-fail and batch-expire shares pick
                                     lines (borrowed; NULL: none) */
    const char *base;             /* the server's root URL, for results_url (copied) */
    const evm_model *model;       /* frozen (borrowed) */
    evm_jobs *jobs;               /* the file store (borrowed) */
} evm_batches_config;

/* evm_batches_new returns an empty store with a copy of 'c'. */
evm_batches *evm_batches_new(const evm_batches_config *c);

/* OpenAI. The bodies are JSON requests of 'len' bytes, NUL-terminated;
 * errors are in OpenAI's shape. */

/* evm_batches_create answers POST /v1/batches {input_file_id, endpoint,
 * completion_window, metadata?}: an unknown file is a 404; an endpoint other
 * than /v1/chat/completions, a window other than 24h, or a file whose
 * purpose is not batch is a 400. A file with invalid lines makes a batch
 * that fails, with errors.data naming the lines. */
evm_wire_reply evm_batches_create(evm_batches *b, const char *body, size_t len, int64_t now);

/* evm_batches_get answers GET /v1/batches/{id}; by poll, it moves the batch one
 * step first. */
evm_wire_reply evm_batches_get(evm_batches *b, const char *id, int64_t now);

/* evm_batches_list answers GET /v1/batches: at most 'limit' batches, newest
 * first, after the batch 'after' (NULL: from the newest). */
evm_wire_reply evm_batches_list(evm_batches *b, long limit, const char *after, int64_t now);

/* evm_batches_cancel answers POST /v1/batches/{id}/cancel; an ended batch is a
 * 400. */
evm_wire_reply evm_batches_cancel(evm_batches *b, const char *id, int64_t now);

/* Anthropic. Errors are in Anthropic's shape, with 'request_id'. */

/* evm_batches_msg_create answers POST /v1/messages/batches {requests: [{custom_id,
 * params}]}: 1 to 100,000 requests, each custom_id unique and matching
 * ^[a-zA-Z0-9_-]{1,64}$, each params an object; anything else is a 400. */
evm_wire_reply evm_batches_msg_create(evm_batches *b, const char *body, size_t len, int64_t now,
                                      const char *request_id);

/* evm_batches_msg_get answers GET /v1/messages/batches/{id}, moving the batch one
 * step first by poll. */
evm_wire_reply evm_batches_msg_get(evm_batches *b, const char *id, int64_t now,
                                   const char *request_id);

/* evm_batches_msg_list answers GET /v1/messages/batches: at most 'limit' batches,
 * newest first, just after the batch 'after' or just before 'before' (NULL:
 * from the newest). */
evm_wire_reply evm_batches_msg_list(evm_batches *b, long limit, const char *after,
                                    const char *before, int64_t now);

/* evm_batches_msg_cancel answers POST /v1/messages/batches/{id}/cancel; an ended
 * batch is a 400. */
evm_wire_reply evm_batches_msg_cancel(evm_batches *b, const char *id, int64_t now,
                                      const char *request_id);

/* evm_batches_msg_results answers GET /v1/messages/batches/{id}/results: status
 * 200 with the JSONL results in '*text' ('*len' bytes, the caller frees it)
 * and a null body; or an error, a 400 before the batch has ended. */
evm_wire_reply evm_batches_msg_results(evm_batches *b, const char *id, int64_t now,
                                       const char *request_id, char **text, size_t *len);

/* evm_batches_stats returns {simulated: true, openai: {batches_created,
 * requests_answered}, anthropic: {...}}: batches created, and lines that got
 * an answer or an error (not those expired or canceled), since the start or
 * the last evm_batches_reset_stats. */
jv evm_batches_stats(evm_batches *b, int64_t now);
void evm_batches_reset_stats(evm_batches *b);

void evm_batches_free(evm_batches *b);

#endif
