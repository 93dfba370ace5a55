#!/usr/bin/env bats
# ev-view: the review page. The first tests read the data the page embeds;
# the rest open the page in headless Chromium (tests/browser), one browser
# for the whole file, started in a network namespace with no network.
load test_helper

RUN="$BATS_TEST_DIRNAME/fixtures/view-run.jsonl"
BASE="$BATS_TEST_DIRNAME/fixtures/view-base.jsonl"
BROWSER="$BATS_TEST_DIRNAME/browser"

setup_file() {
    export SOCK="$BATS_FILE_TMPDIR/browser.sock"
    export NETNS=0
    local i
    if unshare -rn true 2>/dev/null; then
        NETNS=1
        unshare -rn "$BROWSER" serve "$SOCK" 2>"$BATS_FILE_TMPDIR/browser.err" 3>&- &
    else
        "$BROWSER" serve "$SOCK" 2>"$BATS_FILE_TMPDIR/browser.err" 3>&- &
    fi
    BROWSER_PID=$!
    # The cap only keeps a browser that never starts from hanging the file.
    for ((i = 0; i < 1200; i++)); do
        [ -S "$SOCK" ] || [ -e "$SOCK.failed" ] && break
        kill -0 "$BROWSER_PID" 2>/dev/null || break
        sleep 0.05
    done
}

teardown_file() {
    [ -S "$SOCK" ] && "$BROWSER" call "$SOCK" '{"op":"quit"}' >/dev/null
    wait
}

# data PAGE: the JSON the page embeds.
data() {
    sed -n 's/.*<script type="application\/json" id="ev-data">\(.*\)<\/script>.*/\1/p' "$1"
}

# view ARG...: run ev-view into $BATS_TEST_TMPDIR/page.html, and its data
# into page.json.
view() {
    run --separate-stderr ev-view "$@"
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/page.html"
    data "$BATS_TEST_TMPDIR/page.html" >"$BATS_TEST_TMPDIR/page.json"
}

# pj FILTER: apply a jq filter to the page's data.
pj() {
    jq -c "$1" "$BATS_TEST_TMPDIR/page.json"
}

# pr FILTER: the same, as raw text.
pr() {
    jq -r "$1" "$BATS_TEST_TMPDIR/page.json"
}

# ref TOOL ARG...: another tool of ev, as built, for the figures ev-view must
# agree with (under VALGRIND=1 only ev-view runs under memcheck here).
ref() {
    local tool=$1
    shift
    "$EV_BUILD_BIN/$tool" "$@"
}

# runs [ARG...] FILTER: a jq filter over the two fixture runs, as $b and $c.
runs() {
    jq -nc --slurpfile b "$BASE" --slurpfile c "$RUN" "$@"
}

# --- the browser ---------------------------------------------------------

# need_browser: skip the test, saying why, when Chromium cannot start here.
need_browser() {
    if [ -e "$SOCK.failed" ]; then
        skip "chromium cannot start here: $(cat "$SOCK.failed")"
    fi
    [ -S "$SOCK" ] || fail_with "the browser driver did not start: $(cat "$BATS_FILE_TMPDIR/browser.err")"
}

br() {
    "$BROWSER" call "$SOCK" "$1"
}

# The tests find controls as a person does: by their text or aria-label.
LIB='const ctl = (name, root = document) => [...root.querySelectorAll("button, select, input, textarea")].find(e => (e.getAttribute("aria-label") || e.textContent.trim()) === name);
const card = id => document.querySelector("[data-id=\"" + CSS.escape(id) + "\"]");
const shown = () => Number(document.getElementById("count").dataset.shown);
const choose = (name, value) => { const s = ctl(name); s.value = value; s.dispatchEvent(new Event("change")); };
const type = (el, value) => { el.value = value; el.dispatchEvent(new Event("input", {bubbles: true})); };'

# js EXPR: the value of EXPR in the page, as JSON, with LIB's helpers.
js() {
    br "$(jq -nc --arg e "{ $LIB; $1 }" '{op: "eval", expr: $e}')"
}

# wait_js EXPR: wait until EXPR is true in the page.
wait_js() {
    br "$(jq -nc --arg e "{ $LIB; $1 }" '{op: "wait", expr: $e, timeout: 60}')" >/dev/null
}

# open PAGE: open PAGE from file:// in a browser context of its own, whose
# storage holds no labels of another test, and wait until it has rendered.
open() {
    br "$(jq -nc --arg u "file://$1" '{op: "open", url: $u}')" >/dev/null
    wait_js 'window.evReady === true'
}

# open_beside PAGE: the same, in the context of the page before, which
# shares its storage.
open_beside() {
    br "$(jq -nc --arg u "file://$1" '{op: "open", url: $u, fresh: false}')" >/dev/null
    wait_js 'window.evReady === true'
}

# --- the page's data -----------------------------------------------------

@test "ev-view writes one HTML page with a content security policy and its data in a JSON element" {
    view --baseline "$BASE" "$RUN"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [[ "${output:0:15}" == "<!DOCTYPE html>" ]]
    grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-" "$BATS_TEST_TMPDIR/page.html"
    [ "$(grep -c '<script' "$BATS_TEST_TMPDIR/page.html")" -eq 2 ]
    [ "$(pj '[.runs, .baseline, (.cases | length)]')" = "[[\"$RUN\"],\"$BASE\",38]" ]
}

@test "the script and style on the page are the ones the policy names, by their SHA-256" {
    view "$RUN"
    local page=$BATS_TEST_TMPDIR/page.html js css
    js=$(sed -n '/^<script>/,/^<\/script>/p' "$page" | sed -e '1s/^<script>//' -e '$d' | openssl dgst -sha256 -binary | openssl base64 -A)
    css=$(sed -n '/^<style>/,/^<\/style>/p' "$page" | sed -e '1s/^<style>//' -e '$d' | openssl dgst -sha256 -binary | openssl base64 -A)
    grep -qF "script-src 'sha256-$js'" "$page"
    grep -qF "style-src 'sha256-$css'" "$page"
}

@test "the summary is ev-compare's own report of the same runs, and its cells are ev-compare's table's" {
    view --baseline "$BASE" "$RUN"
    local want
    want=$(ref ev-compare -f json "$BASE" "$RUN" | jq -c 'del(.comparisons[].regressed, .comparisons[].fixed)')
    [ "$(pj .summary)" = "$want" ]
    run ref ev-compare -f table "$BASE" "$RUN"
    local table=$output
    # each comparison: ev-compare's lines from its heading on, word for word
    [ "$(pr '.cells.comparisons[0] | .heading, .lines[]')" = "$(sed -n '/ paired cases/,$p' <<<"$table" | sed 's/^ *//')" ]
    [ "$(pr '.cells.comparisons[0] | [.regressed, .fixed] | join(" ")')" = "$(pr '.summary.comparisons[0] | "\(.regressed_count) \(.fixed_count)"')" ]
    [[ "$(tr -s ' ' <<<"$table")" == *"$(pr '.cells.runs[1] | "\(.run) \(.cases) \(.passes) \(.accuracy) \(.ci) \(.failed) \(.p50) \(.p95) \(.cost)"')"* ]]
}

@test "--goal and --margin give the verdict ev-compare gives" {
    view --baseline "$BASE" --goal match --margin 0.3 "$RUN"
    [ "$status" -eq 0 ]
    [ "$(pj .summary)" = "$(ref ev-compare -f json --goal match --margin 0.3 "$BASE" "$RUN" | jq -c 'del(.comparisons[].regressed, .comparisons[].fixed)')" ]
    [ "$(pj '.summary.comparisons[0].verdict.result')" = '"matches"' ]
    [[ "$(ref ev-compare -f table --goal match --margin 0.3 "$BASE" "$RUN")" == *"$(pr '.cells.comparisons[0].lines[] | select(startswith("verdict: "))')"* ]]
    view --baseline "$BASE" --goal surpass "$RUN"
    [ "$(pj '.summary.comparisons[0].verdict.result')" = '"inconclusive"' ]
    [[ "$(ref ev-compare -f table --goal surpass "$BASE" "$RUN")" == *"$(pr '.cells.comparisons[0].lines[] | select(startswith("verdict: "))')"* ]]
    [ "$(pj .summary.met)" = false ]
}

@test "without a baseline the summary is ev-compare's report of each run, and no case has a status" {
    view "$RUN"
    [ "$status" -eq 0 ]
    [ "$(pj .summary)" = "$(ref ev-compare -f json "$RUN" | jq -c .)" ]
    [ "$(pj '[.cases[] | has("status") or has("base")] | any')" = false ]
}

@test "each case's status is ev-compare's: its regressed and fixed lists and its table's both-fail" {
    view --baseline "$BASE" "$RUN"
    local cmp
    cmp=$(ref ev-compare -f json "$BASE" "$RUN")
    [ "$(pj '[.cases[] | select(.status[0] == "regressed") | .id]')" = "$(jq -c '.comparisons[0].regressed' <<<"$cmp")" ]
    [ "$(pj '[.cases[] | select(.status[0] == "fixed") | .id]')" = "$(jq -c '.comparisons[0].fixed' <<<"$cmp")" ]
    [ "$(pj '[.cases[] | select(.status[0] == "both-fail")] | length')" = "$(jq '.comparisons[0].table.both_fail' <<<"$cmp")" ]
    [ "$(pj '[.cases[] | select(.status[0] == "both-pass")] | length')" = "$(jq '.comparisons[0].table.both_pass' <<<"$cmp")" ]
    [ "$(pj '[.cases[] | select(.status[0] == null) | .id]')" = '["c38","c37"]' ]
}

@test "every case is there once, the candidate's order first, with its input, expected answer and answers" {
    view --baseline "$BASE" "$RUN"
    [ "$(pj '[.cases[].id]')" = "$(runs '[$c[].id] + ([$b[].id] - [$c[].id])')" ]
    [ "$(pj '.cases[] | select(.id == "c04") | [.input, .expected, .tags, .runs[0].output, .base.output]')" = \
        "$(runs '[$c[] | select(.id == "c04")][0] as $x | [$b[] | select(.id == "c04")][0] as $y | [$x.input, $x.expected, $x.tags, $x.output, $y.output]')" ]
    [ "$(pj '.cases[] | select(.id == "c38") | .input')" = '[{"role":"system","content":"Answer in one word."},{"role":"user","content":"Capital of Italy?"}]' ]
    [ "$(pj '.cases[] | select(.id == "c01") | .runs[0] | [.pass, .kind, .reason, .latency_ms, .cost]')" = \
        "$(runs '[$c[] | select(.id == "c01")][0] | [false, "error", .score.reason, null, null]')" ]
    [ "$(pj '.cases[] | select(.id == "c01") | .runs[0].error')" = '"timeout: no answer after 60 s"' ]
}

@test "per tag, cases, failures and regressions are ev-gaps --summary's, and the kinds are ev-gaps'" {
    view --baseline "$BASE" "$RUN"
    [ "$(pj '.tags[0].tags | map({tag, cases, failures, regressions})')" = \
        "$(ref ev-gaps --summary -f json --baseline "$BASE" "$RUN" | jq -c '.tags | map({tag, cases, failures, regressions})')" ]
    local kinds
    kinds=$(ref ev-gaps -q "$RUN" | jq -Ssc '[.[] | (.tags // [] | if length == 0 then ["(untagged)"] else . end)[] as $t | {t: $t, k: .gap.kind}]
        | group_by(.t) | map({tag: .[0].t, kinds: (group_by(.k) | map({key: .[0].k, value: length}) | from_entries)}) | sort_by(.tag)')
    [ "$(jq -Sc '.tags[0].tags | map({tag, kinds: (.kinds | with_entries(select(.value > 0)))}) | sort_by(.tag)' "$BATS_TEST_TMPDIR/page.json")" = "$kinds" ]
    [ "$(pj '.tags[0] | [.cases, .failures]')" = "$(ref ev-gaps --summary -f json "$RUN" | jq -c '[.cases, .failures]')" ]
}

@test "several runs: a column and a status for each, compared with the one baseline" {
    jq -c 'if .id == "c04" then .score.pass = false | .output = "Paris?" else . end' "$RUN" >"$BATS_TEST_TMPDIR/second.jsonl"
    view --baseline "$BASE" "$RUN" "$BATS_TEST_TMPDIR/second.jsonl"
    [ "$status" -eq 0 ]
    [ "$(pj '[(.runs | length), (.summary.runs | length), (.summary.comparisons | length), (.tags | length)]')" = '[2,3,2,2]' ]
    [ "$(pj '.cases[] | select(.id == "c04") | [.status, (.runs | map(.output))]')" = '[["both-pass","regressed"],["Answer 4 is Paris","Paris?"]]' ]
    [ "$(pj .summary)" = "$(ref ev-compare -f json "$BASE" "$RUN" "$BATS_TEST_TMPDIR/second.jsonl" | jq -c 'del(.comparisons[].regressed, .comparisons[].fixed)')" ]
}

@test "a record's markup and script are data: no '<' in the embedded JSON, and the text comes back whole" {
    local hostile='</script><script>alert(1)</script><!--<img src=x onerror=alert(2)>&amp;'
    jq -nc --arg h "$hostile" '{id: $h, input: $h, expected: $h, output: ($h + "\u2028"), tags: [$h], score: {pass: false, value: 0, reason: $h}}' >"$BATS_TEST_TMPDIR/h.jsonl"
    view "$BATS_TEST_TMPDIR/h.jsonl"
    [ "$status" -eq 0 ]
    [ "$(grep -c '<script' "$BATS_TEST_TMPDIR/page.html")" -eq 2 ]
    ! grep -q '<' "$BATS_TEST_TMPDIR/page.json"
    ! grep -q '&' "$BATS_TEST_TMPDIR/page.json"
    [ "$(pj '.cases[0] | [.id, .input, .expected, .tags[0], .runs[0].reason] | unique')" = "$(jq -nc --arg h "$hostile" '[$h]')" ]
    [ "$(pj '.cases[0].runs[0].output')" = "$(jq -nc --arg h "$hostile" '$h + "\u2028"')" ]
}

@test "runs with no case in common: every case, none with a status, and a summary that pairs none" {
    echo '{"id":"x","score":{"pass":true}}' >"$BATS_TEST_TMPDIR/x.jsonl"
    echo '{"id":"y","score":{"pass":false}}' >"$BATS_TEST_TMPDIR/y.jsonl"
    view --baseline "$BATS_TEST_TMPDIR/x.jsonl" "$BATS_TEST_TMPDIR/y.jsonl"
    [ "$status" -eq 0 ]
    [ "$(pj '[.cases[] | [.id, .status[0]]]')" = '[["y",null],["x",null]]' ]
    [ "$(pj '.cells.comparisons[0] | [.paired, .only_in_baseline, .only_in_candidate]')" = '["0","1","1"]' ]
    [ "$(pj .summary)" = "$(ref ev-compare -f json "$BATS_TEST_TMPDIR/x.jsonl" "$BATS_TEST_TMPDIR/y.jsonl" | jq -c .)" ]
    : >"$BATS_TEST_TMPDIR/empty.jsonl"
    view --baseline "$BATS_TEST_TMPDIR/empty.jsonl" "$BATS_TEST_TMPDIR/empty.jsonl"
    [ "$status" -eq 0 ]
    [ "$(pj '.cases')" = '[]' ]
}

@test "the key of the labels is the runs' content: another name keeps it, another line changes it" {
    cp "$RUN" "$BATS_TEST_TMPDIR/copy.jsonl"
    view "$RUN"
    local key
    key=$(pj .key)
    view "$BATS_TEST_TMPDIR/copy.jsonl"
    [ "$(pj .key)" = "$key" ]
    echo '{"id":"new","score":{"pass":true,"value":1}}' >>"$BATS_TEST_TMPDIR/copy.jsonl"
    view "$BATS_TEST_TMPDIR/copy.jsonl"
    [ "$(pj .key)" != "$key" ]
    view --baseline "$BASE" "$RUN"
    [ "$(pj .key)" != "$key" ]
}

@test "--curve draws ev-curve's report: its points, its target and each fit as ev-curve words it" {
    local c=$BATS_TEST_TMPDIR/curve
    printf '%s\n' '{"n":50,"k":150,"N":374}' '{"n":100,"k":170,"N":374}' '{"n":200,"k":195,"N":374}' \
        '{"n":400,"k":218,"N":374}' '{"n":800,"k":247,"N":374}' >"$c.jsonl"
    ref ev-curve -f json -t 0.62 "$c.jsonl" >"$c.json" || true
    view --curve "$c.json" "$RUN"
    [ "$status" -eq 0 ]
    [ "$(pj '[.curve.points[].n]')" = '[50,100,200,400,800]' ]
    [ "$(pj '.curve.target.text')" = '"62.0%"' ]
    run ref ev-curve -f table --quiet -t 0.62 "$c.jsonl"
    local f
    for f in loglinear logit power; do
        [[ "$output" == *"$(pj ".curve.fits[] | select(.model == \"$f\") | .text" | tr -d '"')"* ]] || fail_with "$f"
    done
    # the headline fit's curve goes through its own n*: the target there
    [ "$(pj '.curve.fits[] | select(.primary) | .model')" = '"loglinear"' ]
    [ "$(pj '.curve.fits[0].line | (.[0][1] < .[-1][1])')" = true ]
}

@test "a --curve file that is not an ev-curve report is named, and the page is written without a chart" {
    echo '{"n": 3}' >"$BATS_TEST_TMPDIR/c.json"
    view --curve "$BATS_TEST_TMPDIR/c.json" "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-view: $BATS_TEST_TMPDIR/c.json: not an ev-curve report: it has no 'points'"* ]]
    [ "$(pj .curve)" = null ]
    [ "$(pj '.cases | length')" = 37 ]
    view --curve "$BATS_TEST_TMPDIR/none.json" "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-view: $BATS_TEST_TMPDIR/none.json: cannot read an ev-curve report: "* ]]
}

@test "a bad line is reported as file:line, the page shows every other case, and the exit status is 2" {
    { head -n 3 "$RUN"; echo '{"id": broken'; echo '{"id":"x","score":{"pass":"yes"}}'; tail -n +4 "$RUN"; } >"$BATS_TEST_TMPDIR/bad.jsonl"
    view "$BATS_TEST_TMPDIR/bad.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-view: $BATS_TEST_TMPDIR/bad.jsonl:4: cannot parse record"* ]]
    [[ "$stderr" == *"ev-view: $BATS_TEST_TMPDIR/bad.jsonl:5: 'score.pass' "* ]]
    [ "$(pj '.cases | length')" = 37 ]
    [ "$(pj '[.cases[].id] | index("x")')" = null ]
}

@test "a run that cannot be read writes no page and exits 2" {
    run --separate-stderr ev-view --baseline "$BATS_TEST_TMPDIR/missing.jsonl" "$RUN"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"missing.jsonl"* ]]
}

@test "standard input is a run named '-', in the page and in messages" {
    run --separate-stderr bash -c "{ cat '$RUN'; echo 'not json'; } | ev-view --baseline '$BASE' -"
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-view: -:38: cannot parse record"* ]]
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/page.html"
    data "$BATS_TEST_TMPDIR/page.html" >"$BATS_TEST_TMPDIR/page.json"
    [ "$(pj '[.runs, .summary.comparisons[0].candidate, (.cases | length)]')" = '[["-"],"-",38]' ]
    run --separate-stderr bash -c "ev-view --baseline - - </dev/null"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"standard input can be only one of the runs"* ]]
}

@test "usage errors: no run, --goal without a baseline, --margin without --goal match, a bad goal" {
    run --separate-stderr ev-view
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"name at least one scored run"* ]]
    run --separate-stderr ev-view --goal match "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--goal compares the runs with a baseline"* ]]
    run --separate-stderr ev-view -b "$BASE" -g surpass -M 0.1 "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--margin goes with --goal match"* ]]
    run --separate-stderr ev-view -b "$BASE" -g beat "$RUN"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--goal takes surpass or match, not 'beat'"* ]]
    run --separate-stderr ev-view -b "$BASE" -g match -M 0 "$RUN"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
}

@test "a full disk is an error: exit 2 and a message" {
    run --separate-stderr bash -c "ev-view '$RUN' >/dev/full"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-view: cannot write standard output"* ]]
}

@test "an interrupt while reading ends ev-view with status 130 and no page" {
    local in=$BATS_TEST_TMPDIR/in st=0 pid child=
    mkfifo "$in"
    ev-view - <"$in" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- 4>&- &
    pid=$!
    exec 4>"$in"
    # A megabyte through a 64 KiB pipe: the write ends only once ev-view reads.
    head -c 1000000 /dev/zero | tr '\0' '\n' >&4
    [ "${VALGRIND:-}" != 1 ] || child=$(pgrep -P "$pid" | head -n 1)
    kill -TERM "${child:-$pid}"
    wait "$pid" || st=$?
    exec 4>&-
    [ "$st" -eq 130 ]
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
}

# --- in the browser --------------------------------------------------------

@test "the page opens from file:// with no network, and asks for nothing but itself" {
    need_browser
    [ "$NETNS" = 1 ] || fail_with "unshare -rn does not work here: the browser has the machine's network"
    [ "$(br '{"op":"interfaces"}')" = '["lo"]' ]
    view --baseline "$BASE" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'document.querySelectorAll("[data-id]").length > 0')" = true ]
    local line
    line=$(ref ev-compare -f table "$BASE" "$RUN" | sed -n 's/^  \(accuracy .*(tango)\)$/\1/p')
    [ -n "$line" ]
    [ "$(js "document.getElementById('summary').textContent.includes($(jq -nc --arg l "$line" '$l'))")" = true ]
    [ "$(br '{"op":"events"}')" = "{\"requests\":[\"file://$BATS_TEST_TMPDIR/page.html\"],\"log\":[],\"exceptions\":[],\"console\":[]}" ]
    # The check can fail: a page that loads an image is seen asking for it.
    printf '<img src="http://192.0.2.1/x.png">' >"$BATS_TEST_TMPDIR/control.html"
    br "$(jq -nc --arg u "file://$BATS_TEST_TMPDIR/control.html" '{op: "open", url: $u}')"
    [[ "$(br '{"op":"events"}')" == *'"http://192.0.2.1/x.png"'* ]]
}

@test "the filters show as many cases as jq counts in the runs" {
    need_browser
    view --baseline "$BASE" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    local fails='def fails: (.error != null) or (.score.pass != true);'
    local want
    for f in "regressed:[\$c[] | . as \$x | select(fails) | select(any(\$b[]; .id == \$x.id and (fails | not)))] | length" \
        "fixed:[\$c[] | . as \$x | select(fails | not) | select(any(\$b[]; .id == \$x.id and fails))] | length" \
        "both-fail:[\$c[] | . as \$x | select(fails) | select(any(\$b[]; .id == \$x.id and fails))] | length" \
        "all failures:[\$c[] | select(fails)] | length" \
        "every case:[\$c[].id, \$b[].id] | unique | length"; do
        want=$(runs "$fails ${f#*:}")
        [ "$(js "ctl(\"${f%%:*}\").click(); shown()")" = "$want" ] || fail_with "${f%%:*}: want $want"
    done
    # by tag, over every case
    want=$(runs '[($c + $b) | group_by(.id)[] | .[0] | select((.tags // []) | index("hard"))] | length')
    [ "$(js 'choose("tag", "hard"); shown()')" = "$want" ]
    want=$(runs '[($c + $b) | group_by(.id)[] | .[0] | select((.tags // []) == [])] | length')
    [ "$(js 'choose("tag", "(untagged)"); shown()')" = "$want" ]
    # by failure kind, as ev-gaps finds it
    js 'choose("tag", ""); ctl("all failures").click()' >/dev/null
    for k in error truncated refusal format wrong; do
        want=$(ref ev-gaps -q "$RUN" | jq -s --arg k "$k" '[.[] | select(.gap.kind == $k)] | length')
        [ "$(js "choose(\"failure kind\", \"$k\"); shown()")" = "$want" ] || fail_with "$k: want $want"
    done
    # a search over id, input and outputs, in any case
    js 'choose("failure kind", ""); ctl("every case").click()' >/dev/null
    for q in LYON c1 capital "can't help" "line 29 of" italy; do
        want=$(runs --arg q "$q" '[($c + $b) | group_by(.id)[] | select(any(.[];
            [.id, (.input | if type == "string" then . else map(.content) | join("\n") end), .output // ""]
            | map(ascii_downcase) | any(contains($q | ascii_downcase))))] | length')
        [ "$(js "type(ctl(\"search\"), $(jq -nc --arg q "$q" '$q')); shown()")" = "$want" ] || fail_with "search '$q': want $want"
    done
    # the cases on the page are those ids
    js 'type(ctl("search"), ""); ctl("regressed").click()' >/dev/null
    [ "$(js '[...document.querySelectorAll("#cases [data-id]")].map(e => e.dataset.id)')" = \
        "$(ref ev-compare -f json "$BASE" "$RUN" | jq -c '.comparisons[0].regressed')" ]
}

@test "labels, a corrected answer, a note and the reviewer go into window.evExport(), and survive a reload" {
    need_browser
    view --baseline "$BASE" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'window.evExport()')" = '""' ]
    js 'ctl("every case").click(); ctl("expected-wrong", card("c05")).click(); type(ctl("corrected answer", card("c05")), "Paris, France"); ctl("model-wrong", card("c01")).click(); type(ctl("note", card("c01")), "timed out"); ctl("ok", card("c09")).click(); ctl("ok", card("c09")).click(); type(ctl("reviewer"), "ann")' >/dev/null
    local want='{"id":"c01","label":"model-wrong","note":"timed out","reviewer":"ann"}
{"id":"c05","label":"expected-wrong","corrected":"Paris, France","reviewer":"ann"}'
    [ "$(js 'window.evExport()' | jq -r .)" = "$want" ]
    br '{"op":"reload"}' >/dev/null
    wait_js 'window.evReady === true'
    [ "$(js 'window.evExport()' | jq -r .)" = "$want" ]
    js 'ctl("every case").click()' >/dev/null
    [ "$(js 'ctl("expected-wrong", card("c05")).getAttribute("aria-pressed") + ctl("corrected answer", card("c05")).value + ctl("reviewer").value')" = '"trueParis, Franceann"' ]
    # another set of runs has labels of its own
    jq -c 'if .id == "c05" then .output = "Paris." else . end' "$RUN" >"$BATS_TEST_TMPDIR/other.jsonl"
    view --baseline "$BASE" "$BATS_TEST_TMPDIR/other.jsonl"
    open_beside "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'window.evExport()')" = '""' ]
}

@test "keys: j and k move between cases, 1 to 4 label the current one, 0 takes its label away" {
    need_browser
    view --baseline "$BASE" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    js 'ctl("all failures").click()' >/dev/null
    local ids
    ids=$(js '[...document.querySelectorAll("#cases [data-id]")].slice(0, 3).map(e => e.dataset.id)')
    for k in j j j k; do br "{\"op\":\"key\",\"key\":\"$k\"}" >/dev/null; done
    [ "$(js 'document.querySelector(".case.current").dataset.id')" = "$(jq -c '.[1]' <<<"$ids")" ]
    [ "$(js 'document.activeElement.dataset.id')" = "$(jq -c '.[1]' <<<"$ids")" ]
    br '{"op":"key","key":"2"}' >/dev/null
    br '{"op":"key","key":"j"}' >/dev/null
    br '{"op":"key","key":"4"}' >/dev/null
    br '{"op":"key","key":"0"}' >/dev/null
    br '{"op":"key","key":"1"}' >/dev/null
    [ "$(js 'window.evExport()' | jq -r . | jq -sc 'map([.id, .label])')" = \
        "$(jq -c '[[.[1], "expected-wrong"], [.[2], "model-wrong"]]' <<<"$ids")" ]
    br '{"op":"key","key":"/"}' >/dev/null
    [ "$(js 'document.activeElement === ctl("search")')" = true ]
}

@test "the differences from the expected answer are highlighted, and a long answer folds" {
    need_browser
    view --baseline "$BASE" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    js 'ctl("every case").click()' >/dev/null
    [ "$(js '[...card("c05").querySelectorAll("mark.add")].map(m => m.textContent)')" = '["Lyon"]' ]
    [ "$(js '[...card("c05").querySelectorAll("mark.miss")].map(m => m.textContent)')" = '["Paris"]' ]
    [ "$(js 'card("c04").querySelectorAll("mark").length')" = 0 ]
    [ "$(js 'card("c02").querySelector("pre.folded") !== null')" = true ]
    js 'ctl("unfold", card("c02")).click()' >/dev/null
    [ "$(js 'card("c02").querySelector("pre.folded") === null && ctl("fold", card("c02")) !== undefined')" = true ]
}

@test "hostile outputs leave the page unchanged: no new element, no script run, no policy report" {
    need_browser
    local dir=$BATS_TEST_TMPDIR/'<i>runs</i>'
    mkdir -p "$dir"
    jq -nc '
        {id: "<img src=x onerror=\"window.pwned=1\">", input: "</script><script>window.pwned=2</script>", expected: "{{7*7}} ${7*7}",
         output: "<a href=\"javascript:window.pwned=3\">click</a><svg onload=\"window.pwned=4\"></svg>",
         tags: ["<b>bold</b>", "__proto__"], score: {pass: false, value: 0, reason: "<iframe srcdoc=\"<script>window.pwned=5</script>\"></iframe>"}},
        {id: "__proto__", input: "<!--", expected: "x", output: "javascript:window.pwned=6", error: {kind: "<u>k</u>", message: "<style>body{display:none}</style>"}},
        {id: "constructor", input: [{role: "<b>r</b>", content: "<script>window.pwned=7</script>"}], expected: {a: "<b>"}, output: "{{constructor.constructor(\"window.pwned=8\")()}}", score: {pass: false, value: 0}}' \
        >"$dir/run<b>.jsonl"
    view "$dir/run<b>.jsonl"
    [ "$status" -eq 0 ]
    open "$BATS_TEST_TMPDIR/page.html"
    js 'ctl("every case").click(); ctl("ok", card("__proto__")).click(); ctl("expected-wrong", card("constructor")).click()' >/dev/null
    [ "$(js 'window.pwned === undefined')" = true ]
    [ "$(js '["img", "iframe", "svg", "a", "b", "i", "u", "style"].map(t => document.querySelectorAll(t).length)')" = '[0,0,0,0,0,0,0,1]' ]
    [ "$(js 'document.scripts.length')" = 2 ]
    [ "$(js '[...document.querySelectorAll("*")].some(e => [...e.attributes].some(a => a.name.startsWith("on") || /javascript:/i.test(a.value) && a.name !== "data-id"))')" = false ]
    [ "$(js 'const t = document.getElementById("cases").textContent; t.includes("{{7*7}} ${7*7}") && !t.includes("49")')" = true ]
    [ "$(js 'card("<img src=x onerror=\"window.pwned=1\">").textContent.includes("</script><script>window.pwned=2</script>")')" = true ]
    [ "$(js 'document.title')" = "\"ev-view: $dir/run<b>.jsonl\"" ]
    [ "$(js 'window.evExport()' | jq -r .)" = '{"id":"__proto__","label":"ok"}
{"id":"constructor","label":"expected-wrong"}' ]
    [ "$(br '{"op":"events"}' | jq -c '[.log, .exceptions, .console]')" = '[[],[],[]]' ]
    # The check can fail: markup put in by hand is refused by the policy, and reported.
    js 'document.addEventListener("securitypolicyviolation", () => { window.refused = true; }); document.body.insertAdjacentHTML("beforeend", "<img src=x onerror=\"window.pwned=9\">"); 1' >/dev/null
    wait_js 'window.refused === true'
    [ "$(js 'window.pwned === undefined')" = true ]
    [[ "$(br '{"op":"events"}' | jq -c '.log')" == *"Content Security Policy"* ]]
}

@test "the export button downloads review.jsonl, the text window.evExport() returns" {
    need_browser
    view --baseline "$BASE" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    mkdir -p "$BATS_TEST_TMPDIR/dl"
    br "$(jq -nc --arg d "$BATS_TEST_TMPDIR/dl" '{op: "downloads", dir: $d}')" >/dev/null
    js 'ctl("every case").click(); ctl("ambiguous", card("c03")).click(); ctl("export review.jsonl").click()' >/dev/null
    local i
    for ((i = 0; i < 600; i++)); do
        [ -s "$BATS_TEST_TMPDIR/dl/review.jsonl" ] && break
        sleep 0.1
    done
    [ "$(cat "$BATS_TEST_TMPDIR/dl/review.jsonl")" = '{"id":"c03","label":"ambiguous"}' ]
}

@test "the learning curve is drawn from --curve: a point per size, the target and the headline fit" {
    need_browser
    local c=$BATS_TEST_TMPDIR/curve
    printf '%s\n' '{"n":50,"k":150,"N":374}' '{"n":100,"k":170,"N":374}' '{"n":200,"k":195,"N":374}' >"$c.jsonl"
    ref ev-curve -f json -t 0.7 "$c.jsonl" >"$c.json" || true
    view --curve "$c.json" "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js '[document.querySelectorAll("#curve circle.point").length, document.querySelectorAll("#curve line.target").length, document.querySelectorAll("#curve path.fit:not(.other)").length]')" = '[3,1,1]' ]
    [ "$(js '[...document.querySelectorAll("#curve svg text")].map(t => t.textContent).filter(t => /^[0-9]+$/.test(t))')" = '["50","100","200"]' ]
    view "$RUN"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'document.getElementById("curve").hidden')" = true ]
}

@test "a page that pairs no case, and one with no case at all, open and say so" {
    need_browser
    echo '{"id":"x","score":{"pass":true}}' >"$BATS_TEST_TMPDIR/x.jsonl"
    echo '{"id":"y","score":{"pass":false}}' >"$BATS_TEST_TMPDIR/y.jsonl"
    view --baseline "$BATS_TEST_TMPDIR/x.jsonl" "$BATS_TEST_TMPDIR/y.jsonl"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'document.getElementById("summary").textContent.includes("0 paired cases (left out: 1 only in the baseline, 1 only in the candidate)the runs have no scored case id in common: there is nothing to compare and no verdict")')" = true ]
    : >"$BATS_TEST_TMPDIR/empty.jsonl"
    view "$BATS_TEST_TMPDIR/empty.jsonl"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'document.getElementById("count").textContent')" = '"0 of 0 cases"' ]
    [ "$(br '{"op":"events"}' | jq -c '[.exceptions, .console]')" = '[[],[]]' ]
}

@test "ten thousand cases open and render, the list a few cases at a time" {
    need_browser
    # The built tools, not memcheck's wrappers: this test is of the page.
    "$BATS_TEST_DIRNAME/../scripts/gen-cases" 10000 1 | "$EV_BUILD_BIN/ev-score" -q >"$BATS_TEST_TMPDIR/b.jsonl"
    "$BATS_TEST_DIRNAME/../scripts/gen-cases" 10000 2 | "$EV_BUILD_BIN/ev-score" -q >"$BATS_TEST_TMPDIR/c.jsonl"
    "$EV_BUILD_BIN/ev-view" --baseline "$BATS_TEST_TMPDIR/b.jsonl" "$BATS_TEST_TMPDIR/c.jsonl" >"$BATS_TEST_TMPDIR/page.html"
    open "$BATS_TEST_TMPDIR/page.html"
    [ "$(js 'shown()')" = "$(jq -s '[.[] | select(.score.pass | not)] | length' "$BATS_TEST_TMPDIR/c.jsonl")" ]
    [ "$(js 'document.querySelectorAll("#cases [data-id]").length < 200')" = true ]
    js 'ctl("every case").click(); window.scrollTo(0, document.body.scrollHeight)' >/dev/null
    wait_js 'document.querySelectorAll("#cases [data-id]").length > 40'
    [ "$(js 'shown()')" = 10000 ]
}
