#!/usr/bin/env bats
# Replays the fuzz corpus (tests/fuzz/corpus/*/*) through every fuzz target,
# built with the normal compiler and tests/fuzz/driver.c into $EV_BIN/replay
# ('make fuzz' runs the same targets under libFuzzer). Every target reads
# every corpus file, not only its own: a target must take any input.
load test_helper

FUZZ="$BATS_TEST_DIRNAME/fuzz"

# replay NAME: run target NAME over the whole corpus; it must read every
# file and find nothing wrong.
replay() {
    local files=("$FUZZ"/corpus/*/*) own=("$FUZZ/corpus/$1"/*)
    [ -e "${own[0]}" ] || fail_with "target '$1' has no seeds in tests/fuzz/corpus/$1"
    run --separate-stderr "$EV_BIN/replay/$1" "${files[@]}"
    [ -z "$stderr" ] || echo "$stderr" >&2
    [ "$status" -eq 0 ]
    [ "$output" = "replayed ${#files[@]} inputs" ]
    [ "${#files[@]}" -gt "${#own[@]}" ]
}

@test "every fuzz target has a replay test here and seeds of its own" {
    local src name
    for src in "$FUZZ"/*.c; do
        name=$(basename "$src" .c)
        [ "$name" = driver ] || [ "$name" = jq16 ] && continue
        grep -q "^    replay $name\$" "$BATS_TEST_FILENAME" || fail_with "no replay test for '$name'"
        [ -x "$EV_BIN/replay/$name" ] || fail_with "'$name' is not built in $EV_BIN/replay"
        compgen -G "$FUZZ/corpus/$name/*" >/dev/null || fail_with "no seeds for '$name'"
    done
}

@test "the JSONL reader and record fields take every corpus input" {
    replay jsonl
}

@test "the OpenAI and Anthropic answer and error parsers take every corpus input" {
    replay reply
}

@test "the retry-after and rate-limit reset header parsers take every corpus input" {
    replay headers
}

@test "number, choice and JSON extraction and the scorers take every corpus input" {
    replay scorers
}

@test "the template expander takes every corpus input" {
    replay template
}

@test "ev-mock's request and training-file readers take every corpus input" {
    replay mockwire
}

@test "ev-mock's Together and Fireworks request and training-file readers take every corpus input" {
    replay mockproviders
}

@test "a replay that cannot read a file says so and fails" {
    run --separate-stderr "$EV_BIN/replay/headers" "$BATS_TEST_TMPDIR/missing"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot read '$BATS_TEST_TMPDIR/missing'"* ]]
}

@test "ev-compare's report, in every format, takes every pair of runs in the corpus" {
    replay compare
}

@test "training examples, their checks and every format of ev-tune --convert take every corpus input" {
    replay training
}

@test "ev-tune's readers of the providers' jobs, events and job lists take every corpus input" {
    replay finetunejobs
}
