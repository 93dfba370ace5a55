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

@test "number literals that jq 1.6 reads but JSON has not are reported as file:line" {
    local lit
    for lit in NaN -NaN nan Infinity -Infinity infinity 01 -01 00 .5 +1 1. 1.e5 1e 1e+ - 0x10; do
        printf '%s\n' '{"id":"a","output":"x","expected":"x"}' \
            "{\"id\":\"b\",\"output\":\"x\",\"expected\":\"x\",\"n\":[1,$lit]}" \
            '{"id":"c","output":"x","expected":"x"}' >"$BATS_TEST_TMPDIR/num.jsonl"
        run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/num.jsonl"
        [ "$status" -eq 2 ] || fail_with "'$lit': exit $status"
        [[ "$stderr" == "ev-score: $BATS_TEST_TMPDIR/num.jsonl:2: cannot parse record: "* ]] ||
            fail_with "'$lit': $stderr"
        [ "$(field .id | paste -sd ' ')" = '"a" "c"' ] || fail_with "'$lit': wrote $output"
    done
}

@test "JSON numbers, and anything like a number inside a string, pass through untouched" {
    line='{"id":"a","n":[-0,0,1e400,1E+2,0.5e-3,-12.5E-7,{"x":[10]}],"s":"NaN 01 .5 \"+1\\","t":"\\\\","u":".5","output":"x","expected":"x"}'
    run --separate-stderr ev-score -q <<<"$line"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "${output:0:$((${#line} - 1))}" = "${line:0:$((${#line} - 1))}" ]
    [ "$(field '.score.pass')" = true ]
}

# not_under_sanitizers: skip a test that limits the address space. ASan maps
# terabytes of shadow memory and valgrind runs the tool in its own, so under
# either a limit fails at once, whatever the tool does.
not_under_sanitizers() {
    [ "${VALGRIND:-}" != 1 ] || skip "valgrind cannot run under ulimit -v"
    ! ldd "$EV_BUILD_BIN/ev-score" 2>/dev/null | grep -q libasan ||
        skip "ASan cannot run under ulimit -v"
}

# huge_run SIZE: a record 'g1', one whose output holds SIZE bytes, and 'g2'.
huge_run() {
    printf '{"id":"g1","output":"x","expected":"x"}\n{"id":"big","output":"'
    head -c "$1" /dev/zero | tr '\0' x
    printf '","expected":"x"}\n{"id":"g2","output":"y","expected":"y"}\n'
}

@test "out of memory names the tool and the line, and what came before is written" {
    not_under_sanitizers
    # In 120 MB the 60 MB line is read, but jq cannot parse it: after a failed
    # jq allocation nothing can go on safely.
    run --separate-stderr bash -c "{ $(declare -f huge_run); huge_run 60000000; } |
        { ulimit -v 122880; exec ev-score -q; }"
    [ "$status" -eq 2 ]
    [ "$stderr" = "ev-score: -:2: out of memory" ]
    [ "$(field .id)" = '"g1"' ]
}

@test "a line too large to hold in memory is skipped as file:line, and the run goes on" {
    not_under_sanitizers
    run --separate-stderr bash -c "{ $(declare -f huge_run); huge_run 150000000; } |
        { ulimit -v 122880; exec ev-score -q; }"
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-score: -:2: line is too long to hold in memory: skipped: '{\"id\":\"big\",\"output\":\"xxx"* ]]
    [ "$(field .id | paste -sd ' ')" = '"g1" "g2"' ]
}

@test "a CSV file is said once not to be JSONL, at its first line, and its other lines are counted" {
    {
        echo 'id,input,expected'
        for i in $(seq 1 2000); do echo "q$i,What is $i?,$i"; done
    } >"$BATS_TEST_TMPDIR/cases.csv"
    for cmd in ev-score "ev-split --dedupe" ev-gaps; do
        tool=${cmd%% *}
        run --separate-stderr $cmd "$BATS_TEST_TMPDIR/cases.csv"
        [ "$status" -eq 2 ] || fail_with "$tool exited $status"
        [ -z "$output" ] || fail_with "$tool wrote $output"
        # (ev-gaps then says what it found in no cases)
        [ "$(printf '%s\n' "$stderr" | head -n 2)" = "$tool: $BATS_TEST_TMPDIR/cases.csv:1: not JSONL: ev reads one JSON object per line, and this looks like CSV: 'id,input,expected'
$tool: $BATS_TEST_TMPDIR/cases.csv: and 2,000 more lines not read: the file is not JSONL" ] ||
            fail_with "$tool: $stderr"
        [ "$(printf '%s\n' "$stderr" | grep -c 'cases.csv')" -eq 2 ] || fail_with "$tool: $stderr"
    done
}

@test "a JSON array, pretty-printed JSON and TSV are named, with how to turn JSON into JSONL" {
    printf '[\n  {"id": "a", "output": "x"},\n  {"id": "b", "output": "x"}\n]\n' >"$BATS_TEST_TMPDIR/a.json"
    printf '{\n  "id": "a"\n}\n' >"$BATS_TEST_TMPDIR/p.json"
    printf 'id\tinput\nq1\thi\n' >"$BATS_TEST_TMPDIR/t.tsv"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/p.json" \
        "$BATS_TEST_TMPDIR/t.tsv" "$FIXTURES/cases.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"a.json:1: not JSONL: ev reads one JSON object per line, and this is a JSON array (jq -c '.[]' turns it into JSONL): '['"* ]]
    [[ "$stderr" == *"a.json: and 3 more lines not read: the file is not JSONL"* ]]
    [[ "$stderr" == *"p.json:1: not JSONL: ev reads one JSON object per line, and this looks like pretty-printed JSON (jq -c . turns it into JSONL): '{'"* ]]
    [[ "$stderr" == *"t.tsv:1: not JSONL: ev reads one JSON object per line, and this looks like TSV"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 6 ]
    # the JSONL operand after them is read whole, and no element of the array is
    [ "$(field .id | tr '\n' ' ')" = '"q1" "q2" "q3" "q4" "q5" "q6" ' ]
}

@test "a first line that may be a broken record is reported as ever, and the lines after it are read" {
    printf '{"id":"a", "output": \n{"id":"b","expected":"x","output":"x"}\nhello, world\n' \
        >"$BATS_TEST_TMPDIR/broken.jsonl"
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/broken.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"broken.jsonl:1: cannot parse record: "* ]]
    [[ "$stderr" == *"broken.jsonl:3: cannot parse record: "* ]]
    [[ "$stderr" != *"not JSONL"* ]]
    [ "$(field .id)" = '"b"' ]
}

@test "a message repeated for many lines is shown five times, then counted once with its thousands" {
    for i in $(seq 1 2000); do echo "{\"id\":[$i]}"; done >"$BATS_TEST_TMPDIR/ids.jsonl"
    for cmd in ev-score "ev-split --dedupe"; do
        tool=${cmd%% *}
        run --separate-stderr $cmd "$BATS_TEST_TMPDIR/ids.jsonl"
        [ "$status" -eq 2 ] || fail_with "$tool exited $status"
        [ "$(printf '%s\n' "$stderr" | grep -c "'id' is neither a string nor a number")" -eq 5 ] ||
            fail_with "$tool: $stderr"
        [ "$(printf '%s\n' "$stderr" | tail -n 1)" = "$tool: and 1,995 more lines like $BATS_TEST_TMPDIR/ids.jsonl:5" ] ||
            fail_with "$tool: $stderr"
    done
}
