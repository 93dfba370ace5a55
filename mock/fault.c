#include "fault.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hash.h"

static const char *const names[EVM_FAULT_N] = {
    "auth",       "quota",   "429",       "529",     "503",   "502",  "500",           "redirect",
    "flat-error", "nonjson", "truncated", "nousage", "reset", "slow", "judge-invalid",
};

evm_fault_plan
evm_fault_defaults(void)
{
    return (evm_fault_plan){.slow_ms = 30000, .retry_after_ms = 1000};
}

const char *
evm_fault_name(enum evm_fault f)
{
    return f < EVM_FAULT_N ? names[f] : "none";
}

/* is_kind says whether the 'n' bytes at 'spec' are 'name'. */
static bool
is_kind(const char *spec, size_t n, const char *name)
{
    return strlen(name) == n && strncmp(spec, name, n) == 0;
}

bool
evm_fault_parse(evm_fault_plan *p, const char *spec, jv *err)
{
    const char *eq = strchr(spec, '=');
    size_t n = eq != NULL ? (size_t)(eq - spec) : 0;
    const struct {
        const char *name;
        double *rate;
    } shares[] = {
        {"batch-expire", &p->batch_expire}, {"batch-fail", &p->batch_fail},
        {"job-fail", &p->job_fail},         {"lost-id", &p->lost_id},
        {"slow-deploy", &p->slow_deploy},
    };
    for (size_t i = 0; eq != NULL && i < sizeof(shares) / sizeof(shares[0]); i++) {
        if (!is_kind(spec, n, shares[i].name))
            continue;
        if (ev_cli_parse_double(eq + 1, 0, 1, shares[i].rate))
            return true;
        *err = jv_string_fmt("bad fault '%s': want %s=RATE, RATE a number from 0 to 1", spec,
                             shares[i].name);
        return false;
    }
    int k = 0;
    while (k < EVM_FAULT_N && (eq == NULL || !is_kind(spec, n, names[k])))
        k++;
    if (k == EVM_FAULT_N) {
        *err =
            jv_string_fmt("bad fault '%s': want KIND=RATE[:TIMES] with a KIND from --help", spec);
        return false;
    }
    char rate[64];
    const char *colon = strchr(eq + 1, ':');
    size_t len = colon ? (size_t)(colon - eq - 1) : strlen(eq + 1);
    snprintf(rate, sizeof(rate), "%.*s", (int)(len < sizeof(rate) ? len : sizeof(rate) - 1),
             eq + 1);
    evm_fault_rule r = {0, 1};
    if (len >= sizeof(rate) || !ev_cli_parse_double(rate, 0, 1, &r.rate)) {
        *err = jv_string_fmt("bad fault '%s': RATE must be a number from 0 to 1", spec);
        return false;
    }
    if (colon != NULL && strcmp(colon + 1, "all") == 0) {
        r.times = 0;
    } else if (colon != NULL && !ev_cli_parse_long(colon + 1, 1, INT_MAX, &r.times)) {
        *err = jv_string_fmt("bad fault '%s': TIMES must be a positive integer or 'all'", spec);
        return false;
    }
    p->rules[k] = r;
    return true;
}

enum evm_fault
evm_fault_pick(const evm_fault_plan *p, uint64_t body, unsigned long attempt)
{
    unsigned long n = attempt;
    for (int k = 0; k < EVM_FAULT_N; k++) {
        const evm_fault_rule *r = &p->rules[k];
        if (r->rate <= 0)
            continue;
        if (ev_hash_unit(ev_hash_64(names[k], strlen(names[k]), body ^ ev_hash_mix64(p->seed))) >=
            r->rate)
            continue;
        if (r->times == 0 || n <= (unsigned long)r->times)
            return (enum evm_fault)k;
        n -= (unsigned long)r->times;
    }
    return EVM_FAULT_NONE;
}

long
evm_fault_latency(const evm_fault_plan *p, uint64_t body, unsigned long attempt)
{
    if (p->latency_sd == 0)
        return p->latency_mean;
    uint64_t r = ev_hash_64(&attempt, sizeof(attempt), body ^ ev_hash_mix64(p->seed + 1));
    double u1 = ev_hash_unit(r), u2 = ev_hash_unit(ev_hash_mix64(r));
    double z = sqrt(-2.0 * log1p(-u1)) * cos(2.0 * M_PI * u2);
    double mean = (double)p->latency_mean, sd = (double)p->latency_sd, ms;
    if (!p->lognormal) {
        ms = mean + sd * z;
    } else if (mean <= 0) {
        ms = 0;
    } else {
        double s2 = log1p(sd * sd / (mean * mean));
        ms = exp(log(mean) - s2 / 2 + sqrt(s2) * z);
    }
    return ms <= 0 ? 0 : ms >= 3600000 ? 3600000 : lround(ms);
}

/* picked says whether a share 'rate' of the keys, salted by 'salt', holds
 * 'key'. */
static bool
picked(const evm_fault_plan *p, double rate, uint64_t salt, const char *key)
{
    return rate > 0 &&
           ev_hash_unit(ev_hash_64(key, strlen(key), ev_hash_mix64(p->seed ^ salt))) < rate;
}

bool
evm_fault_job_fails(const evm_fault_plan *p, const char *id)
{
    return picked(p, p->job_fail, 0x6a6f626661696cULL, id);
}

bool
evm_fault_lost_id(const evm_fault_plan *p, const char *id)
{
    return picked(p, p->lost_id, 0x6c6f7374ULL, id);
}

bool
evm_fault_slow_deploy(const evm_fault_plan *p, const char *id)
{
    return picked(p, p->slow_deploy, 0x736c6f77ULL, id);
}

enum evm_fault_fate
evm_fault_batch_line(const evm_fault_plan *p, const char *custom_id)
{
    if (picked(p, p->batch_expire, 0x657870697265ULL, custom_id))
        return EVM_FAULT_EXPIRE;
    if (picked(p, p->batch_fail, 0x6661696cULL, custom_id))
        return EVM_FAULT_FAIL;
    return EVM_FAULT_RUN;
}
