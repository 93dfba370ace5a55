#!/usr/bin/env bats
# Every command in the README's sh blocks runs as written (the make targets
# are the suite's own entry points and are left out to avoid recursion).
load test_helper

setup() {
    cp -r "$EXAMPLES" "$BATS_TEST_TMPDIR/examples"
    cd "$BATS_TEST_TMPDIR"
}

@test "every command in the README runs as written" {
    local n=0 cmd
    while IFS= read -r cmd; do
        n=$((n + 1))
        run --separate-stderr bash -c "set -o pipefail; $cmd" </dev/null
        [ "$status" -eq 0 ] || fail_with "README command '$cmd' exited $status: $stderr"
    done < <(awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on && !/^make / && NF' \
        "$BATS_TEST_DIRNAME/../README.md")
    [ "$n" -ge 3 ]
}

@test "the README gives exactly the two set-up commands, make demo and make check" {
    run awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on && /^make /' \
        "$BATS_TEST_DIRNAME/../README.md"
    [ "$(printf '%s\n' "$output" | awk '{ print $1, $2 }' | tr '\n' ' ')" = "make demo make check " ]
}
