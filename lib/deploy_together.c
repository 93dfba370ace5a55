#include "deploy_together.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "url.h"

#define INFERENCE "https://api-inference.together.ai/v1"

/* A project and a client of the v2 API, for one call. */
typedef struct dmi {
    ev_rest *v2;
    jv project; /* its id */
    jv slug;
} dmi;

/* open_dmi asks whoami for the key's project and opens the v2 API; an
 * invalid with a message when it cannot. */
static jv
open_dmi(ev_rest *c, dmi *d)
{
    d->v2 = NULL;
    d->project = jv_null();
    d->slug = jv_null();
    jv who = ev_rest_get(c, "/whoami", "cannot ask Together for the key's project", NULL);
    if (!jv_is_valid(who))
        return who;
    d->project = ev_json_field_kind(who, "project_id", JV_KIND_STRING);
    d->slug = ev_json_field_kind(who, "project_slug", JV_KIND_STRING);
    jv_free(who);
    if (jv_get_kind(d->project) != JV_KIND_STRING)
        return jv_invalid_with_msg(jv_string("Together's whoami names no project_id"));
    const char *base = ev_rest_base(c);
    size_t n = strlen(base);
    if (n < 3 || strcmp(base + n - 3, "/v1") != 0)
        return jv_invalid_with_msg(jv_string_fmt(
            "cannot tell Together's v2 API from the base URL '%s', which does not end in /v1",
            base));
    jv v2 = jv_string_fmt("%.*s/v2", (int)(n - 3), base);
    jv err;
    d->v2 = ev_rest_sibling(c, jv_string_value(v2), &err);
    jv_free(v2);
    return d->v2 != NULL ? jv_true() : err;
}

static void
close_dmi(dmi *d)
{
    if (d->v2 != NULL)
        ev_rest_free(d->v2);
    jv_free(d->project);
    jv_free(d->slug);
}

/* path returns /projects/P'tail'. */
static jv
path(const dmi *d, const char *tail)
{
    jv p = ev_url_escape(jv_string_value(d->project), false);
    jv out = jv_string_fmt("/projects/%s%s", jv_string_value(p), tail);
    jv_free(p);
    return out;
}

/* send sends 'method' to /projects/P'tail' with 'body' (consumed; invalid
 * for none). */
static jv
send(dmi *d, const char *method, jv tail, jv body, const char *what)
{
    jv p = path(d, jv_string_value(tail));
    jv out = ev_rest_send(d->v2, method, jv_string_value(p), body, what, NULL);
    jv_free(p);
    jv_free(tail);
    return out;
}

/* first returns the first item of the list 'list' ({data}, consumed), or
 * null. */
static jv
first(jv list)
{
    jv data = ev_json_field_kind(list, "data", JV_KIND_ARRAY);
    jv out = jv_get_kind(data) == JV_KIND_ARRAY && jv_array_length(jv_copy(data)) > 0
                 ? jv_array_get(jv_copy(data), 0)
                 : jv_null();
    jv_free(data);
    jv_free(list);
    return out;
}

/* config returns the resource name of the one config that serves model
 * 'ml', or an invalid that says why there is none to use. */
static jv
config(dmi *d, const char *ml)
{
    jv ref = jv_string_fmt("projects/%s/models/%s", jv_string_value(d->project), ml);
    jv esc = ev_url_escape(jv_string_value(ref), false);
    jv list = send(d, "GET", jv_string_fmt("/configs?referenceModel=%s", jv_string_value(esc)),
                   jv_invalid(), "cannot list the configs that serve the model");
    jv_free(esc);
    jv_free(ref);
    if (!jv_is_valid(list))
        return list;
    jv data = ev_json_field_kind(list, "data", JV_KIND_ARRAY);
    jv_free(list);
    int n = jv_get_kind(data) == JV_KIND_ARRAY ? jv_array_length(jv_copy(data)) : 0;
    jv out;
    if (n == 0) {
        out = jv_invalid_with_msg(jv_string_fmt(
            "Together has no config that serves '%s': this base model cannot be deployed", ml));
    } else if (n > 1) {
        jv ids = jv_string("");
        jv_array_foreach(data, i, cfg)
        {
            jv id = ev_json_field(cfg, "id");
            ids = jv_string_append_str(ids, i ? ", " : "");
            ids = jv_string_append_str(ids, ev_json_str(id, "?"));
            jv_free(id);
            jv_free(cfg);
        }
        out = jv_invalid_with_msg(jv_string_fmt(
            "Together has %d configs that serve '%s' (%s): ev-tune does not pick one for you; "
            "deploy it with Together's own tools",
            n, ml, jv_string_value(ids)));
        jv_free(ids);
    } else {
        jv cfg = jv_array_get(jv_copy(data), 0);
        jv id = ev_json_field(cfg, "id"), proj = ev_json_field(cfg, "projectId");
        out = jv_string_fmt("projects/%s/configs/%s",
                            ev_json_str(proj, jv_string_value(d->project)), ev_json_str(id, ""));
        jv_free(id);
        jv_free(proj);
        jv_free(cfg);
    }
    jv_free(data);
    return out;
}

/* state returns ev's word for a deployment's state: "ready", "failed",
 * "stopped", else the rest of DEPLOYMENT_STATE_X in lowercase. */
static jv
state(jv dep /* borrowed */)
{
    jv st = ev_json_path(dep, "status.state");
    const char *s = ev_json_str(st, "DEPLOYMENT_STATE_UNSPECIFIED");
    if (strncmp(s, "DEPLOYMENT_STATE_", 17) == 0)
        s += 17;
    jv out = jv_string("");
    for (const char *p = s; *p != '\0'; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        out = jv_string_append_buf(out, &ch, 1);
    }
    jv_free(st);
    return out;
}

/* deployment returns the deployment 'dep' of endpoint 'ep' as deploy.h
 * says. */
static jv
deployment(ev_rest *c, jv ep /* borrowed */, jv dep /* borrowed */)
{
    jv out = ev_json_set(jv_object(), "id", ev_json_field(ep, "id"));
    out = ev_json_set(out, "model", ev_json_field(ep, "name"));
    const char *base = ev_rest_base(c);
    bool real = strstr(base, "://api.together.ai/") != NULL || strstr(base, "://api.together.xyz/");
    out = ev_json_set(out, "base_url", jv_string(real ? INFERENCE : base));
    out = ev_json_set(out, "state", state(dep));
    jv msg = ev_json_path(dep, "status.message");
    if (jv_get_kind(msg) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(msg)) > 0)
        out = ev_json_set(out, "message", msg);
    else
        jv_free(msg);
    out = ev_json_set(out, "hardware", ev_json_field(dep, "hardware"));
    out = ev_json_set(out, "deployment", ev_json_field(dep, "id"));
    return out;
}

/* find_or_make returns the first of the list at 'list' (consumed), or
 * makes one by POSTing 'body' to 'make' (both consumed); when the answer
 * to that is lost, or it is refused, it lists again, since a lost answer
 * may have made it all the same. 'what' names it in messages. */
static jv
find_or_make(dmi *d, jv list, jv make, jv body, const char *what)
{
    jv msg = jv_string_fmt("cannot list %s", what);
    jv found = send(d, "GET", jv_copy(list), jv_invalid(), jv_string_value(msg));
    found = jv_is_valid(found) ? first(found) : found;
    if (jv_get_kind(found) == JV_KIND_NULL) {
        jv_free(found);
        jv m = jv_string_fmt("cannot create %s", what);
        jv made = send(d, "POST", make, body, jv_string_value(m));
        jv_free(m);
        found = made;
        if (!jv_is_valid(made)) {
            jv again = send(d, "GET", jv_copy(list), jv_invalid(), jv_string_value(msg));
            again = jv_is_valid(again) ? first(again) : again;
            if (jv_get_kind(again) == JV_KIND_OBJECT) {
                jv_free(made);
                found = again;
            } else {
                jv_free(again);
            }
        }
    } else {
        jv_free(make);
        jv_free(body);
    }
    jv_free(msg);
    jv_free(list);
    return found;
}

/* serve finds or makes the endpoint, its deployment and its traffic. */
static jv
serve(ev_rest *c, dmi *d, const char *ml)
{
    jv name = ev_deploy_name(ml);
    jv cfg = config(d, ml);
    if (!jv_is_valid(cfg)) {
        jv_free(name);
        return cfg;
    }
    jv ep = find_or_make(d, jv_string_fmt("/endpoints?filter=name:%s", jv_string_value(name)),
                         jv_string("/endpoints"), ev_json_set(jv_object(), "name", jv_copy(name)),
                         "the endpoint");
    jv_free(name);
    if (!jv_is_valid(ep)) {
        jv_free(cfg);
        return ep;
    }
    jv eid = ev_json_field(ep, "id");
    jv body = ev_json_set(jv_object(), "name", jv_string("main"));
    body = ev_json_set(body, "model",
                       jv_string_fmt("projects/%s/models/%s", jv_string_value(d->project), ml));
    body = ev_json_set(body, "config", jv_copy(cfg));
    jv scale = ev_json_set(jv_object(), "minReplicas", jv_number(1));
    body = ev_json_set(body, "autoscaling", ev_json_set(scale, "maxReplicas", jv_number(1)));
    jv dep = find_or_make(d, jv_string_fmt("/endpoints/%s/deployments", ev_json_str(eid, "")),
                          jv_string_fmt("/endpoints/%s/deployments", ev_json_str(eid, "")), body,
                          "the deployment");
    jv_free(cfg);
    jv out = dep;
    if (jv_is_valid(dep)) {
        jv split = ev_json_set(jv_object(), "deploymentId", ev_json_field(dep, "id"));
        split = ev_json_set(split, "weight", jv_number(1));
        jv traffic = ev_json_set(jv_object(), "trafficSplit", jv_array_append(jv_array(), split));
        jv done = send(d, "PATCH", jv_string_fmt("/endpoints/%s", ev_json_str(eid, "")), traffic,
                       "cannot send the endpoint's traffic to its deployment");
        if (jv_is_valid(done)) {
            jv_free(done);
            out = deployment(c, ep, dep);
            out = ev_json_set(out, "project", jv_copy(d->project));
            jv_free(dep);
        } else {
            jv_free(dep);
            out = done;
        }
    }
    jv_free(eid);
    jv_free(ep);
    return out;
}

static jv
start(ev_rest *c, const ev_deploy_opts *o, jv job)
{
    (void)o;
    jv ml = ev_json_field_kind(job, "model_object_id", JV_KIND_STRING);
    if (jv_get_kind(ml) != JV_KIND_STRING) {
        jv_free(ml);
        return jv_invalid_with_msg(
            jv_string("the job names no model_object_id, the model a Together endpoint serves"));
    }
    dmi d;
    jv ok = open_dmi(c, &d);
    jv out = jv_is_valid(ok) ? serve(c, &d, jv_string_value(ml)) : ok;
    if (jv_is_valid(ok))
        jv_free(ok);
    close_dmi(&d);
    jv_free(ml);
    return out;
}

static jv
get(ev_rest *c, const ev_deploy_opts *o, jv dep)
{
    (void)o;
    dmi d;
    jv ok = open_dmi(c, &d);
    if (!jv_is_valid(ok)) {
        close_dmi(&d);
        return ok;
    }
    jv_free(ok);
    jv eid = ev_json_field(dep, "id"), did = ev_json_field(dep, "deployment");
    jv now = send(
        &d, "GET",
        jv_string_fmt("/endpoints/%s/deployments/%s", ev_json_str(eid, ""), ev_json_str(did, "")),
        jv_invalid(), "cannot get the deployment");
    jv out = now;
    if (jv_is_valid(now)) {
        out =
            ev_json_set(jv_object_delete(jv_copy(dep), jv_string("message")), "state", state(now));
        jv msg = ev_json_path(now, "status.message");
        if (jv_get_kind(msg) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(msg)) > 0)
            out = ev_json_set(out, "message", msg);
        else
            jv_free(msg);
        jv_free(now);
    }
    jv_free(eid);
    jv_free(did);
    close_dmi(&d);
    return out;
}

static jv
price(ev_rest *c, const ev_deploy_opts *o, jv dep)
{
    (void)o;
    jv hw = ev_json_field_kind(dep, "hardware", JV_KIND_STRING);
    dmi d;
    jv ok = jv_get_kind(hw) == JV_KIND_STRING ? open_dmi(c, &d) : jv_invalid();
    if (jv_is_valid(ok)) {
        jv_free(ok);
        jv esc = ev_url_escape(jv_string_value(hw), false);
        jv p = jv_string_fmt("/public/inference-instance-types/%s", jv_string_value(esc));
        jv t = ev_rest_get(d.v2, jv_string_value(p), "cannot get the hardware's price", NULL);
        jv cents = jv_is_valid(t) ? ev_json_field_kind(t, "priceCentsPerHour", JV_KIND_NUMBER)
                                  : jv_invalid();
        if (jv_get_kind(cents) == JV_KIND_NUMBER) {
            dep = ev_json_set(dep, "price_per_hour", jv_number(jv_number_value(cents) / 100));
            dep = ev_json_set(dep, "currency", jv_string("USD"));
            dep = ev_json_set(
                dep, "price_source",
                jv_string_fmt("Together's priceCentsPerHour of %s", jv_string_value(hw)));
        }
        jv_free(cents);
        jv_free(t);
        jv_free(p);
        jv_free(esc);
        close_dmi(&d);
    } else {
        jv_free(ok);
        if (jv_get_kind(hw) == JV_KIND_STRING)
            close_dmi(&d);
    }
    jv_free(hw);
    if (!jv_object_has(jv_copy(dep), jv_string("price_per_hour")))
        dep = ev_json_set(dep, "price_per_hour", jv_null());
    return dep;
}

/* stop_one scales deployment 'did' of endpoint 'eid' to zero, waits until
 * it is stopped (at most --timeout), takes it out of the traffic and
 * deletes it. */
static jv
stop_one(dmi *d, const ev_deploy_opts *o, const char *eid, const char *did)
{
    jv scale = ev_json_set(jv_object(), "minReplicas", jv_number(0));
    scale = ev_json_set(scale, "maxReplicas", jv_number(0));
    jv r = send(d, "PATCH", jv_string_fmt("/endpoints/%s/deployments/%s", eid, did),
                ev_json_set(jv_object(), "autoscaling", scale), "cannot stop the deployment");
    double start = ev_clock_mono();
    for (;;) {
        if (!jv_is_valid(r))
            return r;
        jv st = state(r);
        bool done = strcmp(jv_string_value(st), "stopped") == 0;
        jv_free(st);
        jv_free(r);
        if (done)
            break;
        if (ev_deploy_stopped(o))
            return jv_invalid_with_msg(jv_string("interrupted while the deployment stops"));
        if (o->timeout_s > 0 && ev_clock_mono() - start >= o->timeout_s)
            return jv_invalid_with_msg(jv_string_fmt(
                "gave up after %g s: deployment '%s' is still stopping (it bills no more once "
                "stopped); run --undeploy again to remove it",
                o->timeout_s, did));
        ev_clock_nap(o->poll_ms, o->stop);
        r = send(d, "GET", jv_string_fmt("/endpoints/%s/deployments/%s", eid, did), jv_invalid(),
                 "cannot get the deployment");
    }
    jv split = ev_json_set(jv_object(), "deploymentId", jv_string(did));
    split = ev_json_set(split, "weight", jv_number(0));
    r = send(d, "PATCH", jv_string_fmt("/endpoints/%s", eid),
             ev_json_set(jv_object(), "trafficSplit", jv_array_append(jv_array(), split)),
             "cannot take the deployment out of the traffic");
    if (!jv_is_valid(r))
        return r;
    jv_free(r);
    return send(d, "DELETE", jv_string_fmt("/endpoints/%s/deployments/%s", eid, did), jv_invalid(),
                "cannot delete the deployment");
}

static jv
stop(ev_rest *c, const ev_deploy_opts *o, const char *id)
{
    dmi d;
    jv ok = open_dmi(c, &d);
    if (!jv_is_valid(ok)) {
        close_dmi(&d);
        return ok;
    }
    jv_free(ok);
    jv eid = ev_url_escape(id, false);
    const char *e = jv_string_value(eid);
    jv deps = send(&d, "GET", jv_string_fmt("/endpoints/%s/deployments", e), jv_invalid(),
                   "cannot list the endpoint's deployments");
    jv out = deps;
    if (jv_is_valid(deps)) {
        jv data = ev_json_field_kind(deps, "data", JV_KIND_ARRAY);
        jv_free(deps);
        out = jv_true();
        if (jv_get_kind(data) == JV_KIND_ARRAY) {
            jv_array_foreach(data, i, dep)
            {
                jv did = ev_json_field(dep, "id");
                if (jv_is_valid(out)) {
                    jv r = stop_one(&d, o, e, ev_json_str(did, ""));
                    jv_free(out);
                    out = r;
                }
                jv_free(did);
                jv_free(dep);
                (void)i;
            }
        }
        jv_free(data);
        if (jv_is_valid(out)) {
            jv_free(out);
            out = send(&d, "DELETE", jv_string_fmt("/endpoints/%s", e), jv_invalid(),
                       "cannot delete the endpoint");
        }
        if (jv_is_valid(out)) {
            jv_free(out);
            out = ev_json_set(jv_object(), "id", jv_string(id));
            out = ev_json_set(out, "state", jv_string("stopped"));
        }
    }
    jv_free(eid);
    close_dmi(&d);
    return out;
}

const ev_deploy_api ev_deploy_together = {
    .name = "together",
    .start = start,
    .get = get,
    .price = price,
    .stop = stop,
};
