#!/usr/bin/env bats
# The answer cache under stress: odd files in place of entries, entries that
# lie, a disk that is full or read-only, runs killed mid-write, and runs that
# share one cache at the same time. GET /stats on ev-mock proves what was sent.
load test_helper

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    BG_PIDS=()
    unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL
}

teardown() {
    local pid
    for pid in "${MOCK_PIDS[@]}" "${BG_PIDS[@]}"; do
        kill -CONT "$pid" 2>/dev/null || true
    done
    for pid in "${BG_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    ev_mock_stop_all
}

start_mock() {
    ev_mock_start -q "$@"
    BASE="$MOCK/v1"
}

stats() {
    curl -sf "$MOCK/stats" | jq -c "$1"
}

reset_stats() {
    curl -sf -X POST "$MOCK/stats/reset" >/dev/null
}

# cases N: N one-line cases with ids k1..kN.
cases() {
    seq 1 "$1" | jq -c '{id: "k\(.)", input: "Question number \(.)?"}'
}

# entry_of FILE ID: the path of the cache entry of case ID of FILE, for
# 'ev-call -m m --base-url $BASE'.
entry_of() {
    local key
    key=$(jq -c --arg id "$2" 'select(.id == $id)' "$1" |
        ev-call --dry-run -m m --base-url "$BASE" | jq -r .cache_key)
    printf '%s/%s/%s.json\n' "$EV_CACHE_DIR" "${key:0:2}" "$key"
}

# leftovers: the temporary files and claims in the cache.
leftovers() {
    find "$EV_CACHE_DIR" -name '.*' -type f 2>/dev/null | LC_ALL=C sort
}

# wait_for CMD...: poll until CMD succeeds; fail after a minute, which only
# a broken run takes.
wait_for() {
    local i
    for ((i = 0; i < 3000; i++)); do
        "$@" && return 0
        sleep 0.02
    done
    fail_with "gave up waiting for: $*"
}

# batch_in_background POLL OUT: start ev-call --batch on the fixture cases
# in the background, looking at its batch every POLL seconds, its records to
# OUT and its standard error to OUT.err; return once it has submitted.
batch_in_background() {
    ev-call --batch --poll-interval "$1" -m small --base-url "$BASE" "$FIXTURES/call-cases.jsonl" \
        >"$2" 2>"$2.err" 3>&- &
    BG_PIDS+=($!)
    wait_for grep -q "submitted batch" "$2.err"
}

# in_mount_namespace: whether this machine lets the tests mount a tmpfs of
# their own (as root, or through a user namespace).
in_mount_namespace() {
    command -v unshare >/dev/null && unshare -rm true 2>/dev/null
}

# Odd files in place of entries.

@test "a FIFO in place of a cache entry is a miss with one warning, never blocks, and is replaced" {
    start_mock
    cases 3 >"$BATS_TEST_TMPDIR/in"
    ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" >/dev/null
    f=$(entry_of "$BATS_TEST_TMPDIR/in" k2)
    rm "$f"
    mkfifo "$f"
    # timeout only ends a run that hangs, as one did that opened the FIFO
    run --separate-stderr timeout -k 5 60 ev-call --dry-run -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(field '[.id, .cached]' | paste -sd' ')" = '["k1",true] ["k2",false] ["k3",true]' ]
    reset_stats
    run --separate-stderr timeout -k 5 60 ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-call: bad cache entry '$f': it is a FIFO; it is ignored, and the answer fetched now replaces it" ]
    [ "$(stats .requests)" = 1 ]
    [ "$(field '[.id, .call.cached]' | paste -sd' ')" = '["k1",true] ["k2",false] ["k3",true]' ]
    [ -f "$f" ]
    jq -e '.output | type == "string"' "$f"
}

@test "a symbolic link, an empty file or a directory in place of an entry is a miss with one warning" {
    start_mock
    cases 3 >"$BATS_TEST_TMPDIR/in"
    ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" >/dev/null
    f1=$(entry_of "$BATS_TEST_TMPDIR/in" k1)
    f2=$(entry_of "$BATS_TEST_TMPDIR/in" k2)
    cp "$f1" "$BATS_TEST_TMPDIR/elsewhere.json"
    ln -sf "$BATS_TEST_TMPDIR/elsewhere.json" "$f1"
    : >"$f2"
    reset_stats
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$(stats .requests)" = 2 ]
    [ "$(grep -c . <<<"$stderr")" = 2 ]
    [[ "$stderr" == *"bad cache entry '$f1': it is a symbolic link;"* ]]
    [[ "$stderr" == *"bad cache entry '$f2': it is empty;"* ]]
    [ ! -L "$f1" ]
    [ -s "$f2" ]
    # A directory cannot be replaced: the answer cannot be kept (see below).
    f3=$(entry_of "$BATS_TEST_TMPDIR/in" k3)
    rm "$f3"
    mkdir "$f3"
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"bad cache entry '$f3': it is a directory;"* ]]
    [[ "$stderr" == *"cannot write '$f3': Is a directory"* ]]
}

@test "a number out of range or of the wrong type in an entry is a miss with one warning, and the entry is replaced" {
    start_mock
    cases 1 >"$BATS_TEST_TMPDIR/in"
    ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" >/dev/null
    f=$(entry_of "$BATS_TEST_TMPDIR/in" k1)
    local bad
    for bad in 'attempts:1e300' 'attempts:0' 'attempts:2.5' 'attempts:"3"' 'attempts:nan' \
        'latency_ms:-5' 'latency_ms:1e300' 'input_tokens:-1' 'output_tokens:0.5' \
        'cached_tokens:true' 'sample:1e300' 'version:2' 'finish_reason:7' 'output:null'; do
        # the value is written as it is, even when jq would not write it so
        jq -c --arg k "${bad%%:*}" '.[$k] = "@@"' "$f" | sed "s/\"@@\"/${bad#*:}/" >"$f.new"
        mv "$f.new" "$f"
        reset_stats
        run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
        [ "$status" -eq 0 ] || fail_with "$bad: exit $status"
        [ "$(stats .requests)" = 1 ] || fail_with "$bad: the entry was used"
        [[ "$stderr" == "ev-call: bad cache entry '$f': '${bad%%:*}' is not a "* ]] ||
            fail_with "$bad: $stderr"
        [ "$(grep -c . <<<"$stderr")" = 1 ]
        [ "$(field .call.attempts)" = 1 ]
        jq -e '.attempts == 1 and (.output | type == "string") and .version == 1' "$f" >/dev/null
    done
}

# A cache that cannot keep answers.

@test "answers the cache cannot keep stop the run: every answer received is written, and the exit is 2" {
    command -v prlimit >/dev/null || skip "no prlimit(1)"
    start_mock
    cases 30 >"$BATS_TEST_TMPDIR/in"
    # A file size limit of 0 fails every write to a file, as a full disk
    # does, for root too; standard error goes through a pipe, out of its reach.
    run --separate-stderr bash -c 'set -o pipefail
        { prlimit --fsize=0 ev-call -q -j 2 -m m --base-url "$1" "$2" 2>&1 1>&3 3>&- | cat >&2; } 3>&1' \
        _ "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-call: cannot write '$EV_CACHE_DIR/"*"': File too large"* ]] || fail_with "$stderr"
    [[ "$stderr" == *"ev-call: stopping: the cache '$EV_CACHE_DIR' cannot keep answers"*"--cache-dir, or run with --no-cache"* ]]
    # New calls stopped; the calls in flight were paid for, and are written.
    [ "$(stats .requests)" -le 2 ]
    [ "${#lines[@]}" -ge 1 ]
    [ "${#lines[@]}" -eq "$(stats .requests)" ]
    [ "$(field '.output | type' | sort -u)" = '"string"' ]
    [ -z "$(find "$EV_CACHE_DIR" -name '*.json')" ]
}

@test "on a full disk the run stops and writes what it received; on a read-only one it pays for nothing" {
    in_mount_namespace || skip "cannot mount a tmpfs here"
    start_mock
    cases 3 >"$BATS_TEST_TMPDIR/few"
    cases 30 >"$BATS_TEST_TMPDIR/in"
    mkdir -p "$EV_CACHE_DIR"
    # In a mount namespace of its own: a 64 KB tmpfs as the cache; three
    # answers in it; then the disk filled up; then the disk read-only.
    run --separate-stderr unshare -rm bash -c 'set -e
        mount -t tmpfs -o size=64k tmpfs "$EV_CACHE_DIR"
        ev-call -q -m m --base-url "$1" "$2" >/dev/null
        head -c 1M /dev/zero >"$EV_CACHE_DIR/fill" 2>/dev/null || true
        st=0; ev-call -q -j 2 -m m --base-url "$1" "$3" >"$4/full.out" 2>"$4/full.err" || st=$?
        echo "full $st"
        mount -o remount,ro "$EV_CACHE_DIR"
        curl -sf -X POST "$5/stats/reset" >/dev/null
        st=0; ev-call -q -m m --base-url "$1" "$3" >"$4/ro.out" 2>"$4/ro.err" || st=$?
        echo "ro $st"' _ "$BASE" "$BATS_TEST_TMPDIR/few" "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR" "$MOCK"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [ "${lines[0]}" = "full 2" ] || fail_with "$(cat "$BATS_TEST_TMPDIR/full.err")"
    grep -q "No space left on device" "$BATS_TEST_TMPDIR/full.err"
    grep -q "stopping: the cache '$EV_CACHE_DIR' cannot keep answers" "$BATS_TEST_TMPDIR/full.err"
    # the three cached answers and the calls in flight (at most -j 2)
    n=$(wc -l <"$BATS_TEST_TMPDIR/full.out")
    [ "$n" -ge 4 ]
    [ "$n" -le 5 ]
    [ "${lines[1]}" = "ro 2" ] || fail_with "$(cat "$BATS_TEST_TMPDIR/ro.err")"
    grep -q "Read-only file system" "$BATS_TEST_TMPDIR/ro.err"
    # Nothing paid for, and the cached answers written.
    [ "$(stats .requests)" = 0 ]
    [ "$(jq -c '[.id, .call.cached]' "$BATS_TEST_TMPDIR/ro.out" | paste -sd' ')" = '["k1",true] ["k2",true] ["k3",true]' ]
}

@test "a cache directory that cannot be made stops the run before any call, unless --no-cache" {
    start_mock
    : >"$BATS_TEST_TMPDIR/file"
    run --separate-stderr ev-call -q -m m --base-url "$BASE" --cache-dir "$BATS_TEST_TMPDIR/file/ev" <(cases 2)
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"cannot make cache directory '$BATS_TEST_TMPDIR/file/ev'"* ]]
    [[ "$stderr" == *"run with --no-cache"* ]]
    [ "$(stats .requests)" = 0 ]
    run --separate-stderr ev-call -q --no-cache -m m --base-url "$BASE" --cache-dir "$BATS_TEST_TMPDIR/file/ev" <(cases 2)
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
}

# Leftovers of killed runs.

@test "temporary files and claims that no live process holds are removed by the next run; held ones stay" {
    start_mock
    cases 1 >"$BATS_TEST_TMPDIR/in"
    f=$(entry_of "$BATS_TEST_TMPDIR/in" k1)
    d=${f%/*}
    mkdir -p "$d"
    k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    # What a run killed mid-write leaves: empty temporaries and claims.
    : >"$d/.$k.Ab12Cd"
    : >"$d/.$k.claim"
    printf '{"output":"half' >"$d/.${k/0/1}.zzzzzz"
    # A live run's temporary, locked by this shell, and a file not ours.
    : >"$d/.${k/0/2}.Live01"
    exec {lockfd}<"$d/.${k/0/2}.Live01"
    flock -x "$lockfd"
    : >"$d/.not-ours"
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    exec {lockfd}<&-
    [ "$status" -eq 0 ]
    [ -s "$f" ]
    [ "$(leftovers | paste -sd' ')" = "$d/.${k/0/2}.Live01 $d/.not-ours" ]
}

@test "after kill -9 the leftovers are empty claims of the calls in flight, and the next run removes them" {
    start_mock
    cases 40 >"$BATS_TEST_TMPDIR/in"
    kill -STOP "${MOCK_PIDS[0]}" # no answer comes: the calls stay in flight
    ev-call -q -j 4 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" >/dev/null 2>&1 3>&- &
    BG_PIDS+=($!)
    claims() { [ "$(leftovers | grep -c '\.claim$')" -eq 4 ]; }
    wait_for claims
    kill -9 "${BG_PIDS[0]}"
    wait "${BG_PIDS[0]}" || true
    kill -CONT "${MOCK_PIDS[0]}"
    [ -z "$(find "$EV_CACHE_DIR" -name '.*' -type f -size +0)" ]
    run --separate-stderr ev-call -q -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 40 ]
    [ -z "$(leftovers)" ]
}

# Runs that share the cache.

@test "two runs sharing a cache pay once for each case: the second waits for what the first has claimed" {
    start_mock
    cases 40 >"$BATS_TEST_TMPDIR/in"
    # The mock stopped: the first run's calls stay in flight, their keys
    # claimed, until the second run is seen waiting for them.
    kill -STOP "${MOCK_PIDS[0]}"
    ev-call -q -j 4 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" \
        >"$BATS_TEST_TMPDIR/a" 2>"$BATS_TEST_TMPDIR/a.err" 3>&- &
    BG_PIDS+=($!)
    claims() { [ "$(leftovers | grep -c '\.claim$')" -eq 4 ]; }
    wait_for claims
    ev-call -v -j 4 -m m --base-url "$BASE" "$BATS_TEST_TMPDIR/in" \
        >"$BATS_TEST_TMPDIR/b" 2>"$BATS_TEST_TMPDIR/b.err" 3>&- &
    BG_PIDS+=($!)
    waiting() { grep -q "another ev-call is fetching this answer; waiting for it" "$BATS_TEST_TMPDIR/b.err"; }
    wait_for waiting
    kill -CONT "${MOCK_PIDS[0]}"
    wait "${BG_PIDS[0]}"
    wait "${BG_PIDS[1]}"
    [ "$(stats .requests)" = 40 ]
    [ "$(wc -l <"$BATS_TEST_TMPDIR/a")" -eq 40 ]
    [ "$(wc -l <"$BATS_TEST_TMPDIR/b")" -eq 40 ]
    diff <(jq -c '[.id, .output]' "$BATS_TEST_TMPDIR/a") <(jq -c '[.id, .output]' "$BATS_TEST_TMPDIR/b")
    # Each run sent some, and took the other's answers from the cache.
    [ "$(jq -s 'map(select(.call.cached)) | length' "$BATS_TEST_TMPDIR/b")" -ge 4 ]
    [ "$(jq -s 'map(select(.call.cached | not)) | length' "$BATS_TEST_TMPDIR/b")" -ge 1 ]
    [ -z "$(leftovers)" ]
}

@test "a second run of the same batches waits while the first holds them, and never submits them again" {
    start_mock --cases "$FIXTURES/call-cases.jsonl" --batch-advance poll
    # The first run submits its batch, looks at it once, and sleeps.
    batch_in_background 100 "$BATS_TEST_TMPDIR/a"
    ev-call --batch --poll-interval 0.05 -m small --base-url "$BASE" "$FIXTURES/call-cases.jsonl" \
        >"$BATS_TEST_TMPDIR/b" 2>"$BATS_TEST_TMPDIR/b.err" 3>&- &
    BG_PIDS+=($!)
    waiting() { grep -q "another ev-call is running the batches of these cases" "$BATS_TEST_TMPDIR/b.err"; }
    wait_for waiting
    # Its claim dies with it; the second run then collects its batch.
    kill -9 "${BG_PIDS[0]}"
    wait "${BG_PIDS[0]}" || true
    wait "${BG_PIDS[1]}" || fail_with "$(cat "$BATS_TEST_TMPDIR/b.err")"
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
    grep -q "found 1 batch of an earlier run of these cases; collecting it" "$BATS_TEST_TMPDIR/b.err"
    [ "$(jq -c .id "$BATS_TEST_TMPDIR/b" | paste -sd' ')" = "$(jq -c .id "$FIXTURES/call-cases.jsonl" | paste -sd' ')" ]
    [ "$(jq -c '.output | type' "$BATS_TEST_TMPDIR/b" | sort -u)" = '"string"' ]
}

@test "a FIFO in place of a batch state stops the run at once: it may name batches already paid for" {
    start_mock --cases "$FIXTURES/call-cases.jsonl" --batch-advance poll
    batch_in_background 100 "$BATS_TEST_TMPDIR/a"
    kill -9 "${BG_PIDS[0]}"
    wait "${BG_PIDS[0]}" || true
    f=$(find "$EV_CACHE_DIR/batches" -name '*.json')
    rm "$f"
    mkfifo "$f"
    run --separate-stderr timeout -k 5 60 ev-call --batch --poll-interval 0.05 -m small --base-url "$BASE" \
        "$FIXTURES/call-cases.jsonl"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"cannot read the batch state '$f': it is a FIFO; it may name batches already paid for"* ]] ||
        fail_with "$stderr"
    [ "$(stats '.batches.openai.batches_created')" = 1 ]
}
