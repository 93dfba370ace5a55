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

@test "the man pages are clean under mandoc -Tlint" {
    for page in "$BATS_TEST_DIRNAME"/../man/*.[17]; do
        run mandoc -Tlint -W warning "$page"
        [ "$status" -eq 0 ] || fail_with "$page: $output"
    done
}
