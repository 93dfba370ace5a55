# Shared setup for every ev test file: load it with 'load test_helper'.
bats_require_minimum_version 1.5.0

: "${EV_BIN:?EV_BIN must name the directory of the built tools (run tests via make check)}"
PATH="$EV_BIN:$PATH"
# The built binaries themselves: with VALGRIND=1, EV_BIN holds wrappers.
: "${EV_BUILD_BIN:=$EV_BIN}"
FIXTURES="$BATS_TEST_DIRNAME/fixtures"
EXAMPLES="$BATS_TEST_DIRNAME/../examples"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}"
export NO_COLOR=1
export EV_CACHE_DIR="$BATS_TEST_TMPDIR/cache"
# Names the test in a memcheck report (tests/memcheck). bats encodes the
# description in BATS_TEST_NAME: spaces as '_' and other characters as -XX.
EV_TEST=$(sed -e 's/^test_//' -e 's/_/ /g' -e 's/-\([0-9a-f][0-9a-f]\)/\\x\1/g' <<<"${BATS_TEST_NAME:-}")
printf -v EV_TEST '%s: %b' "${BATS_TEST_FILENAME##*/}" "$EV_TEST"
export EV_TEST

# ev_exec PROGRAM [ARG...]: run an offline tool by its path rather than from
# PATH (a copy, an installed one), under memcheck when tests/run was given
# VALGRIND=1, as the offline tools on PATH then are.
ev_exec() {
    if [ "${VALGRIND:-}" = 1 ]; then
        "$BATS_TEST_DIRNAME/memcheck" "$@"
    else
        "$@"
    fi
}

# assert_jsonl FILE: every line of FILE is one JSON object.
assert_jsonl() {
    local n=0 line
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        printf '%s\n' "$line" | jq -e 'type == "object"' >/dev/null 2>&1 || {
            echo "line $n is not a JSON object: $line" >&2
            return 1
        }
    done <"$1"
}

# field JQ: apply a jq filter to each line of $output (from 'run').
field() {
    printf '%s\n' "$output" | jq -c "$1"
}

# fail_with MESSAGE: fail the test, printing MESSAGE.
fail_with() {
    echo "$*" >&2
    return 1
}

# wait_for_line FILE PATTERN [PID]: wait until FILE holds a line matching
# PATTERN (grep), and fail the test, showing FILE, when it never does: when
# process PID ends first, or after two minutes, a cap against a hang only,
# never a margin a busy machine could miss.
wait_for_line() {
    local i
    for ((i = 0; i < 6000; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        [ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || break
        sleep 0.02
    done
    grep -q -- "$2" "$1" 2>/dev/null || fail_with "no line like '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# ev_mock_start ARGS...: start ev-mock on a free port in the background, with
# fd 3 closed so bats does not wait for it. Sets PORT, MOCK (its root URL,
# http://127.0.0.1:PORT) and MOCK_ERR (its stderr), and adds it to MOCK_PIDS
# for the test file's teardown to end. Fails the test when it does not start.
ev_mock_start() {
    local out="$BATS_TEST_TMPDIR/mock$((MOCK_N++))" i
    ev-mock --port 0 "$@" >"$out.port" 2>"$out.err" 3>&- &
    MOCK_PIDS+=($!)
    MOCK_ERR="$out.err"
    for ((i = 0; i < 6000; i++)); do
        [ -s "$out.port" ] && break
        kill -0 "${MOCK_PIDS[-1]}" 2>/dev/null || break
        sleep 0.02
    done
    PORT=$(head -n 1 "$out.port")
    [[ "$PORT" =~ ^[0-9]+$ ]] || fail_with "ev-mock did not start: $(cat "$out.err")"
    MOCK="http://127.0.0.1:$PORT"
}

# ev_mock_stop_all: end every ev-mock this test started (for teardown). A
# server that does not exit 0 (a crash, a sanitizer report) fails the test,
# with the servers' standard error shown.
ev_mock_stop_all() {
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
