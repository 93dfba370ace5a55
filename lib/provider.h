/*
 * provider.h: what each model provider is sent and how its answers read.
 *
 * Ownership: json.h.
 *
 * Three providers:
 *   openai     POST {base}/chat/completions: OpenAI, and the servers that
 *              copy its API (vLLM, llama.cpp's server, Ollama's /v1,
 *              Together, Groq, OpenRouter). Their error bodies are nested
 *              or flat, their 'code' a string or a number, and 'usage' may
 *              be missing: every one of those is read.
 *   anthropic  POST {base}/messages, with the system prompt in the
 *              top-level 'system' field and 'max_tokens' required.
 *   cmd        a local command that reads the prompt on standard input and
 *              writes the answer on standard output. Its "body" is the
 *              description of the run, {command, model, system, input},
 *              which is what the cache keys on.
 *
 * Nothing here does I/O; lib/http.c sends, lib/cache.c remembers.
 */
#ifndef EV_PROVIDER_H
#define EV_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

typedef enum ev_provider { EV_PROVIDER_OPENAI, EV_PROVIDER_ANTHROPIC, EV_PROVIDER_CMD } ev_provider;

/* ev_provider_name is "openai", "anthropic" or "cmd". */
const char *ev_provider_name(ev_provider p);

/* ev_provider_from_name sets '*p' from its name; false when unknown. */
bool ev_provider_from_name(const char *name, ev_provider *p);

/* What a request asks for, the same for every case of a run. */
typedef struct ev_provider_opts {
    ev_provider provider;
    const char *model;            /* NULL only for cmd */
    const char *system;           /* --system text, or NULL */
    double temperature;           /* sent to openai and anthropic */
    long max_tokens;              /* < 0: not sent (openai only) */
    const char *max_tokens_field; /* openai: "max_tokens" or "max_completion_tokens" */
    bool has_seed;                /* openai only */
    long seed;
    jv params;           /* borrowed: object merged last into the body; a null value
                            removes the field */
    const char *command; /* cmd only */
} ev_provider_opts;

/* ev_provider_messages turns a prompt (consumed), a string or an array of
 * messages {role, content}, into an array of messages. A string becomes one
 * user message. The result is invalid with a message when the prompt is
 * neither, or a message is not an object with a string role. */
jv ev_provider_messages(jv prompt);

/* ev_provider_body returns the request body for 'messages' (consumed, from
 * ev_provider_messages) and sample number 'sample' (--repeat; with a seed,
 * sample i is sent seed + i). For anthropic, system messages move to the
 * top-level 'system', joined by blank lines after the --system text; it is
 * invalid with a message when no other message is left. For cmd, the body
 * is {command, model, system, input} where input is the text of the
 * messages joined by newlines. */
jv ev_provider_body(const ev_provider_opts *o, jv messages, int sample);

/* What became of one attempt, from its status and body. */
enum ev_provider_outcome {
    EV_PROVIDER_ANSWERED,     /* 'output' holds the answer */
    EV_PROVIDER_RETRYABLE,    /* failed; another attempt may succeed */
    EV_PROVIDER_FAILED,       /* failed; another attempt would fail the same way */
    EV_PROVIDER_STOP_AUTH,    /* 401 or 403: no request of this run can succeed */
    EV_PROVIDER_STOP_QUOTA,   /* out of quota or over a spend limit: likewise */
    EV_PROVIDER_STOP_MISSING, /* 404: the endpoint or the model does not exist */
};

typedef struct ev_provider_reply {
    enum ev_provider_outcome outcome;
    jv output;        /* the answer text, or invalid */
    jv finish_reason; /* a string, or null */
    jv input_tokens;  /* a number, or null when the server did not say */
    jv output_tokens;
    jv cached_tokens;
    const char *kind; /* on failure: "http" or "parse" */
    jv message;       /* on failure: what went wrong, at most 300 bytes */
} ev_provider_reply;

/* ev_provider_reply_parse reads the response of 'provider' (openai or anthropic)
 * with HTTP status 'status' and the 'len' bytes of 'body', which must be
 * NUL-terminated, into '*r'. A 2xx body that is not the expected JSON is a
 * retryable 'parse' failure. Free '*r' with ev_provider_reply_free. */
void ev_provider_reply_parse(ev_provider provider, long status, const char *body, size_t len,
                             ev_provider_reply *r);

/* ev_provider_reply_init sets every field of '*r' to "nothing yet". */
void ev_provider_reply_init(ev_provider_reply *r);

void ev_provider_reply_free(ev_provider_reply *r);

#endif
