/* Unit tests of mock/dmi, ev-mock's simulation of Together's Dedicated
 * Model Inference: endpoints, deployments by time at exact moments, the
 * traffic split, stopping and deleting, and what chat names resolve to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mock/dmi.h"
#include "mockunit.h"

#define T0 1000000
#define BASE "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
#define PROJECT "/v2/projects/proj_ev-mock"

/* A job store with one job completed by T0 + 1000, and the DMI store on
 * it. */
typedef struct fixture {
    evm_jobs_config c;
    evm_fault_plan faults;
    evm_together *jobs;
    evm_dmi *dmi;
    jv ml; /* the model object id */
} fixture;

/* serve sends 'method' 'path' with the JSON 'body' (or none) and the query
 * 'query' ("NAME=VALUE", or NULL) at 'now', to the job store or the DMI
 * store as the server would. */
static evm_wire_reply
serve(fixture *x, const char *method, const char *path, const char *body, const char *query,
      int64_t now)
{
    evm_wire_http h = http(method, path, body, query, now);
    return strncmp(path, "/v1/fine-tunes", 14) == 0 ? evm_together_serve(x->jobs, &h)
                                                    : evm_dmi_serve(x->dmi, &h);
}

static jv
body_of(fixture *x, const char *method, const char *path, const char *body, int64_t now)
{
    return serve(x, method, path, body, NULL, now).body;
}

static void
setup(fixture *x, double lost, double slow, bool by_poll)
{
    x->faults = evm_fault_defaults();
    x->faults.lost_id = lost;
    x->faults.slow_deploy = slow;
    x->c = (evm_jobs_config){.job_ms = 1000,
                             .deploy_ms = 100,
                             .by_poll = by_poll,
                             .faults = &x->faults,
                             .learner = BASE,
                             .params = evm_learner_defaults()};
    x->jobs = evm_together_new(&x->c);
    x->dmi = evm_dmi_new(&x->c, x->jobs);
    evm_wire_form f = {NULL, 0};
    evm_wire_form_append(&f, "purpose", NULL, "fine-tune", 9);
    evm_wire_form_append(&f, "file_name", NULL, "t.jsonl", 7);
    evm_wire_form_append(&f, "file", "t.jsonl", MOCK_CHAT, strlen(MOCK_CHAT));
    evm_wire_http h = {"POST", "/v1/files/upload", "", 0, &f, NULL, NULL, T0};
    jv file = text_of(evm_together_serve(x->jobs, &h).body, "id");
    evm_wire_form_free(&f);
    jv req =
        jv_string_fmt("{\"model\":\"" BASE "\",\"training_file\":\"%s\"}", jv_string_value(file));
    jv id = text_of(body_of(x, "POST", "/v1/fine-tunes", jv_string_value(req), T0), "id");
    jv path = jv_string_fmt("/v1/fine-tunes/%s", jv_string_value(id));
    for (int i = 0; by_poll && i < 4; i++)
        jv_free(body_of(x, "GET", jv_string_value(path), NULL, T0));
    x->ml = text_of(body_of(x, "GET", jv_string_value(path), NULL, T0 + 1000), "model_object_id");
    jv_free(file);
    jv_free(req);
    jv_free(id);
    jv_free(path);
}

static void
teardown(fixture *x)
{
    evm_dmi_free(x->dmi);
    evm_together_free(x->jobs);
    jv_free(x->ml);
}

/* deploy makes the endpoint 'name' and a deployment of the fixture's
 * model on it at 'now', with the config configs lists for the model;
 * sets '*ep' to the endpoint's id and returns the deployment's reply. */
static evm_wire_reply
deploy(fixture *x, const char *name, int64_t now, jv *ep)
{
    jv body = jv_string_fmt("{\"name\":\"%s\"}", name);
    *ep = text_of(body_of(x, "POST", PROJECT "/endpoints", jv_string_value(body), now), "id");
    jv ref =
        jv_string_fmt("referenceModel=projects/proj_ev-mock/models/%s", jv_string_value(x->ml));
    jv cfgs = serve(x, "GET", PROJECT "/configs", NULL, jv_string_value(ref), now).body;
    jv cfg = ev_json_path(cfgs, "data.0.id");
    jv req = jv_string_fmt("{\"name\":\"main\",\"model\":\"projects/proj_ev-mock/models/%s\","
                           "\"config\":\"projects/proj_ev-mock/configs/%s\"}",
                           jv_string_value(x->ml), ev_json_str(cfg, ""));
    jv path = jv_string_fmt(PROJECT "/endpoints/%s/deployments", jv_string_value(*ep));
    evm_wire_reply r = serve(x, "POST", jv_string_value(path), jv_string_value(req), NULL, now);
    jv_free(body);
    jv_free(ref);
    jv_free(cfgs);
    jv_free(cfg);
    jv_free(req);
    jv_free(path);
    return r;
}

/* state returns the state of deployment 'dep' of endpoint 'ep' at 'now'. */
static jv
state(fixture *x, jv ep, jv dep, int64_t now)
{
    jv path = jv_string_fmt(PROJECT "/endpoints/%s/deployments/%s", jv_string_value(ep),
                            jv_string_value(dep));
    jv b = body_of(x, "GET", jv_string_value(path), NULL, now);
    jv st = ev_json_path(b, "status.state");
    jv_free(b);
    jv_free(path);
    return jv_get_kind(st) == JV_KIND_STRING ? st : (jv_free(st), jv_string(""));
}

static void
check_state(fixture *x, jv ep, jv dep, int64_t now, const char *want, const char *name)
{
    jv st = state(x, ep, dep, now);
    CHECK_STR(jv_string_value(st), want, name);
    jv_free(st);
}

static enum evm_jobs_kind
resolve(fixture *x, const char *model, int64_t now)
{
    evm_model_as as;
    return evm_dmi_resolve(x->dmi, model, now, &as);
}

/* split gives all of endpoint 'ep''s traffic to 'dep' with 'weight'. */
static unsigned
split(fixture *x, jv ep, jv dep, int weight, int64_t now)
{
    jv path = jv_string_fmt(PROJECT "/endpoints/%s", jv_string_value(ep));
    jv body = jv_string_fmt("{\"trafficSplit\":[{\"deploymentId\":\"%s\",\"weight\":%d}]}",
                            jv_string_value(dep), weight);
    evm_wire_reply r = serve(x, "PATCH", jv_string_value(path), jv_string_value(body), NULL, now);
    jv_free(r.body);
    jv_free(path);
    jv_free(body);
    return r.status;
}

static void
test_serving(void)
{
    fixture x;
    setup(&x, 0, 0, false);
    jv b = body_of(&x, "GET", "/v1/whoami", NULL, T0);
    check_field(b, "project_id", "\"proj_ev-mock\"", "whoami names the project");
    jv_free(b);
    jv ep;
    evm_wire_reply r = deploy(&x, "ev-a", T0 + 1000, &ep);
    CHECK(r.status == 200, "a deployment of a completed model is made");
    check_field(r.body, "name", "\"ev-mock/ev-a/main\"", "its name is the endpoint's and its own");
    check_field(r.body, "hardware", "\"1xnvidia-h100-80gb\"", "on the config's instance type");
    jv dep = text_of(r.body, "id");
    check_state(&x, ep, dep, T0 + 1000, "DEPLOYMENT_STATE_PROVISIONING", "provisioning at first");
    check_state(&x, ep, dep, T0 + 1050, "DEPLOYMENT_STATE_SCALING", "scaling halfway");
    check_state(&x, ep, dep, T0 + 1100, "DEPLOYMENT_STATE_READY", "ready after --deploy-ms");
    CHECK(resolve(&x, "ev-mock/ev-a", T0 + 1100) == EVM_JOBS_UNKNOWN,
          "a ready deployment without traffic does not serve");
    CHECK(split(&x, ep, dep, 1, T0 + 1100) == 200, "the split gives it the traffic");
    CHECK(resolve(&x, "ev-mock/ev-a", T0 + 1100) == EVM_JOBS_TUNED,
          "then the endpoint's name is the tuned model");
    CHECK(resolve(&x, BASE, T0) == EVM_JOBS_BASE && resolve(&x, "big", T0) == EVM_JOBS_PLAIN,
          "the learner's base is the base, another name plain");
    CHECK(resolve(&x, "ev-mock/other", T0) == EVM_JOBS_UNKNOWN,
          "another name of the project is unknown");
    jv path = jv_string_fmt(PROJECT "/endpoints/%s/deployments/%s", jv_string_value(ep),
                            jv_string_value(dep));
    r = serve(&x, "PATCH", jv_string_value(path),
              "{\"autoscaling\":{\"minReplicas\":0,\"maxReplicas\":2}}", NULL, T0 + 2000);
    CHECK(r.status == 400, "min 0 with a positive max is refused");
    jv_free(r.body);
    r = serve(&x, "PATCH", jv_string_value(path),
              "{\"autoscaling\":{\"minReplicas\":0,\"maxReplicas\":0}}", NULL, T0 + 2000);
    check_field(r.body, "status",
                "{\"details\":[],\"message\":\"\",\"readyReplicas\":0,\"scheduledReplicas\":0,"
                "\"state\":\"DEPLOYMENT_STATE_STOPPING\"}",
                "0 and 0 stop it");
    jv_free(r.body);
    CHECK(resolve(&x, "ev-mock/ev-a", T0 + 2000) == EVM_JOBS_UNKNOWN,
          "a stopping one serves no more");
    check_state(&x, ep, dep, T0 + 2010, "DEPLOYMENT_STATE_STOPPED", "stopped a tenth later");
    r = serve(&x, "DELETE", jv_string_value(path), NULL, NULL, T0 + 2010);
    CHECK(r.status == 400, "a deployment with weight is not deleted");
    jv_free(r.body);
    CHECK(split(&x, ep, dep, 0, T0 + 2010) == 200, "its weight goes to 0");
    jv ep_path = jv_string_fmt(PROJECT "/endpoints/%s", jv_string_value(ep));
    r = serve(&x, "DELETE", jv_string_value(ep_path), NULL, NULL, T0 + 2010);
    CHECK(r.status == 400, "an endpoint with a deployment is not deleted");
    jv_free(r.body);
    r = serve(&x, "DELETE", jv_string_value(path), NULL, NULL, T0 + 2010);
    CHECK(r.status == 200, "then the deployment is deleted");
    jv_free(r.body);
    r = serve(&x, "DELETE", jv_string_value(ep_path), NULL, NULL, T0 + 2010);
    CHECK(r.status == 200, "then the endpoint");
    jv_free(r.body);
    r = serve(&x, "GET", jv_string_value(ep_path), NULL, NULL, T0 + 2010);
    CHECK(r.status == 404, "which is gone");
    jv_free(r.body);
    jv_free(ep_path);
    jv_free(path);
    jv_free(dep);
    jv_free(ep);
    teardown(&x);
}

static void
test_requests(void)
{
    fixture x;
    setup(&x, 1, 1, true);
    jv ep;
    evm_wire_reply r = deploy(&x, "ev-b", T0, &ep);
    CHECK(r.lost, "the lost-id fault loses a deployment's answer");
    jv dep = text_of(r.body, "id");
    const char *slow[] = {"DEGRADED", "DEGRADED", "DEGRADED", "DEGRADED", "DEGRADED", "DEGRADED",
                          "DEGRADED", "DEGRADED", "DEGRADED", "SCALING",  "READY",    "READY"};
    bool ok = true;
    for (int i = 0; i < 12; i++) {
        jv st = state(&x, ep, dep, T0);
        ok = ok && strcmp(jv_string_value(st) + strlen("DEPLOYMENT_STATE_"), slow[i]) == 0;
        jv_free(st);
    }
    CHECK(ok, "by poll, a slow deploy is DEGRADED for nine GETs, then scales, then is ready");
    r = serve(&x, "POST", PROJECT "/endpoints", "{\"name\":\"ev-b\"}", NULL, T0);
    CHECK(r.status == 409, "an endpoint name is taken once");
    jv_free(r.body);
    r = serve(&x, "POST", PROJECT "/endpoints", "{\"name\":\"Bad Name\"}", NULL, T0);
    CHECK(r.status == 400, "a name is lowercase letters, digits and '-'");
    jv_free(r.body);
    r = serve(&x, "GET", PROJECT "/endpoints", NULL, "filter=name = \"ev-mock/ev-b\"", T0);
    CHECK(r.status == 200 && jv_array_length(jv_object_get(r.body, jv_string("data"))) == 1,
          "a filter by the full name finds it");
    r = serve(&x, "GET", PROJECT "/endpoints", NULL, "filter=name:nope", T0);
    CHECK(jv_array_length(jv_object_get(r.body, jv_string("data"))) == 0, "and by another, none");
    r = serve(&x, "GET", PROJECT "/endpoints", NULL, "filter=visibility:x", T0);
    check_jv(r.body,
             "{\"error\":{\"code\":null,\"message\":\"invalid filter expression\","
             "\"param\":\"filter\",\"type\":\"invalid_request_error\"}}",
             "another filter is refused in Together's error shape");
    jv path = jv_string_fmt(PROJECT "/endpoints/%s/deployments", jv_string_value(ep));
    r = serve(&x, "GET", jv_string_value(path), NULL, "filter=state = \"DEPLOYMENT_STATE_READY\"",
              T0);
    CHECK(jv_array_length(jv_object_get(r.body, jv_string("data"))) == 1,
          "deployments filter by state");
    r = serve(
        &x, "POST", jv_string_value(path),
        "{\"name\":\"x\",\"model\":\"projects/proj_ev-mock/models/ml_nope\",\"config\":\"c\"}",
        NULL, T0);
    CHECK(r.status == 400, "a model no job made is refused");
    jv_free(r.body);
    jv ep_path = jv_string_fmt(PROJECT "/endpoints/%s", jv_string_value(ep));
    r = serve(&x, "PATCH", jv_string_value(ep_path), "{\"trafficSplit\":[],\"etag\":\"7\"}", NULL,
              T0);
    CHECK(r.status == 409, "a stale etag is refused");
    jv_free(r.body);
    r = serve(&x, "PATCH", jv_string_value(ep_path),
              "{\"trafficSplit\":[{\"deploymentId\":\"dep_nope\",\"weight\":1}]}", NULL, T0);
    CHECK(r.status == 400, "a split of another deployment is refused");
    jv_free(r.body);
    r = serve(&x, "POST", "/v1/endpoints", "{}", NULL, T0);
    jv code = ev_json_path(r.body, "error.code");
    CHECK(r.status == 403 &&
              strcmp(ev_json_str(code, ""), "endpoints_v1_create_access_disabled") == 0,
          "v1 endpoint creation is refused as Together refuses it");
    jv_free(code);
    jv_free(r.body);
    r = serve(&x, "GET", "/v2/projects/proj_other/endpoints", NULL, NULL, T0);
    CHECK(r.status == 404, "another project is not found");
    jv_free(r.body);
    r = serve(&x, "GET", "/v2/public/inference-instance-types/1xnvidia-h200-141gb", NULL, NULL, T0);
    check_field(r.body, "priceCentsPerHour", "549", "an instance type's price an hour");
    jv_free(r.body);
    jv stats = evm_dmi_stats(x.dmi, T0);
    check_jv(stats,
             "{\"by_state\":{\"DEPLOYMENT_STATE_DEGRADED\":0,\"DEPLOYMENT_STATE_PROVISIONING\":0,"
             "\"DEPLOYMENT_STATE_READY\":1,\"DEPLOYMENT_STATE_SCALING\":0,"
             "\"DEPLOYMENT_STATE_STOPPED\":0,\"DEPLOYMENT_STATE_STOPPING\":0},"
             "\"deployments\":1,\"endpoints\":1}",
             "stats count endpoints and deployments by state");
    jv_free(ep_path);
    jv_free(path);
    jv_free(dep);
    jv_free(ep);
    teardown(&x);
}

int
main(void)
{
    test_serving();
    test_requests();
    UNIT_DONE();
}
