/*
 * answer.h: ev-mock's answer to one chat request body, in a provider's wire
 * format. The synchronous endpoints and the lines of a batch answer through
 * these functions alike, so a batch line gets exactly the body the
 * synchronous endpoint would send for the same request.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Thread-safe: the model is frozen and the job store locks itself.
 */
#ifndef EVM_ANSWER_H
#define EVM_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "jobs.h"
#include "model.h"
#include "wire.h"

/* A chat request, read and with its model resolved. */
typedef struct evm_answer_chat {
    enum evm_wire w;
    evm_wire_request req;
    enum evm_jobs_kind kind; /* what the model is to the job store */
    evm_model_as as;         /* how the learner's models answer */
    bool judge_invalid;      /* the judge (evm_model_set_judge) answers with no label */
} evm_answer_chat;

/* What an answer was made from, for the server's counts and log. */
typedef struct evm_answer_source {
    enum evm_model_source source;
    const char *case_id; /* borrowed from the model; NULL when no case */
} evm_answer_source;

/* Who says what the model names of a chat endpoint are: 'resolve' with
 * 'store', as evm_jobs_resolve does for OpenAI's names. A name it calls
 * EVM_JOBS_UNKNOWN gets a 404 whose message is the name between 'before'
 * and 'after', and whose OpenAI code is 'code'. */
typedef struct evm_answer_names {
    enum evm_jobs_kind (*resolve)(void *store, const char *model, int64_t now, evm_model_as *as);
    void *store;
    const char *before, *after, *code;
} evm_answer_names;

/* evm_answer_openai returns the names of OpenAI's and Anthropic's
 * endpoints: those of the job store 'jobs'. */
evm_answer_names evm_answer_openai(evm_jobs *jobs);

/* evm_answer_read reads the request body 'body' ('len' bytes,
 * NUL-terminated) for provider 'w' and resolves its model by 'names' at
 * 'now'. Returns 0 and fills '*c', which the caller frees with
 * evm_answer_free; or returns the HTTP status of an error and sets '*err' to
 * its body in the provider's shape: 400 when the body is not a model request
 * (evm_wire_parse), 404 when 'names' call the model unknown (for OpenAI's:
 * it has ev-mock's naming but no finished job made it). 'request_id' goes
 * into Anthropic's error body. '*c' is always safe to free. */
unsigned evm_answer_read(const evm_answer_names *names, enum evm_wire w, const char *body,
                         size_t len, int64_t now, const char *request_id, evm_answer_chat *c,
                         jv *err);

/* evm_answer_body returns the body of the answer to 'c' (borrowed) from the
 * model 'm', with the id 'id' ("chatcmpl-..." or "msg_..."), with 'usage'
 * or not; '*src', when not NULL, says what the answer came from. */
jv evm_answer_body(const evm_model *m, const evm_answer_chat *c, const char *id, bool usage,
                   evm_answer_source *src);

/* evm_answer_reply is evm_answer_read and then evm_answer_body with usage:
 * it sets '*status' to 200 and returns the answer, or to the error's status
 * and returns the error body. 'id' is the answer's id. */
jv evm_answer_reply(const evm_answer_names *names, const evm_model *m, enum evm_wire w,
                    const char *body, size_t len, const char *id, int64_t now,
                    const char *request_id, unsigned *status, evm_answer_source *src);

/* evm_answer_id writes into 'buf' the id of the answer to attempt 'attempt'
 * of the body whose hash is 'body': "chatcmpl-" (OpenAI) or "msg_"
 * (Anthropic) and 16 hex digits. A batch line gets the id of the first
 * attempt. */
void evm_answer_id(char buf[40], enum evm_wire w, uint64_t body, unsigned long attempt);

void evm_answer_free(evm_answer_chat *c);

#endif
