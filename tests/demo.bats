#!/usr/bin/env bats
# make demo's loop, end to end against ev-mock's simulation, whose answers are
# deterministic: the known answers below are what the cycle must find.
load test_helper

@test "the offline cycle splits, measures, tunes in doubling rounds and stops when the goal is met" {
    run --separate-stderr "$BATS_TEST_DIRNAME/../examples/demo.sh"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    demo="$BATS_TEST_DIRNAME/../bin/demo/run"
    # Every step is shown with its command.
    [[ "$output" == *"ev-split --dedupe --ratio 0.2 --seed 7"* ]]
    [[ "$output" == *"ev-gaps --quiet --from-pool run/remaining.jsonl"* ]]
    [[ "$output" == *"ev-tune --submit"* ]]
    # The small model is tuned and served through Together's flow, and each
    # round's endpoint is stopped once the round has evaluated it.
    [[ "$output" == *"ev-tune --submit --quiet --poll-ms 100 --provider together --deploy -m small"* ]]
    [ "$(grep -c -- '--undeploy ep_' <<<"$output")" -eq 5 ]
    [ "$(jq -s '[.[] | select(.deployment.state == "ready")] | length' "$demo"/job-*.json)" -eq 5 ]
    [ "$(cat "$demo"/job-*.json.stopped | jq -s '[.[] | select(.state == "stopped")] | length')" -eq 5 ]
    # The baseline is the simulated big model at about 60%.
    [ "$(ev-compare "$demo/base.jsonl" | jq '.runs[0].accuracy')" = 0.604278075 ]
    # Training sets double, and only the last round meets the goal.
    [ "$(cut -d= -f1 "$demo/curve-runs" | tr '\n' ' ')" = "50 100 200 400 800 " ]
    [ "$(wc -l <"$demo/train.jsonl")" -eq 800 ]
    [[ "$output" == *"verdict: matches (goal: match within 5.0 points)"* ]]
    [[ "$output" == *"The small model matches the big one after 800 training examples."* ]]
    # The curve projects how many examples reach the target.
    [[ "$output" == *"loglinear  n* = "*", 95% range ["* ]]
    # A review page of the last round against the baseline.
    [[ "$output" == *"ev-view --baseline run/base.jsonl run/small-5.jsonl > run/review.html"* ]]
    run ev-compare --goal match "$demo/base.jsonl" "$demo/small-4.jsonl"
    [ "$status" -eq 1 ]
    # No eval case was ever trained on.
    [ "$(jq -r '.messages[0].content' "$demo/train.jsonl" | sort >"$BATS_TEST_TMPDIR/t"; jq -r .input "$demo/eval.jsonl" | sort | comm -12 - "$BATS_TEST_TMPDIR/t" | wc -l)" -eq 0 ]
    [ -s "$demo/curve.svg" ]
    grep -q '"baseline":"run/base.jsonl"' "$demo/review.html"
}

@test "the loop runs on other models and a local trainer through variables, and stops at MAX_ITER" {
    loop="$BATS_TEST_DIRNAME/../examples/loop"
    cd "$BATS_TEST_TMPDIR"
    "$loop/make-pool" 60 >pool.jsonl
    # A trainer that learns nothing: it names the untuned model.
    printf '#!/bin/sh\necho "training on $1" >&2\necho small2\n' >train.sh
    chmod +x train.sh
    ev-mock --port 0 --cases pool.jsonl --model-accuracy big2=0.7 --model-accuracy small2=0.3 \
        --quiet >port 2>mock.log 3>&- &
    mock=$!
    for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
    run --separate-stderr make --no-print-directory -f "$loop/Makefile" OUT=o POOL=pool.jsonl \
        MODEL_BIG=big2 MODEL_SMALL=small2 BASE_URL="http://127.0.0.1:$(head -n 1 port)/v1" \
        TUNE="ev-tune --cmd ./train.sh" COST=cat FIRST=10 MAX_ITER=2 loop
    kill "$mock"
    [ "$status" -eq 0 ] || fail_with "$stderr"
    [[ "$output" == *"-m big2 o/eval.jsonl"* ]]
    [[ "$stderr" == *"training on "* ]]
    [ "$(cut -d= -f1 o/curve-runs | tr '\n' ' ')" = "10 20 " ]
    [[ "$output" == *"Not matched after 2 rounds"* ]]
    [ ! -e o/matched ]
}
