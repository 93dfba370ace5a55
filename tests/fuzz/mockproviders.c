/*
 * Fuzz target: how ev-mock reads the requests of Together's and Fireworks'
 * fine-tuning flows. The first byte picks one:
 *   0  a training file, read by Together's rules and by Fireworks'
 *      (mock/trainset.c: evm_trainset_scan);
 *   1  the body of a Together fine-tune and of its price estimate
 *      (mock/together.c), with a valid file uploaded: "file-fuzz" in the
 *      body stands for its id;
 *   2  the body of Together's v2 requests (mock/dmi.c): a new endpoint, a
 *      new deployment, a traffic split and an autoscaling, with a completed
 *      job: "ml-fuzz" and "cr-fuzz" stand for its model and config;
 *   3  the body of Fireworks' requests (mock/fireworks.c): a dataset, a
 *      supervised job, a DPO job and a deployment, with READY chat and
 *      preference datasets "chat" and "pref" and a completed job "done".
 * Every answer must be an object with an HTTP status that fits it.
 */
#include <stdbool.h>

#include "mock/dmi.h"
#include "mock/fireworks.h"
#include "mock/together.h"
#include "mock/trainset.h"

#include "fuzz.h"

#define CHAT                                                                                       \
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":"    \
    "\"a\"}]}\n"
#define PREF                                                                                       \
    "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]},\"preferred_output\":[{"    \
    "\"role\":\"assistant\",\"content\":\"a\"}],\"non_preferred_output\":[{\"role\":"              \
    "\"assistant\",\"content\":\"b\"}]}\n"

/* check_scan reads 'data' by both providers' rules. */
static void
check_scan(const char *data, size_t len)
{
    for (int r = EVM_TRAINSET_TOGETHER; r <= EVM_TRAINSET_FIREWORKS; r++) {
        evm_trainset d;
        evm_trainset_scan(&d, (enum evm_trainset_rules)r, data, len, NULL);
        double least = r == EVM_TRAINSET_TOGETHER ? 1 : 3;
        if (jv_get_kind(d.problem) == JV_KIND_STRING) {
            const char *p = jv_string_value(d.problem);
            FUZZ_ASSERT(strncmp(p, "Line ", 5) == 0 || strncmp(p, "the file has ", 13) == 0);
        } else {
            FUZZ_ASSERT(jv_get_kind(d.problem) == JV_KIND_NULL);
            FUZZ_ASSERT(d.examples >= least && d.format != EVM_TRAINSET_NONE);
            FUZZ_ASSERT(d.tokens >= d.examples);
        }
        evm_trainset_free(&d);
    }
}

/* answered checks an answer of a store, and frees it. */
static void
answered(evm_wire_reply r)
{
    FUZZ_ASSERT(jv_get_kind(r.body) == JV_KIND_OBJECT);
    FUZZ_ASSERT(r.status == 200 || r.status == 400 || r.status == 403 || r.status == 404 ||
                r.status == 409);
    jv_free(r.body);
}

/* with replaces each 'mark' in 'body' with 'id'. */
static jv
with(jv body, const char *mark, const char *id)
{
    const char *p = jv_string_value(body), *end = p + jv_string_length_bytes(jv_copy(body)), *hit;
    jv out = jv_string("");
    while ((hit = memmem(p, (size_t)(end - p), mark, strlen(mark))) != NULL) {
        out = jv_string_append_buf(out, p, (int)(hit - p));
        out = jv_string_append_str(out, id);
        p = hit + strlen(mark);
    }
    out = jv_string_append_buf(out, p, (int)(end - p));
    jv_free(body);
    return out;
}

typedef evm_wire_reply (*server)(void *, const evm_wire_http *);

/* The time of the requests: the jobs made at first have ended by LATER. */
#define LATER 100000

/* send sends 'method' 'path' with the body 'body' (borrowed) to 'store'
 * at LATER. */
static evm_wire_reply
send(server serve, void *store, const char *method, const char *path, jv body)
{
    evm_wire_http h = {method,
                       path,
                       jv_string_value(body),
                       (size_t)jv_string_length_bytes(jv_copy(body)),
                       NULL,
                       NULL,
                       NULL,
                       LATER};
    return serve(store, &h);
}

static evm_wire_reply
serve_together(void *t, const evm_wire_http *h)
{
    return evm_together_serve(t, h);
}

static evm_wire_reply
serve_dmi(void *d, const evm_wire_http *h)
{
    return evm_dmi_serve(d, h);
}

static evm_wire_reply
serve_fireworks(void *f, const evm_wire_http *h)
{
    return evm_fireworks_serve(f, h);
}

/* text returns the string 'key' of 'r''s body, freeing it. */
static jv
text(evm_wire_reply r, const char *key)
{
    FUZZ_ASSERT(r.status == 200);
    jv v = jv_object_get(r.body, jv_string(key));
    FUZZ_ASSERT(jv_get_kind(v) == JV_KIND_STRING);
    return v;
}

static evm_wire_reply
upload(server serve, void *store, const char *path, const char *field, const char *data)
{
    evm_wire_form f = {NULL, 0};
    evm_wire_form_append(&f, "purpose", NULL, "fine-tune", 9);
    evm_wire_form_append(&f, "file_name", NULL, "t.jsonl", 7);
    evm_wire_form_append(&f, field, "t.jsonl", data, strlen(data));
    evm_wire_http h = {"POST", path, "", 0, &f, NULL, NULL, 1000};
    evm_wire_reply r = serve(store, &h);
    evm_wire_form_free(&f);
    return r;
}

/* check_together sends 'body' to Together's job and v2 endpoints. */
static void
check_together(const char *body, size_t len, bool v2)
{
    evm_jobs_config c = {.job_ms = 1, .deploy_ms = 1, .params = evm_learner_defaults()};
    evm_together *t = evm_together_new(&c);
    evm_dmi *d = evm_dmi_new(&c, t);
    jv file = text(upload(serve_together, t, "/v1/files/upload", "file", CHAT), "id");
    jv req = jv_string_fmt("{\"model\":\"m\",\"training_file\":\"%s\"}", jv_string_value(file));
    evm_wire_http h = {"POST",
                       "/v1/fine-tunes",
                       jv_string_value(req),
                       strlen(jv_string_value(req)),
                       NULL,
                       NULL,
                       NULL,
                       1000};
    jv job = text(evm_together_serve(t, &h), "id");
    jv_free(req);
    jv path = jv_string_fmt("/v1/fine-tunes/%s", jv_string_value(job));
    jv none = jv_string("");
    jv ml = text(send(serve_together, t, "GET", jv_string_value(path), none), "model_object_id");
    jv_free(none);
    jv b = with(with(jv_string_sized(body, (int)len), "file-fuzz", jv_string_value(file)),
                "ml-fuzz", jv_string_value(ml));
    if (!v2) {
        answered(send(serve_together, t, "POST", "/v1/fine-tunes", b));
        answered(send(serve_together, t, "POST", "/v1/fine-tunes/estimate-price", b));
    } else {
        const char *p = "/v2/projects/proj_ev-mock/endpoints";
        answered(send(serve_dmi, d, "POST", p, b));
        req = jv_string("{\"name\":\"fuzz-endpoint\"}");
        jv ep = text(send(serve_dmi, d, "POST", p, req), "id");
        jv_free(req);
        jv deps = jv_string_fmt("%s/%s/deployments", p, jv_string_value(ep));
        jv one = jv_string_fmt("%s/%s", p, jv_string_value(ep));
        answered(send(serve_dmi, d, "POST", jv_string_value(deps), b));
        answered(send(serve_dmi, d, "PATCH", jv_string_value(one), b));
        jv_free(ep);
        jv_free(deps);
        jv_free(one);
    }
    jv_free(b);
    jv_free(path);
    jv_free(ml);
    jv_free(job);
    jv_free(file);
    evm_dmi_free(d);
    evm_together_free(t);
}

/* check_fireworks sends 'body' to Fireworks' collections. */
static void
check_fireworks(const char *body, size_t len)
{
    evm_jobs_config c = {.job_ms = 1, .deploy_ms = 1, .params = evm_learner_defaults()};
    evm_fireworks *f = evm_fireworks_new(&c, "fuzz");
    const char *a = "/v1/accounts/fuzz";
    const char *sets[][2] = {{"chat", CHAT CHAT CHAT}, {"pref", PREF PREF PREF}};
    for (int i = 0; i < 2; i++) {
        jv req = jv_string_fmt("{\"datasetId\":\"%s\",\"dataset\":{}}", sets[i][0]);
        jv path = jv_string_fmt("%s/datasets/%s:upload", a, sets[i][0]);
        jv_free(text(send(serve_fireworks, f, "POST", "/v1/accounts/fuzz/datasets", req), "name"));
        answered(upload(serve_fireworks, f, jv_string_value(path), "file", sets[i][1]));
        jv_free(req);
        jv_free(path);
    }
    jv req = jv_string("{\"dataset\":\"accounts/fuzz/datasets/chat\","
                       "\"baseModel\":\"accounts/fireworks/models/qwen3-8b\","
                       "\"outputModel\":\"accounts/fuzz/models/done\"}");
    jv_free(
        text(send(serve_fireworks, f, "POST", "/v1/accounts/fuzz/supervisedFineTuningJobs", req),
             "name"));
    jv_free(req);
    const char *paths[] = {"datasets", "supervisedFineTuningJobs", "dpoJobs", "deployments"};
    jv b = jv_string_sized(body, (int)len);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        jv path = jv_string_fmt("%s/%s", a, paths[i]);
        answered(send(serve_fireworks, f, "POST", jv_string_value(path), b));
        jv_free(path);
    }
    jv_free(b);
    evm_fireworks_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *body = fuzz_cstring(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        check_scan((const char *)data + 1, size - 1);
        break;
    case 1:
        check_together(body, size - 1, false);
        break;
    case 2:
        check_together(body, size - 1, true);
        break;
    default:
        check_fireworks(body, size - 1);
        break;
    }
    free(body);
    return 0;
}
