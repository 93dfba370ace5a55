/*
 * batch.h: the providers' batch APIs, as ev-call --batch speaks them.
 *
 * Ownership: json.h.
 *
 * Two providers:
 *   openai     the Batch API: the requests go up as a JSONL file (POST
 *              {base}/files, purpose batch), one line per request,
 *              {custom_id, method, url, body}; POST {base}/batches starts
 *              the batch, GET {base}/batches/ID says how far it is, and the
 *              answers come back as two files, output and errors, fetched
 *              with GET {base}/files/ID/content.
 *   anthropic  the Message Batches API: POST {base}/messages/batches with
 *              {requests: [{custom_id, params}]}; GET .../batches/ID says
 *              how far it is, and GET .../batches/ID/results gives one
 *              JSONL line per request once it has ended.
 * Either way each answer names its request by the custom_id it was sent
 * with, in no promised order, and costs about half the synchronous price.
 *
 * Nothing here does I/O: lib/rest.c sends, lib/batchrun.c runs the batch.
 */
#ifndef EV_BATCH_H
#define EV_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#include "provider.h"

/* The most one batch may hold: OpenAI 50,000 requests in a file of 200 MB;
 * Anthropic 100,000 requests in a body of 256 MB. */
typedef struct ev_batch_limits {
    size_t requests;
    size_t bytes;
} ev_batch_limits;

ev_batch_limits ev_batch_limits_of(ev_provider p);

/* ev_batch_custom_id returns the custom_id of sample 'sample' of the case
 * whose id is 'id' (borrowed; a string or a number) in the run whose tag is
 * 'tag': the first 8 bytes of the tag, '_', the id with every byte outside
 * [A-Za-z0-9_-] made '_', then "_s" and the sample, and with 'dup' > 0 "_"
 * and 'dup' + 1 (for the caller to make it unique within the batch); the
 * id is cut so that the whole is at most 64 bytes. It suits both providers
 * (Anthropic allows only those characters, at most 64), and the tag keeps
 * the results of another run's batch from joining this run's cases. */
jv ev_batch_custom_id(const char *tag, jv id /* borrowed */, int sample, int dup);

/* ev_batch_line returns one request of a batch, as the JSON text of one
 * line: for openai {custom_id, method, url, body}, for anthropic
 * {custom_id, params}. 'body' is the request body as ev-call sends it
 * synchronously (JSON text, borrowed). */
jv ev_batch_line(ev_provider p, const char *custom_id, const char *body);

/* What a batch object says of itself. */
typedef struct ev_batch_status {
    jv id;       /* string */
    jv state;    /* the provider's word: validating, in_progress, completed... */
    bool ended;  /* no request will run any more */
    bool failed; /* openai: the batch was refused as a whole ('message' says why) */
    double total, done, failed_n; /* requests: in all, finished, failed so far */
    jv output;                    /* openai: the output file's id, or null; anthropic: null */
    jv errors;                    /* openai: the error file's id, or null; anthropic: null */
    jv message;                   /* when 'failed': what the provider said, else null */
} ev_batch_status;

/* ev_batch_status_read reads the batch object 'b' (borrowed) of provider
 * 'p' into '*s'. Returns false when 'b' is not a batch object (no id or no
 * status); '*s' is then set to nothing. Free with ev_batch_status_free. */
bool ev_batch_status_read(ev_provider p, jv b /* borrowed */, ev_batch_status *s);

void ev_batch_status_free(ev_batch_status *s);

/* ev_batch_result_read reads one line of a batch's results (the output or
 * error file of openai, the results of anthropic) into '*r' and sets
 * '*custom_id' to the line's custom_id. An answer reads as a synchronous
 * response would (ev_provider_reply_parse). A request that failed, was cancelled or
 * expired reads as a failure: kind "http" (with '*status' its HTTP status,
 * or 0 when none), or "timeout" for a request the batch never ran before it
 * expired. Returns false, with '*custom_id' invalid and a message in
 * r->message, for a line that is not a result. */
bool ev_batch_result_read(ev_provider p, const char *line, size_t len, jv *custom_id, long *status,
                          ev_provider_reply *r);

#endif
