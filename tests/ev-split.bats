#!/usr/bin/env bats
# ev-split: seeded splits that are stable as the pool grows, stratified
# splits, nested takes, shards, deduplication and the leak check.
load test_helper

TRAIN="$BATS_TEST_DIRNAME/fixtures/split-train.jsonl"
EVAL="$BATS_TEST_DIRNAME/fixtures/split-eval.jsonl"
CLEAN="$BATS_TEST_DIRNAME/fixtures/split-clean-eval.jsonl"
DUPES="$BATS_TEST_DIRNAME/fixtures/split-dupes.jsonl"
NOID="$BATS_TEST_DIRNAME/fixtures/split-noid.jsonl"

# pool N [FROM]: N cases numbered from FROM (default 1), tagged geo, math and
# code in turn.
pool() {
    jq -nc --argjson n "$1" --argjson from "${2:-1}" \
        'range($from; $from + $n) | {id: "c\(.)", input: "Question number \(.)?", expected: "\(.)",
         tags: [["geo", "math", "code"][. % 3]]}'
}

# ids FILE: the sorted ids of FILE, one a line.
ids() {
    jq -r '.id' "$1" | sort
}

# col JQ: apply a jq filter to each line of $output, printing raw strings.
col() {
    printf '%s\n' "$output" | jq -r "$1"
}

# between X LO HI: LO <= X <= HI
between() {
    [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || fail_with "$1 is not between $2 and $3"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
}

@test "--ratio sends about that share to stdout and every other case to --rest" {
    pool 1000 >pool.jsonl
    run --separate-stderr ev-split --ratio 0.3 --rest rest.jsonl pool.jsonl
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >out.jsonl
    between "$(wc -l <out.jsonl)" 255 345
    [ $(($(wc -l <out.jsonl) + $(wc -l <rest.jsonl))) -eq 1000 ]
    [ -z "$(comm -12 <(ids out.jsonl) <(ids rest.jsonl))" ]
    [ "$(cat out.jsonl rest.jsonl | ids /dev/stdin)" = "$(ids pool.jsonl)" ]
    [[ "$stderr" == "ev-split: 1000 cases: $(wc -l <out.jsonl) to standard output, $(wc -l <rest.jsonl) to 'rest.jsonl'" ]]
}

@test "--ratio keeps input order and passes each line through byte for byte" {
    printf '%s\n' '{"id": "a",  "input": "x",   "n": 1.50}' '{ "id":"b","input":"y" }' \
        '{"input":"z","id":"c","tags":["t"]}' '{"id":"d","input":"w"}' >odd.jsonl
    run --separate-stderr ev-split --ratio 1 odd.jsonl
    [ "$output" = "$(cat odd.jsonl)" ]
    pool 200 >pool.jsonl
    ev-split -q --ratio 0.5 --rest rest.jsonl pool.jsonl >out.jsonl
    [ "$(cat out.jsonl)" = "$(grep -Fx -f out.jsonl pool.jsonl)" ]
    [ "$(cat rest.jsonl)" = "$(grep -Fx -f rest.jsonl pool.jsonl)" ]
}

@test "the same seed gives the same split, another seed a different one, and the default is 0" {
    pool 300 >pool.jsonl
    a=$(ev-split -q --ratio 0.5 --seed 3 pool.jsonl)
    b=$(ev-split -q --ratio 0.5 --seed 3 pool.jsonl)
    c=$(ev-split -q --ratio 0.5 --seed 4 pool.jsonl)
    [ "$a" = "$b" ]
    [ "$a" != "$c" ]
    [ "$(ev-split -q --ratio 0.5 pool.jsonl)" = "$(ev-split -q --ratio 0.5 --seed 0 pool.jsonl)" ]
}

@test "a case keeps its side when the pool grows, wherever the new cases go" {
    pool 300 >small.jsonl
    { pool 150 301; pool 300 1; pool 150 451; } >grown.jsonl
    ev-split -q --ratio 0.4 --seed 5 --rest small-rest.jsonl small.jsonl >small-out.jsonl
    ev-split -q --ratio 0.4 --seed 5 --rest grown-rest.jsonl grown.jsonl >grown-out.jsonl
    [ "$(ids small-out.jsonl)" = "$(comm -12 <(ids grown-out.jsonl) <(ids small.jsonl))" ]
    [ "$(ids small-rest.jsonl)" = "$(comm -12 <(ids grown-rest.jsonl) <(ids small.jsonl))" ]
    between "$(wc -l <grown-out.jsonl)" 200 280
}

@test "a larger ratio holds every case of a smaller one; 0 takes none and 1 takes all" {
    pool 400 >pool.jsonl
    ev-split -q --ratio 0.2 pool.jsonl >a.jsonl
    ev-split -q --ratio 0.5 pool.jsonl >b.jsonl
    [ -z "$(comm -23 <(ids a.jsonl) <(ids b.jsonl))" ]
    [ -z "$(ev-split -q --ratio 0 pool.jsonl)" ]
    [ "$(ev-split -q --ratio 1 pool.jsonl)" = "$(cat pool.jsonl)" ]
}

@test "a case without an id is written with the derived id, the same under every seed" {
    run --separate-stderr ev-split --ratio 1 "$NOID"
    [ "$(printf '%s\n' "$output" | head -n 1)" = \
        '{"input":"What is the capital of France?","expected":"Paris","id":"hc2fac1587eb66d99"}' ]
    [ "$(field '.id' | sed -n 3p)" = '"hb48a621939dfbf97"' ]
    [ "$(field '.id' | sed -n 4p)" = 7 ]
    [ "$(ev-split -q --ratio 1 --seed 9 "$NOID" 2>/dev/null | head -n 1)" = \
        "$(printf '%s\n' "$output" | head -n 1)" ]
    [ "$(ev-split -q --take 10 "$NOID" 2>/dev/null)" = "$output" ]
    [ "$(ev-split -q --stratify --ratio 1 "$NOID" 2>/dev/null)" = "$output" ]
    [ "$(ev-split -q --dedupe "$NOID" 2>/dev/null)" = "$output" ]
}

@test "a case with neither an id nor an input is reported as file:line and the rest are written (exit 2)" {
    run --separate-stderr ev-split --ratio 1 "$NOID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-split: $NOID:3: record has no 'id' and no 'input' to derive one"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
}

@test "--stratify gives every single-tag stratum its share to within one case" {
    {
        pool 200 | jq -c '.tags = ["common"]'
        pool 90 201 | jq -c '.tags = ["medium"]'
        pool 7 291 | jq -c '.tags = ["rare"]'
        pool 3 298 | jq -c 'del(.tags)'
    } >pool.jsonl
    for seed in 1 2 3 4 5; do
        ev-split -q --stratify --ratio 0.3 --seed "$seed" pool.jsonl >out.jsonl
        between "$(grep -c '"common"' out.jsonl)" 60 60
        between "$(grep -c '"medium"' out.jsonl)" 27 27
        between "$(grep -c '"rare"' out.jsonl)" 2 3
        between "$(grep -vc '"tags"' out.jsonl)" 0 1
    done
}

@test "--stratify keeps a rare tag's share where plain --ratio drifts by chance" {
    { pool 100; pool 4 101 | jq -c '.tags = ["rare"]'; } >pool.jsonl
    plain=""
    for seed in 1 2 3 4 5 6 7 8; do
        [ "$(ev-split -q --stratify --ratio 0.5 --seed "$seed" pool.jsonl | grep -c rare)" -eq 2 ]
        plain="$plain $(ev-split -q --ratio 0.5 --seed "$seed" pool.jsonl | grep -c rare || true)"
    done
    [ "$plain" != " 2 2 2 2 2 2 2 2" ]
}

@test "--stratify reports each tag's cases on each side, and they are the cases written" {
    cp "$EXAMPLES/pool.jsonl" pool.jsonl
    run --separate-stderr ev-split --stratify --ratio 0.5 --seed 7 --rest rest.jsonl pool.jsonl
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >out.jsonl
    [ $(($(wc -l <out.jsonl) + $(wc -l <rest.jsonl))) -eq 40 ]
    [ "$(cat out.jsonl)" = "$(grep -Fx -f out.jsonl pool.jsonl)" ]
    [[ "$stderr" == "ev-split: 40 cases: $(wc -l <out.jsonl) to standard output, $(wc -l <rest.jsonl) to 'rest.jsonl'"* ]]
    [[ "$stderr" == *"tag"*"out"*"rest"* ]]
    for tag in extract geo math sentiment trick; do
        want="$tag $(grep -c "\"$tag\"" out.jsonl) $(grep -c "\"$tag\"" rest.jsonl)"
        got=$(printf '%s\n' "$stderr" | awk -v t="$tag" '$1 == t { print $1, $2, $3 }')
        [ "$got" = "$want" ] || fail_with "report '$got', written '$want'"
    done
}

@test "--stratify keeps the lines in a temporary file in TMPDIR, and says so when it cannot" {
    pool 30 >pool.jsonl
    mkdir tmp
    TMPDIR="$PWD/tmp" run --separate-stderr ev-split -q --stratify --ratio 0.5 pool.jsonl
    [ "$status" -eq 0 ]
    [ -z "$(ls tmp)" ]
    TMPDIR="$PWD/missing" run --separate-stderr ev-split --stratify --ratio 0.5 pool.jsonl
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-split: cannot create a temporary file in '$PWD/missing': "* ]]
}

@test "--take N writes N cases in input order, and smaller takes nest in larger ones" {
    pool 500 >pool.jsonl
    ev-split -q --take 5 pool.jsonl >t5.jsonl
    ev-split -q --take 10 pool.jsonl >t10.jsonl
    ev-split -q --take 100 pool.jsonl >t100.jsonl
    [ "$(wc -l <t5.jsonl)" -eq 5 ]
    [ "$(wc -l <t10.jsonl)" -eq 10 ]
    [ "$(wc -l <t100.jsonl)" -eq 100 ]
    [ -z "$(comm -23 <(ids t5.jsonl) <(ids t10.jsonl))" ]
    [ -z "$(comm -23 <(ids t10.jsonl) <(ids t100.jsonl))" ]
    [ "$(cat t100.jsonl)" = "$(grep -Fx -f t100.jsonl pool.jsonl)" ]
    [ "$(ev-split -q --take 10 --seed 1 pool.jsonl)" != "$(cat t10.jsonl)" ]
}

@test "--take picks the cases that a small ratio picks first" {
    pool 500 >pool.jsonl
    ev-split -q --ratio 0.1 --seed 2 pool.jsonl >ratio.jsonl
    n=$(wc -l <ratio.jsonl)
    [ "$(ev-split -q --take "$n" --seed 2 pool.jsonl)" = "$(cat ratio.jsonl)" ]
}

@test "--take beyond the pool writes it all, and --take 0 writes nothing" {
    pool 20 >pool.jsonl
    [ "$(ev-split -q --take 1000 pool.jsonl)" = "$(cat pool.jsonl)" ]
    run --separate-stderr ev-split --take 0 pool.jsonl
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [[ "$stderr" == "ev-split: 20 cases: the first 0 in hash order to standard output" ]]
}

@test "--shard K/N: the shards are disjoint, even and together the whole input" {
    pool 600 >pool.jsonl
    for k in 1 2 3 4; do
        ev-split -q --shard "$k/4" --seed 3 pool.jsonl >"s$k.jsonl"
        between "$(wc -l <"s$k.jsonl")" 110 190
    done
    [ "$(cat s1.jsonl s2.jsonl s3.jsonl s4.jsonl | ids /dev/stdin)" = "$(ids pool.jsonl)" ]
    [ "$(cat s*.jsonl | wc -l)" -eq 600 ]
}

@test "--shard with --rest writes the other shards to the rest file" {
    pool 100 >pool.jsonl
    run --separate-stderr ev-split --shard 2/3 --rest rest.jsonl pool.jsonl
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >s2.jsonl
    [ "$(ids rest.jsonl)" = "$({ ev-split -q --shard 1/3 pool.jsonl; ev-split -q --shard 3/3 pool.jsonl; } | ids /dev/stdin)" ]
    [[ "$stderr" == "ev-split: 100 cases: $(wc -l <s2.jsonl) in shard 2/3 to standard output, $(wc -l <rest.jsonl) to 'rest.jsonl'" ]]
}

@test "shards of a set split by ratio under the same seed are still even" {
    pool 400 >pool.jsonl
    ev-split -q --ratio 0.5 pool.jsonl >eval.jsonl
    between "$(ev-split -q --shard 1/2 eval.jsonl | wc -l)" 70 130
    between "$(ev-split -q --shard 2/2 eval.jsonl | wc -l)" 70 130
}

@test "--dedupe drops inputs that repeat, ignoring case, white space and punctuation, and says how many" {
    run --separate-stderr ev-split --dedupe "$DUPES"
    [ "$status" -eq 0 ]
    [ "$(col .id | tr '\n' ' ')" = "d1 d3 " ]
    [[ "$stderr" == *"ev-split: dropped 4 cases whose input repeats an earlier one, or nearly"* ]]
}

@test "--dedupe before --ratio splits only the first case of each input" {
    cp "$EXAMPLES/pool.jsonl" pool.jsonl
    run --separate-stderr ev-split -d --ratio 0.5 --rest rest.jsonl pool.jsonl
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >out.jsonl
    [ $(($(wc -l <out.jsonl) + $(wc -l <rest.jsonl))) -eq 37 ]
    ! grep -q '"geo-11"\|"math-11"\|"geo-12"' out.jsonl rest.jsonl
    [[ "$stderr" == *"dropped 3 cases"* ]]
    [ "$(ev-split -q -d --take 100 pool.jsonl | wc -l)" -eq 37 ]
    [ "$(ev-split -q -d --shard 1/2 pool.jsonl | wc -l)" -eq \
        $((37 - $(ev-split -q -d --shard 2/2 pool.jsonl | wc -l))) ]
}

@test "--check finds an exact leak despite case and spacing, and a near duplicate, and exits 1" {
    run --separate-stderr ev-split --check "$TRAIN" "$EVAL"
    [ "$status" -eq 1 ]
    [ "$(printf '%s\n' "$output" | sed -n 1p)" = '{"eval_id":"e1","train_id":"t1","kind":"exact","similarity":1}' ]
    [ "$(field '[.eval_id, .train_id, .kind, .similarity]' | tr -d '\n')" = \
        '["e1","t1","exact",1]["e2","t2","near",0.8947]["e3","t3","near",1]["e5","t4","exact",1]' ]
    [[ "$stderr" == "ev-split: 4 of 6 eval cases leak into 5 training cases: 2 with the same input, 2 more with near duplicates" ]]
}

@test "--check writes nothing and exits 0 when no eval case leaks" {
    run --separate-stderr ev-split --check "$TRAIN" "$CLEAN"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [[ "$stderr" == "ev-split: none of 3 eval cases leaks into 5 training cases" ]]
}

@test "--threshold sets the similarity from which a pair is a near duplicate" {
    run --separate-stderr ev-split --check "$TRAIN" --threshold 0.9 "$EVAL"
    [ "$status" -eq 1 ]
    [ "$(col .eval_id | tr '\n' ' ')" = "e1 e3 e5 " ]
    run --separate-stderr ev-split --check "$TRAIN" --threshold 0.5 "$EVAL"
    [ "$(col .eval_id | tr '\n' ' ')" = "e1 e2 e3 e4 e5 " ]
    [ "$(field 'select(.eval_id == "e4") | [.train_id, .similarity]')" = '["t1",0.6]' ]
}

@test "--check reports every training case an eval case leaks into, exact ones first" {
    printf '%s\n' '{"id":"a","input":"Name three rivers of Europe, please"}' \
        '{"id":"b","input":"name three rivers of europe please"}' \
        '{"id":"c","input":"Name three rivers of Europe, please."}' >train.jsonl
    printf '%s\n' '{"id":"q","input":"name three rivers of europe, please."}' >eval.jsonl
    run --separate-stderr ev-split --check train.jsonl eval.jsonl
    [ "$status" -eq 1 ]
    [ "$(field '[.train_id, .kind]' | tr -d '\n')" = '["c","exact"]["a","near"]["b","near"]' ]
}

@test "--check compares inputs shorter than a 3-gram as whole word sequences" {
    printf '%s\n' '{"id":"t","input":"Capital of Italy?"}' '{"id":"u","input":"Hello world"}' >train.jsonl
    printf '%s\n' '{"id":"a","input":"capital of italy"}' '{"id":"b","input":"hello, WORLD!"}' \
        '{"id":"c","input":"hello there world"}' '{"id":"d","input":"Italy"}' >eval.jsonl
    run --separate-stderr ev-split --check train.jsonl eval.jsonl
    [ "$status" -eq 1 ]
    [ "$(field '[.eval_id, .train_id, .kind, .similarity]' | tr -d '\n')" = \
        '["a","t","near",1]["b","u","near",1]' ]
}

@test "--check gives no verdict without eval and training cases that have inputs: it says so and exits 2" {
    printf '%s\n' '{"id":"a","input":"   "}' '{"id":"b","input":""}' >blank.jsonl
    : >empty.jsonl
    echo 'not json' >bad.jsonl
    while IFS='|' read -r train eval want; do
        run --separate-stderr ev-split -q --check "$train" "$eval"
        [ "$status" -eq 2 ] || fail_with "$train $eval exited $status"
        [ -z "$output" ]
        [[ "$stderr" == *"ev-split: no verdict: $want" ]] || fail_with "$train $eval: $stderr"
    done <<EOF
$TRAIN|empty.jsonl|the eval set has no case
$TRAIN|bad.jsonl|the eval set has no case
$TRAIN|blank.jsonl|no eval case has an input
empty.jsonl|$EVAL|the training set has no case
blank.jsonl|$EVAL|no training case has an input
EOF
    printf '%s\n' '{"id":"c","input":"Unrelated question?"}' >>blank.jsonl
    run --separate-stderr ev-split --check "$TRAIN" blank.jsonl
    [ "$status" -eq 0 ]
    [[ "$stderr" == "ev-split: none of 3 eval cases leaks into 5 training cases" ]]
}

@test "--check reads the eval set from stdin, and not both sets" {
    run --separate-stderr ev-split --check "$TRAIN" <"$EVAL"
    [ "$status" -eq 1 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
    run --separate-stderr ev-split --check - <"$EVAL"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"standard input can be the training set or the eval set, not both"* ]]
    [[ "$stderr" == *"try 'ev-split --help'"* ]]
}

@test "--check reports bad lines in either set by file:line and exits 2, after checking the rest" {
    cp "$TRAIN" train.jsonl
    echo '{"id":"t9", "input":' >>train.jsonl
    printf '%s\n' '{"expected":"no input"}' >>train.jsonl
    run --separate-stderr ev-split --check train.jsonl "$EVAL"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-split: train.jsonl:6: cannot parse record"* ]]
    [[ "$stderr" == *"ev-split: train.jsonl:7: record has no 'id' and no 'input' to derive one"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
    run --separate-stderr ev-split --check missing.jsonl "$EVAL"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"cannot open 'missing.jsonl'"* ]]
}

@test "--check finds planted leaks among thousands of unrelated cases" {
    jq -nc 'range(3000) | {id: "t\(.)", input: "train case \(.) asks about item \(. * 7) in the warehouse of zone \(. % 13) today"}' >train.jsonl
    {
        jq -nc 'range(3000) | {id: "e\(.)", input: "eval case \(.) wants the price of product \(. * 11) in store \(. % 17)"}'
        echo '{"id":"leak1","input":"TRAIN CASE 42 asks about item 294 in the warehouse of zone 3 today"}'
        echo '{"id":"leak2","input":"train case 1234 asks about item 8638 in the warehouse of zone 12 tomorrow"}'
    } >eval.jsonl
    run --separate-stderr ev-split --check train.jsonl eval.jsonl
    [ "$status" -eq 1 ]
    [ "$(field '[.eval_id, .train_id, .kind]' | tr -d '\n')" = '["leak1","t42","exact"]["leak2","t1234","near"]' ]
}

@test "--quiet silences the report but not the bad lines" {
    run --separate-stderr ev-split --quiet --ratio 0.5 "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    run --separate-stderr ev-split -q --check "$TRAIN" "$EVAL"
    [ -z "$stderr" ]
    run --separate-stderr ev-split -q -d "$DUPES"
    [ -z "$stderr" ]
    run --separate-stderr ev-split -q --ratio 0.5 "$NOID"
    [[ "$stderr" == *"$NOID:3: record has no 'id'"* ]]
}

@test "operands are read in order, with - for standard input" {
    pool 3 >a.jsonl
    pool 3 4 >b.jsonl
    run --separate-stderr bash -c 'ev-split -q --ratio 1 a.jsonl - <b.jsonl'
    [ "$output" = "$(cat a.jsonl b.jsonl)" ]
    run --separate-stderr bash -c 'ev-split -q --ratio 1 <a.jsonl'
    [ "$output" = "$(cat a.jsonl)" ]
}

@test "a --rest file that cannot be written fails loudly with exit 2" {
    run --separate-stderr ev-split --ratio 0.5 --rest /dev/full "$FIXTURES/cases.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-split: cannot write '/dev/full'"* ]]
    run --separate-stderr ev-split --ratio 0.5 --rest no/such/dir.jsonl "$FIXTURES/cases.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-split: cannot open 'no/such/dir.jsonl'"* ]]
}

@test "a --rest file that is also an input is refused before it is emptied" {
    pool 10 >pool.jsonl
    run --separate-stderr ev-split --ratio 0.5 --rest pool.jsonl pool.jsonl
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'pool.jsonl' is both --rest and an input"* ]]
    run --separate-stderr bash -c 'ev-split --ratio 0.5 --rest pool.jsonl <pool.jsonl'
    [ "$status" -eq 2 ]
    [ "$(wc -l <pool.jsonl)" -eq 10 ]
}

@test "exactly one mode is required, and each option goes with its modes (usage errors, exit 2)" {
    pool 5 >pool.jsonl
    while IFS='|' read -r args want; do
        run --separate-stderr ev-split $args pool.jsonl
        [ "$status" -eq 2 ] || fail_with "'$args' exited $status"
        [ -z "$output" ] || fail_with "'$args' wrote to stdout"
        [[ "$stderr" == *"$want"* ]] || fail_with "'$args': $stderr"
        [[ "$stderr" == *"try 'ev-split --help'"* ]] || fail_with "'$args' gave no hint"
    done <<'EOF'
|choose what to do: --ratio, --take, --shard, --dedupe or --check
--seed 1|choose what to do
--ratio 0.5 --take 3|--ratio and --take do not go together: choose one
--shard 1/2 --check pool.jsonl|--shard and --check do not go together
--ratio 1.5|--ratio takes a number from 0 to 1, not '1.5'
--ratio -0.1|--ratio takes a number from 0 to 1, not '-0.1'
--ratio half|--ratio takes a number from 0 to 1, not 'half'
--shard 0/3|--shard K/N: K is a whole number from 1 to 3, not '0'
--shard 4/3|--shard K/N: K is a whole number from 1 to 3, not '4'
--shard 3|--shard takes K/N, such as 2/4, not '3'
--shard 1/0|--shard K/N: N is a whole number from 1 to 1000000, not '0'
--take -1|--take takes a whole number from 0 to 9223372036854775807, not '-1'
--take 2.5|--take takes a whole number from 0 to 9223372036854775807, not '2.5'
--ratio 0.5 --seed -1|--seed takes a whole number from 0 to 9223372036854775807, not '-1'
--stratify --take 3|--stratify goes with --ratio
--take 3 --rest r.jsonl|--rest goes with --ratio or --shard
--dedupe --rest r.jsonl|--rest goes with --ratio or --shard
--take 3 --threshold 0.9|--threshold goes with --ratio, --shard, --dedupe or --check
--check pool.jsonl --threshold 0.05|--threshold takes a number from 0.1 to 1, not '0.05'
--check pool.jsonl --seed 2|--seed goes with --ratio, --take or --shard
--dedupe --seed 2|--seed goes with --ratio, --take or --shard
--check pool.jsonl --dedupe|--dedupe does not go with --check
EOF
}

# near_pool: 60 unrelated cases of 20 words, with near duplicates planted:
# case, spacing and punctuation changed (n1, n2), the last of 36 words
# changed (n3, n4: similarity 33/35 = 0.94), and a chain of 14 words shifted
# by one (c1 ~ c2 ~ c3 at 11/13 = 0.85) whose ends are apart (10/14 = 0.71).
near_pool() {
    jq -nc 'range(60) | {id: "u\(.)", input: ([range(20) as $w | "w\(. * 100 + $w)"] | join(" "))}'
    printf '%s\n' '{"id":"n1","input":"Which planet in our solar system is known as the Red Planet, and why is it red?"}' \
        '{"id":"n2","input":"which planet in our SOLAR system is known as the red planet and why is it red"}' \
        '{"id":"n3","input":"a b c d e f g h i j k l m n o p q r s t u v w x y z one two three four five six seven eight nine ten"}' \
        '{"id":"n4","input":"a b c d e f g h i j k l m n o p q r s t u v w x y z one two three four five six seven eight nine eleven"}' \
        '{"id":"c1","input":"p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14"}' \
        '{"id":"c2","input":"p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14 p15"}' \
        '{"id":"c3","input":"p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14 p15 p16"}'
}

# side ID: "out" or "rest", where ID went.
side() {
    if grep -q "\"id\":\"$1\"" out.jsonl; then echo out; else echo rest; fi
}

@test "the README's split keeps near duplicates on one side, and --check finds no leak" {
    cp "$EXAMPLES/pool.jsonl" pool.jsonl
    run --separate-stderr ev-split --ratio 0.5 --seed 7 --rest train.jsonl pool.jsonl
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >out.jsonl
    [ "$(side geo-02)" = "$(side geo-11)" ]
    [ "$(side geo-10)" = "$(side geo-12)" ]
    [ "$(side math-06)" = "$(side math-11)" ]
    [[ "$stderr" == *"ev-split: kept 3 groups of near duplicates, 6 cases, each on one side"* ]]
    run --separate-stderr ev-split --check train.jsonl out.jsonl
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "no seed, ratio, shard or stratum puts near duplicates on both sides" {
    near_pool >pool.jsonl
    for seed in 1 2 3 4 5 6 7 8 9 10; do
        for mode in "--ratio 0.5" "--ratio 0.2 --stratify" "--shard 2/3"; do
            ev-split -q $mode --seed "$seed" --rest rest.jsonl pool.jsonl >out.jsonl
            [ $(($(wc -l <out.jsonl) + $(wc -l <rest.jsonl))) -eq 67 ]
            run --separate-stderr ev-split --check rest.jsonl out.jsonl
            [ "$status" -eq 0 ] || fail_with "$mode --seed $seed: $output"
            [ "$(side c1)" = "$(side c3)" ] || fail_with "$mode --seed $seed split the chain"
        done
    done
}

@test "--threshold sets what the split and --dedupe call a near duplicate, as --check does" {
    near_pool >pool.jsonl
    [ "$(ev-split -q --dedupe pool.jsonl | jq -r .id | grep -c '^[nc]')" -eq 4 ]
    [ "$(ev-split -q --dedupe --threshold 0.95 pool.jsonl | jq -r .id | grep -c '^[nc]')" -eq 6 ]
    [ "$(ev-split -q --dedupe --threshold 0.5 pool.jsonl | jq -r .id | grep -c '^[nc]')" -eq 3 ]
    # At 0.95 n3 and n4 are apart; some seed sends them to two sides, and
    # --check at the same threshold still finds nothing.
    local split=0 seed
    for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
        ev-split -q --ratio 0.5 --threshold 0.95 --seed "$seed" --rest rest.jsonl pool.jsonl >out.jsonl
        [ "$(side n3)" = "$(side n4)" ] || split=$((split + 1))
        run --separate-stderr ev-split --check rest.jsonl --threshold 0.95 out.jsonl
        [ "$status" -eq 0 ]
    done
    [ "$split" -gt 0 ]
}

@test "cases added at the end of the pool move no case, and near duplicates join their group's side" {
    near_pool >small.jsonl
    { cat small.jsonl; jq -nc 'range(100) | {id: "v\(.)", input: "new case \(.) about topic \(. * 7)"}'
        echo '{"id":"n5","input":"Which planet in our solar system is known as the red planet - and why is it red?"}'
    } >grown.jsonl
    for seed in 1 2 3 4 5; do
        ev-split -q --ratio 0.4 --seed "$seed" --rest r1.jsonl small.jsonl >o1.jsonl
        ev-split -q --ratio 0.4 --seed "$seed" --rest r2.jsonl grown.jsonl >out.jsonl
        [ "$(ids o1.jsonl)" = "$(comm -12 <(ids out.jsonl) <(ids small.jsonl))" ]
        [ "$(side n5)" = "$(side n1)" ]
    done
}

@test "--help prints the usage of every mode to stdout" {
    run --separate-stderr ev-split --help
    [ "$status" -eq 0 ]
    for opt in --ratio --stratify --take --shard --dedupe --rest --seed --check --threshold --quiet; do
        [[ "$output" == *"$opt"* ]] || fail_with "--help does not mention $opt"
    done
}

@test "the man page examples run as a shell runs them, and do what they say" {
    cp -r "$EXAMPLES" examples
    local n=0 display
    while IFS= read -r -d '' display; do
        n=$((n + 1))
        run --separate-stderr bash -c "set -e -o pipefail"$'\n'"$display" </dev/null
        [ "$status" -eq 0 ] || fail_with "'$display' exited $status: $stderr"
        case $n in
        1)
            [ $(($(wc -l <eval.jsonl) + $(wc -l <train.jsonl))) -eq 40 ]
            between "$(wc -l <eval.jsonl)" 12 28
            # The pool's near duplicates stay together: nothing leaks.
            [ -z "$output" ]
            [ ! -s leaks.jsonl ]
            ;;
        2)
            [ $(($(wc -l <eval.jsonl) + $(wc -l <train.jsonl))) -eq 37 ]
            for tag in extract geo math sentiment trick; do
                grep -q "\"$tag\"" eval.jsonl || fail_with "no '$tag' case held out"
            done
            # Below the split's threshold: questions from one template.
            [ -n "$output" ]
            [ "$output" = "$(jq -r '"\(.eval_id) \(.train_id) \(.similarity)"' leaks.jsonl)" ]
            [ "$(jq -s 'map(.similarity >= 0.5 and .similarity < 0.8) | all' leaks.jsonl)" = true ]
            ;;
        3)
            [ "$(wc -l <train-5.jsonl)" -eq 5 ]
            [ "$(wc -l <train-20.jsonl)" -eq 20 ]
            [ -z "$(comm -23 <(ids train-5.jsonl) <(ids train-10.jsonl))" ]
            [ -z "$(comm -23 <(ids train-10.jsonl) <(ids train-20.jsonl))" ]
            ;;
        4)
            [ "$(cat shard-*.jsonl | ids /dev/stdin)" = "$(ids examples/pool.jsonl)" ]
            [ "$output" -eq 40 ]
            ;;
        esac
    done < <("$BATS_TEST_DIRNAME/../scripts/man-examples" "$BATS_TEST_DIRNAME/../man/ev-split.1")
    [ "$n" -eq 4 ] || fail_with "the man page has $n examples; this test checks 4"
}
