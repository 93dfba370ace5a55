#!/usr/bin/env bats
# Security: where an API key may go and where it must never be, TLS
# verification, redirects, the cache's modes, templates, and a reader that
# goes away. ev-mock on 127.0.0.1 stands in for every server; with
# --tls-cert it speaks HTTPS with a certificate made here, signed by nobody.
load test_helper

CANARY=sk-canary-5e1f0a77
CASES="$FIXTURES/call-cases.jsonl"
VALID="$FIXTURES/tune-valid.jsonl"

setup_file() {
    # A self-signed certificate for 127.0.0.1, and a second, unrelated one.
    local d="$BATS_FILE_TMPDIR" n
    for n in 1 2; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
            -keyout "$d/key$n.pem" -out "$d/cert$n.pem" 2>/dev/null
    done
}

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL
    TLS_CERT="$BATS_FILE_TMPDIR/cert1.pem"
    TLS_KEY="$BATS_FILE_TMPDIR/key1.pem"
    OTHER_CA="$BATS_FILE_TMPDIR/cert2.pem"
}

teardown() {
    ev_mock_stop_all
}

# stats FILTER: a jq filter applied to the last mock's /stats.
stats() {
    curl -sfk "$MOCK_ROOT/stats" | jq -c "$1"
}

# mock ARGS...: start ev-mock; sets MOCK_ROOT (http or https) and BASE.
mock() {
    ev_mock_start "$@"
    MOCK_ROOT="$MOCK"
    [[ " $* " == *" --tls-cert "* ]] && MOCK_ROOT="https://127.0.0.1:$PORT"
    BASE="$MOCK_ROOT/v1"
}

# leaks: every place the canary must not be, searched; prints what it finds.
leaks() {
    grep -rl -- "$CANARY" "$BATS_TEST_TMPDIR" 2>/dev/null || true
}

@test "a canary key passes through every tool and mode and is never written anywhere" {
    export OPENAI_API_KEY=$CANARY ANTHROPIC_API_KEY=$CANARY MOCK_KEY=$CANARY
    local d="$BATS_TEST_TMPDIR" log="$BATS_TEST_TMPDIR/log"
    mock -v --echo-key --require-key-env MOCK_KEY -c "$CASES" --fault 500=0.3 --fault slow=0.2:all \
        --slow-ms 3000
    # answers, retries, and timeouts (the 'slow' cases), with every log on
    ev-call -v --timeout 1 --retries 1 -m m --base-url "$BASE" "$CASES" >"$d/call1" 2>>"$log" || true
    ev-call -v --repeat 2 -p anthropic -m m --base-url "$BASE" "$CASES" >>"$d/call2" 2>>"$log" || true
    ev-call -v --dry-run -m m --base-url "$BASE" "$CASES" >>"$d/dry" 2>>"$log"
    ev-call -v --dry-run -p anthropic -m m "$CASES" >>"$d/dry" 2>>"$log"
    [ "$(stats '.by_outcome.ok')" -gt 0 ]
    [ "$(stats '.by_outcome.slow')" -gt 0 ]
    grep -q 'Authorization: \[redacted\]' "$log"
    grep -q 'x-api-key: \[redacted\]' "$log"
    # error paths: a key the server refuses and quotes back whole, no server
    # at all, a certificate that does not verify
    MOCK_KEY=sk-some-other-key mock -v --require-key-env MOCK_KEY
    run --separate-stderr ev-call -v --no-cache -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"the API key was refused"*"Incorrect API key provided: [redacted]"* ]]
    printf '%s\n%s\n' "$output" "$stderr" >>"$log"
    run --separate-stderr ev-call -v --no-cache -p anthropic -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    printf '%s\n%s\n' "$output" "$stderr" >>"$log"
    curl -s -H "Authorization: Bearer $CANARY" -d '{}' "$BASE/chat/completions" | grep -q "$CANARY"
    run --separate-stderr ev-call -v --no-cache --connect-timeout 2 -m m \
        --base-url "http://127.0.0.1:1/v1" "$CASES"
    [ "$status" -eq 2 ]
    printf '%s\n%s\n' "$output" "$stderr" >>"$log"
    mock -v --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY"
    run --separate-stderr ev-call -v --no-cache -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    printf '%s\n%s\n' "$output" "$stderr" >>"$log"
    # ev-tune: a whole job, verbose, and a refused key
    mock -v --echo-key --require-key-env MOCK_KEY --job-ms 10
    ev-tune --submit -m small --poll-ms 20 --base-url "$BASE" "$VALID" >>"$d/tune" 2>>"$log"
    MOCK_KEY=sk-some-other-key mock -v --require-key-env MOCK_KEY
    run --separate-stderr ev-tune --submit -m small --base-url "$BASE" "$VALID"
    [ "$status" -eq 2 ]
    printf '%s\n%s\n' "$output" "$stderr" >>"$log"
    # ev-score's judge, through ev-call, verbose
    mock -v --echo-key --require-key-env MOCK_KEY --judge j
    ev-score --judge fact --judge-model j --judge-base-url "$BASE" --judge-opt=-v \
        "$FIXTURES/judge-cases.jsonl" >>"$d/judge" 2>>"$log"
    [ "$(jq -r .score.label "$d/judge" | head -n 1)" = A ]
    # the tools that never need a key, with one in their environment
    ev-score "$FIXTURES/cases.jsonl" >>"$d/offline" 2>>"$log" || true
    ev-split -r 0.5 "$FIXTURES/cases.jsonl" >>"$d/offline" 2>>"$log"
    ev-cost -s -f json "$BATS_TEST_TMPDIR/call1" >>"$d/offline" 2>>"$log" || true
    ev-compare -f json "$EXAMPLES/runs/base.jsonl" "$EXAMPLES/runs/small.jsonl" >>"$d/offline" 2>>"$log" || true
    ev-gaps --summary -f json "$EXAMPLES/runs/small.jsonl" >>"$d/offline" 2>>"$log"
    ev-curve -t 0.9 -f json "$EXAMPLES/curve/points.jsonl" >>"$d/offline" 2>>"$log" || true
    # Nothing anywhere under the test's directory holds it: outputs, logs
    # (where the servers echoed it back in headers), the cache, and every
    # ev-mock's own log.
    [ -s "$BATS_TEST_TMPDIR/call1" ]
    [ -s "$BATS_TEST_TMPDIR/tune" ]
    [ -d "$EV_CACHE_DIR" ]
    [ -z "$(leaks)" ] || fail_with "the key leaked into: $(leaks)"
}

@test "a process that holds a key makes no core dump" {
    export OPENAI_API_KEY=$CANARY
    # AddressSanitizer turns core dumps off by itself unless told not to
    export ASAN_OPTIONS="$ASAN_OPTIONS:disable_coredump=0"
    mock -l 3000
    ulimit -c unlimited 2>/dev/null || ulimit -c 1024 2>/dev/null || true
    local before
    before=$(awk '/^Max core file size/ {print $5}' /proc/self/limits)
    ev-call -q --no-cache -j 1 -m m --base-url "$BASE" "$CASES" >/dev/null 3>&- &
    local pid=$! i
    for ((i = 0; i < 100; i++)); do
        [ "$(stats .in_flight)" -gt 0 ] && break
        sleep 0.05
    done
    local limit
    limit=$(awk '/^Max core file size/ {print $5 "/" $6}' "/proc/$pid/limits")
    kill -TERM "$pid"
    wait "$pid" || true
    [ "$limit" = "0/0" ]
    # without a key, core dumps stay as the user set them
    [ "$before" != 0 ] || skip "core dumps are off here, so the default cannot be told apart"
    unset OPENAI_API_KEY
    ev-call -q --no-cache -j 1 -m m --base-url "$BASE" "$CASES" >/dev/null 3>&- &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        [ "$(stats .in_flight)" -gt 0 ] && break
        sleep 0.05
    done
    limit=$(awk '/^Max core file size/ {print $5}' "/proc/$pid/limits")
    kill -TERM "$pid"
    wait "$pid" || true
    [ "$limit" = "$before" ]
}

@test "ev-call verifies TLS certificates, and trusts a CA the user names with --cacert" {
    mock -c "$CASES" --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY"
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"the server's TLS certificate is not trusted (if you trust it, name the CA that signed it with --cacert FILE)"* ]]
    [ "$(stats .by_outcome.ok)" -eq 0 ]
    run --separate-stderr ev-call -q --no-cache --cacert "$OTHER_CA" -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"not signed by the --cacert CAs"* ]]
    run --separate-stderr ev-call -q --no-cache --cacert "$TLS_CERT" -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq "$(wc -l <"$CASES")" ]
    [ "$(field 'has("output")' | sort -u)" = true ]
    [ "$(stats .by_outcome.ok)" -eq "$(wc -l <"$CASES")" ]
    run --separate-stderr ev-call -q --cacert "$BATS_TEST_TMPDIR/none.pem" -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--cacert: cannot read '$BATS_TEST_TMPDIR/none.pem'"* ]]
}

@test "ev-tune verifies TLS certificates, and trusts a CA the user names with --cacert" {
    export OPENAI_API_KEY=sk-test
    mock --job-ms 10 --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY"
    run --separate-stderr ev-tune -q --submit -m small --poll-ms 20 --base-url "$BASE" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"TLS certificate is not trusted"*"--cacert FILE"* ]]
    [ "$(stats .fine_tuning.files)" -eq 0 ]
    run --separate-stderr ev-tune -q --submit -m small --poll-ms 20 --cacert "$TLS_CERT" \
        --base-url "$BASE" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(field .status)" = '"succeeded"' ]
    [[ "$(field .fine_tuned_model)" == '"ft:small:'* ]]
    [ "$(stats .fine_tuning.by_status.succeeded)" -eq 1 ]
}

@test "a key is never sent over plain http to another host unless --allow-insecure-http" {
    export OPENAI_API_KEY=$CANARY
    run --separate-stderr ev-call -m m --base-url http://example.invalid/v1 "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"refusing to send the API key over plain http to 'example.invalid'"* ]]
    run --separate-stderr ev-tune --submit -m small --base-url http://example.invalid/v1 "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"refusing to send the API key over plain http to 'example.invalid'"* ]]
    # the user's explicit choice is honoured (shown with --dry-run: nothing is sent)
    run --separate-stderr ev-call --dry-run --allow-insecure-http -m m \
        --base-url http://example.invalid/v1 "$CASES"
    [ "$status" -eq 0 ]
    [[ "$output" != *"$CANARY"* ]]
    # loopback is this machine: a local server may be plain http
    mock -c "$CASES"
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
}

@test "redirects are not followed: the run stops and names where the server pointed" {
    export OPENAI_API_KEY=$CANARY
    mock -c "$CASES" --fault redirect=1
    run --separate-stderr ev-call -q --no-cache -j 1 -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"the base URL is not the API's (openai HTTP 307)"* ]]
    [[ "$stderr" == *"redirects to '$MOCK/v1/chat/completions'; redirects are not followed"* ]]
    # one request, the redirect itself; nothing went to where it pointed
    [ "$(stats .requests)" -eq 1 ]
    [ "$(stats .by_outcome.ok)" -eq 0 ]
}

# Every variable a proxy may be named by; curl reads most of them.
PROXY_VARS="http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY"

@test "a proxy in the environment never sees a loopback request or its key: ev-call, --batch, ev-tune" {
    export OPENAI_API_KEY=$CANARY ANTHROPIC_API_KEY=$CANARY
    mock -v # plays the proxy: it would log, count and answer what it is sent
    local proxy=$MOCK proxy_log=$MOCK_ERR v n
    n=$(wc -l <"$CASES")
    mock -c "$CASES" --job-ms 10 --batch-advance poll
    for v in $PROXY_VARS; do
        run --separate-stderr env "$v=$proxy" ev-call -q --no-cache -m m --base-url "$BASE" "$CASES"
        [ "$status" -eq 0 ] || fail_with "$v: $stderr"
        # the named server's answers: ev-mock -c answers each case's expected
        [ "${#lines[@]}" -eq "$n" ]
        [ -z "$(field 'select(.output != (.expected // .messages[-1].content))')" ] || fail_with "$v: $output"
    done
    run --separate-stderr env all_proxy="$proxy" http_proxy="$proxy" \
        ev-call -q --no-cache -p anthropic -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    [ -z "$(field 'select(.output != (.expected // .messages[-1].content))')" ]
    run --separate-stderr env all_proxy="$proxy" http_proxy="$proxy" \
        ev-call -q --batch --poll-interval 0.05 -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ -z "$(field 'select(.output != (.expected // .messages[-1].content))')" ]
    run --separate-stderr env all_proxy="$proxy" http_proxy="$proxy" \
        ev-tune -q --submit -m small --poll-ms 20 --base-url "$BASE" "$VALID"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "$(field .status)" = '"succeeded"' ]
    # everything went to the server named, nothing to the proxy
    [ "$(stats '.by_path["/v1/chat/completions"]')" -eq $((n * 6)) ]
    [ "$(stats '.by_path["/v1/messages"]')" -eq "$n" ]
    [ "$(stats '.batches.openai.batches_created')" -eq 1 ]
    [ "$(stats '.fine_tuning.by_status.succeeded')" -eq 1 ]
    # https to this machine does not go through one either, not even a tunnel
    mock -c "$CASES" --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY"
    run --separate-stderr env https_proxy="$proxy" all_proxy="$proxy" \
        ev-call -q --no-cache --cacert "$TLS_CERT" -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ -z "$(field 'select(.output != (.expected // .messages[-1].content))')" ]
    [ "$(stats '.by_path["/v1/chat/completions"]')" -eq "$n" ]
    [ "$(curl -sf "$proxy/stats" | jq .requests)" -eq 0 ]
    if grep -E 'POST|GET|CONNECT' "$proxy_log"; then fail_with "the proxy was sent requests"; fi
}

@test "-v never shows a key that a server echoes in Location, Set-Cookie or a header of its own" {
    export OPENAI_API_KEY=$CANARY ANTHROPIC_API_KEY=$CANARY
    mock --echo-key -c "$CASES" --job-ms 10 --batch-advance poll
    # the server does echo it
    curl -sf -D "$BATS_TEST_TMPDIR/h" -o /dev/null -H "Authorization: Bearer $CANARY" \
        -d '{"model":"m","messages":[{"role":"user","content":"hi"}]}' "$BASE/chat/completions"
    [ "$(grep -c -- "$CANARY" "$BATS_TEST_TMPDIR/h")" -eq 3 ]
    local p
    for p in openai anthropic; do
        run --separate-stderr ev-call -v --no-cache -j 1 -p "$p" -m m --base-url "$BASE" "$CASES"
        [ "$status" -eq 0 ] || fail_with "$p: $stderr"
        [[ "$stderr" != *"${CANARY:0:8}"* ]] || fail_with "$p: $stderr"
        # each header is there, its value cut out, in both directions
        [[ "$stderr" == *"< Location: /v1/echo?key=[redacted]"* ]] || fail_with "$p: $stderr"
        [[ "$stderr" == *"< Set-Cookie: session=[redacted]; Path=/; HttpOnly"* ]]
        [[ "$stderr" == *"< X-Echo-Key: [redacted]"* ]]
        [[ "$stderr" == *"> $([ "$p" = openai ] && echo Authorization || echo x-api-key): [redacted]"* ]]
    done
    # the paths through the files and batches APIs, verbose where they can be
    run --separate-stderr ev-call -v --batch --poll-interval 0.05 -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [[ "$output$stderr" != *"${CANARY:0:8}"* ]]
    run --separate-stderr ev-tune --submit -m small --poll-ms 20 --base-url "$BASE" "$VALID"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [[ "$output$stderr" != *"${CANARY:0:8}"* ]]
    # ev-score's judge is an ev-call, verbose when asked to be
    mock --echo-key --judge j
    run --separate-stderr ev-score --judge fact --judge-model j --judge-base-url "$BASE" \
        --judge-opt=-v "$FIXTURES/judge-cases.jsonl"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [[ "$stderr" == *"< X-Echo-Key: [redacted]"* ]]
    [[ "$output$stderr" != *"${CANARY:0:8}"* ]]
}

# names_of FILE: the sorted names of the variables in FILE, an env(1) listing.
names_of() {
    sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$1" | sort -u
}

# only_allowed FILE: FILE lists no variable but those every local command
# gets, those the shell sets itself, and the EV_* of the child contract.
only_allowed() {
    local extra
    extra=$(names_of "$1" | grep -Ev '^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TMPDIR|TERM|NO_COLOR|PWD|OLDPWD|SHLVL|_|EV_ID|EV_SAMPLE|EV_MODEL|EV_SYSTEM|EV_TRAIN_FILE|EV_TRAIN_FORMAT|EV_EPOCHS|EV_BASE_MODEL|EV_SUFFIX)$' || true)
    [ -z "$extra" ] || fail_with "$1 also has: $extra"
}

@test "local commands get no key: ev-call -p cmd, ev-tune --cmd and a cmd scorer see only what they need" {
    export OPENAI_API_KEY=$CANARY ANTHROPIC_API_KEY=$CANARY MY_KEY=$CANARY HF_TOKEN=hf-canary
    export HF_HOME=/tmp/hf LC_ALL=C
    local d=$BATS_TEST_TMPDIR
    # ev-call -p cmd: the command's answer is its environment
    run --separate-stderr ev-call -q --no-cache -p cmd -c env -m m --system s "$CASES"
    [ "$status" -eq 0 ]
    [[ "$output" != *canary* ]]
    printf '%s\n' "$output" | head -n 1 | jq -r .output >"$d/call.env"
    only_allowed "$d/call.env"
    grep -qx "PATH=$PATH" "$d/call.env"
    grep -qx "HOME=$HOME" "$d/call.env"
    grep -qx LC_ALL=C "$d/call.env"
    grep -qx EV_ID=c1 "$d/call.env"
    grep -qx EV_MODEL=m "$d/call.env"
    # ev-tune --cmd: the trainer's output is copied to standard error
    run --separate-stderr ev-tune --cmd 'env; echo local/model' -m small "$VALID"
    [ "$status" -eq 0 ]
    [[ "$output$stderr" != *canary* ]]
    printf '%s\n' "$stderr" >"$d/tune.env"
    only_allowed "$d/tune.env"
    grep -qx "EV_TRAIN_FILE=$VALID" "$d/tune.env"
    grep -qx EV_BASE_MODEL=small "$d/tune.env"
    # ev-score's cmd scorer, started once for the run
    run --separate-stderr ev-score -s "cmd:env >'$d/score.env'; while read -r l; do echo true; done" \
        "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    # every record that has an output was scored by it
    [ "$(field 'select(.score.reason == "judged pass")' | wc -l)" -eq \
        "$(jq -c 'select(has("error") | not)' "$FIXTURES/cases.jsonl" | wc -l)" ]
    [[ "$output" != *canary* ]]
    [ -s "$d/score.env" ]
    only_allowed "$d/score.env"
    grep -qx "PATH=$PATH" "$d/score.env"
    [ -z "$(leaks)" ] || fail_with "the key leaked into: $(leaks)"
    if grep -rl hf-canary "$d"; then fail_with "HF_TOKEN was passed"; fi
}

@test "--env passes more of the environment to a local command, by name or pattern, and never takes a value" {
    export MY_KEY=$CANARY HF_HOME=/tmp/hf HF_TOKEN=hf-canary OTHER=x
    local d=$BATS_TEST_TMPDIR
    run --separate-stderr ev-call -q --no-cache -p cmd -c env --env MY_KEY --env 'HF_*' "$CASES"
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | head -n 1 | jq -r .output >"$d/call.env"
    grep -qx "MY_KEY=$CANARY" "$d/call.env"
    grep -qx HF_HOME=/tmp/hf "$d/call.env"
    grep -qx HF_TOKEN=hf-canary "$d/call.env"
    if grep -q '^OTHER=' "$d/call.env"; then fail_with "OTHER was passed"; fi
    run --separate-stderr ev-tune --cmd 'env; echo local/model' --env OTHER "$VALID"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"OTHER=x"* ]]
    [[ "$stderr" != *"$CANARY"* ]]
    run --separate-stderr ev-score --env 'HF_T*' \
        -s "cmd:env >'$d/score.env'; while read -r l; do echo true; done" "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    grep -qx HF_TOKEN=hf-canary "$d/score.env"
    if grep -q '^HF_HOME=' "$d/score.env"; then fail_with "HF_HOME was passed"; fi
    # a value never goes on the command line; --env goes with a local command
    local t
    for t in "ev-call -p cmd -c cat --env MY_KEY=x" "ev-tune --cmd true --env MY_KEY=x" \
        "ev-score --env MY_KEY=x" "ev-call -p cmd -c cat --env=" ; do
        run --separate-stderr $t "$CASES"
        [ "$status" -eq 2 ] || fail_with "$t: $status"
        [[ "$stderr" == *"--env takes the name of a variable, or a pattern such as 'HF_*', never a value"* ]]
        [[ "$stderr" == *"try '"*" --help'"* ]]
    done
    run --separate-stderr ev-call --dry-run -m m --env MY_KEY "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--env goes with --provider cmd"* ]]
    run --separate-stderr ev-tune --env MY_KEY "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--env goes with --cmd"* ]]
}

@test "the cache is private: its directories are 0700 and its files 0600, whatever the umask" {
    mock -c "$CASES"
    umask 000
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$CASES"
    [ "$status" -eq 0 ]
    local files dirs
    files=$(find "$EV_CACHE_DIR" -type f | wc -l)
    [ "$files" -ge "$(wc -l <"$CASES")" ]
    [ -z "$(find "$EV_CACHE_DIR" -type f ! -perm 600)" ]
    dirs=$(find "$EV_CACHE_DIR" -type d | wc -l)
    [ "$dirs" -ge 2 ]
    [ -z "$(find "$EV_CACHE_DIR" -type d ! -perm 700)" ]
}

@test "a template cannot read files or the environment" {
    export SECRET_VALUE=s3cr3t-from-env
    local t="$BATS_TEST_TMPDIR/t" c='{"id":"a","input":"hi","meta":{"x":"y"}}'
    for p in '{{env.SECRET_VALUE}}' '{{$SECRET_VALUE}}' '{{SECRET_VALUE}}' '{{/etc/hostname}}' \
        '{{input | @sh}}' '{{$__loc__}}' '{{input}}{{ env }}'; do
        printf 'Q: %s\n' "$p" >"$t"
        run --separate-stderr bash -c "printf '%s\n' '$c' | ev-call -p cmd -c cat --no-cache --template '$t'"
        [ "$status" -ne 0 ] || fail_with "template '$p' was filled: $output"
        [[ "$output$stderr" != *s3cr3t* ]]
        [[ "$output$stderr" != *"$(cat /etc/hostname)"* ]] || [ -z "$(cat /etc/hostname)" ]
    done
    # a record's own fields are all a template can reach
    printf 'Q: {{input}} {{meta.x}}\n' >"$t"
    run --separate-stderr bash -c "printf '%s\n' '$c' | ev-call -p cmd -c cat --no-cache --template '$t'"
    [ "$status" -eq 0 ]
    [ "$(field .output)" = '"Q: hi y"' ]
}

# pipe_head CMD...: run "generator | CMD | head -n 5" with a bound on time;
# sets PIPE_STATUS to the statuses of the three, LINES to what head printed,
# and ERR to CMD's standard error. The generator is endless for a filter.
pipe_head() {
    local gen="$1"
    shift
    local cmd="$*"
    LINES=$(timeout 60 bash -c "$gen | $cmd 2>'$BATS_TEST_TMPDIR/err' | head -n 5
        echo \"status \${PIPESTATUS[*]}\" >'$BATS_TEST_TMPDIR/st'")
    PIPE_STATUS=$(cat "$BATS_TEST_TMPDIR/st" 2>/dev/null)
    ERR=$(cat "$BATS_TEST_TMPDIR/err")
}

@test "head -n 5 downstream ends every filter promptly and quietly, by SIGPIPE" {
    local endless='awk '\''BEGIN { for (i = 1; ; i++) printf "{\"id\":\"c%d\",\"input\":\"q%d\",\"expected\":\"a\",\"output\":\"a\"}\n", i, i }'\'
    local t
    for t in "ev-split -q --dedupe" "ev-score -q" "ev-cost -q -m gpt-4o-mini" "ev-gaps -q" \
        "ev-tune --convert" "ev-call -q --no-cache -p cmd -c cat" "ev-call --dry-run -m m"; do
        pipe_head "$endless" "$t"
        # an endless input ends only because the tool stopped on the closed pipe
        [ -n "$PIPE_STATUS" ] || fail_with "$t did not end within 60 s"
        [ "$(printf '%s\n' "$LINES" | wc -l)" -eq 5 ] || fail_with "$t: $LINES"
        # the first records, in order (ev-tune --convert drops the ids)
        [ "$(printf '%s\n' "$LINES" | head -n 1 | jq -r '.id // .messages[0].content')" = \
            "$([[ $t == ev-tune* ]] && echo q1 || echo c1)" ] || fail_with "$t: $LINES"
        [ "$PIPE_STATUS" = "status 141 141 0" ] || fail_with "$t: $PIPE_STATUS $ERR"
        [ -z "$ERR" ] || fail_with "$t wrote: $ERR"
    done
}

@test "head -n 5 downstream of a report tool: the report, and no complaint" {
    local t
    for t in "ev-compare -f table $EXAMPLES/runs/base.jsonl $EXAMPLES/runs/small.jsonl" \
        "ev-gaps --summary -f table $EXAMPLES/runs/small.jsonl" \
        "ev-curve -t 0.5 -f table $EXAMPLES/curve/points.jsonl"; do
        pipe_head true "$t"
        [ "$(printf '%s\n' "$LINES" | wc -l)" -ge 2 ] || fail_with "$t: $LINES"
        [[ "$PIPE_STATUS" =~ ^"status 0 "(0|141)" 0"$ ]] || fail_with "$t: $PIPE_STATUS $ERR"
        [ -z "$ERR" ] || fail_with "$t wrote: $ERR"
    done
}

@test "an empty or unreadable --api-key-file is a usage error that names the file" {
    : >"$BATS_TEST_TMPDIR/empty"
    printf '\n  \n' >"$BATS_TEST_TMPDIR/blank"
    for f in empty blank; do
        run --separate-stderr ev-call -m m --api-key-file "$BATS_TEST_TMPDIR/$f" "$CASES"
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"--api-key-file: '$BATS_TEST_TMPDIR/$f' is empty"* ]]
        run --separate-stderr ev-tune --submit -m small --api-key-file "$BATS_TEST_TMPDIR/$f" "$VALID"
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"--api-key-file: '$BATS_TEST_TMPDIR/$f' is empty"* ]]
    done
    run --separate-stderr ev-call -m m --api-key-file "$BATS_TEST_TMPDIR/none" "$CASES"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--api-key-file: cannot open '$BATS_TEST_TMPDIR/none': No such file or directory"* ]]
}

# --- what a record may do: asserts are data from anywhere ------------------

# jq_case ID PROGRAM: a record whose assert is the jq program PROGRAM.
jq_case() {
    jq -nc --arg id "$1" --arg p "$2" '{id: $id, output: "x", assert: ("jq:" + $p)}'
}

# verdicts: the records ev-score wrote, as [id,pass] on one line.
verdicts() {
    field '[.id, .score.pass]' | tr '\n' ' '
}

@test "a record's cmd assert runs nothing without --allow-record-commands: file:line, and the run goes on" {
    local f="$BATS_TEST_TMPDIR/cases.jsonl" mark="$BATS_TEST_TMPDIR/ran"
    local judge="while read -r l; do touch '$mark'; echo true; done"
    {
        echo '{"id":"a","output":"x","expected":"x"}'
        jq -nc --arg c "cmd:$judge" '{id: "b", output: "x", assert: $c}'
        jq -nc --arg c "$judge" '{id: "c", output: "x", assert: ["contains:x", {type: "cmd", value: $c}]}'
        jq -nc --arg c "$judge" '{id: "d", output: "x", assert: {type: "not-cmd", value: $c}}'
        echo '{"id":"e","output":"x","expected":"x"}'
    } >"$f"
    run --separate-stderr ev-score -q "$f"
    [ "$status" -eq 2 ]
    [ ! -e "$mark" ]
    [ "$(field .id | tr '\n' ' ')" = '"a" "e" ' ]
    local n
    for n in 2 3 4; do
        [[ "$stderr" == *"$f:$n: cannot score record: bad 'assert': '"*"' would run a command, which a record may do only with --allow-record-commands"* ]] ||
            fail_with "line $n: $stderr"
    done
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 3 ]
    # the user may allow it
    run --separate-stderr ev-score -q --allow-record-commands "$f"
    [ "$status" -eq 0 ]
    [ -e "$mark" ]
    [ "$(field .id | tr '\n' ' ')" = '"a" "b" "c" "d" "e" ' ]
    [ "$(field .score.pass | tr '\n' ' ')" = 'true true true false true ' ]
}

@test "a jq program sees no environment: not \$ENV, not env, not ~/.jq, from a record or from -s" {
    export OPENAI_API_KEY=$CANARY EV_CANARY=$CANARY HOME="$BATS_TEST_TMPDIR"
    printf 'def from_home: "%s";\n' "$CANARY" >"$HOME/.jq"
    {
        jq_case env '$ENV == {}'
        jq_case env-fn 'env == {}'
        jq_case key 'error($ENV.OPENAI_API_KEY // "no key")'
        jq_case key-fn 'error(env.EV_CANARY // "no key")'
        jq_case home 'from_home'
        jq_case args '$__prog_args'
        jq_case origin '[get_jq_origin, get_prog_origin] == []'
    } >"$BATS_TEST_TMPDIR/cases.jsonl"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/cases.jsonl"
    [ "$status" -eq 2 ]
    [ "$(verdicts)" = '["env",true] ["env-fn",true] ["origin",true] ' ]
    [[ "$stderr" == *":3: cannot score record: jq program "*"failed: no key"* ]]
    [[ "$stderr" == *":4: cannot score record: jq program "*"failed: no key"* ]]
    [[ "$stderr" == *":5: cannot score record: bad 'assert': cannot compile jq program 'from_home': from_home/0 is not defined"* ]]
    [[ "$stderr" == *":6: cannot score record: bad 'assert': cannot compile jq program '\$__prog_args': \$__prog_args is not defined"* ]]
    [[ "$output$stderr" != *"$CANARY"* ]]
    run --separate-stderr ev-score -q -s 'jq:[$ENV, env] == [{}, {}]' <<<'{"id":"x","output":"x"}'
    [ "$status" -eq 0 ]
    [ "$(field .score.pass)" = true ]
}

@test "a jq program reaches no file: import, include, module, modulemeta, search paths and inputs" {
    local d="$BATS_TEST_TMPDIR"
    printf '{"k":"%s"}\n' "$CANARY" >"$d/secret.json"
    printf 'def leak: "%s";\n' "$CANARY" >"$d/mod.jq"
    cd "$d"
    {
        jq_case data "import \"secret\" as \$s {search: \"$d\"}; \$s[0].k"
        jq_case data-here 'import "secret" as $s; $s[0].k'
        jq_case include "include \"mod\" {search: \"$d\"}; leak"
        jq_case module "module {}; import \"mod\" as m {search: \"$d\"}; m::leak"
        jq_case comment "# a comment first
    import \"mod\" as m {search: \"$d\"}; m::leak"
        jq_case meta '"mod" | modulemeta | tostring'
        jq_case search 'get_search_list == []'
        jq_case inputs '[inputs] == []'
        jq_case filename 'input_filename == null'
        jq_case good '.output == "x"'
    } >cases.jsonl
    run --separate-stderr ev-score -q cases.jsonl
    [ "$status" -eq 2 ]
    [ "$(verdicts)" = '["search",true] ["inputs",true] ["filename",true] ["good",true] ' ]
    local n
    for n in 1 2 3 4 5; do
        [[ "$stderr" == *"cases.jsonl:$n: cannot score record: bad 'assert': cannot compile jq program '"*"': jq modules ('module', 'import', 'include') are not available"* ]] ||
            fail_with "line $n: $stderr"
    done
    [[ "$stderr" == *"cases.jsonl:6: cannot score record: jq program "*"failed: module not found: mod"* ]]
    [[ "$output$stderr" != *"$CANARY"* ]]
    # -s is held to the same
    run --separate-stderr ev-score -q -s "jq:include \"mod\" {search: \"$d\"}; leak == \"x\"" </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"jq modules ('module', 'import', 'include') are not available"* ]]
}

@test "a jq program prints nothing: debug, stderr and halt_error write nowhere" {
    local secret='("sk-" + "canary-9f2")'
    {
        jq_case debug "$secret | debug | true"
        jq_case stderr "$secret | stderr | true"
        jq_case halt "$secret | halt_error(1)"
        jq_case halt0 "$secret | halt_error(0)"
    } >"$BATS_TEST_TMPDIR/cases.jsonl"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/cases.jsonl"
    [ "$status" -eq 2 ]
    [ "$(verdicts)" = '["debug",true] ["stderr",true] ' ]
    [[ "$stderr" == *":3: cannot score record: jq program "*" halted"* ]]
    [[ "$stderr" == *":4: cannot score record: jq program "*" halted"* ]]
    [[ "$output$stderr" != *"sk-canary-9f2"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ]
}

@test "no record stops a run: an endless jq loop, unbounded memory, a slow regex and a long similar fail on their budget" {
    local f="$BATS_TEST_TMPDIR/cases.jsonl"
    {
        echo '{"id":"before","output":"x","expected":"x"}'
        jq_case loop 'last(range(1e18)) > 0'
        jq_case memory 'reduce range(64) as $i ("0123456789"; . + .) | length > 0'
        jq -nc '{id: "regex", output: ("a" * 200000), assert: "regex:(a|aa)*b"}'
        jq -nc '{id: "similar", output: ("a" * 100000), expected: ("b" * 100000), assert: "similar"}'
        jq_case after '.output == "x"'
    } >"$f"
    run --separate-stderr ev-score -q --cpu-budget 1 --memory-budget 32 "$f"
    [ "$status" -eq 2 ]
    [ "$(field .id | tr '\n' ' ')" = '"before" "loop" "memory" "regex" "similar" "after" ' ]
    [ "$(field '[.score.pass, .score.value]' | tr '\n' ' ')" = '[true,1] [false,0] [false,0] [false,0] [false,0] [true,1] ' ]
    [ "$(field .score.reason | sed -n 2,5p | tr '\n' '|')" = '"ran over its CPU budget of 1 s"|"ran over its memory budget of 32 MB"|"ran over its CPU budget of 1 s"|"ran over its CPU budget of 1 s"|' ]
    [[ "$stderr" == *"$f:2: scorer 'jq:last(range(1e18)) > 0' ran over its CPU budget of 1 s, so the record fails (--cpu-budget sets the budget)"* ]]
    [[ "$stderr" == *"$f:3: scorer 'jq:reduce range(64) as \$i (\"0123456789\";...' ran over its memory budget of 32 MB, so the record fails (--memory-budget sets the budget)"* ]]
    [[ "$stderr" == *"$f:4: scorer 'regex:(a|aa)*b' ran over its CPU budget of 1 s"* ]]
    [[ "$stderr" == *"$f:5: scorer 'similar' ran over its CPU budget of 1 s"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 4 ]
}
