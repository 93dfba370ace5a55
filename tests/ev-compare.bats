#!/usr/bin/env bats
# ev-compare: per-run figures, paired comparisons and the verdict, checked
# against the worked examples of STATS.md.
load test_helper

# runs A B C D: write base.jsonl and cand.jsonl holding a paired 2x2 table:
# A both pass, B only the candidate, C only the baseline, D both fail.
runs() {
    local a=$1 b=$2 c=$3 d=$4 i=0 cell n bp cp
    : >"$BATS_TEST_TMPDIR/base.jsonl"
    : >"$BATS_TEST_TMPDIR/cand.jsonl"
    for cell in "$a 1 1" "$b 0 1" "$c 1 0" "$d 0 0"; do
        read -r n bp cp <<<"$cell"
        for ((k = 0; k < n; k++)); do
            tag=$([ $((i % 2)) -eq 0 ] && echo geo || echo math)
            printf '{"id":"c%d","tags":["%s"],"cluster":"k%d","score":{"pass":%s,"value":%d},"call":{"latency_ms":%d,"input_tokens":100,"output_tokens":10},"cost":{"total":0.001}}\n' \
                "$i" "$tag" $((i % 10)) "$([ "$bp" = 1 ] && echo true || echo false)" "$bp" $((400 + i % 7)) \
                >>"$BATS_TEST_TMPDIR/base.jsonl"
            printf '{"id":"c%d","tags":["%s"],"cluster":"k%d","score":{"pass":%s,"value":%d},"call":{"latency_ms":%d,"input_tokens":100,"output_tokens":10},"cost":{"total":0.0001}}\n' \
                "$i" "$tag" $((i % 10)) "$([ "$cp" = 1 ] && echo true || echo false)" "$cp" $((200 + i % 5)) \
                >>"$BATS_TEST_TMPDIR/cand.jsonl"
            i=$((i + 1))
        done
    done
    base="$BATS_TEST_TMPDIR/base.jsonl"
    cand="$BATS_TEST_TMPDIR/cand.jsonl"
}

# near GOT WANT: |GOT - WANT| <= 1e-6
near() {
    awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 1e-6) }' ||
        fail_with "got $1, want $2"
}

@test "one run reports cases, passes and the Wilson interval of its accuracy" {
    runs 45 5 15 35
    run --separate-stderr ev-compare "$base"
    [ "$status" -eq 0 ]
    [ "$(field '.runs[0] | [.cases, .passes, .accuracy]')" = '[100,60,0.6]' ]
    near "$(field '.runs[0].accuracy_ci[0]')" 0.502003
    near "$(field '.runs[0].accuracy_ci[1]')" 0.690599
    [ "$(field '.runs[0].ci_method')" = '"wilson"' ]
    [ "$(field '.comparisons')" = '[]' ]
}

@test "--exact gives Clopper-Pearson intervals" {
    runs 45 5 15 35
    run --separate-stderr ev-compare --exact "$base"
    near "$(field '.runs[0].accuracy_ci[0]')" 0.497209
    near "$(field '.runs[0].accuracy_ci[1]')" 0.696705
}

@test "a paired comparison reproduces the worked example of STATS.md 4.5" {
    runs 45 5 15 35
    run --separate-stderr ev-compare "$base" "$cand"
    [ "$status" -eq 0 ]
    c='.comparisons[0]'
    [ "$(field "$c.table")" = '{"both_pass":45,"only_candidate":5,"only_baseline":15,"both_fail":35}' ]
    near "$(field "$c.delta")" -0.1
    near "$(field "$c.delta_ci[0]")" -0.192397
    near "$(field "$c.delta_ci[1]")" -0.013447
    near "$(field "$c.mcnemar_p")" 0.041389
    near "$(field "$c.mcnemar_midp")" 0.026604
    near "$(field "$c.correlation")" 0.612372
    [ "$(field "$c.regressed_count")" = 15 ]
    [ "$(field "$c.fixed | join(\",\")")" = '"c45,c46,c47,c48,c49"' ]
}

@test "the candidate that is better shows the interval of STATS.md 4.5's second vector" {
    runs 40 12 4 44
    run --separate-stderr ev-compare "$base" "$cand"
    near "$(field '.comparisons[0].delta_ci[0]')" 0.001783
    near "$(field '.comparisons[0].delta_ci[1]')" 0.165588
    near "$(field '.comparisons[0].mcnemar_p')" 0.076813
}

@test "--goal surpass is met when the whole interval is above zero (exit 0)" {
    runs 40 12 4 44
    run --separate-stderr ev-compare --goal surpass "$base" "$cand"
    [ "$status" -eq 0 ]
    [ "$(field '.comparisons[0].verdict.result')" = '"surpasses"' ]
    [ "$(field '.met')" = true ]
}

@test "58% against 60% on 100 cases is inconclusive, not a match, and says how many cases would decide" {
    runs 50 8 10 32
    run --separate-stderr ev-compare --goal match --margin 0.05 "$base" "$cand"
    [ "$status" -eq 1 ]
    [ "$(field '.comparisons[0].verdict.result')" = '"inconclusive"' ]
    [ "$(field '.comparisons[0].verdict.met')" = false ]
    near "$(field '.comparisons[0].delta_ci[0]')" -0.108749
    near "$(field '.comparisons[0].delta_ci[1]')" 0.067443
    # psi = 18/100; n = (1.959964 + 0.841621)^2 * 0.18 / 0.05^2 = 565.12, rounded up
    [ "$(field '.comparisons[0].verdict.cases_needed')" = 566 ]
}

@test "a candidate worse beyond the margin fails the match goal and says so" {
    runs 30 2 30 38
    run --separate-stderr ev-compare --goal match "$base" "$cand"
    [ "$status" -eq 1 ]
    [ "$(field '.comparisons[0].verdict | [.result, .beyond_margin]')" = '["worse",true]' ]
}

@test "a close candidate on many cases matches within the margin (exit 0)" {
    runs 590 40 45 325
    run --separate-stderr ev-compare --goal match --margin 0.05 "$base" "$cand"
    [ "$status" -eq 0 ]
    [ "$(field '.comparisons[0].verdict.result')" = '"matches"' ]
}

@test "--min-accuracy is met only when the interval lies at or above it" {
    runs 45 5 15 35
    run --separate-stderr ev-compare --min-accuracy 0.5 "$base"
    [ "$status" -eq 0 ]
    [ "$(field '.runs[0].goal.result')" = '"meets"' ]
    run --separate-stderr ev-compare --min-accuracy 0.6 "$base"
    [ "$status" -eq 1 ]
    [ "$(field '.runs[0].goal.result')" = '"inconclusive"' ]
    run --separate-stderr ev-compare --min-accuracy 0.8 "$base" "$cand"
    [ "$status" -eq 1 ]
    [ "$(field '.comparisons[0].min_accuracy_goal.result')" = '"below"' ]
}

@test "cases present in only one run are counted and left out of the paired figures" {
    runs 45 5 15 35
    printf '{"id":"extra1","score":{"pass":true,"value":1}}\n' >>"$cand"
    sed -i '1d' "$base"
    run --separate-stderr ev-compare "$base" "$cand"
    [ "$(field '.comparisons[0] | [.paired_cases, .only_in_baseline, .only_in_candidate]')" = '[99,0,2]' ]
    [ "$(field '.comparisons[0].table.both_pass')" = 44 ]
}

@test "--by tag adds per-group figures to runs and comparisons" {
    runs 45 5 15 35
    run --separate-stderr ev-compare --by tag "$base" "$cand"
    [ "$(field '.runs[0].groups | keys')" = '["geo","math"]' ]
    [ "$(field '.runs[0].groups.geo.cases + .runs[0].groups.math.cases')" = 100 ]
    [ "$(field '.comparisons[0].groups.geo.paired_cases')" = 50 ]
}

@test "--by a field path groups by that field's value" {
    runs 10 0 0 10
    run --separate-stderr ev-compare --by cluster "$base"
    [ "$(field '.runs[0].groups | length')" = 10 ]
}

@test "--cluster switches to clustered standard errors and reports the clusters" {
    runs 45 5 15 35
    run --separate-stderr ev-compare --cluster cluster "$base" "$cand"
    [ "$(field '.runs[0].clusters')" = 10 ]
    [ "$(field '.runs[0].ci_method')" = '"t, clustered (CR1)"' ]
    [ "$(field '.comparisons[0].ci_method')" = '"t, clustered (CR1)"' ]
    [ "$(field '.comparisons[0].clusters')" = 10 ]
}

@test "the clustered standard error matches the STATS.md 5.2 vector" {
    for s in 1:a 1:a 1:a 0:a 0:b 0:b 0:b 1:c 0:c 1:c 1:c 1:c; do
        p=${s%%:*}
        printf '{"id":"i%d","g":"%s","score":{"pass":%s,"value":%s}}\n' "$((n++))" "${s#*:}" \
            "$([ "$p" = 1 ] && echo true || echo false)" "$p"
    done >"$BATS_TEST_TMPDIR/clustered.jsonl"
    run --separate-stderr ev-compare --cluster g "$BATS_TEST_TMPDIR/clustered.jsonl"
    near "$(field '.runs[0].accuracy')" 0.583333333
    near "$(field '.runs[0].accuracy_se')" 0.220807
}

@test "samples of a case are averaged first, and pass@k and pass^k are reported" {
    for i in 1 2 3 4; do
        for s in 0 1 2; do
            pass=$([ "$i" -le 2 ] || [ "$s" -eq 0 ] && echo true || echo false)
            printf '{"id":"r%d","call":{"sample":%d},"score":{"pass":%s}}\n' "$i" "$s" "$pass"
        done
    done >"$BATS_TEST_TMPDIR/rep.jsonl"
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/rep.jsonl"
    [ "$(field '.runs[0] | [.cases, .samples, .samples_per_case]')" = '[4,12,3]' ]
    near "$(field '.runs[0].accuracy')" 0.666666667
    [ "$(field '.runs[0] | [.pass_at_k, .pass_all_k]')" = '[1,0.5]' ]
    [ "$(field '.runs[0].ci_method')" = '"t, samples averaged per case"' ]
}

@test "failed calls are counted apart from wrong answers" {
    printf '%s\n' '{"id":"a","score":{"pass":true}}' '{"id":"b","score":{"pass":false}}' \
        '{"id":"c","error":{"kind":"http","status":500},"score":{"pass":false,"reason":"call failed"}}' \
        >"$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$(field '.runs[0] | [.failed_calls, .wrong_answers, .passes]')" = '[1,1,1]' ]
}

@test "latency percentiles are type-7 quantiles" {
    for ms in 120 135 150 160 180 200 220 250 400 900; do
        printf '{"id":"l%d","score":{"pass":true},"call":{"latency_ms":%d}}\n' "$ms" "$ms"
    done >"$BATS_TEST_TMPDIR/lat.jsonl"
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/lat.jsonl"
    [ "$(field '.runs[0].latency_ms | [.p50, .p90, .p95]')" = '[190,450,675]' ]
}

@test "latency and cost ratios compare the candidate with the baseline" {
    runs 45 5 15 35
    run --separate-stderr ev-compare "$base" "$cand"
    [ "$(field '.comparisons[0].cost_ratio.ratio')" = 0.1 ]
    r=$(field '.comparisons[0].latency_ratio.geometric_mean')
    awk -v r="$r" 'BEGIN { exit !(r > 0.49 && r < 0.51) }'
    [ "$(field '.runs[0].cost | [.total, .per_case]')" = '[0.1,0.001]' ]
    [ "$(field '.runs[0].tokens')" = '{"input":10000,"output":1000}' ]
}

@test "graded scores get a paired bootstrap interval with the seed reported, reproducibly" {
    for i in $(seq 1 40); do
        printf '{"id":"g%d","score":{"pass":true,"value":0.%02d}}\n' "$i" $((i * 37 % 100)) >>"$BATS_TEST_TMPDIR/gb.jsonl"
        printf '{"id":"g%d","score":{"pass":true,"value":0.%02d}}\n' "$i" $((i * 53 % 100)) >>"$BATS_TEST_TMPDIR/gc.jsonl"
    done
    run --separate-stderr ev-compare --seed 7 --bootstrap 2000 "$BATS_TEST_TMPDIR/gb.jsonl" "$BATS_TEST_TMPDIR/gc.jsonl"
    [ "$(field '.comparisons[0].graded | [.seed, .resamples, .method]')" = '[7,2000,"paired bootstrap, percentile"]' ]
    first=$(field '.comparisons[0].graded.ci')
    run --separate-stderr ev-compare --seed 7 --bootstrap 2000 "$BATS_TEST_TMPDIR/gb.jsonl" "$BATS_TEST_TMPDIR/gc.jsonl"
    [ "$(field '.comparisons[0].graded.ci')" = "$first" ]
    run --separate-stderr ev-compare --seed 8 --bootstrap 2000 "$BATS_TEST_TMPDIR/gb.jsonl" "$BATS_TEST_TMPDIR/gc.jsonl"
    [ "$(field '.comparisons[0].graded.ci')" != "$first" ]
}

@test "every candidate is compared with the first run" {
    runs 45 5 15 35
    cp "$cand" "$BATS_TEST_TMPDIR/cand2.jsonl"
    run --separate-stderr ev-compare "$base" "$cand" "$BATS_TEST_TMPDIR/cand2.jsonl"
    [ "$(field '.comparisons | length')" = 2 ]
    [ "$(field '[.comparisons[].baseline] | unique | length')" = 1 ]
}

@test "--format table, markdown and tsv print readable reports" {
    runs 50 8 10 32
    run --separate-stderr ev-compare -f table --goal match "$base" "$cand"
    [ "$status" -eq 1 ]
    [[ "$output" == *"both pass 50, only candidate 8, only baseline 10, both fail 32"* ]]
    [[ "$output" == *"verdict: inconclusive (goal: match within 5.0 points); about 566 paired cases would decide it"* ]]
    run --separate-stderr ev-compare --format markdown "$base" "$cand"
    [[ "$output" == *"| run | cases | passes | accuracy |"* ]]
    [[ "$output" == *"### "*"cand.jsonl vs "*"base.jsonl: 100 paired cases"* ]]
    run --separate-stderr ev-compare --format tsv "$base" "$cand"
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "run" { n++ } END { print n }')" = 2 ]
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "compare" { print $4 }')" = 100 ]
}

@test "a record without a score is reported with file:line, and the run still gets a report with exit 2" {
    runs 5 0 0 5
    printf '{"id":"noscore","output":"x"}\n' >>"$base"
    run --separate-stderr ev-compare "$base"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"base.jsonl:11: record has no 'score': run it through ev-score first"* ]]
    [ "$(field '.runs[0].cases')" = 10 ]
}

@test "a score.value that is NaN, above 1 or negative is reported with file:line and not counted (exit 2)" {
    printf '%s\n' '{"id":"a","score":{"pass":true,"value":0.5}}' \
        '{"id":"b","score":{"pass":true,"value":1.5}}' \
        '{"id":"c","score":{"pass":false,"value":-0.25}}' \
        '{"id":"d","score":{"pass":false,"value":NaN}}' \
        '{"id":"e","score":{"pass":false,"value":0}}' >"$BATS_TEST_TMPDIR/bad.jsonl"
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"bad.jsonl:2: 'score.value' is 1.5, not a number from 0 to 1"* ]]
    [[ "$stderr" == *"bad.jsonl:3: 'score.value' is -0.25, not a number from 0 to 1"* ]]
    [[ "$stderr" == *"bad.jsonl:4: "* ]]
    [ "$(field '.runs[0] | [.cases, .passes]')" = '[2,1]' ]
    [ "$(field '.runs[0].mean_score')" = 0.25 ]
}

@test "a duplicate case is reported and the first record kept" {
    printf '%s\n' '{"id":"a","score":{"pass":true}}' '{"id":"a","score":{"pass":false}}' >"$BATS_TEST_TMPDIR/dup.jsonl"
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/dup.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"dup.jsonl:2: duplicate record for id 'a'"* ]]
    [ "$(field '.runs[0].passes')" = 1 ]
}

@test "usage errors: no run, a goal with one run, a bad margin, a bad format" {
    run --separate-stderr ev-compare
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"name at least one scored run"* ]]
    runs 5 0 0 5
    run --separate-stderr ev-compare --goal match "$base"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-compare --goal match --margin 2 "$base" "$cand"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-compare --margin 0.1 "$base" "$cand"
    [[ "$stderr" == *"--margin goes with --goal match"* ]]
    run --separate-stderr ev-compare --format yaml "$base"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/nope.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot open"*"nope.jsonl"* ]]
}

@test "a full disk is an error" {
    runs 5 0 0 5
    run --separate-stderr bash -c "ev-compare '$base' >/dev/full"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot write standard output"* ]]
}

# no_common: base.jsonl and cand.jsonl with no case id in common.
no_common() {
    printf '{"id":"a%d","score":{"pass":true}}\n' 1 2 3 >"$BATS_TEST_TMPDIR/base.jsonl"
    printf '{"id":"b%d","score":{"pass":true}}\n' 1 2 3 >"$BATS_TEST_TMPDIR/cand.jsonl"
    base="$BATS_TEST_TMPDIR/base.jsonl"
    cand="$BATS_TEST_TMPDIR/cand.jsonl"
}

@test "two runs with no case id in common give no verdict: met is false and the exit status 2" {
    no_common
    run --separate-stderr ev-compare "$base" "$cand"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'$cand' and '$base' have no scored case id in common: nothing to compare, no verdict"* ]]
    [ "$(field '.comparisons[0] | [.paired_cases, .met]')" = '[0,false]' ]
    [ "$(field '.met')" = false ]
    [ "$(field '.no_evidence')" = true ]
    run --separate-stderr ev-compare --goal match "$base" "$cand"
    [ "$status" -eq 2 ]
    [ "$(field '.comparisons[0].verdict | [.result, .met]')" = '["no evidence",false]' ]
    [ "$(field '.met')" = false ]
}

@test "no verdict on no evidence reads plainly in table, markdown and tsv, without a crash" {
    no_common
    run --separate-stderr ev-compare -f table --goal surpass "$base" "$cand"
    [ "$status" -eq 2 ]
    [[ "$output" == *"0 paired cases"* ]]
    [[ "$output" == *"there is nothing to compare and no verdict"* ]]
    [[ "$output" == *"verdict: no evidence (goal: surpass)"* ]]
    run --separate-stderr ev-compare -f markdown --goal match "$base" "$cand"
    [ "$status" -eq 2 ]
    [[ "$output" == *"- verdict: no evidence (goal: match within 5.0 points)"* ]]
    run --separate-stderr ev-compare -f tsv --goal match "$base" "$cand"
    [ "$status" -eq 2 ]
    [[ "$output" != *nan* ]]
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "compare" { print $4 "," $20 "," $21 }')" = "0,no evidence,false" ]
}

@test "an empty or an unscored candidate gives no verdict either (exit 2, met false)" {
    no_common
    : >"$BATS_TEST_TMPDIR/empty.jsonl"
    run --separate-stderr ev-compare --goal match "$base" "$BATS_TEST_TMPDIR/empty.jsonl"
    [ "$status" -eq 2 ]
    [ "$(field '.comparisons[0].verdict.result')" = '"no evidence"' ]
    [ "$(field '.met')" = false ]
    sed 's/"score":{"pass":true}/"output":"x"/' "$base" >"$BATS_TEST_TMPDIR/unscored.jsonl"
    for f in json table markdown tsv; do
        run --separate-stderr ev-compare -f "$f" --goal surpass "$base" "$BATS_TEST_TMPDIR/unscored.jsonl"
        [ "$status" -eq 2 ]
    done
    run --separate-stderr ev-compare --goal surpass "$base" "$BATS_TEST_TMPDIR/unscored.jsonl"
    [ "$(field '.comparisons[0].met')" = false ]
    [ "$(field '.met')" = false ]
}

@test "--min-accuracy on a run with no scored case has no verdict (exit 2)" {
    : >"$BATS_TEST_TMPDIR/empty.jsonl"
    run --separate-stderr ev-compare --min-accuracy 0.5 "$BATS_TEST_TMPDIR/empty.jsonl"
    [ "$status" -eq 2 ]
    [ "$(field '.runs[0].goal | [.result, .met]')" = '["no evidence",false]' ]
    [ "$(field '.runs[0].accuracy_ci')" = '[null,null]' ]
    [[ "$stderr" == *"no scored case to judge --min-accuracy by: no verdict"* ]]
}

# repeats FILE CASES SAMPLES PASSING ID: CASES cases of SAMPLES samples each,
# the first PASSING of them passing.
repeats() {
    local i s
    for ((i = 0; i < $2; i++)); do
        for ((s = 0; s < $3; s++)); do
            printf '{"id":"%s%d","call":{"sample":%d},"score":{"pass":%s}}\n' "$5" "$i" "$s" \
                "$([ "$s" -lt "$4" ] && echo true || echo false)"
        done
    done >"$1"
}

# Reference values: tests/reference/compare_floor.py.
@test "40 cases of 3 samples, all passing, get the interval of 40 single samples, Wilson [0.912, 1]" {
    repeats "$BATS_TEST_TMPDIR/rep.jsonl" 40 3 3 r
    repeats "$BATS_TEST_TMPDIR/one.jsonl" 40 1 1 r
    run --separate-stderr ev-compare --min-accuracy 0.99 "$BATS_TEST_TMPDIR/rep.jsonl"
    [ "$status" -eq 1 ]
    near "$(field '.runs[0].accuracy_ci[0]')" 0.912378399
    near "$(field '.runs[0].accuracy_ci[1]')" 1
    [ "$(field '.runs[0].goal.result')" = '"inconclusive"' ]
    rep_ci=$(field '.runs[0].accuracy_ci')
    run --separate-stderr ev-compare --min-accuracy 0.99 "$BATS_TEST_TMPDIR/one.jsonl"
    [ "$status" -eq 1 ]
    [ "$(field '.runs[0].accuracy_ci')" = "$rep_ci" ]
}

@test "30 cases at 3/4 against 2/4 get Tango's interval of the expected one-sample table, not [0.25, 0.25]" {
    repeats "$BATS_TEST_TMPDIR/b.jsonl" 30 4 2 p
    repeats "$BATS_TEST_TMPDIR/c.jsonl" 30 4 3 p
    run --separate-stderr ev-compare --goal surpass "$BATS_TEST_TMPDIR/b.jsonl" "$BATS_TEST_TMPDIR/c.jsonl"
    [ "$status" -eq 1 ]
    near "$(field '.comparisons[0].delta')" 0.25
    # expected b = 30 * 3/4 * 1/2 = 11.25, c = 30 * 2/4 * 1/4 = 3.75
    near "$(field '.comparisons[0].delta_ci[0]')" -0.003234090
    near "$(field '.comparisons[0].delta_ci[1]')" 0.471853757
    [ "$(field '.comparisons[0].verdict.result')" = '"inconclusive"' ]
    # Connor's MDE at psi = (11.25 + 3.75) / 30 = 0.5, n = 30
    awk -v m="$(field '.comparisons[0].mde')" 'BEGIN { exit !(m > 0.3 && m < 0.4) }'
}

@test "clustered intervals have the same floor: all passing in 4 clusters is not [1, 1]" {
    for i in $(seq 0 39); do
        printf '{"id":"k%d","g":"c%d","score":{"pass":true}}\n' "$i" $((i % 4))
    done >"$BATS_TEST_TMPDIR/cl.jsonl"
    run --separate-stderr ev-compare --cluster g "$BATS_TEST_TMPDIR/cl.jsonl"
    near "$(field '.runs[0].accuracy_ci[0]')" 0.912378399
    near "$(field '.runs[0].floor_ci[0]')" 0.912378399
}

@test "a tie, 1 of 2 samples, is not a pass in the 2x2 table" {
    repeats "$BATS_TEST_TMPDIR/b.jsonl" 20 2 1 t
    repeats "$BATS_TEST_TMPDIR/c.jsonl" 20 2 2 t
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/b.jsonl" "$BATS_TEST_TMPDIR/c.jsonl"
    [ "$(field '.comparisons[0].table')" = '{"both_pass":0,"only_candidate":20,"only_baseline":0,"both_fail":0,"rule":"a case passes when more than half of its samples pass; a tie does not"}' ]
    near "$(field '.comparisons[0].delta_ci[0]')" 0.258312263
    near "$(field '.comparisons[0].delta_ci[1]')" 0.700701992
}

@test "-f markdown puts the regressed and fixed ids and each group in list items of their own" {
    runs 45 5 15 35
    run --separate-stderr ev-compare -f markdown --by tag "$base" "$cand"
    [[ "$output" == *$'\n- cost x0.100, saving 0.000900 per case\n- regressed (15): `c50` `c51`'* ]]
    [[ "$output" == *$'\n- fixed (5): `c45` `c46` `c47` `c48` `c49`\n- per group:\n    - geo: n 50, difference -12.0'* ]]
    # no line is a lazy continuation of the bullet above it
    [ "$(printf '%s\n' "$output" | grep -c '^  [^ -]')" = 0 ]
}

@test "-f tsv is one table: one header, and every row, run or compare, has its columns" {
    runs 45 5 15 35
    run --separate-stderr ev-compare -f tsv --by tag --goal match "$base" "$cand"
    [ "$status" -eq 1 ]
    [ "$(printf '%s\n' "$output" | head -n 1)" = "$(printf 'kind\trun\tgroup\tcases\tpasses\taccuracy\tci_lo\tci_hi\tfailed_calls\tp50_ms\tp95_ms\tcost_per_case\tbaseline\tbaseline_accuracy\tdelta\tdelta_ci_lo\tdelta_ci_hi\tp\tmde\tverdict\tmet')" ]
    [ "$(printf '%s\n' "$output" | awk -F'\t' '{ print NF }' | sort -u)" = 21 ]
    [ "$(printf '%s\n' "$output" | grep -c '^kind')" = 1 ]
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "run" { n++ } END { print n }')" = 6 ]
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "compare" && $3 == "" { print $4, $15, $20, $21 }')" = "100 -0.1 worse false" ]
    [ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "compare" && $3 == "geo" { print $4 }')" = 50 ]
    [ -z "$(printf '%s\n' "$output" | grep -E '(^|\t)(nan|-nan|inf)(\t|$)')" ]
}

@test "--margin takes a number above 0: 0 is refused" {
    runs 5 0 0 5
    run --separate-stderr ev-compare --goal match --margin 0 "$base" "$cand"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--margin takes a number above 0 and up to 1, not '0'"* ]]
}

# 100 cases in 10 clusters of 10; the candidate fails the 20 cases of the
# first two. CR1 (STATS.md 5.2): d = -1 on 20 cases, mean -0.2, cluster sums
# of e = d + 0.2: -8, -8, then 2 eight times; SE = sqrt(10/9 * 160) / 100 =
# 0.133333; MDE = (1.959964 + 0.841621) * SE = 0.373545, above Connor's
# 0.1238 at psi = 0.2 (Python's statistics.NormalDist for the quantiles).
@test "with --cluster the MDE is Miller's Eq. 10 on the clustered standard error, never below Connor's" {
    for i in $(seq 0 99); do
        printf '{"id":"c%d","k":"k%d","score":{"pass":true}}\n' "$i" $((i / 10)) >>"$BATS_TEST_TMPDIR/b.jsonl"
        printf '{"id":"c%d","k":"k%d","score":{"pass":%s}}\n' "$i" $((i / 10)) \
            "$([ "$i" -lt 20 ] && echo false || echo true)" >>"$BATS_TEST_TMPDIR/c.jsonl"
    done
    run --separate-stderr ev-compare --cluster k "$BATS_TEST_TMPDIR/b.jsonl" "$BATS_TEST_TMPDIR/c.jsonl"
    near "$(field '.comparisons[0].delta_se')" 0.133333333
    near "$(field '.comparisons[0].mde')" 0.373544696
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/b.jsonl" "$BATS_TEST_TMPDIR/c.jsonl"
    near "$(field '.comparisons[0].mde')" 0.123819331
}

@test "--hosting prices the candidate on dedicated capacity and gives the break-even against the baseline (issue 15)" {
    # Baseline: 0.004 a case (priced per token). Candidate: 500 ms a call at 4
    # at once: 86400 x 4 / 0.5 = 691200 cases a day a replica; 3.99 an hour
    # is 95.76 a day, 0.009576 a case at 10,000; break-even 95.76 / 0.004 = 23940.
    for i in 1 2 3 4; do
        printf '{"id":"c%d","score":{"pass":true,"value":1},"call":{"latency_ms":900},"cost":{"total":0.004}}\n' "$i"
    done >"$BATS_TEST_TMPDIR/base.jsonl"
    for i in 1 2 3 4; do
        printf '{"id":"c%d","score":{"pass":true,"value":1},"call":{"latency_ms":500}}\n' "$i"
    done >"$BATS_TEST_TMPDIR/cand.jsonl"
    run --separate-stderr ev-compare --hosting 3.99 --traffic 10000 --concurrency 4 "$BATS_TEST_TMPDIR/base.jsonl" "$BATS_TEST_TMPDIR/cand.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field '.comparisons[0].hosting | [.capacity, .replicas, .daily_cost, .per_case, .baseline_per_case, .break_even]')" = '[691200,1,95.76,0.009576,0.004,23940]' ]
    run --separate-stderr ev-compare -f table --hosting 3.99 --traffic 10000 --concurrency 4 "$BATS_TEST_TMPDIR/base.jsonl" "$BATS_TEST_TMPDIR/cand.jsonl"
    [[ "$output" == *"hosted at 3.99 an hour: 0.009576 per case at 10000 cases a day (95.76 a day, 1 replica); break-even at 23940 cases a day against the baseline's 0.004000 per case"* ]]
    run --separate-stderr ev-compare --hosting 3.99 "$BATS_TEST_TMPDIR/base.jsonl" "$BATS_TEST_TMPDIR/cand.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--hosting and --traffic go together"* ]]
    # Without --hosting there is no such figure.
    run --separate-stderr ev-compare "$BATS_TEST_TMPDIR/base.jsonl" "$BATS_TEST_TMPDIR/cand.jsonl"
    [ "$(field '.comparisons[0].hosting')" = null ]
}
