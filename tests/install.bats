#!/usr/bin/env bats
# make install puts the tools, their pages and the price table in place, and an
# installed tree finds its own price table wherever it is staged.
load test_helper

@test "make install DESTDIR=... installs every tool, every page and the price table" {
    run make -s -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$BATS_TEST_TMPDIR/stage"
    [ "$status" -eq 0 ] || fail_with "$output"
    root="$BATS_TEST_TMPDIR/stage/usr/local"
    for c in "$BATS_TEST_DIRNAME"/../cmd/ev-*.c; do
        t=$(basename "$c" .c)
        [ -x "$root/bin/$t" ] || fail_with "$t was not installed"
        [ -f "$root/share/man/man1/$t.1" ] || fail_with "$t.1 was not installed"
    done
    [ -f "$root/share/man/man7/ev.7" ]
    cmp "$root/share/ev/prices.jsonl" "$BATS_TEST_DIRNAME/../data/prices.jsonl"
}

@test "an installed ev-cost uses the price table installed beside it" {
    run make -s -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$BATS_TEST_TMPDIR/stage2"
    [ "$status" -eq 0 ] || fail_with "$output"
    root="$BATS_TEST_TMPDIR/stage2/usr/local"
    # Make the staged table tell itself apart: gpt-4o-mini at $1 per million.
    jq -c 'if .model == "gpt-4o-mini" then .input = 1 | .output = 1 else . end' \
        "$root/share/ev/prices.jsonl" >"$BATS_TEST_TMPDIR/p" && mv "$BATS_TEST_TMPDIR/p" "$root/share/ev/prices.jsonl"
    printf '{"id":"a","call":{"model":"gpt-4o-mini","input_tokens":1000000,"output_tokens":0}}\n' |
        EV_PRICES= ev_exec "$root/bin/ev-cost" -q >"$BATS_TEST_TMPDIR/out"
    [ "$(jq -c .cost.total "$BATS_TEST_TMPDIR/out")" = 1 ]
}
