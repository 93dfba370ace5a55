#include "deploy.h"

#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "ev.h"
#include "hash.h"
#include "json.h"
#include "jsonl.h"

/* How long one request may take, at most. */
#define REQUEST_MS 60000L

jv
ev_deploy_name(const char *model)
{
    return jv_string_fmt("ev-%016llx",
                         (unsigned long long)ev_hash_64(model, strlen(model), 0x6465706c6f79ULL));
}

bool
ev_deploy_stopped(const ev_deploy_opts *o)
{
    return o->stop != NULL && *o->stop;
}

/* bills says that 'dep' bills until stopped, and how to stop it. */
static void
bills(const ev_deploy_opts *o, jv dep /* borrowed */, const char *when)
{
    jv id = ev_json_field(dep, "id"), price = ev_json_field(dep, "price_per_hour");
    jv cur = ev_json_field(dep, "currency"), src = ev_json_field(dep, "price_source");
    jv rate =
        jv_get_kind(price) == JV_KIND_NUMBER
            ? jv_string_fmt("%.2f %s an hour", jv_number_value(price), ev_json_str(cur, "USD"))
            : jv_string_fmt("by the hour, at a price ev does not know (%s),",
                            ev_json_str(src, "the provider says none"));
    ev_log_warn(o->log,
                "%sendpoint '%s' bills %s until it is stopped, whether it is asked or not: "
                "'ev-tune --provider %s --undeploy %s' stops it",
                when, ev_json_str(id, "?"), jv_string_value(rate), o->api->name,
                ev_json_str(id, "?"));
    jv_free(rate);
    jv_free(src);
    jv_free(id);
    jv_free(price);
    jv_free(cur);
}

/* state_of returns the state of 'dep', borrowed from it. */
static const char *
state_of(jv dep /* borrowed */)
{
    jv st = ev_json_field(dep, "state");
    const char *s = ev_json_str(st, "unknown");
    jv_free(st); /* 'dep' holds its own reference */
    return s;
}

/* carry returns 'now', the deployment as the provider says it now, with
 * the price 'was' (consumed) had. */
static jv
carry(jv was, jv now)
{
    static const char *const keys[] = {"price_per_hour", "currency", "price_source"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        jv v = jv_object_get(jv_copy(was), jv_string(keys[i]));
        if (jv_is_valid(v))
            now = jv_object_set(now, jv_string(keys[i]), v);
        else
            jv_free(v);
    }
    jv_free(was);
    return now;
}

int
ev_deploy_start(ev_rest *c, const ev_deploy_opts *o, jv job, jv *dep)
{
    *dep = jv_null();
    ev_rest_set_timeout(c, REQUEST_MS);
    jv d = o->api->start(c, o, job);
    if (!jv_is_valid(d)) {
        ev_log_warn_jv(o->log, d);
        ev_log_warn(o->log, "an endpoint may have been started all the same: run the same "
                            "command again, and ev-tune finds it rather than starting another");
        return ev_deploy_stopped(o) ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
    }
    jv model = ev_json_field(d, "model");
    ev_log_progress(o->log, "starting a dedicated endpoint for '%s': %s", ev_json_str(model, "?"),
                    state_of(d));
    jv_free(model);
    d = o->api->price(c, o, d);
    bills(o, d, "");
    double start = ev_clock_mono();
    int status = -1;
    char *last = ev_alloc_strdup(state_of(d));
    while (strcmp(last, "ready") != 0 && strcmp(last, "failed") != 0) {
        if (ev_deploy_stopped(o)) {
            status = EV_EXIT_INTR;
            break;
        }
        if (o->timeout_s > 0 && ev_clock_mono() - start >= o->timeout_s) {
            ev_log_warn(o->log, "gave up waiting after %g s: the endpoint is %s", o->timeout_s,
                        last);
            status = EV_EXIT_TROUBLE;
            break;
        }
        ev_clock_nap(o->poll_ms, o->stop);
        if (ev_deploy_stopped(o))
            continue;
        jv now = o->api->get(c, o, d);
        if (!jv_is_valid(now)) {
            ev_log_warn_jv(o->log, now);
            status = ev_deploy_stopped(o) ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
            break;
        }
        d = carry(d, now);
        if (strcmp(state_of(d), last) != 0) {
            free(last);
            last = ev_alloc_strdup(state_of(d));
            ev_log_progress(o->log, "endpoint: %s (%.1f s)", last, ev_clock_mono() - start);
        }
    }
    if (status < 0 && strcmp(last, "failed") == 0) {
        jv msg = ev_json_field(d, "message");
        ev_log_warn(o->log, "the endpoint failed to start: %s",
                    ev_json_str(msg, "no reason given"));
        jv_free(msg);
        status = EV_EXIT_NO;
    } else if (status < 0) {
        jv m = ev_json_field(d, "model"), u = ev_json_field(d, "base_url");
        ev_log_progress(o->log, "ready: ask it with ev-call -m '%s' --base-url '%s'",
                        ev_json_str(m, "?"), ev_json_str(u, "?"));
        jv_free(m);
        jv_free(u);
        status = EV_EXIT_OK;
    }
    free(last);
    *dep = d;
    return status;
}

void
ev_deploy_remind(const ev_deploy_opts *o, jv dep)
{
    if (jv_get_kind(dep) == JV_KIND_OBJECT && strcmp(state_of(dep), "stopped") != 0)
        bills(o, dep, "the run ends, but ");
}

int
ev_deploy_stop(ev_rest *c, const ev_deploy_opts *o, const char *id, FILE *out)
{
    ev_rest_set_timeout(c, REQUEST_MS);
    jv d = o->api->stop(c, o, id);
    if (!jv_is_valid(d)) {
        ev_log_warn_jv(o->log, d);
        ev_log_warn(o->log, "endpoint '%s' may still be running, and billing", id);
        return ev_deploy_stopped(o) ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
    }
    ev_log_progress(o->log, "endpoint '%s' is %s: it no longer bills", id, state_of(d));
    ev_jsonl_write(out, ev_json_set(d, "provider", jv_string(o->api->name)));
    return EV_EXIT_OK;
}
