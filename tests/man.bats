#!/usr/bin/env bats
# Every command in every man page's EXAMPLES runs as written, from a copy of
# the repository's examples/ (so the pages may name examples/FILE).
load test_helper

setup() {
    cp -r "$EXAMPLES" "$BATS_TEST_TMPDIR/examples"
    cd "$BATS_TEST_TMPDIR"
}

run_examples() {
    local page=$1 n=0 cmd
    while IFS= read -r cmd; do
        n=$((n + 1))
        run --separate-stderr bash -c "set -o pipefail; $cmd" </dev/null
        # 0 and 1 are answers (1 is a verdict of no); 2 and above is trouble.
        [ "$status" -le 1 ] || fail_with "$page example '$cmd' exited $status: $stderr"
    done < <("$BATS_TEST_DIRNAME/../scripts/man-examples" "$page")
    [ "$n" -gt 0 ] || fail_with "$page has no examples"
}

@test "every man page has EXAMPLES, and every example command runs" {
    for page in "$BATS_TEST_DIRNAME"/../man/*.[17]; do
        run_examples "$page"
    done
}

@test "the man pages are clean under mandoc -Tlint" {
    for page in "$BATS_TEST_DIRNAME"/../man/*.[17]; do
        run mandoc -Tlint -W warning "$page"
        [ "$status" -eq 0 ] || fail_with "$page: $output"
    done
}
