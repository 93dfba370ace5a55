#include "ftapi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "alloc.h"
#include "diag.h"
#include "ev.h"
#include "jsonl.h"
#include "key.h"
#include "url.h"

/* The most of an answer kept: a fine-tuning answer is a few kilobytes. */
#define MAX_ANSWER (16L * 1024 * 1024)
/* The most of a server's message quoted in ours. */
#define MAX_QUOTE 300

struct ev_ftapi {
    char *base; /* without a trailing slash */
    char *key;  /* NULL: none */
    const volatile sig_atomic_t *stop;
    long timeout_ms;
    const char *cacert; /* NULL: the system's CAs */
    const char *agent;  /* the User-Agent */
    bool anthropic;     /* x-api-key and anthropic-version, not Bearer */
    CURL *curl;
};

typedef struct answer {
    char *data;
    size_t len, cap;
    bool too_big;
    CURL *curl;
    FILE *to; /* a download: a 2xx body goes here */
    bool write_failed;
} answer;

ev_ftapi *
ev_ftapi_new(const char *base, const char *key, const volatile sig_atomic_t *stop, jv *err)
{
    jv norm = ev_url_normalize(base);
    if (!jv_is_valid(norm)) {
        jv m = jv_invalid_get_msg(norm);
        *err = jv_invalid_with_msg(jv_string_fmt(
            "bad base URL '%s': %s", base,
            jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "not an http or https URL"));
        jv_free(m);
        return NULL;
    }
    if (key != NULL && !ev_key_may_send(base, false)) {
        jv host = ev_url_host(base);
        *err = jv_invalid_with_msg(jv_string_fmt(
            "refusing to send the API key over plain http to '%s': use https, or a loopback "
            "address for a local server",
            jv_is_valid(host) ? jv_string_value(host) : base));
        jv_free(host);
        jv_free(norm);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        jv_free(norm);
        *err = jv_invalid_with_msg(jv_string("cannot initialise libcurl"));
        return NULL;
    }
    ev_ftapi *a = ev_alloc_resize(NULL, sizeof(*a));
    a->base = ev_alloc_strdup(jv_string_value(norm));
    jv_free(norm);
    a->key = key != NULL ? ev_alloc_strdup(key) : NULL;
    a->stop = stop;
    a->timeout_ms = 60000;
    a->cacert = NULL;
    a->agent = "ev/" EV_VERSION;
    a->anthropic = false;
    a->curl = curl_easy_init();
    if (a->curl == NULL)
        ev_diag_out_of_memory();
    return a;
}

void
ev_ftapi_set_timeout(ev_ftapi *a, long ms)
{
    a->timeout_ms = ms > 0 ? ms : 1;
}

void
ev_ftapi_set_cacert(ev_ftapi *a, const char *path)
{
    a->cacert = path;
}

void
ev_ftapi_set_anthropic(ev_ftapi *a)
{
    a->anthropic = true;
}

void
ev_ftapi_set_agent(ev_ftapi *a, const char *agent)
{
    a->agent = agent;
}

void
ev_ftapi_free(ev_ftapi *a)
{
    if (a == NULL)
        return;
    curl_easy_cleanup(a->curl);
    if (a->key != NULL) {
        /* the key leaves no copy behind in freed memory */
        volatile char *k = a->key;
        for (size_t i = 0; k[i] != '\0'; i++)
            k[i] = '\0';
        free(a->key);
    }
    free(a->base);
    free(a);
    curl_global_cleanup();
}

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
    answer *ans = ctx;
    size_t len = size * n;
    if (ans->to != NULL) {
        long status = 0;
        curl_easy_getinfo(ans->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            if (fwrite(p, 1, len, ans->to) != len) {
                ans->write_failed = true;
                return 0;
            }
            return len;
        }
    }
    if (ans->too_big || ans->len + len > (size_t)MAX_ANSWER) {
        ans->too_big = true;
        return len;
    }
    if (ans->len + len + 1 > ans->cap) {
        ans->cap = (ans->len + len + 1) * 2;
        ans->data = ev_alloc_resize(ans->data, ans->cap);
    }
    memcpy(ans->data + ans->len, p, len);
    ans->len += len;
    ans->data[ans->len] = '\0';
    return len;
}

static int
on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const ev_ftapi *a = ctx;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return a->stop != NULL && *a->stop != 0;
}

/* server_message returns the message of an error body: OpenAI's
 * error.message, a flat message, or an excerpt of the body. */
static jv
server_message(const answer *ans, jv body)
{
    jv m = jv_invalid();
    if (jv_get_kind(body) == JV_KIND_OBJECT) {
        jv e = jv_object_get(jv_copy(body), jv_string("error"));
        if (jv_get_kind(e) == JV_KIND_OBJECT)
            m = jv_object_get(jv_copy(e), jv_string("message"));
        else if (jv_get_kind(e) == JV_KIND_STRING)
            m = jv_copy(e);
        jv_free(e);
        if (jv_get_kind(m) != JV_KIND_STRING) {
            jv_free(m);
            m = jv_object_get(jv_copy(body), jv_string("message"));
        }
    }
    jv_free(body);
    if (jv_get_kind(m) == JV_KIND_STRING)
        return m;
    jv_free(m);
    if (ans->len == 0)
        return jv_string("(empty body)");
    return ev_jsonl_excerpt(ans->data, ans->len, MAX_QUOTE);
}

/* perform runs the request set up on the handle and returns the answer's
 * JSON object, or an invalid with a message. */
static jv
perform(ev_ftapi *a, const char *what, FILE *to, ev_ftapi_result *res)
{
    CURL *c = a->curl;
    answer ans = {NULL, 0, 0, false, c, to, false};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, a->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, a->timeout_ms < 30000 ? a->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, a->agent);
    if (a->cacert != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, a->cacert);
    if (ev_key_may_proxy(a->base))
        curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
    else
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* none, whatever the environment says */
    CURLcode rc = curl_easy_perform(c);
    ev_ftapi_result r = {EV_FTAPI_OK, 0};
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    jv out;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        r.fail = EV_FTAPI_INTERRUPTED;
        out = jv_invalid_with_msg(jv_string_fmt("%s: interrupted", what));
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        r.fail = EV_FTAPI_TIMEOUT;
        out = jv_invalid_with_msg(
            jv_string_fmt("%s: no answer within %.1f s", what, (double)a->timeout_ms / 1000));
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_ISSUER_ERROR) {
        r.fail = EV_FTAPI_UNTRUSTED;
        out = jv_invalid_with_msg(jv_string_fmt(
            "%s: the server's TLS certificate is not trusted (%s)%s", what,
            errbuf[0] ? errbuf : curl_easy_strerror(rc),
            a->cacert ? "" : "; if you trust it, name the CA that signed it with --cacert FILE"));
    } else if (rc == CURLE_WRITE_ERROR && ans.write_failed) {
        r.fail = EV_FTAPI_NETWORK;
        out = jv_invalid_with_msg(jv_string_fmt("%s: cannot write a temporary file: %s", what,
                                                strerror(errno ? errno : EIO)));
    } else if (rc != CURLE_OK) {
        r.fail = EV_FTAPI_NETWORK;
        out = jv_invalid_with_msg(
            jv_string_fmt("%s: %s", what, errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    } else {
        jv body =
            ans.len > 0 && !ans.too_big ? jv_parse_sized(ans.data, (int)ans.len) : jv_invalid();
        if (r.status >= 200 && r.status < 300 && to != NULL) {
            jv_free(body);
            out = jv_true();
        } else if (r.status >= 200 && r.status < 300 && jv_get_kind(body) == JV_KIND_OBJECT) {
            out = body;
        } else if (r.status >= 200 && r.status < 300) {
            jv_free(body);
            r.fail = EV_FTAPI_BAD_ANSWER;
            jv ex = ans.len ? ev_jsonl_excerpt(ans.data, ans.len, MAX_QUOTE) : jv_string("(empty)");
            out = jv_invalid_with_msg(jv_string_fmt("%s: HTTP %ld with a body that is not a JSON "
                                                    "object: '%s'",
                                                    what, r.status, jv_string_value(ex)));
            jv_free(ex);
        } else {
            r.fail = EV_FTAPI_HTTP;
            jv m = server_message(&ans, body);
            out = jv_invalid_with_msg(
                jv_string_fmt("%s: HTTP %ld: %s", what, r.status, jv_string_value(m)));
            jv_free(m);
        }
    }
    free(ans.data);
    if (!jv_is_valid(out))
        out = jv_invalid_with_msg(ev_key_redact(jv_invalid_get_msg(out), a->key));
    if (res != NULL)
        *res = r;
    curl_easy_reset(c);
    return out;
}

/* headers returns the request's headers: the key and, for a JSON body,
 * its content type. */
static struct curl_slist *
headers(const ev_ftapi *a, bool json)
{
    struct curl_slist *h = NULL;
    if (a->key != NULL) {
        jv auth = a->anthropic ? jv_string_fmt("x-api-key: %s", a->key)
                               : jv_string_fmt("Authorization: Bearer %s", a->key);
        h = curl_slist_append(h, jv_string_value(auth));
        explicit_bzero((char *)jv_string_value(auth), strlen(jv_string_value(auth)));
        jv_free(auth);
    }
    if (a->anthropic)
        h = curl_slist_append(h, "anthropic-version: 2023-06-01");
    if (json)
        h = curl_slist_append(h, "Content-Type: application/json");
    return h;
}

/* free_headers frees a header list, wiping the key's copy first. */
static void
free_headers(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p != NULL; p = p->next)
        explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(h);
}

static jv
url(const ev_ftapi *a, const char *path)
{
    return jv_string_fmt("%s%s", a->base, path);
}

/* send_text sends 'method' to 'path' with the 'len' bytes of JSON at 'text'
 * (borrowed; NULL for no body). */
static jv
send_text(ev_ftapi *a, const char *method, const char *path, const char *text, size_t len,
          const char *what, FILE *to, ev_ftapi_result *res)
{
    jv u = url(a, path);
    struct curl_slist *h = headers(a, text != NULL);
    curl_easy_setopt(a->curl, CURLOPT_URL, jv_string_value(u));
    curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
    if (text != NULL) {
        curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, text);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(a->curl, CURLOPT_HTTPGET, 1L);
    }
    jv out = perform(a, what, to, res);
    free_headers(h);
    jv_free(u);
    return out;
}

/* request sends 'method' to 'path' (consumed) with the JSON body 'body'
 * (consumed; an invalid for none). */
static jv
request(ev_ftapi *a, const char *method, jv path, jv body, const char *what, FILE *to,
        ev_ftapi_result *res)
{
    jv text = jv_is_valid(body) ? jv_dump_string(body, 0) : (jv_free(body), jv_invalid());
    const char *t = jv_is_valid(text) ? jv_string_value(text) : NULL;
    jv out = send_text(a, method, jv_string_value(path), t, t ? strlen(t) : 0, what, to, res);
    jv_free(text);
    jv_free(path);
    return out;
}

jv
ev_ftapi_upload(ev_ftapi *a, const char *purpose, const char *filename, const char *data,
                size_t len, ev_ftapi_result *res)
{
    jv u = url(a, "/files");
    struct curl_slist *h = headers(a, false);
    curl_mime *form = curl_mime_init(a->curl);
    curl_mimepart *part = curl_mime_addpart(form);
    curl_mime_name(part, "purpose");
    curl_mime_data(part, purpose, CURL_ZERO_TERMINATED);
    part = curl_mime_addpart(form);
    curl_mime_name(part, "file");
    curl_mime_data(part, data, len);
    curl_mime_filename(part, filename);
    curl_mime_type(part, "application/jsonl");
    curl_easy_setopt(a->curl, CURLOPT_URL, jv_string_value(u));
    curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(a->curl, CURLOPT_MIMEPOST, form);
    jv out = perform(a,
                     strcmp(purpose, "batch") == 0 ? "cannot upload the batch's requests"
                                                   : "cannot upload the training file",
                     NULL, res);
    curl_mime_free(form);
    free_headers(h);
    jv_free(u);
    return out;
}

jv
ev_ftapi_create(ev_ftapi *a, jv req, ev_ftapi_result *res)
{
    return request(a, "POST", jv_string("/fine_tuning/jobs"), req, "cannot create the job", NULL,
                   res);
}

jv
ev_ftapi_job(ev_ftapi *a, const char *id, ev_ftapi_result *res)
{
    char *esc = curl_easy_escape(a->curl, id, 0);
    jv out = request(a, "GET", jv_string_fmt("/fine_tuning/jobs/%s", esc), jv_invalid(),
                     "cannot get the job", NULL, res);
    curl_free(esc);
    return out;
}

jv
ev_ftapi_events(ev_ftapi *a, const char *id, long limit, ev_ftapi_result *res)
{
    char *esc = curl_easy_escape(a->curl, id, 0);
    jv out = request(a, "GET", jv_string_fmt("/fine_tuning/jobs/%s/events?limit=%ld", esc, limit),
                     jv_invalid(), "cannot get the job's events", NULL, res);
    curl_free(esc);
    return out;
}

jv
ev_ftapi_cancel(ev_ftapi *a, const char *id, ev_ftapi_result *res)
{
    char *esc = curl_easy_escape(a->curl, id, 0);
    jv out = request(a, "POST", jv_string_fmt("/fine_tuning/jobs/%s/cancel", esc), jv_invalid(),
                     "cannot cancel the job", NULL, res);
    curl_free(esc);
    return out;
}

jv
ev_ftapi_get(ev_ftapi *a, const char *path, const char *what, ev_ftapi_result *res)
{
    return request(a, "GET", jv_string(path), jv_invalid(), what, NULL, res);
}

jv
ev_ftapi_post(ev_ftapi *a, const char *path, jv body, const char *what, ev_ftapi_result *res)
{
    return request(a, "POST", jv_string(path), body, what, NULL, res);
}

jv
ev_ftapi_post_text(ev_ftapi *a, const char *path, const char *text, size_t len, const char *what,
                   ev_ftapi_result *res)
{
    return send_text(a, "POST", path, text, len, what, NULL, res);
}

jv
ev_ftapi_download(ev_ftapi *a, const char *path, FILE *to, const char *what, ev_ftapi_result *res)
{
    return request(a, "GET", jv_string(path), jv_invalid(), what, to, res);
}

bool
ev_ftapi_transient(const ev_ftapi_result *res)
{
    switch (res->fail) {
    case EV_FTAPI_NETWORK:
    case EV_FTAPI_TIMEOUT:
        return true;
    case EV_FTAPI_HTTP:
        return res->status == 408 || res->status == 409 || res->status == 429 || res->status >= 500;
    default:
        return false;
    }
}
