#!/usr/bin/env bats
# Runs the C unit tests of lib/ and mock/ (tests/unit/*.c); each prints one line a check.
load test_helper

run_unit() {
    run --separate-stderr "$EV_BIN/unit/$1"
    printf '%s\n' "$output" | grep -v '^ok ' >&2 || true
    [ "$status" -eq 0 ]
    [[ "$output" == *"ok "* ]]
    [[ "$output" != *"not ok"* ]]
}

@test "records, ids, hashing, text normalisation and number parsing behave as documented" {
    run_unit test_record
}

@test "statistics match every test vector in STATS.md" {
    run_unit test_stats
}

@test "ev-mock's model answers right, wrong and from replays, loads its cases and judges as documented" {
    run_unit test_model
}

@test "ev-mock's wire formats read requests, cut answers and word errors as each provider does" {
    run_unit test_wire
}

@test "ev-mock answers a chat body from the model, the judge or a tuned model, or refuses it" {
    run_unit test_answer
}

@test "ev-mock's faults are read from --fault and pick requests, jobs and batch lines by hash" {
    run_unit test_fault
}

@test "ev-mock's learner formula and tally behave as documented" {
    run_unit test_learner
}

@test "ev-mock's files and fine-tuning jobs move by time and by poll, fail, cancel and journal" {
    run_unit test_jobs
}

@test "ev-mock's batches move by time and by poll, answer as the chat endpoint and fault lines" {
    run_unit test_batches
}

@test "ev-mock's /stats counts and its --rpm window behave as documented" {
    run_unit test_counts
    run_unit test_rpm
}

@test "the key map, MinHash sketches, the LSH index and split assignment behave as documented" {
    run_unit test_minhash
}

@test "learning-curve fits reproduce the worked examples of STATS.md section 8" {
    run_unit test_curve
}

@test "price lookups, costs and estimates behave as documented" {
    run_unit test_price
}

@test "ev-call's parsers, rate limits, provider bodies and errors, URLs and templates behave as documented" {
    run_unit test_call
}

@test "training examples are checked, measured and converted as the cookbook and ev-tune(1) say" {
    run_unit test_tune
}
