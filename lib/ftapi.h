/*
 * ftapi.h: a client of a provider's REST API, one request at a time
 * (libcurl's easy interface): OpenAI's files and fine-tuning jobs for
 * ev-tune, and the files and batches endpoints of OpenAI and Anthropic for
 * ev-call --batch (lib/batch.h has their formats).
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * What the client never does: follow a redirect, skip TLS verification,
 * speak anything but http and https, send the key over plain http to a host
 * other than this machine, go through a proxy other than by a tunnel over
 * https (lib/secret.h: ev_secret_may_proxy), or put the key in a message: every
 * message that quotes the server has the key cut out (ev_secret_redact). It retries nothing: a caller
 * that polls decides what is worth another try (ev_ftapi_transient).
 */
#ifndef EV_FTAPI_H
#define EV_FTAPI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

typedef struct ev_ftapi ev_ftapi;

/* How a request failed. */
enum ev_ftapi_fail {
    EV_FTAPI_OK,
    EV_FTAPI_HTTP,        /* the server answered with a status other than 2xx */
    EV_FTAPI_BAD_ANSWER,  /* a 2xx whose body is not a JSON object */
    EV_FTAPI_NETWORK,     /* could not connect, or the connection broke */
    EV_FTAPI_UNTRUSTED,   /* the server's TLS certificate did not verify */
    EV_FTAPI_TIMEOUT,     /* the request ran out of time */
    EV_FTAPI_INTERRUPTED, /* '*stop' was set during the request */
};

/* What became of the last request. */
typedef struct ev_ftapi_result {
    enum ev_ftapi_fail fail;
    long status; /* the HTTP status, 0 without an answer */
} ev_ftapi_result;

/* ev_ftapi_new returns a client of the API at 'base' (such as
 * "https://api.openai.com/v1"; a trailing slash is ignored) that sends
 * 'key' (NULL: no key) as a Bearer token. A request stops early when
 * '*stop' becomes non-zero (NULL: never). Returns NULL with '*err' set when
 * 'base' is not an http or https URL, or when 'key' would go over plain
 * http to a host other than this machine. The client keeps copies. */
ev_ftapi *ev_ftapi_new(const char *base, const char *key, const volatile sig_atomic_t *stop,
                       jv *err);

/* ev_ftapi_set_timeout limits each later request to 'ms' milliseconds. */
void ev_ftapi_set_timeout(ev_ftapi *a, long ms);

/* ev_ftapi_set_anthropic makes later requests carry the key as Anthropic
 * wants it, in x-api-key with anthropic-version, in place of a Bearer
 * token. */
void ev_ftapi_set_anthropic(ev_ftapi *a);

/* ev_ftapi_set_agent sets the User-Agent (borrowed; default "ev/VERSION"). */
void ev_ftapi_set_agent(ev_ftapi *a, const char *agent);

/* ev_ftapi_set_cacert makes later requests trust only the CA certificates
 * in the PEM file 'path' (borrowed: it must outlive the client). */
void ev_ftapi_set_cacert(ev_ftapi *a, const char *path);

/* ev_ftapi_upload uploads 'len' bytes at 'data' (borrowed) as a file named
 * 'filename' for 'purpose' ("fine-tune", "batch"): POST {base}/files,
 * multipart/form-data.
 * Each call below returns the answer's JSON object, or an invalid whose
 * message says what went wrong ("HTTP 401: Incorrect API key provided",
 * "cannot connect to ...: Connection refused"); '*res' (may be NULL) tells
 * how. */
jv ev_ftapi_upload(ev_ftapi *a, const char *purpose, const char *filename, const char *data,
                   size_t len, ev_ftapi_result *res);

/* ev_ftapi_create creates a job from 'request' (consumed), an object such
 * as {model, training_file, suffix, seed, hyperparameters}: POST
 * {base}/fine_tuning/jobs. */
jv ev_ftapi_create(ev_ftapi *a, jv request, ev_ftapi_result *res);

/* ev_ftapi_job fetches job 'id': GET {base}/fine_tuning/jobs/{id}. */
jv ev_ftapi_job(ev_ftapi *a, const char *id, ev_ftapi_result *res);

/* ev_ftapi_events fetches the newest 'limit' events of job 'id', newest
 * first as the API lists them: GET {base}/fine_tuning/jobs/{id}/events. */
jv ev_ftapi_events(ev_ftapi *a, const char *id, long limit, ev_ftapi_result *res);

/* ev_ftapi_cancel asks to cancel job 'id': POST .../jobs/{id}/cancel. */
jv ev_ftapi_cancel(ev_ftapi *a, const char *id, ev_ftapi_result *res);

/* ev_ftapi_get and ev_ftapi_post send a request to {base}'path' ('path'
 * starts with '/' and is already escaped), the POST with the JSON 'body'
 * (consumed; invalid for an empty body), and return the answer's JSON
 * object as the calls above do. 'what' begins the message of a failure
 * ("cannot get the batch"). */
jv ev_ftapi_get(ev_ftapi *a, const char *path, const char *what, ev_ftapi_result *res);
jv ev_ftapi_post(ev_ftapi *a, const char *path, jv body, const char *what, ev_ftapi_result *res);

/* ev_ftapi_post_text is ev_ftapi_post with a body that is already JSON
 * text: the 'len' bytes at 'text' (borrowed), which may be large. */
jv ev_ftapi_post_text(ev_ftapi *a, const char *path, const char *text, size_t len, const char *what,
                      ev_ftapi_result *res);

/* ev_ftapi_download writes the body of GET {base}'path' to 'to', however
 * large, when the status is 2xx, and returns true; else an invalid with a
 * message, as above. */
jv ev_ftapi_download(ev_ftapi *a, const char *path, FILE *to, const char *what,
                     ev_ftapi_result *res);

/* ev_ftapi_transient says whether a failure may pass on its own, so that a
 * poll is worth repeating: a broken connection, a timeout, 408, 409, 429 or
 * a 5xx. */
bool ev_ftapi_transient(const ev_ftapi_result *res);

void ev_ftapi_free(ev_ftapi *a);

#endif
