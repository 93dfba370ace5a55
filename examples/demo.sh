#!/usr/bin/env bash
# make demo: the part of the eval cycle ev runs today, offline, on the bundled
# example. Each step prints the command it runs, so you can learn the pipeline
# by watching and copy any line into your own shell.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${EV_BIN:=$here/../bin}"
PATH="$EV_BIN:$PATH"
out="$here/../bin/demo"
rm -rf "$out"
mkdir -p "$out"
cd "$here/.."

step() {
    printf '\n== %s\n' "$1"
}
show() {
    printf '$ %s\n' "$*"
    eval "$@"
}

step "1. Split the pool of cases: half to eval, half to training, each tag on both sides"
show ev-split --stratify --ratio 0.5 --seed 7 --rest "$out/train.jsonl" examples/pool.jsonl '>' "$out/eval.jsonl"
wc -l "$out/eval.jsonl" "$out/train.jsonl"

step "2. Make sure no eval case leaks into the training set"
show ev-split --check "$out/train.jsonl" "$out/eval.jsonl" '>' "$out/leaks.jsonl" || true
echo "leaks found: $(wc -l <"$out/leaks.jsonl")"

step "3. Learning-curve sets are nested: the first 5 training cases are inside the first 10"
show ev-split --take 5 "$out/train.jsonl" '>' "$out/train5.jsonl"
show ev-split --take 10 "$out/train.jsonl" '>' "$out/train10.jsonl"

step "4. Score a model's recorded answers against the expected ones"
show ev-score examples/capitals.jsonl '>' "$out/scored.jsonl"

step "5. The same answers, forgiving case, spacing and punctuation"
show ev-score --ignore-case --ignore-space --ignore-punct examples/capitals.jsonl '>' "$out/scored-lenient.jsonl"

step "6. The failures, with the scorer's reason, for the person who reviews them"
show jq -r "'select(.score.pass | not) | \"\\(.id)\\t\\(.score.reason)\"'" "$out/scored.jsonl"

printf '\nEverything is in %s\n' "$out"
