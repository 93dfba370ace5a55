#include "deploy_fireworks.h"

#include <stdbool.h>
#include <string.h>

#include "finetune_fireworks.h"
#include "json.h"
#include "url.h"

/* deployment returns Fireworks' deployment 'd' as deploy.h says, serving
 * 'model'. */
static jv
deployment(ev_rest *c, jv d /* borrowed */, jv model)
{
    jv st = ev_json_field(d, "state");
    const char *s = ev_json_str(st, "STATE_UNSPECIFIED");
    const char *word = strcmp(s, "READY") == 0                                   ? "ready"
                       : strcmp(s, "FAILED") == 0                                ? "failed"
                       : strcmp(s, "DELETED") == 0 || strcmp(s, "DELETING") == 0 ? "stopped"
                                                                                 : NULL;
    jv out = ev_json_set(jv_object(), "id", ev_json_field(d, "name"));
    out = ev_json_set(out, "model", model);
    out = ev_json_set(out, "base_url", jv_string_fmt("%s/inference/v1", ev_rest_base(c)));
    jv lower = jv_string("");
    for (const char *p = s; word == NULL && *p != '\0'; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        lower = jv_string_append_buf(lower, &ch, 1);
    }
    out = ev_json_set(out, "state", word != NULL ? (jv_free(lower), jv_string(word)) : lower);
    jv msg = ev_json_path(d, "status.message");
    if (jv_get_kind(msg) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(msg)) > 0)
        out = ev_json_set(out, "message", msg);
    else
        jv_free(msg);
    out = ev_json_set(out, "hardware", ev_json_field(d, "acceleratorType"));
    jv_free(st);
    return out;
}

static jv
start(ev_rest *c, const ev_deploy_opts *o, jv job)
{
    (void)o;
    jv model = ev_json_field_kind(job, "fine_tuned_model", JV_KIND_STRING);
    const char *m = jv_get_kind(model) == JV_KIND_STRING ? jv_string_value(model) : "";
    const char *cut = strstr(m, "/models/");
    if (strncmp(m, "accounts/", 9) != 0 || cut == NULL) {
        jv_free(model);
        return jv_invalid_with_msg(
            jv_string("the job names no tuned model of the form accounts/A/models/M"));
    }
    jv account = jv_string_sized(m + 9, (int)(cut - (m + 9)));
    jv id = ev_deploy_name(m);
    jv name =
        jv_string_fmt("accounts/%s/deployments/%s", jv_string_value(account), jv_string_value(id));
    ev_rest_result res;
    jv d = ev_finetune_fireworks_send(c, "GET", jv_string_value(name), jv_invalid(),
                                      "cannot get the deployment", &res);
    bool gone = false;
    if (jv_is_valid(d)) {
        jv st = ev_json_field(d, "state");
        gone = strcmp(ev_json_str(st, ""), "DELETED") == 0 ||
               strcmp(ev_json_str(st, ""), "DELETING") == 0;
        jv_free(st);
    }
    if (!jv_is_valid(d) || gone) {
        bool absent = gone || (res.fail == EV_REST_HTTP && res.status == 404);
        if (!absent) {
            jv_free(name);
            jv_free(id);
            jv_free(account);
            jv_free(model);
            return d;
        }
        jv_free(d);
        jv body = ev_json_set(jv_object(), "baseModel", jv_copy(model));
        body = ev_json_set(body, "displayName", jv_string_fmt("ev-tune %s", cut + 8));
        body = ev_json_set(body, "minReplicaCount", jv_number(1));
        body = ev_json_set(body, "maxReplicaCount", jv_number(1));
        jv esc = ev_url_escape(jv_string_value(account), false);
        jv q = jv_string_fmt("/v1/accounts/%s/deployments?deploymentId=%s", jv_string_value(esc),
                             jv_string_value(id));
        d = ev_rest_post(c, jv_string_value(q), body, "cannot create the deployment", NULL);
        jv_free(q);
        jv_free(esc);
        if (!jv_is_valid(d)) {
            /* a lost answer may have made it all the same: ask for it by its id */
            jv again = ev_finetune_fireworks_send(c, "GET", jv_string_value(name), jv_invalid(),
                                                  "cannot get the deployment", NULL);
            if (jv_is_valid(again)) {
                jv_free(d);
                d = again;
            } else {
                jv_free(again);
            }
        }
    }
    jv out = jv_is_valid(d) ? deployment(c, d, jv_copy(model)) : d;
    if (jv_is_valid(d))
        jv_free(d);
    jv_free(name);
    jv_free(id);
    jv_free(account);
    jv_free(model);
    return out;
}

static jv
get(ev_rest *c, const ev_deploy_opts *o, jv dep)
{
    (void)o;
    jv id = ev_json_field(dep, "id");
    jv d = ev_finetune_fireworks_send(c, "GET", ev_json_str(id, ""), jv_invalid(),
                                      "cannot get the deployment", NULL);
    jv out = d;
    if (jv_is_valid(d)) {
        /* what the deployment was known by (its price) stays */
        out = jv_object_merge(jv_copy(dep), deployment(c, d, ev_json_field(dep, "model")));
        jv_free(d);
    }
    jv_free(id);
    return out;
}

static jv
price(ev_rest *c, const ev_deploy_opts *o, jv dep)
{
    (void)c;
    /* NVIDIA_H100_80GB is the row fireworks-1x-h100-80gb */
    jv hw = ev_json_field_kind(dep, "hardware", JV_KIND_STRING);
    const char *h = jv_get_kind(hw) == JV_KIND_STRING ? jv_string_value(hw) : "";
    const char *cut = strchr(h, '_');
    jv name = jv_string("fireworks-1x-");
    for (const char *p = cut != NULL ? cut + 1 : h; *p != '\0'; p++) {
        char ch = *p == '_' ? '-' : *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        name = jv_string_append_buf(name, &ch, 1);
    }
    const ev_price_endpoint *row = o->prices != NULL && *h != '\0'
                                       ? ev_price_table_endpoint(o->prices, jv_string_value(name))
                                       : NULL;
    if (row != NULL) {
        dep = ev_json_set(dep, "price_per_hour", jv_number(row->per_hour));
        dep = ev_json_set(dep, "currency", jv_string(ev_price_table_currency(o->prices)));
        dep = ev_json_set(dep, "price_source",
                          jv_string_fmt("the price table's row %s (%s, %s)", row->name,
                                        row->source ? row->source : "no source",
                                        row->as_of ? row->as_of : "undated"));
    } else {
        dep = ev_json_set(dep, "price_per_hour", jv_null());
        dep = ev_json_set(dep, "price_source",
                          jv_string_fmt("unknown: Fireworks says no price of a deployment, and "
                                        "the price table has no row %s; see "
                                        "https://fireworks.ai/pricing",
                                        jv_string_value(name)));
    }
    jv_free(name);
    jv_free(hw);
    return dep;
}

static jv
stop(ev_rest *c, const ev_deploy_opts *o, const char *id)
{
    (void)o;
    jv d = ev_finetune_fireworks_send(c, "DELETE", id, jv_invalid(), "cannot delete the deployment",
                                      NULL);
    if (!jv_is_valid(d))
        return d;
    jv_free(d);
    return ev_json_set(ev_json_set(jv_object(), "id", jv_string(id)), "state",
                       jv_string("stopped"));
}

const ev_deploy_api ev_deploy_fireworks = {
    .name = "fireworks",
    .start = start,
    .get = get,
    .price = price,
    .stop = stop,
};
