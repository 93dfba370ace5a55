/*
 * wire.h: the OpenAI and Anthropic wire formats, from the server's side:
 * reading a chat request, writing an answer or an error in each provider's
 * shape and words, and the ids, times and durations the APIs write.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * OpenAI errors read {"error": {message, type, param, code}}; Anthropic
 * errors read {"type": "error", "error": {type, message}, "request_id"}.
 * Tokens are estimated, not counted: one token per 4 bytes of text, rounded
 * up, for the prompt and for the answer alike.
 */
#ifndef EVM_WIRE_H
#define EVM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

enum evm_wire { EVM_WIRE_OPENAI, EVM_WIRE_ANTHROPIC };

/* A model request, as read from its body. */
typedef struct evm_wire_request {
    jv model;        /* a string */
    jv full, last;   /* the prompt's texts, as evm_model_prompt gives them */
    long max_tokens; /* the output limit, or -1 for none */
} evm_wire_request;

/* evm_wire_parse reads the request body 'body' ('len' bytes, NUL-terminated)
 * into '*req'. The body must be a JSON object with a non-empty string
 * 'model', a non-empty array of message objects 'messages', no 'stream':
 * true, and a token limit that is absent or a non-negative integer: OpenAI's
 * 'max_completion_tokens', else its 'max_tokens'; Anthropic's 'max_tokens',
 * which is required. Anthropic's top-level 'system' is read as a first
 * system message. Returns NULL and fills '*req', which the caller frees with
 * evm_wire_request_free; or returns the message of a 400, in the provider's
 * words, and leaves '*req' alone. */
const char *evm_wire_parse(enum evm_wire w, const char *body, size_t len, evm_wire_request *req);

void evm_wire_request_free(evm_wire_request *req);

/* evm_wire_tokens estimates the tokens of 'bytes' bytes of text. */
long evm_wire_tokens(size_t bytes);

/* evm_wire_answer returns the body of a successful answer 'text' to 'req'
 * (borrowed), with the id 'id' ("chatcmpl-..." or "msg_..."). When the text
 * is over the request's token limit it is cut to 4 bytes a token, on a
 * character boundary, and the finish reason is 'length' (OpenAI) or
 * 'max_tokens' (Anthropic) instead of 'stop' or 'end_turn'. With 'usage'
 * false the body has no 'usage', as some servers send. */
jv evm_wire_answer(enum evm_wire w, const evm_wire_request *req, const char *id, const char *text,
                   bool usage);

enum evm_wire_error {
    EVM_WIRE_BAD_REQUEST, /* 400; always give a message */
    EVM_WIRE_NO_KEY,      /* 401, no key sent */
    EVM_WIRE_BAD_KEY,     /* 401, a wrong key */
    EVM_WIRE_NOT_FOUND,   /* 404 */
    EVM_WIRE_TOO_LARGE,   /* 413 */
    EVM_WIRE_RATE_LIMIT,  /* 429 */
    EVM_WIRE_QUOTA,       /* OpenAI 429 insufficient_quota; Anthropic 400 low credit */
    EVM_WIRE_500,
    EVM_WIRE_502, /* OpenAI's is Cloudflare's, with the number 502 as code */
    EVM_WIRE_503,
    EVM_WIRE_529, /* Anthropic's overloaded_error */
    EVM_WIRE_NERRORS,
};

/* evm_wire_status returns the HTTP status of error 'e' from provider 'w'. */
unsigned evm_wire_status(enum evm_wire w, enum evm_wire_error e);

/* evm_wire_error returns the body of error 'e', with 'message' in place of
 * the provider's stock words when not NULL. Anthropic's body carries
 * 'request_id'. */
jv evm_wire_error(enum evm_wire w, enum evm_wire_error e, const char *message,
                  const char *request_id);

/* evm_wire_openai_error returns OpenAI's error body {"error": {message,
 * type, param, code}} with type invalid_request_error; 'param' and 'code'
 * may be NULL, which reads null. */
jv evm_wire_openai_error(const char *message, const char *param, const char *code);

/* evm_wire_flat_error returns the flat error body of vLLM up to v0.10.0,
 * {"object": "error", message, type, param, code}, which has no 'error'
 * wrapper and a number for 'code'. */
jv evm_wire_flat_error(int code, const char *message);

/* An HTTP answer of the files, jobs and batches endpoints: 'status' and the
 * body, an object (or null where the endpoint answers with text). With
 * 'lost' (the lost-id fault) the server drops the connection halfway
 * through the body, though what it answers was done. */
typedef struct evm_wire_reply {
    unsigned status;
    jv body;
    bool lost;
} evm_wire_reply;

/* evm_wire_ok returns the answer 200 with 'body', not lost. */
evm_wire_reply evm_wire_ok(jv body);

/* A part of a multipart/form-data body: its 'data' (NUL-terminated after
 * 'len' bytes) and its file name, NULL when it had none. */
typedef struct evm_wire_field {
    char *name, *filename, *data;
    size_t len;
} evm_wire_field;

typedef struct evm_wire_form {
    evm_wire_field *fields;
    size_t n;
} evm_wire_form;

/* evm_wire_form_append adds 'n' bytes of 'data' to the field 'name' of
 * 'f', which it starts, with 'filename' (or NULL), when the form has no
 * such field yet. evm_wire_form_get returns the field 'name', or NULL.
 * evm_wire_form_free frees what the form holds. */
void evm_wire_form_append(evm_wire_form *f, const char *name, const char *filename,
                          const char *data, size_t n);
const evm_wire_field *evm_wire_form_get(const evm_wire_form *f, const char *name);
void evm_wire_form_free(evm_wire_form *f);

/* A request to a provider's REST endpoints, as the server hands it to the
 * store that answers them. */
typedef struct evm_wire_http {
    const char *method; /* "GET", "POST", "PATCH" or "DELETE" */
    const char *path;   /* below the provider's root, without the query */
    const char *body;   /* NUL-terminated after 'len' bytes */
    size_t len;
    const evm_wire_form *form; /* the body's fields when it is multipart, else NULL */
    const char *(*query)(void *ctx, const char *name); /* a query parameter, or NULL */
    void *ctx;
    int64_t now; /* milliseconds since the epoch */
} evm_wire_http;

/* evm_wire_query returns the query parameter 'name' of 'h', or NULL. */
const char *evm_wire_query(const evm_wire_http *h, const char *name);

/* evm_wire_number reads the optional number 'key' of the request 'obj'
 * into '*out', which keeps its value when the key is absent or null; false
 * when it is anything but a number in [lo, hi] (a whole one when
 * 'whole'). */
bool evm_wire_number(jv obj /* borrowed */, const char *key, double lo, double hi, bool whole,
                     double *out);

/* evm_wire_match says whether 'path' is 'pattern', where each '*' stands
 * for one or more characters other than '/' and ':' (an id; Fireworks'
 * custom methods follow one after a ':'). When it is, 'caps' gets what each
 * '*' stood for, in order, which the caller frees; else 'caps' is left
 * alone. */
bool evm_wire_match(const char *path, const char *pattern, char **caps);

/* evm_wire_json_body returns the body of 'h' parsed, when it is a JSON
 * object, else invalid. */
jv evm_wire_json_body(const evm_wire_http *h);

/* evm_wire_openai_reply returns 'status' with evm_wire_openai_error's body
 * for the message 'message' (a string). */
evm_wire_reply evm_wire_openai_reply(unsigned status, jv message, const char *param,
                                     const char *code);

/* evm_wire_error_reply returns error 'e' of provider 'w' with the message
 * 'message' (a string) and, for Anthropic, 'request_id'. */
evm_wire_reply evm_wire_error_reply(enum evm_wire w, enum evm_wire_error e, jv message,
                                    const char *request_id);

/* The gRPC status codes of Fireworks' errors, which its REST gateway sends
 * with the matching HTTP status. */
enum evm_wire_grpc {
    EVM_WIRE_GRPC_INVALID_ARGUMENT = 3,    /* 400 */
    EVM_WIRE_GRPC_NOT_FOUND = 5,           /* 404 */
    EVM_WIRE_GRPC_ALREADY_EXISTS = 6,      /* 409 */
    EVM_WIRE_GRPC_PERMISSION_DENIED = 7,   /* 403 */
    EVM_WIRE_GRPC_FAILED_PRECONDITION = 9, /* 400 */
    EVM_WIRE_GRPC_UNAUTHENTICATED = 16,    /* 401 */
};

/* evm_wire_grpc_reply returns Fireworks' error {"code", "message",
 * "details": []} of 'code' with the message 'message' (a string), and its
 * HTTP status. */
evm_wire_reply evm_wire_grpc_reply(enum evm_wire_grpc code, jv message);

/* evm_wire_id returns a new id: 'prefix' and 16 hex digits of a hash of
 * 'key' and 'dup', the number of earlier objects with the same key, so that
 * equal requests get distinct ids and a restarted server gives the same
 * ones. The caller frees it. */
char *evm_wire_id(const char *prefix, uint64_t key, size_t dup);

/* evm_wire_uuid is evm_wire_id with the hash written as a UUID,
 * 8-4-4-4-12 hex digits after 'prefix', as Together writes its ids. */
char *evm_wire_uuid(const char *prefix, uint64_t key, size_t dup);

/* evm_wire_good_id says whether 'id' may be an id a client chooses for a
 * Fireworks resource or a Together endpoint: a lowercase letter, then
 * lowercase letters, digits and '-', at most 63 in all. */
bool evm_wire_good_id(const char *id);

/* evm_wire_time returns the time 'ms' milliseconds after the epoch as an
 * RFC 3339 string (evm_wire_rfc3339): how Together's and Fireworks' objects
 * write their times. */
jv evm_wire_time(int64_t ms);

/* evm_wire_nullable returns the string 's', or null when it is NULL: how
 * the APIs write an optional string. */
jv evm_wire_nullable(const char *s);

/* evm_wire_duration writes 'ms' milliseconds into 'buf' ('n' bytes) as Go
 * prints a time.Duration ("20ms", "1.5s", "6m0s"): the format of OpenAI's
 * x-ratelimit-reset-* headers. */
void evm_wire_duration(char *buf, size_t n, long ms);

/* evm_wire_rfc3339 writes the UTC time 'ms' milliseconds after the epoch,
 * to the second, in RFC 3339 ("2026-11-24T12:40:59Z"): the format of
 * Anthropic's times. evm_wire_time_in writes the time 'ms' milliseconds from
 * now, rounded up to a second: the format of Anthropic's
 * anthropic-ratelimit-*-reset headers. */
void evm_wire_rfc3339(char *buf, size_t n, int64_t ms);
void evm_wire_time_in(char *buf, size_t n, long ms);

#endif
