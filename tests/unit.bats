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

@test "records, ids and hashing behave as documented" {
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
    run_unit test_keymap
    run_unit test_minhash
    run_unit test_split
    run_unit test_take
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
    run_unit test_example
    run_unit test_convert
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
    run_unit test_run
}

@test "paired comparisons pair by id and group, and the verdict follows STATS.md section 6" {
    run_unit test_compare
}

@test "the per-tag tally orders tags worst first, and budgets spread as ev-gaps(1) says" {
    run_unit test_gaps
}

@test "ev-gaps' summary prints as a table, Markdown, TSV or JSON, and says what the labels changed" {
    run_unit test_gaps_report
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

@test "near duplicates are one notion: the same input, or word 3-grams at the threshold" {
    run_unit test_near
}

@test "a stratified split gives each stratum its quota and reports each tag's sides" {
    run_unit test_strata
}

@test "the leak check writes each pair of an eval case and the training cases it leaks into" {
    run_unit test_leak
}

@test "a baseline run says which cases passed, and a teacher's run its passing answers" {
    run_unit test_baseline
}

@test "picks from a pool are aimed at the failing tags, nearest first, and never leak" {
    run_unit test_pick
}

@test "the review sheet files each failure under its tags with its reason and fenced texts" {
    run_unit test_review
}

@test "a reviewer's review.jsonl is read: labels, corrected answers, bad lines as file:line" {
    run_unit test_labels
}

# ev-tune's modules and ev's one way to start a process (phase 2)

@test "a process starts with pipes, /dev/null or ours, its signals at their defaults and none of our pipes" {
    run_unit test_proc
}

@test "a training file is read, reported, converted and refused as ev-tune(1) says, and quoted at the table's price" {
    run_unit test_dataset
    run_unit test_quote
}

@test "a fine-tuning job is uploaded, created, followed with its events, retried, failed, interrupted, cancelled, found again when its answer was lost, and refused by OpenAI as lib/finetune.h says" {
    run_unit test_finetune
}

@test "a local trainer gets the file, its variables and a stop, and its lines, exit and model make the line" {
    run_unit test_localtrain
}

@test "library code's warnings and progress reach the command's callbacks, or nowhere" {
    run_unit test_log
}

# ev-curve's modules: the chart and the report (the fits are test_curve, above).
@test "the learning-curve chart draws the points, the fit, the target and n*, as SVG and as text" {
    run_unit test_chart
}

@test "ev-curve's report reads points, reports bad lines as file:line, and prints JSON and a table" {
    run_unit test_projection
}

# p2-compare: ev-compare's report in every format.
@test "ev-compare's report writes one TSV layout, markdown lists and no evidence plainly" {
    run_unit test_compare_report
}

@test "ev-cost's ledger prices records and judges, sums them, and estimates with a range" {
    run_unit test_cost
}

@test "ev-cost's summary and estimate read as documented in every format" {
    run_unit test_cost_report
}

# --- ev-score's modules (lib/score.c split by concept) and the reader ---

@test "UTF-8 is checked and decoded, and texts normalised and split into words as documented" {
    run_unit test_text
}

@test "answers are pulled out of free text: numbers, choice letters, JSON" {
    run_unit test_extract
}

@test "F1 and edit-distance similarity give SQuAD's and Levenshtein's values" {
    run_unit test_metric
}

@test "reasons quote texts cut short on one line, and values as JSON" {
    run_unit test_reason
}

@test "a memo keeps one thing per text up to its bound, and releases them in order" {
    run_unit test_memo
}

@test "regexes that compile or match for ever are refused, and a match is priced" {
    run_unit test_pattern
}

@test "the first JSON difference is named by its jq path" {
    run_unit test_jsondiff
}

@test "jq programs run with no modules, no other input and no debug output, and report as documented" {
    run_unit test_jqprog
}

@test "jq, regexes and similarity run in the scoring sandbox under a budget" {
    run_unit test_scorebox
}

@test "SPEC strings, assert objects and lists are read into plans, and bad ones say why" {
    run_unit test_assertion
}

@test "each scorer gives the verdict and reason ev-score(1) documents" {
    run_unit test_scorer
}

@test "a record's score comes from its assert or the default, lists combine, judges take two steps" {
    run_unit test_score
}

@test "rubrics write and read the judge's prompt and labels, and samples combine by vote or mean" {
    run_unit test_judge
}

@test "a run of ev-score checks its options, scores in input order and warns of each bad line once" {
    run_unit test_scorerun
}

@test "diagnostics about many lines alike are shown five times, then counted with thousands separated" {
    run_unit test_diag
}

@test "the reader says once that a file is not JSONL, and counts lines for a progress total" {
    run_unit test_jsonl
}

@test "the relay gives each batch its answers in order, and says how a child that ended early ended" {
    run_unit test_relay
}

# i14-mock: ev-mock's fine-tuning providers (issue 14).

@test "ev-mock's steps move by time at exact moments, one a poll, and stop" {
    run_unit test_steps
}

@test "ev-mock's training data: the tag an example trains" {
    run_unit test_trainset
}

@test "ev-mock's Together files and jobs: upload checks, steps by time and by poll, cancel, faults, requests" {
    run_unit test_together
}

@test "ev-mock's Together deployments: endpoints, states by time and poll, traffic, stop and delete, names" {
    run_unit test_dmi
}

@test "ev-mock's Fireworks datasets, jobs and deployments: states, Training V2's refusals, accounts, names" {
    run_unit test_fireworks
}

# ev-view (issue 16)
@test "data goes into a page as JSON no record can break out of: every '<', '>' and '&' escaped" {
    run_unit test_html
}

@test "the review page's data joins the runs by id, with ev-compare's statuses and ev-gaps' per-tag counts" {
    run_unit test_view
}

@test "an ev-curve report is read back for a chart: its points, target and each fit's line and words" {
    run_unit test_curvefile
}

# i14-client: ev-tune's providers (issue 14).

@test "Together's jobs and events read as the line: its statuses, output model, tokens and event ids" {
    run_unit test_finetune_together
}

@test "Fireworks' supervised and DPO jobs read as the line: states, output model, tokens, errors" {
    run_unit test_finetune_fireworks
}

@test "a deployment is started, followed to ready, failed, out of time or interrupted, said to bill, and stopped; URL escapes" {
    run_unit test_deploy
}

# issue 12: the modules of lib/ that had no unit test.
@test "hashes keep their pinned values, seeds differ, and ev_hash_unit stays in [0, 1) with 53 bits" {
    run_unit test_hash
}

@test "the monotonic clock never goes back, its units agree, deadlines lie ahead, and naps stop or are cut short" {
    run_unit test_clock
}

@test "a spill file is made in \$TMPDIR or /tmp, already unlinked, and gives back every line in order" {
    run_unit test_spill
}

@test "the allocator zeroes, keeps contents, copies and formats, and out of memory says so and exits 2" {
    run_unit test_alloc
}

@test "a helper answers line per line; one that ends, is killed, cannot start or writes out of step is told" {
    run_unit test_coproc
}

@test "the first SIGINT or SIGTERM is noted, wakes a poll and makes status 130; a second ends the process" {
    run_unit test_interrupt
}

# lib/deploy_together, lib/deploy_fireworks and mock/server have no unit test
# of their own: they speak HTTP, and are covered from outside, against
# ev-mock, by tests/ev-tune-providers.bats and tests/ev-mock.bats.
