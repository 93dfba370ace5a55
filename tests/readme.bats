#!/usr/bin/env bats
# The README's sh blocks run as written: as one script, in order, from a
# directory laid out as the top of a clone (bin/ holds the tools, examples/
# the examples), with the tools found only the way the README says. The make
# targets are the suite's own entry points and are left out to avoid
# recursion.
load test_helper

setup() {
    cp -r "$EXAMPLES" "$BATS_TEST_TMPDIR/examples"
    ln -s "$EV_BIN" "$BATS_TEST_TMPDIR/bin"
    cd "$BATS_TEST_TMPDIR"
    # PATH as a new shell has it: without the tools.
    CLEAN_PATH=$(printf '%s\n' "$PATH" | tr ':' '\n' | grep -vxF "$EV_BIN" | paste -sd:)
}

# readme_commands: the lines of the README's sh blocks, but make's.
readme_commands() {
    awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on && !/^make / && NF' \
        "$BATS_TEST_DIRNAME/../README.md"
}

@test "every command in the README runs as written, with the tools on the PATH it sets" {
    [ "$(readme_commands | wc -l)" -ge 3 ]
    PATH=$CLEAN_PATH run ! command -v ev-split
    local guard='set -e -o pipefail; trap '"'"'echo "README command failed ($?): $BASH_COMMAND" >&2'"'"' ERR'
    PATH=$CLEAN_PATH run --separate-stderr bash -c "$guard"$'\n'"$(readme_commands)" </dev/null
    [ "$status" -eq 0 ] || fail_with "$stderr"
    # The first pipeline did its work: a split, scores, a verdict, gaps.
    [ -s eval.jsonl ]
    [ -s scored.jsonl ]
    [ "$(jq -r .cases gaps.json)" -gt 0 ]
    # Its split kept the pool's near duplicates together: nothing leaks.
    [ ! -s leaks.jsonl ]
}

@test "the README gives exactly the two set-up commands, make demo and make check" {
    run awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on && /^make /' \
        "$BATS_TEST_DIRNAME/../README.md"
    [ "$(printf '%s\n' "$output" | awk '{ print $1, $2 }' | tr '\n' ' ')" = "make demo make check " ]
}
