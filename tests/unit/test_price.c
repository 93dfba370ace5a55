/* lib/price: lookup rules, costs in both usage styles, training, estimates. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "price.h"
#include "unit.h"

static const char table[] =
    "{\"as_of\": \"2026-01-01\", \"note\": \"test\"}\n"
    "{\"model\": \"m\", \"input\": 1, \"cached_input\": 0.5, \"cache_write\": 1.25, "
    "\"output\": 2, \"batch\": 0.5, \"training\": 8, "
    "\"tiers\": [{\"above\": 100, \"input\": 2, \"output\": 4}]}\n"
    "{\"model\": \"m-2\", \"input\": 7, \"output\": 7, \"aliases\": [\"emm\"]}\n"
    "{\"model\": \"ft:m\", \"input\": 3, \"output\": 6}\n";

/* Issue 15: rows per provider, kinds, dates. */
static const char hosts[] =
    "{\"as_of\": \"2026-12-05\"}\n"
    "{\"model\": \"org/open-8b\", \"provider\": \"together\", \"input\": 1, \"output\": 1}\n"
    "{\"model\": \"org/open-8b\", \"provider\": \"groq\", \"input\": 2, \"output\": 2}\n"
    "{\"model\": \"org/Base-7B-Instruct-Turbo\", \"provider\": \"together\", \"input\": 1, "
    "\"output\": 1, \"checked\": \"2026-11-01\", \"deprecated\": \"2026-10-01\", "
    "\"shutdown\": \"2026-12-31\"}\n"
    "{\"model\": \"solo\", \"provider\": \"openai\", \"input\": 1, \"output\": 1, "
    "\"shutdown_by\": \"2026-04-07\"}\n"
    "{\"kind\": \"training\", \"provider\": \"fw\", \"params_b_above\": 0, "
    "\"params_b_max\": 16, \"method\": \"lora\", \"objective\": \"sft\", \"training\": 0.5}\n"
    "{\"kind\": \"training\", \"provider\": \"fw\", \"params_b_above\": 16, \"method\": "
    "\"lora\", \"objective\": \"sft\", \"training\": 3}\n"
    "{\"kind\": \"endpoint\", \"name\": \"fw-h100\", \"provider\": \"fw\", \"hardware\": "
    "\"1x H100\", \"per_hour\": 8}\n";

/* load_text returns a table of 'text', or NULL with '*err' set. */
static ev_price_table *
load_text(const char *text, jv *err)
{
    char path[] = "/tmp/ev-price-XXXXXX";
    int fd = mkstemp(path);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n)
        abort();
    close(fd);
    ev_price_table *t = ev_price_table_new();
    int rc = ev_price_table_load(t, path, err);
    unlink(path);
    if (rc == 0)
        return t;
    ev_price_table_free(t);
    return NULL;
}

static ev_price_table *
load(void)
{
    jv err;
    ev_price_table *t = load_text(table, &err);
    CHECK(t != NULL, "a well-formed table loads");
    return t;
}

static const char *
looked_up(const ev_price_table *t, const char *provider, const char *model, const char *why_has)
{
    jv why;
    const ev_price *p = ev_price_table_lookup(t, provider, model, &why);
    bool said = jv_is_valid(why) && strstr(jv_string_value(why), why_has) != NULL;
    jv_free(why);
    return p != NULL ? p->provider : said ? "(said)" : "(none)";
}

static void
test_hosts(void)
{
    jv err;
    ev_price_table *t = load_text(hosts, &err);
    CHECK(t != NULL, "one name for two providers loads");
    if (t == NULL)
        return;
    CHECK_STR(looked_up(t, "groq", "org/open-8b", ""), "groq", "the provider named picks its row");
    CHECK_STR(looked_up(t, "together", "org/open-8b", ""), "together", "either provider");
    CHECK_STR(looked_up(t, NULL, "org/open-8b", "several providers (groq, together)"), "(said)",
              "no provider: ambiguous, and the providers named");
    CHECK_STR(looked_up(t, "openai", "org/open-8b", "say which"), "(said)",
              "a provider that sells no such row is no provider");
    CHECK_STR(looked_up(t, NULL, "solo", ""), "openai", "one provider needs no naming");
    CHECK_STR(looked_up(t, NULL, "accounts/acme/models/x", "Fireworks fine-tune"), "(said)",
              "a Fireworks fine-tune is dedicated only");
    CHECK_STR(looked_up(t, NULL, "accounts/fireworks/models/x", ""), "(none)",
              "a Fireworks base model without a row is just unknown");
    CHECK_STR(looked_up(t, NULL, "me/Base-7B-Instruct-Reference-mine-12ab", "Together fine-tune"),
              "(said)", "a Together fine-tune of a Together row's base is dedicated only");
    CHECK_STR(looked_up(t, NULL, "org/Base-7B-Instruct-Other", ""), "(none)",
              "the row's own organisation is not a fine-tune's account");

    const ev_price *p = ev_price_table_find(t, "org/Base-7B-Instruct-Turbo");
    CHECK_STR(p != NULL ? p->as_of : "", "2026-11-01", "checked is the row's date");
    jv n = ev_price_shutdown_note(p, "2026-12-01");
    CHECK_STR(jv_is_valid(n) ? jv_string_value(n) : "",
              "'org/Base-7B-Instruct-Turbo' (together) shuts down on 2026-12-31, in 30 days",
              "30 days before: a warning");
    jv_free(n);
    n = ev_price_shutdown_note(p, "2026-11-30");
    CHECK(!jv_is_valid(n), "31 days before: nothing");
    jv_free(n);
    n = ev_price_shutdown_note(p, "2027-01-01");
    CHECK_STR(jv_is_valid(n) ? jv_string_value(n) : "",
              "'org/Base-7B-Instruct-Turbo' (together) shut down on 2026-12-31",
              "after: shut down");
    jv_free(n);
    n = ev_price_shutdown_note(ev_price_table_find(t, "solo"), "2026-12-05");
    CHECK_STR(jv_is_valid(n) ? jv_string_value(n) : "",
              "'solo' (openai) was no longer in openai's catalog on 2026-04-07", "shutdown_by");
    jv_free(n);
    n = ev_price_shutdown_note(ev_price_table_find(t, "solo"), "2025-12-05");
    CHECK(!jv_is_valid(n), "long before shutdown_by: nothing");
    jv_free(n);

    const ev_price_band *b = ev_price_table_band(t, "fw", 8, true, false);
    CHECK_NEAR(b != NULL ? b->training : NAN, 0.5, 0, "8B is in the band up to 16B");
    b = ev_price_table_band(t, "fw", 16, true, false);
    CHECK_NEAR(b != NULL ? b->training : NAN, 0.5, 0, "16B is at most 16B");
    b = ev_price_table_band(t, "fw", 405, true, false);
    CHECK_NEAR(b != NULL ? b->training : NAN, 3, 0, "no max: no upper bound");
    CHECK(ev_price_table_band(t, "fw", 8, false, false) == NULL, "no full-parameter row");
    CHECK(ev_price_table_band(t, "together", 8, true, false) == NULL, "no row of that provider");
    const ev_price_endpoint *e = ev_price_table_endpoint(t, "fw-h100");
    CHECK_NEAR(e != NULL ? e->per_hour : NAN, 8, 0, "an endpoint by name");
    CHECK(ev_price_table_endpoint(t, "nope") == NULL, "an unknown endpoint");
    jv names = ev_price_table_endpoint_names(t);
    CHECK_STR(jv_string_value(names), "fw-h100", "the endpoint names");
    jv_free(names);
    ev_price_table_free(t);
}

/* bad_row says whether 'row' fails to load with a message containing 'has'. */
static bool
bad_row(const char *row, const char *has)
{
    jv err;
    ev_price_table *t = load_text(row, &err);
    if (t != NULL) {
        ev_price_table_free(t);
        return false;
    }
    jv m = jv_invalid_get_msg(err);
    bool yes = jv_get_kind(m) == JV_KIND_STRING && strstr(jv_string_value(m), has) != NULL;
    jv_free(m);
    return yes;
}

static void
test_names(void)
{
    CHECK_NEAR(ev_price_params_b("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"), 8, 0,
               "8B after a version 3.1");
    CHECK_NEAR(ev_price_params_b("accounts/fireworks/models/llama-v3p1-8b-instruct"), 8, 0,
               "8b after v3p1");
    CHECK_NEAR(ev_price_params_b("accounts/fireworks/models/qwen2p5-1p5b-instruct"), 1.5, 1e-12,
               "1p5b is 1.5");
    CHECK_NEAR(ev_price_params_b("Qwen/Qwen3-235B-A22B-Instruct-2507"), 235, 0,
               "the total, not the active A22B");
    CHECK_NEAR(ev_price_params_b("openai/gpt-oss-20b"), 20, 0, "gpt-oss-20b");
    CHECK(isnan(ev_price_params_b("mistralai/Mixtral-8x7B-Instruct-v0.1")),
          "8x7B says no one size");
    CHECK(isnan(ev_price_params_b("gpt-4o-mini")), "no size in the name");
    CHECK_STR(ev_price_provider_of("accounts/fireworks/models/x"), "fireworks", "Fireworks' base");
    CHECK_STR(ev_price_provider_of("meta-llama/Llama-3.3-70B"), "together", "ORG/MODEL");
    CHECK(ev_price_provider_of("gpt-4o-mini") == NULL, "OpenAI's names");
    CHECK(ev_price_provider_of("ft:gpt-4o-mini:a:b:c/d") == NULL, "an OpenAI fine-tune");
}

static void
test_bad_rows(void)
{
    CHECK(bad_row("{\"model\": \"a\", \"provider\": \"x\", \"input\": 1, \"output\": 1}\n"
                  "{\"model\": \"a\", \"provider\": \"x\", \"input\": 1, \"output\": 1}\n",
                  ":2: 'a' is already priced on line 1"),
          "a name twice for one provider");
    CHECK(bad_row("{\"model\": \"a\", \"input\": 1, \"output\": 1, \"shutdown\": \"2026-02-30\"}\n",
                  "'shutdown' is not a date YYYY-MM-DD: '2026-02-30'"),
          "a date not of the calendar");
    CHECK(bad_row("{\"model\": \"a\", \"input\": 1, \"output\": 1, \"checked\": \"5 Dec\"}\n",
                  "'checked' is not a date"),
          "a checked date in words");
    CHECK(bad_row("{\"kind\": \"training\", \"provider\": \"x\", \"method\": \"lora\", "
                  "\"objective\": \"sft\", \"training\": 0}\n",
                  "'training' is not a number above 0"),
          "a training price of 0");
    CHECK(bad_row("{\"kind\": \"training\", \"provider\": \"x\", \"method\": \"qlora\", "
                  "\"objective\": \"sft\", \"training\": 1}\n",
                  "'method' is 'lora' or 'full'"),
          "an unknown method");
    CHECK(bad_row("{\"kind\": \"endpoint\", \"provider\": \"x\", \"per_hour\": 1}\n",
                  "needs its 'name'"),
          "an endpoint without a name");
    CHECK(bad_row("{\"kind\": \"endpoint\", \"name\": \"e\", \"per_hour\": 1}\n",
                  "needs its 'provider'"),
          "an endpoint without a provider");
    CHECK(bad_row("{\"kind\": \"model\", \"model\": \"a\", \"input\": 1, \"output\": 1}\n",
                  "'kind' is serving, training or endpoint"),
          "an unknown kind");
}

static const char *
found(const ev_price_table *t, const char *model)
{
    const ev_price *p = ev_price_table_find(t, model);
    return p != NULL ? p->model : "(none)";
}

static void
test_lookup(const ev_price_table *t)
{
    CHECK_STR(found(t, "m"), "m", "exact name");
    CHECK_STR(found(t, "emm"), "m-2", "alias");
    CHECK_STR(found(t, "m-2024-07-18"), "m", "dated snapshot");
    CHECK_STR(found(t, "m-20241022"), "m", "compact date");
    CHECK_STR(found(t, "m-0613"), "m", "four-digit snapshot");
    CHECK_STR(found(t, "m-latest"), "m", "latest");
    CHECK_STR(found(t, "m-2-20250101"), "m-2", "the longest row name wins");
    CHECK_STR(found(t, "m-preview"), "(none)", "a suffix that is not a date");
    CHECK_STR(found(t, "m-2024-07"), "(none)", "half a date");
    CHECK_STR(found(t, "ft:m-2024-07-18:org::abc"), "ft:m", "fine-tune of a snapshot");
    CHECK_STR(found(t, "ft:m:org:suffix:id"), "ft:m", "fine-tune with a suffix");
    CHECK_STR(found(t, "ft:m-2:org::x"), "(none)", "a fine-tune never falls back to its base");
    CHECK_STR(ev_price_table_currency(t), "USD", "currency defaults to USD");
}

static void
test_cost(const ev_price_table *t)
{
    const ev_price *p = ev_price_table_find(t, "m");
    ev_price_charge c;
    jv err = jv_invalid();
    /* 100 input of which 40 cached and 20 written: 40 x 1 + 40 x 0.5 + 20 x 1.25
     * = 85 -> 8.5e-5; 10 out x 2 -> 2e-5. */
    ev_price_usage u = {.input = 100, .output = 10, .cached = 40, .cache_write = 20};
    CHECK(ev_price_cost(p, &u, false, 1, &c, &err) == 0, "inclusive usage prices");
    CHECK_NEAR(c.input, 8.5e-5, 1e-15, "inclusive input");
    CHECK_NEAR(c.output, 2e-5, 1e-15, "output");
    CHECK(c.tier == NULL, "100 prompt tokens is not above 100");
    /* The same call as Anthropic reports it: 40 fresh, reads and writes apart;
     * the prompt is still 100. */
    ev_price_usage x = {.input = 40,
                        .output = 10,
                        .cached = 40,
                        .cache_write = 20,
                        .style = EV_PRICE_USAGE_EXCLUSIVE};
    CHECK(ev_price_cost(p, &x, false, 1, &c, &err) == 0, "exclusive usage prices");
    CHECK_NEAR(c.input, 8.5e-5, 1e-15, "exclusive input is the same");
    /* 101 tokens: the tier, whose cached price defaults to its input price. */
    u.input = 101;
    ev_price_cost(p, &u, true, 2, &c, &err);
    CHECK(c.tier != NULL && c.batch, "tier and batch applied");
    CHECK_NEAR(c.input, 101 * 2 / 1e6 * 0.5 * 2, 1e-15, "tier input at batch and rate");
    ev_price_usage bad = {.input = 10, .output = 0, .cached = 11};
    CHECK(ev_price_cost(p, &bad, false, 1, &c, &err) == -1, "more cached than input fails");
    jv_free(err);
    CHECK_NEAR(ev_price_training(p, 1e6), 8, 1e-12, "training per million tokens");
    CHECK(isnan(ev_price_training(ev_price_table_find(t, "ft:m"), 1)), "no training price is NAN");
    CHECK_NEAR(ev_price_money(0.1 + 0.2), 0.3, 0, "money rounds away float noise");
}

static void
test_usage(void)
{
    ev_price_usage u;
    jv err = jv_invalid();
    jv call = jv_parse("{\"input_tokens\": 5, \"output_tokens\": null}");
    CHECK(ev_price_usage_from_call(call, &u, &err) == 0, "null count is fine");
    CHECK(u.input == 5 && isnan(u.output) && u.cached == 0, "null is unknown, cache 0");
    jv_free(call);
    call = jv_parse("{\"input_tokens\": -1}");
    CHECK(ev_price_usage_from_call(call, &u, &err) == -1, "negative count fails");
    jv_free(call);
    jv_free(err);
    CHECK(ev_price_usage_from_call(jv_invalid(), &u, &err) == 0 && isnan(u.input), "no call");
}

static void
test_estimates(void)
{
    CHECK_NEAR(ev_price_estimate_text_tokens(0), 0, 0, "empty text");
    CHECK_NEAR(ev_price_estimate_text_tokens(9), 3, 0, "9 bytes round up to 3 tokens");
    jv rec = jv_parse("{\"input\": \"abcdefgh\", \"expected\": [1, 2]}");
    CHECK_NEAR(ev_price_estimate_prompt_tokens(rec, NULL), 2 + 3 + 3, 0, "string prompt");
    CHECK_NEAR(ev_price_estimate_prompt_tokens(rec, "abcd"), 2 + 1 + 6 + 3, 0, "with a system");
    CHECK_NEAR(ev_price_estimate_output_tokens(rec), 2, 0, "expected as compact JSON: [1,2]");
    jv_free(rec);
    rec = jv_parse("{\"id\": 1}");
    CHECK(isnan(ev_price_estimate_prompt_tokens(rec, NULL)), "no input");
    CHECK(isnan(ev_price_estimate_output_tokens(rec)), "no expected");
    jv_free(rec);
}

static void
test_open(void)
{
    const char *paths[] = {"/nonexistent/prices.jsonl"};
    jv err;
    ev_price_table *t = ev_price_table_open(paths, 1, &err);
    CHECK(t == NULL, "a table that cannot be read opens as nothing");
    jv m = jv_invalid_get_msg(err);
    CHECK(jv_get_kind(m) == JV_KIND_STRING &&
              strstr(jv_string_value(m), "/nonexistent/prices.jsonl") != NULL,
          "and the message names the file");
    jv_free(m);
    t = ev_price_table_open(paths, 0, &err);
    CHECK(t != NULL && ev_price_table_find(t, "m") == NULL, "no file is an empty table");
    ev_price_table_free(t);
}

int
main(void)
{
    test_open();
    ev_price_table *t = load();
    test_lookup(t);
    test_cost(t);
    ev_price_table_free(t);
    test_usage();
    test_estimates();
    test_hosts();
    test_names();
    test_bad_rows();
    UNIT_DONE();
}
