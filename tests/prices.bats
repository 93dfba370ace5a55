#!/usr/bin/env bats
# The installed price table, data/prices.jsonl, checked row by row (issue 15):
# every row names its source and the date it was checked, no model is priced
# twice by one provider, every number is positive, and the table's as_of is
# the newest checked date. Each check prints the rows that break it.
load test_helper

setup() {
    TABLE="$BATS_TEST_DIRNAME/../data/prices.jsonl"
}

# rows JQ: the rows (all lines but the metadata) for which JQ is true, one a
# line, compact.
rows() {
    jq -c "select(has(\"table\") | not) | select($1)" "$TABLE"
}

@test "the table is JSONL whose first line is its metadata, in USD" {
    assert_jsonl "$TABLE"
    run jq -c 'select(has("table")) | [.currency, (.as_of | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]' "$TABLE"
    [ "$output" = '["USD",true]' ]
    [ "$(head -n 1 "$TABLE" | jq -r 'has("table")')" = true ]
}

@test "every row names an https source and the date it was checked" {
    run rows '(.source | type != "string" or (test("^https://") | not)) or (.checked | type != "string" or (test("^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$") | not))'
    [ "$status" -eq 0 ]
    [ -z "$output" ] || fail_with "rows without a source or a checked date: $output"
}

@test "every row has a provider and a kind the loader knows" {
    run rows '(.provider | type != "string") or ((.kind // "serving") | IN("serving", "training", "endpoint") | not)'
    [ -z "$output" ] || fail_with "$output"
}

@test "no model is priced twice by one provider, and no endpoint named twice" {
    run jq -rs '[.[1:][] | select((.kind // "serving") == "serving") | [.provider, .model] | @tsv] | group_by(.) | map(select(length > 1)[0]) | .[]' "$TABLE"
    [ -z "$output" ] || fail_with "priced twice: $output"
    run jq -rs '[.[1:][] | select(.kind == "endpoint") | .name] | group_by(.) | map(select(length > 1)[0]) | .[]' "$TABLE"
    [ -z "$output" ] || fail_with "named twice: $output"
    # Nor a training band twice per provider, method and objective.
    run jq -rs '[.[1:][] | select(.kind == "training") | [.provider, .method, .objective, .params_b_above] | @tsv] | group_by(.) | map(select(length > 1)[0]) | .[]' "$TABLE"
    [ -z "$output" ] || fail_with "band twice: $output"
}

@test "every price in the table is a positive number" {
    # Serving rows: input and output required; every other price, when given.
    run rows '(.kind // "serving") == "serving" and ([.input, .output] | any(type != "number" or . <= 0))'
    [ -z "$output" ] || fail_with "input/output: $output"
    run rows '[.cached_input, .cache_write, .training, .batch, (.tiers // [] | .[] | .input, .output, .cached_input, .cache_write)] | map(select(. != null)) | any(type != "number" or . <= 0)'
    [ -z "$output" ] || fail_with "other prices: $output"
    run rows '.batch != null and .batch > 1'
    [ -z "$output" ] || fail_with "a batch factor above 1: $output"
    run rows '.kind == "training" and (.training | type != "number" or . <= 0)'
    [ -z "$output" ] || fail_with "training: $output"
    run rows '.kind == "endpoint" and ([.per_hour, .gpus] | any(type != "number" or . <= 0))'
    [ -z "$output" ] || fail_with "endpoints: $output"
}

@test "deprecated, shutdown and shutdown_by are dates, and a model is deprecated before it shuts down" {
    run rows '[.deprecated, .shutdown, .shutdown_by] | map(select(. != null)) | any(type != "string" or (test("^20[0-9]{2}-[0-9]{2}-[0-9]{2}$") | not))'
    [ -z "$output" ] || fail_with "$output"
    run rows '.deprecated != null and .shutdown != null and .deprecated > .shutdown'
    [ -z "$output" ] || fail_with "$output"
}

@test "the table's as_of is the newest checked date" {
    newest=$(jq -rs '[.[1:][] | .checked] | max' "$TABLE")
    as_of=$(head -n 1 "$TABLE" | jq -r .as_of)
    [ -n "$newest" ]
    [ "$as_of" = "$newest" ] || fail_with "as_of $as_of, newest checked $newest"
}

@test "the table loads: ev-cost prices a row of each provider from it" {
    for pm in openai:gpt-6.2-sol anthropic:claude-sonnet-5-5 google:gemini-3.5-flash \
        together:openai/gpt-oss-20b fireworks:accounts/fireworks/models/gpt-oss-20b \
        groq:openai/gpt-oss-120b deepinfra:Qwen/Qwen3-32B; do
        # 100,000 input tokens, below every prompt-size tier: a tenth of the
        # row's input price.
        printf '{"call":{"model":"%s","input_tokens":100000,"output_tokens":0}}\n' "${pm#*:}" >"$BATS_TEST_TMPDIR/r.jsonl"
        want=$(jq -r --arg p "${pm%%:*}" --arg m "${pm#*:}" 'select(.provider == $p and .model == $m) | .input / 10' "$TABLE")
        [ -n "$want" ] || fail_with "$pm: no such row"
        run --separate-stderr ev-cost --prices "$TABLE" --provider "${pm%%:*}" "$BATS_TEST_TMPDIR/r.jsonl"
        [ "$status" -eq 0 ] || fail_with "$pm: $stderr"
        jq -e --argjson want "$want" '(.cost.total - $want) | fabs < 1e-12' <<<"$output" >/dev/null ||
            fail_with "$pm: $output, want $want"
    done
}

@test "ev-tune's estimate prices a Fireworks base at the table's training band, and says Together's is missing" {
    unset EV_PRICES
    # llama-v3p1-8b-instruct: 8B, in Fireworks' band up to 16B, LoRA SFT.
    want=$(jq -r 'select(.kind == "training" and .provider == "fireworks" and .params_b_above == 0 and .method == "lora" and .objective == "sft") | .training' "$TABLE")
    [ -n "$want" ]
    run --separate-stderr ev-tune -m accounts/fireworks/models/llama-v3p1-8b-instruct "$FIXTURES/tune-valid.jsonl"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.cost.training_per_million' <<<"$output")" = "$want" ]
    jq -e '.cost.total > 0' <<<"$output" >/dev/null
    [[ "$(jq -r '.cost.note' <<<"$output")" == *"(fireworks, LoRA SFT, 8B models, as of 2026-10-07)"* ]]
    # Together's training rates could not be sourced: no cost, and the note says why.
    run --separate-stderr ev-tune -m meta-llama/Meta-Llama-3.1-8B-Instruct-Reference "$FIXTURES/tune-valid.jsonl"
    [ "$status" -eq 0 ]
    [ "$(jq -c '.cost.total' <<<"$output")" = null ]
    [ "$(jq -r '.cost.note' <<<"$output")" = "the price table has no LoRA SFT training price of together for a 8B model" ]
}
