#!/usr/bin/env bats
# The contract every ev tool keeps (STYLE.md, DESIGN.md): --help, a bad option,
# empty input, a malformed line, a full disk, and stdout that parses as JSONL.
load test_helper

# The arguments that make each filter read records from stdin and write records.
filter_args() {
    case "$1" in
    ev-split) echo "--ratio 0.5" ;;
    ev-tune) echo "--convert" ;;
    *) echo "" ;;
    esac
}

filters() {
    local t
    for t in ev-score ev-split ev-gaps ev-cost ev-tune; do
        [ -x "$EV_BIN/$t" ] && echo "$t"
    done
}

tools() {
    local t
    for t in "$EV_BIN"/ev-*; do
        [ -x "$t" ] && basename "$t"
    done
}

@test "every tool prints usage to stdout and exits 0 on --help" {
    for t in $(tools); do
        run --separate-stderr "$t" --help
        [ "$status" -eq 0 ] || fail_with "$t --help exited $status"
        [[ "$output" == *"usage: $t"* ]] || fail_with "$t --help has no usage line"
        [ -z "$stderr" ] || fail_with "$t --help wrote to stderr: $stderr"
    done
}

@test "every tool prints its version on --version" {
    for t in $(tools); do
        run --separate-stderr "$t" --version
        [ "$status" -eq 0 ] || fail_with "$t --version exited $status"
        [[ "$output" == "$t (ev) "[0-9]* ]] || fail_with "$t --version printed '$output'"
    done
}

@test "every tool rejects a bad option with exit 2, a message and a hint on stderr" {
    for t in $(tools); do
        run --separate-stderr "$t" --no-such-option
        [ "$status" -eq 2 ] || fail_with "$t exited $status on a bad option"
        [ -z "$output" ] || fail_with "$t wrote to stdout on a bad option"
        [[ "$stderr" == *"try '$t --help'"* ]] || fail_with "$t gave no hint: $stderr"
    done
}

@test "every filter writes nothing and exits 0 on empty input" {
    for t in $(filters); do
        run --separate-stderr "$t" $(filter_args "$t") </dev/null
        [ "$status" -eq 0 ] || fail_with "$t exited $status on empty input"
        [ -z "$output" ] || fail_with "$t wrote '$output' on empty input"
    done
}

@test "every filter reports a malformed line as file:line, keeps the good records and exits 2" {
    for t in $(filters); do
        run --separate-stderr "$t" $(filter_args "$t") "$FIXTURES/malformed.jsonl"
        [ "$status" -eq 2 ] || fail_with "$t exited $status"
        [[ "$stderr" == *"$t: $FIXTURES/malformed.jsonl:2: cannot parse record"* ]] ||
            fail_with "$t did not name file:line: $stderr"
        [[ "$stderr" == *"malformed.jsonl:4: record is an array, not an object"* ]] ||
            fail_with "$t did not report the array on line 4: $stderr"
    done
    run --separate-stderr ev-score "$FIXTURES/malformed.jsonl"
    [ "$(field .id | tr -d '"' | tr '\n' ' ')" = "a c d " ]
}

@test "every filter fails loudly with exit 2 when stdout is /dev/full" {
    for t in $(filters); do
        run --separate-stderr bash -c "'$t' $(filter_args "$t") '$FIXTURES/cases.jsonl' >/dev/full"
        [ "$status" -eq 2 ] || fail_with "$t exited $status writing to /dev/full"
        [[ "$stderr" == *"$t: cannot write standard output"* ]] || fail_with "$t: $stderr"
    done
}

@test "every filter writes stdout that parses as JSONL, one object per line" {
    for t in $(filters); do
        "$t" $(filter_args "$t") "$FIXTURES/cases.jsonl" >"$BATS_TEST_TMPDIR/out" 2>/dev/null ||
            [ $? -eq 1 ]
        [ -s "$BATS_TEST_TMPDIR/out" ] || fail_with "$t wrote nothing"
        assert_jsonl "$BATS_TEST_TMPDIR/out"
    done
}

@test "every filter reports an unreadable file by name, goes on and exits 2" {
    for t in $(filters); do
        run --separate-stderr "$t" $(filter_args "$t") "$BATS_TEST_TMPDIR/missing.jsonl" \
            "$FIXTURES/cases.jsonl"
        [ "$status" -eq 2 ] || fail_with "$t exited $status"
        [[ "$stderr" == *"cannot open '$BATS_TEST_TMPDIR/missing.jsonl'"* ]] || fail_with "$stderr"
        [ -n "$output" ] || fail_with "$t dropped the readable file"
    done
}

# Tools whose main output is one report rather than records.
reports() {
    local t
    for t in ev-compare; do
        [ -x "$EV_BIN/$t" ] && echo "$t"
    done
}

@test "every report tool reports a malformed line as file:line, still reports the good records and exits 2" {
    for t in $(reports); do
        run --separate-stderr "$t" "$FIXTURES/scored-malformed.jsonl"
        [ "$status" -eq 2 ] || fail_with "$t exited $status"
        [[ "$stderr" == *"$t: $FIXTURES/scored-malformed.jsonl:2: cannot parse record"* ]] ||
            fail_with "$t: $stderr"
        [[ "$stderr" == *"scored-malformed.jsonl:4: record is a string, not an object"* ]] ||
            fail_with "$t: $stderr"
        [ "$(printf '%s\n' "$output" | jq -c '.runs[0].cases')" = 3 ] || fail_with "$t: $output"
    done
}

@test "every report tool prints one JSON object when stdout is not a terminal, even for empty input" {
    for t in $(reports); do
        run --separate-stderr "$t" /dev/null
        [ "$status" -eq 0 ] || fail_with "$t exited $status on empty input"
        [ "$(printf '%s\n' "$output" | jq -s 'length == 1 and (.[0] | type) == "object"')" = true ] ||
            fail_with "$t printed: $output"
    done
}

@test "every report tool fails loudly with exit 2 when stdout is /dev/full" {
    for t in $(reports); do
        run --separate-stderr bash -c "'$t' '$FIXTURES/scored-malformed.jsonl' 2>&1 >/dev/full"
        [ "$status" -eq 2 ] || fail_with "$t exited $status"
        [[ "$output" == *"$t: cannot write standard output"* ]] || fail_with "$t: $output"
    done
}
