/* Unit tests of lib/quote: the cookbook's default epochs, and the training
 * cost at a price table's training price, or why there is none. */
#include <math.h>
#include <stdlib.h>

#include "quote.h"
#include "unit.h"

static void
test_epochs(void)
{
    const char *why;
    CHECK(ev_quote_default_epochs(12, &why) == 8 && strcmp(why, "raised") == 0,
          "12 examples: 3 raised to 100 / 12 = 8");
    CHECK(ev_quote_default_epochs(1, NULL) == 25, "1 example: raised, at most 25");
    CHECK(ev_quote_default_epochs(40, &why) == 3 && strcmp(why, "default") == 0,
          "40 examples: 3, since 120 is within 100..25000");
    CHECK(ev_quote_default_epochs(10000, &why) == 2 && strcmp(why, "lowered") == 0,
          "10000 examples: lowered to 25000 / 10000 = 2");
    CHECK(ev_quote_default_epochs(100000, NULL) == 1, "100000 examples: at least 1");
}

static const char *
note(const ev_quote *q)
{
    return jv_string_value(q->cost_note);
}

static void
test_cost(void)
{
    char path[64];
    unit_file(path, "prices.jsonl",
              "{\"as_of\": \"2026-01-01\", \"currency\": \"USD\"}\n"
              "{\"model\": \"tiny\", \"input\": 1, \"output\": 2, \"training\": 4}\n"
              "{\"model\": \"no-train\", \"input\": 1, \"output\": 2}\n");
    char *prices[] = {path};
    ev_quote q;
    ev_quote_opts o = {"tiny", 0, prices, 1};
    jv trouble = ev_quote_make(&q, &o, 12, 250000);
    CHECK(jv_get_kind(trouble) == JV_KIND_NULL, "a table that reads is no trouble");
    CHECK(q.epochs == 8, "12 examples: 8 epochs");
    CHECK_STR(jv_string_value(q.epochs_rule),
              "the cookbook's default: 3, raised to 8 so that 12 examples x epochs reach 100",
              "the rule says why");
    CHECK_NEAR(q.tokens, 2000000, 0, "training tokens: an epoch's times the epochs");
    CHECK_NEAR(q.price, 4, 0, "the price is the row's training price");
    CHECK_NEAR(q.cost, 8, 1e-9, "2 million tokens at 4 a million cost 8");
    CHECK_STR(q.currency, "USD", "in the table's currency");
    CHECK_STR(note(&q),
              "at 4 per million training tokens (row 'tiny', as of 2026-01-01); verify prices "
              "before budgeting",
              "the note says where the price is from");
    CHECK_JV(ev_quote_cost_json(&q, "tiny"),
             "{\"currency\":\"USD\",\"model\":\"tiny\",\"note\":\"at 4 per million training "
             "tokens (row 'tiny', as of 2026-01-01); verify prices before budgeting\","
             "\"total\":8,\"training_per_million\":4}",
             "the cost as a report shows it");
    ev_quote_free(&q);

    o = (ev_quote_opts){"tiny", 2, prices, 1};
    ev_quote_make(&q, &o, 12, 250000);
    CHECK(q.epochs == 2, "epochs given are kept");
    CHECK_STR(jv_string_value(q.epochs_rule), "given with --epochs", "and said to be given");
    ev_quote_free(&q);

    o = (ev_quote_opts){"no-train", 0, prices, 1};
    ev_quote_make(&q, &o, 12, 100);
    CHECK(isnan(q.cost) && isnan(q.price), "a row without a training price gives no cost");
    CHECK_STR(note(&q), "the price table has no training price for 'no-train'", "and says so");
    ev_quote_free(&q);

    o = (ev_quote_opts){"nobody", 0, prices, 1};
    ev_quote_make(&q, &o, 12, 100);
    CHECK_STR(note(&q), "'nobody' is not in the price table", "nor does a model not in the table");
    ev_quote_free(&q);

    o = (ev_quote_opts){NULL, 0, prices, 1};
    ev_quote_make(&q, &o, 12, 100);
    CHECK(isnan(q.cost), "no model, no cost");
    CHECK_STR(note(&q), "no model given: -m MODEL prices the training", "and how to get one");
    CHECK_JV(ev_quote_cost_json(&q, NULL),
             "{\"currency\":\"USD\",\"model\":null,\"note\":\"no model given: -m MODEL prices "
             "the training\",\"total\":null,\"training_per_million\":null}",
             "unknown figures are null");
    ev_quote_free(&q);
    unit_file_remove(path);

    char *missing[] = {path};
    o = (ev_quote_opts){"tiny", 0, missing, 1};
    trouble = ev_quote_make(&q, &o, 12, 100);
    CHECK(!jv_is_valid(trouble) && jv_invalid_has_msg(jv_copy(trouble)),
          "a price file that cannot be read is trouble, with a message");
    jv_free(trouble);
    CHECK(isnan(q.cost), "and no cost");
    CHECK_STR(note(&q), "the price table cannot be read", "which the note says");
    ev_quote_free(&q);
}

/* Training prices by provider and size band (issue 15). */
static void
test_bands(void)
{
    char path[64];
    unit_file(path, "bands.jsonl",
              "{\"as_of\": \"2026-10-07\"}\n"
              "{\"kind\": \"training\", \"provider\": \"fireworks\", \"params_b_above\": 0, "
              "\"params_b_max\": 16, \"method\": \"lora\", \"objective\": \"sft\", "
              "\"training\": 0.5}\n"
              "{\"kind\": \"training\", \"provider\": \"fireworks\", \"params_b_above\": 0, "
              "\"params_b_max\": 16, \"method\": \"full\", \"objective\": \"sft\", "
              "\"training\": 1}\n");
    char *prices[] = {path};
    ev_quote q;
    ev_quote_opts o = {"accounts/fireworks/models/llama-v3p1-8b-instruct", 0, prices, 1};
    ev_quote_make(&q, &o, 12, 250000);
    /* 8 epochs of 250,000 tokens at 0.5 a million: 1. */
    CHECK_NEAR(q.price, 0.5, 0, "an 8B Fireworks model at the LoRA SFT band up to 16B");
    CHECK_NEAR(q.cost, 1, 1e-9, "2 million tokens at 0.5 a million");
    CHECK_STR(note(&q),
              "at 0.5 per million training tokens (fireworks, LoRA SFT, 8B models, as of "
              "2026-10-07); verify prices before budgeting",
              "the note names the band");
    ev_quote_free(&q);
    o.model = "accounts/fireworks/models/qwen3-30b-a3b";
    ev_quote_make(&q, &o, 12, 100);
    CHECK(isnan(q.cost), "no band for 30B: no cost");
    CHECK_STR(note(&q),
              "the price table has no LoRA SFT training price of fireworks for a 30B model",
              "and the note says which band is missing");
    ev_quote_free(&q);
    o.model = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference";
    ev_quote_make(&q, &o, 12, 100);
    CHECK_STR(note(&q), "the price table has no LoRA SFT training price of together for a 8B model",
              "a Together name is priced at Together's bands, never Fireworks'");
    ev_quote_free(&q);
    o.model = "accounts/fireworks/models/mixtral-8x7b-instruct";
    ev_quote_make(&q, &o, 12, 100);
    CHECK_STR(note(&q),
              "the size of 'accounts/fireworks/models/mixtral-8x7b-instruct' is not in its name, "
              "and fireworks prices training by size",
              "a size the name does not say is not guessed");
    ev_quote_free(&q);
    unit_file_remove(path);
}

int
main(void)
{
    test_epochs();
    test_cost();
    test_bands();
    UNIT_DONE();
}
