/* Unit tests of mock/fault, ev-mock's one fault policy: what --fault reads,
 * and which requests, jobs and batch lines each fault picks. */
#include <stdio.h>
#include <string.h>

#include "mock/fault.h"
#include "mockunit.h"

/* parse_error returns the message of a --fault 'spec' that must be refused,
 * in 'buf'; "" when it was taken. */
static const char *
parse_error(const char *spec, char *buf, size_t n)
{
    evm_fault_plan p = evm_fault_defaults();
    jv err;
    if (evm_fault_parse(&p, spec, &err)) {
        snprintf(buf, n, "%s", "");
        return buf;
    }
    snprintf(buf, n, "%s", jv_string_value(err));
    jv_free(err);
    return buf;
}

static void
test_parse(void)
{
    evm_fault_plan p = evm_fault_defaults();
    jv err;
    CHECK(evm_fault_parse(&p, "429=0.5", &err), "KIND=RATE is taken");
    CHECK(p.rules[EVM_FAULT_429].rate == 0.5 && p.rules[EVM_FAULT_429].times == 1,
          "TIMES is 1 by default");
    CHECK(evm_fault_parse(&p, "slow=1:3", &err) && p.rules[EVM_FAULT_SLOW].times == 3,
          "KIND=RATE:TIMES");
    CHECK(evm_fault_parse(&p, "reset=0.1:all", &err) && p.rules[EVM_FAULT_RESET].times == 0,
          "'all' is every attempt");
    CHECK(evm_fault_parse(&p, "flat-error=1", &err) && p.rules[EVM_FAULT_FLAT].rate == 1,
          "a kind is named as --help names it");
    CHECK(evm_fault_parse(&p, "job-fail=0.25", &err) && p.job_fail == 0.25, "job-fail=RATE");
    CHECK(evm_fault_parse(&p, "batch-fail=0.5", &err) && p.batch_fail == 0.5, "batch-fail=RATE");
    CHECK(evm_fault_parse(&p, "batch-expire=1", &err) && p.batch_expire == 1, "batch-expire=RATE");
    CHECK(evm_fault_parse(&p, "lost-id=0.5", &err) && p.lost_id == 0.5, "lost-id=RATE");
    CHECK(evm_fault_parse(&p, "slow-deploy=1", &err) && p.slow_deploy == 1, "slow-deploy=RATE");

    char buf[160];
    CHECK_STR(parse_error("nope=1", buf, sizeof(buf)),
              "bad fault 'nope=1': want KIND=RATE[:TIMES] with a KIND from --help",
              "an unknown kind is refused");
    CHECK_STR(parse_error("429", buf, sizeof(buf)),
              "bad fault '429': want KIND=RATE[:TIMES] with a KIND from --help",
              "a kind needs a rate");
    CHECK_STR(parse_error("429=2", buf, sizeof(buf)),
              "bad fault '429=2': RATE must be a number from 0 to 1", "a rate is a share");
    CHECK_STR(parse_error("429=1:0", buf, sizeof(buf)),
              "bad fault '429=1:0': TIMES must be a positive integer or 'all'",
              "TIMES is at least 1");
    CHECK_STR(parse_error("job-fail=0.5:2", buf, sizeof(buf)),
              "bad fault 'job-fail=0.5:2': want job-fail=RATE, RATE a number from 0 to 1",
              "a share of jobs has no TIMES");
    CHECK_STR(parse_error("lost-id=2", buf, sizeof(buf)),
              "bad fault 'lost-id=2': want lost-id=RATE, RATE a number from 0 to 1",
              "a share of lost ids is a share");
    evm_fault_plan q = evm_fault_defaults();
    CHECK(!evm_fault_parse(&q, "500=x", &err) && q.rules[EVM_FAULT_500].rate == 0,
          "a refused spec leaves the plan alone");
    jv_free(err);
}

/* picks counts the bodies of 'n' whose first attempt fault 'f' picks. */
static int
picks(const evm_fault_plan *p, enum evm_fault f, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += evm_fault_pick(p, (uint64_t)i * 0x9e3779b97f4a7c15ULL, 1) == f;
    return k;
}

static void
test_pick(void)
{
    evm_fault_plan p = evm_fault_defaults();
    CHECK(picks(&p, EVM_FAULT_NONE, 100) == 100, "no fault: every request is answered");
    p.rules[EVM_FAULT_500] = (evm_fault_rule){1, 2};
    CHECK(evm_fault_pick(&p, 7, 1) == EVM_FAULT_500 && evm_fault_pick(&p, 7, 2) == EVM_FAULT_500,
          "rate 1: the first TIMES attempts are faulted");
    CHECK(evm_fault_pick(&p, 7, 3) == EVM_FAULT_NONE, "then the body is answered");
    p.rules[EVM_FAULT_AUTH] = (evm_fault_rule){1, 1};
    CHECK(evm_fault_pick(&p, 7, 1) == EVM_FAULT_AUTH && evm_fault_pick(&p, 7, 2) == EVM_FAULT_500 &&
              evm_fault_pick(&p, 7, 3) == EVM_FAULT_500 &&
              evm_fault_pick(&p, 7, 4) == EVM_FAULT_NONE,
          "kinds on one body take their turns in order, outside in");
    p = evm_fault_defaults();
    p.rules[EVM_FAULT_502] = (evm_fault_rule){1, 0};
    CHECK(evm_fault_pick(&p, 7, 1000) == EVM_FAULT_502, "TIMES 'all' faults every attempt");
    p = evm_fault_defaults();
    p.rules[EVM_FAULT_429] = (evm_fault_rule){0.3, 1};
    int n = picks(&p, EVM_FAULT_429, 10000);
    CHECK(n > 2700 && n < 3300, "a rate picks about that share of bodies");
    CHECK(n == picks(&p, EVM_FAULT_429, 10000), "and the same ones every time");
    p.seed = 1;
    CHECK(n != picks(&p, EVM_FAULT_429, 10000), "another seed picks others");
}

static void
test_latency(void)
{
    evm_fault_plan p = evm_fault_defaults();
    p.latency_mean = 250;
    CHECK(evm_fault_latency(&p, 1, 1) == 250 && evm_fault_latency(&p, 2, 5) == 250,
          "without a deviation every answer waits the mean");
    p.latency_sd = 100;
    double sum = 0;
    bool fixed = true, floor = true;
    for (unsigned long i = 1; i <= 4000; i++) {
        long ms = evm_fault_latency(&p, i, 1);
        sum += (double)ms;
        fixed = fixed && ms == evm_fault_latency(&p, i, 1);
        floor = floor && ms >= 0;
    }
    CHECK(sum / 4000 > 240 && sum / 4000 < 260, "normal draws average the mean");
    CHECK(fixed, "a body's attempt always waits the same");
    CHECK(floor, "never below 0");
    p.lognormal = true;
    sum = 0;
    floor = true;
    for (unsigned long i = 1; i <= 4000; i++) {
        long ms = evm_fault_latency(&p, i, 1);
        sum += (double)ms;
        floor = floor && ms >= 0;
    }
    CHECK(sum / 4000 > 235 && sum / 4000 < 265, "lognormal draws average the mean");
    CHECK(floor, "and are never below 0");
    p.latency_mean = 0;
    CHECK(evm_fault_latency(&p, 3, 1) == 0, "a lognormal of mean 0 is 0");
}

static void
test_shares(void)
{
    evm_fault_plan p = evm_fault_defaults();
    CHECK(!evm_fault_job_fails(&p, "ftjob-1"), "no job-fail: no job fails");
    CHECK(evm_fault_batch_line(&p, "a") == EVM_FAULT_RUN, "no batch fault: every line runs");
    p.job_fail = 1;
    p.batch_fail = 1;
    CHECK(evm_fault_job_fails(&p, "ftjob-1"), "job-fail 1: every job fails");
    CHECK(evm_fault_batch_line(&p, "a") == EVM_FAULT_FAIL, "batch-fail 1: every line fails");
    p.batch_expire = 1;
    CHECK(evm_fault_batch_line(&p, "a") == EVM_FAULT_EXPIRE,
          "batch-expire is asked first: a line that never runs cannot fail");
    p = evm_fault_defaults();
    p.job_fail = 0.5;
    p.batch_fail = 0.5;
    int jobs = 0, lines = 0;
    for (int i = 0; i < 1000; i++) {
        char id[32];
        snprintf(id, sizeof(id), "id-%d", i);
        jobs += evm_fault_job_fails(&p, id);
        lines += evm_fault_batch_line(&p, id) == EVM_FAULT_FAIL;
    }
    CHECK(jobs > 420 && jobs < 580, "job-fail picks about its share of jobs");
    p = evm_fault_defaults();
    CHECK(!evm_fault_lost_id(&p, "ft-1") && !evm_fault_slow_deploy(&p, "dep_1"),
          "no lost-id or slow-deploy: nothing is lost or slow");
    p.lost_id = 0.5;
    p.slow_deploy = 0.5;
    int lost = 0, slow = 0, both = 0;
    for (int i = 0; i < 1000; i++) {
        char id[32];
        snprintf(id, sizeof(id), "id-%d", i);
        lost += evm_fault_lost_id(&p, id);
        slow += evm_fault_slow_deploy(&p, id);
        both += evm_fault_lost_id(&p, id) && evm_fault_slow_deploy(&p, id);
    }
    CHECK(lost > 420 && lost < 580, "lost-id picks about its share of ids");
    CHECK(slow > 420 && slow < 580, "slow-deploy picks about its share of deployments");
    CHECK(both > 170 && both < 330, "and the two pick independently");
    p.seed = 9;
    int moved = 0;
    for (int i = 0; i < 100; i++) {
        char id[32];
        snprintf(id, sizeof(id), "id-%d", i);
        evm_fault_plan q = p;
        q.seed = 0;
        moved += evm_fault_lost_id(&p, id) != evm_fault_lost_id(&q, id);
    }
    CHECK(moved > 20, "another seed loses other ids");
    CHECK(lines > 420 && lines < 580, "batch-fail picks about its share of lines");
    CHECK(strcmp(evm_fault_name(EVM_FAULT_JUDGE_INVALID), "judge-invalid") == 0,
          "faults have the names --fault takes");
}

int
main(void)
{
    test_parse();
    test_pick();
    test_latency();
    test_shares();
    UNIT_DONE();
}
