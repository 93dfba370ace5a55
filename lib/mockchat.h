/*
 * mockchat.h: ev-mock's answer to one chat request body, in a provider's
 * wire format. The synchronous endpoints and the lines of a batch answer
 * through these functions alike, so a batch line gets exactly the body the
 * synchronous endpoint would send for the same request.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Thread-safe: the mock is frozen and the store locks itself.
 */
#ifndef EV_MOCKCHAT_H
#define EV_MOCKCHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "finetune.h"
#include "mock.h"
#include "mockwire.h"

/* A chat request, read and with its model resolved. */
typedef struct ev_chat {
    enum ev_wire w;
    ev_wire_request req;
    enum ev_ft_kind kind; /* what the model is to the fine-tuning store */
    ev_mock_as as;        /* how the learner's models answer */
    bool judge_invalid;   /* the judge (ev_mock_set_judge) answers with no label */
} ev_chat;

/* What an answer was made from, for the server's counts and log. */
typedef struct ev_chat_source {
    enum ev_mock_source source;
    const char *case_id; /* borrowed from the mock; NULL when no case */
} ev_chat_source;

/* ev_chat_read reads the request body 'body' ('len' bytes, NUL-terminated)
 * for provider 'w' and resolves its model in 'ft' at 'now'. Returns 0 and
 * fills '*c', which the caller frees with ev_chat_free; or returns the HTTP
 * status of an error and sets '*err' to its body in the provider's shape:
 * 400 when the body is not a model request (ev_wire_parse), 404 when the
 * model has ev-mock's naming but no finished job made it. 'request_id' goes
 * into Anthropic's error body. '*c' is always safe to free. */
unsigned ev_chat_read(ev_ft *ft, enum ev_wire w, const char *body, size_t len, int64_t now,
                      const char *request_id, ev_chat *c, jv *err);

/* ev_chat_answer returns the body of the answer to 'c' (borrowed) from the
 * mock 'm', with the id 'id' ("chatcmpl-..." or "msg_..."), with 'usage'
 * or not; '*src', when not NULL, says what the answer came from. */
jv ev_chat_answer(const ev_mock *m, const ev_chat *c, const char *id, bool usage,
                  ev_chat_source *src);

/* ev_chat_reply is ev_chat_read and then ev_chat_answer with usage: it sets
 * '*status' to 200 and returns the answer, or to the error's status and
 * returns the error body. 'id' is the answer's id. */
jv ev_chat_reply(ev_ft *ft, const ev_mock *m, enum ev_wire w, const char *body, size_t len,
                 const char *id, int64_t now, const char *request_id, unsigned *status,
                 ev_chat_source *src);

void ev_chat_free(ev_chat *c);

#endif
