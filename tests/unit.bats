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

@test "records, ids, hashing and text normalisation behave as documented" {
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

@test "rate limits read servers' durations, dates and retry-after, and pace, mirror quotas and back off" {
    run_unit test_ratelimit
}

@test "provider bodies, and the answers and errors of every provider and compatible server, read as documented" {
    run_unit test_provider
}

@test "base URLs normalise, and only this machine's hosts count as loopback" {
    run_unit test_url
}

@test "templates fill placeholders from records, and name the file and line of what they cannot" {
    run_unit test_template
}

@test "custom_ids fit both providers, and batch result lines read as answers or failures" {
    run_unit test_batch
}

@test "a key is read, redacted wherever it appears, and goes only where the rules of lib/secret.h allow" {
    run_unit test_secret
}

@test "a local command gets only the environment lib/child.h lists, what --env names, and its own variables" {
    run_unit test_child
}

@test "training examples are checked, measured and converted as the cookbook and ev-tune(1) say" {
    run_unit test_tune
}

@test "the option table parses, range-checks and refuses options as documented" {
    run_unit test_cli
}

@test "the JSON helpers read fields and paths without consuming, and clean parse messages" {
    run_unit test_json
}

@test "the answer cache reads only regular files, checks every field, claims keys and sweeps leftovers as documented" {
    run_unit test_cache
}

@test "report cells read the same in every tool: percentages, intervals, points, counts, durations" {
    run_unit test_report
}

@test "the sandbox confines its worker and holds it to its CPU and memory budgets" {
    run_unit test_sandbox
}

@test "the string table numbers each string once, in first-seen order, across growth" {
    run_unit test_intern
}

@test "a scored run gathers samples into cases, catches duplicates and refuses bad scores with file:line" {
    run_unit test_runs
}

@test "paired comparisons pair by id and group, and the verdict follows STATS.md section 6" {
    run_unit test_compare
}

@test "the per-tag tally orders tags worst first, and budgets spread as ev-gaps(1) says" {
    run_unit test_gaps
}

@test "a sheet files sections under headings in a temporary file and writes each heading's in order" {
    run_unit test_sheet
}

# ev-call's modules (p2-call).

@test "the REST client takes only base URLs and keys the rules allow, and words and classes failures" {
    run_unit test_rest
}

@test "the request engine classes transfers, masks secret headers, and runs, retries, stops and times out jobs" {
    run_unit test_http
}

@test "ev-call's configuration checks its options, builds requests and records, and dry-runs as documented" {
    run_unit test_call
}

@test "records are read ahead in a thread, in order with their text and line, and a stop ends a blocked read" {
    run_unit test_readahead
}

@test "the synchronous run keeps input order, pays once for identical requests, caches, and words its progress" {
    run_unit test_syncrun
}

@test "the batch driver sends nothing when the cache answers all, stops on an unreachable provider, and words its progress" {
    run_unit test_batchrun
}

@test "a progress line fits the terminal by leaving out whole fields, least important first" {
    run_unit test_progress
}
