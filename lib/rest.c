#include "rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "alloc.h"
#include "diag.h"
#include "ev.h"
#include "json.h"
#include "jsonl.h"
#include "secret.h"
#include "url.h"

/* The most of an answer kept: a fine-tuning answer is a few kilobytes. */
#define MAX_ANSWER (16L * 1024 * 1024)
/* The most of a server's message quoted in ours. */
#define MAX_QUOTE 300

struct ev_rest {
    char *base; /* without a trailing slash */
    char *key;  /* NULL: none */
    const volatile sig_atomic_t *stop;
    long timeout_ms;
    const char *cacert; /* NULL: the system's CAs */
    const char *agent;  /* the User-Agent */
    bool anthropic;     /* x-api-key and anthropic-version, not Bearer */
    bool empty_ok;      /* the next answer may have no body: {} (a DELETE's) */
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

ev_rest *
ev_rest_new(const char *base, const char *key, const volatile sig_atomic_t *stop, jv *err)
{
    jv norm = ev_secret_base(base, NULL, base);
    if (!jv_is_valid(norm)) {
        *err = norm;
        return NULL;
    }
    if (!ev_secret_check(base, key, false, "a loopback address for a local server", err)) {
        jv_free(norm);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        jv_free(norm);
        *err = jv_invalid_with_msg(jv_string("cannot initialise libcurl"));
        return NULL;
    }
    ev_rest *a = ev_alloc_resize(NULL, sizeof(*a));
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

ev_rest *
ev_rest_sibling(const ev_rest *a, const char *base, jv *err)
{
    jv h1 = ev_url_host(a->base), h2 = ev_url_host(base);
    bool same = jv_is_valid(h1) && jv_is_valid(h2) && jv_equal(jv_copy(h1), jv_copy(h2));
    jv_free(h1);
    jv_free(h2);
    if (!same) {
        *err = jv_invalid_with_msg(jv_string_fmt(
            "'%s' is not on the host of '%s': the key goes only there", base, a->base));
        return NULL;
    }
    ev_rest *b = ev_rest_new(base, a->key, a->stop, err);
    if (b != NULL) {
        b->timeout_ms = a->timeout_ms;
        b->cacert = a->cacert;
        b->agent = a->agent;
        b->anthropic = a->anthropic;
    }
    return b;
}

const char *
ev_rest_base(const ev_rest *a)
{
    return a->base;
}

void
ev_rest_set_timeout(ev_rest *a, long ms)
{
    a->timeout_ms = ms > 0 ? ms : 1;
}

void
ev_rest_set_cacert(ev_rest *a, const char *path)
{
    a->cacert = path;
}

void
ev_rest_set_anthropic(ev_rest *a)
{
    a->anthropic = true;
}

void
ev_rest_set_agent(ev_rest *a, const char *agent)
{
    a->agent = agent;
}

void
ev_rest_free(ev_rest *a)
{
    if (a == NULL)
        return;
    curl_easy_cleanup(a->curl);
    ev_secret_free(a->key); /* the key leaves no copy behind in freed memory */
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
    const ev_rest *a = ctx;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return a->stop != NULL && *a->stop != 0;
}

jv
ev_rest_error_message(const char *body, size_t len)
{
    jv v = len > 0 ? jv_parse_sized(body, (int)len) : jv_invalid();
    jv m = jv_invalid();
    if (jv_get_kind(v) == JV_KIND_OBJECT) {
        jv e = ev_json_field(v, "error");
        if (jv_get_kind(e) == JV_KIND_OBJECT)
            m = ev_json_field(e, "message");
        else if (jv_get_kind(e) == JV_KIND_STRING)
            m = jv_copy(e);
        jv_free(e);
        if (jv_get_kind(m) != JV_KIND_STRING) {
            jv_free(m);
            m = ev_json_field(v, "message");
        }
    }
    jv_free(v);
    if (jv_get_kind(m) == JV_KIND_STRING)
        return m;
    jv_free(m);
    if (len == 0)
        return jv_string("(empty body)");
    return ev_jsonl_excerpt(body, len, MAX_QUOTE);
}

/* perform runs the request set up on the handle and returns the answer's
 * JSON object, or an invalid with a message. */
static jv
perform(ev_rest *a, const char *what, FILE *to, ev_rest_result *res)
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
    if (ev_secret_may_proxy(a->base))
        curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
    else
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* none, whatever the environment says */
    CURLcode rc = curl_easy_perform(c);
    ev_rest_result r = {EV_REST_OK, 0};
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    jv out;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        r.fail = EV_REST_INTERRUPTED;
        out = jv_invalid_with_msg(jv_string_fmt("%s: interrupted", what));
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        r.fail = EV_REST_TIMEOUT;
        out = jv_invalid_with_msg(
            jv_string_fmt("%s: no answer within %.1f s", what, (double)a->timeout_ms / 1000));
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_ISSUER_ERROR) {
        r.fail = EV_REST_UNTRUSTED;
        out = jv_invalid_with_msg(jv_string_fmt(
            "%s: the server's TLS certificate is not trusted (%s)%s", what,
            errbuf[0] ? errbuf : curl_easy_strerror(rc),
            a->cacert ? "" : "; if you trust it, name the CA that signed it with --cacert FILE"));
    } else if (rc == CURLE_WRITE_ERROR && ans.write_failed) {
        r.fail = EV_REST_NETWORK;
        out = jv_invalid_with_msg(jv_string_fmt("%s: cannot write a temporary file: %s", what,
                                                strerror(errno ? errno : EIO)));
    } else if (rc != CURLE_OK) {
        r.fail = EV_REST_NETWORK;
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
        } else if (r.status >= 200 && r.status < 300 && a->empty_ok && ans.len == 0) {
            jv_free(body);
            out = jv_object();
        } else if (r.status >= 200 && r.status < 300) {
            jv_free(body);
            r.fail = EV_REST_BAD_ANSWER;
            jv ex = ans.len ? ev_jsonl_excerpt(ans.data, ans.len, MAX_QUOTE) : jv_string("(empty)");
            out = jv_invalid_with_msg(jv_string_fmt("%s: HTTP %ld with a body that is not a JSON "
                                                    "object: '%s'",
                                                    what, r.status, jv_string_value(ex)));
            jv_free(ex);
        } else {
            r.fail = EV_REST_HTTP;
            jv_free(body);
            jv m = ans.too_big ? ev_jsonl_excerpt(ans.data, ans.len, MAX_QUOTE)
                               : ev_rest_error_message(ans.data, ans.len);
            out = jv_invalid_with_msg(
                jv_string_fmt("%s: HTTP %ld: %s", what, r.status, jv_string_value(m)));
            jv_free(m);
        }
    }
    free(ans.data);
    if (!jv_is_valid(out))
        out = jv_invalid_with_msg(ev_secret_redact(jv_invalid_get_msg(out), a->key));
    if (res != NULL)
        *res = r;
    curl_easy_reset(c);
    a->empty_ok = false;
    return out;
}

/* headers returns the request's headers: the key and, for a JSON body,
 * its content type. */
static struct curl_slist *
headers(const ev_rest *a, bool json)
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

jv
ev_rest_url(const ev_rest *a, const char *path)
{
    return jv_string_fmt("%s%s", a->base, path);
}

/* send_text sends 'method' to 'path' with the 'len' bytes of JSON at 'text'
 * (borrowed; NULL for no body). */
static jv
send_text(ev_rest *a, const char *method, const char *path, const char *text, size_t len,
          const char *what, FILE *to, ev_rest_result *res)
{
    jv u = ev_rest_url(a, path);
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
request(ev_rest *a, const char *method, jv path, jv body, const char *what, FILE *to,
        ev_rest_result *res)
{
    jv text = jv_is_valid(body) ? jv_dump_string(body, 0) : (jv_free(body), jv_invalid());
    const char *t = jv_is_valid(text) ? jv_string_value(text) : NULL;
    jv out = send_text(a, method, jv_string_value(path), t, t ? strlen(t) : 0, what, to, res);
    jv_free(text);
    jv_free(path);
    return out;
}

jv
ev_rest_upload_form(ev_rest *a, const char *path, jv fields, const char *filename, const char *data,
                    size_t len, const char *what, ev_rest_result *res)
{
    jv u = ev_rest_url(a, path);
    struct curl_slist *h = headers(a, false);
    curl_mime *form = curl_mime_init(a->curl);
    curl_mimepart *part;
    jv_object_foreach(fields, k, v)
    {
        part = curl_mime_addpart(form);
        curl_mime_name(part, jv_string_value(k));
        curl_mime_data(part, jv_string_value(v), CURL_ZERO_TERMINATED);
        jv_free(k);
        jv_free(v);
    }
    jv_free(fields);
    part = curl_mime_addpart(form);
    curl_mime_name(part, "file");
    curl_mime_data(part, data, len);
    curl_mime_filename(part, filename);
    curl_mime_type(part, "application/jsonl");
    curl_easy_setopt(a->curl, CURLOPT_URL, jv_string_value(u));
    curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(a->curl, CURLOPT_MIMEPOST, form);
    jv out = perform(a, what, NULL, res);
    curl_mime_free(form);
    free_headers(h);
    jv_free(u);
    return out;
}

jv
ev_rest_upload(ev_rest *a, const char *purpose, const char *filename, const char *data, size_t len,
               ev_rest_result *res)
{
    return ev_rest_upload_form(a, "/files",
                               jv_object_set(jv_object(), jv_string("purpose"), jv_string(purpose)),
                               filename, data, len,
                               strcmp(purpose, "batch") == 0 ? "cannot upload the batch's requests"
                                                             : "cannot upload the training file",
                               res);
}

jv
ev_rest_create(ev_rest *a, jv req, ev_rest_result *res)
{
    return request(a, "POST", jv_string("/fine_tuning/jobs"), req, "cannot create the job", NULL,
                   res);
}

/* job_request sends 'method' to the job 'id' (escaped here), with 'tail'
 * after it ("", "/cancel", "/events?limit=N"). */
static jv
job_request(ev_rest *a, const char *method, const char *id, const char *tail, const char *what,
            ev_rest_result *res)
{
    char *esc = curl_easy_escape(a->curl, id, 0);
    jv out = request(a, method, jv_string_fmt("/fine_tuning/jobs/%s%s", esc, tail), jv_invalid(),
                     what, NULL, res);
    curl_free(esc);
    return out;
}

jv
ev_rest_job(ev_rest *a, const char *id, ev_rest_result *res)
{
    return job_request(a, "GET", id, "", "cannot get the job", res);
}

jv
ev_rest_events(ev_rest *a, const char *id, long limit, ev_rest_result *res)
{
    char tail[40];
    snprintf(tail, sizeof(tail), "/events?limit=%ld", limit);
    return job_request(a, "GET", id, tail, "cannot get the job's events", res);
}

jv
ev_rest_cancel(ev_rest *a, const char *id, ev_rest_result *res)
{
    return job_request(a, "POST", id, "/cancel", "cannot cancel the job", res);
}

jv
ev_rest_get(ev_rest *a, const char *path, const char *what, ev_rest_result *res)
{
    return request(a, "GET", jv_string(path), jv_invalid(), what, NULL, res);
}

jv
ev_rest_post(ev_rest *a, const char *path, jv body, const char *what, ev_rest_result *res)
{
    return request(a, "POST", jv_string(path), body, what, NULL, res);
}

jv
ev_rest_send(ev_rest *a, const char *method, const char *path, jv body, const char *what,
             ev_rest_result *res)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method); /* reset by perform */
    a->empty_ok = strcmp(method, "DELETE") == 0;
    return request(a, jv_is_valid(body) || strcmp(method, "POST") == 0 ? "POST" : "GET",
                   jv_string(path), body, what, NULL, res);
}

jv
ev_rest_post_text(ev_rest *a, const char *path, const char *text, size_t len, const char *what,
                  ev_rest_result *res)
{
    return send_text(a, "POST", path, text, len, what, NULL, res);
}

jv
ev_rest_download(ev_rest *a, const char *path, FILE *to, const char *what, ev_rest_result *res)
{
    return request(a, "GET", jv_string(path), jv_invalid(), what, to, res);
}

bool
ev_rest_transient(const ev_rest_result *res)
{
    switch (res->fail) {
    case EV_REST_NETWORK:
    case EV_REST_TIMEOUT:
        return true;
    case EV_REST_HTTP:
        return res->status == 408 || res->status == 409 || res->status == 429 || res->status >= 500;
    default:
        return false;
    }
}
