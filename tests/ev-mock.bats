#!/usr/bin/env bats
# ev-mock: the local model server. Each test starts its own servers on free
# ports and stops them in teardown; a server that does not exit 0 (a
# sanitizer report, say) fails the test.
load test_helper

CASES="$FIXTURES/mock-cases.jsonl"

setup() {
    MOCK_PIDS=()
    MOCK_N=0
}

teardown() {
    ev_mock_stop_all
}

# start_mock ARGS...: start ev-mock; set PORT, URL (its root) and MOCK_ERR.
start_mock() {
    ev_mock_start "$@"
    URL="$MOCK"
}

# stop_mock: stop the newest server with SIGTERM and wait for it.
stop_mock() {
    local pid=${MOCK_PIDS[-1]}
    unset 'MOCK_PIDS[-1]'
    kill -TERM "$pid"
    wait "$pid"
}

# ask TEXT [MODEL]: the body of an OpenAI request of one user message.
ask() {
    jq -cn --arg c "$1" --arg m "${2:-small}" '{model: $m, messages: [{role: "user", content: $c}]}'
}

# ask_anthropic TEXT [MODEL]: the same for Anthropic.
ask_anthropic() {
    jq -cn --arg c "$1" --arg m "${2:-small}" \
        '{model: $m, max_tokens: 100, messages: [{role: "user", content: $c}]}'
}

# openai BODY / anthropic BODY: post to the endpoint, print the response body.
openai() {
    curl -sS "$URL/v1/chat/completions" -H 'content-type: application/json' -d "$1"
}
anthropic() {
    curl -sS "$URL/v1/messages" -H 'anthropic-version: 2023-06-01' \
        -H 'content-type: application/json' -d "$1"
}

# answer TEXT [MODEL]: the answer text to an OpenAI request.
answer() {
    openai "$(ask "$@")" | jq -r '.choices[0].message.content'
}

# fetch PATH BODY [CURL ARGS...]: post, leaving the body in $BATS_TEST_TMPDIR/body
# and the headers in $BATS_TEST_TMPDIR/headers; prints the status.
fetch() {
    local path=$1 body=$2
    shift 2
    curl -sS -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}' \
        "$@" "$URL$path" -d "$body"
}

# header NAME: the value of header NAME in the last fetch.
header() {
    tr -d '\r' <"$BATS_TEST_TMPDIR/headers" | sed -n "s/^$1: //Ip"
}

# each_case MODEL [CURL ARGS...]: post the 40 fixture cases as MODEL in one
# curl, one after another, each with CURL ARGS.
each_case() {
    local model=$1 body args=()
    shift
    while IFS= read -r body; do
        args+=(-sS "$@" -d "$body" "$URL/v1/chat/completions" --next)
    done < <(jq -c --arg m "$model" '{model: $m, messages: [{role: "user", content: .input}]}' "$CASES")
    curl "${args[@]}" -sS -o /dev/null "$URL/stats"
}

# right_ids MODEL: which of the 40 fixture cases MODEL answers right, as a
# string of 1s and 0s in file order.
right_ids() {
    each_case "$1" | jq -r '.choices[0].message.content' >"$BATS_TEST_TMPDIR/got"
    jq -r .expected "$CASES" | paste - "$BATS_TEST_TMPDIR/got" |
        awk -F '\t' '{ printf "%d", $1 == $2 } END { print "" }'
}

# statuses: the HTTP statuses of one request for each of the 40 fixture cases.
statuses() {
    each_case small -o /dev/null -w '%{http_code} '
}

# wait_stats FILTER: wait until the server's /stats meets the jq FILTER. A
# server that never gets there fails the test after a minute or more, rather
# than hang it.
wait_stats() {
    local i
    for ((i = 0; i < 3000; i++)); do
        curl -sS "$URL/stats" | jq -e "$1" >/dev/null && return 0
        sleep 0.02
    done
    fail_with "/stats never met $1: $(curl -sS "$URL/stats")"
}

# stop_mock_within: stop the newest server with SIGTERM, as stop_mock does,
# but fail rather than hang when it is still running after a minute or more.
stop_mock_within() {
    local pid=${MOCK_PIDS[-1]} i
    unset 'MOCK_PIDS[-1]'
    kill -TERM "$pid"
    for ((i = 0; i < 3000; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    kill -0 "$pid" 2>/dev/null && fail_with "ev-mock is still running after SIGTERM"
    wait "$pid"
}

@test "the first line of stdout is the bound port, and the server listens on 127.0.0.1" {
    start_mock
    [ "$PORT" -gt 0 ]
    [ "$(wc -l <"$BATS_TEST_TMPDIR/mock0.port")" -eq 1 ]
    run curl -sS "$URL/stats"
    [ "$status" -eq 0 ]
    [ "$(field .requests)" = 0 ]
    run ss -Hltn "sport = :$PORT"
    [[ "$output" == *"127.0.0.1:$PORT"* ]]
}

@test "an OpenAI request gets a chat.completion with the case's expected answer and usage" {
    start_mock --cases "$CASES"
    run openai "$(ask 'What is 1 plus 8?')"
    [ "$status" -eq 0 ]
    field '.' >/dev/null
    [ "$(field '.object')" = '"chat.completion"' ]
    [ "$(field '.model')" = '"small"' ]
    [ "$(field '.id | startswith("chatcmpl-")')" = true ]
    [ "$(field '.created | type')" = '"number"' ]
    [ "$(field '.choices[0] | [.index, .message.role, .message.content, .finish_reason]')" = \
        '[0,"assistant","9","stop"]' ]
    # 17 bytes of prompt and 1 of answer, at 4 bytes a token
    [ "$(field '.usage')" = \
        '{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":0}}' ]
}

@test "the answer is the same on /chat/completions without the /v1 prefix" {
    start_mock --cases "$CASES"
    run curl -sS "$URL/chat/completions" -d "$(ask 'What is 1 plus 8?')"
    [ "$(field '.choices[0].message.content')" = '"9"' ]
}

@test "an Anthropic request gets a message with text content, stop_reason and usage" {
    start_mock --cases "$CASES"
    run anthropic "$(ask_anthropic 'What is 2 times 5?' claude-x)"
    [ "$status" -eq 0 ]
    [ "$(field '[.type, .role, .model, .stop_reason, .stop_sequence]')" = \
        '["message","assistant","claude-x","end_turn",null]' ]
    [ "$(field '.id | startswith("msg_")')" = true ]
    [ "$(field '.content')" = '[{"type":"text","text":"10"}]' ]
    [ "$(field '.usage | [.input_tokens, .output_tokens]')" = '[5,1]' ]
    run curl -sS "$URL/messages" -H 'anthropic-version: 2023-06-01' \
        -d "$(ask_anthropic 'What is 2 times 5?')"
    [ "$(field '.content[0].text')" = '"10"' ]
}

@test "Anthropic's top-level system prompt is read as a first system message" {
    printf '%s\n' '{"id":"s","input":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}],"expected":"Yo"}' \
        '{"id":"t","input":"Hi","expected":"Hello"}' >"$BATS_TEST_TMPDIR/sys.jsonl"
    start_mock --cases "$BATS_TEST_TMPDIR/sys.jsonl"
    run anthropic '{"model":"m","max_tokens":9,"system":"Be terse.","messages":[{"role":"user","content":"Hi"}]}'
    [ "$(field '.content[0].text')" = '"Yo"' ]
    run anthropic '{"model":"m","max_tokens":9,"system":[{"type":"text","text":"Be terse."}],"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}'
    [ "$(field '.content[0].text')" = '"Yo"' ]
    run anthropic '{"model":"m","max_tokens":9,"messages":[{"role":"user","content":"Hi"}]}'
    [ "$(field '.content[0].text')" = '"Hello"' ]
}

@test "the same request twice gets the same answer" {
    start_mock --cases "$CASES" --accuracy 0.5
    for q in 'What is 1 plus 8?' 'What is 4 times 7?' 'Something else'; do
        [ "$(answer "$q")" = "$(answer "$q")" ]
    done
}

@test "an unknown prompt gets 'mock answer' and 8 hex digits of its hash, the same on every run" {
    start_mock
    a=$(answer 'Tell me a joke.')
    [[ "$a" =~ ^mock\ answer\ [0-9a-f]{8}$ ]]
    [ "$(answer 'Tell me a joke.' other-model)" = "$a" ]
    [ "$(answer 'Tell me another joke.')" != "$a" ]
    start_mock --seed 1
    [ "$(answer 'Tell me a joke.')" != "$a" ]
}

@test "a case is found by its last user message when the client adds its own system prompt" {
    start_mock --cases "$CASES"
    run openai '{"model":"m","messages":[{"role":"system","content":"You are a calculator."},{"role":"user","content":"What is 1 plus 8?"}]}'
    [ "$(field '.choices[0].message.content')" = '"9"' ]
}

@test "with --accuracy 0.5 about half of 40 cases are right, the same ones on every restart" {
    start_mock --cases "$CASES" --accuracy 0.5
    first=$(right_ids small)
    stop_mock
    start_mock --cases "$CASES" --accuracy 0.5
    [ "$(right_ids small)" = "$first" ]
    n=$(tr -cd 1 <<<"$first" | wc -c)
    [ "$n" -ge 12 ] && [ "$n" -le 28 ] || fail_with "$n of 40 right"
    # another model misses other cases
    [ "$(right_ids big)" != "$first" ]
}

@test "--accuracy 1 answers every case right and --accuracy 0 none" {
    start_mock --cases "$CASES"
    [ "$(right_ids small)" = "$(printf '1%.0s' {1..40})" ]
    start_mock --cases "$CASES" --accuracy 0
    [ "$(right_ids small)" = "$(printf '0%.0s' {1..40})" ]
}

@test "--accuracy TAG=P sets the accuracy of the cases whose first tag is TAG" {
    start_mock --cases "$CASES" --accuracy easy=1 --accuracy hard=0 --accuracy 0.5
    # odd cases are 'easy', even ones 'hard'
    [ "$(right_ids small)" = "$(printf '10%.0s' {1..20})" ]
}

@test "a wrong answer is the expected answer of another case with the same first tag" {
    start_mock --cases "$CASES" --accuracy 0
    jq -r 'select(.tags[0] == "easy") | .expected' "$CASES" | sort -u >"$BATS_TEST_TMPDIR/easy"
    while IFS=$'\t' read -r input expected; do
        got=$(answer "$input")
        [ "$got" != "$expected" ] || fail_with "'$input' answered right"
        grep -qx -- "$got" "$BATS_TEST_TMPDIR/easy" || fail_with "'$got' is no easy answer"
    done < <(jq -r 'select(.tags[0] == "easy") | [.input, .expected] | @tsv' "$CASES")
}

@test "a case whose tag has no other answer is answered wrong with a perturbation" {
    printf '%s\n' '{"id":"n","input":"2+2?","expected":"4","tags":["a"]}' \
        '{"id":"t","input":"Capital of France?","expected":"Paris","tags":["b"]}' >"$BATS_TEST_TMPDIR/c.jsonl"
    start_mock --cases "$BATS_TEST_TMPDIR/c.jsonl" --accuracy 0
    [ "$(answer '2+2?')" = 5 ]
    [ "$(answer 'Capital of France?')" = "I don't know" ]
}

@test "--model-accuracy lets one server play a strong and a weak model" {
    start_mock --cases "$CASES" --model-accuracy big=1 --model-accuracy small=0 \
        --accuracy hard=0.5
    [ "$(right_ids small)" = "$(printf '0%.0s' {1..40})" ]
    big=$(right_ids big)
    # big is right on every easy case and on about half the hard ones
    [ "$(sed 's/\(.\)./\1/g' <<<"$big")" = "$(printf '1%.0s' {1..20})" ]
    start_mock --cases "$CASES" --model-accuracy big=0.5
    [ "$(right_ids medium)" = "$(printf '1%.0s' {1..40})" ]
}

@test "--replay answers with the outputs of an earlier run, by prompt and by model" {
    start_mock --replay "$FIXTURES/mock-run.jsonl" --cases "$CASES"
    [ "$(answer 'What is 1 plus 8?' big)" = nine ]
    [ "$(answer 'What is 1 plus 8?' small)" = 8 ]
    # a model the run did not call falls through to the cases
    [ "$(answer 'What is 1 plus 8?' medium)" = 9 ]
    # a record without call.model answers for any model, here found by its last user message
    [ "$(answer 'Say hello.' anyone)" = Bonjour ]
    # a failed call has no output to replay
    [[ "$(answer 'Will this fail?')" == "mock answer "* ]]
    run anthropic "$(ask_anthropic 'What is 1 plus 8?' big)"
    [ "$(field '.content[0].text')" = '"nine"' ]
    run curl -sS "$URL/stats"
    [ "$(field '.answers')" = '{"replay":4,"right":1,"wrong":0,"unknown":1}' ]
}

@test "a token limit below the answer cuts it and sets finish_reason length or stop_reason max_tokens" {
    start_mock
    full=$(answer 'Tell me a joke.')
    run openai '{"model":"m","max_tokens":2,"messages":[{"role":"user","content":"Tell me a joke."}]}'
    [ "$(field '.choices[0] | [.message.content, .finish_reason]')" = "[\"${full:0:8}\",\"length\"]" ]
    [ "$(field '.usage.completion_tokens')" = 2 ]
    # max_completion_tokens wins over max_tokens
    run openai '{"model":"m","max_tokens":1,"max_completion_tokens":100,"messages":[{"role":"user","content":"Tell me a joke."}]}'
    [ "$(field '.choices[0].finish_reason')" = '"stop"' ]
    run anthropic '{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"Tell me a joke."}]}'
    [ "$(field '[.content[0].text, .stop_reason, .usage.output_tokens]')" = '["mock","max_tokens",1]' ]
}

@test "a body that is not JSON, or lacks model or messages, gets 400 in the provider's shape" {
    start_mock
    for body in 'not json' '[1]' '{"messages":[{"role":"user","content":"x"}]}' \
        '{"model":"m"}' '{"model":"m","messages":[]}' '{"model":"m","messages":["x"]}' \
        '{"model":"m","max_tokens":-1,"messages":[{"role":"user","content":"x"}]}' \
        '{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}'; do
        [ "$(fetch /v1/chat/completions "$body")" = 400 ] || fail_with "openai accepted $body"
        jq -e '.error.type == "invalid_request_error" and (.error.message | length > 0) and
            has("error") and (.error | has("param") and has("code"))' "$BATS_TEST_TMPDIR/body"
    done
    [ "$(fetch /v1/messages '{"model":"m","max_tokens":5}' -H 'anthropic-version: 1')" = 400 ]
    jq -e '.type == "error" and .error.type == "invalid_request_error" and
        (.request_id | startswith("req_"))' "$BATS_TEST_TMPDIR/body"
    [ -n "$(header request-id)" ]
}

@test "Anthropic requires max_tokens and the anthropic-version header" {
    start_mock
    [ "$(fetch /v1/messages "$(ask 'x')" -H 'anthropic-version: 2023-06-01')" = 400 ]
    jq -e '.error.message == "max_tokens: Field required"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/messages "$(ask_anthropic 'x')")" = 400 ]
    jq -e '.error.message == "anthropic-version: header is required"' "$BATS_TEST_TMPDIR/body"
}

@test "an unknown path or method gets 404 with an error body" {
    start_mock
    [ "$(fetch /v1/completions '{}')" = 404 ]
    jq -e '.error.code == "unknown_url"' "$BATS_TEST_TMPDIR/body"
    run curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/chat/completions"
    [ "$output" = 404 ]
    [ "$(fetch /v1/messages/count '{}')" = 404 ]
    jq -e '.error.type == "not_found_error"' "$BATS_TEST_TMPDIR/body"
}

@test "a body over 32 MB gets 413" {
    start_mock
    head -c 33554433 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
    run curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/chat/completions" \
        --data-binary "@$BATS_TEST_TMPDIR/big"
    [ "$output" = 413 ]
}

@test "fault 429 sends retry-after, retry-after-ms and x-ratelimit headers, OpenAI style" {
    start_mock --fault 429=1 --retry-after-ms 1500
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 429 ]
    jq -e '.error.code == "rate_limit_exceeded"' "$BATS_TEST_TMPDIR/body"
    [ "$(header retry-after)" = 2 ]
    [ "$(header retry-after-ms)" = 1500 ]
    [ "$(header x-ratelimit-limit-requests)" = 60 ]
    [ "$(header x-ratelimit-remaining-requests)" = 0 ]
    [ "$(header x-ratelimit-reset-requests)" = 1.5s ]
    [ "$(header x-ratelimit-reset-tokens)" = 6m0s ]
    [[ "$(header x-request-id)" == req_* ]]
}

@test "fault 429 on /messages sends retry-after and an RFC 3339 anthropic-ratelimit reset" {
    start_mock --fault 429=1
    [ "$(fetch /v1/messages "$(ask_anthropic x)" -H 'anthropic-version: 1')" = 429 ]
    jq -e '.type == "error" and .error.type == "rate_limit_error"' "$BATS_TEST_TMPDIR/body"
    [ "$(header retry-after)" = 1 ]
    [[ "$(header anthropic-ratelimit-requests-reset)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
    [ "$(header anthropic-ratelimit-requests-remaining)" = 0 ]
}

@test "faults 500, 502, 503 and 529 send the status with the provider's error body" {
    for kind in 500 502 503 529; do
        start_mock --fault "$kind=1"
        [ "$(fetch /v1/chat/completions "$(ask x)")" = "$kind" ]
        jq -e '.error.message | length > 0' "$BATS_TEST_TMPDIR/body"
        [ "$(fetch /v1/messages "$(ask_anthropic x)" -H 'anthropic-version: 1')" = "$kind" ]
        jq -e '.type == "error" and (.error.type | test("api_error|overloaded_error"))' \
            "$BATS_TEST_TMPDIR/body"
        stop_mock
    done
    start_mock --fault 529=1
    fetch /v1/messages "$(ask_anthropic x)" -H 'anthropic-version: 1'
    jq -e '.error.type == "overloaded_error"' "$BATS_TEST_TMPDIR/body"
    start_mock --fault 502=1
    fetch /v1/chat/completions "$(ask x)"
    jq -e '.error.code == 502' "$BATS_TEST_TMPDIR/body"
}

@test "fault auth sends 401 invalid_api_key and fault quota 429 insufficient_quota" {
    start_mock --fault auth=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 401 ]
    jq -e '.error == {"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}' \
        "$BATS_TEST_TMPDIR/body"
    start_mock --fault quota=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 429 ]
    jq -e '.error.code == "insufficient_quota"' "$BATS_TEST_TMPDIR/body"
    [ -z "$(header retry-after)" ]
}

@test "fault flat-error sends vLLM's old flat error body with status 500" {
    start_mock --fault flat-error=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    jq -e '.object == "error" and .type == "BadRequestError" and .param == null and
        .code == 500 and (.message | length > 0) and (has("error") | not)' "$BATS_TEST_TMPDIR/body"
}

@test "fault nonjson sends an HTML error page with status 502" {
    start_mock --fault nonjson=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 502 ]
    [[ "$(header content-type)" == text/html* ]]
    grep -q '<title>502 Bad Gateway</title>' "$BATS_TEST_TMPDIR/body"
    ! jq . "$BATS_TEST_TMPDIR/body" >/dev/null 2>&1
}

@test "fault truncated sends status 200 with a body of cut-off JSON" {
    start_mock --fault truncated=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 200 ]
    [ -s "$BATS_TEST_TMPDIR/body" ]
    head -c 20 "$BATS_TEST_TMPDIR/body" | grep -q '^{"id":"chatcmpl-'
    ! jq . "$BATS_TEST_TMPDIR/body" >/dev/null 2>&1
}

@test "fault reset drops the connection in the middle of the body" {
    start_mock --fault reset=1
    run curl -sS -o "$BATS_TEST_TMPDIR/body" "$URL/v1/chat/completions" -d "$(ask x)"
    # curl: 18, partial file
    [ "$status" -eq 18 ]
    [ -s "$BATS_TEST_TMPDIR/body" ]
}

@test "fault nousage sends an answer without usage" {
    start_mock --cases "$CASES" --fault nousage=1
    run openai "$(ask 'What is 1 plus 8?')"
    [ "$(field '[.choices[0].message.content, has("usage")]')" = '["9",false]' ]
    run anthropic "$(ask_anthropic 'What is 1 plus 8?')"
    [ "$(field '[.content[0].text, has("usage")]')" = '["9",false]' ]
}

@test "fault slow answers only after --slow-ms, past a client's timeout, and the retry is not delayed" {
    # an hour: no machine is slow enough to see the answer first
    start_mock -v --fault slow=1 --slow-ms 3600000
    run curl -sS -m 0.3 "$URL/v1/chat/completions" -d "$(ask x)"
    [ "$status" -eq 28 ]
    run curl -sS "$URL/v1/chat/completions" -d "$(ask x)"
    [ "$status" -eq 0 ]
    [[ "$(field '.choices[0].message.content')" == '"mock answer '* ]]
    # the retry is the body's second attempt, answered with no fault (no delay)
    grep -q "POST /v1/chat/completions 200 ok model 'small' attempt 2 answer unknown" "$MOCK_ERR"
}

@test "a fault with :TIMES faults the first TIMES attempts of a request and lets the next through" {
    start_mock --fault 500=1:2
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 200 ]
    [ "$(fetch /v1/chat/completions "$(ask y)")" = 500 ]
    start_mock --fault 503=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 503 ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 200 ]
}

@test "a fault with :all faults every attempt" {
    start_mock --fault 500=1:all
    for i in 1 2 3 4; do
        [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    done
}

@test "faults that pick the same request take turns in the fixed order, then it succeeds" {
    start_mock --fault 500=1 --fault 429=1 --fault truncated=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 429 ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 200 ]
    ! jq . "$BATS_TEST_TMPDIR/body" >/dev/null 2>&1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 200 ]
    jq -e . "$BATS_TEST_TMPDIR/body" >/dev/null
}

@test "a fault at rate 0.2 picks about a fifth of distinct requests, the same ones on restart, and every retry succeeds" {
    start_mock --cases "$CASES" --fault 500=0.2
    first=$(statuses)
    n=$(grep -o 500 <<<"$first" | wc -l)
    [ "$n" -ge 2 ] && [ "$n" -le 16 ] || fail_with "$n of 40 faulted"
    [ "$(statuses)" = "$(printf '200 %.0s' {1..40})" ]
    stop_mock
    start_mock --cases "$CASES" --fault 500=0.2
    [ "$(statuses)" = "$first" ]
    start_mock --cases "$CASES" --fault 500=0.2 --seed 9
    [ "$(statuses)" != "$first" ]
}

@test "--rpm answers 429 past the limit, with a retry-after until the window frees" {
    # an hour's window, which no machine is too slow to fill; that the
    # request passes once the wait is over is a unit test (test_rpm)
    start_mock --rpm 3 --rpm-window 3600000
    for i in 1 2 3; do
        [ "$(fetch /v1/chat/completions "$(ask "q$i")")" = 200 ]
    done
    [ "$(header x-ratelimit-remaining-requests)" = 0 ]
    [ "$(header x-ratelimit-limit-requests)" = 3 ]
    [ "$(fetch /v1/chat/completions "$(ask q4)")" = 429 ]
    wait_ms=$(header retry-after-ms)
    [ "$wait_ms" -gt 0 ]
    [ "$wait_ms" -le 3600000 ]
    # retry-after is the same wait in whole seconds, rounded up
    [ "$(header retry-after)" = $(((wait_ms + 999) / 1000)) ]
    [ "$(fetch /v1/messages "$(ask_anthropic q4)" -H 'anthropic-version: 1')" = 429 ]
    [ -n "$(header anthropic-ratelimit-requests-reset)" ]
    run curl -sS "$URL/stats"
    [ "$(field '.by_outcome | [.ok, .rate_limited]')" = '[3,2]' ]
}

@test "GET /stats counts requests by path, outcome and model, and distinct bodies" {
    start_mock --cases "$CASES" --fault 503=1:1
    openai "$(ask 'What is 1 plus 8?' big)" >/dev/null
    openai "$(ask 'What is 1 plus 8?' big)" >/dev/null
    curl -sS "$URL/messages" -H 'anthropic-version: 1' -d "$(ask_anthropic 'Hi' claude)" >/dev/null
    openai 'nope' >/dev/null
    curl -sS "$URL/nowhere" >/dev/null
    run curl -sS "$URL/stats"
    [ "$(field .requests)" = 5 ]
    [ "$(field .by_path)" = '{"/v1/chat/completions":3,"/chat/completions":0,"/v1/messages":0,"/messages":1,"/together/v1/chat/completions":0,"/fireworks/inference/v1/chat/completions":0,"/v1/files":0,"/v1/fine_tuning/jobs":0,"/v1/batches":0,"/v1/messages/batches":0,"/together/v1/files":0,"/together/v1/fine-tunes":0,"/together/v1/whoami":0,"/together/v2":0,"/fireworks/v1/accounts/{account}/datasets":0,"/fireworks/v1/accounts/{account}/supervisedFineTuningJobs":0,"/fireworks/v1/accounts/{account}/dpoJobs":0,"/fireworks/v1/accounts/{account}/models":0,"/fireworks/v1/accounts/{account}/deployments":0,"other":1}' ]
    [ "$(field '.by_outcome | with_entries(select(.value > 0))')" = \
        '{"ok":1,"503":2,"bad_request":1,"not_found":1}' ]
    [ "$(field .by_model)" = '{"big":2,"claude":1}' ]
    [ "$(field '[.distinct_bodies, .max_attempts, .in_flight]')" = '[2,2,0]' ]
    [ "$(field .answers.right)" = 1 ]
}

@test "POST /stats/reset zeroes the counts and the attempts, so faults fire again" {
    start_mock --fault 500=1
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 200 ]
    run curl -sS -X POST "$URL/stats/reset"
    [ "$(field '[.requests, .distinct_bodies, .max_attempts]')" = '[0,0,0]' ]
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 500 ]
    run curl -sS "$URL/stats"
    [ "$(field '[.requests, .by_outcome."500"]')" = '[1,1]' ]
}

@test "--require-key-env rejects a missing or wrong key with 401 and accepts the right one" {
    export MOCK_TEST_KEY=sk-test-0123456789
    start_mock --require-key-env MOCK_TEST_KEY
    [ "$(fetch /v1/chat/completions "$(ask x)")" = 401 ]
    jq -e '.error.type == "invalid_request_error"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/chat/completions "$(ask x)" -H 'Authorization: Bearer sk-wrong')" = 401 ]
    jq -e '.error.code == "invalid_api_key"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/chat/completions "$(ask x)" -H "Authorization: Bearer $MOCK_TEST_KEY")" = 200 ]
    [ "$(fetch /v1/messages "$(ask_anthropic x)" -H 'anthropic-version: 1' \
        -H "x-api-key: sk-wrong")" = 401 ]
    jq -e '.error.type == "authentication_error"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/messages "$(ask_anthropic x)" -H 'anthropic-version: 1' \
        -H "x-api-key: $MOCK_TEST_KEY")" = 200 ]
    run curl -sS "$URL/stats"
    [ "$(field '.by_outcome | [.ok, .unauthorized]')" = '[2,3]' ]
}

@test "the key never appears on stderr, even with -v" {
    export MOCK_TEST_KEY=sk-test-secret-4242
    start_mock -v --require-key-env MOCK_TEST_KEY
    fetch /v1/chat/completions "$(ask x)" -H "Authorization: Bearer $MOCK_TEST_KEY"
    fetch /v1/chat/completions "$(ask x)" -H "Authorization: Bearer sk-test-secret-wrong"
    stop_mock
    grep -q 'POST /v1/chat/completions 200 ok' "$MOCK_ERR"
    grep -q 'POST /v1/chat/completions 401 unauthorized' "$MOCK_ERR"
    ! grep -q 'sk-test-secret' "$MOCK_ERR"
}

@test "--require-key-env naming an unset variable is a usage error" {
    unset MOCK_TEST_UNSET
    run --separate-stderr ev-mock --require-key-env MOCK_TEST_UNSET
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"environment variable 'MOCK_TEST_UNSET' is not set"* ]]
    [[ "$stderr" == *"try 'ev-mock --help'"* ]]
}

@test "a 200 ms latency makes a request take at least 0.2 s" {
    start_mock --latency 200
    run curl -sS -o /dev/null -w '%{time_total}' "$URL/v1/chat/completions" -d "$(ask x)"
    awk -v t="$output" 'BEGIN { exit !(t >= 0.2) }' || fail_with "took $output s"
}

@test "20 concurrent requests are served together, not one after another" {
    # each waits out an hour's latency, until the stop ends every wait
    start_mock --latency 3600000
    args=(-o /dev/null -d "$(ask q1)" "$URL/v1/chat/completions")
    for i in $(seq 2 20); do
        args+=(--next -o /dev/null -d "$(ask "q$i")" "$URL/v1/chat/completions")
    done
    # --parallel-immediate: open every connection now, not after the first
    # answer, which is an hour away
    curl -sS --parallel --parallel-immediate --parallel-max 20 "${args[@]}" >/dev/null 2>&1 3>&- &
    wait_stats '.in_flight == 20'
    run curl -sS "$URL/stats"
    [ "$(field .max_in_flight)" = 20 ]
    stop_mock_within
    wait
    grep -q '^ev-mock: 20 requests: 20 ok' "$MOCK_ERR"
}

@test "--latency MEAN:SD draws each request's latency from a normal or lognormal distribution" {
    start_mock --latency 150:50 --latency-dist lognormal
    run curl -sS -o /dev/null -w '%{time_total}' "$URL/v1/chat/completions" -d "$(ask x)"
    awk -v t="$output" 'BEGIN { exit !(t > 0.02) }' || fail_with "took $output s"
    start_mock --latency 100:1000
    run curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/chat/completions" -d "$(ask x)"
    [ "$output" = 200 ]
}

@test "requests on one connection are served with keep-alive" {
    start_mock
    run curl -sS -o /dev/null -o /dev/null -w '%{num_connects} ' "$URL/stats" "$URL/stats"
    [ "$output" = "1 0 " ]
}

@test "-v logs one line per request on stderr, and the summary at exit; -q silences the summary" {
    start_mock -v --cases "$CASES"
    answer 'What is 1 plus 8?' >/dev/null
    stop_mock
    grep -q "POST /v1/chat/completions 200 ok model 'small' attempt 1 answer right case 'c01'" "$MOCK_ERR"
    grep -q '^ev-mock: 1 requests: 1 ok' "$MOCK_ERR"
    start_mock -q
    answer x >/dev/null
    stop_mock
    [ ! -s "$MOCK_ERR" ]
}

@test "SIGINT and SIGTERM stop the server with exit 0" {
    start_mock
    stop_mock
    start_mock
    pid=${MOCK_PIDS[-1]}
    unset 'MOCK_PIDS[-1]'
    kill -INT "$pid"
    wait "$pid"
    grep -q '^ev-mock: 0 requests' "$MOCK_ERR"
}

@test "a stop during a slow answer ends the wait at once" {
    # an hour's wait: a stop that did not end it would leave the server up
    start_mock --fault slow=1 --slow-ms 3600000
    curl -sS "$URL/v1/chat/completions" -d "$(ask x)" >/dev/null 2>&1 3>&- &
    wait_stats '.in_flight == 1'
    stop_mock_within
    wait
    grep -q '^ev-mock: 1 requests: 0 ok, 1 faulted' "$MOCK_ERR"
}

@test "a closed stdout after the port line does not stop the server" {
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    ev-mock --port 0 >"$BATS_TEST_TMPDIR/fifo" 2>"$BATS_TEST_TMPDIR/mock0.err" 3>&- &
    MOCK_PIDS+=($!)
    read -r PORT <"$BATS_TEST_TMPDIR/fifo"
    URL="http://127.0.0.1:$PORT"
    [ "$(answer x | cut -c1-12)" = "mock answer " ]
    stop_mock
}

@test "a port in use is reported and exits 2" {
    start_mock
    run --separate-stderr ev-mock --port "$PORT"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-mock: cannot listen on 127.0.0.1:$PORT: Address already in use"* ]]
}

@test "a bad line or a case without expected in --cases is reported as file:line and the server does not start" {
    printf '%s\n' '{"id":"a","input":"x","expected":"y"}' '{"id":"b","input":' \
        '{"id":"c","input":"z"}' >"$BATS_TEST_TMPDIR/bad.jsonl"
    run --separate-stderr ev-mock --cases "$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"bad.jsonl:2: cannot parse record"* ]]
    [[ "$stderr" == *"bad.jsonl:3: case has no 'expected'"* ]]
    run --separate-stderr ev-mock --replay "$BATS_TEST_TMPDIR/missing.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot open '$BATS_TEST_TMPDIR/missing.jsonl'"* ]]
}

@test "bad option values are usage errors with exit 2 and a hint" {
    for args in '--port 70000' '--port x' '--accuracy 1.5' '--accuracy easy=' '--accuracy =0.5' \
        '--model-accuracy 0.5' '--fault nope=1' '--fault 429' '--fault 429=2' '--fault 429=0.5:0' \
        '--fault 429=0.5:x' '--latency x' '--latency 1:x' '--latency -5' '--latency-dist cauchy' \
        '--rpm 0' '--rpm-window 0' '--slow-ms -1' '--retry-after-ms x' '--seed -1' 'operand' \
        '--job-ms x' '--job-ms -1' '--job-advance never' '--learner-floor 2' '--learner-gain x' \
        '--learner-scale 0' '--learner-noise -1' '--learner-ceiling 0.1' '--fault job-fail=2' \
        '--fault job-fail=0.5:2' '--learner ' '--batch-ms x' '--batch-ms -1' '--batch-advance never' \
        '--fault batch-fail=2' '--fault batch-expire=x' '--fault batch-fail=0.5:2' \
        '--deploy-ms x' '--deploy-ms -1' '--fireworks-account Bad' '--fireworks-account fireworks' \
        '--fault lost-id=2' '--fault slow-deploy=x' '--fault lost-id=0.5:2'; do
        run --separate-stderr ev-mock $args
        [ "$status" -eq 2 ] || fail_with "ev-mock $args exited $status"
        [ -z "$output" ] || fail_with "ev-mock $args wrote to stdout"
        [[ "$stderr" == *"try 'ev-mock --help'"* ]] || fail_with "ev-mock $args: $stderr"
    done
    run --separate-stderr ev-mock --prot 1
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"unknown option '--prot'; did you mean '--port'?"* ]]
}

# Fine-tuning: files, jobs, events and the learner, a simulation.

# raw JQ: apply a jq filter to $output and print raw strings.
raw() {
    printf '%s\n' "$output" | jq -r "$1"
}

# post_form CURL ARGS...: post a multipart form to /v1/files, leaving the
# body in $BATS_TEST_TMPDIR/body; prints the status.
post_form() {
    curl -sS -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$@" "$URL/v1/files"
}

# chat_examples FILTER [FILE]: the cases of FILE (default: the fixture cases)
# that FILTER selects, as chat fine-tuning examples.
chat_examples() {
    jq -c "$1"' | {messages: [{role: "user", content: .input}, {role: "assistant", content: .expected}]}' \
        "${2:-$CASES}"
}

# upload FILE: upload FILE for fine-tuning; print the file id.
upload() {
    curl -sS "$URL/v1/files" -F purpose=fine-tune -F "file=@$1" | jq -r .id
}

# create_job FILE_ID MODEL [SUFFIX]: create a job; print its JSON.
create_job() {
    jq -cn --arg f "$1" --arg m "$2" --arg s "${3:-}" \
        '{model: $m, training_file: $f} + (if $s == "" then {} else {suffix: $s} end)' |
        curl -sS "$URL/v1/fine_tuning/jobs" -d @-
}

# job ID: GET the job.
job() {
    curl -sS "$URL/v1/fine_tuning/jobs/$1"
}

# finish_job ID: GET the job until it has ended, which under --job-advance
# poll takes three GETs; print its JSON.
finish_job() {
    local i
    for ((i = 0; i < 10; i++)); do
        case $(job "$1" | jq -r .status) in
        succeeded | failed | cancelled) break ;;
        esac
    done
    job "$1"
}

# tune FILE MODEL [SUFFIX]: upload FILE, tune MODEL on it to the end (the
# server runs with --job-advance poll); print the tuned model's name.
tune() {
    local fid jid
    fid=$(upload "$1")
    jid=$(create_job "$fid" "$2" "${3:-}" | jq -r .id)
    finish_job "$jid" | jq -r .fine_tuned_model
}

# learner_cases: 40 cases tagged 'target' and 20 tagged 'rest', in
# $BATS_TEST_TMPDIR/lc.jsonl.
learner_cases() {
    jq -cn '(range(40) | {id: "t\(.)", input: "Target question \(.)?", expected: "T\(.)", tags: ["target"]}),
        (range(20) | {id: "r\(.)", input: "Other question \(.)?", expected: "R\(.)", tags: ["rest"]})' \
        >"$BATS_TEST_TMPDIR/lc.jsonl"
}

# target_examples N: N training examples of the 'target' cases, cycling.
target_examples() {
    jq -c -s --argjson n "$1" '[.[] | select(.tags[0] == "target")] as $t |
        range($n) | $t[. % ($t | length)] |
        {messages: [{role: "user", content: .input}, {role: "assistant", content: .expected}]}' \
        "$BATS_TEST_TMPDIR/lc.jsonl"
}

# right_share MODEL TAG [PATH]: how many of the learner cases of TAG MODEL
# answers right, asked at PATH (default /v1/chat/completions).
right_share() {
    local body args=()
    while IFS= read -r body; do
        args+=(-sS -d "$body" "$URL${3:-/v1/chat/completions}" --next)
    done < <(jq -c --arg m "$1" --arg t "$2" 'select(.tags[0] == $t) |
        {model: $m, messages: [{role: "user", content: .input}]}' "$BATS_TEST_TMPDIR/lc.jsonl")
    curl "${args[@]}" -sS -o /dev/null "$URL/stats" | jq -r '.choices[0].message.content' \
        >"$BATS_TEST_TMPDIR/got"
    jq -r --arg t "$2" 'select(.tags[0] == $t) | .expected' "$BATS_TEST_TMPDIR/lc.jsonl" |
        paste - "$BATS_TEST_TMPDIR/got" | awk -F '\t' '$1 == $2 { n++ } END { print n + 0 }'
}

@test "POST /v1/files stores a multipart upload and GET /v1/files/ID returns the file object" {
    start_mock
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    run curl -sS "$URL/v1/files" -F purpose=fine-tune -F "file=@$BATS_TEST_TMPDIR/train.jsonl"
    [ "$(field '[.object, .filename, .purpose, .bytes, (.id | test("^file-[0-9a-f]{16}$")), (.created_at | type)]')" = \
        "[\"file\",\"train.jsonl\",\"fine-tune\",$(wc -c <"$BATS_TEST_TMPDIR/train.jsonl"),true,\"number\"]" ]
    id=$(raw .id)
    run curl -sS "$URL/v1/files/$id"
    [ "$(raw .id)" = "$id" ]
    [ "$(field .bytes)" = "$(wc -c <"$BATS_TEST_TMPDIR/train.jsonl")" ]
    # the same upload to a restarted server gets the same id
    stop_mock
    start_mock
    [ "$(upload "$BATS_TEST_TMPDIR/train.jsonl")" = "$id" ]
}

@test "an upload without purpose or file, or not multipart, gets 400; an unknown file gets 404" {
    start_mock
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    [ "$(post_form -F "file=@$BATS_TEST_TMPDIR/train.jsonl")" = 400 ]
    jq -e '.error.param == "purpose"' "$BATS_TEST_TMPDIR/body"
    [ "$(post_form -F purpose=fine-tune)" = 400 ]
    jq -e '.error.param == "file"' "$BATS_TEST_TMPDIR/body"
    [ "$(post_form -F purpose=nonsense -F "file=@$BATS_TEST_TMPDIR/train.jsonl")" = 400 ]
    [ "$(fetch /v1/files '{"purpose":"fine-tune"}' -H 'content-type: application/json')" = 400 ]
    jq -e '.error.message | test("multipart")' "$BATS_TEST_TMPDIR/body"
    run curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/files/file-0000000000000000"
    [ "$output" = 404 ]
}

@test "with --job-advance poll a job goes validating_files, queued, running, succeeded, one step a GET" {
    start_mock --cases "$CASES" --job-advance poll --job-ms 3600000
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(upload "$BATS_TEST_TMPDIR/train.jsonl")
    run create_job "$fid" small my-suffix
    [ "$(field '[.object, .status, .model, .training_file, .fine_tuned_model, .trained_tokens, .simulated, .user_provided_suffix]')" = \
        "[\"fine_tuning.job\",\"validating_files\",\"small\",\"$fid\",null,null,true,\"my-suffix\"]" ]
    [ "$(field '(.id | test("^ftjob-[0-9a-f]{16}$")) and (.created_at | type == "number") and .error == null')" = true ]
    jid=$(raw .id)
    for want in queued running succeeded succeeded; do
        run job "$jid"
        [ "$(raw .status)" = "$want" ]
    done
    [ "$(raw .fine_tuned_model)" = "ft:small:ev-mock:my-suffix:$jid" ]
    # 40 examples: 3 epochs, and the tokens ev-tune estimates
    [ "$(field .hyperparameters.n_epochs)" = 3 ]
    [ "$(field '.trained_tokens > 0 and (.finished_at | type) == "number"')" = true ]
    run curl -sS "$URL/v1/fine_tuning/jobs"
    [ "$(field '[.object, (.data | length), .data[0].id]')" = "[\"list\",1,\"$jid\"]" ]
}

@test "by time a job takes --job-ms, and its events list newest first with has_more and after" {
    start_mock --cases "$CASES" --job-ms 2000
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(upload "$BATS_TEST_TMPDIR/train.jsonl")
    run create_job "$fid" small
    [ "$(raw .status)" = validating_files ]
    jid=$(raw .id)
    # wait as long as it takes; the server's own times say how long it took
    for ((i = 0; i < 3000; i++)); do
        run job "$jid"
        [ "$(raw .status)" = succeeded ] && break
        sleep 0.02
    done
    [ "$(raw .status)" = succeeded ]
    [ "$(field '.finished_at - .created_at')" = 2 ]
    run curl -sS "$URL/v1/fine_tuning/jobs/$jid/events"
    [ "$(field '[.object, .has_more]')" = '["list",false]' ]
    [ "$(field '.data | all(.object == "fine_tuning.job.event" and (.id | startswith("ftevent-")) and (.created_at | type == "number") and .level == "info")')" = true ]
    [ "$(raw '.data[-1].message')" = "Validating training file: $fid" ]
    [ "$(raw '.data[0].message')" = "The job has successfully completed" ]
    [ "$(raw '.data[1].message')" = "New fine-tuned model created: $(job "$jid" | jq -r .fine_tuned_model)" ]
    [ "$(field '[.data[] | select(.type == "metrics")] | length')" = 3 ]
    all=$(field '[.data[].id]')
    run curl -sS "$URL/v1/fine_tuning/jobs/$jid/events?limit=2"
    [ "$(field '[(.data | length), .has_more]')" = '[2,true]' ]
    second=$(raw '.data[1].id')
    run curl -sS "$URL/v1/fine_tuning/jobs/$jid/events?after=$second&limit=100"
    [ "$(field '[.data[].id]')" = "$(jq -c '.[2:]' <<<"$all")" ]
    [ "$(fetch "/v1/fine_tuning/jobs/$jid/events?limit=0" '' -G)" = 400 ]
}

@test "a job with an unknown file, an invalid file or fewer than 10 examples gets 400 in OpenAI's shape" {
    start_mock --cases "$CASES"
    [ "$(fetch /v1/fine_tuning/jobs '{"model":"small","training_file":"file-nope"}')" = 400 ]
    jq -e '.error.type == "invalid_request_error" and .error.param == "training_file" and
        .error.code == "invalid_training_file"' "$BATS_TEST_TMPDIR/body"
    { chat_examples '.'; echo '{"messages":[{"role":"bot","content":"x"}]}'; echo 'not json'; } \
        >"$BATS_TEST_TMPDIR/bad.jsonl"
    fid=$(upload "$BATS_TEST_TMPDIR/bad.jsonl")
    [ "$(fetch /v1/fine_tuning/jobs "{\"model\":\"small\",\"training_file\":\"$fid\"}")" = 400 ]
    jq -e '.error.code == "invalid_training_file" and (.error.message | test("line 41: message 1 has unrecognized role .bot.")) and
        (.error.message | test("line 42: not valid JSON"))' "$BATS_TEST_TMPDIR/body"
    chat_examples 'select(.id <= "c09")' >"$BATS_TEST_TMPDIR/nine.jsonl"
    fid=$(upload "$BATS_TEST_TMPDIR/nine.jsonl")
    [ "$(fetch /v1/fine_tuning/jobs "{\"model\":\"small\",\"training_file\":\"$fid\"}")" = 400 ]
    jq -e '.error.code == "invalid_n_examples" and (.error.message | test("9 examples"))' "$BATS_TEST_TMPDIR/body"
    for body in '{"training_file":"x"}' '{"model":"small"}' 'nope' \
        "{\"model\":\"small\",\"training_file\":\"$fid\",\"suffix\":\"a:b\"}" \
        "{\"model\":\"small\",\"training_file\":\"$fid\",\"hyperparameters\":{\"n_epochs\":0}}"; do
        [ "$(fetch /v1/fine_tuning/jobs "$body")" = 400 ] || fail_with "accepted $body"
    done
    run curl -sS "$URL/stats"
    [ "$(field .fine_tuning.jobs)" = 0 ]
}

@test "POST .../cancel cancels a job that has not ended, and an ended job cannot be cancelled" {
    start_mock --cases "$CASES" --job-advance poll
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(upload "$BATS_TEST_TMPDIR/train.jsonl")
    jid=$(create_job "$fid" small | jq -r .id)
    job "$jid" >/dev/null
    run curl -sS -X POST "$URL/v1/fine_tuning/jobs/$jid/cancel"
    [ "$(field '[.status, .fine_tuned_model]')" = '["cancelled",null]' ]
    [ "$(job "$jid" | jq -r .status)" = cancelled ]
    run curl -sS "$URL/v1/fine_tuning/jobs/$jid/events"
    [ "$(raw '.data[0].message')" = "Fine-tuning job cancelled" ]
    [ "$(fetch "/v1/fine_tuning/jobs/$jid/cancel" '')" = 400 ]
    [ "$(fetch /v1/fine_tuning/jobs/ftjob-nope/cancel '')" = 404 ]
}

@test "--fault job-fail=1 fails every job with an error {code, message} and an error event" {
    start_mock --cases "$CASES" --fault job-fail=1 --job-advance poll
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(upload "$BATS_TEST_TMPDIR/train.jsonl")
    jid=$(create_job "$fid" small | jq -r .id)
    run finish_job "$jid"
    [ "$(field '[.status, .fine_tuned_model, .trained_tokens, .error.code]')" = '["failed",null,null,"server_error"]' ]
    [[ "$(raw .error.message)" == *"job-fail"* ]]
    run curl -sS "$URL/v1/fine_tuning/jobs/$jid/events"
    [ "$(raw '.data[0].level')" = error ]
    # a job-fail rate of 0.5 fails some of 20 distinct jobs, the same ones on restart
    start_mock --cases "$CASES" --fault job-fail=0.5 --job-advance poll
    for s in $(seq 20); do create_job "$(upload "$BATS_TEST_TMPDIR/train.jsonl")" small "s$s" | jq -r .id; done \
        >"$BATS_TEST_TMPDIR/jobs"
    while read -r j; do finish_job "$j" | jq -r .status; done <"$BATS_TEST_TMPDIR/jobs" >"$BATS_TEST_TMPDIR/st"
    n=$(grep -c failed "$BATS_TEST_TMPDIR/st")
    [ "$n" -ge 3 ] && [ "$n" -le 17 ] || fail_with "$n of 20 failed"
}

@test "the fine-tuning endpoints require the key of --require-key-env" {
    export MOCK_TEST_KEY=sk-test-ft-0123
    start_mock --require-key-env MOCK_TEST_KEY
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    [ "$(post_form -F purpose=fine-tune -F "file=@$BATS_TEST_TMPDIR/train.jsonl")" = 401 ]
    [ "$(fetch /v1/fine_tuning/jobs '{}' -H 'Authorization: Bearer sk-wrong')" = 401 ]
    jq -e '.error.code == "invalid_api_key"' "$BATS_TEST_TMPDIR/body"
    [ "$(post_form -F purpose=fine-tune -F "file=@$BATS_TEST_TMPDIR/train.jsonl" \
        -H "Authorization: Bearer $MOCK_TEST_KEY")" = 200 ]
    run curl -sS "$URL/stats"
    [ "$(field '.by_outcome | [.ok, .unauthorized]')" = '[1,2]' ]
}

@test "a model of ev-mock's naming that no finished job made gets 404 model_not_found" {
    start_mock --cases "$CASES" --learner small --job-advance poll
    [ "$(fetch /v1/chat/completions "$(ask x 'ft:small:ev-mock::ftjob-0000000000000000')")" = 404 ]
    jq -e '.error.code == "model_not_found"' "$BATS_TEST_TMPDIR/body"
    chat_examples '.' >"$BATS_TEST_TMPDIR/train.jsonl"
    jid=$(create_job "$(upload "$BATS_TEST_TMPDIR/train.jsonl")" small | jq -r .id)
    # not finished yet
    [ "$(fetch /v1/chat/completions "$(ask x "ft:small:ev-mock::$jid")")" = 404 ]
    # other ft: names are plain model names, as in a replay of a real run
    [ "$(fetch /v1/chat/completions "$(ask 'What is 1 plus 8?' 'ft:gpt-4o-mini:acme::abc123')")" = 200 ]
}

@test "the learner: a model tuned on 200 examples of a tag answers it right more often than on 10" {
    learner_cases
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --job-advance poll
    target_examples 10 >"$BATS_TEST_TMPDIR/t10.jsonl"
    target_examples 200 >"$BATS_TEST_TMPDIR/t200.jsonl"
    m10=$(tune "$BATS_TEST_TMPDIR/t10.jsonl" small ten)
    m200=$(tune "$BATS_TEST_TMPDIR/t200.jsonl" small many)
    [[ "$m10" == ft:small:ev-mock:ten:ftjob-* ]]
    base=$(right_share small target)
    r10=$(right_share "$m10" target)
    r200=$(right_share "$m200" target)
    # p = 0.25 at the base, about 0.36 after 10 examples, about 0.64 after 200;
    # a tuned model draws as its base, so tuning only turns wrong answers right
    [ "$base" -le "$r10" ] && [ "$r10" -lt "$r200" ] || fail_with "base $base, 10: $r10, 200: $r200"
    [ "$base" -ge 4 ] && [ "$base" -le 17 ] || fail_with "base $base of 40"
    [ "$r200" -ge 18 ] || fail_with "200 examples: $r200 of 40"
    # the tag it was not tuned on stays near the floor
    [ "$(right_share "$m200" rest)" -le 10 ]
    # deterministic across restarts: the same training gives the same model and answers
    stop_mock
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --job-advance poll
    [ "$(tune "$BATS_TEST_TMPDIR/t10.jsonl" small ten)" = "$m10" ]
    [ "$(right_share "$m10" target)" = "$r10" ]
}

@test "an example's own tags, when present, decide which tag it trains" {
    learner_cases
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --job-advance poll --learner-noise 0
    # 200 examples that match no case but say they are 'rest'
    jq -cn 'range(200) | {messages: [{role: "user", content: "unseen \(.)"}, {role: "assistant", content: "x"}], tags: ["rest"]}' \
        >"$BATS_TEST_TMPDIR/rest.jsonl"
    m=$(tune "$BATS_TEST_TMPDIR/rest.jsonl" small)
    [ "$(right_share "$m" rest)" -gt "$(right_share small rest)" ]
    [ "$(right_share "$m" target)" = "$(right_share small target)" ]
}

@test "the learner's base model answers at --learner-floor, beside a large model set by --model-accuracy" {
    learner_cases
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --model-accuracy big=0.6
    base=$(right_share small target)
    big=$(right_share big target)
    [ "$base" -ge 4 ] && [ "$base" -le 17 ] || fail_with "small: $base of 40"
    [ "$big" -ge 16 ] && [ "$big" -le 32 ] || fail_with "big: $big of 40"
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --learner-floor 1 --learner-ceiling 1
    [ "$(right_share small target)" = 40 ]
}

@test "--state keeps files and jobs across a restart, so a tuned model still answers" {
    learner_cases
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --job-advance poll --state "$BATS_TEST_TMPDIR/state.jsonl"
    target_examples 50 >"$BATS_TEST_TMPDIR/t50.jsonl"
    m=$(tune "$BATS_TEST_TMPDIR/t50.jsonl" small)
    r=$(right_share "$m" target)
    fid=$(upload "$BATS_TEST_TMPDIR/t50.jsonl")
    stop_mock
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small --state "$BATS_TEST_TMPDIR/state.jsonl"
    [ "$(right_share "$m" target)" = "$r" ]
    run curl -sS "$URL/v1/files/$fid"
    [ "$(raw .id)" = "$fid" ]
    run curl -sS "$URL/stats"
    [ "$(field '[.fine_tuning.files, .fine_tuning.jobs, .fine_tuning.by_status.succeeded]')" = '[2,1,1]' ]
    # without the state the model is unknown
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner small
    [ "$(fetch /v1/chat/completions "$(ask x "$m")")" = 404 ]
    # a journal that is not one stops the server from starting
    echo '{"nope":1}' >"$BATS_TEST_TMPDIR/bad-state.jsonl"
    run --separate-stderr ev-mock --state "$BATS_TEST_TMPDIR/bad-state.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"bad-state.jsonl:1: not a record of an ev-mock journal"* ]]
}

@test "/stats and --help name the fine-tuning learner a SIMULATION, with its formula" {
    start_mock --learner small --learner-floor 0.3
    run curl -sS "$URL/stats"
    [ "$(field '[.fine_tuning.simulated, .fine_tuning.learner.base, .fine_tuning.learner.floor, .fine_tuning.learner.scale]')" = \
        '[true,"small",0.3,5]' ]
    [[ "$(raw .fine_tuning.learner.formula)" == SIMULATION:* ]]
    start_mock
    run curl -sS "$URL/stats"
    [ "$(field .fine_tuning.learner)" = null ]
    run ev-mock --help
    [[ "$output" == *"SIMULATION"* ]]
    [[ "$output" == *"--learner BASE"* ]]
}

# Batches: OpenAI's Batch API and Anthropic's Message Batches, a simulation.

# batch_input FILTER [MODEL]: the fixture cases FILTER selects, as the lines
# of an OpenAI batch input file.
batch_input() {
    jq -c --arg m "${2:-small}" "$1"' | {custom_id: .id, method: "POST", url: "/v1/chat/completions",
        body: {model: $m, messages: [{role: "user", content: .input}]}}' "$CASES"
}

# upload_batch FILE: upload FILE with purpose batch; print the file id.
upload_batch() {
    curl -sS "$URL/v1/files" -F purpose=batch -F "file=@$1" | jq -r .id
}

# create_batch FILE_ID [ENDPOINT [WINDOW]]: create a batch; print its JSON.
create_batch() {
    jq -cn --arg f "$1" --arg e "${2:-/v1/chat/completions}" --arg w "${3:-24h}" \
        '{input_file_id: $f, endpoint: $e, completion_window: $w}' |
        curl -sS "$URL/v1/batches" -d @-
}

# batch ID: GET the batch.
batch() {
    curl -sS "$URL/v1/batches/$1"
}

# wait_batch ID: GET the batch until it has ended, which under
# --batch-advance poll takes at most four GETs; print its JSON.
wait_batch() {
    local i
    for ((i = 0; i < 10; i++)); do
        case $(batch "$1" | jq -r .status) in
        completed | failed | expired | cancelled) break ;;
        esac
    done
    batch "$1"
}

# content FILE_ID: the bytes of a file.
content() {
    curl -sS "$URL/v1/files/$1/content"
}

# by_custom_id FILE: the lines of FILE as one object keyed by custom_id.
by_custom_id() {
    jq -cs 'map({(.custom_id): .}) | add' "$1"
}

@test "an OpenAI batch: upload, create, poll to completed; the output file holds the synchronous answers, with usage" {
    start_mock --cases "$CASES" --accuracy 0.5 --batch-advance poll
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    fid=$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")
    run curl -sS "$URL/v1/files/$fid"
    [ "$(field '[.purpose, .bytes]')" = "[\"batch\",$(wc -c <"$BATS_TEST_TMPDIR/in.jsonl")]" ]
    [ "$(content "$fid")" = "$(cat "$BATS_TEST_TMPDIR/in.jsonl")" ]
    run create_batch "$fid"
    [ "$(field '[.object, .status, .endpoint, .input_file_id, .completion_window, .output_file_id, .error_file_id, .errors, .request_counts, .metadata, .in_progress_at, .completed_at]')" = \
        "[\"batch\",\"validating\",\"/v1/chat/completions\",\"$fid\",\"24h\",null,null,null,{\"total\":40,\"completed\":0,\"failed\":0},null,null,null]" ]
    [ "$(field '(.id | test("^batch_[0-9a-f]{16}$")) and .expires_at - .created_at == 86400')" = true ]
    bid=$(raw .id)
    run wait_batch "$bid"
    [ "$(field '[.status, .request_counts, .error_file_id, .failed_at, .cancelled_at]')" = \
        '["completed",{"total":40,"completed":40,"failed":0},null,null,null]' ]
    [ "$(field '[.in_progress_at, .finalizing_at, .completed_at] | all(type == "number")')" = true ]
    oid=$(raw .output_file_id)
    run curl -sS "$URL/v1/files/$oid"
    [ "$(field '[.object, .purpose, (.id | startswith("file-"))]')" = '["file","batch_output",true]' ]
    content "$oid" >"$BATS_TEST_TMPDIR/out.jsonl"
    assert_jsonl "$BATS_TEST_TMPDIR/out.jsonl"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/out.jsonl")" = 40 ]
    jq -e -s 'all((.id | test("^batch_req_[0-9a-f]{16}$")) and .error == null and
        .response.status_code == 200 and (.response.request_id | startswith("req_")) and
        .response.body.object == "chat.completion" and .response.body.usage.total_tokens > 0) and
        (map(.id) | unique | length) == 40' "$BATS_TEST_TMPDIR/out.jsonl"
    # each answer is the synchronous endpoint's answer to the same body
    args=()
    while IFS= read -r body; do
        args+=(-sS -d "$body" "$URL/v1/chat/completions" --next)
    done < <(jq -c .body "$BATS_TEST_TMPDIR/in.jsonl")
    curl "${args[@]}" -sS -o /dev/null "$URL/stats" | jq -c '[.model, .choices, .usage]' >"$BATS_TEST_TMPDIR/sync"
    jq -r .custom_id "$BATS_TEST_TMPDIR/in.jsonl" |
        jq -cR --argjson out "$(by_custom_id "$BATS_TEST_TMPDIR/out.jsonl")" \
            '$out[.].response.body | [.model, .choices, .usage]' >"$BATS_TEST_TMPDIR/batched"
    cmp "$BATS_TEST_TMPDIR/sync" "$BATS_TEST_TMPDIR/batched"
    # with --accuracy 0.5 some answers are wrong, and the batch got the same ones wrong
    n=$(jq -r '.[1][0].message.content' "$BATS_TEST_TMPDIR/sync" | paste - <(jq -r .expected "$CASES") |
        awk -F '\t' '$1 != $2 { n++ } END { print n + 0 }')
    [ "$n" -ge 5 ] && [ "$n" -le 35 ] || fail_with "$n of 40 wrong"
    run curl -sS "$URL/stats"
    [ "$(field .batches)" = '{"simulated":true,"openai":{"batches_created":1,"requests_answered":40,"files_uploaded":1},"anthropic":{"batches_created":0,"requests_answered":0}}' ]
    [ "$(field '.by_path["/v1/batches"]')" -ge 2 ]
}

@test "--fault batch-fail sends a share of lines, chosen by custom_id, to the error file with status 500" {
    start_mock --cases "$CASES" --batch-advance poll --fault batch-fail=0.3
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    run wait_batch "$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)"
    [ "$(raw .status)" = completed ]
    failed=$(field .request_counts.failed)
    [ "$failed" -ge 3 ] && [ "$failed" -le 25 ] || fail_with "$failed of 40 failed"
    [ "$(field '.request_counts.completed + .request_counts.failed')" = 40 ]
    content "$(raw .output_file_id)" >"$BATS_TEST_TMPDIR/out.jsonl"
    content "$(raw .error_file_id)" >"$BATS_TEST_TMPDIR/err.jsonl"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/err.jsonl")" = "$failed" ]
    jq -e -s 'all(.response.status_code == 500 and .response.body.error.type == "server_error" and
        (.response.body.error.message | test("batch-fail")) and (.response.request_id | startswith("req_")) and
        .error == null and (.id | startswith("batch_req_")))' "$BATS_TEST_TMPDIR/err.jsonl"
    # every line is in one file or the other
    [ "$(cat "$BATS_TEST_TMPDIR/out.jsonl" "$BATS_TEST_TMPDIR/err.jsonl" | jq -r .custom_id | sort | tr '\n' ' ')" = \
        "$(jq -r .id "$CASES" | sort | tr '\n' ' ')" ]
    # the same lines fail on a restarted server
    jq -r .custom_id "$BATS_TEST_TMPDIR/err.jsonl" | sort >"$BATS_TEST_TMPDIR/first"
    start_mock --cases "$CASES" --batch-advance poll --fault batch-fail=0.3
    run wait_batch "$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)"
    content "$(raw .error_file_id)" | jq -r .custom_id | sort | cmp - "$BATS_TEST_TMPDIR/first"
    # when every line fails there is no output file
    start_mock --cases "$CASES" --batch-advance poll --fault batch-fail=1
    run wait_batch "$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)"
    [ "$(field '[.status, .output_file_id, .request_counts]')" = '["completed",null,{"total":40,"completed":0,"failed":40}]' ]
}

@test "a line whose body is not a chat request, or names an unknown tuned model, ends in the error file with its 4xx" {
    start_mock --cases "$CASES" --batch-advance poll
    { batch_input 'select(.id == "c01")'
      echo '{"custom_id":"nomsg","method":"POST","url":"/v1/chat/completions","body":{"model":"small"}}'
      echo '{"custom_id":"ft","method":"POST","url":"/v1/chat/completions","body":{"model":"ft:small:ev-mock::ftjob-0000000000000000","messages":[{"role":"user","content":"x"}]}}'
    } >"$BATS_TEST_TMPDIR/in.jsonl"
    run wait_batch "$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)"
    [ "$(field '[.status, .request_counts]')" = '["completed",{"total":3,"completed":1,"failed":2}]' ]
    run content "$(raw .error_file_id)"
    [ "$(field '[.custom_id, .response.status_code, .response.body.error.type, .response.body.error.code]' | tr '\n' ' ')" = \
        '["nomsg",400,"invalid_request_error",null] ["ft",404,"invalid_request_error","model_not_found"] ' ]
}

@test "--fault batch-expire: the batch ends expired, the expired lines are only in the error file, code batch_expired" {
    start_mock --cases "$CASES" --batch-advance poll --fault batch-expire=0.25
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    run wait_batch "$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)"
    [ "$(field '[.status, (.expired_at | type), .completed_at]')" = '["expired","number",null]' ]
    expired=$(field .request_counts.failed)
    [ "$expired" -ge 2 ] && [ "$expired" -le 20 ] || fail_with "$expired of 40 expired"
    content "$(raw .output_file_id)" >"$BATS_TEST_TMPDIR/out.jsonl"
    content "$(raw .error_file_id)" >"$BATS_TEST_TMPDIR/err.jsonl"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/out.jsonl")" = $((40 - expired)) ]
    [ "$(wc -l <"$BATS_TEST_TMPDIR/err.jsonl")" = "$expired" ]
    jq -e -s 'all(.response == null and .error.code == "batch_expired" and (.error.message | length > 0))' \
        "$BATS_TEST_TMPDIR/err.jsonl"
    # never run: the expired lines were not answered
    run curl -sS "$URL/stats"
    [ "$(field .batches.openai.requests_answered)" = $((40 - expired)) ]
}

@test "with --batch-advance poll a batch goes validating, in_progress with 0 then 20 of 40 done, finalizing, completed" {
    start_mock --cases "$CASES" --batch-advance poll --batch-ms 3600000
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    bid=$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)
    for want in '"in_progress",0' '"in_progress",20' '"finalizing",40' '"completed",40' '"completed",40'; do
        run batch "$bid"
        [ "$(field '[.status, .request_counts.completed]')" = "[$want]" ] || fail_with "want $want: $output"
    done
    [ "$(field '.output_file_id | startswith("file-")')" = true ]
    run ev-mock --help
    [[ "$output" == *"--batch-advance HOW"* && "$output" == *"--batch-ms MS"* && "$output" == *"batch-expire=RATE"* ]]
}

@test "by time a batch takes --batch-ms, and its completed count never falls while it runs" {
    # when each step comes is a unit test (test_batches), at given times
    start_mock --cases "$CASES" --batch-ms 2000
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    run create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")"
    [ "$(field '[.status, .request_counts.completed]')" = '["validating",0]' ]
    bid=$(raw .id)
    # wait as long as it takes; the server's own times say how long it took
    for ((i = 0; i < 3000; i++)); do
        batch "$bid" | jq -c '[.status, .request_counts.completed]'
        [ "$(batch "$bid" | jq -r .status)" = completed ] && break
        sleep 0.02
    done >"$BATS_TEST_TMPDIR/seen"
    run batch "$bid"
    [ "$(field '[.status, .request_counts.completed, .completed_at - .created_at]')" = '["completed",40,2]' ]
    jq -s -e '[.[][1]] as $n | [range(1; $n | length) | $n[.] >= $n[. - 1]] | all' "$BATS_TEST_TMPDIR/seen"
}

@test "POST /v1/batches/ID/cancel: cancelling, then cancelled, with only the lines already done in the output" {
    start_mock --cases "$CASES" --batch-advance poll
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    bid=$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)
    batch "$bid" >/dev/null
    batch "$bid" >/dev/null
    run curl -sS -X POST "$URL/v1/batches/$bid/cancel"
    [ "$(field '[.status, (.cancelling_at | type), .cancelled_at, .request_counts.completed]')" = '["cancelling","number",null,20]' ]
    run batch "$bid"
    [ "$(field '[.status, (.cancelled_at | type), .request_counts, .error_file_id]')" = \
        '["cancelled","number",{"total":40,"completed":20,"failed":0},null]' ]
    run content "$(raw .output_file_id)"
    [ "$(field .custom_id | wc -l)" = 20 ]
    [ "$(fetch "/v1/batches/$bid/cancel" '')" = 400 ]
    jq -e '.error.type == "invalid_request_error"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/batches/batch_nope/cancel '')" = 404 ]
    # a batch cancelled before it started has no output at all
    bid=$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")" | jq -r .id)
    curl -sS -X POST "$URL/v1/batches/$bid/cancel" >/dev/null
    run batch "$bid"
    [ "$(field '[.status, .output_file_id, .error_file_id, .request_counts.completed]')" = '["cancelled",null,null,0]' ]
}

@test "GET /v1/batches lists newest first with limit, after, first_id, last_id and has_more; unknown ids get 404" {
    start_mock --cases "$CASES" --batch-ms 1
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    fid=$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")
    for i in 1 2 3; do create_batch "$fid" | jq -r .id; done >"$BATS_TEST_TMPDIR/ids"
    newest=$(tac "$BATS_TEST_TMPDIR/ids" | jq -Rsc 'split("\n")[:-1]')
    [ "$(jq -r 'length' <<<"$newest")" = 3 ]
    run curl -sS "$URL/v1/batches"
    [ "$(field '[.object, [.data[].id], .has_more]')" = "[\"list\",$newest,false]" ]
    run curl -sS "$URL/v1/batches?limit=2"
    [ "$(field '[[.data[].id], .first_id, .last_id, .has_more]')" = \
        "[$(jq -c '.[:2]' <<<"$newest"),$(jq -c '.[0]' <<<"$newest"),$(jq -c '.[1]' <<<"$newest"),true]" ]
    run curl -sS "$URL/v1/batches?limit=2&after=$(raw .last_id)"
    [ "$(field '[[.data[].id], .has_more]')" = "[$(jq -c '.[2:]' <<<"$newest"),false]" ]
    for q in limit=0 limit=101 limit=x; do
        [ "$(fetch "/v1/batches?$q" '' -G)" = 400 ] || fail_with "accepted $q"
    done
    [ "$(fetch /v1/batches/batch_0000000000000000 '' -G)" = 404 ]
    jq -e '.error.type == "invalid_request_error" and (.error.message | test("batch_0000000000000000"))' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/files/file-nope/content '' -G)" = 404 ]
    # a wrong method is a 404, as on the other routes
    run curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL/v1/batches/$(head -n 1 "$BATS_TEST_TMPDIR/ids")"
    [ "$output" = 404 ]
}

@test "a batch request with an unknown file gets 404, a wrong endpoint or completion_window 400" {
    start_mock --cases "$CASES"
    batch_input '.' >"$BATS_TEST_TMPDIR/in.jsonl"
    fid=$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")
    [ "$(fetch /v1/batches '{"input_file_id":"file-nope","endpoint":"/v1/chat/completions","completion_window":"24h"}')" = 404 ]
    jq -e '.error.param == "input_file_id"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/batches "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\"}")" = 400 ]
    jq -e '.error.type == "invalid_request_error" and .error.param == "endpoint"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/batches "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"1h\"}")" = 400 ]
    jq -e '.error.param == "completion_window"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/batches "{\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")" = 400 ]
    [ "$(fetch /v1/batches 'nope')" = 400 ]
    # a file uploaded for fine-tuning is not a batch's input
    tid=$(curl -sS "$URL/v1/files" -F purpose=fine-tune -F "file=@$BATS_TEST_TMPDIR/in.jsonl" | jq -r .id)
    [ "$(fetch /v1/batches "{\"input_file_id\":\"$tid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")" = 400 ]
    # metadata is kept
    run curl -sS "$URL/v1/batches" -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"run\":\"r1\"}}"
    [ "$(field .metadata)" = '{"run":"r1"}' ]
    run curl -sS "$URL/stats"
    [ "$(field .batches.openai.batches_created)" = 1 ]
}

@test "an input file with a bad line, a duplicate custom_id or a wrong url makes a batch that fails, naming the lines" {
    start_mock --cases "$CASES" --batch-advance poll
    { batch_input 'select(.id <= "c03")'
      echo 'not json'
      batch_input 'select(.id == "c02")'
      echo '{"custom_id":"u","method":"POST","url":"/v1/embeddings","body":{}}'
      echo '{"method":"POST","url":"/v1/chat/completions","body":{}}'
    } >"$BATS_TEST_TMPDIR/bad.jsonl"
    run create_batch "$(upload_batch "$BATS_TEST_TMPDIR/bad.jsonl")"
    [ "$(raw .status)" = validating ]
    run wait_batch "$(raw .id)"
    [ "$(field '[.status, (.failed_at | type), .output_file_id, .error_file_id, .request_counts.total, .errors.object]')" = \
        '["failed","number",null,null,0,"list"]' ]
    [ "$(field '[.errors.data[] | [.line, .code, .param]]')" = \
        '[[4,"invalid_json_line",null],[5,"duplicate_custom_id","custom_id"],[6,"mismatched_url","url"],[7,"missing_required_parameter","custom_id"]]' ]
    [[ "$(raw '.errors.data[1].message')" == *"'c02' is also on line 2"* ]]
    run curl -sS "$URL/stats"
    [ "$(field .batches.openai.requests_answered)" = 0 ]
}

@test "an input file of more than 50,000 lines makes a batch that fails at line 50,001" {
    start_mock --batch-advance poll
    jq -cn 'range(50001) | {custom_id: "r\(.)", method: "POST", url: "/v1/chat/completions", body: {}}' \
        >"$BATS_TEST_TMPDIR/big.jsonl"
    bid=$(create_batch "$(upload_batch "$BATS_TEST_TMPDIR/big.jsonl")" | jq -r .id)
    run batch "$bid"
    [ "$(field '[.status, [.errors.data[] | [.line, .code]]]')" = '["failed",[[50001,"too_many_requests"]]]' ]
}

@test "the batch endpoints require the key of --require-key-env, Bearer for OpenAI and x-api-key for Anthropic" {
    export MOCK_TEST_KEY=sk-test-batch-0123
    start_mock --require-key-env MOCK_TEST_KEY
    [ "$(fetch /v1/batches '{}')" = 401 ]
    [ "$(fetch /v1/batches/batch_x '' -G -H 'Authorization: Bearer sk-wrong')" = 401 ]
    jq -e '.error.code == "invalid_api_key"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/batches '' -G -H "Authorization: Bearer $MOCK_TEST_KEY")" = 200 ]
    [ "$(fetch /v1/files/file-x/content '' -G)" = 401 ]
    [ "$(fetch /v1/messages/batches '{}' -H 'anthropic-version: 2023-06-01')" = 401 ]
    jq -e '.type == "error" and .error.type == "authentication_error"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /v1/messages/batches '' -G -H 'anthropic-version: 2023-06-01' -H "x-api-key: $MOCK_TEST_KEY")" = 200 ]
}

# msg_batch BODY: post an Anthropic message batch; print the status, the
# body in $BATS_TEST_TMPDIR/body.
msg_batch() {
    fetch /v1/messages/batches "$1" -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k'
}

# msg_get PATH: GET an Anthropic batch path (after /v1/messages/batches).
msg_get() {
    curl -sS "$URL/v1/messages/batches$1" -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k'
}

# msg_requests FILTER: the fixture cases FILTER selects as a batch request body.
msg_requests() {
    jq -cs "[.[] | $1]"' | {requests: map({custom_id: .id, params: {model: "small", max_tokens: 100,
        messages: [{role: "user", content: .input}]}})}' "$CASES"
}

@test "an Anthropic message batch: create, poll to ended, results_url, and results that are the synchronous messages" {
    # by poll: 40 processing, 20 and 20, then ended
    start_mock --cases "$CASES" --accuracy 0.5 --batch-advance poll
    msg_requests '.' >"$BATS_TEST_TMPDIR/req.json"
    [ "$(msg_batch "@$BATS_TEST_TMPDIR/req.json")" = 200 ]
    run cat "$BATS_TEST_TMPDIR/body"
    [ "$(field '[.type, .processing_status, .request_counts, .ended_at, .archived_at, .cancel_initiated_at, .results_url]')" = \
        '["message_batch","in_progress",{"processing":40,"succeeded":0,"errored":0,"canceled":0,"expired":0},null,null,null,null]' ]
    [ "$(field '(.id | test("^msgbatch_[0-9a-f]{16}$")) and (.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and (.expires_at > .created_at)')" = true ]
    id=$(raw .id)
    # the results are not there before the batch ends
    run curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/messages/batches/$id/results" -H 'anthropic-version: 2023-06-01'
    [ "$output" = 400 ]
    run msg_get "/$id"
    [ "$(field '[.processing_status, .request_counts.processing, .results_url]')" = '["in_progress",40,null]' ]
    run msg_get "/$id"
    [ "$(field '[.processing_status, .request_counts.processing, .request_counts.succeeded]')" = '["in_progress",20,20]' ]
    msg_get "/$id" >/dev/null
    run msg_get "/$id"
    [ "$(field '[.processing_status, .request_counts, (.ended_at | type), .results_url]')" = \
        "[\"ended\",{\"processing\":0,\"succeeded\":40,\"errored\":0,\"canceled\":0,\"expired\":0},\"string\",\"$URL/v1/messages/batches/$id/results\"]" ]
    curl -sS "$(raw .results_url)" -H 'anthropic-version: 2023-06-01' >"$BATS_TEST_TMPDIR/results.jsonl"
    assert_jsonl "$BATS_TEST_TMPDIR/results.jsonl"
    jq -e -s 'length == 40 and all(.result.type == "succeeded" and .result.message.type == "message" and
        .result.message.usage.output_tokens > 0)' "$BATS_TEST_TMPDIR/results.jsonl"
    # each message is the synchronous endpoint's for the same params
    args=()
    while IFS= read -r body; do
        args+=(-sS -H 'anthropic-version: 2023-06-01' -d "$body" "$URL/v1/messages" --next)
    done < <(jq -c '.requests[].params' "$BATS_TEST_TMPDIR/req.json")
    curl "${args[@]}" -sS -o /dev/null "$URL/stats" | jq -c '[.content, .usage, .stop_reason]' >"$BATS_TEST_TMPDIR/sync"
    jq -r '.requests[].custom_id' "$BATS_TEST_TMPDIR/req.json" |
        jq -cR --argjson r "$(by_custom_id "$BATS_TEST_TMPDIR/results.jsonl")" \
            '$r[.].result.message | [.content, .usage, .stop_reason]' >"$BATS_TEST_TMPDIR/batched"
    cmp "$BATS_TEST_TMPDIR/sync" "$BATS_TEST_TMPDIR/batched"
    run curl -sS "$URL/stats"
    [ "$(field .batches.anthropic)" = '{"batches_created":1,"requests_answered":40}' ]
}

@test "Anthropic results say errored for batch-fail lines and bad params, expired for batch-expire lines" {
    start_mock --cases "$CASES" --batch-advance poll --fault batch-fail=0.3 --fault batch-expire=0.2
    msg_requests '.' >"$BATS_TEST_TMPDIR/req.json"
    msg_batch "@$BATS_TEST_TMPDIR/req.json" >/dev/null
    id=$(jq -r .id "$BATS_TEST_TMPDIR/body")
    for i in 1 2 3 4; do msg_get "/$id" >/dev/null; done
    run msg_get "/$id"
    [ "$(raw .processing_status)" = ended ]
    msg_get "/$id/results" >"$BATS_TEST_TMPDIR/results.jsonl"
    [ "$(jq -s -c 'group_by(.result.type) | map({(.[0].result.type): length}) | add' "$BATS_TEST_TMPDIR/results.jsonl")" = \
        "$(field '.request_counts | {errored, expired, succeeded} | with_entries(select(.value > 0))')" ]
    [ "$(field '.request_counts | [.errored >= 4, .expired >= 2, .succeeded >= 10, .processing == 0] | all')" = true ]
    jq -e -s 'map(select(.result.type == "errored")) | all(.result.error.type == "error" and
        (.result.error.error.type | IN("api_error", "invalid_request_error")) and (.result.error | has("request_id") | not))' \
        "$BATS_TEST_TMPDIR/results.jsonl"
    # params that are not a messages request make an errored result, not a 400
    start_mock --cases "$CASES" --batch-advance poll
    msg_batch "$(msg_requests 'select(.id == "c01")' |
        jq -c '.requests += [{custom_id: "bad-params", params: {model: "small", messages: []}}]')" >/dev/null
    id=$(jq -r .id "$BATS_TEST_TMPDIR/body")
    for i in 1 2 3 4; do msg_get "/$id" >/dev/null; done
    run msg_get "/$id/results"
    [ "$(field '[.custom_id, .result.type, .result.error.error.type]' | tr '\n' ' ')" = \
        '["c01","succeeded",null] ["bad-params","errored","invalid_request_error"] ' ]
    jq -e -s 'map(select(.result.type == "expired")) | all(.result == {type: "expired"})' "$BATS_TEST_TMPDIR/results.jsonl"
}

@test "an Anthropic batch needs 1 to 100,000 requests, each with a unique custom_id of ^[a-zA-Z0-9_-]{1,64}\$ and params" {
    start_mock --cases "$CASES"
    long=$(printf 'a%.0s' $(seq 65))
    for body in '{"requests":[]}' '{}' 'nope' '{"requests":[{"custom_id":"a b","params":{}}]}' \
        '{"requests":[{"custom_id":"","params":{}}]}' "{\"requests\":[{\"custom_id\":\"$long\",\"params\":{}}]}" \
        '{"requests":[{"custom_id":"ok","params":{}},{"custom_id":"ok","params":{}}]}' \
        '{"requests":[{"custom_id":"ok"}]}'; do
        [ "$(msg_batch "$body")" = 400 ] || fail_with "accepted $body"
        jq -e '.type == "error" and .error.type == "invalid_request_error" and (.request_id | startswith("req_"))' \
            "$BATS_TEST_TMPDIR/body" || fail_with "$(cat "$BATS_TEST_TMPDIR/body")"
    done
    [ "$(msg_batch '{"requests":[{"custom_id":"ok","params":{}},{"custom_id":"ok","params":{}}]}')" = 400 ]
    jq -e '.error.message | test("requests.1.custom_id")' "$BATS_TEST_TMPDIR/body"
    jq -cn '{requests: [range(100001) | {custom_id: "r\(.)", params: {}}]}' >"$BATS_TEST_TMPDIR/big.json"
    [ "$(msg_batch "@$BATS_TEST_TMPDIR/big.json")" = 400 ]
    jq -e '.error.message | test("100000")' "$BATS_TEST_TMPDIR/body"
    # a 64-character custom_id of every allowed kind is fine
    [ "$(msg_batch "{\"requests\":[{\"custom_id\":\"${long:1}\",\"params\":{}},{\"custom_id\":\"Az09_-\",\"params\":{}}]}")" = 200 ]
    # the anthropic-version header is required, and unknown ids get 404 not_found_error
    [ "$(fetch /v1/messages/batches "$(msg_requests 'select(.id == "c01")')")" = 400 ]
    run msg_get /msgbatch_nope
    [ "$(field '[.type, .error.type]')" = '["error","not_found_error"]' ]
    run msg_get /msgbatch_nope/results
    [ "$(raw .error.type)" = not_found_error ]
    run curl -sS "$URL/stats"
    [ "$(field .batches.anthropic.batches_created)" = 1 ]
}

@test "an Anthropic batch cancelled midway ends with the rest canceled; lists page with after_id and before_id" {
    start_mock --cases "$CASES" --batch-advance poll
    msg_requests '.' >"$BATS_TEST_TMPDIR/req.json"
    msg_batch "@$BATS_TEST_TMPDIR/req.json" >/dev/null
    id=$(jq -r .id "$BATS_TEST_TMPDIR/body")
    msg_get "/$id" >/dev/null
    msg_get "/$id" >/dev/null
    [ "$(fetch "/v1/messages/batches/$id/cancel" '' -H 'anthropic-version: 2023-06-01')" = 200 ]
    run cat "$BATS_TEST_TMPDIR/body"
    [ "$(field '[.processing_status, (.cancel_initiated_at | type), .request_counts.succeeded]')" = '["canceling","string",20]' ]
    run msg_get "/$id"
    [ "$(field '[.processing_status, .request_counts]')" = '["ended",{"processing":0,"succeeded":20,"errored":0,"canceled":20,"expired":0}]' ]
    msg_get "/$id/results" >"$BATS_TEST_TMPDIR/results.jsonl"
    [ "$(jq -s -c 'map(.result.type) | group_by(.) | map([.[0], length])' "$BATS_TEST_TMPDIR/results.jsonl")" = '[["canceled",20],["succeeded",20]]' ]
    [ "$(fetch "/v1/messages/batches/$id/cancel" '' -H 'anthropic-version: 2023-06-01')" = 400 ]
    # three batches, newest first
    for i in 1 2; do
        msg_batch "$(msg_requests "select(.id == \"c0$i\")")" >/dev/null
        jq -r .id "$BATS_TEST_TMPDIR/body"
    done >"$BATS_TEST_TMPDIR/ids"
    newest="[\"$(sed -n 2p "$BATS_TEST_TMPDIR/ids")\",\"$(sed -n 1p "$BATS_TEST_TMPDIR/ids")\",\"$id\"]"
    run msg_get ''
    [ "$(field '[[.data[].id], .has_more, .first_id, .last_id]')" = \
        "[$newest,false,$(jq -c '.[0]' <<<"$newest"),\"$id\"]" ]
    run msg_get '?limit=1'
    [ "$(field '[[.data[].id], .has_more]')" = "[$(jq -c '.[:1]' <<<"$newest"),true]" ]
    run msg_get "?limit=1&after_id=$(raw .last_id)"
    [ "$(field '[[.data[].id], .has_more]')" = "[$(jq -c '.[1:2]' <<<"$newest"),true]" ]
    run msg_get "?limit=5&before_id=$id"
    [ "$(field '[[.data[].id], .has_more]')" = "[$(jq -c '.[:2]' <<<"$newest"),false]" ]
    run msg_get '?limit=0'
    [ "$(raw .error.type)" = invalid_request_error ]
}

@test "/stats counts batches and uploads per provider, so a batch sent twice shows; /stats/reset zeroes them" {
    start_mock --cases "$CASES" --batch-advance poll
    batch_input 'select(.id <= "c05")' >"$BATS_TEST_TMPDIR/in.jsonl"
    fid=$(upload_batch "$BATS_TEST_TMPDIR/in.jsonl")
    wait_batch "$(create_batch "$fid" | jq -r .id)" >/dev/null
    wait_batch "$(create_batch "$fid" | jq -r .id)" >/dev/null
    msg_batch "$(msg_requests 'select(.id <= "c03")')" >/dev/null
    id=$(jq -r .id "$BATS_TEST_TMPDIR/body")
    for i in 1 2 3 4; do msg_get "/$id" >/dev/null; done
    run curl -sS "$URL/stats"
    [ "$(field .batches)" = '{"simulated":true,"openai":{"batches_created":2,"requests_answered":10,"files_uploaded":1},"anthropic":{"batches_created":1,"requests_answered":3}}' ]
    run curl -sS -X POST "$URL/stats/reset"
    [ "$(field .batches)" = '{"simulated":true,"openai":{"batches_created":0,"requests_answered":0,"files_uploaded":0},"anthropic":{"batches_created":0,"requests_answered":0}}' ]
    # the batches themselves stay
    run curl -sS "$URL/v1/batches"
    [ "$(field '.data | length')" = 2 ]
}

@test "under --tls-cert the results_url is https" {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=127.0.0.1 -keyout "$BATS_TEST_TMPDIR/key.pem" -out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
    start_mock --batch-advance poll --tls-cert "$BATS_TEST_TMPDIR/cert.pem" --tls-key "$BATS_TEST_TMPDIR/key.pem"
    run curl -sSk "https://127.0.0.1:$PORT/v1/messages/batches" -H 'anthropic-version: 2023-06-01' \
        -d '{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}]}'
    id=$(raw .id)
    # by poll, the fourth GET ends it
    for i in 1 2 3 4; do
        run curl -sSk "https://127.0.0.1:$PORT/v1/messages/batches/$id" -H 'anthropic-version: 2023-06-01'
    done
    [ "$(raw .processing_status)" = ended ]
    [ "$(raw .results_url)" = "https://127.0.0.1:$PORT/v1/messages/batches/$id/results" ]
}

@test "--judge MODEL grades prompts for MODEL only, with a reason line then the label" {
    start_mock -q --judge grader
    printf -v pass 'The reply was: the capital is Paris.\nParis'
    printf -v fail 'The reply was: the capital is Lyon.\nParis'
    [ "$(answer "$pass" grader)" = "$(printf 'I compared the answer with the reference.\nPASS')" ]
    [ "$(answer "$fail" grader | tail -n 1)" = FAIL ]
    [[ "$(answer "$pass" small)" == "mock answer "* ]]
    got=$(anthropic "$(ask_anthropic "$fail" grader)" | jq -r '.content[0].text' | tail -n 1)
    [ "$got" = FAIL ]
}

@test "-f judge-invalid makes the judge answer in prose, with no label at all" {
    start_mock -q --judge grader -f judge-invalid=1:all
    printf -v pass 'The reply was: Paris.\nParis'
    got=$(answer "$pass" grader)
    [ -n "$got" ]
    [[ "$got" != *PASS* ]]
    [[ "$got" != *FAIL* ]]
}

# Together and Fireworks: fine-tuning and serving, simulations (issue 14).
# Every test runs with --job-advance poll: jobs and deployments move one
# step a GET, whatever the time.

TG_BASE=meta-llama/Meta-Llama-3.1-8B-Instruct-Reference
FW_BASE=accounts/fireworks/models/qwen3-8b
TG_PROJECT=/together/v2/projects/proj_ev-mock
FW_ACCOUNT=/fireworks/v1/accounts/ev-mock

# tg_upload FILE: upload FILE to Together for fine-tuning; print the file.
tg_upload() {
    curl -sS "$URL/together/v1/files/upload" -F purpose=fine-tune -F "file_name=${1##*/}" -F "file=@$1"
}

# form PATH CURL ARGS...: post a multipart form to PATH, leaving the body in
# $BATS_TEST_TMPDIR/body; prints the status.
form() {
    local path=$1
    shift
    curl -sS -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$@" "$URL$path"
}

# tg_create BODY: create a Together fine-tune; print it.
tg_create() {
    curl -sS "$URL/together/v1/fine-tunes" -H 'content-type: application/json' -d "$1"
}

# tg_job ID: GET a Together fine-tune.
tg_job() {
    curl -sS "$URL/together/v1/fine-tunes/$1"
}

# tg_finish ID: GET a Together fine-tune until it has ended; print it.
tg_finish() {
    local i
    for ((i = 0; i < 10; i++)); do
        case $(tg_job "$1" | jq -r .status) in
        completed | error | cancelled) break ;;
        esac
    done
    tg_job "$1"
}

# tg_v2 METHOD PATH [BODY]: a request to Together's project; prints the body.
tg_v2() {
    curl -sS -X "$1" "$URL$TG_PROJECT$2" ${3:+-d "$3"}
}

# tg_serve MODEL_OBJECT_ID NAME: put the model on a new endpoint NAME with
# all its traffic, polled to ready; print the endpoint's and the
# deployment's ids.
tg_serve() {
    local cfg ep dep
    cfg=$(curl -sS "$URL$TG_PROJECT/configs?referenceModel=projects/proj_ev-mock/models/$1" | jq -r '.data[0].id')
    ep=$(tg_v2 POST /endpoints "{\"name\":\"$2\"}" | jq -r .id)
    dep=$(tg_v2 POST "/endpoints/$ep/deployments" "{\"name\":\"main\",\"model\":\"projects/proj_ev-mock/models/$1\",\"config\":\"projects/proj_ev-mock/configs/$cfg\",\"autoscaling\":{\"minReplicas\":1,\"maxReplicas\":1}}" | jq -r .id)
    tg_v2 GET "/endpoints/$ep/deployments/$dep" >/dev/null
    tg_v2 GET "/endpoints/$ep/deployments/$dep" >/dev/null
    tg_v2 PATCH "/endpoints/$ep" "{\"trafficSplit\":[{\"deploymentId\":\"$dep\",\"weight\":1}]}" >/dev/null
    echo "$ep $dep"
}

# preference_examples FILTER: the fixture cases FILTER selects as DPO
# examples: the expected answer preferred to a wrong one.
preference_examples() {
    jq -c "$1"' | {input: {messages: [{role: "user", content: .input}]},
        preferred_output: [{role: "assistant", content: .expected}],
        non_preferred_output: [{role: "assistant", content: "I do not know"}]}' "$CASES"
}

# fw METHOD PATH [BODY]: a request to the Fireworks account's PATH; prints
# the body.
fw() {
    curl -sS -X "$1" "$URL$FW_ACCOUNT$2" ${3:+-d "$3"}
}

# fw_dataset ID FILE: create the Fireworks dataset ID and upload FILE to it.
fw_dataset() {
    fw POST /datasets "{\"datasetId\":\"$1\",\"dataset\":{\"userUploaded\":{}}}" >/dev/null
    curl -sS "$URL$FW_ACCOUNT/datasets/$1:upload" -F "file=@$2" >/dev/null
}

# fw_finish COLLECTION ID: GET a Fireworks job until it has ended; print it.
fw_finish() {
    local i
    for ((i = 0; i < 10; i++)); do
        case $(fw GET "/$1/$2" | jq -r .state) in
        JOB_STATE_COMPLETED | JOB_STATE_FAILED) break ;;
        esac
    done
    fw GET "/$1/$2"
}

@test "Together: a file uploaded, a LoRA job polled to completed, deployed on a v2 endpoint, answers chat, then is stopped and deleted" {
    start_mock --cases "$CASES" --learner "$TG_BASE" --job-advance poll
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    run tg_upload "$BATS_TEST_TMPDIR/train.jsonl"
    [ "$(field '[.object, .filename, .purpose, .FileType, .Processed, .LineCount, .processing_status, .validation_report]')" = \
        '["file","train.jsonl","fine-tune","jsonl",true,40,"COMPLETED",{"valid":true,"dataset_format":"conversation","nlines":40}]' ]
    fid=$(raw .id)
    [[ "$fid" =~ ^file-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
    [ "$(tg_upload "$BATS_TEST_TMPDIR/train.jsonl" | jq -r .id)" = "$fid" ]
    run tg_create "{\"model\":\"$TG_BASE\",\"training_file\":\"$fid\",\"suffix\":\"ev-1\",\"n_epochs\":2}"
    [ "$(field '[.status, .model, .training_file, .suffix, .n_epochs, .training_method, .training_type.type, .training_type.lora_r, .token_count]')" = \
        "[\"pending\",\"$TG_BASE\",\"$fid\",\"ev-1\",2,{\"method\":\"sft\",\"train_on_inputs\":\"auto\"},\"Lora\",64,0]" ]
    jid=$(raw .id)
    out=$(raw .model_output_name)
    [[ "$jid" == ft-* ]]
    [[ "$out" == ev-mock/Meta-Llama-3.1-8B-Instruct-Reference-ev-1-* ]]
    for want in queued running uploading completed completed; do
        run tg_job "$jid"
        [ "$(raw .status)" = "$want" ]
    done
    [ "$(raw .model_output_name)" = "$out" ]
    [ "$(field '[.token_count > 0, .total_price == .token_count * 500, .epochs_completed]')" = '[true,true,2]' ]
    ml=$(raw .model_object_id)
    [[ "$ml" == ml_* ]]
    run curl -sS "$URL/together/v1/fine-tunes/$jid/events"
    [ "$(field '[.data[].type]')" = '["job_pending","job_start","training_start","epoch_complete","epoch_complete","model_uploading","model_upload_complete","job_complete"]' ]
    [ "$(field '.data | all(.object == "fine-tune-event" and (.created_at | type == "string") and .level == "info")')" = true ]
    # Together serves a tuned model only on a dedicated endpoint
    [ "$(fetch /together/v1/chat/completions "$(ask 'What is 1 plus 8?' "$out")")" = 404 ]
    jq -e '.error.code == "model_not_available"' "$BATS_TEST_TMPDIR/body"
    run curl -sS "$URL/together/v1/whoami"
    [ "$(field '[.project_id, .project_slug]')" = '["proj_ev-mock","ev-mock"]' ]
    run curl -sS "$URL$TG_PROJECT/configs?referenceModel=projects/proj_ev-mock/models/$ml"
    [ "$(field '[(.data | length), (.data[0].selectors | from_entries)]')" = '[1,{"accelerator_type":"nvidia-h100-80gb","accelerator_count":"1"}]' ]
    cfg=$(raw '.data[0].id')
    run tg_v2 POST /endpoints '{"name":"ev-test"}'
    [ "$(field '[.name, .endpointType, .trafficSplit]')" = '["ev-mock/ev-test","ENDPOINT_TYPE_DEDICATED",[]]' ]
    ep=$(raw .id)
    run tg_v2 POST "/endpoints/$ep/deployments" "{\"name\":\"main\",\"model\":\"projects/proj_ev-mock/models/$ml\",\"config\":\"projects/proj_ev-mock/configs/$cfg\",\"autoscaling\":{\"minReplicas\":1,\"maxReplicas\":1}}"
    [ "$(field '[.status.state, .name, .hardware]')" = '["DEPLOYMENT_STATE_PROVISIONING","ev-mock/ev-test/main","1xnvidia-h100-80gb"]' ]
    dep=$(raw .id)
    # the price per hour of its hardware
    run curl -sS "$URL/together/v2/public/inference-instance-types"
    [ "$(field '.data[] | select(.id == "1xnvidia-h100-80gb") | .priceCentsPerHour')" = 399 ]
    for want in SCALING READY READY; do
        run tg_v2 GET "/endpoints/$ep/deployments/$dep"
        [ "$(raw .status.state)" = "DEPLOYMENT_STATE_$want" ]
    done
    # ready, but no traffic until the endpoint's split names it
    [ "$(fetch /together/v1/chat/completions "$(ask 'What is 1 plus 8?' ev-mock/ev-test)")" = 404 ]
    run tg_v2 PATCH "/endpoints/$ep" "{\"trafficSplit\":[{\"deploymentId\":\"$dep\",\"weight\":1}]}"
    [ "$(field '[.trafficSplit, .etag]')" = "[[{\"deploymentId\":\"$dep\",\"weight\":1}],\"2\"]" ]
    [ "$(fetch /together/v1/chat/completions "$(ask 'What is 1 plus 8?' ev-mock/ev-test)")" = 200 ]
    jq -e '.model == "ev-mock/ev-test" and (.choices[0].message.content | type == "string")' "$BATS_TEST_TMPDIR/body"
    # stop, then take the traffic away, then delete
    run tg_v2 PATCH "/endpoints/$ep/deployments/$dep" '{"autoscaling":{"minReplicas":0,"maxReplicas":0}}'
    [ "$(raw .status.state)" = DEPLOYMENT_STATE_STOPPING ]
    [ "$(fetch /together/v1/chat/completions "$(ask 'What is 1 plus 8?' ev-mock/ev-test)")" = 404 ]
    [ "$(tg_v2 GET "/endpoints/$ep/deployments/$dep" | jq -r .status.state)" = DEPLOYMENT_STATE_STOPPED ]
    [ "$(fetch "$TG_PROJECT/endpoints/$ep/deployments/$dep" '' -X DELETE)" = 400 ]
    jq -e '.error.message | test("weight 1")' "$BATS_TEST_TMPDIR/body"
    tg_v2 PATCH "/endpoints/$ep" "{\"trafficSplit\":[{\"deploymentId\":\"$dep\",\"weight\":0}]}" >/dev/null
    [ "$(fetch "$TG_PROJECT/endpoints/$ep/deployments/$dep" '' -X DELETE)" = 200 ]
    [ "$(fetch "$TG_PROJECT/endpoints/$ep" '' -X DELETE)" = 200 ]
    [ "$(fetch /together/v1/chat/completions "$(ask 'What is 1 plus 8?' ev-mock/ev-test)")" = 404 ]
    run curl -sS "$URL/stats"
    [ "$(field '[.fine_tuning.together.files, .fine_tuning.together.jobs, .fine_tuning.together.by_status.completed, .fine_tuning.together.endpoints]')" = '[1,1,1,0]' ]
    [ "$(field '[.by_path["/together/v1/files"], .by_path["/together/v1/fine-tunes"], .by_path["/together/v1/chat/completions"]]')" = '[2,7,5]' ]
}

@test "Together: a model tuned on 200 examples of a tag and deployed answers it right more often than the base" {
    learner_cases
    start_mock --cases "$BATS_TEST_TMPDIR/lc.jsonl" --learner "$TG_BASE" --job-advance poll
    target_examples 200 >"$BATS_TEST_TMPDIR/t200.jsonl"
    fid=$(tg_upload "$BATS_TEST_TMPDIR/t200.jsonl" | jq -r .id)
    jid=$(tg_create "{\"model\":\"$TG_BASE\",\"training_file\":\"$fid\",\"suffix\":\"many\"}" | jq -r .id)
    ml=$(tg_finish "$jid" | jq -r .model_object_id)
    tg_serve "$ml" ev-many >/dev/null
    base=$(right_share "$TG_BASE" target /together/v1/chat/completions)
    tuned=$(right_share ev-mock/ev-many target /together/v1/chat/completions)
    # p = 0.25 at the base, about 0.64 after 200 examples
    [ "$base" -lt "$tuned" ] || fail_with "base $base, tuned $tuned"
    [ "$tuned" -ge 18 ] || fail_with "tuned: $tuned of 40"
    [ "$(right_share ev-mock/ev-many rest /together/v1/chat/completions)" -le 10 ]
    # other models answer by the usual rules on Together's path too
    [ "$(curl -sS "$URL/together/v1/chat/completions" -d "$(ask 'Target question 1?' big)" | jq -r '.choices[0].message.content')" = T1 ]
}

@test "Together: a DPO job on preference data, full training; files checked by Together's rules at upload" {
    start_mock --cases "$CASES" --job-advance poll
    preference_examples . >"$BATS_TEST_TMPDIR/pref.jsonl"
    chat_examples . >"$BATS_TEST_TMPDIR/sft.jsonl"
    pref=$(tg_upload "$BATS_TEST_TMPDIR/pref.jsonl" | jq -r .id)
    sft=$(tg_upload "$BATS_TEST_TMPDIR/sft.jsonl" | jq -r .id)
    run tg_create "{\"model\":\"$TG_BASE\",\"training_file\":\"$pref\",\"training_method\":{\"method\":\"dpo\",\"dpo_beta\":0.2},\"training_type\":{\"type\":\"Full\"}}"
    [ "$(field '[.status, .training_method, .training_type]')" = '["pending",{"dpo_beta":0.2,"method":"dpo"},{"type":"Full"}]' ]
    [ "$(tg_finish "$(raw .id)" | jq -r .status)" = completed ]
    # the method and the file's format go together
    [ "$(fetch /together/v1/fine-tunes "{\"model\":\"m\",\"training_file\":\"$sft\",\"training_method\":{\"method\":\"dpo\"}}")" = 400 ]
    jq -e '.error.param == "training_file" and (.error.message | test("preference"))' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /together/v1/fine-tunes "{\"model\":\"m\",\"training_file\":\"$pref\"}")" = 400 ]
    # an estimate of the price before the job
    run curl -sS "$URL/together/v1/fine-tunes/estimate-price" -d "{\"training_file\":\"$sft\",\"n_epochs\":3}"
    [ "$(field '[.allowed_to_proceed, .estimated_train_token_count > 0, .estimated_total_price == .estimated_train_token_count * 0.5 / 1000000]')" = '[true,true,true]' ]
    # a file that breaks a rule is INVALID_FORMAT, naming the line, and trains nothing
    { chat_examples 'select(.id <= "c02")'; echo '{"messages":[{"role":"user","content":"q"},{"role":"user","content":"q"}]}'; } \
        >"$BATS_TEST_TMPDIR/bad.jsonl"
    run tg_upload "$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$(field '[.processing_status, .validation_report.valid, .validation_report.error_type]')" = '["INVALID_FORMAT",false,"INVALID_FORMAT"]' ]
    [[ "$(raw .validation_report.error)" == "Line 3: \`messages[1]\` repeats the role 'user'"* ]]
    [ "$(fetch /together/v1/fine-tunes "{\"model\":\"m\",\"training_file\":\"$(raw .id)\"}")" = 400 ]
    chat_examples . | jq -c '. + {tags: ["x"]}' >"$BATS_TEST_TMPDIR/tags.jsonl"
    [ "$(tg_upload "$BATS_TEST_TMPDIR/tags.jsonl" | jq -r .validation_report.error)" = 'Line 1: found extra column "tags"' ]
    for body in "{\"model\":\"m\",\"training_file\":\"$sft\",\"suffix\":\"$(printf 'x%.0s' {1..41})\"}" \
        "{\"model\":\"m\",\"training_file\":\"$sft\",\"training_method\":{\"method\":\"sft\"}}" \
        "{\"model\":\"m\",\"training_file\":\"$sft\",\"training_type\":{\"type\":\"Lora\"}}" \
        "{\"model\":\"m\",\"training_file\":\"$sft\",\"n_epochs\":0}" '{"model":"m"}' 'nope'; do
        [ "$(fetch /together/v1/fine-tunes "$body")" = 400 ] || fail_with "accepted $body"
        jq -e '.error.type == "invalid_request_error"' "$BATS_TEST_TMPDIR/body"
    done
    [ "$(form /together/v1/files/upload -F file=@"$BATS_TEST_TMPDIR/sft.jsonl" -F file_name=x)" = 400 ]
    jq -e '.error.param == "purpose"' "$BATS_TEST_TMPDIR/body"
}

@test "Together: cancel asks, then cancels, and an ended job cannot be cancelled; job-fail ends a job in error" {
    start_mock --cases "$CASES" --job-advance poll
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(tg_upload "$BATS_TEST_TMPDIR/train.jsonl" | jq -r .id)
    jid=$(tg_create "{\"model\":\"$TG_BASE\",\"training_file\":\"$fid\"}" | jq -r .id)
    tg_job "$jid" >/dev/null
    run curl -sS -X POST "$URL/together/v1/fine-tunes/$jid/cancel"
    [ "$(raw .status)" = cancel_requested ]
    [ "$(fetch "/together/v1/fine-tunes/$jid/cancel" '')" = 400 ]
    [ "$(tg_job "$jid" | jq -r .status)" = cancelled ]
    [ "$(tg_job "$jid" | jq -r .status)" = cancelled ]
    run curl -sS "$URL/together/v1/fine-tunes/$jid/events"
    [ "$(field '[.data[].type] | .[-2:]')" = '["cancel_requested","job_stopped"]' ]
    [ "$(fetch /together/v1/fine-tunes/ft-nope/cancel '')" = 404 ]
    start_mock --cases "$CASES" --job-advance poll --fault job-fail=1
    fid=$(tg_upload "$BATS_TEST_TMPDIR/train.jsonl" | jq -r .id)
    jid=$(tg_create "{\"model\":\"$TG_BASE\",\"training_file\":\"$fid\"}" | jq -r .id)
    for want in queued running error error; do
        [ "$(tg_job "$jid" | jq -r .status)" = "$want" ]
    done
    run tg_job "$jid"
    [ "$(field '[.model_object_id, .token_count]')" = '[null,0]' ]
    run curl -sS "$URL/together/v1/fine-tunes/$jid/events"
    [ "$(field '.data[-1] | [.type, .level]')" = '["job_error","error"]' ]
    [[ "$(raw '.data[-1].message')" == *job-fail* ]]
}

@test "Together (and OpenAI): a create whose answer is lost made one job, found again by listing by training_file and suffix" {
    start_mock --cases "$CASES" --job-advance poll --fault lost-id=1
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(tg_upload "$BATS_TEST_TMPDIR/train.jsonl" | jq -r .id)
    # the connection drops halfway through the answer
    run -18 curl -sS -o /dev/null "$URL/together/v1/fine-tunes" -d "{\"model\":\"$TG_BASE\",\"training_file\":\"$fid\",\"suffix\":\"ev-lost\"}"
    run curl -sS "$URL/together/v1/fine-tunes"
    [ "$(field "[.data[] | select(.training_file == \"$fid\" and .suffix == \"ev-lost\")] | length")" = 1 ]
    jid=$(raw '.data[0].id')
    [ "$(tg_finish "$jid" | jq -r .status)" = completed ]
    run curl -sS "$URL/stats"
    [ "$(field '[.fine_tuning.together.jobs, .by_outcome.lost_id]')" = '[1,1]' ]
    # endpoints and deployments lose their answers too; the name finds them
    ml=$(tg_job "$jid" | jq -r .model_object_id)
    run -18 curl -sS -o /dev/null "$URL$TG_PROJECT/endpoints" -d '{"name":"ev-lost"}'
    run curl -sS -G "$URL$TG_PROJECT/endpoints" --data-urlencode 'filter=name="ev-lost"'
    [ "$(field '[(.data | length), .data[0].name]')" = '[1,"ev-mock/ev-lost"]' ]
    [ "$(fetch "$TG_PROJECT/endpoints" '{"name":"ev-lost"}')" = 409 ]
    [ "$(fetch "$TG_PROJECT/endpoints?filter=state:x" '' -G)" = 400 ]
    # so do OpenAI's jobs
    start_mock --cases "$CASES" --job-advance poll --fault lost-id=1
    fid=$(upload "$BATS_TEST_TMPDIR/train.jsonl")
    run -18 curl -sS -o /dev/null "$URL/v1/fine_tuning/jobs" -d "{\"model\":\"small\",\"training_file\":\"$fid\",\"suffix\":\"lost\"}"
    run curl -sS "$URL/v1/fine_tuning/jobs"
    [ "$(field "[.data[] | select(.training_file == \"$fid\" and .user_provided_suffix == \"lost\")] | length")" = 1 ]
}

@test "Together: every path needs the key of --require-key-env, and v1 endpoint creation is refused with 403" {
    export MOCK_TEST_KEY=sk-test-together-0123
    start_mock --require-key-env MOCK_TEST_KEY
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    [ "$(form /together/v1/files/upload -F purpose=fine-tune -F file_name=t -F "file=@$BATS_TEST_TMPDIR/train.jsonl")" = 401 ]
    [ "$(fetch /together/v1/fine-tunes '{}' -H 'Authorization: Bearer sk-wrong')" = 401 ]
    jq -e '.error.code == "invalid_api_key"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch "$TG_PROJECT/endpoints" '' -G)" = 401 ]
    [ "$(fetch /together/v1/chat/completions "$(ask 'What is 1 plus 8?')")" = 401 ]
    [ "$(fetch /together/v1/fine-tunes '' -G -H "Authorization: Bearer $MOCK_TEST_KEY")" = 200 ]
    [ "$(fetch /together/v1/endpoints '{"model":"m","hardware":"h"}' -H "Authorization: Bearer $MOCK_TEST_KEY")" = 403 ]
    jq -e '.error.code == "endpoints_v1_create_access_disabled"' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /together/v2/projects/proj_other/endpoints '' -G -H "Authorization: Bearer $MOCK_TEST_KEY")" = 404 ]
    run curl -sS "$URL/stats"
    [ "$(field '.by_outcome | [.ok, .unauthorized, .not_found]')" = '[1,5,1]' ]
}

@test "--fault slow-deploy=1 keeps a deployment coming up ten times as long, on Together (DEGRADED) and on Fireworks" {
    start_mock --cases "$CASES" --learner "$TG_BASE" --job-advance poll --fault slow-deploy=1
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    fid=$(tg_upload "$BATS_TEST_TMPDIR/train.jsonl" | jq -r .id)
    ml=$(tg_finish "$(tg_create "{\"model\":\"$TG_BASE\",\"training_file\":\"$fid\"}" | jq -r .id)" | jq -r .model_object_id)
    cfg=$(curl -sS "$URL$TG_PROJECT/configs?referenceModel=projects/proj_ev-mock/models/$ml" | jq -r '.data[0].id')
    ep=$(tg_v2 POST /endpoints '{"name":"slow"}' | jq -r .id)
    dep=$(tg_v2 POST "/endpoints/$ep/deployments" "{\"name\":\"main\",\"model\":\"projects/proj_ev-mock/models/$ml\",\"config\":\"projects/proj_ev-mock/configs/$cfg\"}" | jq -r .id)
    for i in $(seq 11); do
        tg_v2 GET "/endpoints/$ep/deployments/$dep" | jq -r .status.state
    done >"$BATS_TEST_TMPDIR/states"
    [ "$(sort "$BATS_TEST_TMPDIR/states" | uniq -c | awk '{print $2 "=" $1}' | paste -sd ' ')" = \
        'DEPLOYMENT_STATE_DEGRADED=9 DEPLOYMENT_STATE_READY=1 DEPLOYMENT_STATE_SCALING=1' ]
    [ "$(tail -n 1 "$BATS_TEST_TMPDIR/states")" = DEPLOYMENT_STATE_READY ]
    start_mock --cases "$CASES" --learner "$FW_BASE" --job-advance poll --fault slow-deploy=1
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    fw_dataset train "$BATS_TEST_TMPDIR/train.jsonl"
    fw POST '/supervisedFineTuningJobs?supervisedFineTuningJobId=slow' "{\"dataset\":\"accounts/ev-mock/datasets/train\",\"baseModel\":\"$FW_BASE\"}" >/dev/null
    fw_finish supervisedFineTuningJobs slow >/dev/null
    fw POST '/deployments?deploymentId=slow' '{"baseModel":"accounts/ev-mock/models/slow"}' >/dev/null
    for i in $(seq 10); do fw GET /deployments/slow | jq -r .state; done >"$BATS_TEST_TMPDIR/states"
    [ "$(sort "$BATS_TEST_TMPDIR/states" | uniq -c | awk '{print $2 "=" $1}' | paste -sd ' ')" = 'CREATING=9 READY=1' ]
}

@test "Fireworks: a dataset uploaded to READY, a supervised job polled to COMPLETED, its model deployed, answers chat, deleted" {
    start_mock --cases "$CASES" --learner "$FW_BASE" --job-advance poll
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    run fw POST /datasets '{"datasetId":"ev-train","dataset":{"userUploaded":{},"format":"CHAT","exampleCount":"40"}}'
    [ "$(field '[.name, .state, .exampleCount, .format]')" = '["accounts/ev-mock/datasets/ev-train","UPLOADING","40","CHAT"]' ]
    run curl -sS "$URL$FW_ACCOUNT/datasets/ev-train:upload" -F "file=@$BATS_TEST_TMPDIR/train.jsonl"
    [ "$(field '[.bytes, .filename]')" = "[$(wc -c <"$BATS_TEST_TMPDIR/train.jsonl"),\"train.jsonl\"]" ]
    run fw GET /datasets/ev-train
    [ "$(field '[.state, .exampleCount, (.estimatedTokenCount | tonumber > 0)]')" = '["READY","40",true]' ]
    run fw POST '/supervisedFineTuningJobs?supervisedFineTuningJobId=ev-sft' \
        "{\"dataset\":\"accounts/ev-mock/datasets/ev-train\",\"baseModel\":\"$FW_BASE\",\"outputModel\":\"accounts/ev-mock/models/ev-tuned\",\"epochs\":2,\"learningRate\":0.0001,\"loraRank\":16,\"batchSizeSamples\":32}"
    [ "$(field '[.name, .state, .outputModel, .epochs, .loraRank, .estimatedCost.currencyCode]')" = \
        '["accounts/ev-mock/supervisedFineTuningJobs/ev-sft","JOB_STATE_CREATING","accounts/ev-mock/models/ev-tuned",2,16,"USD"]' ]
    for want in PENDING RUNNING WRITING_RESULTS COMPLETED COMPLETED; do
        [ "$(fw GET /supervisedFineTuningJobs/ev-sft | jq -r .state)" = "JOB_STATE_$want" ]
    done
    run fw GET /supervisedFineTuningJobs
    [ "$(field '[(.supervisedFineTuningJobs | length), .supervisedFineTuningJobs[0].name]')" = '[1,"accounts/ev-mock/supervisedFineTuningJobs/ev-sft"]' ]
    run fw GET /models/ev-tuned
    [ "$(field '[.state, .kind, .peftDetails.baseModel, .peftDetails.r]')" = "[\"READY\",\"HF_PEFT_ADDON\",\"$FW_BASE\",16]" ]
    # a LoRA is served on a deployment only
    [ "$(fetch /fireworks/inference/v1/chat/completions "$(ask 'What is 1 plus 8?' accounts/ev-mock/models/ev-tuned)")" = 404 ]
    run fw POST '/deployments?deploymentId=ev-dep' '{"baseModel":"accounts/ev-mock/models/ev-tuned","minReplicaCount":1,"maxReplicaCount":1,"acceleratorType":"NVIDIA_H100_80GB"}'
    [ "$(field '[.name, .state, .baseModel]')" = '["accounts/ev-mock/deployments/ev-dep","CREATING","accounts/ev-mock/models/ev-tuned"]' ]
    [ "$(fetch /fireworks/inference/v1/chat/completions "$(ask 'What is 1 plus 8?' accounts/ev-mock/models/ev-tuned)")" = 404 ]
    [ "$(fw GET /deployments/ev-dep | jq -r .state)" = READY ]
    for model in accounts/ev-mock/models/ev-tuned 'accounts/ev-mock/models/ev-tuned#accounts/ev-mock/deployments/ev-dep'; do
        [ "$(fetch /fireworks/inference/v1/chat/completions "$(ask 'What is 1 plus 8?' "$model")")" = 200 ]
        jq -e '.choices[0].message.content | type == "string"' "$BATS_TEST_TMPDIR/body"
    done
    [ "$(fetch /fireworks/inference/v1/chat/completions "$(ask 'What is 1 plus 8?' 'accounts/ev-mock/models/ev-tuned#accounts/ev-mock/deployments/other')")" = 404 ]
    [ "$(fetch "$FW_ACCOUNT/deployments/ev-dep" '' -X DELETE)" = 200 ]
    [ "$(fetch /fireworks/inference/v1/chat/completions "$(ask 'What is 1 plus 8?' accounts/ev-mock/models/ev-tuned)")" = 404 ]
    jq -e '.error.code == "model_not_found"' "$BATS_TEST_TMPDIR/body"
    [ "$(fw GET /deployments/ev-dep | jq -r .state)" = DELETED ]
    run curl -sS "$URL/stats"
    [ "$(field '.fine_tuning.fireworks | [.account, .datasets, .jobs, .by_state.JOB_STATE_COMPLETED, .deployments, .deployments_by_state.DELETED]')" = '["ev-mock",1,1,1,0,1]' ]
    [ "$(field '[.by_path["/fireworks/v1/accounts/{account}/datasets"], .by_path["/fireworks/inference/v1/chat/completions"]]')" = '[3,6]' ]
}

@test "Fireworks: a DPO job on preference data; Training V2's refused fields, unknown fields and untunable bases are 400" {
    start_mock --cases "$CASES" --job-advance poll
    preference_examples . >"$BATS_TEST_TMPDIR/pref.jsonl"
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    fw_dataset pref "$BATS_TEST_TMPDIR/pref.jsonl"
    fw_dataset train "$BATS_TEST_TMPDIR/train.jsonl"
    run fw POST '/dpoJobs?dpoJobId=ev-dpo' "{\"dataset\":\"accounts/ev-mock/datasets/pref\",\"trainingConfig\":{\"baseModel\":\"$FW_BASE\",\"outputModel\":\"accounts/ev-mock/models/ev-dpo\",\"epochs\":1,\"batchSizeSamples\":4},\"lossConfig\":{\"method\":\"DPO\",\"dpo\":{\"beta\":0.1}}}"
    [ "$(field '[.name, .state, .trainingConfig.outputModel, .lossConfig]')" = \
        '["accounts/ev-mock/dpoJobs/ev-dpo","JOB_STATE_CREATING","accounts/ev-mock/models/ev-dpo",{"method":"DPO","dpo":{"beta":0.1}}]' ]
    [ "$(fw_finish dpoJobs ev-dpo | jq -r .state)" = JOB_STATE_COMPLETED ]
    [ "$(fw GET /dpoJobs | jq -r '.dpoJobs | length')" = 1 ]
    [ "$(fw GET /models/ev-dpo | jq -r .state)" = READY ]
    sft="\"dataset\":\"accounts/ev-mock/datasets/train\",\"baseModel\":\"$FW_BASE\""
    for extra in '"batchSize":8' '"gradientAccumulationSteps":2' '"jinjaTemplate":"x"' '"earlyStop":true' \
        '"mtpEnabled":true' '"nonsense":1' '"loraRank":12' '"epochs":0'; do
        [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs" "{$sft,$extra}")" = 400 ] || fail_with "accepted $extra"
        jq -e '.code == 3 and .details == [] and (.message | length > 0)' "$BATS_TEST_TMPDIR/body"
    done
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs" "{$sft,\"batchSize\":0}")" = 200 ]
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs" '{"supervisedFineTuningJob":{"dataset":"accounts/ev-mock/datasets/train"}}')" = 400 ]
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs" '{"dataset":"accounts/ev-mock/datasets/train","baseModel":"accounts/fireworks/models/llama-v3p1-8b-instruct"}')" = 400 ]
    jq -e '.message | test("not tunable")' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs" "{\"dataset\":\"accounts/ev-mock/datasets/pref\",\"baseModel\":\"$FW_BASE\"}")" = 400 ]
    for loss in '' '"lossConfig":{"method":"ORPO"},' '"lossConfig":{"method":"DPO","dpo":{"beta":0.5}},'; do
        [ "$(fetch "$FW_ACCOUNT/dpoJobs" "{$loss\"dataset\":\"accounts/ev-mock/datasets/pref\",\"trainingConfig\":{\"baseModel\":\"$FW_BASE\"}}")" = 400 ] ||
            fail_with "accepted $loss"
    done
    fw POST /datasets '{"datasetId":"empty","dataset":{"userUploaded":{}}}' >/dev/null
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs" "{\"dataset\":\"accounts/ev-mock/datasets/empty\",\"baseModel\":\"$FW_BASE\"}")" = 400 ]
    jq -e '.code == 9' "$BATS_TEST_TMPDIR/body"
    # an upload that breaks a rule is refused, naming the line, and the dataset stays UPLOADING
    { chat_examples 'select(.id <= "c02")'; echo '{"messages":[{"role":"user","content":"q"},{"role":"system","content":"s"},{"role":"assistant","content":"a"}]}'; } \
        >"$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$(form "$FW_ACCOUNT/datasets/empty:upload" -F "file=@$BATS_TEST_TMPDIR/bad.jsonl")" = 400 ]
    jq -e '.message | test("Line 3: .messages.1... a system message must be the first message")' "$BATS_TEST_TMPDIR/body"
    [ "$(fw GET /datasets/empty | jq -r .state)" = UPLOADING ]
    chat_examples 'select(.id <= "c02")' >"$BATS_TEST_TMPDIR/two.jsonl"
    [ "$(form "$FW_ACCOUNT/datasets/empty:upload" -F "file=@$BATS_TEST_TMPDIR/two.jsonl")" = 400 ]
    jq -e '.message | test("at least 3")' "$BATS_TEST_TMPDIR/body"
}

@test "Fireworks: a lost answer is found again by the id the client chose, which cannot be taken twice; job-fail and DELETE" {
    start_mock --cases "$CASES" --learner "$FW_BASE" --job-advance poll --fault lost-id=1
    chat_examples . >"$BATS_TEST_TMPDIR/train.jsonl"
    fw_dataset train "$BATS_TEST_TMPDIR/train.jsonl"
    body="{\"dataset\":\"accounts/ev-mock/datasets/train\",\"baseModel\":\"$FW_BASE\"}"
    run -18 curl -sS -o /dev/null "$URL$FW_ACCOUNT/supervisedFineTuningJobs?supervisedFineTuningJobId=ev-lost" -d "$body"
    [ "$(fw GET /supervisedFineTuningJobs/ev-lost | jq -r .name)" = accounts/ev-mock/supervisedFineTuningJobs/ev-lost ]
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs?supervisedFineTuningJobId=ev-lost" "$body")" = 409 ]
    jq -e '.code == 6' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs?supervisedFineTuningJobId=Bad_Id" "$body")" = 400 ]
    [ "$(fw_finish supervisedFineTuningJobs ev-lost | jq -r .state)" = JOB_STATE_COMPLETED ]
    run -18 curl -sS -o /dev/null "$URL$FW_ACCOUNT/deployments?deploymentId=ev-lost" -d '{"baseModel":"accounts/ev-mock/models/ev-lost"}'
    [ "$(fw GET /deployments/ev-lost | jq -r .name)" = accounts/ev-mock/deployments/ev-lost ]
    run curl -sS "$URL/stats"
    [ "$(field '[.fine_tuning.fireworks.jobs, .fine_tuning.fireworks.deployments, .by_outcome.lost_id]')" = '[1,1,2]' ]
    start_mock --cases "$CASES" --job-advance poll --fault job-fail=1
    fw_dataset train "$BATS_TEST_TMPDIR/train.jsonl"
    fw POST '/supervisedFineTuningJobs?supervisedFineTuningJobId=doomed' "$body" >/dev/null
    run fw_finish supervisedFineTuningJobs doomed
    [ "$(field '[.state, .status.code]')" = '["JOB_STATE_FAILED","INTERNAL"]' ]
    [[ "$(raw .status.message)" == *job-fail* ]]
    [ "$(fetch "$FW_ACCOUNT/models/doomed" '' -G)" = 404 ]
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs/doomed" '' -X DELETE)" = 200 ]
    [ "$(fetch "$FW_ACCOUNT/supervisedFineTuningJobs/doomed" '' -G)" = 404 ]
    jq -e '.code == 5' "$BATS_TEST_TMPDIR/body"
}

@test "Fireworks: another account's paths are 403 PERMISSION_DENIED, a missing or wrong key 401; public base models are readable" {
    export MOCK_TEST_KEY=fw-test-0123
    start_mock --require-key-env MOCK_TEST_KEY --fireworks-account acme
    auth=(-H "Authorization: Bearer $MOCK_TEST_KEY")
    [ "$(fetch /fireworks/v1/accounts/acme/datasets '' -G)" = 401 ]
    jq -e '.code == 16' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /fireworks/v1/accounts/acme/datasets '' -G -H 'Authorization: Bearer fw-wrong')" = 401 ]
    [ "$(fetch /fireworks/v1/accounts/acme/datasets '' -G "${auth[@]}")" = 200 ]
    jq -e '.datasets == [] and .nextPageToken == ""' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /fireworks/v1/accounts/ev-mock/datasets '' -G "${auth[@]}")" = 403 ]
    jq -e '.code == 7 and .details == []' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /fireworks/v1/accounts/fireworks/models/qwen3-8b '' -G "${auth[@]}")" = 200 ]
    jq -e '[.tunable, .contextLength] == [true, 256000]' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /fireworks/v1/accounts/fireworks/models/llama-v3p1-8b-instruct '' -G "${auth[@]}")" = 200 ]
    jq -e '.tunable == false' "$BATS_TEST_TMPDIR/body"
    [ "$(fetch /fireworks/v1/accounts/fireworks/datasets '' -G "${auth[@]}")" = 403 ]
    [ "$(fetch /fireworks/inference/v1/chat/completions "$(ask 'What is 1 plus 8?')")" = 401 ]
    run curl -sS "$URL/stats"
    [ "$(field '.by_outcome | [.ok, .unauthorized]')" = '[3,5]' ]
}
