#!/usr/bin/env bash
# make demo: the whole eval-driven fine-tuning cycle, offline, in under a
# minute. ev-mock stands in for the providers: its "big" model is right about
# 60% of the time and its "small" model learns from the examples it is
# fine-tuned on, through Together's fine-tuning and serving flow. Both are a
# SIMULATION, there to show the mechanics of the loop; every command is the
# one you would run against real models.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${EV_BIN:=$here/../bin}"
export PATH="$EV_BIN:$PATH"
out="$(cd "$here/.." && pwd)/bin/demo"
rm -rf "$out"
mkdir -p "$out"
export EV_CACHE_DIR="$out/cache"
# ev-mock takes any key; real providers need yours.
export OPENAI_API_KEY=demo-key TOGETHER_API_KEY=demo-key

cd "$out"
loop() {
    # MAKEFLAGS is cleared so the loop prints every command it runs, even
    # under an outer 'make -s'.
    MAKEFLAGS= make --no-print-directory -f "$here/loop/Makefile" OUT=run "$@"
}
loop run/all.jsonl >/dev/null
echo "== 0. Start ev-mock, a local model server (a SIMULATION of a big and a small model)"
echo "\$ ev-mock --port 0 --cases all.jsonl --model-accuracy big=0.6 --learner small &"
ev-mock --port 0 --cases run/all.jsonl --model-accuracy big=0.6 --learner small \
    --job-ms 100 --deploy-ms 100 --quiet >"$out/mock.port" 2>"$out/mock.log" 3>&- &
mock=$!
trap 'kill "$mock" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    [ -s "$out/mock.port" ] && break
    sleep 0.1
done
port=$(head -n 1 "$out/mock.port")
[ -n "$port" ] || { echo "ev-mock did not start: $(cat "$out/mock.log")" >&2; exit 2; }
echo "listening on 127.0.0.1:$port"
echo

url="http://127.0.0.1:$port"
loop PROVIDER=together MODEL_BIG=big BIG_URL="$url/v1" MODEL_SMALL=small TUNE_BASE=small \
    SMALL_URL="$url/together/v1" POLL_MS=100 PRICES="$here/loop/prices.jsonl" loop
echo
last=$(tail -n 1 run/curve-runs | cut -d= -f2)
echo "== Review what changed, label the failures: open run/review.html in a browser"
echo "\$ ev-view --baseline run/base.jsonl $last > run/review.html"
ev-view --baseline run/base.jsonl "$last" >run/review.html
echo
echo "Everything is in $out/run; the chart is $out/run/curve.svg, the review page $out/run/review.html."
echo "Against real models: export TOGETHER_API_KEY=... OPENAI_API_KEY=...; make -C examples/loop loop POOL=..."
