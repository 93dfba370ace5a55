/* lib/price: lookup rules, costs in both usage styles, training, estimates. */
#include <stdlib.h>
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

static ev_prices *
load(void)
{
    char path[] = "/tmp/ev-price-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, table, sizeof(table) - 1) != (ssize_t)(sizeof(table) - 1))
        abort();
    close(fd);
    ev_prices *t = ev_prices_new();
    jv err;
    CHECK(ev_prices_load(t, path, &err) == 0, "a well-formed table loads");
    unlink(path);
    return t;
}

static const char *
found(const ev_prices *t, const char *model)
{
    const ev_price *p = ev_prices_find(t, model);
    return p != NULL ? p->model : "(none)";
}

static void
test_lookup(const ev_prices *t)
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
    CHECK_STR(ev_prices_currency(t), "USD", "currency defaults to USD");
}

static void
test_cost(const ev_prices *t)
{
    const ev_price *p = ev_prices_find(t, "m");
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
    CHECK(isnan(ev_price_training(ev_prices_find(t, "ft:m"), 1)), "no training price is NAN");
    CHECK_NEAR(ev_money(0.1 + 0.2), 0.3, 0, "money rounds away float noise");
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
    CHECK_NEAR(ev_estimate_text_tokens(0), 0, 0, "empty text");
    CHECK_NEAR(ev_estimate_text_tokens(9), 3, 0, "9 bytes round up to 3 tokens");
    jv rec = jv_parse("{\"input\": \"abcdefgh\", \"expected\": [1, 2]}");
    CHECK_NEAR(ev_estimate_prompt_tokens(rec, NULL), 2 + 3 + 3, 0, "string prompt");
    CHECK_NEAR(ev_estimate_prompt_tokens(rec, "abcd"), 2 + 1 + 6 + 3, 0, "with a system");
    CHECK_NEAR(ev_estimate_output_tokens(rec), 2, 0, "expected as compact JSON: [1,2]");
    jv_free(rec);
    rec = jv_parse("{\"id\": 1}");
    CHECK(isnan(ev_estimate_prompt_tokens(rec, NULL)), "no input");
    CHECK(isnan(ev_estimate_output_tokens(rec)), "no expected");
    jv_free(rec);
}

static void
test_open(void)
{
    const char *paths[] = {"/nonexistent/prices.jsonl"};
    jv err;
    ev_prices *t = ev_prices_open(paths, 1, &err);
    CHECK(t == NULL, "a table that cannot be read opens as nothing");
    jv m = jv_invalid_get_msg(err);
    CHECK(jv_get_kind(m) == JV_KIND_STRING &&
              strstr(jv_string_value(m), "/nonexistent/prices.jsonl") != NULL,
          "and the message names the file");
    jv_free(m);
    t = ev_prices_open(paths, 0, &err);
    CHECK(t != NULL && ev_prices_find(t, "m") == NULL, "no file is an empty table");
    ev_prices_free(t);
}

int
main(void)
{
    test_open();
    ev_prices *t = load();
    test_lookup(t);
    test_cost(t);
    ev_prices_free(t);
    test_usage();
    test_estimates();
    UNIT_DONE();
}
