#include "dmi.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "json.h"
#include "learner.h"
#include "steps.h"

#define PROJECT "proj_ev-mock"
#define SLUG "ev-mock"

/* The instance type of every config, and the types GET
 * /v2/public/inference-instance-types lists, at the prices of Together's
 * documentation (SIMULATED: not read from Together). */
#define INSTANCE "1xnvidia-h100-80gb"

static const struct {
    const char *id, *name, *gpu;
    int memory, cents;
} instances[] = {
    {INSTANCE, "1x NVIDIA H100 80GB", "nvidia-h100-80gb", 80, 399},
    {"1xnvidia-h200-141gb", "1x NVIDIA H200 141GB", "nvidia-h200-141gb", 141, 549},
    {"1xnvidia-b200-180gb", "1x NVIDIA B200 180GB", "nvidia-b200-180gb", 180, 995},
};

#define NINSTANCES (sizeof(instances) / sizeof(instances[0]))

/* A deployment's states as it comes up: by time evenly over --deploy-ms, by
 * poll one a GET; a slow one waits DEGRADED for nine steps more, ten times
 * as long. */
static const char *const up_states[] = {"DEPLOYMENT_STATE_PROVISIONING", "DEPLOYMENT_STATE_SCALING",
                                        "DEPLOYMENT_STATE_READY"};
#define SLOW_STEPS 12

typedef struct dm_split {
    char *deployment;
    double weight;
} dm_split;

typedef struct dm_endpoint {
    char *id, *name, *full, *visibility;
    int64_t created, updated;
    long etag;
    dm_split *split;
    size_t nsplit;
    bool deleted;
} dm_endpoint;

typedef struct dm_deployment {
    char *id, *name, *full, *endpoint, *model, *config;
    long min, max;
    bool lora, slow, stopping, deleted;
    double timeout; /* inactiveTimeout, or NAN */
    evm_steps up;   /* coming up */
    evm_steps down; /* stopping, once asked */
    int64_t created, updated;
    long etag;
    evm_together_model served;
} dm_deployment;

struct evm_dmi {
    evm_jobs_config c;
    evm_together *jobs;
    pthread_mutex_t mu; /* guards everything below */
    dm_endpoint **endpoints;
    size_t nendpoints;
    dm_deployment **deployments;
    size_t ndeployments;
};

static evm_wire_reply
error(unsigned status, jv msg, const char *param, const char *code)
{
    return evm_wire_openai_reply(status, msg, param, code);
}

static evm_wire_reply
bad(jv msg, const char *param)
{
    return error(400, msg, param, NULL);
}

static evm_wire_reply
not_found(const char *what, const char *id)
{
    return error(404, jv_string_fmt("%s '%s' not found", what, id), NULL, "not_found");
}

evm_dmi *
evm_dmi_new(const evm_jobs_config *c, evm_together *jobs)
{
    evm_dmi *d = ev_alloc_zero(1, sizeof(*d));
    d->c = *c;
    d->jobs = jobs;
    pthread_mutex_init(&d->mu, NULL);
    return d;
}

void
evm_dmi_free(evm_dmi *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nendpoints; i++) {
        dm_endpoint *e = d->endpoints[i];
        for (size_t k = 0; k < e->nsplit; k++)
            free(e->split[k].deployment);
        free(e->split);
        free(e->id);
        free(e->name);
        free(e->full);
        free(e->visibility);
        free(e);
    }
    for (size_t i = 0; i < d->ndeployments; i++) {
        dm_deployment *x = d->deployments[i];
        char *strings[] = {x->id, x->name, x->full, x->endpoint, x->model, x->config};
        for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
            free(strings[k]);
        free(x);
    }
    free(d->endpoints);
    free(d->deployments);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

static jv
etag(long n)
{
    return jv_string_fmt("%ld", n);
}

/* Lookups; callers hold the lock. */

static dm_endpoint *
find_endpoint(const evm_dmi *d, const char *id)
{
    for (size_t i = 0; i < d->nendpoints; i++)
        if (!d->endpoints[i]->deleted && strcmp(d->endpoints[i]->id, id) == 0)
            return d->endpoints[i];
    return NULL;
}

static dm_deployment *
find_deployment(const evm_dmi *d, const dm_endpoint *e, const char *id)
{
    for (size_t i = 0; i < d->ndeployments; i++) {
        dm_deployment *x = d->deployments[i];
        if (!x->deleted && strcmp(x->endpoint, e->id) == 0 && strcmp(x->id, id) == 0)
            return x;
    }
    return NULL;
}

/* The names of models and configs. */

/* model_id returns the id in "projects/PROJECT/models/ID", or NULL; the
 * caller frees it. */
static char *
model_id(const char *name)
{
    char *cap[2] = {NULL, NULL};
    if (!evm_wire_match(name, "projects/*/models/*", cap))
        return NULL;
    bool ours = strcmp(cap[0], PROJECT) == 0;
    free(cap[0]);
    if (!ours)
        free(cap[1]);
    return ours ? cap[1] : NULL;
}

/* config_of returns the id of the config of model 'ml'. */
static char *
config_of(const char *ml)
{
    return evm_wire_id("cr_", ev_hash_64(ml, strlen(ml), 0x636667ULL), 0);
}

static jv
config_json(const char *ml)
{
    char *id = config_of(ml);
    jv sel = jv_array();
    const char *pairs[][2] = {{"accelerator_type", "nvidia-h100-80gb"}, {"accelerator_count", "1"}};
    for (size_t i = 0; i < 2; i++) {
        jv s = jv_object_set(jv_object(), jv_string("key"), jv_string(pairs[i][0]));
        sel = jv_array_append(sel, jv_object_set(s, jv_string("value"), jv_string(pairs[i][1])));
    }
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
    o = jv_object_set(o, jv_string("projectId"), jv_string(PROJECT));
    o = jv_object_set(o, jv_string("referenceModel"),
                      jv_string_fmt("projects/%s/models/%s", PROJECT, ml));
    o = jv_object_set(o, jv_string("selectors"), sel);
    o = jv_object_set(o, jv_string("certifications"), jv_array());
    o = jv_object_set(o, jv_string("draftModel"), jv_null());
    free(id);
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* Deployments: their state at a time. */

static const char *
state(const dm_deployment *x, int64_t now)
{
    if (x->stopping)
        return evm_steps_done(&x->down, now) ? "DEPLOYMENT_STATE_STOPPED"
                                             : "DEPLOYMENT_STATE_STOPPING";
    int k = evm_steps_reached(&x->up, now);
    if (x->slow)
        return k == 0                ? up_states[0]
               : k < SLOW_STEPS - 2  ? "DEPLOYMENT_STATE_DEGRADED"
               : k == SLOW_STEPS - 2 ? up_states[1]
                                     : up_states[2];
    return up_states[k];
}

static bool
ready(const dm_deployment *x, int64_t now)
{
    return !x->deleted && !x->stopping && evm_steps_done(&x->up, now);
}

static bool
stopped(const dm_deployment *x, int64_t now)
{
    return x->stopping && evm_steps_done(&x->down, now);
}

static void
come_up(evm_dmi *d, dm_deployment *x, int64_t now)
{
    x->stopping = false;
    long ms = d->c.deploy_ms * (x->slow ? 10 : 1);
    evm_steps_start(&x->up, x->slow ? SLOW_STEPS : 3, now, ms, d->c.by_poll, NULL);
}

static jv
deployment_json(const dm_deployment *x, int64_t now)
{
    const char *st = state(x, now);
    bool up = strcmp(st, "DEPLOYMENT_STATE_READY") == 0;
    bool scheduled = up || strcmp(st, "DEPLOYMENT_STATE_SCALING") == 0;
    jv status = jv_object_set(jv_object(), jv_string("state"), jv_string(st));
    status = jv_object_set(status, jv_string("message"),
                           jv_string(strcmp(st, "DEPLOYMENT_STATE_DEGRADED") == 0
                                         ? "Cannot place replicas: insufficient GPU capacity"
                                     : strcmp(st, up_states[0]) == 0 ? "Scheduling replicas"
                                                                     : ""));
    status = jv_object_set(status, jv_string("readyReplicas"), jv_number(up ? (double)x->min : 0));
    status = jv_object_set(status, jv_string("scheduledReplicas"),
                           jv_number(scheduled ? (double)x->min : 0));
    status = jv_object_set(status, jv_string("details"), jv_array());
    jv scaling = jv_object_set(jv_object(), jv_string("minReplicas"), jv_number((double)x->min));
    scaling = jv_object_set(scaling, jv_string("maxReplicas"), jv_number((double)x->max));
    char *rev = evm_wire_id("rv_", ev_hash_64(x->model, strlen(x->model), 0x7276ULL), 0);
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("name"), jv_string(x->full));
    o = jv_object_set(o, jv_string("endpointId"), jv_string(x->endpoint));
    o = jv_object_set(o, jv_string("projectId"), jv_string(PROJECT));
    o = jv_object_set(o, jv_string("model"), jv_string_fmt("%s/revisions/%s", x->model, rev));
    o = jv_object_set(o, jv_string("config"), jv_string(x->config));
    o = jv_object_set(o, jv_string("hardware"), jv_string(INSTANCE));
    o = jv_object_set(o, jv_string("autoscaling"), scaling);
    o = jv_object_set(o, jv_string("status"), status);
    o = jv_object_set(o, jv_string("desiredReplicas"), jv_number((double)x->min));
    o = jv_object_set(o, jv_string("enableLora"), jv_bool(x->lora));
    if (!isnan(x->timeout))
        o = jv_object_set(o, jv_string("inactiveTimeout"), jv_number(x->timeout));
    o = jv_object_set(o, jv_string("etag"), etag(x->etag));
    o = jv_object_set(o, jv_string("createdAt"), evm_wire_time(x->created));
    o = jv_object_set(o, jv_string("updatedAt"), evm_wire_time(x->updated));
    free(rev);
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

static jv
endpoint_json(const evm_dmi *d, const dm_endpoint *e)
{
    jv split = jv_array(), deps = jv_array();
    for (size_t k = 0; k < e->nsplit; k++) {
        jv s = jv_object_set(jv_object(), jv_string("deploymentId"),
                             jv_string(e->split[k].deployment));
        split = jv_array_append(
            split, jv_object_set(s, jv_string("weight"), jv_number(e->split[k].weight)));
    }
    for (size_t i = 0; i < d->ndeployments; i++)
        if (!d->deployments[i]->deleted && strcmp(d->deployments[i]->endpoint, e->id) == 0)
            deps = jv_array_append(deps, jv_string(d->deployments[i]->id));
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(e->id));
    o = jv_object_set(o, jv_string("name"), jv_string(e->full));
    o = jv_object_set(o, jv_string("projectId"), jv_string(PROJECT));
    o = jv_object_set(o, jv_string("trafficSplit"), split);
    o = jv_object_set(o, jv_string("deployments"), deps);
    o = jv_object_set(o, jv_string("endpointType"), jv_string("ENDPOINT_TYPE_DEDICATED"));
    o = jv_object_set(o, jv_string("etag"), etag(e->etag));
    o = jv_object_set(o, jv_string("visibility"), jv_string(e->visibility));
    o = jv_object_set(o, jv_string("createdAt"), evm_wire_time(e->created));
    o = jv_object_set(o, jv_string("updatedAt"), evm_wire_time(e->updated));
    return jv_object_set(o, jv_string("simulated"), jv_true());
}

/* filter_value reads the filter 'f' of a list, KEY:VALUE or KEY = "VALUE"
 * (AIP-160's has and equals, which is all ev-mock reads), for 'key';
 * returns its value, which the caller frees, or NULL when 'f' is another
 * filter. */
static char *
filter_value(const char *f, const char *key)
{
    size_t n = strlen(key);
    f += strspn(f, " ");
    if (strncmp(f, key, n) != 0)
        return NULL;
    f += n;
    f += strspn(f, " ");
    if (*f != ':' && *f != '=')
        return NULL;
    f++;
    f += strspn(f, " ");
    size_t len;
    if (*f == '"') {
        const char *end = strchr(++f, '"');
        if (end == NULL || end[1 + strspn(end + 1, " ")] != '\0')
            return NULL;
        len = (size_t)(end - f);
    } else {
        len = strcspn(f, " ");
        if (f[len + strspn(f + len, " ")] != '\0')
            return NULL;
    }
    return len > 0 ? ev_alloc_strndup(f, len) : NULL;
}

/* Endpoints and deployments; the lock is held (serve_project). */

static evm_wire_reply
create_endpoint(evm_dmi *d, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    jv name = ev_json_field(req, "name"), vis = ev_json_field(req, "visibility");
    evm_wire_reply r;
    if (!jv_is_valid(req)) {
        r = bad(jv_string("The request body must be a JSON object."), NULL);
    } else if (jv_get_kind(name) != JV_KIND_STRING || !evm_wire_good_id(jv_string_value(name))) {
        r = bad(jv_string("`name` is required: lowercase letters, digits and '-', from a letter, "
                          "at most 63"),
                "name");
    } else if (jv_is_valid(vis) && jv_get_kind(vis) != JV_KIND_STRING) {
        r = bad(jv_string("`visibility` must be a string"), "visibility");
    } else {
        size_t dup = 0;
        bool taken = false;
        for (size_t i = 0; i < d->nendpoints; i++) {
            dup += strcmp(d->endpoints[i]->name, jv_string_value(name)) == 0;
            taken = taken || (!d->endpoints[i]->deleted &&
                              strcmp(d->endpoints[i]->name, jv_string_value(name)) == 0);
        }
        if (taken) {
            r = error(409, jv_string_fmt("an endpoint named '%s' exists", jv_string_value(name)),
                      "name", "already_exists");
        } else {
            dm_endpoint *e = ev_alloc_zero(1, sizeof(*e));
            const char *n = jv_string_value(name);
            e->id = evm_wire_id(
                "ep_", ev_hash_64(n, strlen(n), ev_hash_mix64(d->c.seed ^ 0x6570ULL)), dup);
            e->name = ev_alloc_strdup(n);
            e->full = ev_alloc_printf(SLUG "/%s", n);
            e->visibility = ev_alloc_strdup(ev_json_str(vis, "VISIBILITY_PRIVATE"));
            e->created = e->updated = h->now;
            e->etag = 1;
            d->endpoints = ev_alloc_array(d->endpoints, d->nendpoints + 1, sizeof(*d->endpoints));
            d->endpoints[d->nendpoints++] = e;
            r = evm_wire_ok(endpoint_json(d, e));
            r.lost = d->c.faults != NULL && evm_fault_lost_id(d->c.faults, e->id);
        }
    }
    jv_free(req);
    jv_free(name);
    jv_free(vis);
    return r;
}

static evm_wire_reply
list_endpoints(evm_dmi *d, const evm_wire_http *h)
{
    const char *filter = evm_wire_query(h, "filter");
    char *want = filter != NULL ? filter_value(filter, "name") : NULL;
    if (filter != NULL && want == NULL)
        return bad(jv_string("invalid filter expression"), "filter");
    jv data = jv_array();
    for (size_t i = 0; i < d->nendpoints; i++) {
        const dm_endpoint *e = d->endpoints[i];
        if (!e->deleted &&
            (want == NULL || strcmp(want, e->name) == 0 || strcmp(want, e->full) == 0))
            data = jv_array_append(data, endpoint_json(d, e));
    }
    free(want);
    return evm_wire_ok(jv_object_set(jv_object(), jv_string("data"), data));
}

/* stale says whether the request 'req' names an etag other than 'now'. */
static bool
stale(jv req, long now)
{
    jv tag = ev_json_field(req, "etag");
    jv have = etag(now);
    bool old = jv_get_kind(tag) == JV_KIND_STRING &&
               strcmp(jv_string_value(tag), jv_string_value(have)) != 0;
    jv_free(tag);
    jv_free(have);
    return old;
}

/* read_split reads the trafficSplit 'split' for endpoint 'e'; returns null
 * or what is wrong. */
static jv
read_split(const evm_dmi *d, const dm_endpoint *e, jv split, dm_split **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    jv why = jv_null();
    jv_array_foreach(split, i, s)
    {
        jv dep = ev_json_field(s, "deploymentId"), w = ev_json_field(s, "weight");
        bool known = jv_get_kind(dep) == JV_KIND_STRING &&
                     find_deployment(d, e, jv_string_value(dep)) != NULL;
        bool weight = jv_get_kind(w) == JV_KIND_NUMBER && jv_number_value(w) >= 0;
        if (jv_get_kind(why) == JV_KIND_NULL && !known) {
            why = jv_string_fmt("`trafficSplit[%d].deploymentId` is not a deployment of "
                                "endpoint '%s'",
                                i, e->id);
        } else if (jv_get_kind(why) == JV_KIND_NULL && !weight) {
            why = jv_string_fmt("`trafficSplit[%d].weight` must be a number of 0 or more", i);
        } else if (known && weight) {
            *out = ev_alloc_array(*out, *n + 1, sizeof(**out));
            (*out)[(*n)++] = (dm_split){ev_alloc_strdup(jv_string_value(dep)), jv_number_value(w)};
        }
        jv_free(dep);
        jv_free(w);
        jv_free(s);
    }
    jv_free(split);
    return why;
}

static void
free_split(dm_split *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(s[k].deployment);
    free(s);
}

static evm_wire_reply
update_endpoint(evm_dmi *d, dm_endpoint *e, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    jv split = ev_json_field(req, "trafficSplit");
    evm_wire_reply r;
    if (jv_get_kind(split) != JV_KIND_ARRAY) {
        jv_free(split);
        r = bad(jv_string("no fields to update: give `trafficSplit`"), "trafficSplit");
    } else if (stale(req, e->etag)) {
        jv_free(split);
        r = error(409, jv_string("the endpoint has changed since its etag: read it again"), "etag",
                  "aborted");
    } else {
        dm_split *s;
        size_t n;
        jv why = read_split(d, e, split, &s, &n);
        if (jv_get_kind(why) != JV_KIND_NULL) {
            free_split(s, n);
            r = bad(why, "trafficSplit");
        } else {
            jv_free(why);
            free_split(e->split, e->nsplit);
            e->split = s;
            e->nsplit = n;
            e->etag++;
            e->updated = h->now;
            r = evm_wire_ok(endpoint_json(d, e));
        }
    }
    jv_free(req);
    return r;
}

static evm_wire_reply
delete_endpoint(evm_dmi *d, dm_endpoint *e)
{
    for (size_t i = 0; i < d->ndeployments; i++)
        if (!d->deployments[i]->deleted && strcmp(d->deployments[i]->endpoint, e->id) == 0)
            return bad(jv_string_fmt("endpoint '%s' still has deployment '%s': delete it first",
                                     e->id, d->deployments[i]->id),
                       NULL);
    e->deleted = true;
    return evm_wire_ok(jv_object());
}

/* Deployments. */

/* read_scaling reads the autoscaling of 'req' into 'min' and 'max' (left
 * as they are when it has none); returns null or what is wrong. With
 * 'stop', 0 and 0 are allowed. */
static jv
read_scaling(jv req, long *min, long *max, bool stop)
{
    jv a = ev_json_field(req, "autoscaling");
    jv lo = ev_json_field(a, "minReplicas"), hi = ev_json_field(a, "maxReplicas");
    jv why = jv_null();
    if (jv_is_valid(a) &&
        (jv_get_kind(lo) != JV_KIND_NUMBER || jv_get_kind(hi) != JV_KIND_NUMBER)) {
        why = jv_string("`autoscaling` needs `minReplicas` and `maxReplicas`");
    } else if (jv_is_valid(a)) {
        double l = jv_number_value(lo), u = jv_number_value(hi);
        if (l == 0 && u > 0)
            why = jv_string("`autoscaling.minReplicas` 0 with a positive `maxReplicas` is "
                            "rejected: give 0 and 0 to stop");
        else if (l < (stop ? 0 : 1) || u < l || u > 100 || l != (long)l || u != (long)u)
            why = jv_string("`autoscaling` needs whole numbers with 1 <= minReplicas <= "
                            "maxReplicas <= 100, or 0 and 0 to stop");
        else {
            *min = (long)l;
            *max = (long)u;
        }
    }
    jv_free(a);
    jv_free(lo);
    jv_free(hi);
    return why;
}

/* read_deployment reads the request 'req' into 'x'; returns null or what
 * is wrong, and '*param' then names the field. */
static jv
read_deployment(evm_dmi *d, jv req, dm_deployment *x, int64_t now, const char **param)
{
    jv name = ev_json_field(req, "name"), model = ev_json_field(req, "model");
    jv config = ev_json_field(req, "config"), lora = ev_json_field(req, "enableLora");
    jv timeout = ev_json_field(req, "inactiveTimeout");
    char *ml = jv_get_kind(model) == JV_KIND_STRING ? model_id(jv_string_value(model)) : NULL;
    char *cr = ml != NULL ? config_of(ml) : NULL;
    char *want = cr != NULL ? ev_alloc_printf("projects/%s/configs/%s", PROJECT, cr) : NULL;
    x->min = x->max = 1;
    x->timeout = NAN;
    jv why = jv_null();
    if (jv_get_kind(name) != JV_KIND_STRING || !evm_wire_good_id(jv_string_value(name))) {
        *param = "name";
        why = jv_string("`name` is required: lowercase letters, digits and '-', from a letter, "
                        "at most 63");
    } else if (ml == NULL || !evm_together_tuned(d->jobs, ml, now, &x->served)) {
        *param = "model";
        why = jv_string_fmt("`model` must name a model a fine-tuning job of project %s made, as "
                            "projects/%s/models/ml_...",
                            PROJECT, PROJECT);
    } else if (jv_get_kind(config) != JV_KIND_STRING ||
               strcmp(jv_string_value(config), want) != 0) {
        *param = "config";
        why = jv_string_fmt("`config` must be a config of the model: %s", want);
    } else if (jv_is_valid(lora) && jv_get_kind(lora) != JV_KIND_TRUE &&
               jv_get_kind(lora) != JV_KIND_FALSE) {
        *param = "enableLora";
        why = jv_string("`enableLora` must be true or false");
    } else if (jv_is_valid(timeout) &&
               !(jv_get_kind(timeout) == JV_KIND_NUMBER &&
                 (jv_number_value(timeout) == 0 ||
                  (jv_number_value(timeout) >= 30 && jv_number_value(timeout) <= 1440)))) {
        *param = "inactiveTimeout";
        why = jv_string("`inactiveTimeout` must be 0 or 30 to 1440 minutes");
    } else if (jv_get_kind(why = read_scaling(req, &x->min, &x->max, false)) != JV_KIND_NULL) {
        *param = "autoscaling";
    } else {
        x->name = ev_alloc_strdup(jv_string_value(name));
        x->model = ev_alloc_strdup(jv_string_value(model));
        x->config = ev_alloc_strdup(want);
        x->lora = jv_get_kind(lora) == JV_KIND_TRUE;
        x->timeout = jv_is_valid(timeout) ? jv_number_value(timeout) : NAN;
    }
    jv_free(name);
    jv_free(model);
    jv_free(config);
    jv_free(lora);
    jv_free(timeout);
    free(ml);
    free(cr);
    free(want);
    return why;
}

static evm_wire_reply
create_deployment(evm_dmi *d, dm_endpoint *e, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    if (!jv_is_valid(req))
        return bad(jv_string("The request body must be a JSON object."), NULL);
    dm_deployment *x = ev_alloc_zero(1, sizeof(*x));
    const char *param = NULL;
    jv why = read_deployment(d, req, x, h->now, &param);
    jv_free(req);
    size_t dup = 0;
    bool taken = false;
    for (size_t i = 0; x->name != NULL && i < d->ndeployments; i++) {
        const dm_deployment *y = d->deployments[i];
        bool same = strcmp(y->endpoint, e->id) == 0 && strcmp(y->name, x->name) == 0;
        dup += same;
        taken = taken || (same && !y->deleted);
    }
    if (jv_get_kind(why) != JV_KIND_NULL || taken) {
        free(x->name);
        free(x->model);
        free(x->config);
        free(x);
        return taken ? error(409, jv_string("a deployment of that name exists on the endpoint"),
                             "name", "already_exists")
                     : bad(why, param);
    }
    jv_free(why);
    uint64_t key = ev_hash_64(x->name, strlen(x->name) + 1, ev_hash_mix64(d->c.seed ^ 0x646570ULL));
    x->id = evm_wire_id("dep_", ev_hash_64(e->id, strlen(e->id), key), dup);
    x->full = ev_alloc_printf("%s/%s", e->full, x->name);
    x->endpoint = ev_alloc_strdup(e->id);
    x->slow = d->c.faults != NULL && evm_fault_slow_deploy(d->c.faults, x->id);
    x->created = x->updated = h->now;
    x->etag = 1;
    come_up(d, x, h->now);
    d->deployments = ev_alloc_array(d->deployments, d->ndeployments + 1, sizeof(*d->deployments));
    d->deployments[d->ndeployments++] = x;
    evm_wire_reply r = evm_wire_ok(deployment_json(x, h->now));
    r.lost = d->c.faults != NULL && evm_fault_lost_id(d->c.faults, x->id);
    return r;
}

static evm_wire_reply
list_deployments(evm_dmi *d, const dm_endpoint *e, const evm_wire_http *h)
{
    const char *filter = evm_wire_query(h, "filter");
    char *want = filter != NULL ? filter_value(filter, "state") : NULL;
    if (filter != NULL && want == NULL)
        return bad(jv_string("invalid filter expression"), "filter");
    jv data = jv_array();
    for (size_t i = 0; i < d->ndeployments; i++) {
        const dm_deployment *x = d->deployments[i];
        if (!x->deleted && strcmp(x->endpoint, e->id) == 0 &&
            (want == NULL || strcmp(want, state(x, h->now)) == 0))
            data = jv_array_append(data, deployment_json(x, h->now));
    }
    free(want);
    return evm_wire_ok(jv_object_set(jv_object(), jv_string("data"), data));
}

static evm_wire_reply
get_deployment(evm_dmi *d, dm_deployment *x, int64_t now)
{
    if (d->c.by_poll)
        evm_steps_poll(x->stopping ? &x->down : &x->up, now);
    return evm_wire_ok(deployment_json(x, now));
}

static evm_wire_reply
update_deployment(evm_dmi *d, dm_deployment *x, const evm_wire_http *h)
{
    jv req = evm_wire_json_body(h);
    long min = x->min, max = x->max;
    jv why = jv_null();
    if (!jv_is_valid(req) || !jv_object_has(jv_copy(req), jv_string("autoscaling"))) {
        why = jv_string("no fields to update: give `autoscaling`");
    } else if (stale(req, x->etag)) {
        jv_free(req);
        return error(409, jv_string("the deployment has changed since its etag: read it again"),
                     "etag", "aborted");
    } else {
        why = read_scaling(req, &min, &max, true);
    }
    jv_free(req);
    if (jv_get_kind(why) != JV_KIND_NULL)
        return bad(why, "autoscaling");
    jv_free(why);
    if (max == 0 && !x->stopping) {
        x->stopping = true;
        long ms = d->c.deploy_ms / 10;
        evm_steps_start(&x->down, 2, h->now, ms > 1 ? ms : 1, d->c.by_poll, NULL);
    } else if (max > 0 && x->stopping) {
        x->min = min;
        come_up(d, x, h->now);
    }
    if (max > 0) {
        x->min = min;
        x->max = max;
    }
    x->etag++;
    x->updated = h->now;
    return evm_wire_ok(deployment_json(x, h->now));
}

static evm_wire_reply
delete_deployment(dm_endpoint *e, dm_deployment *x, int64_t now)
{
    if (!stopped(x, now))
        return bad(jv_string_fmt("deployment '%s' is %s: stop it first (autoscaling 0 and 0)",
                                 x->id, state(x, now)),
                   NULL);
    for (size_t k = 0; k < e->nsplit; k++)
        if (strcmp(e->split[k].deployment, x->id) == 0 && e->split[k].weight > 0)
            return bad(jv_string_fmt("deployment '%s' still has weight %g in the endpoint's "
                                     "trafficSplit: set it to 0 first",
                                     x->id, e->split[k].weight),
                       NULL);
    x->deleted = true;
    size_t kept = 0;
    for (size_t k = 0; k < e->nsplit; k++) {
        if (strcmp(e->split[k].deployment, x->id) == 0)
            free(e->split[k].deployment);
        else
            e->split[kept++] = e->split[k];
    }
    e->nsplit = kept;
    return evm_wire_ok(jv_object());
}

/* Everything else. */

static evm_wire_reply
whoami(void)
{
    jv o = jv_object_set(jv_object(), jv_string("api_key_id"), jv_string("key_ev-mock"));
    o = jv_object_set(o, jv_string("organization_id"), jv_string("org_ev-mock"));
    o = jv_object_set(o, jv_string("organization_name"), jv_string("ev-mock"));
    o = jv_object_set(o, jv_string("project_id"), jv_string(PROJECT));
    o = jv_object_set(o, jv_string("project_name"), jv_string("ev-mock"));
    return evm_wire_ok(jv_object_set(o, jv_string("project_slug"), jv_string(SLUG)));
}

static jv
instance_json(size_t i)
{
    jv head = jv_object_set(jv_object(), jv_string("relation"), jv_string("RELATION_GTE"));
    head = jv_object_set(head, jv_string("value"), jv_number(1));
    jv region = jv_object_set(jv_object(), jv_string("name"), jv_string("ev-mock"));
    region = jv_object_set(region, jv_string("headroom"), head);
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(instances[i].id));
    o = jv_object_set(o, jv_string("name"), jv_string(instances[i].name));
    o = jv_object_set(o, jv_string("description"),
                      jv_string_fmt("%s (SIMULATED by ev-mock)", instances[i].name));
    o = jv_object_set(o, jv_string("gpuType"), jv_string(instances[i].gpu));
    o = jv_object_set(o, jv_string("gpuCount"), jv_number(1));
    o = jv_object_set(o, jv_string("gpuMemoryGib"), jv_number(instances[i].memory));
    o = jv_object_set(o, jv_string("priceCentsPerHour"), jv_number(instances[i].cents));
    return jv_object_set(o, jv_string("regions"), jv_array_append(jv_array(), region));
}

static evm_wire_reply
instance_types(const char *id)
{
    if (id != NULL) {
        for (size_t i = 0; i < NINSTANCES; i++)
            if (strcmp(id, instances[i].id) == 0)
                return evm_wire_ok(instance_json(i));
        return not_found("Instance type", id);
    }
    jv data = jv_array();
    for (size_t i = 0; i < NINSTANCES; i++)
        data = jv_array_append(data, instance_json(i));
    jv o = jv_object_set(jv_object(), jv_string("object"), jv_string("list"));
    return evm_wire_ok(jv_object_set(o, jv_string("data"), data));
}

static evm_wire_reply
configs(evm_dmi *d, const evm_wire_http *h)
{
    const char *ref = evm_wire_query(h, "referenceModel");
    char *ml = ref != NULL ? model_id(ref) : NULL;
    evm_together_model m;
    jv data = jv_array();
    if (ml != NULL && evm_together_tuned(d->jobs, ml, h->now, &m))
        data = jv_array_append(data, config_json(ml));
    free(ml);
    return evm_wire_ok(jv_object_set(jv_object(), jv_string("data"), data));
}

/* serve_project answers the paths under /v2/projects/{p}, 'sub' the path
 * below it, with the lock held. */
static evm_wire_reply
serve_project(evm_dmi *d, const evm_wire_http *h, const char *sub)
{
    const char *m = h->method;
    bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
    bool patch = strcmp(m, "PATCH") == 0, del = strcmp(m, "DELETE") == 0;
    char *id[2] = {NULL, NULL};
    evm_wire_reply r = {0, jv_invalid(), false};
    if (get && evm_wire_match(sub, "/configs", id)) {
        r = configs(d, h);
    } else if (post && evm_wire_match(sub, "/endpoints", id)) {
        r = create_endpoint(d, h);
    } else if (get && evm_wire_match(sub, "/endpoints", id)) {
        r = list_endpoints(d, h);
    } else if (evm_wire_match(sub, "/endpoints/*", id) ||
               evm_wire_match(sub, "/endpoints/*/deployments", id) ||
               evm_wire_match(sub, "/endpoints/*/deployments/*", id)) {
        dm_endpoint *e = find_endpoint(d, id[0]);
        dm_deployment *x = e != NULL && id[1] != NULL ? find_deployment(d, e, id[1]) : NULL;
        bool deployments = strstr(sub, "/deployments") != NULL;
        if (e == NULL)
            r = not_found("Endpoint", id[0]);
        else if (id[1] != NULL && x == NULL)
            r = not_found("Deployment", id[1]);
        else if (x != NULL && get)
            r = get_deployment(d, x, h->now);
        else if (x != NULL && patch)
            r = update_deployment(d, x, h);
        else if (x != NULL && del)
            r = delete_deployment(e, x, h->now);
        else if (x == NULL && deployments && post)
            r = create_deployment(d, e, h);
        else if (x == NULL && deployments && get)
            r = list_deployments(d, e, h);
        else if (!deployments && get)
            r = evm_wire_ok(endpoint_json(d, e));
        else if (!deployments && patch)
            r = update_endpoint(d, e, h);
        else if (!deployments && del)
            r = delete_endpoint(d, e);
    }
    free(id[0]);
    free(id[1]);
    return r;
}

evm_wire_reply
evm_dmi_serve(evm_dmi *d, const evm_wire_http *h)
{
    bool get = strcmp(h->method, "GET") == 0, post = strcmp(h->method, "POST") == 0;
    const char *p = h->path;
    char *id[1] = {NULL};
    evm_wire_reply r = {0, jv_invalid(), false};
    static const char projects[] = "/v2/projects/";
    if (get && evm_wire_match(p, "/v1/whoami", id)) {
        r = whoami();
    } else if (post && evm_wire_match(p, "/v1/endpoints", id)) {
        r = error(403,
                  jv_string("Creating dedicated endpoints with the v1 API is no longer possible: "
                            "use Dedicated Model Inference (v2)."),
                  NULL, "endpoints_v1_create_access_disabled");
    } else if (get && evm_wire_match(p, "/v2/public/inference-instance-types", id)) {
        r = instance_types(NULL);
    } else if (get && evm_wire_match(p, "/v2/public/inference-instance-types/*", id)) {
        r = instance_types(id[0]);
    } else if (strncmp(p, projects, sizeof(projects) - 1) == 0) {
        const char *pid = p + sizeof(projects) - 1;
        size_t n = strcspn(pid, "/");
        const char *sub = pid + n;
        if (n != strlen(PROJECT) || strncmp(pid, PROJECT, n) != 0) {
            jv name = jv_string_sized(pid, (int)n);
            r = not_found("Project", jv_string_value(name));
            jv_free(name);
        } else {
            pthread_mutex_lock(&d->mu);
            r = serve_project(d, h, sub);
            pthread_mutex_unlock(&d->mu);
        }
    }
    free(id[0]);
    if (r.status != 0)
        return r;
    return error(404, jv_string_fmt("Unknown request URL: %s %s", h->method, p), NULL,
                 "unknown_url");
}

enum evm_jobs_kind
evm_dmi_resolve(void *store, const char *model, int64_t now, evm_model_as *as)
{
    evm_dmi *d = store;
    const char *learner = d->c.learner;
    if (learner != NULL && strcmp(model, learner) == 0) {
        *as = (evm_model_as){learner, evm_learner_base_accuracy, &d->c.params};
        return EVM_JOBS_BASE;
    }
    pthread_mutex_lock(&d->mu);
    const dm_endpoint *e = NULL;
    for (size_t i = 0; e == NULL && i < d->nendpoints; i++)
        if (!d->endpoints[i]->deleted && strcmp(d->endpoints[i]->full, model) == 0)
            e = d->endpoints[i];
    const dm_deployment *served = NULL;
    double best = 0;
    for (size_t k = 0; e != NULL && k < e->nsplit; k++) {
        const dm_deployment *x = find_deployment(d, e, e->split[k].deployment);
        if (x != NULL && ready(x, now) && e->split[k].weight > best) {
            served = x;
            best = e->split[k].weight;
        }
    }
    evm_together_model m = served != NULL ? served->served : (evm_together_model){0};
    pthread_mutex_unlock(&d->mu);
    if (e == NULL)
        return strncmp(model, SLUG "/", sizeof(SLUG)) == 0 || evm_together_is_output(d->jobs, model)
                   ? EVM_JOBS_UNKNOWN
                   : EVM_JOBS_PLAIN;
    if (served == NULL)
        return EVM_JOBS_UNKNOWN;
    if (learner == NULL || strcmp(m.base, learner) != 0)
        return EVM_JOBS_PLAIN;
    *as = (evm_model_as){learner, evm_learner_tuned_accuracy, m.tuned};
    return EVM_JOBS_TUNED;
}

evm_answer_names
evm_dmi_names(evm_dmi *d)
{
    return (evm_answer_names){evm_dmi_resolve, d, "The model '",
                              "' is not available: deploy it on a dedicated endpoint and ask for "
                              "the endpoint's name.",
                              "model_not_available"};
}

jv
evm_dmi_stats(evm_dmi *d, int64_t now)
{
    static const char *const all[] = {
        "DEPLOYMENT_STATE_PROVISIONING", "DEPLOYMENT_STATE_SCALING",  "DEPLOYMENT_STATE_READY",
        "DEPLOYMENT_STATE_DEGRADED",     "DEPLOYMENT_STATE_STOPPING", "DEPLOYMENT_STATE_STOPPED",
    };
    jv by = jv_object();
    pthread_mutex_lock(&d->mu);
    unsigned long endpoints = 0, deployments = 0;
    for (size_t i = 0; i < d->nendpoints; i++)
        endpoints += !d->endpoints[i]->deleted;
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < d->ndeployments; i++)
            n += !d->deployments[i]->deleted && strcmp(state(d->deployments[i], now), all[k]) == 0;
        by = jv_object_set(by, jv_string(all[k]), jv_number((double)n));
    }
    for (size_t i = 0; i < d->ndeployments; i++)
        deployments += !d->deployments[i]->deleted;
    pthread_mutex_unlock(&d->mu);
    jv o = jv_object_set(jv_object(), jv_string("endpoints"), jv_number((double)endpoints));
    o = jv_object_set(o, jv_string("deployments"), jv_number((double)deployments));
    return jv_object_set(o, jv_string("by_state"), by);
}
