/*
 * mockwire.h: the OpenAI Chat Completions and Anthropic Messages wire
 * formats, from the server's side: reading a request, writing an answer or
 * an error, in each provider's shape and words.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * OpenAI errors read {"error": {message, type, param, code}}; Anthropic
 * errors read {"type": "error", "error": {type, message}, "request_id"}.
 * Tokens are estimated, not counted: one token per 4 bytes of text, rounded
 * up, for the prompt and for the answer alike.
 */
#ifndef EV_MOCKWIRE_H
#define EV_MOCKWIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

enum ev_wire { EV_WIRE_OPENAI, EV_WIRE_ANTHROPIC };

/* A model request, as read from its body. */
typedef struct ev_wire_request {
    jv model;        /* a string */
    jv full, last;   /* the prompt's texts, as ev_mock_prompt gives them */
    long max_tokens; /* the output limit, or -1 for none */
} ev_wire_request;

/* ev_wire_parse reads the request body 'body' ('len' bytes, NUL-terminated)
 * into '*req'. The body must be a JSON object with a non-empty string
 * 'model', a non-empty array of message objects 'messages', no 'stream':
 * true, and a token limit that is absent or a non-negative integer: OpenAI's
 * 'max_completion_tokens', else its 'max_tokens'; Anthropic's 'max_tokens',
 * which is required. Anthropic's top-level 'system' is read as a first
 * system message. Returns NULL and fills '*req', which the caller frees with
 * ev_wire_request_free; or returns the message of a 400, in the provider's
 * words, and leaves '*req' alone. */
const char *ev_wire_parse(enum ev_wire w, const char *body, size_t len, ev_wire_request *req);

void ev_wire_request_free(ev_wire_request *req);

/* ev_wire_tokens estimates the tokens of 'bytes' bytes of text. */
long ev_wire_tokens(size_t bytes);

/* ev_wire_answer returns the body of a successful answer 'text' to 'req'
 * (borrowed), with the id 'id' ("chatcmpl-..." or "msg_..."). When the text
 * is over the request's token limit it is cut to 4 bytes a token, on a
 * character boundary, and the finish reason is 'length' (OpenAI) or
 * 'max_tokens' (Anthropic) instead of 'stop' or 'end_turn'. With 'usage'
 * false the body has no 'usage', as some servers send. */
jv ev_wire_answer(enum ev_wire w, const ev_wire_request *req, const char *id, const char *text,
                  bool usage);

enum ev_wire_error {
    EV_WIRE_BAD_REQUEST, /* 400; always give a message */
    EV_WIRE_NO_KEY,      /* 401, no key sent */
    EV_WIRE_BAD_KEY,     /* 401, a wrong key */
    EV_WIRE_NOT_FOUND,   /* 404 */
    EV_WIRE_TOO_LARGE,   /* 413 */
    EV_WIRE_RATE_LIMIT,  /* 429 */
    EV_WIRE_QUOTA,       /* OpenAI 429 insufficient_quota; Anthropic 400 low credit */
    EV_WIRE_500,
    EV_WIRE_502, /* OpenAI's is Cloudflare's, with the number 502 as code */
    EV_WIRE_503,
    EV_WIRE_529, /* Anthropic's overloaded_error */
    EV_WIRE_NERRORS,
};

/* ev_wire_status returns the HTTP status of error 'e' from provider 'w'. */
unsigned ev_wire_status(enum ev_wire w, enum ev_wire_error e);

/* ev_wire_error returns the body of error 'e', with 'message' in place of
 * the provider's stock words when not NULL. Anthropic's body carries
 * 'request_id'. */
jv ev_wire_error(enum ev_wire w, enum ev_wire_error e, const char *message, const char *request_id);

/* ev_wire_duration writes 'ms' milliseconds into 'buf' ('n' bytes) as Go
 * prints a time.Duration ("20ms", "1.5s", "6m0s"): the format of OpenAI's
 * x-ratelimit-reset-* headers. */
void ev_wire_duration(char *buf, size_t n, long ms);

/* ev_wire_time_in writes the UTC time 'ms' milliseconds from now, rounded
 * up to a second, in RFC 3339 ("2026-11-24T12:40:59Z"): the format of
 * Anthropic's anthropic-ratelimit-*-reset headers. */
void ev_wire_time_in(char *buf, size_t n, long ms);

/* ev_wire_flat_error returns the flat error body of vLLM up to v0.10.0,
 * {"object": "error", message, type, param, code}, which has no 'error'
 * wrapper and a number for 'code'. */
jv ev_wire_flat_error(int code, const char *message);

#endif
