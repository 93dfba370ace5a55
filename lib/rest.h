/*
 * rest.h: a client of a provider's REST API, one request at a time
 * (libcurl's easy interface): OpenAI's files and fine-tuning jobs for
 * ev-tune, and the files and batches endpoints of OpenAI and Anthropic for
 * ev-call --batch (lib/batch.h has their formats).
 *
 * Ownership: json.h.
 *
 * What the client never does: follow a redirect, skip TLS verification,
 * speak anything but http and https, send the key over plain http to a host
 * other than this machine, go through a proxy other than by a tunnel over
 * https (lib/secret.h: ev_secret_may_proxy), or put the key in a message:
 * every message that quotes the server has the key cut out
 * (ev_secret_redact). It retries nothing: a caller that polls decides what
 * is worth another try (ev_rest_transient).
 */
#ifndef EV_REST_H
#define EV_REST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

typedef struct ev_rest ev_rest;

/* How a request failed. */
enum ev_rest_fail {
    EV_REST_OK,
    EV_REST_HTTP,        /* the server answered with a status other than 2xx */
    EV_REST_BAD_ANSWER,  /* a 2xx whose body is not a JSON object */
    EV_REST_NETWORK,     /* could not connect, or the connection broke */
    EV_REST_UNTRUSTED,   /* the server's TLS certificate did not verify */
    EV_REST_TIMEOUT,     /* the request ran out of time */
    EV_REST_INTERRUPTED, /* '*stop' was set during the request */
};

/* What became of the last request. */
typedef struct ev_rest_result {
    enum ev_rest_fail fail;
    long status; /* the HTTP status, 0 without an answer */
} ev_rest_result;

/* ev_rest_new returns a client of the API at 'base' (such as
 * "https://api.openai.com/v1"; a trailing slash is ignored) that sends
 * 'key' (NULL: no key) as a Bearer token. A request stops early when
 * '*stop' becomes non-zero (NULL: never). Returns NULL with '*err' set when
 * 'base' is not an http or https URL, or when 'key' would go over plain
 * http to a host other than this machine. The client keeps copies. */
ev_rest *ev_rest_new(const char *base, const char *key, const volatile sig_atomic_t *stop, jv *err);

/* ev_rest_sibling returns a client of another API, 'base', on the same
 * host as 'a''s, with its key and settings (a provider's other version of
 * its API); NULL with '*err' set when 'base' is on another host, where the
 * key may not go, or is not a URL. */
ev_rest *ev_rest_sibling(const ev_rest *a, const char *base, jv *err);

/* ev_rest_base returns the base URL of 'a', normalised (borrowed). */
const char *ev_rest_base(const ev_rest *a);

/* ev_rest_set_timeout limits each later request to 'ms' milliseconds. */
void ev_rest_set_timeout(ev_rest *a, long ms);

/* ev_rest_set_anthropic makes later requests carry the key as Anthropic
 * wants it, in x-api-key with anthropic-version, in place of a Bearer
 * token. */
void ev_rest_set_anthropic(ev_rest *a);

/* ev_rest_set_agent sets the User-Agent (borrowed; default "ev/VERSION"). */
void ev_rest_set_agent(ev_rest *a, const char *agent);

/* ev_rest_set_cacert makes later requests trust only the CA certificates
 * in the PEM file 'path' (borrowed: it must outlive the client). */
void ev_rest_set_cacert(ev_rest *a, const char *path);

/* ev_rest_upload uploads 'len' bytes at 'data' (borrowed) as a file named
 * 'filename' for 'purpose' ("fine-tune", "batch"): POST {base}/files,
 * multipart/form-data.
 * Each call below returns the answer's JSON object, or an invalid whose
 * message says what went wrong ("HTTP 401: Incorrect API key provided",
 * "cannot connect to ...: Connection refused"); '*res' (may be NULL) tells
 * how. */
jv ev_rest_upload(ev_rest *a, const char *purpose, const char *filename, const char *data,
                  size_t len, ev_rest_result *res);

/* ev_rest_upload_form uploads 'len' bytes at 'data' (borrowed) as the
 * form field "file" named 'filename', after the text fields of 'fields'
 * (an object of strings, consumed): POST {base}'path', multipart/form-data.
 * 'what' begins the message of a failure. */
jv ev_rest_upload_form(ev_rest *a, const char *path, jv fields, const char *filename,
                       const char *data, size_t len, const char *what, ev_rest_result *res);

/* ev_rest_create creates a job from 'request' (consumed), an object such
 * as {model, training_file, suffix, seed, hyperparameters}: POST
 * {base}/fine_tuning/jobs. */
jv ev_rest_create(ev_rest *a, jv request, ev_rest_result *res);

/* ev_rest_job fetches job 'id': GET {base}/fine_tuning/jobs/{id}. */
jv ev_rest_job(ev_rest *a, const char *id, ev_rest_result *res);

/* ev_rest_events fetches the newest 'limit' events of job 'id', newest
 * first as the API lists them: GET {base}/fine_tuning/jobs/{id}/events. */
jv ev_rest_events(ev_rest *a, const char *id, long limit, ev_rest_result *res);

/* ev_rest_cancel asks to cancel job 'id': POST .../jobs/{id}/cancel. */
jv ev_rest_cancel(ev_rest *a, const char *id, ev_rest_result *res);

/* ev_rest_get and ev_rest_post send a request to {base}'path' ('path'
 * starts with '/' and is already escaped), the POST with the JSON 'body'
 * (consumed; invalid for an empty body), and return the answer's JSON
 * object as the calls above do. 'what' begins the message of a failure
 * ("cannot get the batch"). */
jv ev_rest_get(ev_rest *a, const char *path, const char *what, ev_rest_result *res);
jv ev_rest_post(ev_rest *a, const char *path, jv body, const char *what, ev_rest_result *res);

/* ev_rest_send is ev_rest_post with any method: "GET", "POST", "PATCH",
 * "DELETE" (a DELETE, or a GET, without a body: 'body' invalid). A
 * DELETE's answer may have no body: it is {} then. */
jv ev_rest_send(ev_rest *a, const char *method, const char *path, jv body, const char *what,
                ev_rest_result *res);

/* ev_rest_post_text is ev_rest_post with a body that is already JSON
 * text: the 'len' bytes at 'text' (borrowed), which may be large. */
jv ev_rest_post_text(ev_rest *a, const char *path, const char *text, size_t len, const char *what,
                     ev_rest_result *res);

/* ev_rest_download writes the body of GET {base}'path' to 'to', however
 * large, when the status is 2xx, and returns true; else an invalid with a
 * message, as above. */
jv ev_rest_download(ev_rest *a, const char *path, FILE *to, const char *what, ev_rest_result *res);

/* ev_rest_url returns the URL of 'path' (which starts with '/') at the
 * client's base: "https://api.openai.com/v1" and "/files" give
 * "https://api.openai.com/v1/files". */
jv ev_rest_url(const ev_rest *a, const char *path);

/* ev_rest_error_message returns what a server's error body, the 'len'
 * bytes at 'body' (borrowed), says: OpenAI's and Anthropic's
 * error.message, an error that is a string, a flat message, or else an
 * excerpt of the body (at most 300 bytes), or "(empty body)". */
jv ev_rest_error_message(const char *body, size_t len);

/* ev_rest_transient says whether a failure may pass on its own, so that a
 * poll is worth repeating: a broken connection, a timeout, 408, 409, 429 or
 * a 5xx. */
bool ev_rest_transient(const ev_rest_result *res);

void ev_rest_free(ev_rest *a);

#endif
