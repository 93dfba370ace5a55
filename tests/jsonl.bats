#!/usr/bin/env bats
# How every tool reads and writes JSONL (lib/jsonl), seen through ev-score.
load test_helper

@test "a UTF-8 byte order mark, CRLF endings and blank lines are accepted" {
    printf '\xef\xbb\xbf{"id":"a","output":"x","expected":"x"}\r\n\r\n   \n{"id":"b","output":"y","expected":"x"}\r\n' \
        >"$BATS_TEST_TMPDIR/in.jsonl"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/in.jsonl"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "$(field '[.id, .score.pass]' | tr '\n' ' ')" = '["a",true] ["b",false] ' ]
    [[ "$output" != *$'\r'* ]]
}

@test "a line of several megabytes is read whole" {
    big=$(head -c 3000000 /dev/zero | tr '\0' 'x')
    printf '{"id":"big","output":"%s","expected":"%s"}\n' "$big" "$big" >"$BATS_TEST_TMPDIR/big.jsonl"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/big.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field '.score.pass')" = true ]
    [ "$(field '.output | length')" = 3000000 ]
}

@test "a bad line is quoted cut short, never whole" {
    long=$(head -c 5000 /dev/zero | tr '\0' 'y')
    printf '{"id":"a", "output": %s\n' "$long" >"$BATS_TEST_TMPDIR/bad.jsonl"
    run --separate-stderr ev-score "$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"bad.jsonl:1: cannot parse record:"*"...'"* ]]
    [ "${#stderr}" -lt 300 ]
}

@test "records pass through byte for byte, with the new field appended" {
    line='{"z":1, "a":{"big":12345678901234567890123}, "output":"x","expected":"x"}'
    run --separate-stderr ev-score -q <<<"$line"
    [ "$status" -eq 0 ]
    prefix='{"z":1, "a":{"big":12345678901234567890123}, "output":"x","expected":"x","score":{'
    [ "${output:0:${#prefix}}" = "$prefix" ]
    [ "$(field '.score.pass')" = true ]
}

@test "a line with an ASCII record separator is reported, not read up to it" {
    printf '{"id":"a","output":"x","expected":"x"}\x1e{"id":"b"}\n' >"$BATS_TEST_TMPDIR/rs.jsonl"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/rs.jsonl"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"rs.jsonl:1: line contains a record separator (0x1E)"* ]]
}

@test "an empty record indented by blanks gets its new field without a stray comma" {
    run --separate-stderr ev-score -q -s 'jq:true' <<<$' \t{ }'
    [ "$status" -eq 0 ]
    [ "${output:0:4}" = $' \t{ ' ]
    [ "$(field '.score.pass')" = true ]
}

@test "an existing field a tool owns is replaced in place, not duplicated" {
    run --separate-stderr ev-score -q <<<'{"score":{"pass":false},"output":"x","expected":"x","id":"k"}'
    [ "$status" -eq 0 ]
    [ "$(field 'keys_unsorted')" = '["score","output","expected","id"]' ]
    [ "$(field '.score.pass')" = true ]
}

@test "several operands are read in order, and '-' is standard input" {
    printf '{"id":"f1","output":"a","expected":"a"}\n' >"$BATS_TEST_TMPDIR/one.jsonl"
    printf '{"id":"f3","output":"a","expected":"a"}\n' >"$BATS_TEST_TMPDIR/three.jsonl"
    run --separate-stderr bash -c "printf '{\"id\":\"f2\",\"output\":\"a\",\"expected\":\"a\"}\n' |
        ev-score -q '$BATS_TEST_TMPDIR/one.jsonl' - '$BATS_TEST_TMPDIR/three.jsonl'"
    [ "$status" -eq 0 ]
    [ "$(field .id | tr -d '"' | tr '\n' ' ')" = "f1 f2 f3 " ]
}

@test "a directory operand is reported and skipped" {
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR" "$FIXTURES/cases.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot read '$BATS_TEST_TMPDIR': Is a directory"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 6 ]
}

@test "output streams: each record comes out while the input is still open" {
    mkfifo "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
    ev-score -q <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 3>&- &
    exec 4>"$BATS_TEST_TMPDIR/in" 5<"$BATS_TEST_TMPDIR/out"
    printf '{"id":"s1","output":"a","expected":"a"}\n' >&4
    read -r -t 10 first <&5
    [[ "$first" == *'"id":"s1"'* ]]
    printf '{"id":"s2","output":"a","expected":"b"}\n' >&4
    read -r -t 10 second <&5
    [[ "$second" == *'"id":"s2"'*'"pass":false'* ]]
    exec 4>&-
    wait
    exec 5<&-
}
