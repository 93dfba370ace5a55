#!/usr/bin/env bats
# ev-cost: pricing records, the price table, summaries and estimates.
#
# Figures are worked out by hand in the comments. Prices are per million
# tokens. tests/fixtures/cost-prices.jsonl holds made-up prices:
#   small    openai     in 1, cached 0.5, out 2, batch 0.5
#   big      anthropic  in 10, cached 1, cache write 12.5, out 40, batch 0.5,
#                       above 1000 prompt tokens: in 20, out 80
# As in ev-call's records, call.input_tokens counts every prompt token, the
# cache reads (cached_tokens) and writes (cache_write_tokens) too, whatever
# the provider.
#   ft:small openai     in 3, out 6
#   nobatch             in 1, out 1, no batch factor
#   small-2  (alias smol) in 7, out 7
# and the shipped table (data/prices.jsonl) has gpt-6.1-terra at 1 in,
# 0.05 cached, 5 out (and no shutdown date, so no warning on stderr).
load test_helper

setup() {
    unset EV_PRICES
    PRICES="$FIXTURES/cost-prices.jsonl"
}

# expect JQ JSON: the value of JQ over $output (one record or report) equals
# JSON, numbers compared as numbers, so 0.00002 and 2e-05 are the same.
expect() {
    local got
    got=$(printf '%s\n' "$output" | jq -c "$1") || fail_with "jq '$1' failed on: $output"
    printf '%s\n' "$output" | jq -e --argjson want "$2" "($1) == \$want" >/dev/null ||
        fail_with "$1: got $got, want $2"
}

# rfield JQ: like field, with raw strings.
rfield() {
    printf '%s\n' "$output" | jq -r "$1"
}

# call MODEL IN OUT [CACHED] [PROVIDER]: a record whose call used those tokens.
call() {
    local cached=${4:-0} prov=${5:+\"provider\":\"$5\",}
    printf '{"id":"x","call":{%s"model":"%s","input_tokens":%s,"output_tokens":%s,"cached_tokens":%s}}\n' \
        "$prov" "$1" "$2" "$3" "$cached"
}

# --- per-record pricing ---------------------------------------------------

@test "prices a record from its token counts and the installed table, keeping every original byte" {
    # 1,000 input and 500 output tokens of gpt-6.1-terra at $1/$5 per M:
    # $0.001 + $0.0025 = $0.0035.
    rec='{"id":"a",  "call":{"provider":"openai","model":"gpt-6.1-terra","input_tokens":1000,"output_tokens":500,"cached_tokens":0}}'
    run --separate-stderr ev-cost <<<"$rec"
    [ "$status" -eq 0 ]
    [ "$output" = "${rec%\}},\"cost\":{\"input\":0.001,\"output\":0.0025,\"total\":0.0035,\"currency\":\"USD\"}}" ]
}

@test "bills cached tokens at the cached price, inside input_tokens in OpenAI's style" {
    # small: 1,000 input of which 400 cached, 10 output:
    # 600 x 1 + 400 x 0.5 = 800 -> 0.0008; 10 x 2 = 20 -> 0.00002; 0.00082.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call small 1000 10 400 openai)"
    [ "$status" -eq 0 ]
    expect '.cost' '{"input":0.0008,"output":0.00002,"total":0.00082,"currency":"USD"}'
}

@test "bills Anthropic's cache reads and writes, inside input_tokens as ev-call records them" {
    # big: 600 input = 100 fresh + 200 cache reads + 300 cache writes (< 1000):
    # 100 x 10 + 200 x 1 + 300 x 12.5 = 4950 -> 0.00495; 10 x 40 -> 0.0004.
    rec='{"call":{"provider":"anthropic","model":"big","input_tokens":600,"output_tokens":10,"cached_tokens":200,"cache_write_tokens":300}}'
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$rec"
    [ "$status" -eq 0 ]
    expect '.cost' '{"input":0.00495,"output":0.0004,"total":0.00535,"currency":"USD"}'
}

@test "more cached tokens than input tokens is a contradiction, reported as file:line" {
    for prov in openai anthropic; do
        run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call big 100 0 200 $prov)"
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"ev-cost: -:1: 200 cached tokens but only 100 input tokens, which include them"* ]]
        expect '.cost' null
    done
}

@test "applies a prompt-size tier only when the prompt exceeds its threshold" {
    # big at exactly 1,000 prompt tokens: base, 1000 x 10 -> 0.01, 10 x 40 -> 0.0004.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call big 1000 10)"
    expect '[.cost.input, .cost.output]' '[0.01,0.0004]'
    # 1,001: the tier, 1001 x 20 -> 0.02002, 10 x 80 -> 0.0008, total 0.02082.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call big 1001 10)"
    expect '[.cost.input, .cost.output, .cost.total]' '[0.02002,0.0008,0.02082]'
    # Cache reads count toward the prompt's size: 1100 of which 600 cached, and
    # the tier has no cached price of its own, so its input price: 1100 x 20 -> 0.022.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call big 1100 0 600)"
    expect '.cost.input' '0.022'
}

@test "the installed table's long-context tier prices a large Claude Haiku 5.5 prompt" {
    # 250,000 > 100,000 prompt tokens: 250000 x 0.5 -> 0.125; 1000 x 2.5 -> 0.0025.
    run --separate-stderr ev-cost <<<"$(call claude-haiku-5-5 250000 1000 0 anthropic)"
    [ "$status" -eq 0 ]
    expect '[.cost.input, .cost.output, .cost.total]' '[0.125,0.0025,0.1275]'
}

@test "finds a dated snapshot by the longest row name that a date tag follows" {
    for m in small-20250101 small-2025-01-01 small-0613 small-latest; do
        run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call "$m" 1000000 0)"
        expect '.cost.input' '1' || fail_with "$m: $output"
    done
    # small-2 is longer than small: 7 per M.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call small-2-20250101 1000000 0)"
    expect '.cost.input' '7'
    # A suffix that is not a snapshot tag is another product, not a snapshot.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call small-audio-preview 1 1)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no price for model 'small-audio-preview'"* ]]
    # The installed table: gpt-6.1-terra-2026-09-29 is gpt-6.1-terra.
    run --separate-stderr ev-cost <<<"$(call gpt-6.1-terra-2026-09-29 1000 500)"
    expect '.cost.total' '0.0035'
}

@test "prices an alias like the row it belongs to" {
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call smol 1000000 1000000)"
    expect '.cost.total' '14'
}

@test "prices a fine-tuned OpenAI name by its ft: row, never by the base model's" {
    # ft:small at 3/6: 1,000,000 in and out -> 3 + 6 = 9.
    for m in ft:small-20250101:acme::abc123 ft:small:acme:support:xyz ft:small; do
        run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call "$m" 1000000 1000000)"
        expect '.cost.total' '9' || fail_with "$m: $output"
    done
    # nobatch has a row, but no ft:nobatch: the fine-tune has no price.
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call ft:nobatch:acme::abc 1 1)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no price for model 'ft:nobatch:acme::abc'"* ]]
    # Installed: ft:gpt-4o-mini at 0.30/1.20: 1000 -> 0.0003, 500 -> 0.0006.
    run --separate-stderr ev-cost <<<"$(call ft:gpt-4o-mini-2024-07-18:org::abc 1000 500)"
    expect '[.cost.input, .cost.output, .cost.total]' '[0.0003,0.0006,0.0009]'
}

@test "a model without a price is an error naming it, once, and its records pass without a cost" {
    printf '%s\n' "$(call small 1 1)" "$(call foo 1 1)" "$(call foo 2 2)" >"$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-cost --prices "$PRICES" "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-cost: $BATS_TEST_TMPDIR/run.jsonl:2: no price for model 'foo'; add it with --prices or --price-in/--price-out"* ]]
    [ "$(grep -c "no price for model" <<<"$stderr")" -eq 1 ]
    [ "${#lines[@]}" -eq 3 ]
    [ "$(field 'has("cost")' | tr '\n' ' ')" = "true false false " ]
    [ "${lines[1]}" = "$(call foo 1 1)" ]
    [[ "$stderr" == *"3 records, 1 priced, 0 without token usage, 2 not priced"* ]]
}

@test "re-pricing replaces an old cost in place, and removes it when there is no price now" {
    rec='{"id":"a","call":{"model":"small","input_tokens":1000000,"output_tokens":0},"cost":{"input":9,"output":9,"total":9,"currency":"USD"},"z":1}'
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$rec"
    expect 'keys_unsorted' '["id","call","cost","z"]'
    expect '.cost.total' '1'
    run --separate-stderr ev-cost --prices "$PRICES" --model foo <<<"$rec"
    [ "$status" -eq 2 ]
    expect 'keys_unsorted' '["id","call","z"]'
}

@test "missing token counts give a cost of nulls that says why, never 0, and exit 0" {
    printf '%s\n' '{"id":"a","input":"hi"}' \
        '{"id":"b","call":{"model":"small"}}' \
        '{"id":"c","call":{"model":"small","input_tokens":null,"output_tokens":5}}' \
        '{"id":"d","call":{"model":"small","input_tokens":5}}' >"$BATS_TEST_TMPDIR/u.jsonl"
    run --separate-stderr ev-cost --prices "$PRICES" "$BATS_TEST_TMPDIR/u.jsonl"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = '{"id":"a","input":"hi","cost":{"input":null,"output":null,"total":null,"currency":"USD","unknown":"no token usage"}}' ]
    [ "$(field .cost.unknown | tr '\n' ' ')" = '"no token usage" "no token usage" "no input token count" "no output token count" ' ]
    [ "$(field '.cost.total' | sort -u)" = null ]
    [[ "$stderr" == *"4 records, 0 priced, 4 without token usage, 0 not priced"* ]]
}

@test "a failed call costs what its usage says" {
    printf '%s\n' '{"id":"a","call":{"model":"small"},"error":{"kind":"timeout"}}' \
        '{"id":"b","call":{"model":"small","input_tokens":1000000,"output_tokens":0},"error":{"kind":"http","status":500}}' \
        >"$BATS_TEST_TMPDIR/failed.jsonl"
    run --separate-stderr ev-cost --prices "$PRICES" "$BATS_TEST_TMPDIR/failed.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field '[.cost.total, .cost.unknown]' | tr '\n' ' ')" = '[null,"no token usage"] [1,null] ' ]
}

@test "a token count that is not a whole number from 0 up is reported as file:line" {
    for bad in -5 '"12"' 1.5 true; do
        run --separate-stderr ev-cost --prices "$PRICES" <<<"{\"call\":{\"model\":\"small\",\"input_tokens\":$bad,\"output_tokens\":1}}"
        [ "$status" -eq 2 ] || fail_with "$bad: exit $status"
        [[ "$stderr" == *"ev-cost: -:1: 'call.input_tokens' is not a token count (a whole number from 0 up)"* ]] ||
            fail_with "$bad: $stderr"
        [ "$(field 'has("cost")')" = false ]
    done
}

@test "a record with token counts but no model asks for --model, which prices every record" {
    rec='{"call":{"input_tokens":1000000,"output_tokens":1000000}}'
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$rec"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: no model to price: the record has no 'call.model'; name one with --model"* ]]
    run --separate-stderr ev-cost --prices "$PRICES" -m small <<<"$rec"
    [ "$status" -eq 0 ]
    expect '.cost.total' '3'
    # --model wins over call.model: big at 10/40 instead of small.
    run --separate-stderr ev-cost --prices "$PRICES" --model big <<<"$(call small 1000 1000)"
    expect '.cost.total' '0.05'
}

# --- prices from the command line and from tables ---------------------------

@test "--price-in and --price-out price every record without reading any table" {
    # 1,000 in at 0.05 and 500 out at 0.10 per M: 0.00005 + 0.00005 = 0.0001.
    EV_PRICES=/nonexistent run --separate-stderr ev-cost --price-in 0.05 --price-out 0.10 \
        <<<"$(call my-llama-ft 1000 500)"
    [ "$status" -eq 0 ]
    expect '.cost' '{"input":0.00005,"output":0.00005,"total":0.0001,"currency":"USD"}'
    # Cached tokens at --price-in unless --price-cached: 600 x 0.05 + 400 x 0.01 = 34.
    run --separate-stderr ev-cost --price-in 0.05 --price-out 0.10 <<<"$(call m 1000 0 400)"
    expect '.cost.input' '0.00005'
    run --separate-stderr ev-cost --price-in 0.05 --price-out 0.10 --price-cached 0.01 \
        <<<"$(call m 1000 0 400)"
    expect '.cost.input' '0.000034'
}

@test "--price-in, --price-out and --price-cached must come together, without a table or --batch" {
    for args in "--price-in 1" "--price-out 1" "--price-cached 1" \
        "--price-in 1 --price-out 1 --prices $PRICES" "--price-in 1 --price-out 1 --batch"; do
        run --separate-stderr ev-cost $args </dev/null
        [ "$status" -eq 2 ] || fail_with "$args: exit $status"
        [ -z "$output" ]
        [[ "$stderr" == *"try 'ev-cost --help'"* ]] || fail_with "$args: $stderr"
    done
}

@test "--prices replaces the installed table" {
    run --separate-stderr ev-cost --prices "$PRICES" <<<"$(call gpt-4o-mini 1 1)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no price for model 'gpt-4o-mini'"* ]]
}

@test "--prices given twice combines the tables, the later row winning" {
    echo '{"model":"small","input":3,"output":3}' >"$BATS_TEST_TMPDIR/more.jsonl"
    run --separate-stderr ev-cost --prices "$PRICES" --prices "$BATS_TEST_TMPDIR/more.jsonl" \
        <<<"$(printf '%s\n' "$(call small 1000000 0)" "$(call nobatch 1000000 0)")"
    [ "$status" -eq 0 ]
    [ "$(field .cost.input | tr '\n' ' ')" = "3 1 " ]
}

@test "EV_PRICES names the table when --prices is not given, and --prices wins over it" {
    EV_PRICES="$PRICES" run --separate-stderr ev-cost <<<"$(call small 1000000 0)"
    [ "$status" -eq 0 ]
    expect '.cost.input' '1'
    echo '{"model":"small","input":5,"output":5}' >"$BATS_TEST_TMPDIR/p.jsonl"
    EV_PRICES="$PRICES" run --separate-stderr ev-cost --prices "$BATS_TEST_TMPDIR/p.jsonl" \
        <<<"$(call small 1000000 0)"
    expect '.cost.input' '5'
    EV_PRICES="$BATS_TEST_TMPDIR/missing.jsonl" run --separate-stderr ev-cost </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot open price table '$BATS_TEST_TMPDIR/missing.jsonl'"* ]]
}

@test "a malformed price table is an error naming file:line, before any record is read" {
    run --separate-stderr ev-cost --prices "$FIXTURES/cost-bad-prices.jsonl" <<<"$(call small 1 1)"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == "ev-cost: $FIXTURES/cost-bad-prices.jsonl:3: cannot parse price row: "* ]]
}

@test "every kind of bad price row is reported with its line and what is wrong" {
    t="$BATS_TEST_TMPDIR/t.jsonl"
    check() {
        printf '%s\n' "$@" >"$t"
        run --separate-stderr ev-cost --prices "$t" </dev/null
        [ "$status" -eq 2 ] || fail_with "exit $status for $*"
        [ -z "$output" ]
    }
    check '{"model":"a","input":1}'
    [[ "$stderr" == *"t.jsonl:1: 'a' needs both 'input' and 'output' prices" ]]
    check '{"model":"a","input":-1,"output":1}'
    [[ "$stderr" == *"t.jsonl:1: 'input' is not a price per million tokens (a number from 0 to 1000000)" ]]
    check '{"model":"a","input":1,"output":"2"}'
    [[ "$stderr" == *"t.jsonl:1: 'output' is not a price"* ]]
    check '{"model":"a","input":1,"output":1}' '{"model":"b","input":1,"output":1,"aliases":["a"]}'
    [[ "$stderr" == *"t.jsonl:2: 'a' is already priced on line 1" ]]
    check '{"model":"a","input":1,"output":1,"batch":2}'
    [[ "$stderr" == *"t.jsonl:1: 'batch' is not a price factor above 0 and at most 1" ]]
    check '{"model":"a","input":1,"output":1,"tiers":{"above":5}}'
    [[ "$stderr" == *"t.jsonl:1: 'tiers' is not an array of {above, input, output}" ]]
    check '{"model":"a","input":1,"output":1,"tiers":[{"input":2,"output":2}]}'
    [[ "$stderr" == *"t.jsonl:1: tier 1 has no 'above' (a number of prompt tokens)" ]]
    check '{"model":"a","input":1,"output":1}' '{"as_of":"2026-01-01"}'
    [[ "$stderr" == *"t.jsonl:2: price row has no 'model' (only the first line may hold the table's metadata)" ]]
    check '{"input":1,"output":1}'
    [[ "$stderr" == *"t.jsonl:1: price row has no 'model'" ]]
    check '{"currency":"dollars"}' '{"model":"a","input":1,"output":1}'
    [[ "$stderr" == *"t.jsonl:1: 'currency' is not a three-letter code such as 'USD': 'dollars'" ]]
    check '[1,2]'
    [[ "$stderr" == *"t.jsonl:1: price row is array, not an object" ]]
    check '{"as_of":"2026-01-01"}'
    [[ "$stderr" == *"price table '$t' prices no model" ]]
}

@test "tables in different currencies are not combined" {
    printf '%s\n' '{"currency":"EUR"}' '{"model":"e","input":1,"output":1}' >"$BATS_TEST_TMPDIR/eur.jsonl"
    run --separate-stderr ev-cost --prices "$PRICES" --prices "$BATS_TEST_TMPDIR/eur.jsonl" </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"price table '$BATS_TEST_TMPDIR/eur.jsonl' is in EUR, but '$PRICES' is in USD" ]]
    # On its own, a table in euros prices in euros.
    run --separate-stderr ev-cost --prices "$BATS_TEST_TMPDIR/eur.jsonl" <<<"$(call e 1000000 0)"
    expect '[.cost.input, .cost.currency]' '[1,"EUR"]'
}

@test "the default table is found beside the program's directory, else the error says where it looked" {
    [ -e /usr/local/share/ev/prices.jsonl ] && skip "a table is installed in /usr/local/share/ev"
    mkdir -p "$BATS_TEST_TMPDIR/tree/bin"
    cp "$EV_BUILD_BIN/ev-cost" "$BATS_TEST_TMPDIR/tree/bin/"
    run --separate-stderr ev_exec "$BATS_TEST_TMPDIR/tree/bin/ev-cost" </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no price table found (looked in "*"'$BATS_TEST_TMPDIR/tree/data/prices.jsonl'); give one with --prices FILE or EV_PRICES"* ]]
    mkdir "$BATS_TEST_TMPDIR/tree/data"
    cp "$PRICES" "$BATS_TEST_TMPDIR/tree/data/prices.jsonl"
    run --separate-stderr ev_exec "$BATS_TEST_TMPDIR/tree/bin/ev-cost" <<<"$(call small 1000000 0)"
    [ "$status" -eq 0 ]
    expect '.cost.input' '1'
}

@test "the installed table is dated, names a source for every row, and says to verify it" {
    table="$BATS_TEST_DIRNAME/../data/prices.jsonl"
    run jq -e 'select(.as_of) | (.as_of | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")) and (.note | test("verify"))' <(head -n 1 "$table")
    [ "$status" -eq 0 ]
    run jq -se '.[1:] | all(.source | test("^https://")) and all(.[] | select(.kind == null); .input >= 0 and .output >= 0)' "$table"
    [ "$status" -eq 0 ]
    for m in gpt-6.2-sol gpt-6.1-terra gpt-6-luna gpt-5.6-sol gpt-4o gpt-4o-mini gpt-4.1 \
        ft:gpt-4o-mini claude-fable-5-2 claude-opus-5-5 claude-sonnet-5-5 claude-haiku-5-5 \
        claude-haiku-4-5 gemini-4-argon gemini-3.8-flash gemini-3.5-flash \
        accounts/fireworks/models/gpt-oss-20b; do
        run --separate-stderr ev-cost --prices "$table" <<<"$(call "$m" 1 1)"
        [ "$status" -eq 0 ] || fail_with "$m: $stderr"
    done
    # Open models sold by several hosts are priced at the host named.
    for host in together groq deepinfra; do
        run --separate-stderr ev-cost --prices "$table" --provider "$host" <<<"$(call openai/gpt-oss-20b 1 1)"
        [ "$status" -eq 0 ] || fail_with "$host: $stderr"
    done
    run jq -se '[.[] | select(.model == "gpt-4o-mini")][0].training' "$table"
    [ "$output" = 3 ]
}

# --- batch and currency ------------------------------------------------------

@test "--batch applies the row's batch factor" {
    # small 1,000,000 in and out: 1 + 2 = 3, at half price 1.5.
    run --separate-stderr ev-cost --prices "$PRICES" --batch <<<"$(call small 1000000 1000000)"
    [ "$status" -eq 0 ]
    expect '[.cost.input, .cost.output, .cost.total]' '[0.5,1,1.5]'
    [[ "$stderr" == *"total 1.5 USD at batch rates"* ]]
}

@test "--batch on a row without a batch factor prices at the standard rate and warns once" {
    run --separate-stderr ev-cost --prices "$PRICES" -b \
        <<<"$(printf '%s\n' "$(call nobatch 1000000 0)" "$(call nobatch 1000000 0)")"
    [ "$status" -eq 0 ]
    [ "$(field .cost.input | tr '\n' ' ')" = "1 1 " ]
    [ "$(grep -c "no batch discount known for 'nobatch'; priced at the standard rate" <<<"$stderr")" -eq 1 ]
}

@test "--currency and --rate convert every amount and name the currency" {
    # gpt-6.1-terra 1000/500 = 0.001 + 0.0025 USD; at 0.79 GBP per USD:
    # 0.00079 + 0.001975 = 0.002765 GBP.
    run --separate-stderr ev-cost --currency gbp --rate 0.79 <<<"$(call gpt-6.1-terra 1000 500)"
    [ "$status" -eq 0 ]
    expect '.cost' '{"input":0.00079,"output":0.001975,"total":0.002765,"currency":"GBP"}'
    [[ "$stderr" == *"total 0.002765 GBP"* ]]
}

@test "--currency without --rate is a usage error that says no rates are fetched" {
    run --separate-stderr ev-cost --currency GBP </dev/null
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"ev-cost: --currency needs --rate"*"works offline and fetches no exchange rates"* ]]
    [[ "$stderr" == *"try 'ev-cost --help'"* ]]
}

@test "--rate alone, a currency that is not a code, and a rate that is not above 0 are usage errors" {
    for args in "--rate 0.79" "--currency pounds --rate 0.79" "--currency GBP --rate 0" \
        "--currency GBP --rate -1" "--currency GBP --rate x"; do
        run --separate-stderr ev-cost $args </dev/null
        [ "$status" -eq 2 ] || fail_with "$args: exit $status"
        [[ "$stderr" == *"try 'ev-cost --help'"* ]] || fail_with "$args: $stderr"
    done
}

@test "amounts are rounded to 1e-9 so that sums print without float noise" {
    # Ten records of 1 input token at 0.1 per M: 10 x 1e-7 = 1e-6 exactly.
    for i in 1 2 3 4 5 6 7 8 9 10; do
        echo '{"call":{"model":"m","input_tokens":1,"output_tokens":1}}'
    done >"$BATS_TEST_TMPDIR/ten.jsonl"
    run --separate-stderr ev-cost --price-in 0.1 --price-out 0.2 --summary "$BATS_TEST_TMPDIR/ten.jsonl"
    expect '[.cost.input, .cost.output, .cost.total]' '[1e-06,2e-06,3e-06]'
    # Records with no id and no input to derive one are each a case of their own.
    expect '[.cases, .cost.per_case]' '[10,3e-07]'
}

# --- the summary line and --summary -------------------------------------------

@test "a summary line on stderr counts the records and gives the total and the prices' date; --quiet silences it" {
    run --separate-stderr ev-cost "$FIXTURES/cost-run.jsonl"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 5 ]
    [ "$stderr" = "ev-cost: 5 records, 4 priced, 1 without token usage, 0 not priced; total 0.01075 USD (prices as of 2026-12-05)" ]
    run --separate-stderr ev-cost -q "$FIXTURES/cost-run.jsonl"
    [ -z "$stderr" ]
}

@test "--summary prints one JSON object with totals, per case and per model" {
    # m1 gpt-6.1-terra (1 in, 0.05 cached, 5 out) 1000/500: 0.001 + 0.0025
    # m2 snapshot 2000 in (1000 cached)/100: 1000 x 1 + 1000 x 0.05 = 0.00105, 0.0005
    # m3 failed, no usage: unknown
    # c1 claude-haiku-4-5 (1 in, 0.1 cached, 5 out), 3000 in of which 2000
    #    cached / 200: 0.001 + 0.0002 = 0.0012, 0.001
    # m1 again (a second sample): 0.001 + 0.0025
    # input 0.00425, output 0.0065, total 0.01075; 3 cases (m1, m2, c1):
    # 0.003583333 per case, 0.0026875 per record.
    run --separate-stderr ev-cost --summary "$FIXTURES/cost-run.jsonl"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    expect '[.records, .priced, .unknown, .errors, .cases, .complete]' '[5,4,1,0,3,false]'
    expect '[.input_tokens, .output_tokens, .cached_tokens]' '[7000,1300,3000]'
    expect '.cost' '{"input":0.00425,"output":0.0065,"total":0.01075,"per_record":0.0026875,"per_case":0.003583333}'
    expect '.models | keys_unsorted' '["gpt-6.1-terra","gpt-6.1-terra-2026-09-29","claude-haiku-4-5-20251001"]'
    expect '.models["gpt-6.1-terra"] | [.records, .priced, .unknown, .cost.total, .priced_as]' '[3,2,1,0.007,"gpt-6.1-terra"]'
    expect '.models["claude-haiku-4-5-20251001"] | [.priced_as, .as_of, .source]' '["claude-haiku-4-5","2026-12-05","https://platform.claude.com/docs/en/models"]'
    expect '[.currency, .batch, (.prices[0].as_of)]' '["USD",false,"2026-12-05"]'
}

@test "--summary --format tsv prints a header, one row per model and a total row" {
    run --separate-stderr ev-cost --summary --format tsv "$FIXTURES/cost-run.jsonl"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(printf 'model\tpriced_as\trecords\tpriced\tunknown\terrors\tinput_tokens\toutput_tokens\tcached_tokens\tinput_cost\toutput_cost\ttotal_cost\tcurrency')" ]
    [ "${lines[1]}" = "$(printf 'gpt-6.1-terra\tgpt-6.1-terra\t3\t2\t1\t0\t2000\t1000\t0\t0.002\t0.005\t0.007\tUSD')" ]
    [ "${lines[3]}" = "$(printf 'claude-haiku-4-5-20251001\tclaude-haiku-4-5\t1\t1\t0\t0\t3000\t200\t2000\t0.0012\t0.001\t0.0022\tUSD')" ]
    [ "${lines[4]}" = "$(printf '(total)\t\t5\t4\t1\t0\t7000\t1300\t3000\t0.00425\t0.0065\t0.01075\tUSD')" ]
    [ "${#lines[@]}" -eq 5 ]
}

@test "--summary --format table aligns columns and states the cost per case, what is missing and the prices' date" {
    run --separate-stderr ev-cost -s -f table "$FIXTURES/cost-run.jsonl"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "model "*"records"*"priced"*"unknown"*"errors"*"input tok"*"output tok"*"cost USD" ]]
    [[ "$output" == *"(total) "*"5"*"4"*"1"*"0"*"7000"*"1300"*"0.010750"* ]]
    # 0.0026875 per record is a hair below that in binary: 0.002687.
    [[ "$output" == *"cost per case 0.003583 USD over 3 cases (0.002687 per record)"* ]]
    [[ "$output" == *"1 record without token usage is not in the total"* ]]
    [[ "$output" == *"prices as of 2026-12-05; verify them against each row's source before budgeting"* ]]
}

@test "--summary --format markdown prints a pipe table" {
    run --separate-stderr ev-cost -s -f markdown "$FIXTURES/cost-run.jsonl"
    [ "${lines[0]}" = "| model | records | priced | unknown | errors | input tok | output tok | cost USD |" ]
    [ "${lines[1]}" = "|---|--:|--:|--:|--:|--:|--:|--:|" ]
    [ "${lines[2]}" = "| gpt-6.1-terra | 3 | 2 | 1 | 0 | 2000 | 1000 | 0.007000 |" ]
}

@test "--summary of nothing priced gives a null cost, not 0, and of no input one object of zeros, with exit 2" {
    run --separate-stderr ev-cost --summary "$FIXTURES/cases.jsonl"
    [ "$status" -eq 2 ]
    expect '[.records, .priced, .unknown, .cost.total, .cost.per_case, .complete]' '[6,0,6,null,null,false]'
    [[ "$stderr" == *"no record was priced (6 without token usage, 0 not priced): there is no cost to report"* ]]
    run --separate-stderr ev-cost --summary </dev/null
    [ "$status" -eq 2 ]
    expect '[.records, .cost.total, .complete, .models]' '[0,null,true,{}]'
    expect '.no_evidence' '"no records: there is no cost to report"'
}

@test "--summary with no record priced, of errors only or of no input, says so in every format and exits 2" {
    for f in json table markdown tsv; do
        run --separate-stderr ev-cost -s -f "$f" --prices "$PRICES" <<<"$(call foo 1 1)"
        [ "$status" -eq 2 ] || fail_with "$f: exit $status"
        [[ "$stderr" == *"no record was priced (0 without token usage, 1 not priced): there is no cost to report"* ]]
        run --separate-stderr ev-cost -s -f "$f" --prices "$PRICES" </dev/null
        [ "$status" -eq 2 ] || fail_with "$f: exit $status on no input"
        [[ "$stderr" == *"no records: there is no cost to report"* ]]
    done
    run --separate-stderr ev-cost -s -f table --prices "$PRICES" <<<"$(call foo 1 1)"
    [[ "$output" == *$'\nno record was priced (0 without token usage, 1 not priced): there is no cost to report'* ]]
    run --separate-stderr ev-cost -s -f tsv --prices "$PRICES" <<<"$(call foo 1 1)"
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "(total)" { print $10 "|" $11 "|" $12 }')" = "||" ]
    # one priced record is enough for a total
    run --separate-stderr ev-cost -s --prices "$PRICES" <<<"$(printf '%s\n' "$(call small 1000000 0)" "$(call foo 1 1)")"
    [ "$status" -eq 2 ]
    [[ "$stderr" != *"no cost to report"* ]]
    expect 'has("no_evidence")' 'false'
}

@test "--summary still exits 2 when a model has no price, and counts it as an error" {
    run --separate-stderr ev-cost -s --prices "$PRICES" \
        <<<"$(printf '%s\n' "$(call small 1000000 0)" "$(call foo 1 1)")"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:2: no price for model 'foo'"* ]]
    expect '[.records, .priced, .errors, .complete, .cost.total, .models.foo.priced_as]' '[2,1,1,false,1,null]'
}

@test "--summary with --batch and --currency reports the converted batch total" {
    # small 1,000,000 in and out = 3 USD, batch 1.5, at 2 XYZ per USD: 3.
    run --separate-stderr ev-cost -s -b --currency XYZ --rate 2 --prices "$PRICES" \
        <<<"$(call small 1000000 1000000)"
    expect '[.cost.total, .currency, .batch]' '[3,"XYZ",true]'
}

# --- estimates -------------------------------------------------------------

# cost-cases.jsonl, by the rule bytes / 4 rounded up + 3 per message + 3:
#   e1 "abcdefgh" (8 bytes): 2 + 3 + 3 = 8; expected "abcd": 1
#   e2 system "abc" + user "abcdefg" (3 + 1 + 7 = 11 bytes joined): 3 + 6 + 3 = 12;
#      expected 9 bytes: 3
#   e3 messages, user "abcdefghijkl" (12 bytes): 3 + 3 + 3 = 9; expected "ab": 1
# input 29 tokens, output 5; on small (1 in, 2 out): 0.000029 + 0.00001.

@test "--estimate prices cases from prompt and expected lengths, labelled as an estimate with its assumptions" {
    run --separate-stderr ev-cost --estimate -m small --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    expect '[.estimate, .model, .priced_as, .cases, .calls, .input_tokens, .output_tokens]' '[true,"small","small",3,3,29,5]'
    expect '.cost' '{"input":0.000029,"output":0.00001,"total":0.000039,"per_case":0.000013}'
    expect '[.complete, .headline, .currency]' '[true,"low","USD"]'
    expect '.range' '{"low":{"output_tokens":5,"total":0.000039,"basis":"expected"},"high":{"output_tokens":null,"total":null,"basis":"unbounded"}}'
    [ "$(rfield '.assumptions[]' | head -n 1)" = "input tokens: UTF-8 bytes of the prompt / 4, rounded up, plus 3 per message and 3 per prompt" ]
    [[ "$(rfield '.assumptions[]')" == *"output tokens: as long as 'expected' (bytes / 4, rounded up)"* ]]
    [[ "$(rfield '.assumptions[]')" == *"each case called once"* ]]
    [[ "$(rfield '.assumptions[]')" == *"standard rates, no batch discount"* ]]
    [[ "$(rfield '.assumptions[]')" == *"prices of 'small' as of 2026-01-01 from https://example.com/small; verify them before budgeting"* ]]
}

@test "--estimate --max-tokens takes the worst case and gives the range from expected lengths" {
    # --max-tokens 2: low outputs min(1,2) + min(3,2) + min(1,2) = 4 -> 29 + 8 = 0.000037;
    # high 3 x 2 = 6 -> 29 + 12 = 0.000041, the headline.
    run --separate-stderr ev-cost -e -m small --max-tokens 2 --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "$status" -eq 0 ]
    expect '[.output_tokens, .cost.output, .cost.total, .max_tokens]' '[6,0.000012,0.000041,2]'
    expect '.range' '{"low":{"output_tokens":4,"total":0.000037,"basis":"expected"},"high":{"output_tokens":6,"total":0.000041,"basis":"max_tokens"}}'
    expect '.headline' '"high"'
    [[ "$(rfield '.assumptions[]')" == *"output tokens: 2 per call (--max-tokens), the worst case"* ]]
}

@test "--estimate --repeat multiplies calls, tokens and cost" {
    run --separate-stderr ev-cost -e -m small --repeat 3 --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    expect '[.cases, .calls, .repeat, .input_tokens, .output_tokens, .cost.total]' '[3,9,3,87,15,0.000117]'
    [[ "$(rfield '.assumptions[]')" == *"each case called 3 times (--repeat)"* ]]
}

@test "--estimate --system opens every case that has no system message; --system-file reads it" {
    # "abcdefgh": 2 + 3 tokens more for e1 and e3 (e2 has its own): 29 + 10 = 39.
    run --separate-stderr ev-cost -e -m small --system abcdefgh --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    expect '.input_tokens' '39'
    [[ "$(rfield '.assumptions[]')" == *"a system message of 8 bytes opens every case whose input has none"* ]]
    printf 'abcdefgh\n' >"$BATS_TEST_TMPDIR/system.txt"
    run --separate-stderr ev-cost -e -m small --system-file "$BATS_TEST_TMPDIR/system.txt" --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    expect '.input_tokens' '39'
    run --separate-stderr ev-cost -e -m small --system-file "$BATS_TEST_TMPDIR/none.txt" --prices "$PRICES" </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot open '$BATS_TEST_TMPDIR/none.txt'"* ]]
}

@test "--estimate prices a case over a prompt-size tier at the tier's rates, and says so" {
    # A 4,004-byte system message is 1001 + 3 tokens: e1 1012 and e3 1013 pass
    # big's tier (20/80); e2 keeps its own system message: 12 at 10/40.
    # input 1012 x 20 + 12 x 10 + 1013 x 20 = 40620 -> 0.04062
    # output 1 x 80 + 3 x 40 + 1 x 80 = 280 -> 0.00028; total 0.0409.
    head -c 4004 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/long.txt"
    run --separate-stderr ev-cost -e -m big --system-file "$BATS_TEST_TMPDIR/long.txt" --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    expect '[.input_tokens, .cost.input, .cost.output, .cost.total]' '[2037,0.04062,0.00028,0.0409]'
    [[ "$(rfield '.assumptions[]')" == *"2 cases over the prompt-size tier of 'big', priced at the tier's rates"* ]]
}

@test "--estimate with --batch and --currency says so in its assumptions" {
    run --separate-stderr ev-cost -e -m small -b --currency EUR --rate 2 --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    # 0.000039 at half price, times 2: 0.000039.
    expect '[.cost.total, .currency, .batch]' '[0.000039,"EUR",true]'
    [[ "$(rfield '.assumptions[]')" == *"batch rates: 0.5 of the standard price"* ]]
    [[ "$(rfield '.assumptions[]')" == *"converted at 2 EUR per USD, a rate given by the user (--rate)"* ]]
}

@test "--estimate without --max-tokens says that cases without expected make the figure too low" {
    printf '%s\n' '{"input":"abcd","expected":"abcd"}' '{"input":"abcd"}' >"$BATS_TEST_TMPDIR/c.jsonl"
    run --separate-stderr ev-cost -e -m small --prices "$PRICES" "$BATS_TEST_TMPDIR/c.jsonl"
    [ "$status" -eq 0 ]
    expect '[.complete, .output_tokens]' '[false,1]'
    [[ "$(rfield '.assumptions[]')" == *"1 case without 'expected': its output is not counted, so the figure is too low"* ]]
    [[ "$stderr" == *"1 case without 'expected': its output is not in the estimate; give --max-tokens for the worst case"* ]]
    # With --max-tokens it is counted at the limit, at both ends: 1 + 5 and 5 + 5.
    run --separate-stderr ev-cost -e -m small --max-tokens 5 --prices "$PRICES" "$BATS_TEST_TMPDIR/c.jsonl"
    expect '[.complete, .range.low.output_tokens, .range.high.output_tokens]' '[true,6,10]'
}

@test "--estimate --format table labels the estimate, the range and the assumptions" {
    run --separate-stderr ev-cost -e -m small --max-tokens 2 -f table --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ESTIMATE for 3 cases on small (3 calls), before any call is made" ]
    [[ "$output" == *"input "*"29"*"0.000029"* ]]
    [[ "$output" == *"total "*"0.000041"* ]]
    [[ "$output" == *"range: 0.000037 USD (answers as long as 'expected') to 0.000041 USD (answers of --max-tokens)"* ]]
    [[ "$output" == *"assumptions:"*"  - input tokens: UTF-8 bytes of the prompt / 4"* ]]
}

@test "--estimate always shows its range, low to high, and says which end its total is" {
    run --separate-stderr ev-cost -e -m small -f table --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "$status" -eq 0 ]
    [[ "$output" == *"range: 0.000039 USD (answers as long as 'expected') to no upper bound (answers of any length: --max-tokens sets one); the total is the low end, an optimistic figure"* ]]
    run --separate-stderr ev-cost -e -m small -f markdown --max-tokens 2 --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [[ "$output" == *"range: 0.000037 USD (answers as long as 'expected') to 0.000041 USD (answers of --max-tokens); the total is the high end, the worst case"* ]]
    run --separate-stderr ev-cost -e -m small -f tsv --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "${lines[1]}" = "$(printf 'true\tsmall\t3\t3\t29\t5\t0.000029\t0.00001\t0.000039\t0.000039\t\tUSD')" ]
}

@test "--estimate --format tsv prints a header and one row" {
    run --separate-stderr ev-cost -e -m small --max-tokens 2 -f tsv --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "${lines[0]}" = "$(printf 'estimate\tmodel\tcases\tcalls\tinput_tokens\toutput_tokens\tinput_cost\toutput_cost\ttotal_cost\tlow_total\thigh_total\tcurrency')" ]
    [ "${lines[1]}" = "$(printf 'true\tsmall\t3\t3\t29\t6\t0.000029\t0.000012\t0.000041\t0.000037\t0.000041\tUSD')" ]
}

@test "--estimate --format markdown prints a pipe table" {
    run --separate-stderr ev-cost -e -m small -f markdown --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "${lines[0]}" = "### ESTIMATE for 3 cases on small (3 calls), before any call is made" ]
    [[ "$output" == *"| input | 29 | 0.000029 |"* ]]
    [[ "$output" == *"- each case called once"* ]]
}

@test "--estimate with --price-in needs no table or model" {
    EV_PRICES=/nonexistent run --separate-stderr ev-cost -e --price-in 1 --price-out 2 "$FIXTURES/cost-cases.jsonl"
    [ "$status" -eq 0 ]
    expect '[.cost.total, .priced_as]' '[0.000039,null]'
    [[ "$(rfield '.assumptions[]')" == *"prices from the command line: 1 input, 2 output per million tokens"* ]]
}

@test "--estimate needs a model it can price, and reports cases with no input" {
    run --separate-stderr ev-cost -e --prices "$PRICES" </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--estimate needs --model"*"try 'ev-cost --help'"* ]]
    run --separate-stderr ev-cost -e -m nope --prices "$PRICES" "$FIXTURES/cost-cases.jsonl"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"no price for model 'nope'; add it with --prices or --price-in/--price-out"* ]]
    printf '%s\n' '{"input":"abcd","expected":"a"}' '{"id":"empty"}' >"$BATS_TEST_TMPDIR/c.jsonl"
    run --separate-stderr ev-cost -e -m small --prices "$PRICES" "$BATS_TEST_TMPDIR/c.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"c.jsonl:2: case has no 'input' to estimate from"* ]]
    expect '.cases' '1'
}

@test "--estimate on the installed table: gpt-6.1-terra over the example run" {
    # 10 cases of examples/run-small.jsonl; just check it runs and is labelled.
    run --separate-stderr ev-cost -e -m gpt-6.1-terra "$EXAMPLES/run-small.jsonl"
    [ "$status" -eq 0 ]
    expect '[.estimate, .cases, .priced_as]' '[true,10,"gpt-6.1-terra"]'
}

# --- options and conventions -------------------------------------------------

@test "options that belong to another mode are usage errors" {
    for args in "--max-tokens 5" "--repeat 2" "--system hi" "--system-file /dev/null" \
        "--format json" "--summary --estimate -m small" \
        "--estimate -m small --system a --system-file /dev/null"; do
        run --separate-stderr ev-cost --prices "$PRICES" $args </dev/null
        [ "$status" -eq 2 ] || fail_with "$args: exit $status"
        [ -z "$output" ] || fail_with "$args wrote $output"
        [[ "$stderr" == *"try 'ev-cost --help'"* ]] || fail_with "$args: $stderr"
    done
}

@test "numbers are range-checked" {
    for args in "-e -m small --max-tokens 0" "-e -m small --max-tokens 5x" "-e -m small --repeat 0" \
        "-e -m small --repeat x" "--price-in -1 --price-out 1" "--price-in 1 --price-out 1e9" \
        "--price-in nan --price-out 1" "-s --format yaml" "--model="; do
        run --separate-stderr ev-cost --prices "$PRICES" $args </dev/null
        [ "$status" -eq 2 ] || fail_with "$args: exit $status"
        [[ "$stderr" == *"try 'ev-cost --help'"* ]] || fail_with "$args: $stderr"
    done
}

@test "reads standard input with - or no operand, and several files in order" {
    run --separate-stderr ev-cost --prices "$PRICES" - <<<"$(call small 1000000 0)"
    expect '.cost.input' '1'
    call small 2000000 0 >"$BATS_TEST_TMPDIR/a.jsonl"
    call small 3000000 0 >"$BATS_TEST_TMPDIR/b.jsonl"
    run --separate-stderr ev-cost --prices "$PRICES" "$BATS_TEST_TMPDIR/a.jsonl" - "$BATS_TEST_TMPDIR/b.jsonl" \
        <<<"$(call small 1000000 0)"
    [ "$(field .cost.input | tr '\n' ' ')" = "2 1 3 " ]
}

@test "a malformed line is reported as file:line, the good records are priced and the exit is 2" {
    run --separate-stderr ev-cost "$FIXTURES/malformed.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-cost: $FIXTURES/malformed.jsonl:2: cannot parse record"* ]]
    [[ "$stderr" == *"malformed.jsonl:4: record is an array, not an object"* ]]
    [ "$(rfield .id | tr '\n' ' ')" = "a c d " ]
    [ "$(rfield .cost.unknown | sort -u)" = "no token usage" ]
}

@test "cases without calls, as in the contract fixtures, are unknown cost and exit 0" {
    run --separate-stderr ev-cost "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 6 ]
    [ "$(rfield .cost.unknown | sort -u)" = "no token usage" ]
    run --separate-stderr ev-cost </dev/null
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ -z "$stderr" ]
}

@test "a failed write to stdout is an error with exit 2" {
    run --separate-stderr bash -c "ev-cost '$FIXTURES/cost-run.jsonl' >/dev/full"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-cost: cannot write standard output"* ]]
    run --separate-stderr bash -c "ev-cost -s '$FIXTURES/cost-run.jsonl' >/dev/full"
    [ "$status" -eq 2 ]
    run --separate-stderr bash -c "ev-cost -e -m gpt-6.1-terra '$FIXTURES/cost-cases.jsonl' >/dev/full"
    [ "$status" -eq 2 ]
}

@test "--help prints usage to stdout and --version the version" {
    run --separate-stderr ev-cost --help
    [ "$status" -eq 0 ]
    [[ "$output" == "usage: ev-cost "* ]]
    for opt in --model --prices --price-in --price-out --price-cached --batch --currency --rate \
        --summary --estimate --max-tokens --repeat --system --system-file --format --quiet \
        --help --version; do
        [[ "$output" == *"$opt "* ]] || fail_with "--help does not mention $opt"
    done
    [ -z "$stderr" ]
    run --separate-stderr ev-cost --version
    [[ "$output" == "ev-cost (ev) "[0-9]* ]]
}

@test "the man page documents every option that --help lists" {
    run ev-cost --help
    for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
        grep -qE -- "^\.It .*Fl (. , )?-${opt#--}( |\$)" "$BATS_TEST_DIRNAME/../man/ev-cost.1" ||
            fail_with "man page lacks $opt"
    done
}

@test "score.judge is priced at the judge model's prices, as cost.judge and in the summary" {
    printf '%s\n' \
        '{"id":"a","call":{"model":"m","input_tokens":1000000,"output_tokens":0},"score":{"pass":true,"judge":{"provider":"openai","model":"j","input_tokens":1000000,"output_tokens":1000000,"cached_tokens":0}}}' \
        '{"id":"b","call":{"model":"m","input_tokens":1000000,"output_tokens":0}}' \
        >"$BATS_TEST_TMPDIR/judged.jsonl"
    printf '%s\n' '{"model":"m","input":1,"output":2}' '{"model":"j","input":3,"output":5}' \
        >"$BATS_TEST_TMPDIR/prices.jsonl"
    run --separate-stderr ev-cost -q --prices "$BATS_TEST_TMPDIR/prices.jsonl" "$BATS_TEST_TMPDIR/judged.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field '[.cost.total, .cost.judge]' | tr -d '\n')" = '[1,8][1,null]' ]
    run --separate-stderr ev-cost -s -f json --prices "$BATS_TEST_TMPDIR/prices.jsonl" "$BATS_TEST_TMPDIR/judged.jsonl"
    [ "$(field '[.cost.total, .cost.judge, .judge.priced, .judge.input_tokens]')" = '[2,8,1,1000000]' ]
    [ "$(field '.models | keys')" = '["m"]' ]
    run --separate-stderr ev-cost -s -f table --prices "$BATS_TEST_TMPDIR/prices.jsonl" "$BATS_TEST_TMPDIR/judged.jsonl"
    [[ "$output" == *"judging cost 8.000000 USD more for 1 judged record"* ]]
    # a judge model without a price is an error for its record, which keeps its call's cost
    printf '%s\n' '{"model":"m","input":1,"output":2}' >"$BATS_TEST_TMPDIR/prices.jsonl"
    run --separate-stderr ev-cost -q --prices "$BATS_TEST_TMPDIR/prices.jsonl" "$BATS_TEST_TMPDIR/judged.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"judged.jsonl:1: no price for judge model 'j'"* ]]
    [ "$(field '[.cost.total, .cost.judge]' | head -n 1)" = '[1,null]' ]
}

# --- providers, fine-tunes and shutdowns (issue 15) ----------------------------

@test "a model sold by several providers is priced at the one --provider names, and is ambiguous without it" {
    # openai/gpt-oss-20b, 1,000,000 in and out: Together 0.05 + 0.20, Groq
    # 0.075 + 0.30, DeepInfra 0.03 + 0.14 (data/prices.jsonl).
    run --separate-stderr ev-cost --provider together <<<"$(call openai/gpt-oss-20b 1000000 1000000)"
    [ "$status" -eq 0 ]
    expect '.cost.total' '0.25'
    run --separate-stderr ev-cost --provider groq <<<"$(call openai/gpt-oss-20b 1000000 1000000)"
    expect '.cost.total' '0.375'
    run --separate-stderr ev-cost --provider deepinfra <<<"$(call openai/gpt-oss-20b 1000000 1000000)"
    expect '.cost.total' '0.17'
    # call.provider is the protocol (openai), which sells no such model here.
    run --separate-stderr ev-cost <<<"$(call openai/gpt-oss-20b 1 1 0 openai)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: 'openai/gpt-oss-20b' is sold by several providers (deepinfra, groq, together): say which with --provider"* ]]
}

@test "a model sold by one provider in the table is priced without --provider" {
    # accounts/fireworks/models/gpt-oss-20b: 0.07 in, 0.30 out.
    run --separate-stderr ev-cost <<<"$(call accounts/fireworks/models/gpt-oss-20b 1000000 1000000)"
    [ "$status" -eq 0 ]
    expect '.cost.total' '0.37'
}

@test "Together and Fireworks fine-tunes are named as served on dedicated capacity only, with no per-token price" {
    run --separate-stderr ev-cost <<<"$(call accounts/acme/models/llama-support-v2 1 1)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'accounts/acme/models/llama-support-v2' is a Fireworks fine-tune: Fireworks serves fine-tuned models only on dedicated (on-demand) deployments, billed by the hour, not per token"* ]]
    [ "$(jq -c '.cost' <<<"$output")" = null ]
    run --separate-stderr ev-cost <<<"$(call acme/Meta-Llama-3.1-8B-Instruct-Reference-support-5f3a2b 1 1)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"is a Together fine-tune of 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo': Together serves fine-tuned models only on dedicated endpoints"* ]]
    # A Together base model of another organisation is not taken for a fine-tune.
    run --separate-stderr ev-cost <<<"$(call meta-llama/Llama-3.3-70B-Instruct-Turbo-Free 1 1)"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no price for model 'meta-llama/Llama-3.3-70B-Instruct-Turbo-Free'"* ]]
}

@test "a model past its shutdown is priced, and the summary notes the shutdown" {
    # gpt-4-turbo shut down on 2026-10-23 (openai's deprecations page).
    run --separate-stderr ev-cost -s <<<"$(call gpt-4-turbo 1000 100)"
    [ "$status" -eq 0 ]
    expect '.notes' '["'"'"'gpt-4-turbo'"'"' (openai) shut down on 2026-10-23"]'
    [[ "$stderr" == *"ev-cost: 'gpt-4-turbo' (openai) shut down on 2026-10-23"* ]]
    run --separate-stderr ev-cost -s -f table <<<"$(call gpt-4-turbo 1000 100)"
    [[ "$output" == *"'gpt-4-turbo' (openai) shut down on 2026-10-23"* ]]
    # No note for a current model.
    run --separate-stderr ev-cost -s <<<"$(call gpt-6.1-terra 1000 100)"
    expect '.notes' '[]'
}

@test "the seed's small model, Llama 3.1 8B on Together, is priced from its last row and noted as gone" {
    # 0.18 in and out per M (Together, last seen serverless before 2026-04-07).
    run --separate-stderr ev-cost -s --provider together <<<"$(call meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo 1000000 1000000)"
    [ "$status" -eq 0 ]
    expect '.cost.total' '0.36'
    expect '.notes' '["'"'"'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'"'"' (together) was no longer in together'"'"'s catalog on 2026-04-07"]'
}

# --- hosting: the cost of owning the small model (issue 15) --------------------

# hosted_run: four cases of a Together fine-tune of Llama 3.1 8B, 500 ms a call;
# big_run: the same four cases on gpt-6.2-sol, 1000 in and 200 out each.
hosted_run() {
    for i in 1 2 3 4; do
        printf '{"id":"c%s","call":{"provider":"openai","model":"acme/Meta-Llama-3.1-8B-Instruct-Reference-support-5f3a2b","latency_ms":500,"input_tokens":1000,"output_tokens":200}}\n' "$i"
    done >"$BATS_TEST_TMPDIR/hosted.jsonl"
    for i in 1 2 3 4; do
        printf '{"id":"c%s","call":{"provider":"openai","model":"gpt-6.2-sol","latency_ms":900,"input_tokens":1000,"output_tokens":200}}\n' "$i"
    done >"$BATS_TEST_TMPDIR/big.jsonl"
}

@test "--hosting at an endpoint row prices a run per case and per day, and gives the break-even against a per-token baseline" {
    hosted_run
    # together-1x-h100-80gb, 3.99 an hour: 95.76 a day. One replica at 4 calls
    # at once, 0.5 s a call: 86400 x 4 / 0.5 = 691200 cases a day, so one
    # replica serves 10,000: 95.76 / 10000 = 0.009576 a case. gpt-6.2-sol:
    # 1000 x 2 + 200 x 10 per M = 0.004 a case, 40 a day; break-even at
    # 95.76 / 0.004 = 23940 cases a day.
    run --separate-stderr ev-cost --hosting together-1x-h100-80gb --traffic 10000 --concurrency 4 \
        --baseline "$BATS_TEST_TMPDIR/big.jsonl" "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 0 ]
    expect '[.hosting.per_hour, .hosting.provider, .capacity, .replicas, .daily_cost, .per_case]' '[3.99,"together",691200,1,95.76,0.009576]'
    expect '[.baseline.per_case, .baseline.daily_cost, .break_even, .cheaper]' '[0.004,40,23940,"baseline"]'
    # At 50,000 cases a day hosting is the cheaper: 95.76 against 200.
    run --separate-stderr ev-cost --hosting together-1x-h100-80gb --traffic 50000 --concurrency 4 \
        --baseline "$BATS_TEST_TMPDIR/big.jsonl" "$BATS_TEST_TMPDIR/hosted.jsonl"
    expect '[.per_case, .baseline.daily_cost, .cheaper]' '[0.0019152,200,"hosting"]'
}

@test "--hosting takes a price per hour; more traffic than a replica serves takes more replicas" {
    hosted_run
    # 10 an hour, concurrency 1: 86400 / 0.5 = 172800 cases a day a replica;
    # 200,000 a day needs 2 replicas: 480 a day, 0.0024 a case.
    run --separate-stderr ev-cost --hosting 10 --traffic 200000 "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 0 ]
    expect '[.hosting.endpoint, .capacity, .replicas, .daily_cost, .per_case, .baseline, .break_even]' '[null,172800,2,480,0.0024,null,null]'
    run --separate-stderr ev-cost --hosting 10 --traffic 200000 -f table "$BATS_TEST_TMPDIR/hosted.jsonl"
    [[ "$output" == *"capacity 172800 cases a day a replica (1 calls at once, 500 ms a call, 1.00 calls a case): 2 replicas"* ]]
    [[ "$output" == *"daily cost 480.00 USD, 0.002400 USD per case"* ]]
}

@test "--hosting: no break-even when a full replica costs more per case than the baseline" {
    hosted_run
    # 1000 an hour: 24000 a day over at most 172800 cases is 0.1389 a case,
    # above gpt-6.2-sol's 0.004.
    run --separate-stderr ev-cost --hosting 1000 --traffic 1000 --baseline "$BATS_TEST_TMPDIR/big.jsonl" -f table "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 0 ]
    [[ "$output" == *"no break-even: a full replica costs more per case than the baseline"* ]]
}

@test "--hosting errors: an unknown endpoint lists the table's, no --traffic, a run without latency" {
    hosted_run
    run --separate-stderr ev-cost --hosting h100 --traffic 1 "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--hosting takes a price per hour or an endpoint of the price table (together-1x-h100-80gb, "*"), not 'h100'"* ]]
    run --separate-stderr ev-cost --hosting 0 --traffic 1 "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--hosting takes a price per hour above 0, not '0'"* ]]
    run --separate-stderr ev-cost --hosting 4 "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--hosting needs --traffic"* ]]
    run --separate-stderr ev-cost --traffic 4 "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--traffic goes with --hosting"* ]]
    run --separate-stderr ev-cost --hosting 4 --traffic 4 "$FIXTURES/cases.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no call of the run has a 'call.latency_ms'"* ]]
    # A baseline that is not priced per token is no baseline.
    run --separate-stderr ev-cost --hosting 4 --traffic 4 --baseline "$BATS_TEST_TMPDIR/hosted.jsonl" "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"the baseline must be a run priced per token, every record"* ]]
}

@test "--currency, --rate and --rate-date: the rate and its date are printed with the figures" {
    hosted_run
    run --separate-stderr ev-cost --hosting together-1x-h100-80gb --traffic 10000 --concurrency 4 \
        --baseline "$BATS_TEST_TMPDIR/big.jsonl" --currency GBP --rate 0.5 --rate-date 2026-12-04 \
        "$BATS_TEST_TMPDIR/hosted.jsonl"
    [ "$status" -eq 0 ]
    # Everything at half: 1.995 an hour, 47.88 a day, 0.002 a case for the
    # baseline; the break-even does not move.
    expect '[.hosting.per_hour, .daily_cost, .baseline.per_case, .break_even, .currency]' '[1.995,47.88,0.002,23940,"GBP"]'
    expect '.rate' '{"rate":0.5,"currency":"GBP","from":"USD","date":"2026-12-04","note":"0.5 GBP per USD on 2026-12-04, a rate given by the user"}'
    run --separate-stderr ev-cost -s -f table --currency GBP --rate 0.5 "$BATS_TEST_TMPDIR/big.jsonl"
    [[ "$output" == *"converted at 0.5 GBP per USD, a rate given by the user"* ]]
    run --separate-stderr ev-cost -s --currency GBP --rate 0.5 "$BATS_TEST_TMPDIR/big.jsonl"
    expect '[.rate.date, .cost.total]' '[null,0.008]'
    run --separate-stderr ev-cost --rate-date 2026-12-04 </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--rate-date goes with --rate"* ]]
}

@test "--estimate of a model several providers sell needs --provider, and a dedicated-only fine-tune has none" {
    # 'hello there' (11 bytes): 3 + 3 + 3 = 9 input tokens; Groq's 0.075 per M.
    run --separate-stderr ev-cost -e -m openai/gpt-oss-20b --provider groq <<<'{"input":"hello there"}'
    [ "$status" -eq 0 ]
    expect '[.input_tokens, .cost.input]' '[9,6.75e-07]'
    run --separate-stderr ev-cost -e -m openai/gpt-oss-20b <<<'{"input":"hello there"}'
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'openai/gpt-oss-20b' is sold by several providers (deepinfra, groq, together): say which with --provider"* ]]
    run --separate-stderr ev-cost -e -m accounts/acme/models/x <<<'{"input":"hello there"}'
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"is a Fireworks fine-tune"*"price its run with --hosting"* ]]
}
