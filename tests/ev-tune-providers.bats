#!/usr/bin/env bats
# ev-tune --provider together|fireworks: each provider's fine-tuning flow
# against ev-mock's simulation of it (ev-mock(1), TOGETHER AND FIREWORKS),
# never paying twice (the state next to the cache, a lost id found again),
# and the keys' rules. Each test starts its own ev-mock on a free port.
load test_helper

VALID="$FIXTURES/tune-valid.jsonl"
PRICES="$FIXTURES/tune-prices.jsonl"
TG_BASE=meta-llama/Meta-Llama-3.1-8B-Instruct-Reference
FW_BASE=accounts/fireworks/models/qwen3-8b

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    unset OPENAI_API_KEY OPENAI_BASE_URL TOGETHER_BASE_URL FIREWORKS_BASE_URL FIREWORKS_ACCOUNT_ID
    export TOGETHER_API_KEY=tg-test-key FIREWORKS_API_KEY=fw-test-key
    export EV_PRICES="$PRICES"
}

teardown() {
    ev_mock_stop_all
}

# start_mock ARGS...: start ev-mock; set TG and FW, the two providers' base
# URLs on it.
start_mock() {
    ev_mock_start "$@"
    TG="$MOCK/together/v1"
    FW="$MOCK/fireworks"
}

# raw JQ: apply a jq filter to $output and print raw strings.
raw() {
    printf '%s\n' "$output" | jq -r "$1"
}

# wait_created FILE: wait until ev-tune's stderr in FILE says it created a
# job.
wait_created() {
    wait_for_line "$1" 'created job'
}

# stats JQ: a figure of the newest ev-mock's /stats.
stats() {
    curl -sS "$MOCK/stats" | jq -c "$1"
}

@test "--provider together uploads, creates a LoRA job, follows its events and names the output model" {
    start_mock --job-ms 200
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(field '[.status, .provider, .model]')" = "[\"succeeded\",\"together\",\"$TG_BASE\"]" ]
    jid=$(raw .job_id)
    job=$(curl -sS -H "Authorization: Bearer tg-test-key" "$TG/fine-tunes/$jid")
    [ "$(raw .fine_tuned_model)" = "$(jq -r .model_output_name <<<"$job")" ]
    [ "$(raw .training_file)" = "$(jq -r .training_file <<<"$job")" ]
    [ "$(raw .trained_tokens)" = "$(jq -r .token_count <<<"$job")" ]
    [ "$(jq -c '[.training_type.type, .training_method.method]' <<<"$job")" = '["Lora","sft"]' ]
    # the suffix names the submission, so that a lost job can be found
    [[ "$(jq -r .suffix <<<"$job")" =~ ^ev-[0-9a-f]{12}$ ]]
    # the plan's epochs (the cookbook's 8 for 12 examples), not Together's default 1
    [ "$(jq -r .n_epochs <<<"$job")" = 8 ]
    [[ "$stderr" == *"$jid: Training started for $TG_BASE"* ]]
    [[ "$stderr" == *"$jid: Epoch completed, at step"* ]]
    [ "$(stats .fine_tuning.together.jobs)" = 1 ]
}

@test "--provider together --full asks for full fine-tuning, and --suffix names the job" {
    start_mock --job-ms 100
    run --separate-stderr ev-tune -q --submit --provider together --full --suffix mine -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 0 ]
    job=$(curl -sS "$TG/fine-tunes/$(raw .job_id)")
    [ "$(jq -c '[.training_type.type, .suffix]' <<<"$job")" = '["Full","mine"]' ]
}

@test "--provider fireworks makes a dataset, uploads it, creates a supervised job and names the output model" {
    start_mock --job-ms 200
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(field '[.status, .provider, .model]')" = "[\"succeeded\",\"fireworks\",\"$FW_BASE\"]" ]
    jid=$(raw .job_id)
    [[ "$jid" =~ ^accounts/ev-mock/supervisedFineTuningJobs/ev-[0-9a-f]{12}$ ]]
    job=$(curl -sS "$FW/v1/$jid")
    [ "$(jq -r .state <<<"$job")" = JOB_STATE_COMPLETED ]
    [ "$(raw .fine_tuned_model)" = "$(jq -r .outputModel <<<"$job")" ]
    [ "$(raw .training_file)" = "$(jq -r .dataset <<<"$job")" ]
    ds=$(curl -sS "$FW/v1/$(raw .training_file)")
    [ "$(jq -c '[.state, .exampleCount]' <<<"$ds")" = '["READY","12"]' ]
    [[ "$stderr" == *"$jid: succeeded ("* ]]
    # the account may come from the environment
    FIREWORKS_ACCOUNT_ID=ev-mock run --separate-stderr ev-tune -q --submit --provider fireworks --suffix two -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(stats .fine_tuning.fireworks.jobs)" = 2 ]
}

@test "a failed job exits 1 with the provider's message and the line says failed, for both providers" {
    start_mock --job-ms 50 --fault job-fail=1
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 1 ]
    [ "$(raw .status)" = failed ]
    [[ "$(raw .error.message)" == *"failed: internal error (simulated by ev-mock's job-fail fault)"* ]]
    [[ "$stderr" == *"job '$(raw .job_id)' failed: Job "*"internal error"* ]]
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 1 ]
    [ "$(raw '[.status, .provider]')" = '[
  "failed",
  "fireworks"
]' ]
    [[ "$(raw .error.message)" == *"internal error (simulated by ev-mock's job-fail fault)"* ]]
    # a failed job drops the state: the next run creates another
    run --separate-stderr ev-tune -q --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 1 ]
    [ "$(stats .fine_tuning.together.jobs)" = 2 ]
}

@test "a job whose creation's answer was lost is found again, not created twice: Together by listing, Fireworks by its id" {
    start_mock --job-ms 100 --fault lost-id=1
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"cannot create the job"* ]]
    [[ "$stderr" == *"the answer was lost, but the provider has the job '$(raw .job_id)'"* ]]
    [ "$(raw .status)" = succeeded ]
    [ "$(stats .fine_tuning.together.jobs)" = 1 ]
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"the answer was lost, but the provider has the job '$(raw .job_id)'"* ]]
    [ "$(stats .fine_tuning.fireworks.jobs)" = 1 ]
    [ "$(stats .by_outcome.lost_id)" = 2 ]
}

@test "a run interrupted while following is picked up by the same command or --resume, never paid twice" {
    start_mock --job-advance poll
    ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 50 --base-url "$TG" "$VALID" \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
    pid=$!
    wait_created "$BATS_TEST_TMPDIR/err"
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    [ "$st" -eq 130 ]
    jid=$(jq -r .job_id "$BATS_TEST_TMPDIR/out")
    grep -q "'ev-tune --provider together --resume $jid' follows it again" "$BATS_TEST_TMPDIR/err"
    # the same command follows the same job to its end
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(raw '.job_id')" = "$jid" ]
    [[ "$stderr" == *"an earlier run submitted this file as job '$jid'; following it"* ]]
    [ "$(stats .fine_tuning.together.jobs)" = 1 ]
    [ "$(stats .fine_tuning.together.files)" = 1 ]
    # and --resume follows it too
    run --separate-stderr ev-tune --resume "$jid" --provider together --poll-ms 20 --base-url "$TG"
    [ "$status" -eq 0 ]
    [ "$(raw '[.job_id, .status, .provider] | join(" ")')" = "$jid succeeded together" ]
}

@test "--cancel stops a job at either provider and the line says cancelled" {
    start_mock --job-ms 3600000
    jid=$(ev-tune -q --submit --provider together -m "$TG_BASE" --poll-ms 50 --timeout 0.2 --base-url "$TG" "$VALID" | jq -r .job_id) || true
    [[ "$jid" == ft-* ]]
    run --separate-stderr ev-tune --cancel "$jid" --provider together --base-url "$TG"
    [ "$status" -eq 0 ]
    [ "$(raw '[.job_id, .status, .provider] | join(" ")')" = "$jid cancel_requested together" ]
    jid=$(ev-tune -q --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 50 --timeout 0.2 --base-url "$FW" "$VALID" | jq -r .job_id) || true
    [[ "$jid" == accounts/ev-mock/supervisedFineTuningJobs/* ]]
    run --separate-stderr ev-tune --cancel "$jid" --provider fireworks --base-url "$FW"
    [ "$status" -eq 0 ]
    [ "$(raw '[.job_id, .status] | join(" ")')" = "$jid cancelled" ]
    run curl -sS -o /dev/null -w '%{http_code}' "$FW/v1/$jid"
    [ "$output" = 404 ]
    # the same command again: the job its state names is gone, so the state is dropped ...
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 50 --timeout 0.2 --base-url "$FW" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"the provider has no job '$jid' any more: its state is dropped; run again to submit the file anew"* ]]
    # ... and the next run submits the file anew
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 50 --timeout 0.2 --base-url "$FW" "$VALID"
    [[ "$stderr" == *"created job '$jid'"* ]]
}

@test "a canary key never appears in argv, output, diagnostics or the state, for either provider" {
    export TOGETHER_API_KEY=tg-canary-5e1d
    export FIREWORKS_API_KEY=tg-canary-5e1d
    export MOCK_KEY=tg-canary-5e1d
    start_mock --require-key-env MOCK_KEY --job-advance poll
    ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 50 --base-url "$TG" "$VALID" \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
    pid=$!
    wait_created "$BATS_TEST_TMPDIR/err"
    tr '\0' ' ' <"/proc/$pid/cmdline" >"$BATS_TEST_TMPDIR/argv"
    kill -INT "$pid"
    wait "$pid" || true
    grep -q -- '--provider together' "$BATS_TEST_TMPDIR/argv"
    ! grep -q canary "$BATS_TEST_TMPDIR/argv"
    ! grep -q canary "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [[ "$output$stderr" != *canary* ]]
    # the states hold ids, never the key
    ls "$EV_CACHE_DIR"/batches/*.json
    ! grep -rq canary "$EV_CACHE_DIR"
    # a wrong key: the server's 401 is said, the key is not
    TOGETHER_API_KEY=tg-canary-wrong run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --base-url "$TG" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"HTTP 401"* ]]
    [[ "$stderr" != *canary* ]]
    # and never over plain http to another host
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --base-url http://example.invalid/v1 "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"refusing to send the API key over plain http to 'example.invalid'"* ]]
}

@test "provider options are checked: the account, --full, the suffix, the provider's name, --deploy and --undeploy" {
    run --separate-stderr ev-tune --submit --provider fireworks -m "$FW_BASE" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--provider fireworks needs the account: --account ID, or \$FIREWORKS_ACCOUNT_ID"* ]]
    run --separate-stderr ev-tune --submit --provider fireworks --account a --full -m "$FW_BASE" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--full is Together's choice"* ]]
    run --separate-stderr ev-tune --submit --provider together --suffix "$(printf 'x%.0s' {1..41})" -m "$TG_BASE" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--suffix must be at most 40 characters for Together"* ]]
    run --separate-stderr ev-tune --submit --provider mistral -m m "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--provider must be 'together', 'fireworks' or 'openai', not 'mistral'"* ]]
    run --separate-stderr ev-tune --check --provider together "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"go with --submit, --resume, --cancel or --undeploy"* ]]
    run --separate-stderr ev-tune --submit --deploy --provider openai -m m "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--deploy goes with --submit or --resume, and --provider together or fireworks"* ]]
    run --separate-stderr ev-tune --undeploy ep_1
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--undeploy needs --provider together or --provider fireworks"* ]]
    unset TOGETHER_API_KEY
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" "$VALID"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *TOGETHER_API_KEY* ]]
}

@test "--deploy serves the tuned model on Together's dedicated endpoint, says its price and that it bills, and --undeploy stops it" {
    start_mock --job-ms 100 --deploy-ms 100 --cases "$EXAMPLES/mock-cases.jsonl" --learner "$TG_BASE"
    run --separate-stderr ev-tune --submit --deploy --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$EXAMPLES/mock-cases.jsonl"
    [ "$status" -eq 0 ]
    [ "$(raw '[.status, .deployment.state] | join(" ")')" = "succeeded ready" ]
    ep=$(raw .deployment.id)
    model=$(raw .deployment.model)
    [[ "$ep" == ep_* ]]
    [[ "$model" == ev-mock/ev-* ]]
    [ "$(raw .deployment.base_url)" = "$TG" ]
    # the price is Together's, for the deployment's hardware
    hw=$(raw .deployment.hardware)
    cents=$(curl -sS "$MOCK/together/v2/public/inference-instance-types/$hw" | jq .priceCentsPerHour)
    [ "$(raw .deployment.price_per_hour)" = "$(jq -n "$cents / 100")" ]
    # it bills until stopped: said when it starts and when the run ends
    [ "$(grep -c "endpoint '$ep' bills $(raw '.deployment.price_per_hour * 100 | round / 100') USD an hour until it is stopped" <<<"$stderr")" = 2 ]
    [[ "$stderr" == *"the run ends, but endpoint '$ep' bills"* ]]
    [[ "$stderr" == *"'ev-tune --provider together --undeploy $ep' stops it"* ]]
    # the model answers through ev-call
    ev-call -q -m "$model" --base-url "$(raw .deployment.base_url)" --api-key-env TOGETHER_API_KEY "$EXAMPLES/mock-cases.jsonl" >"$BATS_TEST_TMPDIR/run.jsonl"
    [ "$(jq -s '[.[] | select(.output != null)] | length' "$BATS_TEST_TMPDIR/run.jsonl")" -gt 0 ]
    run --separate-stderr ev-tune --undeploy "$ep" --provider together --poll-ms 20 --base-url "$TG"
    [ "$status" -eq 0 ]
    [ "$(raw '[.id, .state, .provider] | join(" ")')" = "$ep stopped together" ]
    [[ "$stderr" == *"it no longer bills"* ]]
    [ "$(stats .fine_tuning.together.endpoints)" = 0 ]
    run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' "$TG/chat/completions" \
        -d '{"model": "'"$model"'", "messages": [{"role": "user", "content": "hi"}]}'
    [ "$output" = 404 ]
}

@test "--deploy at Fireworks waits out a slow deployment, names the model to ask, says its price is unknown; --undeploy deletes it" {
    start_mock --job-ms 100 --deploy-ms 50 --fault slow-deploy=1
    run --separate-stderr ev-tune --submit --deploy --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    dep=$(raw .deployment.id)
    [[ "$dep" == accounts/ev-mock/deployments/ev-* ]]
    [ "$(raw .deployment.model)" = "$(raw .fine_tuned_model)" ]
    [ "$(raw .deployment.base_url)" = "$FW/inference/v1" ]
    [ "$(raw .deployment.price_per_hour)" = null ]
    [[ "$stderr" == *"starting a dedicated endpoint for '$(raw .fine_tuned_model)': creating"* ]]
    [[ "$stderr" == *"endpoint: ready ("* ]]
    [[ "$stderr" == *"bills by the hour, at a price ev does not know (unknown: Fireworks says no price of a deployment, and the price table has no row fireworks-1x-h100-80gb; see https://fireworks.ai/pricing)"* ]]
    run curl -sS "$FW/v1/$dep"
    [ "$(raw .state)" = READY ]
    run --separate-stderr ev-tune --undeploy "$dep" --provider fireworks --base-url "$FW"
    [ "$status" -eq 0 ]
    [ "$(raw .state)" = stopped ]
    # with the installed table, the price an hour is its row's for the hardware
    table="$BATS_TEST_DIRNAME/../data/prices.jsonl"
    run --separate-stderr ev-tune --submit --deploy --provider fireworks --account ev-mock --suffix priced -m "$FW_BASE" --poll-ms 20 --prices "$table" --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(raw .deployment.hardware)" = NVIDIA_H100_80GB ]
    [ "$(raw .deployment.price_per_hour)" = "$(jq 'select(.name == "fireworks-1x-h100-80gb") | .per_hour' "$table")" ]
    [[ "$(raw .deployment.price_source)" == "the price table's row fireworks-1x-h100-80gb ("* ]]
    run curl -sS "$FW/v1/$dep"
    [[ "$(raw .state)" =~ ^(DELETING|DELETED)$ ]]
}

@test "--deploy that runs out of time says the endpoint bills and how to stop it; run again, it finds the same endpoint" {
    start_mock --job-ms 50 --deploy-ms 3600000
    run --separate-stderr ev-tune --submit --deploy --provider together -m "$TG_BASE" --poll-ms 20 --timeout 1 --base-url "$TG" "$VALID"
    [ "$status" -eq 2 ]
    ep=$(raw .deployment.id)
    [[ "$stderr" == *"gave up waiting after 1 s: the endpoint is"* ]]
    [[ "$stderr" == *"the run ends, but endpoint '$ep' bills"* ]]
    run --separate-stderr ev-tune --submit --deploy --provider together -m "$TG_BASE" --poll-ms 20 --timeout 0.3 --base-url "$TG" "$VALID"
    [ "$status" -eq 2 ]
    [ "$(raw .deployment.id)" = "$ep" ]
    [ "$(stats .fine_tuning.together.endpoints)" = 1 ]
    [ "$(stats .fine_tuning.together.deployments)" = 1 ]
    [ "$(stats .fine_tuning.together.jobs)" = 1 ]
}

@test "before anything is sent, examples are checked against the base's context, and a base Fireworks cannot tune is refused" {
    start_mock --job-ms 50
    # Fireworks says llama-v3p1-8b-instruct is not tunable: nothing is sent
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m accounts/fireworks/models/llama-v3p1-8b-instruct --base-url "$FW" "$VALID"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [[ "$stderr" == *"'accounts/fireworks/models/llama-v3p1-8b-instruct' cannot be tuned: Fireworks says it is not tunable; pick a model of its list of tunable models, such as accounts/fireworks/models/qwen3-8b; nothing was sent"* ]]
    [ "$(stats .fine_tuning.fireworks.datasets)" = 0 ]
    # a tunable base: its context, cut as a job cuts it, is the limit of an example
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"examples are checked against 32768 tokens, the context of '$FW_BASE'"* ]]
    # Together: the base's context from Together's table, when its limits endpoint does not answer
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"examples are checked against 131072 tokens, the context of '$TG_BASE' (Together's table of supported models, 2026)"* ]]
    # an example longer than the base's context (about 75000 tokens) is refused, nothing sent
    cp "$VALID" "$BATS_TEST_TMPDIR/long.jsonl"
    head -c 300000 /dev/zero | tr '\0' a |
        jq -cR '{messages: [{role: "user", content: .}, {role: "assistant", content: "ok"}]}' >>"$BATS_TEST_TMPDIR/long.jsonl"
    run --separate-stderr ev-tune --submit --provider together -m Qwen/Qwen3.5-9B --base-url "$TG" "$BATS_TEST_TMPDIR/long.jsonl"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"checked against 65536 tokens"* ]]
    [[ "$stderr" == *"long.jsonl:13:"* ]]
    [[ "$stderr" == *"nothing was sent"* ]]
    [ "$(stats .fine_tuning.together.files)" = 1 ]
    # a file Together's own check refuses (a role twice in a row) is said with Together's reason
    { cat "$VALID"; echo '{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "assistant", "content": "c"}]}'; } >"$BATS_TEST_TMPDIR/twice.jsonl"
    run --separate-stderr ev-tune --submit --provider together -m "$TG_BASE" --base-url "$TG" "$BATS_TEST_TMPDIR/twice.jsonl"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"Together refused the training file 'file-"*"' (INVALID_FORMAT): Line 13: "*"repeats the role 'user'"* ]]
    [ "$(stats .fine_tuning.together.jobs)" = 1 ]
    # --max-example-tokens, when given, is the limit
    run --separate-stderr ev-tune --submit --provider together --max-example-tokens 200000 -m Qwen/Qwen3.5-9B --poll-ms 20 --base-url "$TG" "$BATS_TEST_TMPDIR/long.jsonl"
    [ "$status" -eq 0 ]
    [[ "$stderr" != *"checked against"* ]]
}

@test "an endpoint or deployment whose answer was lost is found again, not started twice, at either provider" {
    start_mock --job-ms 50 --deploy-ms 50 --fault lost-id=1
    run --separate-stderr ev-tune --submit --deploy --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(raw .deployment.state)" = ready ]
    [ "$(stats '[.fine_tuning.together.jobs, .fine_tuning.together.endpoints, .fine_tuning.together.deployments]')" = '[1,1,1]' ]
    run --separate-stderr ev-tune --submit --deploy --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(raw .deployment.state)" = ready ]
    [ "$(stats '[.fine_tuning.fireworks.jobs, .fine_tuning.fireworks.deployments]')" = '[1,1]' ]
    # the job, the endpoint and the deployment at Together, the job and the deployment at Fireworks
    [ "$(stats .by_outcome.lost_id)" = 5 ]
}

@test "--provider openai keeps its flow, and finds a job whose answer was lost by listing, too" {
    start_mock --job-ms 50 --fault lost-id=1
    run --separate-stderr ev-tune --submit -m small --poll-ms 20 --base-url "$MOCK/v1" "$VALID"
    [ "$status" -eq 0 ]
    [ "$(raw '[.status, .provider] | join(" ")')" = "succeeded openai" ]
    [[ "$(raw .job_id)" == ftjob-* ]]
    [[ "$stderr" == *"the answer was lost, but the provider has the job '$(raw .job_id)'"* ]]
    [ "$(stats .fine_tuning.jobs)" = 1 ]
}

@test "--method dpo submits a preference file as Together's dpo training_method and as a Fireworks DPO job" {
    start_mock --job-ms 50
    run --separate-stderr ev-tune --submit --method dpo --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$EXAMPLES/pref-small.jsonl"
    [ "$status" -eq 0 ]
    [ "$(raw .status)" = succeeded ]
    job=$(curl -sS "$TG/fine-tunes/$(raw .job_id)")
    [ "$(jq -c '[.training_method.method, .training_type.type]' <<<"$job")" = '["dpo","Lora"]' ]
    run --separate-stderr ev-tune --submit --method dpo --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$EXAMPLES/pref-small.jsonl"
    [ "$status" -eq 0 ]
    [[ "$(raw .job_id)" == accounts/ev-mock/dpoJobs/ev-* ]]
    job=$(curl -sS "$FW/v1/$(raw .job_id)")
    [ "$(jq -r .lossConfig.method <<<"$job")" = DPO ]
    [ "$(raw .fine_tuned_model)" = "$(jq -r .trainingConfig.outputModel <<<"$job")" ]
    # a chat file is not a preference file: refused before anything is sent
    run --separate-stderr ev-tune --submit --method dpo --provider together -m "$TG_BASE" --base-url "$TG" "$VALID"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"nothing was sent"* ]]
    [ "$(stats .fine_tuning.together.files)" = 1 ]
}

@test "--help and ev-tune(1) name every provider option" {
    run --separate-stderr ev-tune --help
    [ "$status" -eq 0 ]
    for word in --provider together fireworks --account --full --deploy --undeploy --cache-dir \
        TOGETHER_API_KEY FIREWORKS_API_KEY FIREWORKS_ACCOUNT_ID 2027-01-06; do
        [[ "$output" == *"$word"* ]] || fail_with "no '$word' in --help"
    done
    page=$(MANWIDTH=200 mandoc -Tascii "$BATS_TEST_DIRNAME/../man/ev-tune.1" | col -b)
    for word in --provider --account --full --deploy --undeploy --cache-dir TOGETHER_API_KEY \
        FIREWORKS_API_KEY FIREWORKS_ACCOUNT_ID 2026-05-07 2026-07-02 2027-01-06 2027-01-14 \
        "NEVER PAID TWICE" SERVING PROVIDERS; do
        [[ "$page" == *"$word"* ]] || fail_with "no '$word' in ev-tune(1)"
    done
}

@test "the fewest examples are the provider's: 1 at Together, 3 at Fireworks, 10 at OpenAI" {
    start_mock --job-ms 50
    head -n 2 "$VALID" >"$BATS_TEST_TMPDIR/two.jsonl"
    run --separate-stderr ev-tune -q --submit --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$BATS_TEST_TMPDIR/two.jsonl"
    [ "$status" -eq 0 ]
    [ "$(raw .status)" = succeeded ]
    run --separate-stderr ev-tune --submit --provider fireworks --account ev-mock -m "$FW_BASE" --base-url "$FW" "$BATS_TEST_TMPDIR/two.jsonl"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"two.jsonl: 2 valid examples, and at least 3 are required"* ]]
    [ "$(stats .fine_tuning.fireworks.datasets)" = 0 ]
    head -n 3 "$VALID" >"$BATS_TEST_TMPDIR/three.jsonl"
    run --separate-stderr ev-tune -q --submit --provider fireworks --account ev-mock -m "$FW_BASE" --poll-ms 20 --base-url "$FW" "$BATS_TEST_TMPDIR/three.jsonl"
    [ "$status" -eq 0 ]
    run --separate-stderr ev-tune --submit -m small --base-url "$MOCK/v1" "$BATS_TEST_TMPDIR/three.jsonl"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"three.jsonl: 3 valid examples, and at least 10 are required"* ]]
}

@test "SIGINT while an endpoint starts: exit 130, the line names the endpoint, and the run says it bills until stopped" {
    start_mock --job-ms 50 --deploy-ms 3600000
    ev-tune --submit --deploy --provider together -m "$TG_BASE" --poll-ms 20 --base-url "$TG" "$VALID" \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
    pid=$!
    wait_for_line "$BATS_TEST_TMPDIR/err" 'starting a dedicated endpoint' "$pid"
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    [ "$st" -eq 130 ]
    ep=$(jq -r .deployment.id "$BATS_TEST_TMPDIR/out")
    [[ "$ep" == ep_* ]]
    [ "$(jq -r .status "$BATS_TEST_TMPDIR/out")" = succeeded ]
    [ "$(jq -r .deployment.state "$BATS_TEST_TMPDIR/out")" != ready ]
    grep -q "the run ends, but endpoint '$ep' bills" "$BATS_TEST_TMPDIR/err"
    grep -q "'ev-tune --provider together --undeploy $ep' stops it" "$BATS_TEST_TMPDIR/err"
    # the endpoint is still there, starting, as the line says
    [ "$(stats .fine_tuning.together.endpoints)" = 1 ]
    # --undeploy asks it to stop; --timeout bounds the wait for it to stop
    run --separate-stderr ev-tune --undeploy "$ep" --provider together --poll-ms 20 --timeout 0.2 --base-url "$TG"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"gave up after 0.2 s: deployment 'dep_"*"' is still stopping (it bills no more once stopped); run --undeploy again to remove it"* ]]
    [[ "$stderr" == *"endpoint '$ep' may still be running, and billing"* ]]
}
