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
    local pid st=0
    for pid in "${MOCK_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" || st=$?
    done
    if [ "$st" -ne 0 ]; then
        cat "$BATS_TEST_TMPDIR"/mock*.err >&2
        return 1
    fi
}

# start_mock ARGS...: start ev-mock on a free port in the background and set
# URL and PORT. Its stderr goes to $MOCK_ERR.
start_mock() {
    local out="$BATS_TEST_TMPDIR/mock$((MOCK_N++))" i
    ev-mock --port 0 "$@" >"$out.port" 2>"$out.err" 3>&- &
    MOCK_PIDS+=($!)
    MOCK_ERR="$out.err"
    for ((i = 0; i < 250; i++)); do
        [ -s "$out.port" ] && break
        kill -0 "${MOCK_PIDS[-1]}" 2>/dev/null || break
        sleep 0.02
    done
    PORT=$(head -n 1 "$out.port")
    [[ "$PORT" =~ ^[0-9]+$ ]] || fail_with "ev-mock did not start: $(cat "$out.err")"
    URL="http://127.0.0.1:$PORT"
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

ms_now() {
    date +%s%3N
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
    [ "$(fetch /v1/messages/batches '{}')" = 404 ]
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

@test "fault slow answers only after --slow-ms, past a client's timeout, and the retry is prompt" {
    start_mock --fault slow=1 --slow-ms 1500
    run curl -sS -m 0.3 "$URL/v1/chat/completions" -d "$(ask x)"
    [ "$status" -eq 28 ]
    t0=$(ms_now)
    run curl -sS -m 1 "$URL/v1/chat/completions" -d "$(ask x)"
    [ "$status" -eq 0 ]
    [[ "$(field '.choices[0].message.content')" == '"mock answer '* ]]
    [ $(($(ms_now) - t0)) -lt 1000 ]
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

@test "--rpm answers 429 past the limit, with a retry-after that is the real wait" {
    start_mock --rpm 3 --rpm-window 1500
    for i in 1 2 3; do
        [ "$(fetch /v1/chat/completions "$(ask "q$i")")" = 200 ]
    done
    [ "$(header x-ratelimit-remaining-requests)" = 0 ]
    [ "$(header x-ratelimit-limit-requests)" = 3 ]
    [ "$(fetch /v1/chat/completions "$(ask q4)")" = 429 ]
    wait_ms=$(header retry-after-ms)
    [ "$wait_ms" -gt 0 ] && [ "$wait_ms" -le 1500 ]
    # retry-after is the same wait in whole seconds, rounded up
    [ "$(header retry-after)" = $(((wait_ms + 999) / 1000)) ]
    [ "$(fetch /v1/messages "$(ask_anthropic q4)" -H 'anthropic-version: 1')" = 429 ]
    [ -n "$(header anthropic-ratelimit-requests-reset)" ]
    sleep "$(awk -v ms="$wait_ms" 'BEGIN { print ms / 1000 + 0.05 }')"
    [ "$(fetch /v1/chat/completions "$(ask q4)")" = 200 ]
    run curl -sS "$URL/stats"
    [ "$(field '.by_outcome | [.ok, .rate_limited]')" = '[4,2]' ]
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
    [ "$(field .by_path)" = '{"/v1/chat/completions":3,"/chat/completions":0,"/v1/messages":0,"/messages":1,"other":1}' ]
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
    awk -v t="$output" 'BEGIN { exit !(t >= 0.2 && t < 1.5) }' || fail_with "took $output s"
}

@test "20 concurrent requests at 300 ms latency are served together, not one after another" {
    start_mock --latency 300
    args=()
    for i in $(seq 20); do
        args+=(-o /dev/null -d "$(ask "q$i")" "$URL/v1/chat/completions" --next)
    done
    t0=$(ms_now)
    curl -sS --parallel --parallel-max 20 "${args[@]}" -o /dev/null "$URL/stats" 2>/dev/null
    elapsed=$(($(ms_now) - t0))
    [ "$elapsed" -lt 2500 ] || fail_with "took $elapsed ms"
    run curl -sS "$URL/stats"
    [ "$(field .by_outcome.ok)" = 20 ]
    [ "$(field .max_in_flight)" -ge 10 ]
}

@test "--latency MEAN:SD draws each request's latency from a normal or lognormal distribution" {
    start_mock --latency 150:50 --latency-dist lognormal
    run curl -sS -o /dev/null -w '%{time_total}' "$URL/v1/chat/completions" -d "$(ask x)"
    awk -v t="$output" 'BEGIN { exit !(t > 0.02 && t < 2) }' || fail_with "took $output s"
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
    start_mock --fault slow=1 --slow-ms 20000
    curl -sS -m 5 "$URL/v1/chat/completions" -d "$(ask x)" >/dev/null 2>&1 3>&- &
    sleep 0.3
    t0=$(ms_now)
    stop_mock
    [ $(($(ms_now) - t0)) -lt 3000 ]
    wait
}

@test "a closed stdout after the port line does not stop the server" {
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    ev-mock --port 0 >"$BATS_TEST_TMPDIR/fifo" 2>"$BATS_TEST_TMPDIR/mock0.err" 3>&- &
    MOCK_PIDS+=($!)
    read -r PORT <"$BATS_TEST_TMPDIR/fifo"
    URL="http://127.0.0.1:$PORT"
    sleep 0.1
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
        '--rpm 0' '--rpm-window 0' '--slow-ms -1' '--retry-after-ms x' '--seed -1' 'operand'; do
        run --separate-stderr ev-mock $args
        [ "$status" -eq 2 ] || fail_with "ev-mock $args exited $status"
        [ -z "$output" ] || fail_with "ev-mock $args wrote to stdout"
        [[ "$stderr" == *"try 'ev-mock --help'"* ]] || fail_with "ev-mock $args: $stderr"
    done
}
