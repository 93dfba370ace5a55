#!/usr/bin/env bats
# ev-tune: checking training files, converting cases, and fine-tuning against
# ev-mock's simulated fine-tuning API or a local trainer. Each test that needs
# a server starts its own on a free port and stops it in teardown; a server
# that does not exit 0 (a sanitizer report, say) fails the test.
load test_helper

VALID="$FIXTURES/tune-valid.jsonl"
BAD="$FIXTURES/tune-bad.jsonl"
CASES="$FIXTURES/tune-cases.jsonl"
PRICES="$FIXTURES/tune-prices.jsonl"

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    unset OPENAI_API_KEY OPENAI_BASE_URL
    export EV_PRICES="$PRICES"
}

teardown() {
    ev_mock_stop_all
}

# start_mock ARGS...: start ev-mock; set MOCK (the server) and URL (the API).
start_mock() {
    ev_mock_start "$@"
    URL="$MOCK/v1"
}

# raw JQ: apply a jq filter to $output and print raw strings.
raw() {
    printf '%s\n' "$output" | jq -r "$1"
}

# requests: how many requests the newest ev-mock has seen.
requests() {
    curl -sS "$MOCK/stats" | jq .requests
}

# expected_tokens FILE: the tokens of each chat example of FILE by the rule
# ev-tune states, computed here on its own: ceil(bytes / 4) per string
# field, 3 per message, 1 more per name, 3 per example.
expected_tokens() {
    jq '[.messages[] | 3 + ([to_entries[] | select(.value | type == "string") |
            (.value | utf8bytelength + 3) / 4 | floor] | add) + (if has("name") then 1 else 0 end)] |
        add + 3' "$1"
}

@test "a valid chat file passes --check with exit 0 and a JSON report of its figures" {
    run --separate-stderr ev-tune --check "$VALID"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "$(field '[.valid, .valid_examples, .invalid_examples, .examples]')" = '[true,12,0,12]' ]
    [ "$(field '[.problems[]] | add')" = 0 ]
    expected_tokens "$VALID" | sort -n >"$BATS_TEST_TMPDIR/tokens"
    total=$(paste -sd+ "$BATS_TEST_TMPDIR/tokens" | bc)
    [ "$(field .tokens.total)" = "$total" ]
    [ "$(field .tokens.min)" = "$(head -n 1 "$BATS_TEST_TMPDIR/tokens")" ]
    [ "$(field .tokens.max)" = "$(tail -n 1 "$BATS_TEST_TMPDIR/tokens")" ]
    # 12 examples: the median is the mean of the 6th and 7th
    [ "$(field .tokens.median)" = "$(sed -n '6p;7p' "$BATS_TEST_TMPDIR/tokens" | jq -s 'add / 2')" ]
    [ "$(field '.messages | [.min, .median, .max]')" = '[2,3,4]' ]
    [ "$(field '.assistant_tokens | [.total, .min, .max]')" = "$(jq -s -c '[.[] |
        [.messages[] | select(.role == "assistant") | (.content | utf8bytelength + 3) / 4 | floor] | add] |
        [add, min, max]' "$VALID")" ]
    [ "$(field '[.missing_system, .missing_user, .over_token_limit]')" = '[4,0,0]' ]
    [ "$(field .billing_tokens)" = "$total" ]
}

@test "every validation check is reported as file:line with what is wrong, and --check exits 1" {
    run --separate-stderr ev-tune --check --max-example-tokens 50 "$BAD"
    [ "$status" -eq 1 ]
    for want in \
        "$BAD:2: cannot parse record" \
        "$BAD:3: record is an array, not an object" \
        "$BAD:4: no 'messages', and no 'input' to convert" \
        "$BAD:5: 'messages' is empty" \
        "$BAD:6: message 1 has no 'content'" \
        "$BAD:7: message 1 has unrecognized key 'mood'" \
        "$BAD:8: message 1 has unrecognized role 'bot'" \
        "$BAD:9: message 1 has empty content" \
        "$BAD:10: no assistant message" \
        "$BAD:11: case has no expected answer" \
        "$BAD:12: about 114 tokens, over the limit of 50"; do
        [[ "$stderr" == *"ev-tune: $want"* ]] || fail_with "missing '$want' in: $stderr"
    done
    [ "$(grep -c '^ev-tune: ' <<<"$stderr")" = 11 ]
    [ "$(field .problems)" = '{"data_type":2,"missing_messages_list":2,"message_missing_key":1,"message_unrecognized_key":1,"unrecognized_role":1,"missing_content":1,"example_missing_assistant_message":2,"example_over_token_limit":1,"too_few_examples":0}' ]
    [ "$(field '[.valid, .valid_examples, .invalid_examples]')" = '[false,10,11]' ]
    # the long example stays in the statistics, where it is over the limit
    [ "$(field '.over_token_limit')" = 1 ]
}

@test "fewer than 10 valid examples is a problem of the file" {
    head -n 9 "$VALID" >"$BATS_TEST_TMPDIR/nine.jsonl"
    run --separate-stderr ev-tune "$BATS_TEST_TMPDIR/nine.jsonl"
    [ "$status" -eq 1 ]
    [[ "$stderr" == "ev-tune: $BATS_TEST_TMPDIR/nine.jsonl: 9 valid examples, and at least 10 are required" ]]
    [ "$(field '[.valid, .problems.too_few_examples]')" = '[false,1]' ]
    run --separate-stderr ev-tune </dev/null
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"-: 0 valid examples"* ]]
}

@test "a file that cannot be read is trouble, with exit 2, and --check reads standard input" {
    run --separate-stderr ev-tune "$BATS_TEST_TMPDIR/missing.jsonl" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot open '$BATS_TEST_TMPDIR/missing.jsonl'"* ]]
    run --separate-stderr ev-tune - <"$VALID"
    [ "$status" -eq 0 ]
    [ "$(field .files)" = '["-"]' ]
}

@test "epochs follow the cookbook's heuristic unless --epochs is given, and the cost is the table's training price" {
    run --separate-stderr ev-tune -m tiny-model "$VALID"
    [ "$status" -eq 0 ]
    tokens=$(field .billing_tokens)
    # 12 examples: 3 x 12 = 36 < 100, so 100 / 12 = 8 epochs
    [ "$(field .epochs)" = 8 ]
    [[ "$(raw .epochs_rule)" == *"raised to 8"* ]]
    [ "$(field .training_tokens)" = $((tokens * 8)) ]
    [ "$(field '.cost | [.model, .training_per_million, .currency]')" = '["tiny-model",4,"USD"]' ]
    [ "$(field .cost.total)" = "$(jq -n "$tokens * 8 * 4 / 1000000")" ]
    [[ "$(raw .cost.note)" == *"row 'tiny-model', as of 2026-01-01"* ]]
    run --separate-stderr ev-tune -m tiny-model --epochs 2 "$VALID"
    [ "$(field '[.epochs, .training_tokens]')" = "[2,$((tokens * 2))]" ]
    [ "$(raw .epochs_rule)" = "given with --epochs" ]
    # 40 examples: 3 epochs
    for i in 1 2 3 4; do cat "$FIXTURES/tune-valid.jsonl"; done | head -n 40 >"$BATS_TEST_TMPDIR/forty.jsonl"
    run --separate-stderr ev-tune "$BATS_TEST_TMPDIR/forty.jsonl"
    [ "$(field .epochs)" = 3 ]
}

@test "a model without a training price, an unknown model or no model gets no cost, never an invented one" {
    run --separate-stderr ev-tune -m no-train "$VALID"
    [ "$status" -eq 0 ]
    [ "$(field '.cost | [.total, .training_per_million]')" = '[null,null]' ]
    [ "$(raw .cost.note)" = "the price table has no training price for 'no-train'" ]
    run --separate-stderr ev-tune -m nobody "$VALID"
    [ "$(raw .cost.note)" = "'nobody' is not in the price table" ]
    run --separate-stderr ev-tune "$VALID"
    [ "$(raw .cost.note)" = "no model given: -m MODEL prices the training" ]
    # a --prices file that cannot be read is trouble
    run --separate-stderr ev-tune -m tiny-model --prices "$BATS_TEST_TMPDIR/none.jsonl" "$VALID"
    [ "$status" -eq 2 ]
    # the installed table prices gpt-4o-mini's training
    unset EV_PRICES
    run --separate-stderr ev-tune -m gpt-4o-mini-2024-07-18 "$VALID"
    [ "$(field '.cost.training_per_million > 0 and .cost.total > 0')" = true ]
}

@test "--format table prints the report as a table" {
    run --separate-stderr ev-tune --format table -m tiny-model "$VALID"
    [ "$status" -eq 0 ]
    [[ "$output" == *"valid              yes"* ]]
    [[ "$output" == *"examples           12 valid, 0 invalid"* ]]
    [[ "$output" == *"epochs             8 (the cookbook's default: 3, raised to 8"* ]]
    [[ "$output" == *"training cost      about USD 0.0"* ]]
    run --separate-stderr ev-tune --format table --max-example-tokens 50 "$BAD"
    [ "$status" -eq 1 ]
    [[ "$output" == *"problems           data_type: 2"* ]]
}

@test "--convert writes chat examples from cases: input and expected, ideal, target, messages, and --system" {
    run --separate-stderr ev-tune --convert "$CASES"
    [ "$status" -eq 0 ]
    assert_jsonl <(printf '%s\n' "$output")
    [ "$(printf '%s\n' "$output" | sed -n 1p)" = '{"messages":[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris"}]}' ]
    [ "$(printf '%s\n' "$output" | jq -sc '[.[] | .messages[-1].content]')" = '["Paris","4","Red","{\"a\":1}","Hi"]' ]
    [ "$(printf '%s\n' "$output" | jq -sc '[.[] | keys]')" = '[["messages"],["messages"],["messages"],["messages"],["messages"]]' ]
    run --separate-stderr ev-tune --convert --system 'Be brief.' "$CASES"
    [ "$(printf '%s\n' "$output" | jq -sc '[.[] | .messages[0].content]')" = \
        '["Be brief.","Be brief.","Be brief.","Answer in JSON.","Be brief."]' ]
}

@test "--convert --to alpaca puts the system message in the instruction, and refuses a second turn" {
    run --separate-stderr ev-tune --convert --to alpaca "$CASES"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | sed -n 1p)" = '{"instruction":"What is the capital of France?","input":"","output":"Paris"}' ]
    [ "$(printf '%s\n' "$output" | sed -n 4p)" = '{"instruction":"Answer in JSON.","input":"Give me a=1.","output":"{\"a\":1}"}' ]
    run --separate-stderr ev-tune --convert --to alpaca "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"tune-valid.jsonl:10: cannot convert: alpaca holds one exchange"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" = 11 ]
}

@test "--convert --to sharegpt writes conversations of system, human and gpt" {
    run --separate-stderr ev-tune --convert --to sharegpt "$VALID"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | sed -n 1p)" = '{"conversations":[{"from":"system","value":"Answer with one word."},{"from":"human","value":"What is the capital of Italy?"},{"from":"gpt","value":"Rome"}]}' ]
    [ "$(printf '%s\n' "$output" | sed -n 10p | jq -c '[.conversations[].from]')" = '["human","gpt","human","gpt"]' ]
}

@test "--convert reports a line it cannot convert as file:line, writes the rest and exits 2" {
    run --separate-stderr ev-tune --convert "$BAD"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"tune-bad.jsonl:2: cannot parse record"* ]]
    [[ "$stderr" == *"tune-bad.jsonl:4: cannot convert: no 'messages', and no 'input' to convert"* ]]
    [[ "$stderr" == *"tune-bad.jsonl:11: cannot convert: case has no expected answer"* ]]
    assert_jsonl <(printf '%s\n' "$output")
}

@test "--submit uploads, creates a job, follows it with its events, and writes one line naming the tuned model" {
    start_mock --job-ms 200
    expected=$(ev-tune "$VALID" | jq .training_tokens)
    run --separate-stderr ev-tune --submit -m gpt-4o-mini --suffix t1 --poll-ms 50 --base-url "$URL" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" = 1 ]
    [ "$(field 'keys_unsorted')" = '["job_id","status","fine_tuned_model","trained_tokens","training_file","model","provider"]' ]
    jid=$(raw .job_id)
    [[ "$jid" == ftjob-* ]]
    [ "$(field '[.status, .model]')" = '["succeeded","gpt-4o-mini"]' ]
    [ "$(raw .fine_tuned_model)" = "ft:gpt-4o-mini:ev-mock:t1:$jid" ]
    [[ "$(raw .training_file)" == file-* ]]
    # the server's trained tokens are ev-tune's estimate
    [ "$(field .trained_tokens)" = "$expected" ]
    [[ "$stderr" == *"ev-tune: uploaded the training file as '$(raw .training_file)'"* ]]
    [[ "$stderr" == *"ev-tune: $jid: Validating training file:"* ]]
    [[ "$stderr" == *"ev-tune: $jid: Fine-tuning job started"* ]]
    [[ "$stderr" == *"ev-tune: $jid: New fine-tuned model created: ft:gpt-4o-mini:ev-mock:t1:$jid"* ]]
    [[ "$stderr" == *"ev-tune: $jid: succeeded"* ]]
    # the uploaded file is the chat examples, with the name of the operand
    run curl -sS "$URL/files/$(raw .training_file)"
    [ "$(field '[.filename, .purpose]')" = '["tune-valid.jsonl","fine-tune"]' ]
    # OPENAI_BASE_URL is read when --base-url is not given; -q silences progress
    OPENAI_BASE_URL="$URL" run --separate-stderr ev-tune -q --submit -m small --epochs 2 --seed 7 --poll-ms 50 "$CASES" "$VALID"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    jid=$(raw .job_id)
    run curl -sS "$URL/fine_tuning/jobs/$jid"
    [ "$(field '[.hyperparameters.n_epochs, .seed]')" = '[2,7]' ]
}

@test "--submit refuses an invalid file before any request: exit 1, nothing sent" {
    start_mock
    run --separate-stderr ev-tune --submit -m small --base-url "$URL" "$BAD"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [[ "$stderr" == *"refusing to upload an invalid training file; nothing was sent"* ]]
    [ "$(requests)" = 0 ]
}

@test "--submit of a job that fails exits 1 with the provider's message, and the line says failed" {
    start_mock --fault job-fail=1 --job-ms 50
    run --separate-stderr ev-tune --submit -m small --poll-ms 30 --base-url "$URL" "$VALID"
    [ "$status" -eq 1 ]
    [ "$(field '[.status, .fine_tuned_model, .error.code]')" = '["failed",null,"server_error"]' ]
    [[ "$stderr" == *"job '$(raw .job_id)' failed: Fine-tuning job $(raw .job_id) failed due to an internal error (simulated by ev-mock's job-fail fault)."* ]]
}

@test "--submit with a missing or wrong key exits 2 with the provider's 401 message" {
    export TUNE_TEST_KEY=sk-right-0001
    start_mock --require-key-env TUNE_TEST_KEY
    run --separate-stderr ev-tune --submit -m small --base-url "$URL" "$VALID"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"cannot upload the training file: HTTP 401: You didn't provide an API key"* ]]
    OPENAI_API_KEY=sk-wrong-0002 run --separate-stderr ev-tune --submit -m small --base-url "$URL" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"HTTP 401: Incorrect API key provided"* ]]
    run --separate-stderr ev-tune -q --submit -m small --poll-ms 50 --api-key-env TUNE_TEST_KEY --base-url "$URL" "$VALID"
    [ "$status" -eq 0 ]
    printf 'sk-right-0001\n' >"$BATS_TEST_TMPDIR/key"
    run --separate-stderr ev-tune -q --submit -m small --poll-ms 50 --api-key-file "$BATS_TEST_TMPDIR/key" --base-url "$URL" "$VALID"
    [ "$status" -eq 0 ]
    curl -sS "$MOCK/stats" | jq -e '.by_outcome.unauthorized == 2'
}

@test "a canary API key never appears in output or diagnostics, even when the server quotes it" {
    export OPENAI_API_KEY=sk-canary-7f3a9c
    export MOCK_KEY=sk-other
    start_mock --require-key-env MOCK_KEY
    run --separate-stderr ev-tune --submit -m small --base-url "$URL" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$output$stderr" != *canary* ]]
    # the right key, through a whole job that fails
    MOCK_KEY=sk-canary-7f3a9c start_mock --require-key-env MOCK_KEY --fault job-fail=1 --job-ms 10
    run --separate-stderr ev-tune --submit -m small --poll-ms 20 --base-url "$URL" "$VALID"
    [ "$status" -eq 1 ]
    [[ "$output$stderr" != *canary* ]]
    # never over plain http to another host, and never through argv
    run --separate-stderr ev-tune --submit -m small --base-url http://example.invalid/v1 "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"refusing to send the API key over plain http to 'example.invalid'"* ]]
    [[ "$stderr" != *canary* ]]
    run ev-tune --api-key sk-canary-7f3a9c
    [ "$status" -eq 2 ]
    [[ "$output" != *canary* ]]
}

@test "--timeout gives up following a job, names it, and exits 2 without cancelling it" {
    # a job of an hour, which no machine is slow enough to see end
    start_mock --job-ms 3600000
    run --separate-stderr ev-tune --submit -m small --poll-ms 100 --timeout 0.5 --base-url "$URL" "$VALID"
    [ "$status" -eq 2 ]
    jid=$(raw .job_id)
    [[ "$(raw .status)" =~ ^(validating_files|queued|running)$ ]]
    [[ "$stderr" == *"gave up after 0.5 s: job '$jid'"* ]]
    [[ "$stderr" == *"'ev-tune --resume $jid' follows it again, 'ev-tune --cancel $jid' cancels it"* ]]
    run curl -sS "$URL/fine_tuning/jobs/$jid"
    [ "$(raw .status)" != cancelled ]
}

@test "--resume follows a job created earlier to its end, and --cancel cancels one" {
    # by poll, a job ends on its third GET: the first follower gives up
    # after one, and the resumed one sees it to the end
    start_mock --job-advance poll
    jid=$(ev-tune -q --submit -m small --poll-ms 100 --timeout 0.05 --base-url "$URL" "$VALID" | jq -r .job_id) || true
    [[ "$jid" == ftjob-* ]]
    [ "$(curl -sS "$MOCK/stats" | jq -c '.fine_tuning.by_status.succeeded')" = 0 ]
    run --separate-stderr ev-tune --resume "$jid" --poll-ms 50 --base-url "$URL"
    [ "$status" -eq 0 ]
    [ "$(field '[.job_id, .status]')" = "[\"$jid\",\"succeeded\"]" ]
    [[ "$stderr" == *"$jid: Validating training file"* ]]
    start_mock --job-ms 3600000
    jid=$(ev-tune -q --submit -m small --poll-ms 100 --timeout 0.05 --base-url "$URL" "$VALID" | jq -r .job_id) || true
    run --separate-stderr ev-tune --cancel "$jid" --base-url "$URL"
    [ "$status" -eq 0 ]
    [ "$(field '[.job_id, .status]')" = "[\"$jid\",\"cancelled\"]" ]
    run --separate-stderr ev-tune --cancel "$jid" --base-url "$URL"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"HTTP 400"* ]]
    run --separate-stderr ev-tune --resume ftjob-nope --base-url "$URL"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"HTTP 404"* ]]
}

@test "SIGINT while following a job stops, names the job, exits 130 and leaves the job running" {
    start_mock --job-ms 3600000
    ev-tune --submit -m small --poll-ms 100 --base-url "$URL" "$VALID" \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
    pid=$!
    wait_for_line "$BATS_TEST_TMPDIR/err" 'created job' "$pid"
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    [ "$st" -eq 130 ]
    jid=$(jq -r .job_id "$BATS_TEST_TMPDIR/out")
    grep -q "interrupted while following job '$jid'" "$BATS_TEST_TMPDIR/err"
    grep -q "was not cancelled and goes on at the provider" "$BATS_TEST_TMPDIR/err"
    run curl -sS "$URL/fine_tuning/jobs/$jid"
    [[ "$(raw .status)" =~ ^(validating_files|queued|running)$ ]]
}

@test "--cmd runs a local trainer with the training file as \$1 and takes the model from its last line" {
    cat >"$BATS_TEST_TMPDIR/trainer.sh" <<'EOF'
#!/bin/sh
echo "training on $(wc -l <"$1") examples in $EV_TRAIN_FORMAT for $EV_EPOCHS epochs of $EV_BASE_MODEL"
echo "a progress line" >&2
[ "$1" = "$EV_TRAIN_FILE" ] || exit 3
cp "$1" "$OUT_COPY"
echo "local/$EV_BASE_MODEL-tuned"
EOF
    chmod +x "$BATS_TEST_TMPDIR/trainer.sh"
    export OUT_COPY="$BATS_TEST_TMPDIR/copy.jsonl"
    run --separate-stderr ev-tune --cmd "$BATS_TEST_TMPDIR/trainer.sh \"\$1\"" --env OUT_COPY \
        -m llama-1b "$VALID"
    [ "$status" -eq 0 ]
    [ "$output" = "{\"job_id\":null,\"status\":\"succeeded\",\"fine_tuned_model\":\"local/llama-1b-tuned\",\"trained_tokens\":null,\"training_file\":\"$VALID\",\"model\":\"llama-1b\"}" ]
    [[ "$stderr" == *"training on 12 examples in chat for 8 epochs of llama-1b"* ]]
    [[ "$stderr" == *"a progress line"* ]]
    cmp "$OUT_COPY" "$VALID"
    # cases are converted to a temporary file in --to's format, removed afterwards
    run --separate-stderr ev-tune --cmd 'cp "$1" "$OUT_COPY"; echo "$1"' --env 'OUT_*' \
        --to sharegpt "$CASES" "$VALID"
    [ "$status" -eq 0 ]
    tmp=$(raw .fine_tuned_model)
    [ "$(raw .training_file)" = null ]
    [ ! -e "$tmp" ]
    [ "$(head -n 1 "$OUT_COPY")" = '{"conversations":[{"from":"human","value":"What is the capital of France?"},{"from":"gpt","value":"Paris"}]}' ]
    [ "$(wc -l <"$OUT_COPY")" = 17 ]
    # an example the format cannot hold makes the training file invalid
    run --separate-stderr ev-tune --cmd 'echo model' --to alpaca "$CASES" "$VALID"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"tune-valid.jsonl:10: cannot write as alpaca: alpaca holds one exchange"* ]]
}

@test "--cmd with a trainer that fails, or names no model, exits 1 with its last lines" {
    run --separate-stderr ev-tune --cmd 'echo step 1; echo "out of memory" >&2; exit 4' "$VALID"
    [ "$status" -eq 1 ]
    [ "$(field '[.status, .fine_tuned_model, .error.code]')" = '["failed",null,"trainer_failed"]' ]
    [[ "$stderr" == *"the trainer failed with status 4; its last lines:"* ]]
    [[ "$stderr" == *"ev-tune:   out of memory"* ]]
    run --separate-stderr ev-tune --cmd 'echo "" ; true' "$VALID"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"the trainer printed no model name"* ]]
    run --separate-stderr ev-tune --cmd 'echo model' "$BAD"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [[ "$stderr" == *"refusing to train on an invalid training file"* ]]
}

@test "the learner end to end: tuning on a tag's cases makes the tuned model better on that tag than its base" {
    jq -cn '(range(40) | {id: "t\(.)", input: "Target question \(.)?", expected: "T\(.)", tags: ["target"]})' \
        >"$BATS_TEST_TMPDIR/cases.jsonl"
    # 200 training cases of the tag: the 40 cases, five times over
    for i in 1 2 3 4 5; do cat "$BATS_TEST_TMPDIR/cases.jsonl"; done >"$BATS_TEST_TMPDIR/train.jsonl"
    start_mock --cases "$BATS_TEST_TMPDIR/cases.jsonl" --learner small --model-accuracy big=0.6 --job-ms 50
    run --separate-stderr ev-tune -q --submit -m small --suffix loop --poll-ms 30 --base-url "$URL" "$BATS_TEST_TMPDIR/train.jsonl"
    [ "$status" -eq 0 ]
    tuned=$(raw .fine_tuned_model)
    right() {
        local n=0 q e a
        while IFS=$'\t' read -r q e; do
            a=$(curl -sS "$URL/chat/completions" \
                -d "$(jq -cn --arg m "$1" --arg q "$q" '{model: $m, messages: [{role: "user", content: $q}]}')" |
                jq -r '.choices[0].message.content')
            [ "$a" = "$e" ] && n=$((n + 1))
        done < <(jq -r '[.input, .expected] | @tsv' "$BATS_TEST_TMPDIR/cases.jsonl")
        echo "$n"
    }
    base=$(right small)
    after=$(right "$tuned")
    big=$(right big)
    [ "$after" -gt "$base" ] || fail_with "base $base, tuned $after of 40"
    [ "$after" -ge 18 ] || fail_with "tuned $after of 40"
    [ "$big" -ge 16 ] && [ "$big" -le 32 ] || fail_with "big $big of 40"
}

@test "bad options and combinations are usage errors with exit 2 and a hint" {
    for args in '--submit' '--epochs 0' '--epochs 51' '--to xml' '--format x' '--suffix a:b' \
        '--max-example-tokens 0' '--poll-ms 0' '--timeout -1' '--seed -1' '--check --convert' \
        '--resume j file' '--submit -m m --to alpaca' '--check --to sharegpt' \
        '--api-key-env A --api-key-file B' '--submit -m m --api-key-env TUNE_UNSET_VAR'; do
        run --separate-stderr ev-tune $args </dev/null
        [ "$status" -eq 2 ] || fail_with "ev-tune $args exited $status"
        [ -z "$output" ] || fail_with "ev-tune $args wrote to stdout"
        [[ "$stderr" == *"try 'ev-tune --help'"* ]] || fail_with "ev-tune $args: $stderr"
    done
}

@test "--help names every mode and states the token rule" {
    run --separate-stderr ev-tune --help
    [ "$status" -eq 0 ]
    for word in --check --convert --submit --cmd --resume --cancel 'ceil(bytes / 4)'; do
        [[ "$output" == *"$word"* ]] || fail_with "no '$word' in --help"
    done
}
