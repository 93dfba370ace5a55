#!/usr/bin/env bats
# ev-tune for local trainers and preference data: --method dpo's checks,
# --convert's formats for TRL, Axolotl, Unsloth and LLaMA-Factory,
# --dataset-info, and the recipes of examples/trainers run with --cmd
# against stand-in trainers (tests/fixtures/trainers) that read the file as
# the real ones would and train nothing: the suite has no GPU and no
# weights.
load test_helper

VALID="$FIXTURES/tune-valid.jsonl"
PREF="$FIXTURES/tune-pref.jsonl"
PREF_BAD="$FIXTURES/tune-pref-bad.jsonl"
TRAINERS="$EXAMPLES/trainers"
FAKES="$FIXTURES/trainers"

setup() {
    export EV_PRICES="$FIXTURES/tune-prices.jsonl"
    cd "$BATS_TEST_TMPDIR"
}

@test "--method dpo checks preference pairs and reports them valid, with their tokens" {
    run --separate-stderr ev-tune --method dpo "$PREF"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "$(field '[.method, .valid, .valid_examples, .invalid_examples]')" = '["dpo",true,10,0]' ]
    [ "$(field '[.problems[]] | add')" = 0 ]
    # the first pair: 3 + system (3 + 2 + 6) + user (3 + 1 + 8) + Rome (3 + 3 + 1)
    # + Milan (3 + 3 + 2)
    [ "$(field '.tokens.min')" = 41 ]
    [ "$(field '.messages.total')" = 40 ]
}

@test "--method dpo reports each bad pair as file:line by the providers' rules and exits 1" {
    run --separate-stderr ev-tune --method dpo "$PREF_BAD"
    [ "$status" -eq 1 ]
    [ "$(field .valid_examples)" = 1 ]
    [ "$(field .invalid_examples)" = 7 ]
    [ "$(field .problems)" = '{"data_type":1,"message_missing_key":0,"message_unrecognized_key":1,"unrecognized_role":0,"missing_content":1,"example_over_token_limit":0,"too_few_examples":1,"missing_input":1,"input_not_one_turn":1,"output_not_one_assistant_message":5,"identical_outputs":1}' ]
    local want
    for want in \
        "$PREF_BAD:2: cannot parse record" \
        "$PREF_BAD:3: no 'input' with a list of 'messages'" \
        "$PREF_BAD:3: no 'preferred_output'" \
        "$PREF_BAD:4: input message 2 has role 'assistant': the input must be one turn, an optional system message and one user message" \
        "$PREF_BAD:5: 'preferred_output' is not a list of one assistant message" \
        "$PREF_BAD:6: the preferred and non-preferred answers are the same, which trains nothing" \
        "$PREF_BAD:7: preferred_output message 1 has empty content" \
        "$PREF_BAD:7: 'non_preferred_output' is not a list of one assistant message" \
        "$PREF_BAD:8: input has unrecognized key 'temperature'" \
        "$PREF_BAD:8: no 'non_preferred_output'" \
        "$PREF_BAD: 1 valid example, and at least 10 are required"; do
        [[ "$stderr" == *"ev-tune: $want"* ]] || fail_with "no '$want' in: $stderr"
    done
}

@test "a chat file is not a preference file, nor a preference file a chat one" {
    run --separate-stderr ev-tune --method dpo "$VALID"
    [ "$status" -eq 1 ]
    [ "$(field .problems.missing_input)" = 12 ]
    run --separate-stderr ev-tune "$PREF"
    [ "$status" -eq 1 ]
    [ "$(field .problems.missing_messages_list)" = 10 ]
    [ "$(field .method)" = '"sft"' ]
    [[ "$stderr" == *"tune-pref.jsonl:1: a preference example: check it with --method dpo"* ]]
}

@test "--convert writes a pair in each DPO format, without ev's fields" {
    local to want
    for to in preference trl-dpo axolotl-dpo alpaca-dpo sharegpt-dpo; do
        run --separate-stderr ev-tune --convert --to "$to" "$PREF"
        [ "$status" -eq 0 ] || fail_with "--to $to exited $status: $stderr"
        [ "${#lines[@]}" -eq 10 ]
        case $to in
        preference) want='{"input":{"messages":[{"role":"system","content":"Answer with one word."},{"role":"user","content":"What is the capital of Italy?"}]},"preferred_output":[{"role":"assistant","content":"Rome"}],"non_preferred_output":[{"role":"assistant","content":"Milan"}]}' ;;
        trl-dpo) want='{"prompt":[{"role":"system","content":"Answer with one word."},{"role":"user","content":"What is the capital of Italy?"}],"chosen":[{"role":"assistant","content":"Rome"}],"rejected":[{"role":"assistant","content":"Milan"}]}' ;;
        axolotl-dpo) want='{"messages":[{"role":"system","content":"Answer with one word."},{"role":"user","content":"What is the capital of Italy?"}],"chosen":{"role":"assistant","content":"Rome"},"rejected":{"role":"assistant","content":"Milan"}}' ;;
        alpaca-dpo) want='{"instruction":"Answer with one word.","input":"What is the capital of Italy?","chosen":"Rome","rejected":"Milan"}' ;;
        sharegpt-dpo) want='{"conversations":[{"from":"system","value":"Answer with one word."},{"from":"human","value":"What is the capital of Italy?"}],"chosen":{"from":"gpt","value":"Rome"},"rejected":{"from":"gpt","value":"Milan"}}' ;;
        esac
        [ "${lines[0]}" = "$want" ] || fail_with "--to $to wrote ${lines[0]}"
    done
}

@test "--convert --to prompt-completion splits off the answer; a pair it cannot write is file:line and exit 2" {
    run --separate-stderr ev-tune --convert --to prompt-completion "$VALID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = '{"prompt":[{"role":"system","content":"Answer with one word."},{"role":"user","content":"What is the capital of Italy?"}],"completion":[{"role":"assistant","content":"Rome"}]}' ]
    run --separate-stderr ev-tune --convert --to alpaca-dpo "$PREF_BAD"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"tune-pref-bad.jsonl:4: cannot convert: alpaca holds one exchange"* ]]
    [[ "$stderr" == *"tune-pref-bad.jsonl:5: cannot convert: 'preferred_output' is not a list of one message with string content"* ]]
    [ "${lines[0]}" = '{"instruction":"q","input":"","chosen":"a","rejected":"b"}' ]
}

@test "--dataset-info writes LLaMA-Factory's entry for each format it reads" {
    run --separate-stderr ev-tune --dataset-info ev_train --to alpaca
    [ "$status" -eq 0 ]
    [ "$output" = '{"ev_train":{"file_name":"ev_train.jsonl","formatting":"alpaca","columns":{"prompt":"instruction","query":"input","response":"output"}}}' ]
    run --separate-stderr ev-tune --dataset-info ev_train
    [ "$status" -eq 0 ]
    [ "$(field '.ev_train | [.formatting, .columns.messages, .tags.role_tag, .tags.user_tag]')" = '["sharegpt","messages","role","user"]' ]
    run --separate-stderr ev-tune --dataset-info ev_train --to sharegpt
    [ "$(field '.ev_train | [.columns.messages, .tags.role_tag, .tags.user_tag, .ranking]')" = '["conversations","from","human",null]' ]
    run --separate-stderr ev-tune --dataset-info prefs --to sharegpt-dpo
    [ "$(field '.prefs | [.file_name, .ranking, .columns.chosen, .columns.rejected]')" = '["prefs.jsonl",true,"chosen","rejected"]' ]
    run --separate-stderr ev-tune --dataset-info prefs --to alpaca-dpo
    [ "$(field '.prefs | [.formatting, .ranking, .columns.prompt, .columns.chosen]')" = '["alpaca",true,"instruction","chosen"]' ]
}

@test "formats, methods and modes that do not go together are usage errors" {
    local args
    for args in '--method ppo' '--to trl' '--method sft --to trl-dpo' '--method dpo --to alpaca' \
        '--check --to trl-dpo' '--dataset-info x --to trl-dpo' \
        '--dataset-info x --to prompt-completion' '--dataset-info x file' '--dataset-info x --convert'; do
        run --separate-stderr ev-tune $args </dev/null
        [ "$status" -eq 2 ] || fail_with "ev-tune $args exited $status"
        [ -z "$output" ] || fail_with "ev-tune $args wrote to stdout"
        [[ "$stderr" == *"try 'ev-tune --help'"* ]] || fail_with "ev-tune $args: $stderr"
    done
    run --separate-stderr ev-tune --method sft --to trl-dpo
    [[ "$stderr" == *"--to trl-dpo is not a format of --method sft, whose formats are chat, prompt-completion, alpaca, sharegpt"* ]]
}

@test "--cmd --method dpo gives the trainer the pairs as they are, and refuses bad ones before it runs" {
    run --separate-stderr ev-tune --method dpo \
        --cmd 'echo "$EV_TRAIN_FORMAT $(wc -l < "$1")" >&2; echo dpo-model' "$PREF"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"preference 10"* ]]
    [ "$(field .fine_tuned_model)" = '"dpo-model"' ]
    run --separate-stderr ev-tune --method dpo --cmd 'touch ran; echo m' "$PREF_BAD"
    [ "$status" -eq 1 ]
    [ ! -e ran ]
}

# recipe NAME FORMAT FILE: run examples/trainers/NAME.sh through ev-tune
# --cmd with the stand-in trainers first on PATH.
recipe() {
    PATH="$FAKES:$PATH" run --separate-stderr ev-tune --cmd "sh '$TRAINERS/$1.sh' \"\$1\" out-$1-$2" \
        -m base/model --epochs 2 --to "$2" "$3"
}

@test "each trainer recipe trains on the converted file and names the adapter on its last line" {
    local spec name to file
    for spec in "trl chat $VALID" "trl prompt-completion $VALID" "trl trl-dpo $PREF" \
        "unsloth chat $VALID" "unsloth trl-dpo $PREF" \
        "axolotl chat $VALID" "axolotl axolotl-dpo $PREF" \
        "llamafactory chat $VALID" "llamafactory sharegpt $VALID" \
        "llamafactory alpaca-dpo $PREF" "llamafactory sharegpt-dpo $PREF"; do
        read -r name to file <<<"$spec"
        recipe "$name" "$to" "$file"
        [ "$status" -eq 0 ] || fail_with "$name --to $to exited $status: $stderr"
        [ "$(field .fine_tuned_model)" = "\"out-$name-$to\"" ] || fail_with "$name --to $to: $output"
        [ "$(field .model)" = '"base/model"' ]
        jq -e '.examples >= 10' "out-$name-$to/adapter_config.json" >/dev/null ||
            fail_with "$name --to $to trained on: $(cat "out-$name-$to/adapter_config.json")"
    done
    # what the recipes passed on: the base model and the epochs of ev-tune
    [ "$(jq -c '[.trainer, .model, .epochs]' out-trl-trl-dpo/adapter_config.json)" = '["DPOTrainer","base/model",2]' ]
    [ "$(jq -c .base_model out-axolotl-chat/adapter_config.json)" = '"base/model"' ]
    [ "$(jq -c .stage out-llamafactory-sharegpt-dpo/adapter_config.json)" = '"dpo"' ]
    [ "$(jq -c .ev.ranking out-llamafactory-sharegpt-dpo/data/dataset_info.json)" = true ]
}

@test "a recipe refuses a format its trainer does not read, and the stand-ins refuse a file their trainer could not" {
    sed 10d "$VALID" >one-turn.jsonl # alpaca holds one exchange, and line 10 has two
    recipe trl alpaca one-turn.jsonl
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"trl.sh: TRL reads chat, prompt-completion or trl-dpo, not 'alpaca'"* ]]
    [ "$(field .status)" = '"failed"' ]
    # the stand-ins can fail: TRL's DPOTrainer cannot read chat examples
    printf 'x = DPOTrainer(model)\n' >program.py
    run --separate-stderr "$FAKES/python3" - "$VALID" out m 1 dpo <program.py
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"tune-valid.jsonl:1: DPOTrainer cannot read this example"* ]]
    # nor LLaMA-Factory a chat file its entry calls alpaca
    mkdir -p data
    cp "$VALID" data/ev.jsonl
    ev-tune --dataset-info ev --to alpaca >data/dataset_info.json
    printf 'stage: sft\ndataset: ev\ndataset_dir: data\noutput_dir: out\n' >lf.yaml
    run --separate-stderr "$FAKES/llamafactory-cli" train lf.yaml
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"data/ev.jsonl:1: the entry of 'ev' cannot read this example"* ]]
}

@test "the trainer recipes and stand-ins pass shellcheck" {
    command -v shellcheck >/dev/null || skip "shellcheck is not installed"
    run shellcheck -s sh "$TRAINERS"/*.sh "$FAKES"/*
    [ "$status" -eq 0 ] || fail_with "$output"
}

@test "--help names --method, --dataset-info and every format" {
    run --separate-stderr ev-tune --help
    [ "$status" -eq 0 ]
    local word
    for word in '--method sft|dpo' '--dataset-info NAME' chat prompt-completion alpaca sharegpt \
        preference trl-dpo axolotl-dpo alpaca-dpo sharegpt-dpo; do
        [[ "$output" == *"$word"* ]] || fail_with "no '$word' in --help"
    done
}
