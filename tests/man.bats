#!/usr/bin/env bats
# Every man page's EXAMPLES run as written, from a copy of the repository's
# examples/ (so the pages may name examples/FILE): each display is handed
# whole to bash, as a reader who pastes it would, so a backslash-newline
# inside quotes stays in the command as it does for them.
load test_helper

setup() {
    cp -r "$EXAMPLES" "$BATS_TEST_TMPDIR/examples"
    cd "$BATS_TEST_TMPDIR"
}

# A command that exits 2 or more stops its display: 0 and 1 are answers (1
# is a verdict of no), 2 and above is trouble. A display that starts a
# server names it $pid, as a reader's would be, and a stopped display ends it.
GUARD='set -o pipefail; trap '"'"'st=$?; [ "$st" -le 1 ] || { kill ${pid:-} 2>/dev/null; exit "$st"; }'"'"' ERR'

run_examples() {
    local page=$1 n=0 display
    while IFS= read -r -d '' display; do
        n=$((n + 1))
        run --separate-stderr bash -c "$GUARD"$'\n'"$display" </dev/null
        [ "$status" -le 1 ] || fail_with "$page example exited $status: $display$stderr"
    done < <("$BATS_TEST_DIRNAME/../scripts/man-examples" "$page")
    [ "$n" -gt 0 ] || fail_with "$page has no examples"
}

@test "every man page has EXAMPLES, and every example display runs as a shell runs it" {
    for page in "$BATS_TEST_DIRNAME"/../man/*.[17]; do
        run_examples "$page"
    done
}

@test "a display runs as one script: a backslash-newline inside quotes stays in the command" {
    mkdir man
    cat >man/t.1 <<'EOF'
.Sh EXAMPLES
.Bd -literal
x=a; \e
printf '%s' "$x"'\e
b' > out
.Ed
EOF
    local n=0 display
    while IFS= read -r -d '' display; do
        n=$((n + 1))
        run --separate-stderr bash -c "$GUARD"$'\n'"$display"
        [ "$status" -eq 0 ]
    done < <("$BATS_TEST_DIRNAME/../scripts/man-examples" man/t.1)
    [ "$n" -eq 1 ]
    [ "$(cat out)" = "a\\"$'\n'"b" ]
}

# rendered PAGE: the page as man shows it, lines unwrapped.
rendered() {
    mandoc -Tutf8 -O width=400 "$1" | col -b
}

@test "JSON in every man page renders as written: ev(7)'s messages, and every other" {
    local page bad=""
    for page in "$BATS_TEST_DIRNAME"/../man/*.[17]; do
        run --separate-stderr awk -f "$BATS_TEST_DIRNAME/man-json.awk" <(rendered "$page")
        [ "$status" -eq 0 ] || bad="$bad${page##*/}: $output"$'\n'
    done
    [ -z "$bad" ] || fail_with "$bad"
    run rendered "$BATS_TEST_DIRNAME/../man/ev.7"
    [[ "$output" == *'{"role": "system|user|assistant|tool", "content": string}'* ]]
}

@test "the JSON check catches what mdoc's quoting garbles" {
    local line
    for line in 'messages {"role: "system|user, "content: string"""}.' \
        'such as {"n": 50, k: 92, N: 200} (50 examples)' '{"messages: [system?, user]"}' \
        '{"model": "m" "input": 1}' '{"a": "unclosed}'; do
        run awk -f "$BATS_TEST_DIRNAME/man-json.awk" <<<"$line"
        [ "$status" -eq 1 ] || fail_with "passed: $line"
    done
    run awk -f "$BATS_TEST_DIRNAME/man-json.awk" <<<'{"id", "object": "list", "data": [{"n": 1}], "x": string, "y"?}'
    [ "$status" -eq 0 ]
    run awk -f "$BATS_TEST_DIRNAME/man-json.awk" <<<'{"a"?: 1, "b": {"c" | "d", "e"?}}'
    [ "$status" -eq 0 ]
}

@test "the man pages are clean under mandoc -Tlint" {
    for page in "$BATS_TEST_DIRNAME"/../man/*.[17]; do
        run mandoc -Tlint -W warning "$page"
        [ "$status" -eq 0 ] || fail_with "$page: $output"
    done
}
