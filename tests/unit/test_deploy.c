/* Unit tests of lib/deploy: the start of a deployment followed to ready,
 * failed, out of time or interrupted, what is said of its billing, and its
 * stop, through a provider made up here whose deployment moves one state a
 * look; and ev_url_escape, which the providers' paths are made with. */
#include <signal.h>
#include <stdlib.h>

#include "deploy.h"
#include "ev.h"
#include "unit.h"
#include "url.h"

static struct {
    const char *states[8]; /* the deployment's state at start, then at each look */
    int at;
    int starts, stops;
    bool priced;
} fake;

static jv
now(void)
{
    jv d = jv_parse("{\"id\":\"ep_1\",\"model\":\"me/tuned\",\"base_url\":\"http://x/v1\"}");
    d = jv_object_set(d, jv_string("state"), jv_string(fake.states[fake.at]));
    if (strcmp(fake.states[fake.at], "failed") == 0)
        d = jv_object_set(d, jv_string("message"), jv_string("no GPU"));
    return d;
}

static jv
fake_start(ev_rest *c, const ev_deploy_opts *o, jv job)
{
    (void)c;
    (void)o;
    (void)job;
    fake.starts++;
    return now();
}

static jv
fake_get(ev_rest *c, const ev_deploy_opts *o, jv dep)
{
    (void)c;
    (void)o;
    (void)dep;
    if (fake.states[fake.at + 1] != NULL)
        fake.at++;
    return now();
}

static jv
fake_price(ev_rest *c, const ev_deploy_opts *o, jv dep)
{
    (void)c;
    (void)o;
    if (!fake.priced)
        return jv_object_set(dep, jv_string("price_per_hour"), jv_null());
    dep = jv_object_set(dep, jv_string("price_per_hour"), jv_number(3.99));
    return jv_object_set(dep, jv_string("currency"), jv_string("USD"));
}

static jv
fake_stop(ev_rest *c, const ev_deploy_opts *o, const char *id)
{
    (void)c;
    (void)o;
    fake.stops++;
    if (strcmp(id, "ep_gone") == 0)
        return jv_invalid_with_msg(jv_string("cannot delete the endpoint: HTTP 404: not found"));
    jv d = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
    return jv_object_set(d, jv_string("state"), jv_string("stopped"));
}

static const ev_deploy_api fake_api = {"fake", fake_start, fake_get, fake_price, fake_stop};

static const ev_log log_ = {unit_hear_warning, unit_hear_progress, NULL, NULL};

/* run starts a deployment through states 'a', 'b', 'z' (NULL-ended). */
static int
run(const ev_deploy_opts *o, const char *a, const char *b, const char *z, jv *dep)
{
    fake.states[0] = a;
    fake.states[1] = b;
    fake.states[2] = z;
    fake.states[3] = NULL;
    fake.at = 0;
    unit_said[0] = '\0';
    jv job = jv_object(), err;
    ev_rest *c = ev_rest_new("http://127.0.0.1:1", NULL, NULL, &err);
    int status = ev_deploy_start(c, o, job, dep);
    ev_rest_free(c);
    jv_free(job);
    return status;
}

static void
test_start(void)
{
    ev_deploy_opts o = {&fake_api, 1, 0, NULL, &log_, NULL};
    jv dep;
    fake.priced = true;
    int status = run(&o, "provisioning", "scaling", "ready", &dep);
    CHECK(status == EV_EXIT_OK, "a deployment that becomes ready is OK");
    CHECK_JV(jv_object_get(jv_copy(dep), jv_string("state")), "\"ready\"", "and ends ready");
    CHECK(strstr(unit_said, "- starting a dedicated endpoint for 'me/tuned': provisioning\n") !=
              NULL,
          "its start is said, with its state");
    CHECK(strstr(unit_said, "! endpoint 'ep_1' bills 3.99 USD an hour until it is stopped, whether "
                            "it is asked or not: 'ev-tune --provider fake --undeploy ep_1' stops "
                            "it\n") != NULL,
          "that it bills, at its price, and how to stop it");
    CHECK(unit_occurrences(unit_said, "- endpoint: scaling (") == 1 &&
              unit_occurrences(unit_said, "- endpoint: ready (") == 1,
          "each change of state is said once");
    CHECK(strstr(unit_said,
                 "- ready: ask it with ev-call -m 'me/tuned' --base-url 'http://x/v1'\n") != NULL,
          "and what to ask ev-call");
    unit_said[0] = '\0';
    ev_deploy_remind(&o, dep);
    CHECK(strstr(unit_said, "! the run ends, but endpoint 'ep_1' bills 3.99 USD an hour") != NULL,
          "the end of the run says it again");
    jv_free(dep);
    unit_said[0] = '\0';
    ev_deploy_remind(&o, jv_null());
    CHECK(unit_said[0] == '\0', "and says nothing of no deployment");

    fake.priced = false;
    status = run(&o, "provisioning", "failed", NULL, &dep);
    CHECK(status == EV_EXIT_NO, "a deployment that fails is a no");
    CHECK(strstr(unit_said, "! the endpoint failed to start: no GPU\n") != NULL, "with its reason");
    CHECK(strstr(unit_said,
                 "bills by the hour, at a price ev does not know (the provider says none)") != NULL,
          "an unknown price is said to be unknown");
    jv_free(dep);

    /* one that never becomes ready, followed for no time at all */
    o.timeout_s = 1e-9;
    status = run(&o, "provisioning", NULL, NULL, &dep);
    CHECK(status == EV_EXIT_TROUBLE, "running out of time is trouble");
    CHECK(strstr(unit_said, "! gave up waiting after 1e-09 s: the endpoint is provisioning\n") !=
              NULL,
          "which is said with its state");
    jv_free(dep);

    volatile sig_atomic_t stop = 1;
    o = (ev_deploy_opts){&fake_api, 1, 0, &stop, &log_, NULL};
    status = run(&o, "provisioning", "ready", NULL, &dep);
    CHECK(status == EV_EXIT_INTR, "an interrupt stops the wait");
    CHECK(fake.at == 0, "without another look");
    CHECK(jv_get_kind(dep) == JV_KIND_OBJECT,
          "the deployment is still given, to be said and stopped");
    jv_free(dep);
}

static void
test_stop(void)
{
    ev_deploy_opts o = {&fake_api, 1, 0, NULL, &log_, NULL};
    jv err;
    ev_rest *c = ev_rest_new("http://127.0.0.1:1", NULL, NULL, &err);
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    unit_said[0] = '\0';
    int status = ev_deploy_stop(c, &o, "ep_1", f);
    fclose(f);
    CHECK(status == EV_EXIT_OK, "a stop that works is OK");
    CHECK_STR(out, "{\"id\":\"ep_1\",\"state\":\"stopped\",\"provider\":\"fake\"}\n",
              "and writes its line");
    CHECK(strstr(unit_said, "- endpoint 'ep_1' is stopped: it no longer bills\n") != NULL,
          "and says it no longer bills");
    free(out);
    f = open_memstream(&out, &len);
    unit_said[0] = '\0';
    status = ev_deploy_stop(c, &o, "ep_gone", f);
    fclose(f);
    CHECK(status == EV_EXIT_TROUBLE, "a stop that fails is trouble");
    CHECK(len == 0, "with no line");
    CHECK(strstr(unit_said, "! endpoint 'ep_gone' may still be running, and billing\n") != NULL,
          "and says it may still bill");
    free(out);
    ev_rest_free(c);
}

static void
test_names(void)
{
    jv a = ev_deploy_name("accounts/a/models/m"), b = ev_deploy_name("accounts/a/models/m");
    jv c = ev_deploy_name("accounts/a/models/n");
    CHECK(strcmp(jv_string_value(a), jv_string_value(b)) == 0, "a model's deployment has one name");
    CHECK(strcmp(jv_string_value(a), jv_string_value(c)) != 0, "another model's another");
    CHECK(strlen(jv_string_value(a)) == 19 && strncmp(jv_string_value(a), "ev-", 3) == 0,
          "ev- and 16 hex digits, a name both providers take");
    jv_free(a);
    jv_free(b);
    jv_free(c);
    CHECK_JV(
        ev_url_escape("accounts/a b/ü?x=1&y", true), "\"accounts/a%20b/%C3%BC%3Fx%3D1%26y\"",
        "a resource name keeps its slashes, and every other byte but the unreserved is escaped");
    CHECK_JV(ev_url_escape("projects/p/models/ml_1", false), "\"projects%2Fp%2Fmodels%2Fml_1\"",
             "a query value escapes its slashes too");
    CHECK_JV(ev_url_escape("A-z.0_9~", false), "\"A-z.0_9~\"", "unreserved bytes stay");

    /* Together's v2 API is a sibling of its v1 API: the key goes there,
     * and nowhere else */
    jv err;
    ev_rest *v1 = ev_rest_new("https://api.together.ai/v1", "k-1", NULL, &err);
    ev_rest *v2 = ev_rest_sibling(v1, "https://api.together.ai/v2", &err);
    CHECK(v2 != NULL, "a sibling on the same host is made");
    CHECK_STR(ev_rest_base(v2), "https://api.together.ai/v2", "at its own base");
    ev_rest *other = ev_rest_sibling(v1, "https://api-inference.together.ai/v1", &err);
    CHECK(other == NULL, "one on another host is not");
    jv m = jv_invalid_get_msg(err);
    CHECK(strstr(jv_string_value(m), "the key goes only there") != NULL, "which is said");
    jv_free(m);
    ev_rest_free(v2);
    ev_rest_free(v1);
}

int
main(void)
{
    test_start();
    test_stop();
    test_names();
    UNIT_DONE();
}
