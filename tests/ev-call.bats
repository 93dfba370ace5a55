#!/usr/bin/env bats
# ev-call: every case to a model and back, against ev-mock on a free port.
# GET /stats on the mock proves what was (and was not) sent.
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

# start_mock ARGS...: start a quiet ev-mock; set PORT and BASE.
start_mock() {
    ev_mock_start -q "$@"
    BASE="$MOCK/v1"
}

# stats FILTER: a jq filter applied to the mock's /stats.
stats() {
    curl -sf "http://127.0.0.1:$PORT/stats" | jq -c "$1"
}

reset_stats() {
    curl -sf -X POST "http://127.0.0.1:$PORT/stats/reset" >/dev/null
}

# cases N: N one-line cases with ids k1..kN.
cases() {
    seq 1 "$1" | jq -c '{id: "k\(.)", input: "Question number \(.)?"}'
}

entries() {
    find "$EV_CACHE_DIR" -name '*.json' -not -name '.*' 2>/dev/null | wc -l
}

now_ms() {
    date +%s%3N
}

# wait_for CONDITION: wait until the shell CONDITION holds; a minute, which
# only a run that hangs would take, fails the test.
wait_for() {
    local i
    for ((i = 0; i < 1200; i++)); do
        eval "$1" && return 0
        sleep 0.05
    done
    fail_with "still not so after a minute: $1"
}

# The contract every filter keeps, run against the mock.

@test "ev-call writes nothing and exits 0 on empty input" {
    start_mock
    run --separate-stderr ev-call -m m --base-url "$BASE" </dev/null
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(stats .requests)" = 0 ]
}

@test "a malformed line is reported as file:line, the good records are answered and the exit is 2" {
    start_mock
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$FIXTURES/call-malformed.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-call: $FIXTURES/call-malformed.jsonl:2: cannot parse record"* ]]
    [ "$(field .id | tr -d '"' | paste -sd' ')" = "a c" ]
    [ "$(field '.output | type' | sort -u)" = '"string"' ]
}

@test "a full disk on stdout fails loudly with exit 2" {
    start_mock
    run --separate-stderr bash -c "ev-call -q -m m --base-url '$BASE' '$CASES' >/dev/full"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-call: cannot write standard output"* ]]
}

@test "stdout is JSONL in input order, each record with its bytes kept and output and call appended" {
    start_mock --cases "$CASES"
    ev-call -q -m small --base-url "$BASE" "$CASES" >"$BATS_TEST_TMPDIR/out"
    assert_jsonl "$BATS_TEST_TMPDIR/out"
    [ "$(jq -r .id "$BATS_TEST_TMPDIR/out" | paste -sd,)" = "c1,c2,c3,c4,c5,c6" ]
    # The original text is a prefix of each output line.
    paste -d '\n' "$CASES" "$BATS_TEST_TMPDIR/out" | while IFS= read -r in && IFS= read -r out; do
        [[ "$out" == "${in%\}},\"output\":"* ]] || fail_with "bytes changed: $in => $out"
    done
    run jq -c '[.output, .call.provider, .call.model, .call.attempts, .call.cached, .call.sample]' \
        "$BATS_TEST_TMPDIR/out"
    [ "${lines[0]}" = '["Paris","openai","small",1,false,0]' ]
    [ "${lines[3]}" = '["Tokyo","openai","small",1,false,0]' ]
    [ "$(jq -s 'map(.call | (.latency_ms | type) + (.input_tokens | type) + (.finish_reason)) | unique' \
        "$BATS_TEST_TMPDIR/out")" = "$(jq -nc '["numbernumberstop"]' | jq .)" ]
}

# Requests.

@test "--dry-run prints each openai request with the key redacted and sends nothing" {
    start_mock
    OPENAI_API_KEY=sk-canary-XYZ123 run --separate-stderr ev-call --dry-run -m gpt-x \
        --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 6 ]
    [ "$(stats .requests)" = 0 ]
    [[ "$output" != *canary* ]]
    run jq -c 'select(.id == "c1") | [.url, .headers.Authorization, .body]' <<<"$output"
    [ "$output" = "[\"$BASE/chat/completions\",\"[redacted]\",{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}],\"temperature\":0}]" ]
}

@test "a chat-format record sends its messages without the final assistant answer" {
    run --separate-stderr ev-call --dry-run -m m --base-url http://localhost:9/v1 "$CASES"
    [ "$(field 'select(.id == "c4") | .body.messages')" = '[{"role":"user","content":"What is the capital of Japan?"}]' ]
    [ "$(field 'select(.id == "c3") | .body.messages | map(.role)')" = '["system","user"]' ]
}

@test "anthropic: system messages move to the top-level system, max_tokens defaults to 1024, and the answer is read" {
    run --separate-stderr ev-call --dry-run -p anthropic -m claude --system 'Be terse.' \
        --base-url http://localhost:9/v1 "$CASES"
    [ "$status" -eq 0 ]
    run jq -c 'select(.id == "c3") | [.url, .headers["anthropic-version"], .body]' <<<"$output"
    [ "$output" = '["http://localhost:9/v1/messages","2023-06-01",{"model":"claude","max_tokens":1024,"system":"Be terse.\n\nAnswer in one word.","messages":[{"role":"user","content":"Name a primary colour."}],"temperature":0}]' ]

    start_mock --cases "$CASES"
    run --separate-stderr ev-call -q -p anthropic -m claude --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "$(field .output | paste -sd,)" = '"Paris","4","red","Tokyo","cat","5"' ]
    [ "$(field .call.finish_reason | sort -u)" = '"end_turn"' ]
    [ "$(stats '.by_path["/v1/messages"]')" = 6 ]
}

@test "max_completion_tokens goes to api.openai.com and max_tokens elsewhere, unless --max-tokens-field says" {
    OPENAI_API_KEY=sk-test run --separate-stderr ev-call --dry-run -m m --max-tokens 20 "$CASES"
    [ "$(field '.body.max_completion_tokens' | sort -u)" = 20 ]
    run --separate-stderr ev-call --dry-run -m m --max-tokens 20 --base-url http://localhost:8/v1 \
        "$CASES"
    [ "$(field '.body.max_tokens' | sort -u)" = 20 ]
    run --separate-stderr ev-call --dry-run -m m --max-tokens 20 --base-url http://localhost:8/v1 \
        --max-tokens-field max_completion_tokens "$CASES"
    [ "$(field '.body | has("max_tokens")' | sort -u)" = false ]
}

@test "--param merges JSON into the body, null removes a field, and bad JSON is a usage error" {
    run --separate-stderr ev-call --dry-run -m m --base-url http://localhost:9/v1 \
        --param 'response_format={"type":"json_object"}' --param temperature=null --seed 7 \
        --repeat 2 "$CASES"
    [ "$status" -eq 0 ]
    [ "$(field 'select(.id == "c1") | [.sample, .body.seed, .body.response_format.type, (.body | has("temperature"))]' | paste -sd' ')" = '[0,7,"json_object",false] [1,8,"json_object",false]' ]
    run --separate-stderr ev-call --dry-run -m m --param 'stop=[oops' "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--param 'stop': the value is not JSON"* ]]
}

@test "--template builds the prompt from fields, and an unknown placeholder names the file and the placeholder" {
    start_mock
    run --separate-stderr ev-call -q -m m --base-url "$BASE" --template "$FIXTURES/call-template.txt" \
        "$CASES"
    [ "$status" -eq 2 ]
    [ "$(field .id)" = '"c5"' ]
    [[ "$stderr" == *"$CASES:1: template '$FIXTURES/call-template.txt': the record has nothing for placeholder '{{meta.lang}}'"* ]]
    run --separate-stderr ev-call --dry-run -m m --base-url "$BASE" \
        --template "$FIXTURES/call-template.txt" "$CASES"
    [ "$(field 'select(.id == "c5") | .body.messages[0].content')" = "\"Answer in French, in one word: Translate 'chat' from French.\"" ]
    [ "$(stats .requests)" = 1 ]
}

@test "the cmd provider runs the command per case with the prompt on stdin, never in its arguments" {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"id":"x","input":"say $(touch pwned) `touch pwned2` \"dq\" '"'"'sq'"'"'"}' >in.jsonl
    run --separate-stderr ev-call -q -p cmd -c 'printf "%s|%s|" "$EV_ID" "$EV_SAMPLE"; cat' in.jsonl
    [ "$status" -eq 0 ]
    [ "$(field .output)" = "\"x|0|say \$(touch pwned) \`touch pwned2\` \\\"dq\\\" 'sq'\"" ]
    [ ! -e pwned ]
    [ ! -e pwned2 ]
    [ "$(field '[.call.provider, .call.model, .call.input_tokens]')" = '["cmd",null,null]' ]
}

@test "the cmd provider runs up to -j commands at once" {
    cd "$BATS_TEST_TMPDIR"
    cases 8 >in
    # Each command waits until all eight have started: every case can only
    # be answered if they ran at once (--timeout ends a wait that would not).
    run --separate-stderr ev-call -q --no-cache -j 8 --timeout 60 --retries 0 -p cmd \
        -c 'touch "started.$EV_ID"; while [ "$(ls started.* | wc -l)" -lt 8 ]; do sleep 0.01; done; cat' in
    [ "$status" -eq 0 ] || fail_with "$(field .error.message | sort -u)"
    [ "${#lines[@]}" -eq 8 ]
    [ "$(field 'has("output")' | sort -u)" = true ]
    # ... and never more: at no point of the log of starts and ends are
    # more than -j commands between the two.
    cases 6 >in
    run --separate-stderr ev-call -q --no-cache -j 2 -p cmd \
        -c 'echo start >>log; sleep 0.2; echo end >>log; cat' in
    [ "$status" -eq 0 ]
    [ "$(awk '/start/ { n++; if (n > max) max = n } /end/ { n-- } END { print max }' log)" -le 2 ]
    [ "$(grep -c start log)" -eq 6 ]
}

@test "a command that fails is an error record of kind cmd, one past --timeout is killed, and the exit is 3" {
    run --separate-stderr ev-call -q -p cmd -c 'exit 3' "$CASES"
    [ "$status" -eq 3 ]
    [ "$(field .error.kind | sort -u)" = '"cmd"' ]
    [ "$(field '.error.status' | sort -u)" = 3 ]
    [ "$(field 'has("output")' | sort -u)" = false ]
    # each command names its process; none may outlive ev-call
    cd "$BATS_TEST_TMPDIR"
    run --separate-stderr ev-call -q -p cmd -c 'echo $$ >>pids; exec sleep 3600' --timeout 0.3 \
        --retries 0 "$CASES"
    [ "$status" -eq 3 ]
    [ "$(field .error.kind | sort -u)" = '"timeout"' ]
    [ -s pids ]
    while read -r pid; do
        ! kill -0 "$pid" 2>/dev/null || fail_with "command $pid outlived its --timeout"
    done <pids
}

@test "a command that exits 75 (EX_TEMPFAIL) is retried" {
    cd "$BATS_TEST_TMPDIR"
    run --separate-stderr ev-call -q -p cmd --retries 2 \
        -c 'if [ -e flag ]; then cat; else touch flag; exit 75; fi' <<<'{"id":"t","input":"hi"}'
    [ "$status" -eq 0 ]
    [ "$(field '[.output, .call.attempts]')" = '["hi",2]' ]
}

# Faults: each case once, in order, answered after retries or an error.

@test "every retryable fault is retried and every case is answered once, in order, exit 0" {
    cases 12 >"$BATS_TEST_TMPDIR/in"
    for f in 429 500 502 503 529 reset truncated nonjson flat-error; do
        start_mock --fault "$f=0.5" --retry-after-ms 50
        run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
        [ "$status" -eq 0 ] || fail_with "$f: exit $status: $stderr"
        [ "$(field .id | tr -d '"k' | paste -sd,)" = "$(seq -s, 1 12)" ] || fail_with "$f: order"
        [ "$(field 'has("output") and (has("error") | not)' | sort -u)" = true ] ||
            fail_with "$f: not all answered"
        local req retried
        req=$(stats .requests)
        retried=$(printf '%s\n' "$output" | jq -s 'map(.call.attempts - 1) | add')
        [ "$retried" -gt 0 ] || fail_with "$f: nothing was retried"
        [ "$req" -eq $((12 + retried)) ] || fail_with "$f: $req requests for 12 cases + $retried retries"
    done
}

@test "a fault on every attempt ends in an error record after the retries, with exit 3" {
    cases 10 >"$BATS_TEST_TMPDIR/in"
    for f in 500:http truncated:parse reset:network; do
        start_mock --fault "${f%%:*}=0.3:all"
        run --separate-stderr ev-call -q --no-cache --retries 1 -m m --base-url "$BASE" \
            "$BATS_TEST_TMPDIR/in"
        [ "$status" -eq 3 ] || fail_with "$f: exit $status"
        [ "${#lines[@]}" -eq 10 ]
        [ "$(field .id | tr -d '"k' | paste -sd,)" = "$(seq -s, 1 10)" ]
        [ "$(field 'select(.error) | [.error.kind, .error.attempts, (.output == null)]' | sort -u)" = "[\"${f##*:}\",2,true]" ] ||
            fail_with "$f: $(field .error | sort -u)"
        [ "$(field 'select(.error == null) | .output | type' | sort -u)" = '"string"' ]
    done
}

@test "errors are never cached: a re-run calls again only for the failed cases" {
    cases 10 >"$BATS_TEST_TMPDIR/in"
    start_mock --fault 500=0.3:all
    run --separate-stderr ev-call -q --retries 0 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 3 ]
    local failed
    failed=$(field 'select(.error)' | wc -l)
    [ "$(entries)" -eq $((10 - failed)) ]
    reset_stats
    run --separate-stderr ev-call -q --retries 0 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$(stats .requests)" -eq "$failed" ]
}

@test "an answer past --timeout is retried, and the retry is answered" {
    cases 3 >"$BATS_TEST_TMPDIR/in"
    start_mock --fault slow=1 --slow-ms 3000
    run --separate-stderr ev-call -q --no-cache --timeout 0.5 -m m --base-url "$BASE" \
        "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(field '[.call.attempts, (.output | type)]' | sort -u)" = '[2,"string"]' ]
}

@test "an answer without usage has null token counts, never 0" {
    start_mock --fault nousage=1
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "$(field '[.call.input_tokens, .call.output_tokens, .call.cached_tokens]' | sort -u)" = '[null,null,null]' ]
    [ "$(field '.output | type' | sort -u)" = '"string"' ]
}

# The cache.

@test "a second identical run makes zero requests and marks every answer cached" {
    start_mock
    ev-call -q -m m --base-url "$BASE" "$CASES" >"$BATS_TEST_TMPDIR/one"
    [ "$(stats .requests)" = 6 ]
    [ "$(entries)" = 6 ]
    reset_stats
    ev-call -q -m m --base-url "$BASE" "$CASES" >"$BATS_TEST_TMPDIR/two"
    [ "$(stats .requests)" = 0 ]
    [ "$(jq -c .call.cached "$BATS_TEST_TMPDIR/two" | sort -u)" = true ]
    # Same answers and the latency first measured.
    diff <(jq -c 'del(.call.cached)' "$BATS_TEST_TMPDIR/one") \
        <(jq -c 'del(.call.cached)' "$BATS_TEST_TMPDIR/two")
}

@test "identical requests in one run are paid for once: the others wait for that answer" {
    start_mock --latency 200
    for i in 1 2 3; do
        printf '{"id":"d%s","input":"the same question"}\n' "$i"
    done >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(stats .requests)" = 1 ]
    [ "$(field '[.id, .call.cached]' | paste -sd' ')" = '["d1",false] ["d2",true] ["d3",true]' ]
    [ "$(field .output | sort -u | wc -l)" = 1 ]
    reset_stats
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$(stats .requests)" = 3 ]
}

@test "--no-cache calls again and writes nothing, --refresh calls again and overwrites" {
    start_mock
    ev-call -q -m m --base-url "$BASE" "$CASES" >/dev/null
    reset_stats
    ev-call -q --no-cache -m m --base-url "$BASE" "$CASES" >/dev/null
    [ "$(stats .requests)" = 6 ]
    rm -rf "$EV_CACHE_DIR"
    ev-call -q --no-cache -m m --base-url "$BASE" "$CASES" >/dev/null
    [ ! -e "$EV_CACHE_DIR" ]
    ev-call -q -m m --base-url "$BASE" "$CASES" >/dev/null
    # Every entry an hour old: each one --refresh writes is new again.
    find "$EV_CACHE_DIR" -name '*.json' -exec touch -d '-1 hour' {} +
    reset_stats
    run --separate-stderr ev-call -q --refresh -m m --base-url "$BASE" "$CASES"
    [ "$(stats .requests)" = 6 ]
    [ "$(field .call.cached | sort -u)" = false ]
    [ "$(entries)" = 6 ]
    [ -z "$(find "$EV_CACHE_DIR" -name '*.json' -mmin +30)" ]
}

@test "the cache key is the SHA-256 of the provider, base URL, sample and body, and an entry is one JSON file" {
    start_mock
    ev-call -q -m m --base-url "$BASE/" "$CASES" >"$BATS_TEST_TMPDIR/out"
    local body key answer
    body='{"model":"m","messages":[{"role":"user","content":"What is the capital of France?"}],"temperature":0}'
    key=$(printf 'ev-call cache 1\nopenai\n%s\n0\n%s' "$BASE" "$body" | sha256sum | cut -c1-64)
    [ -f "$EV_CACHE_DIR/${key:0:2}/$key.json" ]
    answer=$(head -1 "$BATS_TEST_TMPDIR/out" | jq -c .output)
    run jq -c '[.provider, .model, .output, .sample, (.latency_ms | type), (.time | test("Z$"))]' \
        "$EV_CACHE_DIR/${key:0:2}/$key.json"
    [ "$output" = "[\"openai\",\"m\",$answer,0,\"number\",true]" ]
    [ "$(stat -c %a "$EV_CACHE_DIR/${key:0:2}/$key.json")" = 600 ]
    [ "$(stat -c %a "$EV_CACHE_DIR")" = 700 ]
}

@test "a corrupt cache entry is ignored and replaced" {
    start_mock
    ev-call -q -m m --base-url "$BASE" "$CASES" >/dev/null
    local f
    f=$(find "$EV_CACHE_DIR" -name '*.json' | head -1)
    printf '{"output": "trunc' >"$f"
    reset_stats
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "$(stats .requests)" = 1 ]
    jq -e '.output | type == "string"' "$f"
}

@test "after kill -9 mid-run a re-run asks only for the answers not yet cached" {
    # The first answer is 300 KB: its write blocks on a pipe nobody reads,
    # so the run is held mid-way, within its reorder window (4 * -j + 64 =
    # 96 cases) of 150, however fast it goes.
    seq 1 150 | jq -c '{id: "k\(.)", input: "Question number \(.)?",
                        expected: (if . == 1 then "x" * 300000 else "a" end)}' \
        >"$BATS_TEST_TMPDIR/in"
    start_mock --cases "$BATS_TEST_TMPDIR/in" --latency 100
    mkfifo "$BATS_TEST_TMPDIR/pipe"
    ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/pipe" 3>&- &
    local pid=$!
    exec 4<"$BATS_TEST_TMPDIR/pipe"
    wait_for '[ "$(entries)" -gt 0 ]'
    kill -9 "$pid"
    wait "$pid" || true
    exec 4<&-
    # Let the server finish the requests it was answering, so that they
    # count before the reset.
    wait_for '[ "$(stats .in_flight)" = 0 ]'
    local have
    have=$(entries)
    [ "$have" -gt 0 ]
    [ "$have" -le 96 ]
    # Left behind: the claims of the calls in flight (-j 8), and at most one
    # temporary file being written; the re-run removes them.
    [ "$(find "$EV_CACHE_DIR" -name '.*' -type f | wc -l)" -le 9 ]
    reset_stats
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 150 ]
    [ "$(stats .requests)" -eq $((150 - have)) ]
    [ "$(field 'select(.call.cached)' | wc -l)" -eq "$have" ]
    [ -z "$(find "$EV_CACHE_DIR" -name '.*' -type f)" ]
}

# Rate limits.

@test "a 429 with retry-after 1 s is retried no sooner than 1 s later" {
    start_mock --fault 429=1
    local t0=$(now_ms)
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" <(head -1 "$CASES")
    local took=$(($(now_ms) - t0))
    [ "$status" -eq 0 ]
    [ "$(field .call.attempts)" = 2 ]
    [ "$took" -ge 1000 ]
    [ "$(stats '[.requests, .by_outcome["429"]]')" = '[2,1]' ]
}

@test "each 429 pauses for the wait it names, not for the probe gap of an earlier one" {
    cases 4 >"$BATS_TEST_TMPDIR/in"
    start_mock --fault 429=1 --retry-after-ms 50
    run --separate-stderr ev-call -v --no-cache -j 1 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(field .call.attempts | sort -u)" = 2 ]
    # -v logs each wait that holds back a request. Each 429 names 50 ms; a
    # stale probe gap of an earlier one (1 s) would hold a later one longer.
    local waits
    waits=$(printf '%s\n' "$stderr" | sed -n 's/.*next request in \([0-9.e-]*\) s: .*/\1/p')
    [ -n "$waits" ] || fail_with "no wait logged: $stderr"
    printf '%s\n' "$waits" | awk '$1 > 0.05 { bad = 1 } END { exit bad }' ||
        fail_with "a wait longer than the 50 ms named: $(printf '%s\n' "$stderr" | grep 'next request')"
}

@test "a retry-after over 120 s is not retried: the call fails with the wait named" {
    start_mock --fault 429=1 --retry-after-ms 200000
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" <(head -1 "$CASES")
    [ "$status" -eq 3 ]
    [ "$(field '[.error.kind, .error.status, .error.attempts]')" = '["http",429,1]' ]
    [[ "$(field .error.message)" == *"asked to wait 200 s"* ]]
    [ "$(stats .requests)" = 1 ]
}

@test "the server's x-ratelimit headers are honoured: few 429s under the mock's --rpm" {
    cases 30 >"$BATS_TEST_TMPDIR/in"
    start_mock --rpm 10 --rpm-window 1000 --latency 20
    local t0=$(now_ms)
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 30 ]
    [ $(($(now_ms) - t0)) -ge 1900 ]
    [ "$(stats .by_outcome.rate_limited)" -le 2 ]
}

@test "--rpm spaces the requests evenly, under the limit" {
    cases 6 >"$BATS_TEST_TMPDIR/in"
    start_mock
    local t0=$(now_ms)
    run --separate-stderr ev-call -q --no-cache --rpm 600 -m m --base-url "$BASE" \
        "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    # 600 a minute at 98% is one each 102 ms: the sixth starts after 510 ms.
    [ $(($(now_ms) - t0)) -ge 500 ]
}

# Stopping.

@test "a refused key stops the run at once with a clear message and exit 2, and writes no errors" {
    cases 40 >"$BATS_TEST_TMPDIR/in"
    export REAL_KEY=sk-right-one
    start_mock --require-key-env REAL_KEY
    OPENAI_API_KEY=sk-canary-XYZ123 run --separate-stderr ev-call -q --no-cache -m m \
        --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"ev-call: stopping: the API key was refused (openai HTTP 401): Incorrect API key provided"* ]]
    [[ "$stderr" != *canary* ]]
    [ "$(stats .requests)" -le 8 ]
}

@test "out of quota stops the run with exit 2, for OpenAI and Anthropic" {
    cases 40 >"$BATS_TEST_TMPDIR/in"
    start_mock --fault quota=1
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"stopping: out of quota or over a spend limit (openai HTTP 429): You exceeded your current quota"* ]]
    [ "$(stats '.by_outcome.quota')" -le 8 ]
    run --separate-stderr ev-call -q --no-cache -p anthropic -m m --base-url "$BASE" \
        "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"(anthropic HTTP 400): Your credit balance is too low"* ]]
}

@test "a server that cannot be reached stops the run after the first call's retries, with exit 2" {
    start_mock
    local dead=$PORT
    kill -TERM "${MOCK_PIDS[-1]}"
    wait "${MOCK_PIDS[-1]}" || true
    run --separate-stderr ev-call -q --retries 1 -m m --base-url "http://127.0.0.1:$dead/v1" "$CASES"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"ev-call: stopping: cannot reach the server: Failed to connect to 127.0.0.1 port $dead"* ]]
}

@test "--max-errors stops a run going badly with exit 3, as a count or a share" {
    cases 60 >"$BATS_TEST_TMPDIR/in"
    start_mock --fault 500=1:all
    run --separate-stderr ev-call -q --no-cache --retries 0 -j 2 --max-errors 3 -m m \
        --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 3 ]
    [[ "$stderr" == *"stopping: 4 of 4 calls failed, more than --max-errors allows"* ]]
    [ "$(stats .requests)" -lt 10 ]
    run --separate-stderr ev-call -q --no-cache --retries 0 -j 2 --max-errors 50% -m m \
        --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 3 ]
    [[ "$stderr" == *"more than --max-errors allows"* ]]
}

@test "SIGINT stops new calls, writes the complete records in order and exits 130" {
    cases 60 >"$BATS_TEST_TMPDIR/in"
    start_mock
    local mock=${MOCK_PIDS[-1]}
    # The first five answers are cached; then the server stops answering
    # (SIGSTOP), so the run can never end by itself, however fast it goes.
    head -5 "$BATS_TEST_TMPDIR/in" | ev-call -q -m m --base-url "$BASE" >/dev/null
    kill -STOP "$mock"
    ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" \
        2>"$BATS_TEST_TMPDIR/err" 3>&- &
    local pid=$! st=0
    wait_for '[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -ge 5 ]'
    kill -INT "$pid"
    # The server answers again, should the run wait for the calls in flight.
    kill -CONT "$mock"
    wait "$pid" || st=$?
    [ "$st" -eq 130 ] || fail_with "exit $st: $(cat "$BATS_TEST_TMPDIR/err")"
    assert_jsonl "$BATS_TEST_TMPDIR/out"
    local n
    n=$(wc -l <"$BATS_TEST_TMPDIR/out")
    [ "$n" -ge 5 ]
    # No more than the five and the -j 8 calls in flight.
    [ "$n" -le 13 ]
    [ "$(jq -r .id "$BATS_TEST_TMPDIR/out" | tr -d k | paste -sd,)" = "$(seq -s, 1 "$n")" ]
    [ "$(jq -c 'has("output")' "$BATS_TEST_TMPDIR/out" | sort -u)" = true ]
    [ "$(entries)" -ge "$n" ]
}

@test "a closed downstream pipe ends the run quietly" {
    cases 200 >"$BATS_TEST_TMPDIR/in"
    start_mock
    run --separate-stderr bash -c "ev-call -q -m m --base-url '$BASE' '$BATS_TEST_TMPDIR/in' | head -n 1"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [ -z "$stderr" ]
}

# Secrets.

@test "the key never appears in output, cache, stderr or the --verbose log" {
    export REAL_KEY=sk-canary-XYZ123
    start_mock --require-key-env REAL_KEY --fault 500=0.5
    OPENAI_API_KEY=sk-canary-XYZ123 run --separate-stderr ev-call -v -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"Authorization: [redacted]"* ]]
    [[ "$stderr" == *"< HTTP/1.1 500"* ]]
    [[ "$output$stderr" != *canary* ]]
    ! grep -r canary "$EV_CACHE_DIR"
    OPENAI_API_KEY=sk-canary-XYZ123 run --separate-stderr ev-call --no-cache -v -m m \
        --api-key-env NO_SUCH_KEY_SET --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    # A key named but not set is an error, even where no key would do.
    [[ "$stderr" == *"ev-call: --api-key-env: environment variable 'NO_SUCH_KEY_SET' is not set"* ]]
    [[ "$stderr" != *canary* ]]
    ANTHROPIC_API_KEY=sk-canary-XYZ123 run --separate-stderr ev-call --no-cache -v -p anthropic \
        -m m --base-url "$BASE" "$CASES"
    [[ "$stderr" == *"x-api-key: [redacted]"* ]]
    [[ "$output$stderr" != *canary* ]]
}

@test "a key is read from --api-key-env or --api-key-file, never from the command line" {
    export REAL_KEY=sk-file-key-42
    start_mock --require-key-env REAL_KEY
    printf 'sk-file-key-42\n' >"$BATS_TEST_TMPDIR/key"
    run --separate-stderr ev-call -q --no-cache -m m --api-key-file "$BATS_TEST_TMPDIR/key" \
        --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    MY_KEY=sk-file-key-42 run --separate-stderr ev-call -q --no-cache -m m --api-key-env MY_KEY \
        --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    run --separate-stderr ev-call -m m --api-key sk-file-key-42 "$CASES"
    [ "$status" -eq 2 ]
}

@test "the key is never sent over plain http to another host, and the providers' own APIs need one" {
    OPENAI_API_KEY=sk-x run --separate-stderr ev-call -m m --base-url http://example.com/v1 "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"refusing to send the API key over plain http to 'example.com': use https, or --allow-insecure-http (or, for a server that needs no key, unset OPENAI_API_KEY)"* ]]
    OPENAI_API_KEY=sk-x run --separate-stderr ev-call -m m --api-key-env OPENAI_API_KEY \
        --base-url http://example.com/v1 "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"use https, or --allow-insecure-http"$'\n'* ]]
    OPENAI_API_KEY=sk-x run --separate-stderr ev-call --dry-run --allow-insecure-http -m m \
        --base-url http://example.com/v1 "$CASES"
    [ "$status" -eq 0 ]
    run --separate-stderr ev-call -m m "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no API key for 'api.openai.com': set OPENAI_API_KEY"* ]]
    run --separate-stderr ev-call -p anthropic -m m --base-url https://API.anthropic.com/v1 "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no API key for 'api.anthropic.com': set ANTHROPIC_API_KEY"* ]]
    start_mock
    run --separate-stderr ev-call -q -m m --base-url "http://localhost:$PORT/v1" "$CASES"
    [ "$status" -eq 0 ]
}

@test "a server that needs no key is sent none, over plain http to another host too" {
    # 127.1 reaches this machine, but is not one of the names ev takes for
    # it (localhost, 127.0.0.0/8 in four parts, ::1): to ev it is another
    # host, as a GPU box on the network would be.
    start_mock --echo-key
    run --separate-stderr ev-call -v --no-cache -m m --base-url "http://127.1:$PORT/v1" "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "$(field '.output | type' | sort -u)" = '"string"' ]
    [[ "$stderr" == *"> POST /v1/chat/completions"* ]]
    [[ "$stderr" != *[Aa]uthorization* ]]
    [[ "$stderr" != *[Ee]cho-[Kk]ey* ]]
    # The same log shows a key when one is sent (to this machine, by name).
    OPENAI_API_KEY=sk-x run --separate-stderr ev-call -v --no-cache -m m \
        --base-url "http://127.0.0.1:$PORT/v1" <(head -1 "$CASES")
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"Authorization: [redacted]"* ]]
    [[ "$stderr" == *[Ee]cho-[Kk]ey": [redacted]"* ]]
}

@test "a server that wants a key when none was sent stops the run, saying how to give one" {
    export REAL_KEY=sk-right-one
    start_mock --require-key-env REAL_KEY
    run --separate-stderr ev-call -q --no-cache -m m --base-url "http://127.1:$PORT/v1" "$CASES"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"ev-call: stopping: the server wants an API key, and none was sent: set OPENAI_API_KEY, or use --api-key-env or --api-key-file (openai HTTP 401): "* ]]
}

# Options.

@test "--repeat K writes K records per case, call.sample 0..K-1, each its own cache entry" {
    start_mock
    run --separate-stderr ev-call -q --repeat 3 -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 18 ]
    [ "$(field '[.id, .call.sample]' | head -4 | paste -sd' ')" = '["c1",0] ["c1",1] ["c1",2] ["c2",0]' ]
    [ "$(entries)" = 18 ]
    [ "$(stats .requests)" = 18 ]
}

@test "--unordered writes every answer exactly once" {
    cases 30 >"$BATS_TEST_TMPDIR/in"
    start_mock --latency 20:15
    run --separate-stderr ev-call -q --unordered -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(field .id | sort | paste -sd,)" = "$(cases 30 | jq .id | sort | paste -sd,)" ]
}

@test "input order is kept when answers come back out of order" {
    cases 40 >"$BATS_TEST_TMPDIR/in"
    start_mock --latency 30:25
    run --separate-stderr ev-call -q -j 16 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$(field .id | tr -d '"k' | paste -sd,)" = "$(seq -s, 1 40)" ]
}

@test "a record from an earlier run has its output, call and error replaced" {
    start_mock
    printf '%s\n' '{"id":"r","input":"again","output":"old","error":{"kind":"http"},"call":{"cached":true},"z":1}' \
        >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr ev-call -q -m new --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(field '[keys_unsorted, .call.model, (.output == "old")]')" = '[["id","input","z","output","call"],"new",false]' ]
}

@test "usage errors exit 2 with a hint" {
    run --separate-stderr ev-call "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--model is required"*"try 'ev-call --help'"* ]]
    run --separate-stderr ev-call -m m --command cat "$CASES"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-call -p cmd "$CASES"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-call -m m --system a --system-file /dev/null "$CASES"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-call -m m -j 0 "$CASES"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-call -m m --base-url ftp://x "$CASES"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-call -p anthropic -m m --seed 1 "$CASES"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-call -m m --template "$BATS_TEST_TMPDIR/none" "$CASES"
    [ "$status" -eq 2 ]
}

@test "a summary goes to stderr unless --quiet, and progress never to a pipe" {
    start_mock
    run --separate-stderr ev-call -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [[ "$stderr" == "ev-call: 6 calls: 6 answered (0 from the cache), 0 failed; 6 requests, 0 retries, 0 rate limited; tokens "* ]]
    [[ "$stderr" != *$'\r'* ]]
}

@test "progress is drawn on a terminal" {
    command -v script >/dev/null || skip "no script(1)"
    start_mock --latency 100
    cases 12 >"$BATS_TEST_TMPDIR/in"
    TERM=xterm run script -qec "ev-call -m m --base-url '$BASE' '$BATS_TEST_TMPDIR/in' >/dev/null" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" == *$'\r'"ev-call: "*"/12 ("* ]]
}

# progress_lines: the progress lines drawn in $output, one a line, without
# the carriage returns and escape codes that draw them.
progress_lines() {
    printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep -E '^ev-call: [0-9]+(/| done)'
}

@test "progress fits the terminal's width by leaving out whole fields, and shows the money spent" {
    command -v script >/dev/null || skip "no script(1)"
    start_mock --latency 100
    cases 12 >"$BATS_TEST_TMPDIR/in"
    # $1 a thousand input tokens, nothing for output: each answer costs cents
    printf '{"model":"m","input":1000,"output":0}\n' >"$BATS_TEST_TMPDIR/prices.jsonl"
    export EV_PRICES="$BATS_TEST_TMPDIR/prices.jsonl"
    # script(1) gives ev-call a terminal of no size: COLUMNS names it
    TERM=xterm COLUMNS=200 run script -qec "ev-call -j 2 --no-cache -m m --base-url '$BASE' '$BATS_TEST_TMPDIR/in' >/dev/null" /dev/null
    [ "$status" -eq 0 ]
    [ -n "$(progress_lines)" ] || fail_with "no progress: $output"
    [[ "$(progress_lines | tail -1)" =~ "/12 (".*" | tokens "[0-9.k]+" in "[0-9.k]+" out | \$"[0-9]+\.[0-9]{4}$ ]] ||
        fail_with "$(progress_lines | tail -1)"
    TERM=xterm COLUMNS=48 run script -qec "ev-call -j 2 --no-cache -m m --base-url '$BASE' '$BATS_TEST_TMPDIR/in' >/dev/null" /dev/null
    [ "$status" -eq 0 ]
    [ -n "$(progress_lines)" ] || fail_with "no progress: $output"
    local line
    while IFS= read -r line; do
        [ "${#line}" -le 47 ] || fail_with "wider than 47 columns: '$line'"
        [[ "$line" =~ ^"ev-call: "[0-9]+/12" ("[0-9]+"%)"(" "[0-9.]+/s)?(" ETA "[0-9hms]+)?(" | "[0-9]+" failed")?(" | \$"[0-9]+\.[0-9]{4})?$ ]] ||
            fail_with "not whole fields: '$line'"
    done < <(progress_lines)
    # an unpriced model shows no money
    TERM=xterm COLUMNS=200 run script -qec "ev-call -j 2 --no-cache -m other --base-url '$BASE' '$BATS_TEST_TMPDIR/in' >/dev/null" /dev/null
    [ "$status" -eq 0 ]
    [ -n "$(progress_lines)" ]
    [[ "$(progress_lines)" != *'$'* ]]
}

@test "on a dumb terminal progress is plain lines, without escape codes" {
    command -v script >/dev/null || skip "no script(1)"
    start_mock --latency 100
    cases 12 >"$BATS_TEST_TMPDIR/in"
    TERM=dumb run script -qec "ev-call --no-cache -m m --base-url '$BASE' '$BATS_TEST_TMPDIR/in' >/dev/null" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" != *$'\e'* ]]
    [[ "$output" =~ (^|$'\n')"ev-call: "[0-9]+/12" ("[0-9]+"%) " ]] || fail_with "$output"
    [[ "$(printf '%s' "$output" | tr -d '\r')" == *"ev-call: 12 calls: 12 answered"* ]]
    # script(1) writes each newline as CR LF: a lone CR would redraw in place
    [[ "$(printf '%s' "$output" | sed 's/\r$//' | tr -cd '\r' | wc -c)" -eq 0 ]]
}

@test "answers are cached before the calls that replace them start: a kill -9 loses at most -j calls" {
    # Answers of 300 KB: writing the first one blocks on a pipe that is not
    # read yet, with its answer cached. Nothing more may have been asked
    # meanwhile, or a kill then would lose more than the calls in flight.
    seq 1 6 | jq -c '{id: "b\(.)", input: "Big question \(.)?", expected: ("x" * 300000)}' \
        >"$BATS_TEST_TMPDIR/in"
    start_mock --cases "$BATS_TEST_TMPDIR/in" --latency 100
    local go="$BATS_TEST_TMPDIR/go"
    ev-call -q --unordered -j 2 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" 3>&- |
        { for ((i = 0; i < 1200; i++)); do [ -e "$go" ] && break; sleep 0.05; done
          wc -l >"$BATS_TEST_TMPDIR/n"; } 3>&- &
    local pid=$!
    # The first answer is cached, and its write blocks on the pipe nobody
    # reads yet; the two calls it started are all there are. However long
    # this goes on, no third call starts.
    wait_for '[ "$(entries)" -ge 1 ] && [ "$(stats .in_flight)" -eq 0 ]'
    sleep 0.5
    [ "$(stats .requests)" -eq 2 ] || fail_with "$(stats .requests) requests with 2 in flight"
    touch "$go"
    wait "$pid"
    [ "$(cat "$BATS_TEST_TMPDIR/n")" -eq 6 ]
}

# Shutdowns (issue 15).

@test "ev-call warns before it sends to a model past its shutdown, and still sends" {
    start_mock --cases "$CASES"
    # gpt-4-turbo shut down on 2026-10-23 (data/prices.jsonl).
    run --separate-stderr ev-call -q -m gpt-4-turbo --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"ev-call: 'gpt-4-turbo' (openai) shut down on 2026-10-23: calls to it may fail or be answered by another model"* ]]
    [ "$(grep -c 'shut down' <<<"$stderr")" -eq 1 ]
    [ "${#lines[@]}" -eq 6 ]
    # A model the table does not date says nothing.
    run --separate-stderr ev-call -q -m small --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [[ "$stderr" != *"shut down"* ]]
}
