#!/usr/bin/env bats
# The fault soak, short: tests/soak with a few hundred cases. make soak runs
# it at full size.
load test_helper

@test "the fault soak, short: SIGKILLs, every fault kind and a rate limit lose no case and pay no answer twice" {
    SOAK_CASES=300 SOAK_JOBS=16 SOAK_RPM=150 SOAK_FATAL=1 run "$BATS_TEST_DIRNAME/soak"
    [ "$status" -eq 0 ] || fail_with "$output"
    [[ "$output" == *"soak: PASS: plain repeat unordered; 300 cases"* ]]
}
