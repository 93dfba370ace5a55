#!/usr/bin/env bats
# ev-call --batch: the providers' batch APIs, against ev-mock's simulation of
# them. GET /stats on the mock proves how many batches were submitted.
load test_helper

CASES="$FIXTURES/call-cases.jsonl"

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL
}

teardown() {
    ev_mock_stop_all
}

start_mock() {
    ev_mock_start -q --cases "$CASES" "$@"
    BASE="$MOCK/v1"
}

# start_mock_held ARGS...: start_mock with batches that move only when they
# are looked at (--batch-advance poll).
start_mock_held() {
    start_mock --batch-advance poll "$@"
}

stats() {
    curl -sf "$MOCK/stats" | jq -c "$1"
}

# batch ARGS...: ev-call --batch against the mock, polling fast.
batch() {
    ev-call --batch --poll-interval 0.05 --base-url "$BASE" "$@"
}

# submit_in_background OUT ARGS...: start ev-call --batch ARGS in the
# background, its records to OUT, and wait until it says it submitted its
# batch; sets PID. ev-call itself is the background job, so signals reach it.
# It looks at its batch at most once an hour: under --batch-advance poll
# (start_mock_held) the batch is then still running whatever the machine's
# speed, and a later run's looks move it to its end.
submit_in_background() {
    local out=$1
    shift
    ev-call --batch --poll-interval 3600 --base-url "$BASE" "$@" "$CASES" \
        >"$out" 2>"$BATS_TEST_TMPDIR/err" &
    PID=$!
    wait_for_line "$BATS_TEST_TMPDIR/err" "submitted batch" "$PID"
}

state_files() {
    find "$EV_CACHE_DIR/batches" -name '*.json' -not -name '.*' 2>/dev/null | wc -l
}

@test "--batch answers every case through the OpenAI Batch API, in input order, as the synchronous API does" {
    start_mock
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 0 ] || fail_with "exit $status: $stderr"
    assert_jsonl <(printf '%s\n' "$output")
    [ "$(field '.id' | jq -sc .)" = "$(jq -c .id "$CASES" | jq -sc .)" ]
    [ "$(field '.call.batch | startswith("batch_")' | sort -u)" = true ]
    [ "$(field '.call.cached' | sort -u)" = false ]
    [ "$(field '.call.input_tokens > 0' | sort -u)" = true ]
    batched=$(field '[.id, .output]' | jq -sc 'sort')
    run --separate-stderr ev-call --no-cache -q -m small --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "$batched" = "$(field '[.id, .output]' | jq -sc 'sort')" ]
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
    [ "$(state_files)" -eq 0 ]
}

@test "--batch reports progress, the batch's id, and a summary on standard error" {
    # by poll, the first look sees the batch running whatever the machine's speed
    start_mock_held
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"submitted batch batch_"*"(1 of 1): 6 requests"* ]] || fail_with "$stderr"
    [[ "$stderr" == *"batch 0/1 ended;"*"requests done"* ]] || fail_with "$stderr"
    [[ "$stderr" != *$'\r'* ]] # lines, not a line redrawn in place: this is no terminal
    [[ "$stderr" == *"6 calls: 6 answered (0 from the cache), 0 failed, in 1 batch;"* ]] ||
        fail_with "$stderr"
    run --separate-stderr batch -q -m small "$CASES"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ] || fail_with "-q still wrote: $stderr"
}

@test "--batch-size splits the requests across batches, and a second run is answered from the cache" {
    start_mock
    run --separate-stderr batch -m small --batch-size 2 "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "$(stats '.batches.openai.batches_created')" = 3 ]
    [ "$(field '.call.batch' | sort -u | wc -l)" -eq 3 ]
    first=$(field '[.id, .output, .call.batch]')
    run --separate-stderr batch -m small --batch-size 2 "$CASES"
    [ "$status" -eq 0 ]
    [ "$(stats '.batches.openai.batches_created')" = 3 ]
    [ "$(field '.call.cached' | sort -u)" = true ]
    [ "$first" = "$(field '[.id, .output, .call.batch]')" ]
}

@test "--repeat sends each sample as its own request, named by id and sample" {
    start_mock
    run --separate-stderr batch -m small --repeat 2 --temperature 1 "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "${#lines[@]}" -eq 12 ]
    [ "$(field '.call.sample' | sort | uniq -c | awk '{print $1}' | sort -u)" = 6 ]
    [ "$(stats '.batches.openai.requests_answered')" = 12 ]
}

@test "a run killed while its batch runs resumes the same batch: it is never paid for twice" {
    start_mock_held
    submit_in_background /dev/null -m small
    pid=$PID
    kill -9 "$pid"
    wait "$pid" || true
    [ "$(state_files)" -eq 1 ]
    [ "$(find "$EV_CACHE_DIR" -path '*/batches' -prune -o -name '*.json' -print | wc -l)" -eq 0 ]
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [[ "$stderr" == *"found 1 batch of an earlier run"* ]] || fail_with "$stderr"
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
    [ "${#lines[@]}" -eq 6 ]
    [ "$(field 'has("output")' | sort -u)" = true ]
    [ "$(state_files)" -eq 0 ]
}

@test "a run killed after creating a batch but before keeping its id finds the batch by its file" {
    start_mock_held
    submit_in_background /dev/null -m small
    pid=$PID
    kill -9 "$pid"
    wait "$pid" || true
    f=$(find "$EV_CACHE_DIR/batches" -name '*.json')
    jq -c '.parts[0].batch = null' "$f" >"$f.new" && mv "$f.new" "$f"
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [[ "$stderr" == *"was made by an earlier run"* ]] || fail_with "$stderr"
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
    [ "$(field 'has("output")' | sort -u)" = true ]
}

@test "SIGINT while polling exits 130, writes nothing, and says how to resume" {
    start_mock_held
    submit_in_background "$BATS_TEST_TMPDIR/out" -m small
    pid=$PID
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    [ "$st" -eq 130 ] || fail_with "exit $st: $(cat "$BATS_TEST_TMPDIR/err")"
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
    grep -q "interrupted: the batches keep running at the provider; run the same command again" \
        "$BATS_TEST_TMPDIR/err"
    [ "$(state_files)" -eq 1 ]
}

@test "failed lines get an error and exit 3; a second run sends only those again" {
    # The fault picks lines by custom_id, and a run's custom_ids carry a hash
    # of its base URL, port included: which lines fail changes from run to
    # run. Of 40 lines at rate 0.5, some fail and some do not but for odds
    # of 2 in 2^40 (of 6 lines, 1 in 32 runs failed all or none).
    many="$FIXTURES/mock-cases.jsonl"
    start_mock -f batch-fail=0.5
    run --separate-stderr batch -m small "$many"
    [ "$status" -eq 3 ] || fail_with "exit $status: $stderr"
    nfail=$(field 'select(.error) | .error.kind' | grep -c http)
    [ "$nfail" -ge 1 ]
    [ "$nfail" -lt 40 ]
    [ "$(field 'select(.error) | .call.batch | startswith("batch_")' | sort -u)" = true ]
    [ "$(field 'select(.error) | has("output")' | sort -u)" = false ]
    [ "$(stats '.batches.openai.requests_answered')" = 40 ]
    run --separate-stderr batch -m small "$many"
    [ "$(stats '.batches.openai.requests_answered')" = $((40 + nfail)) ]
    [ "$(state_files)" -eq 0 ]
}

@test "requests a batch let expire get an error of kind timeout" {
    start_mock -f batch-expire=1
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 3 ]
    [ "$(field '.error.kind' | sort -u)" = '"timeout"' ]
}

@test "Anthropic's Message Batches API: the same flow, joined by custom_id" {
    start_mock
    run --separate-stderr batch -p anthropic -m small "$CASES"
    [ "$status" -eq 0 ] || fail_with "exit $status: $stderr"
    [ "$(field '.id' | jq -sc .)" = "$(jq -c .id "$CASES" | jq -sc .)" ]
    [ "$(field '.call.batch | startswith("msgbatch_")' | sort -u)" = true ]
    [ "$(field '.call.provider' | sort -u)" = '"anthropic"' ]
    batched=$(field '[.id, .output]' | jq -sc 'sort')
    run --separate-stderr ev-call --no-cache -q -p anthropic -m small --base-url "$BASE" "$CASES"
    [ "$batched" = "$(field '[.id, .output]' | jq -sc 'sort')" ]
    [ "$(stats '.batches.anthropic.batches_created')" = 1 ]
}

@test "an Anthropic batch whose id was not kept is found among the newest batches" {
    start_mock_held
    submit_in_background /dev/null -p anthropic -m small
    pid=$PID
    kill -9 "$pid"
    wait "$pid" || true
    f=$(find "$EV_CACHE_DIR/batches" -name '*.json')
    jq -c '.parts[0].batch = null' "$f" >"$f.new" && mv "$f.new" "$f"
    run --separate-stderr batch -p anthropic -m small "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "$(stats '.batches.anthropic.batches_created')" = 1 ]
    [ "$(field 'has("output")' | sort -u)" = true ]
}

@test "custom_ids suit both providers whatever the case ids are" {
    start_mock
    printf '%s\n' '{"id":"a b/c","input":"x"}' '{"id":"a_b_c","input":"y"}' '{"input":"z"}' \
        '{"id":7,"input":"w"}' >"$BATS_TEST_TMPDIR/odd.jsonl"
    run --separate-stderr batch -p anthropic -m small "$BATS_TEST_TMPDIR/odd.jsonl"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "${#lines[@]}" -eq 4 ]
    [ "$(field '.input')" = "$(jq -c .input "$BATS_TEST_TMPDIR/odd.jsonl")" ]
}

@test "ev-cost prices answers of a batch at batch rates" {
    start_mock
    batch -q -m gpt-4o-mini "$CASES" >"$BATS_TEST_TMPDIR/b.jsonl"
    ev-call -q --no-cache -m gpt-4o-mini --base-url "$BASE" "$CASES" >"$BATS_TEST_TMPDIR/s.jsonl"
    b=$(ev-cost -q "$BATS_TEST_TMPDIR/b.jsonl" | jq -s 'map(.cost.total) | add')
    s=$(ev-cost -q "$BATS_TEST_TMPDIR/s.jsonl" | jq -s 'map(.cost.total) | add')
    jq -en "$s > 0 and ($b * 2 - $s | fabs) < 1e-9" >/dev/null || fail_with "batch $b, sync $s"
    # stderr apart: a note that the model shuts down must not spoil the JSON.
    run --separate-stderr ev-cost --summary --format json "$BATS_TEST_TMPDIR/b.jsonl"
    [ "$(jq .batch_priced <<<"$output")" = 6 ]
}

@test "a refused key stops the run before anything is submitted, and the key appears nowhere" {
    export GOOD=sk-good-123 OPENAI_API_KEY=sk-canary-batch-987
    start_mock --require-key-env GOOD
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"cannot upload the batch's requests: HTTP 401"* ]] || fail_with "$stderr"
    [[ "$stderr" != *sk-canary-batch-987* ]]
    ! grep -r sk-canary-batch-987 "$EV_CACHE_DIR" 2>/dev/null
    [ "$(stats '.batches.openai.batches_created')" = 0 ]
}

@test "--batch refuses what it cannot do, before anything is sent" {
    run --separate-stderr ev-call --batch -p cmd -c cat "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--batch needs a provider's batch API"* ]]
    run --separate-stderr ev-call --batch --no-cache -m x "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--batch needs the cache"* ]]
    run --separate-stderr ev-call --batch --dry-run -m x "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"do not apply to --batch"* ]]
    run --separate-stderr ev-call --batch --allow-insecure-http -m x "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"do not apply to --batch"* ]]
    run --separate-stderr ev-call --batch-size 3 -m x "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"go with --batch"* ]]
    run --separate-stderr ev-call --poll-interval 3 -m x "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"go with --batch"* ]]
    run --separate-stderr ev-call --batch --batch-size 50001 -m x "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"holds at most 50000"* ]]
}

@test "ev-score's judge goes through a batch with --judge-opt=--batch, and grades as it does without" {
    start_mock --judge grader
    ev-call -q -m small --base-url "$BASE" "$CASES" >"$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-score -q --judge fact --judge-model grader --judge-base-url "$BASE" \
        --judge-opt=--batch --judge-opt=--poll-interval=0.05 "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$status" -eq 0 ] || fail_with "exit $status: $stderr"
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
    [ "$(stats '.batches.openai.requests_answered')" = 6 ]
    batched=$(field '[.id, .score.pass, .score.label]')
    [ "$(field '.score.scorer' | sort -u)" = '"judge:fact"' ]
    [ "$(field '.score.judge.batch' | sort -u)" = 1 ]
    printf '%s\n' "$output" | jq -c '.call.model = "gpt-4o-mini" | .score.judge.model = "gpt-4o-mini"' \
        >"$BATS_TEST_TMPDIR/judged.jsonl"
    jb=$(ev-cost -q "$BATS_TEST_TMPDIR/judged.jsonl" | jq -s 'map(.cost.judge) | add')
    js=$(jq -c '.score.judge.batch = 0' "$BATS_TEST_TMPDIR/judged.jsonl" | ev-cost -q |
        jq -s 'map(.cost.judge) | add')
    jq -en "$js > 0 and ($jb * 2 - $js | fabs) < 1e-9" >/dev/null || fail_with "batch $jb, sync $js"
    run --separate-stderr ev-score -q --judge fact --judge-model grader --judge-base-url "$BASE" \
        --judge-opt=--no-cache "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$status" -eq 0 ]
    [ "$batched" = "$(field '[.id, .score.pass, .score.label]')" ]
}

@test "a state that cannot be read stops the run: it may name batches already paid for" {
    start_mock_held
    submit_in_background /dev/null -m small
    kill -9 "$PID"
    wait "$PID" || true
    f=$(find "$EV_CACHE_DIR/batches" -name '*.json')
    echo 'not json' >"$f"
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"cannot read the batch state '$f'"*"nothing is sent"* ]] || fail_with "$stderr"
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
}

@test "a state left by a killed run is removed once every answer is in the cache" {
    start_mock_held
    submit_in_background /dev/null -m small
    kill -9 "$PID"
    wait "$PID" || true
    [ "$(state_files)" -eq 1 ]
    ev-call -q -m small --base-url "$BASE" "$CASES" >/dev/null
    run --separate-stderr batch -m small "$CASES"
    [ "$status" -eq 0 ]
    [ "$(field '.call.cached' | sort -u)" = true ]
    [ "$(state_files)" -eq 0 ]
}

@test "long ids that share their start still make distinct custom_ids of at most 64 bytes" {
    start_mock
    long=$(printf 'x%.0s' $(seq 1 80))
    for i in 1 2 3; do
        jq -nc --arg id "$long/$i" --arg q "question $i" '{id: $id, input: $q}'
    done >"$BATS_TEST_TMPDIR/long.jsonl"
    run --separate-stderr batch -p anthropic -m small --repeat 2 --temperature 1 \
        "$BATS_TEST_TMPDIR/long.jsonl"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "${#lines[@]}" -eq 6 ]
    [ "$(field '.call.sample' | tr -d '\n')" = 010101 ]
    [ "$(stats '.batches.anthropic.requests_answered')" = 6 ]
}
