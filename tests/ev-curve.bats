#!/usr/bin/env bats
# ev-curve: fits, projections, ranges and warnings, against STATS.md section 8.
load test_helper

setup() {
    printf '%s\n' '{"n":25,"k":78,"N":200}' '{"n":50,"k":92,"N":200}' \
        '{"n":100,"accuracy":0.52,"N":200}' '{"n":200,"k":112,"N":200}' >"$BATS_TEST_TMPDIR/pts.jsonl"
    PTS="$BATS_TEST_TMPDIR/pts.jsonl"
}

# run_file NAME PASSES TOTAL [OFFSET]: a scored run of TOTAL cases c0..; case i
# passes when (i + OFFSET) mod TOTAL < PASSES, so runs overlap realistically.
run_file() {
    local i p
    for ((i = 0; i < $3; i++)); do
        p=$([ $(((i + ${4:-0}) % $3)) -lt "$2" ] && echo true || echo false)
        printf '{"id":"c%d","score":{"pass":%s}}\n' "$i" "$p"
    done >"$BATS_TEST_TMPDIR/$1"
}

near() {
    awk -v g="$1" -v w="$2" -v t="${3:-1e-6}" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }' ||
        fail_with "got $1, want $2"
}

@test "the worked fit of STATS.md 8.5 reproduces for all three models" {
    run --separate-stderr ev-curve --target 0.60 "$PTS"
    [ "$status" -eq 1 ]
    near "$(field '.fits[0].params.a')" 0.1318 5e-5
    near "$(field '.fits[0].gain_per_doubling')" 0.0571 5e-5
    near "$(field '.fits[0].n_star')" 295 0.5
    near "$(field '.fits[1].params.a')" -1.4864 5e-5
    near "$(field '.fits[1].params.b')" 0.3323 5e-5
    near "$(field '.fits[1].n_star')" 297 0.5
    near "$(field '.fits[2].params.a')" 0.7067 5e-4
    near "$(field '.fits[2].n_star')" 461 1
    [ "$(field '.fits[0].examples_needed')" = 296 ]
}

@test "the projection carries a bootstrap range with its seed, and the power law's unreachable share" {
    run --separate-stderr ev-curve --target 0.60 "$PTS"
    [ "$(field '.bootstrap | [.method, .resamples, .seed]')" = '["parametric, from each fit",1000,1]' ]
    lo=$(field '.fits[1].range.lo')
    hi=$(field '.fits[1].range.hi')
    awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(l > 120 && l < 210 && h > 1300 && h < 3200) }'
    # Resampled from its own fit, the power law puts its ceiling at or below
    # the target in about a third of the resamples (STATS.md's 20% was drawn
    # from the logit fit): more than 2.5%, so its upper end is never.
    un=$(field '.fits[2].range.unreachable')
    awk -v u="$un" 'BEGIN { exit !(u > 0.2 && u < 0.45) }'
    [ "$(field '.fits[2].range.hi')" = null ]
}

@test "past 2.5% of resamples that never reach the target, the upper end is never, and the share is shown" {
    # A flat curve: about half the resamples fall, and half of those stay
    # below the target. The upper end used to be the 97.5% of the resamples
    # that reach it, 2.8e10 examples.
    printf '%s\n' '{"n":25,"k":100,"N":200}' '{"n":50,"k":101,"N":200}' '{"n":100,"k":99,"N":200}' \
        '{"n":200,"k":101,"N":200}' >"$BATS_TEST_TMPDIR/flat.jsonl"
    run --separate-stderr ev-curve -f json --target 0.52 "$BATS_TEST_TMPDIR/flat.jsonl"
    [ "$status" -eq 1 ]
    [ "$(field '[.fits[].range.hi]')" = '[null,null,null]' ]
    [ "$(field '.fits[2].range.median')" = null ]
    near "$(field '.fits[0].range.unreachable')" 0.26 0.1
    run --separate-stderr ev-curve -f table --target 0.52 "$BATS_TEST_TMPDIR/flat.jsonl"
    [[ "$output" == *"loglinear  n* = "*", 95% range [25, never], unreachable in 2"*"% of resamples"* ]]
    # The worked example's loglinear fit never misses: a number, and 0.0%.
    run --separate-stderr ev-curve -f table --target 0.60 "$PTS"
    [[ "$output" == *"loglinear  n* = 296, 95% range ["*"], unreachable in 0.0% of resamples"* ]]
}

@test "each fit's range comes from its own resamples, so it holds that fit's own n*" {
    # From the logit fit's resamples the power law's range was [324, 1135]
    # while its own n* was 2081.
    printf '%s\n' '{"n":25,"k":17,"N":200}' '{"n":50,"k":39,"N":200}' '{"n":100,"k":71,"N":200}' \
        '{"n":200,"k":82,"N":200}' '{"n":400,"k":76,"N":200}' >"$BATS_TEST_TMPDIR/pts5.jsonl"
    run --separate-stderr ev-curve -f json --target 0.45 "$BATS_TEST_TMPDIR/pts5.jsonl"
    near "$(field '.fits[2].n_star')" 2081.27 0.01
    [ "$(field '[.fits[] | .range.lo < .n_star and (.range.hi == null or .n_star < .range.hi)]')" = '[true,true,true]' ]
}

@test "the same seed gives the same range; another seed another" {
    run --separate-stderr ev-curve --target 0.6 --seed 5 --bootstrap 500 "$PTS"
    first=$(field '.fits[0].range')
    run --separate-stderr ev-curve --target 0.6 --seed 5 --bootstrap 500 "$PTS"
    [ "$(field '.fits[0].range')" = "$first" ]
    run --separate-stderr ev-curve --target 0.6 --seed 6 --bootstrap 500 "$PTS"
    [ "$(field '.fits[0].range')" != "$first" ]
}

@test "a target reached already exits 0" {
    run --separate-stderr ev-curve --target 0.55 "$PTS"
    [ "$status" -eq 0 ]
    [ "$(field .reached)" = true ]
}

@test "a falling curve that meets its target says so, and no fit claims fewer examples than were tried" {
    # Every size meets 54%, and accuracy falls as examples grow. Before, the
    # loglinear and logit fits said never and the power law 0 examples.
    printf '%s\n' '{"n":10,"k":60,"N":100}' '{"n":20,"k":58,"N":100}' '{"n":40,"k":57,"N":100}' \
        '{"n":80,"k":55,"N":100}' >"$BATS_TEST_TMPDIR/falling.jsonl"
    run --separate-stderr ev-curve -f json --target 0.54 "$BATS_TEST_TMPDIR/falling.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field '[.reached, .trend]')" = '[true,"falling"]' ]
    [ "$(field '[.fits[].trend]')" = '["falling","falling","flat"]' ]
    [ "$(field '[.fits[].examples_needed]')" = '[10,10,10]' ]
    [ "$(field '[.fits[].range.lo] | min')" = 10 ]
    [ "$(field '.warnings | map(select(test("never reaches"))) | length')" = 0 ]
    run --separate-stderr ev-curve -f table --target 0.54 "$BATS_TEST_TMPDIR/falling.jsonl"
    [[ "$output" == *"target 54.0%: reached at the sizes tried, and the trend points down (-1.6 points per doubling)"* ]]
    [[ "$output" == *"loglinear  n* = 10 (the smallest size tried; the fit falls)"* ]]
    [[ "$output" == *"power      n* = 10 (the smallest size tried; the fit is flat)"* ]]
    # Above every size, the same curve is never projected to reach 65%.
    run --separate-stderr ev-curve -f json --target 0.65 "$BATS_TEST_TMPDIR/falling.jsonl"
    [ "$status" -eq 1 ]
    [ "$(field '[.fits[].n_star]')" = '[null,null,null]' ]
}

@test "far extrapolation is flagged speculative past 4x and unreliable past 10x" {
    # log-linear: n* = 2^((t - 0.1318) / 0.0571); 0.70 gives about 994 (5.0x
    # the largest n, 200), 0.80 about 3300 (16x).
    run --separate-stderr ev-curve --target 0.70 "$PTS"
    [[ "$(field '.warnings | join(" ")')" == *"5.0x the largest size tried: speculative"* ]]
    run --separate-stderr ev-curve --target 0.80 "$PTS"
    [[ "$(field '.warnings | join(" ")')" == *"x the largest size tried: unreliable"* ]]
    [[ "$(field '.warnings | join(" ")')" == *"power law's ceiling"*"below the target"* ]]
}

@test "two points get OpenAI's half-data calculation and a warning" {
    printf '%s\n' '{"n":50,"k":84,"N":200}' '{"n":100,"k":100,"N":200}' >"$BATS_TEST_TMPDIR/two.jsonl"
    run --separate-stderr ev-curve --target 0.60 "$BATS_TEST_TMPDIR/two.jsonl"
    near "$(field '.half_data.gain_per_doubling')" 0.08
    near "$(field '.half_data.doublings')" 1.25
    near "$(field '.half_data.n_star')" 237.841423 1e-5
    [[ "$(field '.half_data.standard_errors')" == *unpaired* ]]
    [[ "$(field '.warnings[0]')" == *"only two training sizes"* ]]
}

@test "runs given as N=RUN are paired: the half-data SEs match STATS.md 8.2" {
    # 200 cases. n=50 vs n=100: discordant 24 vs 8; the 100 run vs the
    # baseline: 10 vs 30, so G = 0.08 (SE 0.0277) and D = 0.10 (SE 0.0308).
    for ((i = 0; i < 200; i++)); do
        if [ $i -lt 84 ]; then a=1; elif [ $i -lt 92 ]; then a=1; else a=0; fi
        # run50 passes 0-83 (84) and fails the 24 that run100 gains back (92-115)
        a=$([ $i -lt 84 ] && echo true || echo false)
        b=$({ [ $i -lt 76 ] || { [ $i -ge 92 ] && [ $i -lt 116 ]; }; } && echo true || echo false)
        printf '{"id":"c%d","score":{"pass":%s}}\n' $i "$a" >>"$BATS_TEST_TMPDIR/r50.jsonl"
        printf '{"id":"c%d","score":{"pass":%s}}\n' $i "$b" >>"$BATS_TEST_TMPDIR/r100.jsonl"
    done
    # run100 passes 0-75 and 92-115: 100. The baseline passes 100 of run100's
    # passes except 10 (0-9) and 30 of its failures (116-145): 120.
    for ((i = 0; i < 200; i++)); do
        p=$({ { [ $i -ge 10 ] && [ $i -lt 76 ]; } || { [ $i -ge 92 ] && [ $i -lt 146 ]; }; } && echo true || echo false)
        printf '{"id":"c%d","score":{"pass":%s}}\n' $i "$p" >>"$BATS_TEST_TMPDIR/base.jsonl"
    done
    run --separate-stderr ev-curve --target-run "$BATS_TEST_TMPDIR/base.jsonl" \
        50="$BATS_TEST_TMPDIR/r50.jsonl" 100="$BATS_TEST_TMPDIR/r100.jsonl"
    [ "$status" -eq 1 ]
    [ "$(field '.points | map(.k)')" = '[84,100]' ]
    [ "$(field '.target | [.accuracy, .N]')" = '[0.6,200]' ]
    near "$(field '.half_data.gain_se')" 0.027713 1e-6
    near "$(field '.half_data.gap_se')" 0.030822 1e-6
    near "$(field '.half_data.n_star')" 237.841423 1e-5
    [ "$(field '.half_data.standard_errors')" = '"paired on the shared cases"' ]
    lo=$(field '.half_data.range.lo')
    hi=$(field '.half_data.range.hi')
    awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(l > 125 && l < 145 && h > 1450 && h < 2000) }'
}

@test "a run's score.value outside [0, 1] is reported as file:line and its case not counted" {
    printf '%s\n' '{"id":"a","score":{"pass":true,"value":1}}' '{"id":"b","score":{"pass":false,"value":0}}' \
        >"$BATS_TEST_TMPDIR/r10.jsonl"
    printf '%s\n' '{"id":"a","score":{"pass":true,"value":1}}' '{"id":"b","score":{"pass":true,"value":-3}}' \
        >"$BATS_TEST_TMPDIR/r20.jsonl"
    run --separate-stderr ev-curve -f json --target 0.9 10="$BATS_TEST_TMPDIR/r10.jsonl" 20="$BATS_TEST_TMPDIR/r20.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"r20.jsonl:2: 'score.value' is -3, not a number from 0 to 1"* ]]
    [ "$(field '.points | map([.n, .k, .N])')" = '[[10,1,1],[20,1,1]]' ]
}

@test "every number ev-curve reads is range-checked, with the range in the message" {
    printf '%s\n' '{"n":10,"k":5,"N":1e10}' '{"n":1e13,"k":5,"N":10}' '{"n":20,"k":5,"N":10}' \
        '{"n":40,"k":6,"N":10}' >"$BATS_TEST_TMPDIR/pts.jsonl"
    # A CPU budget ends the run should a point out of range be fitted.
    run --separate-stderr bash -c "ulimit -t 60; exec ev-curve -f json --target 0.9 '$BATS_TEST_TMPDIR/pts.jsonl'"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"pts.jsonl:1: 'N', the number of eval cases, must be a whole number from 1 to 1e9"* ]]
    [[ "$stderr" == *"pts.jsonl:2: 'n', the number of training examples, must be a number from 1 to 1e12"* ]]
    [ "$(field '.points | map(.n)')" = '[20,40]' ]
    run --separate-stderr ev-curve --target 0.9 1e18="$BATS_TEST_TMPDIR/pts.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'1e18=$BATS_TEST_TMPDIR/pts.jsonl': N, the number of training examples, must be a number from 1 to 1e12"* ]]
    run --separate-stderr ev-curve --target 0.9 --seed -1 "$BATS_TEST_TMPDIR/pts.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--seed takes a whole number from 0 to 9223372036854775807, not '-1'"* ]]
    run --separate-stderr ev-curve --target 0.9 --bootstrap 99 "$BATS_TEST_TMPDIR/pts.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--bootstrap takes a whole number from 100 to 1000000, not '99'"* ]]
}

@test "the largest N a point may have is fitted in a bounded time" {
    # Each parametric resample draws every point's N cases: that must not
    # take time in proportion to N. A CPU budget (not a wall clock) ends a
    # run that does.
    printf '%s\n' '{"n":10,"k":5e8,"N":1e9}' '{"n":20,"accuracy":0.6,"N":1e9}' \
        '{"n":40,"accuracy":0.7,"N":1e9}' >"$BATS_TEST_TMPDIR/big.jsonl"
    run --separate-stderr bash -c "ulimit -t 60; exec ev-curve -f json --target 0.9 '$BATS_TEST_TMPDIR/big.jsonl'"
    [ "$status" -eq 1 ]
    [ "$(field '.points | map(.N)')" = '[1000000000,1000000000,1000000000]' ]
    # Each fit's resamples come from that fit, so its range holds its n*.
    [ "$(field '.fits[1] | .range.lo < .n_star and .n_star < .range.hi')" = true ]
}

@test "with runs, the bootstrap resamples cases jointly across runs" {
    run_file r25.jsonl 78 200 0
    run_file r50.jsonl 92 200 3
    run_file r100.jsonl 104 200 7
    run_file r200.jsonl 112 200 11
    run --separate-stderr ev-curve --target 0.6 25="$BATS_TEST_TMPDIR/r25.jsonl" \
        50="$BATS_TEST_TMPDIR/r50.jsonl" 100="$BATS_TEST_TMPDIR/r100.jsonl" 200="$BATS_TEST_TMPDIR/r200.jsonl"
    [ "$(field '.bootstrap.method')" = '"cases, resampled jointly across runs"' ]
    near "$(field '.fits[0].n_star')" 295 0.5
    [ "$(field '.fits[0].range.lo < .fits[0].n_star and .fits[0].n_star < .fits[0].range.hi')" = true ]
}

@test "--model picks the headline fit, and --plot writes a labelled SVG chart" {
    run --separate-stderr ev-curve --target 0.6 --model logit --plot "$BATS_TEST_TMPDIR/c.svg" "$PTS"
    [ "$(field .primary)" = '"logit"' ]
    [ "$(field .plot)" = "\"$BATS_TEST_TMPDIR/c.svg\"" ]
    svg=$(cat "$BATS_TEST_TMPDIR/c.svg")
    [[ "$svg" == "<svg xmlns="* ]]
    [[ "$svg" == *"Accuracy against training examples (logit fit)"* ]]
    [[ "$svg" == *"target 60.0%"* ]]
    [[ "$svg" == *"n* = 297 (95% range"* ]]
    [ "$(grep -o '<circle' "$BATS_TEST_TMPDIR/c.svg" | wc -l)" -eq 4 ]
    # Ticked at the sizes measured, not at powers of two.
    [ "$(grep -o 'class="xtick"[^>]*>[^<]*' "$BATS_TEST_TMPDIR/c.svg" | sed 's/.*>//' | tr '\n' ' ')" = "25 50 100 200 " ]
    [[ "$svg" == *"</svg>" ]]
}

@test "--format table prints points, fits and the bootstrap seed" {
    run --separate-stderr ev-curve -f table --target 0.6 "$PTS"
    [[ "$output" == *"25             78    200     39.0%  [32.5, 45.9]"* ]]
    [[ "$output" == *"loglinear  n* = 296, 95% range ["*"+5.7 points per doubling"* ]]
    [[ "$output" == *"target 60.0%: not reached yet"* ]]
    [[ "$output" == *"bootstrap: 1000 resamples, seed 1"* ]]
}

@test "bad points are reported as file:line and the others still fit" {
    printf '%s\n' '{"n":25,"k":78,"N":200}' '{"n":0,"k":1,"N":200}' '{"n":50,"N":200}' \
        '{"n":100,"k":300,"N":200}' '{"n":200,"k":112,"N":200}' >"$BATS_TEST_TMPDIR/bad.jsonl"
    run --separate-stderr ev-curve --target 0.6 "$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"bad.jsonl:2: 'n', the number of training examples, must be a number from 1 to 1e12"* ]]
    [[ "$stderr" == *"bad.jsonl:3: a point needs 'k' (cases right) or 'accuracy'"* ]]
    [[ "$stderr" == *"bad.jsonl:4: 'k' must be from 0 to N"* ]]
    [ "$(field '.points | length')" = 2 ]
}

@test "usage errors: no target, two targets, mixed operands, a bad model" {
    run --separate-stderr ev-curve "$PTS"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--target X or --target-run RUN"* ]]
    run --separate-stderr ev-curve -t 0.5 -T "$PTS" "$PTS"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-curve -t 0.5 "$PTS" 50="$PTS"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-curve -t 0.5 -m cubic "$PTS"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-curve -t 1.5 "$PTS"
    [ "$status" -eq 2 ]
}

@test "empty input has no points to fit: exit 2 with a message" {
    run --separate-stderr ev-curve --target 0.6 </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-curve: no points to fit"* ]]
    [ -z "$output" ]
}

@test "empty, unscored and error-only runs give no projection: ev-curve says so and exits 2" {
    run_file good10.jsonl 5 10
    run_file good20.jsonl 7 10
    : >"$BATS_TEST_TMPDIR/empty.jsonl"
    printf '%s\n' '{"id":"c0"}' '{"id":"c1"}' >"$BATS_TEST_TMPDIR/unscored.jsonl"
    printf '%s\n' '{"id":"c0","error":{"kind":"http","status":500,"message":"no","attempts":3}}' \
        '{"id":"c1","error":{"kind":"timeout","message":"no","attempts":3}}' >"$BATS_TEST_TMPDIR/failed.jsonl"
    for kind in empty unscored failed; do
        r="$BATS_TEST_TMPDIR/$kind.jsonl"
        run --separate-stderr ev-curve -f json --target 0.6 10="$r" 20="$r"
        [ "$status" -eq 2 ] || fail_with "$kind: status $status"
        [ -z "$output" ]
        [[ "$stderr" == *"'$r' has no scored case"* ]]
        [[ "$stderr" == *"ev-curve: no points to fit"* ]]
        run --separate-stderr ev-curve -f table --target-run "$r" 10="$BATS_TEST_TMPDIR/good10.jsonl" \
            20="$BATS_TEST_TMPDIR/good20.jsonl"
        [ "$status" -eq 2 ] || fail_with "$kind target: status $status"
        [ -z "$output" ]
        [[ "$stderr" == *"the target run '$r' has no scored case"*": nothing to project"* ]]
        run --separate-stderr ev-curve -f json --target-run "$r" "$PTS"
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"the target run '$r' has no scored case"*": nothing to project"* ]]
    done
    [[ "$stderr" == *"no scored case, only failed calls"* ]]
    # One run without evidence among good ones is left out, and said.
    run --separate-stderr ev-curve -f json --target 0.9 10="$BATS_TEST_TMPDIR/good10.jsonl" \
        15="$BATS_TEST_TMPDIR/failed.jsonl" 20="$BATS_TEST_TMPDIR/good20.jsonl"
    [ "$status" -eq 2 ]
    [ "$(field '.points | map(.n)')" = '[10,20]' ]
    # Runs that share no case id.
    printf '%s\n' '{"id":"x","score":{"pass":true}}' >"$BATS_TEST_TMPDIR/other.jsonl"
    run --separate-stderr ev-curve -f json --target 0.6 10="$BATS_TEST_TMPDIR/good10.jsonl" \
        20="$BATS_TEST_TMPDIR/other.jsonl"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"no case id is in every run: nothing to project"* ]]
}

@test "a full disk is an error" {
    run --separate-stderr bash -c "ev-curve --target 0.6 '$PTS' >/dev/full"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot write standard output"* ]]
}

@test "an unwritable chart is reported with exit 2, and the report is still printed" {
    run --separate-stderr ev-curve --target 0.6 --plot "$BATS_TEST_TMPDIR/no/such/dir/c.svg" "$PTS"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot write '$BATS_TEST_TMPDIR/no/such/dir/c.svg'"* ]]
    [ "$(field '.fits | length')" = 3 ]
}
