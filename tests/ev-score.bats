#!/usr/bin/env bats
# ev-score: every scorer, per-case assertions, failed calls, and the examples
# of ev-score(1).
load test_helper

# got ID FIELD: the score field FIELD of the record with id ID in $output.
got() {
    printf '%s\n' "$output" | jq -c --arg id "$1" "select(.id == \$id) | .score.$2"
}

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL
}

teardown() {
    ev_mock_stop_all
}

# reason ID: the score's reason of record ID, as raw text.
reason() {
    printf '%s\n' "$output" | jq -r --arg id "$1" 'select(.id == $id) | .score.reason'
}

# --- exact ---------------------------------------------------------------

@test "exact passes an identical output and fails another with both texts in the reason" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"same","expected":"Paris","output":"Paris"}
{"id":"other","expected":"Paris","output":"Lyon"}
EOF
    [ "$status" -eq 0 ]
    [ "$(got same pass)" = true ]
    [ "$(got same value)" = 1 ]
    [ "$(got same scorer)" = '"exact"' ]
    [ "$(reason same)" = "exact match" ]
    [ "$(got other pass)" = false ]
    [ "$(got other value)" = 0 ]
    [ "$(reason other)" = "expected 'Paris', got 'Lyon'" ]
}

@test "every score has pass, value, scorer and reason, in that order" {
    run --separate-stderr ev-score -q "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field '.score | keys_unsorted - ["parsed"]' | sort -u)" = '["pass","value","scorer","reason"]' ]
}

@test "exact compares Unicode text as it is, and -i folds case outside ASCII too" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"same","expected":"Brasília","output":"Brasília"}
{"id":"case","expected":"Brasília","output":"BRASÍLIA"}
{"id":"accent","expected":"Brasília","output":"Brasilia"}
EOF
    [ "$(got same pass)" = true ]
    [ "$(got case pass)" = false ]
    [ "$(got accent pass)" = false ]
    run --separate-stderr ev-score -q -i <<'EOF'
{"id":"case","expected":"Brasília","output":"BRASÍLIA"}
{"id":"accent","expected":"Brasília","output":"Brasilia"}
EOF
    [ "$(got case pass)" = true ]
    [ "$(got accent pass)" = false ]
}

@test "exact fails an empty output against an answer, and passes it against an empty answer" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"empty","expected":"Paris","output":""}
{"id":"both","expected":"","output":""}
EOF
    [ "$(got empty pass)" = false ]
    [ "$(reason empty)" = "expected 'Paris', got ''" ]
    [ "$(got both pass)" = true ]
}

@test "-i, -w and -p forgive case, surrounding and repeated blanks, and punctuation" {
    input='{"id":"x","expected":"New York","output":"  new   york!\n"}'
    run --separate-stderr ev-score -q <<<"$input"
    [ "$(got x pass)" = false ]
    run --separate-stderr ev-score -q -i -w <<<"$input"
    [ "$(got x pass)" = false ]
    run --separate-stderr ev-score -q --ignore-case --ignore-space --ignore-punct <<<"$input"
    [ "$(got x pass)" = true ]
    run --separate-stderr ev-score -q -iwp <<<"$input"
    [ "$(got x pass)" = true ]
}

@test "an array expected accepts any of its elements, and the reason counts the others" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"any","expected":["red","blue","yellow"],"output":"blue"}
{"id":"none","expected":["red","blue","yellow"],"output":"green"}
EOF
    [ "$(got any pass)" = true ]
    [ "$(got none pass)" = false ]
    [ "$(reason none)" = "expected 'red' or 2 others, got 'green'" ]
}

@test "a number expected is compared with the output read as JSON: 4 matches '4' and '4.0', not 'four'" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"digits","expected":4,"output":"4"}
{"id":"decimal","expected":4,"output":" 4.0 "}
{"id":"words","expected":4,"output":"four"}
{"id":"number","expected":4,"output":4}
{"id":"text","expected":"4","output":4}
EOF
    [ "$(got digits pass)" = true ]
    [ "$(got decimal pass)" = true ]
    [ "$(got words pass)" = false ]
    [ "$(reason words)" = "expected 4, got 'four'" ]
    [ "$(got number pass)" = true ]
    [ "$(got text pass)" = true ]
}

@test "an object expected matches JSON output whatever its key order" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"order","expected":{"a":1,"b":[1,2]},"output":"{\"b\":[1,2],\"a\":1}"}
{"id":"differs","expected":{"a":1},"output":"{\"a\":2}"}
EOF
    [ "$(got order pass)" = true ]
    [ "$(got differs pass)" = false ]
}

@test "a long output is quoted cut short in the reason" {
    long=$(printf 'word %.0s' $(seq 1 200))
    run --separate-stderr ev-score -q <<<"{\"id\":\"long\",\"expected\":\"short\",\"output\":\"$long\"}"
    r=$(reason long)
    [[ "$r" == "expected 'short', got 'word word "*"...'" ]]
    [ "${#r}" -lt 80 ]
}

@test "a reason shows newlines and tabs in quoted texts as \\n and \\t, on one line" {
    run --separate-stderr ev-score -q <<<'{"id":"nl","expected":"Cairo","output":"\tCairo\n"}'
    [ "$(reason nl)" = "expected 'Cairo', got '\\tCairo\\n'" ]
}

@test "the expected answer is read from 'ideal', 'target' and the chat 'messages' format" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"ideal","ideal":"Paris","output":"Paris"}
{"id":"target","target":"Paris","output":"Lyon"}
{"id":"chat","messages":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"}],"output":"Paris"}
EOF
    [ "$status" -eq 0 ]
    [ "$(got ideal pass)" = true ]
    [ "$(got target pass)" = false ]
    [ "$(got chat pass)" = true ]
}

# --- records that cannot pass -------------------------------------------

@test "a record whose call failed fails with value 0 and reason 'call failed', whatever its scorer" {
    run --separate-stderr ev-score -q -s not-contains:zzz <<'EOF'
{"id":"failed","expected":"Rome","error":{"kind":"http","status":500,"message":"server error","attempts":5}}
{"id":"asserted","expected":"Rome","error":{"kind":"timeout"},"assert":"jq:true"}
{"id":"fine","expected":"Rome","output":"Rome","error":null}
EOF
    [ "$status" -eq 0 ]
    [ "$(got failed pass)" = false ]
    [ "$(got failed value)" = 0 ]
    [ "$(reason failed)" = "call failed" ]
    [ "$(got failed scorer)" = '"not-contains:zzz"' ]
    [ "$(reason asserted)" = "call failed" ]
    [ "$(got fine pass)" = true ]
}

@test "a record with no output, or a null one, fails with reason 'no output', even when negated" {
    run --separate-stderr ev-score -q -s not-exact <<'EOF'
{"id":"missing","expected":"Rome"}
{"id":"null","expected":"Rome","output":null}
EOF
    [ "$status" -eq 0 ]
    [ "$(got missing pass)" = false ]
    [ "$(reason missing)" = "no output" ]
    [ "$(got null pass)" = false ]
    [ "$(got null value)" = 0 ]
}

@test "a record with nothing to compare with is an error naming what is missing, and the run goes on" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"lost","input":"Capital of Peru?","output":"Lima"}
{"id":"null","expected":null,"output":"Lima"}
{"id":"fine","expected":"Lima","output":"Lima"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-score: -:1: cannot score record: no 'expected' for scorer 'exact'"* ]]
    [[ "$stderr" == *"-:2: cannot score record: no 'expected'"* ]]
    [ "$(field .id)" = '"fine"' ]
}

@test "a record with no expected answer is told where ev looks for one: 'ideal', 'target', 'messages'" {
    run --separate-stderr ev-score -q <<<'{"id":"a","output":"Lima"}'
    [ "$status" -eq 2 ]
    [ "$stderr" = "ev-score: -:1: cannot score record: no 'expected' for scorer 'exact' (nor its aliases 'ideal' and 'target', nor 'messages' ending with the assistant's answer)" ]
}

@test "records with no output are scored as failures, and the run says once that ev-call comes first" {
    for i in $(seq 1 12); do echo "{\"id\":\"q$i\",\"input\":\"$i?\",\"expected\":\"$i\"}"; done \
        >"$BATS_TEST_TMPDIR/cases.jsonl"
    run --separate-stderr ev-score "$BATS_TEST_TMPDIR/cases.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field .score.reason | sort -u)" = '"no output"' ]
    [ "$stderr" = "ev-score: no record has an 'output' to score: ev-call comes first, as in 'ev-call -m MODEL cases.jsonl | ev-score'
ev-score: 12 records, 0 passed (0.0%), 12 with no output" ]
    # a run where calls failed, or where some records have answers, is no such mistake
    run --separate-stderr ev-score "$FIXTURES/cases.jsonl" "$BATS_TEST_TMPDIR/cases.jsonl"
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 18 records, 3 passed (16.7%), 12 with no output" ]
    run --separate-stderr ev-score <<<'{"id":"a","error":{"kind":"http"}}'
    [ "$stderr" = "ev-score: 1 records, 0 passed (0.0%)" ]
}

@test "the summary on stderr counts records and passes, and --quiet silences it" {
    run --separate-stderr ev-score "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 6 records, 3 passed (50.0%)" ]
    run --separate-stderr ev-score --quiet "$FIXTURES/cases.jsonl"
    [ -z "$stderr" ]
}

# --- contains, icontains, starts-with -----------------------------------

@test "contains:TEXT passes when the output holds the text, and not-contains flips it" {
    run --separate-stderr ev-score -q -s contains:Paris <<'EOF'
{"id":"in","output":"The capital is Paris."}
{"id":"out","output":"The capital is Lyon."}
EOF
    [ "$(got in pass)" = true ]
    [ "$(reason in)" = "contains 'Paris'" ]
    [ "$(got out pass)" = false ]
    [ "$(reason out)" = "no 'Paris' in 'The capital is Lyon.'" ]
    run --separate-stderr ev-score -q -s not-contains:Paris <<'EOF'
{"id":"in","output":"The capital is Paris."}
{"id":"out","output":"The capital is Lyon."}
EOF
    [ "$(got in pass)" = false ]
    [ "$(got in scorer)" = '"not-contains:Paris"' ]
    [ "$(reason in)" = "negated: contains 'Paris'" ]
    [ "$(got out pass)" = true ]
    [ "$(got out value)" = 1 ]
}

@test "icontains ignores case, also outside ASCII, and contains does not" {
    run --separate-stderr ev-score -q -s icontains:zürich <<'EOF'
{"id":"upper","output":"Ich wohne in ZÜRICH."}
EOF
    [ "$(got upper pass)" = true ]
    run --separate-stderr ev-score -q -s contains:zürich <<'EOF'
{"id":"upper","output":"Ich wohne in ZÜRICH."}
EOF
    [ "$(got upper pass)" = false ]
}

@test "contains with no value looks for the expected answer, any of a list" {
    run --separate-stderr ev-score -q -s contains <<'EOF'
{"id":"one","expected":"Paris","output":"It is Paris, of course."}
{"id":"list","expected":["Lyon","Nice"],"output":"Nice is lovely."}
{"id":"none","expected":["Lyon","Nice"],"output":"Paris."}
EOF
    [ "$(got one pass)" = true ]
    [ "$(got list pass)" = true ]
    [ "$(reason none)" = "no 'Lyon' or 1 other in 'Paris.'" ]
}

@test "starts-with ignores blanks before the output and checks its start" {
    run --separate-stderr ev-score -q -s starts-with:Yes <<'EOF'
{"id":"yes","output":"\n  Yes, it is."}
{"id":"no","output":"No. Yes."}
EOF
    [ "$(got yes pass)" = true ]
    [ "$(got no pass)" = false ]
    [ "$(reason no)" = "'No. Yes.' does not start with 'Yes'" ]
}

# --- regex ---------------------------------------------------------------

@test "regex matches POSIX extended patterns, Unicode included" {
    run --separate-stderr ev-score -q -s 'regex:^(Paris|Lyon)[.!]?$' <<'EOF'
{"id":"paris","output":"Paris!"}
{"id":"lyon","output":"Lyon"}
{"id":"nice","output":"Nice"}
EOF
    [ "$(got paris pass)" = true ]
    [ "$(got lyon pass)" = true ]
    [ "$(got nice pass)" = false ]
    [ "$(reason nice)" = "'Nice' does not match /^(Paris|Lyon)[.!]?$/" ]
    run --separate-stderr ev-score -q -s 'regex:^é+$' <<<'{"id":"e","output":"ééé"}'
    [ "$(got e pass)" = true ]
}

@test "a bad regex is a usage error with the library's message" {
    run --separate-stderr ev-score -s 'regex:(' </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"ev-score: bad scorer 'regex:(': bad regex '(': unmatched ( or \\("* ]]
    [[ "$stderr" == *"try 'ev-score --help'"* ]]
}

@test "a regex too big once its repetitions are written out is refused, not compiled" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"ok","output":"aaa","assert":"regex:^(a{1,20}|b+){1,30}$"}
{"id":"plus","output":"aaa","assert":"regex:a++++++++++++++++++++++++++++++++++++++++"}
{"id":"nest","output":"aaa","assert":"regex:((a{1,100}){1,100}){1,100}"}
{"id":"nomin","output":"aaa","assert":"regex:(((a{,100}){,100}){,100}){,100}"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:4: cannot score record: bad 'assert': bad regex '(((a{,100}){,100}){,100}){,100}': too many"* ]]
    [ "$(got ok pass)" = true ]
    [[ "$stderr" == *"-:2: cannot score record: bad 'assert': bad regex 'a+++"*"': too many repetitions, over 4096 pieces written out"* ]]
    [[ "$stderr" == *"-:3: cannot score record: bad 'assert': bad regex '((a{1,100}){1,100}){1,100}': too many"* ]]
}

@test "regex with no value takes each record's expected answer as its pattern" {
    run --separate-stderr ev-score -q -s regex <<'EOF'
{"id":"a","expected":"^4[0-9]$","output":"42"}
{"id":"b","expected":"^4[0-9]$","output":"52"}
{"id":"bad","expected":"[","output":"52"}
EOF
    [ "$status" -eq 2 ]
    [ "$(got a pass)" = true ]
    [ "$(got b pass)" = false ]
    [[ "$stderr" == *"-:3: cannot score record: bad regex '['"* ]]
}

# --- number --------------------------------------------------------------

@test "number reads the first number of the output, with separators, signs and decimals" {
    run --separate-stderr ev-score -q -s number <<'EOF'
{"id":"sep","expected":1234.5,"output":"The answer is 1,234.5."}
{"id":"neg","expected":-3,"output":"It drops to -3 degrees."}
{"id":"dec","expected":0.5,"output":"About 0.50 of it"}
{"id":"pct","expected":50,"output":"50%"}
{"id":"wrong","expected":56,"output":"7 times 8 is 54"}
EOF
    [ "$status" -eq 0 ]
    [ "$(got sep pass)" = true ]
    [ "$(reason sep)" = "got 1234.5" ]
    [ "$(got neg pass)" = true ]
    [ "$(got dec pass)" = true ]
    [ "$(got pct pass)" = true ]
    [ "$(got wrong pass)" = false ]
    [ "$(reason wrong)" = "expected 56, got 7" ]
}

@test "number reads numbers written in English words" {
    run --separate-stderr ev-score -q -s number <<'EOF'
{"id":"four","expected":4,"output":"There are four."}
{"id":"21","expected":21,"output":"Twenty-one"}
{"id":"305","expected":305,"output":"three hundred and five"}
{"id":"1200","expected":1200,"output":"one thousand two hundred"}
EOF
    [ "$(field .score.pass | sort -u)" = true ]
}

@test "number:TOLERANCE accepts answers within an absolute tolerance" {
    run --separate-stderr ev-score -q -s number:0.01 <<'EOF'
{"id":"near","expected":3.14159,"output":"pi is about 3.14"}
{"id":"far","expected":3.14159,"output":"pi is about 3.2"}
EOF
    [ "$(got near pass)" = true ]
    [ "$(reason near)" = "got 3.14, within 0.01 of 3.14159" ]
    [ "$(got far pass)" = false ]
    [ "$(reason far)" = "expected 3.14159 within 0.01, got 3.2" ]
}

@test "number fails with 'no number found in output' when there is none" {
    run --separate-stderr ev-score -q -s number <<<'{"id":"x","expected":3,"output":"I do not know."}'
    [ "$(got x pass)" = false ]
    [ "$(reason x)" = "no number found in output" ]
}

@test "number reads the expected answer from text, and an answer with no number is an error" {
    run --separate-stderr ev-score -q -s number <<'EOF'
{"id":"text","expected":"1,234","output":"1234"}
{"id":"bad","expected":"many","output":"1234"}
EOF
    [ "$status" -eq 2 ]
    [ "$(got text pass)" = true ]
    [[ "$stderr" == *"-:2: cannot score record: the expected answer 'many' holds no number"* ]]
}

@test "a negative tolerance is a usage error" {
    run --separate-stderr ev-score -s number:-1 </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'number' needs a tolerance of 0 or more, not '-1'"* ]]
}

# --- choice --------------------------------------------------------------

@test "choice reads the letter from the usual answer forms" {
    run --separate-stderr ev-score -q -s choice <<'EOF'
{"id":"bare","expected":"B","output":"B"}
{"id":"paren","expected":"B","output":"(B)"}
{"id":"answer","expected":"B","output":"Answer: B"}
{"id":"bold","expected":"B","output":"**B**"}
{"id":"close","expected":"B","output":"B) Paris"}
{"id":"sentence","expected":"B","output":"The answer is B."}
{"id":"lower","expected":"(b)","output":"I would say the answer is (b)."}
EOF
    [ "$status" -eq 0 ]
    [ "$(field .score.pass | sort -u)" = true ]
    [ "$(reason bare)" = "chose 'B'" ]
}

@test "choice fails with the letter it found, or says it found none" {
    run --separate-stderr ev-score -q -s choice <<'EOF'
{"id":"wrong","expected":"B","output":"The answer is C."}
{"id":"none","expected":"B","output":"I am not sure."}
{"id":"list","expected":["A","C"],"output":"C"}
EOF
    [ "$(got wrong pass)" = false ]
    [ "$(reason wrong)" = "expected 'B', got 'C'" ]
    [ "$(reason none)" = "no choice letter found in output" ]
    [ "$(got list pass)" = true ]
}

# --- json and json-subset -----------------------------------------------

@test "json parses the output, also in a fenced code block, and ignores key order" {
    run --separate-stderr ev-score -q -s json <<'EOF'
{"id":"plain","expected":{"a":1,"b":[1,2]},"output":"{\"b\":[1,2],\"a\":1}"}
{"id":"fenced","expected":{"a":1},"output":"Here you go:\n```json\n{\"a\": 1}\n```\n"}
{"id":"text","expected":"{\"a\":1}","output":"{\"a\":1.0}"}
{"id":"nested","expected":{"a":{"b":{"c":[true,null]}}},"output":"{\"a\":{\"b\":{\"c\":[true,null]}}}"}
EOF
    [ "$status" -eq 0 ]
    [ "$(field .score.pass | sort -u)" = true ]
    [ "$(reason plain)" = "JSON matches" ]
}

@test "json reports the first difference by its path" {
    run --separate-stderr ev-score -q -s json <<'EOF'
{"id":"value","expected":{"user":{"age":31}},"output":"{\"user\":{\"age\":30}}"}
{"id":"missing","expected":{"user":{"name":"Ann"}},"output":"{\"user\":{}}"}
{"id":"extra","expected":{"a":1},"output":"{\"a\":1,\"b\":2}"}
{"id":"length","expected":{"xs":[1,2,3]},"output":"{\"xs\":[1,2]}"}
{"id":"odd key","expected":{"two words":1},"output":"{\"two words\":2}"}
EOF
    [ "$(reason value)" = ".user.age: expected 31, got 30" ]
    [ "$(reason missing)" = "missing key '.user.name'" ]
    [ "$(reason extra)" = "unexpected key '.b'" ]
    [ "$(reason length)" = '.xs: expected 3 elements, got 2' ]
    [ "$(reason 'odd key')" = '.["two words"]: expected 1, got 2' ]
}

@test "json fails output that is not JSON with the parser's message" {
    run --separate-stderr ev-score -q -s json <<'EOF'
{"id":"broken","expected":{"a":1},"output":"{\"a\": 1"}
{"id":"prose","expected":{"a":1},"output":"I cannot do that."}
EOF
    [ "$status" -eq 0 ]
    [ "$(got broken pass)" = false ]
    [[ "$(reason broken)" == "invalid JSON: "* ]]
    [[ "$(reason prose)" == "invalid JSON: "* ]]
}

@test "json-subset passes when every expected key and value appears, recursively" {
    run --separate-stderr ev-score -q -s json-subset <<'EOF'
{"id":"sub","expected":{"user":{"name":"Ann"}},"output":"{\"user\":{\"name\":\"Ann\",\"age\":31},\"ok\":true}"}
{"id":"missing","expected":{"user":{"name":"Ann","age":31}},"output":"{\"user\":{\"name\":\"Ann\"}}"}
{"id":"wrong","expected":{"user":{"name":"Ann"}},"output":"{\"user\":{\"name\":\"Bob\"}}"}
EOF
    [ "$(got sub pass)" = true ]
    [ "$(reason sub)" = "JSON has every expected key and value" ]
    [ "$(got missing pass)" = false ]
    [ "$(reason missing)" = "missing key '.user.age'" ]
    [ "$(reason wrong)" = ".user.name: expected 'Ann', got 'Bob'" ]
}

@test "json:VALUE compares with the given JSON instead of the expected answer" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"spec","output":"{\"ok\":true}","assert":"json:{\"ok\": true}"}
{"id":"object","output":"{\"ok\":true,\"n\":2}","assert":{"type":"json-subset","value":{"ok":true}}}
EOF
    [ "$status" -eq 0 ]
    [ "$(got spec pass)" = true ]
    [ "$(got object pass)" = true ]
    [ "$(got object scorer)" = '"json-subset:{\"ok\":true}"' ]
}

# --- f1 and similar ------------------------------------------------------

@test "f1 gives the SQuAD token F1 as the value and passes from 0.5 by default" {
    run --separate-stderr ev-score -q -s f1 <<'EOF'
{"id":"same","expected":"the Eiffel Tower","output":"Eiffel tower."}
{"id":"half","expected":"cat sat","output":"cat sat on mat"}
{"id":"low","expected":"a red fox","output":"a dog"}
EOF
    [ "$(got same value)" = 1 ]
    [ "$(got half value)" = 0.666667 ]
    [ "$(got half pass)" = true ]
    [ "$(reason half)" = "F1 0.667 >= 0.5" ]
    [ "$(got low value)" = 0 ]
    [ "$(got low pass)" = false ]
}

@test "f1:THRESHOLD sets the threshold, and a list of answers gives the best F1" {
    run --separate-stderr ev-score -q -s f1:0.8 <<'EOF'
{"id":"half","expected":"cat sat","output":"cat sat on mat"}
{"id":"best","expected":["dog","cat sat on the mat"],"output":"cat sat on mat"}
EOF
    [ "$(got half pass)" = false ]
    [ "$(reason half)" = "F1 0.667 < 0.8" ]
    [ "$(got best value)" = 1 ]
}

@test "similar:THRESHOLD is 1 minus the edit distance over the longer length, in code points" {
    run --separate-stderr ev-score -q -s similar:0.5 <<'EOF'
{"id":"kitten","expected":"sitting","output":"kitten"}
{"id":"cafe","expected":"café","output":"cafe"}
{"id":"far","expected":"abcdef","output":"uvwxyz"}
EOF
    [ "$(got kitten value)" = 0.571429 ]
    [ "$(got kitten pass)" = true ]
    [ "$(reason kitten)" = "similarity 0.571 >= 0.5" ]
    [ "$(got cafe value)" = 0.75 ]
    [ "$(got far value)" = 0 ]
    [ "$(got far pass)" = false ]
}

@test "not- on a graded scorer gives 1 minus the value" {
    run --separate-stderr ev-score -q -s not-similar:0.5 <<<'{"id":"k","expected":"sitting","output":"kitten"}'
    [ "$(got k value)" = 0.428571 ]
    [ "$(got k pass)" = false ]
    [ "$(reason k)" = "negated: similarity 0.571 >= 0.5" ]
}

@test "a threshold outside [0, 1] is a usage error" {
    run --separate-stderr ev-score -s similar:1.5 </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"bad scorer 'similar:1.5': 'similar' needs a threshold in [0, 1], not '1.5'"* ]]
    run --separate-stderr ev-score -s f1:high </dev/null
    [ "$status" -eq 2 ]
}

# --- jq ------------------------------------------------------------------

@test "jq:EXPR scores the whole record with a boolean" {
    run --separate-stderr ev-score -q -s 'jq:.output == (.expected | ascii_upcase)' <<'EOF'
{"id":"t","expected":"ok","output":"OK"}
{"id":"f","expected":"ok","output":"ok"}
EOF
    [ "$status" -eq 0 ]
    [ "$(got t pass)" = true ]
    [ "$(reason t)" = "'.output == (.expected | ascii_upcase)' is true" ]
    [ "$(got f pass)" = false ]
    [ "$(got f value)" = 0 ]
}

@test "jq:EXPR may give a number in [0, 1] as the value, passing from 0.5" {
    run --separate-stderr ev-score -q -s 'jq:.call.quality' <<'EOF'
{"id":"hi","output":"x","call":{"quality":0.75}}
{"id":"lo","output":"x","call":{"quality":0.25}}
EOF
    [ "$(got hi value)" = 0.75 ]
    [ "$(got hi pass)" = true ]
    [ "$(got lo pass)" = false ]
}

@test "jq:EXPR does not need an output, but a failed call still fails" {
    run --separate-stderr ev-score -q -s 'jq:has("output") | not' <<'EOF'
{"id":"none","expected":"x"}
{"id":"failed","error":{"kind":"network"}}
EOF
    [ "$(got none pass)" = true ]
    [ "$(reason failed)" = "call failed" ]
}

@test "a jq program that gives no boolean, fails or gives no result is an error for that record" {
    run --separate-stderr ev-score -q -s 'jq:.v' <<'EOF'
{"id":"text","v":"yes"}
{"id":"big","v":2}
{"id":"good","v":true}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: cannot score record: jq program '.v' gave 'yes', not a boolean or a number in [0, 1]"* ]]
    [[ "$stderr" == *"-:2: cannot score record: jq program '.v' gave 2, not a boolean"* ]]
    [ "$(field .id)" = '"good"' ]
    run --separate-stderr ev-score -q <<'EOF'
{"id":"err","output":"x","assert":"jq:error(\"boom\")"}
{"id":"empty","output":"x","assert":"jq:empty"}
{"id":"two","output":"x","assert":"jq:true, false"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: cannot score record: jq program 'error(\"boom\")' failed: boom"* ]]
    [[ "$stderr" == *"-:2: cannot score record: jq program 'empty' gave no result"* ]]
    [[ "$stderr" == *"-:3: cannot score record: jq program 'true, false' gave more than one result"* ]]
}

@test "a jq program's huge result or message comes back cut short" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"array","output":"x","assert":"jq:[range(1000000)]"}
{"id":"text","output":"x","assert":"jq:\"x\" * 1000000"}
{"id":"error","output":"x","assert":"jq:error(\"e\" * 1000000)"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: cannot score record: jq program '[range(1000000)]' gave [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,1..., not a boolean"* ]]
    [[ "$stderr" == *"-:2: cannot score record: jq program '\"x\" * 1000000' gave 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...', not"* ]]
    [[ "$stderr" == *"-:3: cannot score record: jq program 'error(\"e\" * 1000000)' failed: eeeeeeee"*"..."* ]]
    [ "${#stderr}" -lt 2000 ]
}

@test "a jq program that does not compile is a usage error with jq's message and nothing else" {
    run --separate-stderr ev-score -s 'jq:.output ===' </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-score: bad scorer 'jq:.output ===': cannot compile jq program '.output ===': syntax error"* ]]
    [[ "$stderr" != *"jq: error"* ]]
    [[ "$stderr" != *"compile error"* ]]
}

@test "a jq program in a case's assert is compiled once for many records" {
    for i in $(seq 1 3000); do
        printf '{"id":"r%d","output":"x","assert":"jq:.output == \\"x\\""}\n' "$i"
    done >"$BATS_TEST_TMPDIR/many.jsonl"
    start=$(date +%s)
    run --separate-stderr ev-score -q "$BATS_TEST_TMPDIR/many.jsonl"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 3000 ]
    [ "$(field .score.pass | sort -u)" = true ]
    # Compiling jq's builtins for each record would take tens of seconds.
    [ $(($(date +%s) - start)) -lt 20 ]
}

# --- cmd -----------------------------------------------------------------

@test "cmd:COMMAND runs one process for the whole run and reads true, false, numbers and objects" {
    run --separate-stderr ev-score -q -s "cmd:$FIXTURES/score-judge.sh" <<'EOF'
{"id":"t","output":"yes"}
{"id":"f","output":"no"}
{"id":"half","output":"half"}
{"id":"obj","output":"object"}
{"id":"value","output":"valueonly"}
{"id":"other","output":"other"}
EOF
    [ "$status" -eq 0 ]
    [ "$(got t pass)" = true ]
    [ "$(reason t)" = "judged pass" ]
    [ "$(got f pass)" = false ]
    [ "$(got half value)" = 0.5 ]
    [ "$(got half pass)" = true ]
    [ "$(got obj value)" = 0.75 ]
    [ "$(reason obj)" = "record 4" ]
    [ "$(got value pass)" = false ]
    [ "$(reason value)" = "judged 0.25" ]
    [ "$(reason other)" = "record 6" ]
    [ "$(got other scorer)" = "\"cmd:$FIXTURES/score-judge.sh\"" ]
}

@test "cmd scorer input ends with the run, and ev-score waits for the process to finish" {
    export JUDGE_DONE="$BATS_TEST_TMPDIR/done"
    run --separate-stderr ev-score -q --env JUDGE_DONE -s "cmd:$FIXTURES/score-judge.sh" <<'EOF'
{"id":"a","output":"yes"}
{"id":"b","output":"no"}
EOF
    [ "$status" -eq 0 ]
    [ "$(cat "$JUDGE_DONE")" = 2 ]
}

@test "a cmd scorer that answers garbage makes that record an error, quoting the answer, and the run goes on" {
    run --separate-stderr ev-score -q -s "cmd:$FIXTURES/score-judge.sh" <<'EOF'
{"id":"g","output":"garbage"}
{"id":"big","output":"toobig"}
{"id":"t","output":"yes"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: cannot score record: cmd scorer '"*"' answered 'maybe, who knows', not true, false"* ]]
    [[ "$stderr" == *"-:2: cannot score record: cmd scorer "*"answered '1.5'"* ]]
    [ "$(field .id)" = '"t"' ]
}

@test "a cmd scorer that dies makes its records errors with its exit status, and the others are scored" {
    run --separate-stderr ev-score -q -s "cmd:$FIXTURES/score-judge.sh" <<'EOF'
{"id":"t","output":"yes"}
{"id":"d","output":"die"}
{"id":"after","output":"yes"}
{"id":"own","output":"yes","assert":"contains:yes"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:2: cannot score record: cmd scorer '"*"' exited with status 3"* ]] || fail_with "$stderr"
    [[ "$stderr" == *"-:3: cannot score record: cmd scorer '"*"exited with status 3"* ]]
    [ "$(field .id | tr '\n' ' ')" = '"t" "own" ' ]
}

@test "a cmd scorer that cannot run reports the shell's status" {
    run --separate-stderr ev-score -q -s "cmd:$BATS_TEST_TMPDIR/no-such-judge" <<<'{"id":"x","output":"y"}'
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"exited with status 127"* ]]
    [ -z "$output" ]
}

# --- per-case assert -----------------------------------------------------

@test "a case's assert string overrides --scorer" {
    run --separate-stderr ev-score -q -s exact <<'EOF'
{"id":"own","expected":"Paris","output":"It is Paris.","assert":"contains:Paris"}
{"id":"default","expected":"Paris","output":"It is Paris."}
EOF
    [ "$(got own pass)" = true ]
    [ "$(got own scorer)" = '"contains:Paris"' ]
    [ "$(got default pass)" = false ]
    [ "$(got default scorer)" = '"exact"' ]
}

@test "an assert object gives type and value, and its scorer is the SPEC it stands for" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"re","output":"Answer: 42","assert":{"type":"regex","value":"[0-9]+$"}}
{"id":"num","expected":10,"output":"about 10.4","assert":{"type":"number","value":0.5}}
{"id":"bare","expected":"x","output":"x","assert":{"type":"not-exact"}}
EOF
    [ "$status" -eq 0 ]
    [ "$(got re pass)" = true ]
    [ "$(got re scorer)" = '"regex:[0-9]+$"' ]
    [ "$(got num pass)" = true ]
    [ "$(got num scorer)" = '"number:0.5"' ]
    [ "$(got bare pass)" = false ]
    [ "$(got bare scorer)" = '"not-exact"' ]
}

@test "an assert list passes when every assertion passes, and its value is the weighted mean" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"all","output":"Paris is the capital.","assert":["contains:Paris",{"type":"regex","value":"^P","weight":2},"not-contains:Lyon"]}
{"id":"some","output":"Lyon","assert":[{"type":"contains","value":"Lyon","weight":3},{"type":"contains","value":"Paris","weight":1}]}
{"id":"graded","expected":"cat sat","output":"cat sat on mat","assert":["f1",{"type":"contains","value":"dog","weight":0}]}
{"id":"huge","output":"x","assert":[{"type":"exact","value":"x","weight":1e308},{"type":"exact","value":"y","weight":1e308}]}
EOF
    [ "$status" -eq 0 ]
    [ "$(got all pass)" = true ]
    [ "$(got all value)" = 1 ]
    [ "$(reason all)" = "all 3 assertions passed" ]
    [ "$(got all scorer)" = '"contains:Paris & regex:^P & not-contains:Lyon"' ]
    [ "$(got some pass)" = false ]
    [ "$(got some value)" = 0.75 ]
    [ "$(reason some)" = "contains:Paris: no 'Paris' in 'Lyon'" ]
    [ "$(got graded pass)" = false ]
    [ "$(got graded value)" = 0.666667 ]
    [ "$(got huge value)" = 0.5 ]
}

@test "an assert list with no output fails once with 'no output'" {
    run --separate-stderr ev-score -q <<<'{"id":"x","assert":["contains:a","contains:b"]}'
    [ "$(got x pass)" = false ]
    [ "$(reason x)" = "no output" ]
}

@test "a bad assert is an error for that record alone" {
    run --separate-stderr ev-score -q <<'EOF'
{"id":"type","output":"x","assert":"bogus:1"}
{"id":"key","output":"x","assert":{"type":"exact","valeu":"x"}}
{"id":"empty","output":"x","assert":[]}
{"id":"nested","output":"x","assert":[["exact"]]}
{"id":"kind","output":"x","assert":42}
{"id":"weight","output":"x","assert":{"type":"exact","weight":-1}}
{"id":"notype","output":"x","assert":{"value":"x"}}
{"id":"good","output":"x","assert":"contains:x"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: cannot score record: bad 'assert': unknown scorer type 'bogus'"* ]]
    [[ "$stderr" == *"-:2: cannot score record: bad 'assert': unknown key 'valeu' in an assertion"* ]]
    [[ "$stderr" == *"-:3: cannot score record: bad 'assert': an assertion list is empty"* ]]
    [[ "$stderr" == *"-:4: cannot score record: bad 'assert': an assertion list holds another list"* ]]
    [[ "$stderr" == *"-:5: cannot score record: bad 'assert': an assertion must be a SPEC string or an object"* ]]
    [[ "$stderr" == *"-:6: cannot score record: bad 'assert': 'weight' must be a number of 0 or more"* ]]
    [[ "$stderr" == *"-:7: cannot score record: bad 'assert': an assertion object needs a string 'type'"* ]]
    [ "$(field .id)" = '"good"' ]
}

# --- usage ---------------------------------------------------------------

@test "an unknown scorer is a usage error with exit 2 and a hint, and lists the scorers there are" {
    run --separate-stderr ev-score -s levenshtein </dev/null
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [ "$stderr" = "ev-score: bad scorer 'levenshtein': unknown scorer type 'levenshtein': the types are choice, cmd, contains, exact, f1, icontains, jq, judge, json, json-subset, number, regex, similar and starts-with, and not-TYPE for each but judge
try 'ev-score --help'" ]
}

@test "an unknown scorer near a known one asks whether that one was meant, in -s and in an assert" {
    run --separate-stderr ev-score -s not-containz:x </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-score: bad scorer 'not-containz:x': unknown scorer type 'containz' (did you mean 'contains'?): the types are choice, "* ]]
    run --separate-stderr ev-score -q <<<'{"id":"a","output":"x","assert":"exactly"}'
    [ "$status" -eq 2 ]
    [[ "$stderr" == "ev-score: -:1: cannot score record: bad 'assert': unknown scorer type 'exactly' (did you mean 'exact'?): the types are "* ]]
}

@test "jq and cmd need a program after the colon" {
    run --separate-stderr ev-score -s jq: </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'jq' needs a program after ':'"* ]]
    run --separate-stderr ev-score -s cmd </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'cmd' needs a command after ':'"* ]]
}

# --- the examples of ev-score(1) ----------------------------------------

@test "man page: ev-score passes mandoc -Tlint" {
    run mandoc -Tlint -W warning "$BATS_TEST_DIRNAME/../man/ev-score.1"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

# in_examples: work in a copy of examples/, as the commands of ev-score(1) do.
in_examples() {
    cp -r "$EXAMPLES" "$BATS_TEST_TMPDIR/examples"
    cd "$BATS_TEST_TMPDIR"
}

@test "example: scoring capitals.jsonl with exact and its per-case asserts" {
    in_examples
    run --separate-stderr bash -c 'ev-score examples/capitals.jsonl > scored.jsonl'
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 12 records, 6 passed (50.0%)" ]
    output=$(cat scored.jsonl)
    [ "$(got geo-03 pass)" = false ]
    [ "$(got math-02 pass)" = true ]
    [ "$(got math-02 scorer)" = '"number"' ]
}

@test "example: -iwp forgives case, blanks and punctuation" {
    in_examples
    run --separate-stderr bash -c 'ev-score -iwp examples/capitals.jsonl > scored.jsonl'
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 12 records, 9 passed (75.0%)" ]
    output=$(cat scored.jsonl)
    [ "$(got geo-07 pass)" = true ]
}

@test "example: listing the failures with their reasons" {
    in_examples
    run --separate-stderr bash -c "set -o pipefail; ev-score -q examples/capitals.jsonl | \
        jq -r 'select(.score.pass | not) | [.id, .score.reason] | @tsv'"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "geo-03	expected 'Canberra', got 'Sydney'" ]
    [ "${#lines[@]}" -eq 6 ]
}

@test "example: icontains with no value looks for the expected answer" {
    in_examples
    run --separate-stderr ev-score -s icontains examples/capitals.jsonl
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 12 records, 9 passed (75.0%)" ]
}

@test "example: a jq expression over the whole record" {
    in_examples
    run --separate-stderr ev-score -s 'jq:(.output | length) < 8' examples/capitals.jsonl
    [ "$status" -eq 0 ]
    [ "$(got geo-01 pass)" = true ]
    [ "$(got math-02 scorer)" = '"number"' ]
}

@test "example: an external judge with cmd" {
    in_examples
    run --separate-stderr ev-score -s cmd:examples/judge.sh examples/capitals.jsonl
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 12 records, 8 passed (66.7%)" ]
    [ "$(reason geo-04)" = "same answer" ]
}

@test "example: a downloaded eval set on a tighter budget" {
    in_examples
    run --separate-stderr ev-score --cpu-budget 1 --memory-budget 256 examples/capitals.jsonl
    [ "$status" -eq 0 ]
    [ "$stderr" = "ev-score: 12 records, 6 passed (50.0%)" ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 12 ]
}

@test "a scorer that cannot read the output marks the score parsed: false, for ev-gaps" {
    run --separate-stderr ev-score -q -s number <<<'{"id":"a","output":"no digits here","expected":"4"}'
    [ "$(field '.score | [.pass, .parsed]')" = '[false,false]' ]
    run --separate-stderr ev-score -q -s json <<<'{"id":"a","output":"{broken","expected":{"a":1}}'
    [ "$(field '.score.parsed')" = false ]
    run --separate-stderr ev-score -q -s choice <<<'{"id":"a","output":"I am not sure","expected":"B"}'
    [ "$(field '.score.parsed')" = false ]
    run --separate-stderr ev-score -q -s number <<<'{"id":"a","output":"5","expected":"4"}'
    [ "$(field '.score | has("parsed")')" = false ]
    run --separate-stderr ev-score -q <<<'{"id":"a","output":"x","expected":"4","assert":["contains:x","number"]}'
    [ "$(field '.score.parsed')" = false ]
}

# --- the judge ------------------------------------------------------------

JUDGE="$FIXTURES/judge-cases.jsonl"

# judge_mock ARGS...: start ev-mock with 'grader' as its judge model; sets
# BASE and a key for ev-call.
judge_mock() {
    ev_mock_start -q --judge grader "$@"
    BASE="$MOCK/v1"
    export OPENAI_API_KEY=sk-judge-test ANTHROPIC_API_KEY=sk-judge-test
}

# judge ARGS...: ev-score with the mock's judge, quietly, into $output.
judge() {
    run --separate-stderr ev-score -q --judge-model grader --judge-base-url "$BASE" "$@"
}

requests() {
    curl -sf "$MOCK/stats" | jq '.requests'
}

@test "judge fact: the same facts, more, part of them and a contradiction get A, B, C and E" {
    judge_mock
    judge --judge fact "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(field '[.id, .score.label, .score.value, .score.pass]' | tr -d '\n')" = \
        '["same","A",1,true]["more","B",1,true]["part","C",0.75,true]["wrong","E",0,false]' ]
    [ "$(got same scorer)" = '"judge:fact"' ]
    [ "$(reason wrong)" = "judged E" ]
    [ "$(got same judge.provider)" = '"openai"' ]
    [ "$(got same judge.model)" = '"grader"' ]
    [ "$(got same judge.samples)" = 1 ]
    [ "$(got same judge.labels)" = '["A"]' ]
    [ "$(got same judge.agreement)" = 1 ]
    [ "$(got same judge.cached)" = 0 ]
    [ "$(got same 'judge.input_tokens > 50 and .score.judge.output_tokens > 0')" = true ]
    # every other field passes through in its place
    [ "$(printf '%s\n' "$output" | head -n 1 | jq -c 'del(.score)')" = "$(head -n 1 "$JUDGE")" ]
}

@test "judge closedqa answers Y for a correct answer and N for a wrong one" {
    judge_mock
    judge --judge closedqa "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(field '[.score.label, .score.pass]' | tr -d '\n')" = \
        '["Y",true]["Y",true]["N",false]["N",false]' ]
    [ "$(got same scorer)" = '"judge:closedqa"' ]
}

@test "judge rubric:TEXT grades PASS and FAIL against the criterion" {
    judge_mock
    judge --judge 'rubric:names the city' "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(field '[.score.label, .score.value]' | tr -d '\n')" = '["PASS",1]["PASS",1]["FAIL",0]["FAIL",0]' ]
    [ "$(got more scorer)" = '"judge:rubric"' ]
}

@test "judge fact needs an expected answer; the other rubrics do without" {
    judge_mock
    printf '%s\n' '{"id":"x","input":"Say hi","output":"hi"}' >"$BATS_TEST_TMPDIR/noexp.jsonl"
    judge --judge fact "$BATS_TEST_TMPDIR/noexp.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"noexp.jsonl:1: cannot score record: no 'expected' for the judge"* ]]
    judge --judge closedqa "$BATS_TEST_TMPDIR/noexp.jsonl"
    [ "$status" -eq 0 ]
    [ "$(got x label)" = '"Y"' ]
}

@test "a judge template with custom labels maps the judge's label to its value" {
    judge_mock
    printf 'Reference answer: {{expected}}\nQuestion: {{input}}\nGrade this answer:\n{{output}}\n' \
        >"$BATS_TEST_TMPDIR/grade.txt"
    judge --judge-template "$BATS_TEST_TMPDIR/grade.txt" --judge-labels 'PASS=0.9,FAIL=0.2' "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(field '[.score.label, .score.value, .score.pass]' | tr -d '\n')" = \
        '["PASS",0.9,true]["FAIL",0.2,false]["PASS",0.9,true]["FAIL",0.2,false]' ]
    [ "$(got same scorer)" = '"judge:template"' ]
    # (ev-mock passes a prompt whose last line is found above it: 'french' is)
    # the default labels are PASS=1,FAIL=0
    judge --judge-template "$BATS_TEST_TMPDIR/grade.txt" "$JUDGE"
    [ "$(got same value)" = 1 ]
    [ "$(got wrong value)" = 0 ]
    # labels the judge does not answer with read as INVALID
    judge --judge-template "$BATS_TEST_TMPDIR/grade.txt" --judge-labels 'GOOD=1,BAD=0' "$JUDGE"
    [ "$(got same label)" = '"INVALID"' ]
    [ "$(got same pass)" = false ]
}

@test "bad judge labels and templates are usage errors" {
    for labels in 'PASS' 'PASS=2' 'PASS=1,PASS=0' 'INVALID=1' 'A B=1' ''; do
        run --separate-stderr ev-score --judge-template /dev/null --judge-labels "$labels" \
            --judge-model m </dev/null
        [ "$status" -eq 2 ] || fail_with "labels '$labels' exited $status"
        [[ "$stderr" == *"bad judge: "*"try 'ev-score --help'"* ]]
    done
    run --separate-stderr ev-score --judge-template "$BATS_TEST_TMPDIR/none" --judge-model m </dev/null
    [ "$status" -eq 2 ]
}

@test "an answer outside the label set is INVALID: value 0, no pass, the raw text in the reason" {
    judge_mock -f judge-invalid=1:all
    judge --judge fact "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(field '.score.label' | sort -u)" = '"INVALID"' ]
    [ "$(field '.score.pass' | sort -u)" = false ]
    [ "$(field '.score.value' | sort -u)" = 0 ]
    [[ "$(reason same)" == "judge gave no label: 'The answer looks mostly right to me"* ]]
}

@test "judge samples: a majority vote with its agreement, and a tie goes to the lower value" {
    # the first attempt of each prompt answers prose, the others a label
    judge_mock -f judge-invalid=1:1
    judge --judge closedqa --judge-samples 3 "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(got same label)" = '"Y"' ]
    [ "$(got same pass)" = true ]
    [ "$(got same judge.agreement)" = 0.666667 ]
    [ "$(got same judge.samples)" = 3 ]
    [ "$(got same 'judge.labels | sort')" = '["INVALID","Y","Y"]' ]
    [ "$(reason same)" = "judged Y by 2 of 3 samples" ]
    [ "$(requests)" = 12 ]
    judge_mock -f judge-invalid=1:1
    judge --judge fact --judge-samples 2 "$JUDGE"
    [ "$(got same label)" = '"INVALID"' ]
    [ "$(got same pass)" = false ]
    [ "$(got same judge.agreement)" = 0.5 ]
}

@test "judge samples with --judge-aggregate mean average the values" {
    judge_mock -f judge-invalid=1:1
    judge --judge fact --judge-samples 3 --judge-aggregate mean "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(got same value)" = 0.666667 ]
    [ "$(got same pass)" = true ]
    [ "$(got same label)" = '"A"' ]
    [ "$(got same judge.agreement)" = 0.666667 ]
    [ "$(got part value)" = 0.5 ]
    [ "$(reason same)" = "judged 0.666667, the mean of 3 samples" ]
    judge_mock -f judge-invalid=1:1
    judge --judge fact --judge-samples 3 --judge-aggregate majority "$JUDGE"
    [ "$(got part value)" = 0.75 ]
}

@test "a judge: assertion sits in an assert list beside deterministic checks" {
    judge_mock
    run --separate-stderr ev-score -q --judge-model grader --judge-base-url "$BASE" <<'EOF'
{"id":"both","expected":"Lima","output":"Lima","assert":["contains:Lima","judge:names a city"]}
{"id":"judge-fails","expected":"Lima","output":"Cusco","assert":["contains:C",{"type":"judge","value":"names the capital"}]}
{"id":"plain","expected":"Lima","output":"Lima"}
EOF
    [ "$status" -eq 0 ]
    [ "$(got both scorer)" = '"contains:Lima & judge:rubric"' ]
    [ "$(got both pass)" = true ]
    [ "$(got both label)" = '"PASS"' ]
    [ "$(got judge-fails pass)" = false ]
    [ "$(got judge-fails value)" = 0.5 ]
    [ "$(reason judge-fails)" = "judge:rubric: judged FAIL" ]
    [ "$(got plain scorer)" = '"exact"' ]
    [ "$(got plain judge)" = null ]
    [ "$(requests)" = 2 ]
}

@test "a judge needs --judge-model: a usage error for --judge, a line error for an assert" {
    run --separate-stderr ev-score --judge fact "$JUDGE"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"a judge needs --judge-model"*"try 'ev-score --help'"* ]]
    [ -z "$output" ]
    run --separate-stderr ev-score --judge-template /dev/null </dev/null
    [ "$status" -eq 2 ]
    run --separate-stderr ev-score -q <<'EOF'
{"id":"a","expected":"x","output":"x"}
{"id":"b","expected":"x","output":"x","assert":"judge:is short"}
EOF
    [ "$status" -eq 2 ]
    [ "$stderr" = "ev-score: -:2: cannot score record: 'judge' needs --judge-model" ]
    [ "$(field .id)" = '"a"' ]
}

@test "bad judge options are usage errors" {
    for args in "--judge nope" "--judge rubric:" "--judge-samples 0" "--judge-samples 101" \
        "--judge-aggregate median" "--judge-provider azure" "--judge-labels A=1" \
        "--judge fact --judge-template /dev/null" "--judge fact -s exact"; do
        run --separate-stderr ev-score --judge-model m $args </dev/null
        [ "$status" -eq 2 ] || fail_with "'$args' exited $status"
        [[ "$stderr" == *"try 'ev-score --help'" ]] || fail_with "'$args': $stderr"
    done
    run --separate-stderr ev-score -s judge </dev/null
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"'judge' needs a criterion after ':', or a rubric from --judge"* ]]
    run --separate-stderr ev-score -s not-judge:x </dev/null
    [ "$status" -eq 2 ]
}

@test "no ev-call starts when no record needs a judge" {
    # an option ev-call refuses would fail the run if it started
    run --separate-stderr ev-score -q --judge-model m --judge-opt=--no-such-option "$FIXTURES/cases.jsonl"
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    [ -z "$stderr" ]
}

@test "a failed judge call leaves its record unscored, says file:line, and exits 2" {
    judge_mock -f auth=1:all
    judge --judge fact "$JUDGE"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"judge-cases.jsonl:1: judge call failed: "* ]]
    [[ "$stderr" == *"judge-cases.jsonl:4: judge call failed: "* ]]
    [ "$output" = "$(cat "$JUDGE")" ]
    # a call that fails after its retries, while ev-call goes on
    judge_mock -f 500=1:all
    judge --judge fact --judge-opt=--retries=0 "$JUDGE"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"judge-cases.jsonl:2: judge call failed: "* ]]
    [ "$output" = "$(cat "$JUDGE")" ]
}

@test "a second judge run comes from ev-call's cache and sends nothing" {
    judge_mock
    judge --judge fact "$JUDGE"
    [ "$status" -eq 0 ]
    first=$output
    [ "$(requests)" = 4 ]
    judge --judge fact "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(requests)" = 4 ]
    [ "$(field '.score.judge.cached' | sort -u)" = 1 ]
    [ "$(field '.score.label')" = "$(printf '%s\n' "$first" | jq -c .score.label)" ]
}

@test "--judge-opt passes options to ev-call verbatim" {
    judge_mock
    judge --judge fact --judge-opt=--cache-dir="$BATS_TEST_TMPDIR/judges" --judge-opt=-j2 "$JUDGE"
    [ "$status" -eq 0 ]
    [ -n "$(find "$BATS_TEST_TMPDIR/judges" -type f)" ]
    [ -z "$(find "$EV_CACHE_DIR" -type f 2>/dev/null)" ]
    judge --judge fact --judge-opt=--no-cache "$JUDGE"
    [ "$(requests)" = 8 ]
}

@test "--judge-provider anthropic and cmd reach ev-call" {
    judge_mock
    judge --judge closedqa --judge-provider anthropic "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(got same judge.provider)" = '"anthropic"' ]
    [ "$(got same label)" = '"Y"' ]
    [ "$(curl -sf "$MOCK/stats" | jq '.by_path["/v1/messages"]')" = 4 ]
    run --separate-stderr ev-score -q --judge 'rubric:says yes' --judge-model local \
        --judge-provider cmd --judge-opt='--command=echo "**PASS**"' "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(field '.score.label' | sort -u)" = '"PASS"' ]
    [ "$(got same judge.provider)" = '"cmd"' ]
}

@test "ev-score -q quiets the judge's ev-call; without it ev-call reports on stderr" {
    judge_mock
    run --separate-stderr ev-score --judge fact --judge-model grader --judge-base-url "$BASE" "$JUDGE"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"ev-call: 4 calls"*"ev-score: 4 records, 3 passed (75.0%)"* ]]
    judge --judge fact "$JUDGE"
    [ -z "$stderr" ]
}

@test "judged records keep input order among records that need no judge" {
    judge_mock -l 3:3
    seq 1 120 | jq -c 'if . % 3 == 0 then {id: "n\(.)", expected: "a", output: "a", assert: "exact"}
        else {id: "n\(.)", input: "q\(.)", expected: "a",
              output: (if . % 2 == 0 then "a" else "b" end)} end' >"$BATS_TEST_TMPDIR/many.jsonl"
    judge --judge fact --judge-opt=-j16 "$BATS_TEST_TMPDIR/many.jsonl"
    [ "$status" -eq 0 ]
    [ "$(field .id | tr -d '"' | tr '\n' ' ')" = "$(seq 1 120 | sed 's/^/n/' | tr '\n' ' ')" ]
    [ "$(field 'select(.id == "n4") | .score.label')" = '"A"' ]
    [ "$(field 'select(.id == "n5") | .score.label')" = '"E"' ]
    [ "$(requests)" = 80 ]
}

@test "example: a model as the judge, run offline by a grading command" {
    in_examples
    run --separate-stderr ev-score --judge fact --judge-model local --judge-provider cmd \
        --judge-opt=--command=examples/grade.sh examples/capitals.jsonl
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"ev-score: 12 records, 7 passed (58.3%)" ]]
    [ "$(got geo-01 label)" = '"A"' ]
    [ "$(got geo-03 label)" = '"E"' ]
}

@test "with --judge-aggregate mean, a result whose label is INVALID never passes" {
    judge_mock -f judge-invalid=1:2
    judge --judge fact --judge-samples 4 --judge-aggregate mean "$JUDGE"
    [ "$status" -eq 0 ]
    [ "$(got same value)" = 0.5 ]
    [ "$(got same label)" = '"INVALID"' ]
    [ "$(got same pass)" = false ]
}

@test "a regex with a repetition after a repetition is refused at once, not compiled for seconds" {
    for re in '^a*+++++' 's??????????????????????++??????????++$' '.*?x' 'a{2}{3}'; do
        start=$SECONDS
        run --separate-stderr ev-score -s "regex:$re" <<<'{"id":"x","output":"aaa"}'
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"a repetition ('*', '+', '?' or '{}') follows another"* ]] || fail_with "$re: $stderr"
        [ $((SECONDS - start)) -lt 5 ]
    done
    run --separate-stderr ev-score -q -s 'regex:^(a*)?(b+)*[*?+]\*$' <<<'{"id":"x","output":"aab?*"}'
    [ "$status" -eq 0 ]
    [ "$(field '.score.pass')" = true ]
}

@test "a regex with a back-reference is refused: a usage error with -s, an error for the record in an assert" {
    run --separate-stderr ev-score -s 'regex:^(a+)\1$' <<<'{"id":"x","output":"aa"}'
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == "ev-score: bad scorer 'regex:^(a+)\\1\$': bad regex '^(a+)\\1\$': back-references ('\\1' to '\\9') are refused: matching them can take time that grows exponentially with the output"* ]]
    run --separate-stderr ev-score -q <<'EOF'
{"id":"ref","output":"abab","assert":"regex:(ab)\\1"}
{"id":"escaped","output":"a\\1","assert":"regex:a\\\\1"}
{"id":"bracket","output":"1","assert":"regex:[\\1]"}
EOF
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"-:1: cannot score record: bad 'assert': bad regex '(ab)\\1': back-references"* ]]
    [ "$(field '[.id, .score.pass]' | tr '\n' ' ')" = '["escaped",true] ["bracket",true] ' ]
}

# --- the budget ------------------------------------------------------------

@test "--cpu-budget and --memory-budget take numbers in range; others are usage errors" {
    for bad in "--cpu-budget 0" "--cpu-budget -1" "--cpu-budget 1e9" "--cpu-budget x" \
        "--memory-budget 0" "--memory-budget 2e6" "--memory-budget 1MB"; do
        run --separate-stderr ev-score $bad </dev/null
        [ "$status" -eq 2 ] || fail_with "$bad"
        case $bad in
        --cpu-budget*) range="--cpu-budget takes a number from 0.01 to 86400, not '${bad#* }'" ;;
        *) range="--memory-budget takes a number from 1 to 1048576, not '${bad#* }'" ;;
        esac
        [[ "$stderr" == *"$range"*"try 'ev-score --help'"* ]] || fail_with "$bad: $stderr"
    done
    run --separate-stderr ev-score -q --cpu-budget 0.5 --memory-budget 100 -s 'jq:.output == "x"' \
        <<<'{"id":"a","output":"x"}'
    [ "$status" -eq 0 ]
    [ "$(got a pass)" = true ]
}

@test "a default jq program over its budget fails that record; a new worker scores the next ones" {
    run --separate-stderr ev-score -q --cpu-budget 0.5 \
        -s 'jq:if .output == "loop" then last(range(1e18)) > 0 else .output == "x" end' <<'EOF'
{"id":"a","output":"x"}
{"id":"loop","output":"loop"}
{"id":"b","output":"x"}
{"id":"loop2","output":"loop"}
{"id":"c","output":"y"}
EOF
    [ "$status" -eq 2 ]
    [ "$(field .id | tr '\n' ' ')" = '"a" "loop" "b" "loop2" "c" ' ]
    [ "$(field .score.pass | tr '\n' ' ')" = 'true false true false false ' ]
    [ "$(reason loop)" = "ran over its CPU budget of 0.5 s" ]
    [ "$(reason c)" = "'if .output == \"loop\" then last(range(1e1...' is false" ]
    [[ "$stderr" == *"-:2: scorer 'jq:if .output == \"loop\" then last(range(...' ran over its CPU budget of 0.5 s, so the record fails (--cpu-budget sets the budget)"* ]]
    [[ "$stderr" == *"-:4: scorer"* ]]
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ]
}

@test "an assert list over its budget fails as a whole, and what follows in it is not run" {
    run --separate-stderr ev-score -q --cpu-budget 0.5 <<'EOF'
{"id":"x","output":"x","assert":["contains:x",{"type":"jq","value":"last(range(1e18)) > 0","weight":0},"contains:y"]}
EOF
    [ "$status" -eq 2 ]
    [ "$(got x pass)" = false ]
    [ "$(got x value)" = 0 ]
    [ "$(reason x)" = "jq:last(range(1e18)) > 0: ran over its CPU budget of 0.5 s" ]
}

@test "a regex on a long output and similar on long texts give the verdicts they give in-process" {
    {
        jq -nc '{id: "long", output: ("ab" * 6000 + "END"), assert: "regex:(ab)+END$"}'
        jq -nc '{id: "miss", output: ("ab" * 6000), assert: "regex:(ab)+END$"}'
        jq -nc '{id: "sim", output: ("ab" * 3000), expected: ("ab" * 2999 + "ba"), assert: "similar:0.99"}'
    } >"$BATS_TEST_TMPDIR/long.jsonl"
    # generous: under memcheck the sandbox is some 50 times slower
    run --separate-stderr ev-score -q --cpu-budget 100 "$BATS_TEST_TMPDIR/long.jsonl"
    [ "$status" -eq 0 ]
    [ "$(got long pass)" = true ]
    [ "$(got miss pass)" = false ]
    [ "$(got sim pass)" = true ]
    [ "$(got sim value)" = 0.999667 ]
}

# --- cmd out of step -----------------------------------------------------------

@test "a cmd scorer that answers one record with two lines is stopped with a clear error" {
    run --separate-stderr ev-score -q -s "cmd:while read -r l; do printf 'true\nfalse\n'; done" <<'EOF'
{"id":"a","output":"x"}
{"id":"b","output":"x"}
{"id":"own","output":"x","assert":"contains:x"}
EOF
    [ "$status" -eq 2 ]
    [ "$(field .id)" = '"own"' ]
    [[ "$stderr" == *"-:1: cannot score record: cmd scorer 'while read -r l; do printf 'true\\nfalse\\...' wrote a line it was not asked for (two for one record?): its answers are out of step with the records, so it was stopped"* ]]
    [[ "$stderr" == *"-:2: cannot score record: cmd scorer"*"out of step with the records, so it was stopped"* ]]
    # lines written after the last answer are found at the end
    run --separate-stderr ev-score -q -s "cmd:while read -r l; do echo true; done; echo done" <<'EOF'
{"id":"a","output":"x"}
{"id":"b","output":"x"}
EOF
    [ "$status" -eq 2 ]
    [ "$(field .id | tr '\n' ' ')" = '"a" "b" ' ]
    [[ "$stderr" == *"ev-score: cmd scorer 'while read -r l; do echo true; done; ech...' wrote 1 line more than the records it was sent: its answers were out of step with the records"* ]]
}

# --- progress ----------------------------------------------------------------

@test "on a terminal the judge's progress shows records done of the total, the rate and the ETA" {
    command -v script >/dev/null || skip "no script(1)"
    judge_mock
    run script -qec "ev-score --judge fact --judge-model grader --judge-base-url '$BASE' '$JUDGE' >'$BATS_TEST_TMPDIR/out'" /dev/null
    [ "$status" -eq 0 ]
    # the first record drawn, of the four lines of the file, and the last, for good
    [[ "$output" == *$'\r'"ev-score: judged 1/4 records (25%), "*"/s, ETA "* ]]
    [[ "$output" == *$'\r'"ev-score: judged 4/4 records (100%), "*"/s"*$'\r\n'"ev-score: 4 records, 3 passed (75.0%)"* ]]
    # ev-call draws no line of its own, and nothing writes an escape code
    [[ "$output" != *"ev-call: "* ]]
    [[ "$output" != *$'\033'* ]]
    [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 4 ]
}

@test "from a pipe the total is unknown, and what is known is shown; -q and a pipe show nothing" {
    command -v script >/dev/null || skip "no script(1)"
    judge_mock -f 500=1:all
    run script -qec "cat '$JUDGE' | ev-score --judge fact --judge-model grader --judge-base-url '$BASE' --judge-opt=--retries=0 >/dev/null" /dev/null
    [ "$status" -eq 2 ]
    [[ "$output" == *$'\r'"ev-score: judged 4 records, "*"/s, 4 judge calls failed"* ]]
    # a warning takes the progress line's place, and the line comes back after it
    [[ "$output" == *$'\r'"ev-score: -:2: judge call failed: "* ]]
    run script -qec "ev-score -q --judge fact --judge-model grader --judge-base-url '$BASE' '$JUDGE' >/dev/null" /dev/null
    [[ "$output" != *"judged"* ]]
}
