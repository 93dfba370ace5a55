#!/usr/bin/env bats
# SIGINT and SIGTERM (ev(7), lib/interrupt.h): a filter finishes the record it
# is writing, reads nothing more and exits 130, and what it wrote is valid
# JSONL; a tool whose output depends on the whole input writes none of it.
#
# The tools read a FIFO that the test holds open, so the test controls the
# timing by what it has written and by what it has seen come out, never by
# sleeping: a tool is signalled while it waits for more input.
load test_helper

setup() {
    IN="$BATS_TEST_TMPDIR/in"
    OUT="$BATS_TEST_TMPDIR/out"
    ERR="$BATS_TEST_TMPDIR/err"
    mkfifo "$IN"
}

teardown() {
    exec 4>&- 5<&-
    [ -z "${PID:-}" ] || kill -9 "$PID" 2>/dev/null || true
}

# start TOOL ARG...: run TOOL reading the FIFO, held open on fd 4, with its
# standard output to $OUT (unless $OUT is a FIFO too, opened on fd 5 by the
# caller) and standard error to $ERR. Sets PID.
start() {
    "$@" <"$IN" >"$OUT" 2>"$ERR" 3>&- 4>&- &
    PID=$!
    exec 4>"$IN"
}

# wait_for FILE N: wait until FILE has N lines. The limit only keeps a broken
# tool from hanging the suite; a working one is there at once.
wait_for() {
    local i
    for ((i = 0; i < 3000; i++)); do
        [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.01
    done
    fail_with "$1 never had $2 lines: $(head -c 300 "$1") / $(head -c 300 "$ERR")"
}

# signal SIGNAL: send SIGNAL to the tool. Under VALGRIND=1, $PID is the
# memcheck script, and the tool runs in its child.
signal() {
    local child=
    [ "${VALGRIND:-}" != 1 ] || child=$(pgrep -P "$PID" | head -n 1)
    kill -"$1" "${child:-$PID}" 2>/dev/null || true
}

# finish SIGNAL: send SIGNAL to the tool and set STATUS to how it exits.
finish() {
    signal "$1"
    await
}

# await: set STATUS to how the tool exits. One still running after the limit
# is killed (status 137): the limit only keeps a broken tool from hanging the
# suite.
await() {
    local i
    for ((i = 0; i < 3000; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.01
    done
    kill -9 "$PID" 2>/dev/null || true
    STATUS=0
    wait "$PID" || STATUS=$?
    PID=
}

# record TOOL ID: a record that TOOL writes back, with the field it adds.
record() {
    case $1 in
    ev-cost) printf '{"id":"%s","call":{"model":"m","input_tokens":10,"output_tokens":5}}\n' "$2" ;;
    ev-gaps) printf '{"id":"%s","output":"no","expected":"yes","score":{"pass":false,"value":0}}\n' "$2" ;;
    *) printf '{"id":"%s","output":"a","expected":"a"}\n' "$2" ;;
    esac
}

@test "SIGINT on a filter waiting for input: the records fed come out whole, and it exits 130" {
    local cmd tool field
    for cmd in "ev-score -q" "ev-cost -q --price-in 1 --price-out 2" "ev-split -q --dedupe" \
        "ev-gaps -q"; do
        tool=${cmd%% *}
        rm -f "$OUT"
        start $cmd
        record "$tool" r1 >&4
        record "$tool" r2 >&4
        wait_for "$OUT" 2
        record "$tool" r3 >&4
        wait_for "$OUT" 3
        finish INT
        exec 4>&-
        [ "$STATUS" -eq 130 ] || fail_with "$tool exited $STATUS, want 130: $(cat "$ERR")"
        assert_jsonl "$OUT" || fail_with "$tool wrote a line that is not JSON"
        [ "$(jq -r .id "$OUT" | paste -sd ' ')" = "r1 r2 r3" ] ||
            fail_with "$tool wrote $(jq -c .id "$OUT" | paste -sd ' '), want r1 r2 r3"
        case $tool in
        ev-score) field=score ;; ev-cost) field=cost ;; ev-gaps) field=gap ;; *) field=id ;;
        esac
        [ "$(jq -s --arg f "$field" 'all(has($f))' "$OUT")" = true ] ||
            fail_with "$tool wrote a record without '$field'"
    done
}

@test "SIGTERM ends a filter the same way" {
    start ev-score -q
    record ev-score t1 >&4
    wait_for "$OUT" 1
    finish TERM
    [ "$STATUS" -eq 130 ]
    [ "$(jq -r .id "$OUT")" = t1 ]
}

@test "the record being written when SIGINT comes is finished, however long" {
    rm -f "$OUT"
    mkfifo "$OUT"
    start ev-score -q
    exec 5<"$OUT"
    local big
    big=$(head -c 1000000 /dev/zero | tr '\0' x)
    printf '{"id":"big","output":"%s","expected":"%s"}\n' "$big" "$big" >&4
    # The record is 2 MB and the pipe holds 64 KB: once its head is here, the
    # rest is being written, or waits to be.
    read -r -N 100 -u 5 head
    cat <&5 >"$BATS_TEST_TMPDIR/rest" 4>&- &
    finish INT
    wait $!
    printf '%s' "$head" | cat - "$BATS_TEST_TMPDIR/rest" >"$BATS_TEST_TMPDIR/all"
    [ "$STATUS" -eq 130 ]
    assert_jsonl "$BATS_TEST_TMPDIR/all"
    [ "$(jq -r '[.id, (.output | length), .score.pass] | @tsv' "$BATS_TEST_TMPDIR/all")" = $'big\t1000000\ttrue' ]
}

@test "signals again end a filter stuck on a full pipe, with status 130" {
    rm -f "$OUT"
    mkfifo "$OUT"
    start ev-score -q
    exec 5<"$OUT"
    local big i
    big=$(head -c 1000000 /dev/zero | tr '\0' x)
    printf '{"id":"big","output":"%s","expected":"x"}\n' "$big" >&4
    read -r -N 100 -u 5 head
    # Nobody reads on: the first signal cannot end the write, a second one
    # ends the process. Signals that come together count once, so send
    # them until it ends.
    for ((i = 0; i < 3000; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        signal INT
        sleep 0.01
    done
    await
    [ "$STATUS" -eq 130 ]
}

@test "an interrupted tool that reports on its whole input prints no report, and exits 130" {
    local cmd tool
    for cmd in "ev-compare -f json -" "ev-curve -f json -t 0.9" "ev-cost --summary -f json --price-in 1 --price-out 2" \
        "ev-gaps --summary -f json" "ev-split -q --take 1" "ev-split -q --ratio 0.5 --stratify" \
        "ev-split -q --ratio 0.5" "ev-split -q --shard 1/2"; do
        tool=${cmd%% *}
        rm -f "$OUT"
        start $cmd
        # A bad line first: once it is reported, the tool is reading.
        printf 'not json\n' >&4
        case $tool in
        ev-curve) printf '{"n":10,"k":5,"N":10}\n{"n":20,"k":7,"N":10}\n' >&4 ;;
        ev-compare) printf '{"id":"c1","score":{"pass":true,"value":1}}\n' >&4 ;;
        *) record "$tool" p1 >&4 ;;
        esac
        wait_for "$ERR" 1
        finish INT
        exec 4>&-
        [ "$STATUS" -eq 130 ] || fail_with "$cmd exited $STATUS, want 130: $(cat "$ERR")"
        [ ! -s "$OUT" ] || fail_with "$cmd wrote $(head -c 300 "$OUT")"
        grep -q "^$tool: -:1: cannot parse record" "$ERR" || fail_with "$cmd: $(cat "$ERR")"
    done
}

@test "records waiting for a judge interrupted with them are left out, and counted" {
    # As from Control-C, ev-score and its judge's ev-call both get SIGINT,
    # once the judge has been asked: its command has left a mark.
    start ev-score --judge fact --judge-model m --judge-provider cmd --judge-opt=--no-cache \
        --judge-opt=-c --judge-opt="touch '$BATS_TEST_TMPDIR/asked'; sleep 60; echo A"
    printf '%s\n' '{"id":"j1","input":"q","output":"x","expected":"x"}' \
        '{"id":"j2","input":"q","output":"y","expected":"y"}' >&4
    local i tool judge
    for ((i = 0; i < 3000; i++)); do
        [ -e "$BATS_TEST_TMPDIR/asked" ] && break
        sleep 0.01
    done
    tool=$PID
    [ "${VALGRIND:-}" != 1 ] || tool=$(pgrep -P "$PID" | head -n 1)
    judge=$(pgrep -P "$tool" -f ev-call)
    [ -n "$judge" ]
    kill -INT "$judge"
    finish INT
    [ "$STATUS" -eq 130 ]
    [ ! -s "$OUT" ]
    grep -q "^ev-score: interrupted: 2 records waiting for the judge were left out$" "$ERR"
}
