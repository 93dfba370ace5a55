#!/usr/bin/env bats
# ev-gaps: failures with their kind, per-tag summaries and budgets, review
# sheets, and training examples.
load test_helper

RUN="$BATS_TEST_DIRNAME/fixtures/gaps-run.jsonl"
BASE="$BATS_TEST_DIRNAME/fixtures/gaps-base.jsonl"

@test "only failures are written, each with the kind of gap" {
    run --separate-stderr ev-gaps "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field '[.id, .gap.kind]' | tr -d '\n')" = '["g2","wrong"]["g3","error"]["m2","truncated"]["m3","format"]["s1","refusal"]["s2","refusal"]["u1","wrong"]' ]
    [[ "$stderr" == *"ev-gaps: 7 failures in 9 cases"* ]]
}

@test "a refusal found in the text names the phrase; one from the provider's filter does not" {
    run --separate-stderr ev-gaps "$RUN"
    [ "$(field 'select(.id == "s1") | .gap.pattern')" = '"i can'"'"'t help with"' ]
    [ "$(field 'select(.id == "s2") | .gap | has("pattern")')" = false ]
}

@test "a failed record passes through byte for byte with gap appended" {
    run --separate-stderr ev-gaps -q "$RUN"
    orig=$(grep '"id":"g2"' "$RUN")
    got=$(printf '%s\n' "$output" | grep '"id":"g2"')
    [ "${got:0:$((${#orig} - 1))}" = "${orig:0:$((${#orig} - 1))}" ]
    [[ "$got" == *',"gap":{"kind":"wrong"}}' ]]
}

@test "--baseline marks regressions and both-fail" {
    run --separate-stderr ev-gaps -q --baseline "$BASE" "$RUN"
    [ "$(field '[.id, .gap.baseline]' | tr -d '\n')" = '["g2","regression"]["g3","regression"]["m2","regression"]["m3","both-fail"]["s1","regression"]["s2",null]["u1","regression"]' ]
}

@test "--summary tabulates failures per tag, worst first" {
    run --separate-stderr ev-gaps --summary "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field '[.cases, .failures]')" = '[9,7]' ]
    [ "$(field '[.tags[] | [.tag, .cases, .failures]]')" = '[["safety",2,2],["(untagged)",1,1],["format",1,1],["geo",3,2],["math",3,2]]' ]
    [ "$(field '.tags[] | select(.tag == "math") | .failure_rate')" = 0.666666667 ]
}

@test "a score.value outside [0, 1] is reported as file:line and not counted" {
    # NaN cannot reach it: the reader refuses the literal (tests/jsonl.bats).
    printf '%s\n' '{"id":"a","score":{"pass":false,"value":0}}' '{"id":"b","score":{"pass":true,"value":1.5}}' \
        '{"id":"c","score":{"pass":false,"value":-0.2}}' '{"id":"d","score":{"pass":true,"value":1e400}}' \
        '{"id":"e","score":{"pass":true,"value":1}}' >"$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-gaps --summary -f json "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$status" -eq 2 ]
    [ "$(field '[.cases, .failures]')" = '[2,1]' ]
    [[ "$stderr" == *"run.jsonl:2: 'score.value' is 1.5, not a number from 0 to 1"* ]]
    [[ "$stderr" == *"run.jsonl:3: 'score.value' is -0.2, not a number from 0 to 1"* ]]
    [[ "$stderr" == *"run.jsonl:4: 'score.value' is infinite, not a number from 0 to 1"* ]]
}

@test "--summary with --baseline counts regressions per tag" {
    run --separate-stderr ev-gaps --summary --baseline "$BASE" "$RUN"
    [ "$(field '[.tags[] | [.tag, .regressions]]')" = '[["safety",1],["(untagged)",1],["format",0],["geo",2],["math",1]]' ]
}

@test "--budget spreads new examples in proportion to failures, at least one per failing tag" {
    run --separate-stderr ev-gaps --summary --budget 20 "$RUN"
    # Worst first: safety, (untagged), format, geo, math with failures 2,1,1,2,2
    # (8: m3 counts in two tags). One each, then 15 by share: 3.75, 1.875, 1.875,
    # 3.75, 3.75 -> floors 3,1,1,3,3 = 11; the last 4 go to the largest
    # remainders, .875 twice, then .75 to the first two in order.
    [ "$(field '[.tags[] | .budget]')" = '[5,3,3,5,4]' ]
    [ "$(field '[.tags[].budget] | add')" = 20 ]
}

@test "a budget smaller than the failing tags goes to the worst tags first" {
    run --separate-stderr ev-gaps --summary --budget 2 "$RUN"
    # The two tags with most failures (2 each), ties to the one listed first.
    [ "$(field '[.tags[] | .budget]')" = '[1,0,0,1,0]' ]
}

@test "--summary prints a table, markdown or tsv on request" {
    run --separate-stderr ev-gaps --summary --budget 5 --format table "$RUN"
    [[ "$output" == *"tag"*"cases"*"failures"*"rate"*"budget"* ]]
    [[ "$output" == *"safety"*"2"*"2"*"100.0%"* ]]
    run --separate-stderr ev-gaps --summary --format markdown "$RUN"
    [[ "$output" == *"| safety | 2 | 2 | 100.0% |"* ]]
    run --separate-stderr ev-gaps --summary --format tsv "$RUN"
    [[ "$output" == *$'geo\t3\t2\t0.666667'* ]]
}

@test "--review writes a Markdown sheet of the failures grouped by tag" {
    run --separate-stderr ev-gaps --review --baseline "$BASE" "$RUN"
    [ "$status" -eq 0 ]
    [[ "$output" == "# Failure review: "*"gaps-run.jsonl"* ]]
    [[ "$output" == *"7 failures in 9 cases."* ]]
    [[ "$output" == *"## geo (2 of 3 failed)"* ]]
    [[ "$output" == *"### g2: wrong, regression"* ]]
    [[ "$output" == *"- scorer reason: expected 'Tokyo', got 'Kyoto'"* ]]
    [[ "$output" == *"**Output**"*"Kyoto"* ]]
    [[ "$output" == *"### g3: error, regression"*"**Error**"*"server error"* ]]
    [[ "$output" == *"- [ ] the expected answer is right"* ]]
}

@test "--review files a failure once under each of its tags, worst tag first, and names a case without an id by its line" {
    cd "$BATS_TEST_TMPDIR"
    printf '%s\n' '{"id":"m1","input":"q1","tags":["b","a","b"],"score":{"pass":false}}' \
        '{"id":"m2","input":"q2","tags":["a"],"score":{"pass":true}}' \
        '{"output":"x","score":{"pass":false}}' \
        '{"id":"m3","input":"q3","tags":"b","score":{"pass":false}}' >review.jsonl
    run --separate-stderr ev-gaps --review review.jsonl
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep '^## ' | cut -d' ' -f2 | paste -sd,)" = 'b,(untagged),a' ]
    [ "$(printf '%s\n' "$output" | grep -c '^### m1: wrong$')" -eq 2 ]
    [ "$(printf '%s\n' "$output" | grep -c '^### m3: wrong$')" -eq 1 ]
    [[ "$output" == *"### (no id, review.jsonl:3): wrong"* ]]
    [[ "$output" == *"## a (1 of 2 failed)"$'\n\n'"### m1: wrong"* ]]
}

@test "--review keeps the failures in a temporary file in TMPDIR, and says so when it cannot" {
    cd "$BATS_TEST_TMPDIR"
    mkdir tmp
    TMPDIR="$PWD/tmp" run --separate-stderr ev-gaps --review "$RUN"
    [ "$status" -eq 0 ]
    [[ "$output" == *"### g2: wrong"* ]]
    [ -z "$(ls tmp)" ]
    TMPDIR="$PWD/missing" run --separate-stderr ev-gaps --review "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-gaps: cannot create a temporary file in '$PWD/missing': "* ]]
    [ -z "$output" ]
}

@test "--as train writes chat examples and warns that eval cases must not become training data" {
    run --separate-stderr ev-gaps --as train --system "Be brief." "$RUN"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"these are eval cases"*"train on new cases like them instead"* ]]
    [ "$(field 'select(.messages[1].content == "Capital of France?") | .messages' )" = '[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"}]' ]
    [ "$(field 'select(.messages[1].content | startswith("Return")) | .messages[2].content')" = '"{\"a\":1}"' ]
}

@test "--teacher takes the answer from a run where it passed, else the expected answer" {
    printf '%s\n' '{"id":"g2","output":"Tokyo, the capital.","score":{"pass":true}}' \
        '{"id":"g1","output":"wrong","score":{"pass":false}}' >"$BATS_TEST_TMPDIR/teacher.jsonl"
    run --separate-stderr ev-gaps -q --as train --teacher "$BATS_TEST_TMPDIR/teacher.jsonl" "$RUN"
    [ "$(field 'select(.messages[0].content == "Capital of Japan?") | .messages[1].content')" = '"Tokyo, the capital."' ]
    [ "$(field 'select(.messages[0].content == "Capital of France?") | .messages[1].content')" = '"Paris"' ]
}

@test "a case with no answer is left out of training data with a reason" {
    printf '%s\n' '{"id":"x","input":"q"}' '{"id":"y","input":"q2","expected":"a"}' >"$BATS_TEST_TMPDIR/c.jsonl"
    run --separate-stderr ev-gaps -q --as train "$BATS_TEST_TMPDIR/c.jsonl"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"c.jsonl:1: case has no expected answer; left out"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
}

@test "usage errors: two modes, a budget without --summary, a bad --as" {
    run --separate-stderr ev-gaps --summary --review "$RUN"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-gaps --budget 5 "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--budget goes with --summary"* ]]
    run --separate-stderr ev-gaps --as alpaca "$RUN"
    [ "$status" -eq 2 ]
    run --separate-stderr ev-gaps --teacher "$BASE" "$RUN"
    [ "$status" -eq 2 ]
}

POOL="$BATS_TEST_DIRNAME/fixtures/gaps-pool.jsonl"

@test "--from-pool picks the budget, aimed at failing tags, in pool order" {
    run --separate-stderr ev-gaps --from-pool "$POOL" --budget 5 "$RUN"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 5 ]
    # Never a tag that did not fail (cooking), never twice the same case.
    [ "$(printf '%s\n' "$output" | jq -s 'map(.id) | unique | length')" = 5 ]
    [[ "$output" != *'"id":"p10"'* ]]
    [[ "$stderr" == *"picked 5 of 10 pool cases for a budget of 5"* ]]
}

@test "--from-pool never picks a case that leaks into the eval set, exactly or nearly" {
    run --separate-stderr ev-gaps --from-pool "$POOL" --budget 20 "$RUN"
    [ "$status" -eq 0 ]
    # p1 is the eval case g2 up to case and spacing.
    [[ "$output" != *'"id":"p1"'* ]]
    [[ "$stderr" == *"left out 1 that leak into the eval set"* ]]
}

@test "--threshold decides what counts as a near duplicate" {
    printf '%s\n' '{"id":"e1","input":"the quick brown fox jumps over the lazy dog near the river bank today","expected":"x","output":"y","tags":["t"],"score":{"pass":false}}' >"$BATS_TEST_TMPDIR/run.jsonl"
    printf '%s\n' '{"id":"c1","input":"the quick brown fox jumps over the lazy dog near the river bank tonight","expected":"x","tags":["t"]}' >"$BATS_TEST_TMPDIR/pool.jsonl"
    # 13 words, last changed: 10 of 12 shingles shared of 12 + 1, similarity 10/12 = 0.83
    run --separate-stderr ev-gaps --from-pool "$BATS_TEST_TMPDIR/pool.jsonl" --budget 1 "$BATS_TEST_TMPDIR/run.jsonl"
    [ -z "$output" ]
    [[ "$stderr" == *"left out 1 that leak"* ]]
    run --separate-stderr ev-gaps --from-pool "$BATS_TEST_TMPDIR/pool.jsonl" --budget 1 --threshold 0.9 "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$(field .id)" = '"c1"' ]
}

@test "within a tag, the pool cases most like the failing inputs come first" {
    run --separate-stderr ev-gaps --from-pool "$POOL" --budget 6 "$RUN"
    # geo is aimed at 1 of 6; of the geo cases, p4 shares the shingle
    # 'capital of italy' with a failing input, p3 (a river) shares nothing.
    [[ "$output" == *'"id":"p4"'* ]]
    [[ "$output" != *'"id":"p3"'* ]]
    [[ "$stderr" == *"geo"*"aimed   1, picked   2 (filling in for others)"* ]]
    [[ "$stderr" == *"safety"*"aimed   2, picked   1 (the pool has too few)"* ]]
}

@test "--from-pool --as train writes chat examples answered by the teacher where it passed" {
    printf '%s\n' '{"id":"p8","output":"Six.","score":{"pass":true}}' >"$BATS_TEST_TMPDIR/teacher.jsonl"
    run --separate-stderr ev-gaps -q --from-pool "$POOL" --budget 20 --as train \
        --teacher "$BATS_TEST_TMPDIR/teacher.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field 'select(.messages[0].content == "What is 3+3?") | .messages[1]')" = '{"role":"assistant","content":"Six."}' ]
    [ "$(field 'select(.messages[0].content | startswith("Write out")) | .messages[1].content')" = '"2.71828"' ]
    [[ "$stderr" != *"these are eval cases"* ]]
}

@test "a pool too small for the budget says so" {
    run --separate-stderr ev-gaps --from-pool "$POOL" --budget 50 "$RUN"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 8 ]
    [[ "$stderr" == *"the pool had only 8 usable cases for a budget of 50"* ]]
}

@test "--from-pool needs --budget" {
    run --separate-stderr ev-gaps --from-pool "$POOL" "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--from-pool needs --budget"* ]]
    run --separate-stderr ev-gaps --threshold 0.5 "$RUN"
    [ "$status" -eq 2 ]
}

@test "--summary makes no gaps claim on an empty, unscored or error-only run: it says so and exits 2" {
    cd "$BATS_TEST_TMPDIR"
    : >empty.jsonl
    printf '%s\n' '{"id":"a","input":"q","tags":["t"]}' '{"id":"b","input":"r"}' >unscored.jsonl
    printf '%s\n' '{"id":"a","error":{"kind":"http"},"tags":["t"]}' \
        '{"id":"b","error":{"kind":"timeout"},"score":{"pass":false,"value":0}}' >failed.jsonl
    local kind f
    for kind in empty unscored failed; do
        for f in table json markdown tsv; do
            run --separate-stderr ev-gaps --summary --budget 5 -f "$f" "$kind.jsonl"
            [ "$status" -eq 2 ] || fail_with "$kind -f $f exited $status"
            [ -z "$output" ] || fail_with "$kind -f $f wrote $output"
        done
    done
    run --separate-stderr ev-gaps -q --summary empty.jsonl
    [ "$stderr" = "ev-gaps: 'empty.jsonl' has no case: no gaps to report" ]
    run --separate-stderr ev-gaps --summary unscored.jsonl
    [ "$stderr" = "ev-gaps: 'unscored.jsonl' has no scored case: no gaps to report; ev-score scores it" ]
    run --separate-stderr ev-gaps --summary failed.jsonl
    [ "$stderr" = "ev-gaps: 'failed.jsonl' has no scored case, only failed calls: no gaps to report" ]
    run --separate-stderr ev-gaps --summary <empty.jsonl
    [ "$stderr" = "ev-gaps: standard input has no case: no gaps to report" ]
    # One scored case is evidence: the failed calls count as failures.
    printf '%s\n' '{"id":"c","score":{"pass":true,"value":1},"tags":["t"]}' >>failed.jsonl
    run --separate-stderr ev-gaps --summary -f json failed.jsonl
    [ "$status" -eq 0 ]
    [ "$(field '[.cases, .failures]')" = '[3,2]' ]
}

# --- preference data (issue 14) and a reviewer's labels (issue 16) ---

@test "--as preference writes one DPO example per failure: the teacher's passing answer, else expected, preferred to the failing output" {
    printf '%s\n' '{"id":"g2","output":"Tokyo, the capital.","score":{"pass":true}}' \
        '{"id":"u1","output":"maybe","score":{"pass":false}}' >"$BATS_TEST_TMPDIR/teacher.jsonl"
    run --separate-stderr ev-gaps --as preference --teacher "$BATS_TEST_TMPDIR/teacher.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 5 ]
    [ "$(field 'select(.input.messages[0].content == "Capital of Japan?") | [.preferred_output[0].content, .non_preferred_output[0].content]')" = '["Tokyo, the capital.","Kyoto"]' ]
    # The teacher failed u1: the expected answer is preferred.
    [ "$(field 'select(.input.messages[0].content == "Untagged question") | [.preferred_output[0].content, .non_preferred_output[0].content]')" = '["yes","no"]' ]
    # A JSON expected answer is its compact text.
    [ "$(field 'select(.non_preferred_output[0].content == "a equals one") | .preferred_output[0].content')" = '"{\"a\":1}"' ]
    # g3's call failed: no output, skipped and counted; s2's output is empty.
    [[ "$stderr" == *"5 preference examples written of 7 failures; left out 1 failed calls with no output and 1 more"* ]]
    [[ "$stderr" == *"gaps-run.jsonl:8: non_preferred_output message 1 has empty content; left out"* ]]
    [[ "$stderr" != *"these are eval cases"* ]]
}

@test "--as preference lines keep OpenAI's, Together's and Fireworks' rules: three keys, one user turn last, one assistant message a side, two different answers" {
    printf '%s\n' '{"id":"t1","input":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"2+2?"}],"expected":"4","output":"5","score":{"pass":false}}' \
        '{"id":"t2","input":"Say yes","expected":"yes","output":"yes","score":{"pass":false}}' \
        '{"id":"t3","input":"Say no","expected":"no","output":"nope","score":{"pass":false}}' >"$BATS_TEST_TMPDIR/run.jsonl"
    cat "$RUN" >>"$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-gaps --as preference --system "Be brief." "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | jq -s 'map(keys == ["input", "non_preferred_output", "preferred_output"]) | all')" = true ]
    [ "$(printf '%s\n' "$output" | jq -s 'map(.input | keys == ["messages"]) | all')" = true ]
    [ "$(printf '%s\n' "$output" | jq -s 'map(.input.messages | map(.role) == ["system", "user"]) | all')" = true ]
    [ "$(printf '%s\n' "$output" | jq -s 'map(.preferred_output, .non_preferred_output | length == 1 and .[0].role == "assistant" and (.[0].content | type == "string" and length > 0)) | all')" = true ]
    [ "$(printf '%s\n' "$output" | jq -s 'map(.preferred_output[0].content != .non_preferred_output[0].content) | all')" = true ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 6 ]
    [[ "$stderr" == *"run.jsonl:1: input message 3 has role 'assistant': the input must be one turn, an optional system message and one user message (OpenAI and Fireworks train on one-turn conversations only); left out"* ]]
    [[ "$stderr" == *"run.jsonl:2: the preferred and non-preferred answers are the same, which trains nothing; left out"* ]]
}

@test "--as preference makes no pairs from an unscored or error-only run: it says so and exits 2" {
    printf '%s\n' '{"id":"a","input":"q","expected":"x","output":"y"}' >"$BATS_TEST_TMPDIR/unscored.jsonl"
    run --separate-stderr ev-gaps --as preference "$BATS_TEST_TMPDIR/unscored.jsonl"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"has no scored case: no gaps to report; ev-score scores it"* ]]
    printf '%s\n' '{"id":"a","input":"q","expected":"x","error":{"kind":"http"}}' >"$BATS_TEST_TMPDIR/errors.jsonl"
    run --separate-stderr ev-gaps --as preference "$BATS_TEST_TMPDIR/errors.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"has no scored case, only failed calls"* ]]
}

# g2 and m2 fail; the reviewer says g2's expected answer is wrong and m2 is
# fine; g1 passed, but the reviewer says the model is wrong.
labels() {
    printf '%s\n' '{"id":"g2","label":"expected-wrong","corrected":"Tokyo (the capital since 1869)","note":"be precise","reviewer":"ann"}' \
        '{"id":"m2","label":"ok"}' '{"id":"g1","label":"model-wrong","corrected":"Paris, France"}' \
        '{"id":"u1","label":"ambiguous"}' >"$BATS_TEST_TMPDIR/review.jsonl"
}

@test "--labels: expected-wrong cases leave the gap counts, ok cases are no failures, model-wrong ones are, and the summary says how many the labels changed" {
    labels
    run --separate-stderr ev-gaps --summary -f json "$RUN"
    [ "$(field '[.cases, .failures]')" = '[9,7]' ]
    [ "$(field '[.tags[] | select(.tag == "geo" or .tag == "math") | [.tag, .cases, .failures]]')" = '[["geo",3,2],["math",3,2]]' ]
    run --separate-stderr ev-gaps --summary -f json --labels "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field '[.cases, .failures]')" = '[8,6]' ]
    [ "$(field '[.tags[] | select(.tag == "geo" or .tag == "math") | [.tag, .cases, .failures]]')" = '[["geo",2,2],["math",3,1]]' ]
    [ "$(field '.labels')" = '{"changed":3,"expected_wrong":1,"ok":1,"made_failures":1}' ]
    [[ "$stderr" == *"the labels changed 3 cases: 1 expected-wrong, left out to fix; 1 ok, not failures; 1 model-wrong that had passed"* ]]
    [[ "$stderr" == *"--fix-out FILE lists the 1 cases labelled expected-wrong"* ]]
    run --separate-stderr ev-gaps --summary -f table --labels "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [[ "$output" == *"the labels changed 3 cases"* ]]
}

@test "--labels: the failures written carry their label, and --fix-out lists the expected-wrong cases with the corrected answer" {
    labels
    run --separate-stderr ev-gaps -q --labels "$BATS_TEST_TMPDIR/review.jsonl" --fix-out "$BATS_TEST_TMPDIR/fix.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field '[.id, .gap.label]' | tr -d '\n')" = '["g1","model-wrong"]["g3",null]["m3",null]["s1",null]["s2",null]["u1","ambiguous"]' ]
    run jq -c . "$BATS_TEST_TMPDIR/fix.jsonl"
    [ "$output" = '{"id":"g2","input":"Capital of Japan?","expected":"Tokyo","tags":["geo"],"corrected":"Tokyo (the capital since 1869)","note":"be precise","reviewer":"ann"}' ]
}

@test "--labels: a corrected answer is the answer to train on, ahead of the teacher and expected, for --as train and --as preference" {
    labels
    run --separate-stderr ev-gaps -q --as preference --teacher "$BASE" --labels "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    # g1 passed, but is labelled model-wrong with a correction; the teacher passed it.
    [ "$(field 'select(.input.messages[0].content == "Capital of France?") | [.preferred_output[0].content, .non_preferred_output[0].content]')" = '["Paris, France","Paris"]' ]
    # g2 (expected-wrong) and m2 (ok) make no pair.
    [ "$(field 'select(.input.messages[0].content == "Capital of Japan?")')" = "" ]
    [ "$(field 'select(.non_preferred_output[0].content | startswith("3.1415926"))')" = "" ]
    run --separate-stderr ev-gaps -q --as train --teacher "$BASE" --labels "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field 'select(.messages[0].content == "Capital of Japan?") | .messages[1].content')" = '"Tokyo (the capital since 1869)"' ]
    [ "$(field 'select(.messages[0].content == "Capital of France?") | .messages[1].content')" = '"Paris, France"' ]
}

@test "--labels: an expected-wrong case without a corrected answer is not trained on" {
    printf '%s\n' '{"id":"g2","label":"expected-wrong"}' >"$BATS_TEST_TMPDIR/review.jsonl"
    run --separate-stderr ev-gaps -q --as train --labels "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(field 'select(.messages[0].content == "Capital of Japan?")')" = "" ]
    [[ "$stderr" == *"gaps-run.jsonl:2: its expected answer is labelled wrong, and the label gives no corrected answer; left out"* ]]
}

@test "--labels: a bad label line is reported as file:line and the run goes on" {
    printf '%s\n' '{"id":"g2","label":"wrong-ish"}' 'not json' '{"label":"ok"}' '{"id":"m2","label":"ok","note":3}' \
        '{"id":"u1","label":"ok"}' '{"id":"nope","label":"ok"}' >"$BATS_TEST_TMPDIR/review.jsonl"
    run --separate-stderr ev-gaps --summary -f json --labels "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"review.jsonl:1: 'label' is 'wrong-ish': give one of model-wrong, expected-wrong, ambiguous, ok"* ]]
    [[ "$stderr" == *"review.jsonl:2: "* ]]
    [[ "$stderr" == *"review.jsonl:3: "* ]]
    [[ "$stderr" == *"review.jsonl:4: 'note' is not a string"* ]]
    [[ "$stderr" == *"1 of its labels name no case of the run"* ]]
    # The good line counted: u1 is no failure.
    [ "$(field '[.cases, .failures]')" = '[9,6]' ]
}

@test "--review with --baseline shows the baseline's output after the candidate's" {
    run --separate-stderr ev-gaps --review --baseline "$BASE" "$RUN"
    [ "$status" -eq 0 ]
    want=$(printf '**Output**\n\n```\nKyoto\n```\n\n**Baseline output (passed)**\n\n```\nTokyo\n```')
    [[ "$output" == *"$want"* ]]
    want=$(printf '**Output**\n\n```\na equals one\n```\n\n**Baseline output (failed)**\n\n```\n{"a":1}\n```')
    [[ "$output" == *"$want"* ]]
    run --separate-stderr ev-gaps --review "$RUN"
    [[ "$output" != *"baseline"* ]]
}

@test "usage errors of --as preference, --labels and --fix-out" {
    run --separate-stderr ev-gaps --as preference --summary "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--as preference goes alone"* ]]
    run --separate-stderr ev-gaps --fix-out "$BATS_TEST_TMPDIR/f.jsonl" "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--fix-out goes with --labels"* ]]
    printf '%s\n' '{"id":"g2","label":"ok"}' >"$BATS_TEST_TMPDIR/review.jsonl"
    run --separate-stderr ev-gaps --labels "$BATS_TEST_TMPDIR/review.jsonl" --fix-out "$BATS_TEST_TMPDIR/review.jsonl" "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"is both --fix-out and an input, which writing would empty"* ]]
    [ "$(cat "$BATS_TEST_TMPDIR/review.jsonl")" = '{"id":"g2","label":"ok"}' ]
    cp "$RUN" "$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-gaps --labels "$BATS_TEST_TMPDIR/review.jsonl" --fix-out "$BATS_TEST_TMPDIR/run.jsonl" "$BATS_TEST_TMPDIR/run.jsonl"
    [ "$status" -eq 2 ]
    cmp "$RUN" "$BATS_TEST_TMPDIR/run.jsonl"
    run --separate-stderr ev-gaps --labels - < "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"the run and --labels both read standard input: give one of them a file"* ]]
    run --separate-stderr ev-gaps --baseline - --labels - "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--baseline and --labels both read standard input"* ]]
    run --separate-stderr ev-gaps --as dpo "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--as takes 'train' or 'preference', not 'dpo'"* ]]
}

@test "--fix-out that cannot be written is trouble, said with the file's name" {
    [ -w /dev/full ] || skip "no /dev/full"
    printf '%s\n' '{"id":"g2","label":"expected-wrong"}' >"$BATS_TEST_TMPDIR/review.jsonl"
    run --separate-stderr ev-gaps -q --labels "$BATS_TEST_TMPDIR/review.jsonl" --fix-out /dev/full "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot write '/dev/full'"* ]]
}
