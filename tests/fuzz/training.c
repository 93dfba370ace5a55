/*
 * Fuzz target: training examples (lib/example.c) and their formats
 * (lib/convert.c). The input is a record, as ev-tune reads one line of a
 * training file. For each method, the example made of it must be an object
 * or invalid with a message; its check must be a list of [kind, message]
 * pairs whose kinds are that method's; and each format of the method must
 * write it as an object or refuse it with a message.
 */
#include <stdbool.h>

#include "convert.h"
#include "example.h"

#include "fuzz.h"

/* check_problems asserts that 'found' (consumed) is a list of [kind,
 * message] pairs of problems of 'method'. */
static void
check_problems(jv found, enum ev_example_method method)
{
    FUZZ_ASSERT(jv_get_kind(found) == JV_KIND_ARRAY);
    jv_array_foreach(found, i, p)
    {
        jv k = jv_array_get(jv_copy(p), 0), m = jv_array_get(jv_copy(p), 1);
        FUZZ_ASSERT(jv_get_kind(k) == JV_KIND_NUMBER);
        FUZZ_ASSERT(jv_get_kind(m) == JV_KIND_STRING);
        double kind = jv_number_value(k);
        FUZZ_ASSERT(kind >= 0 && kind < EV_EXAMPLE_NPROBLEMS);
        FUZZ_ASSERT(ev_example_problem_applies((enum ev_example_problem)kind, method));
        jv_free(k);
        jv_free(m);
        jv_free(p);
        (void)i;
    }
    jv_free(found);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    jv rec = jv_parse(text);
    free(text);
    if (!jv_is_valid(rec)) {
        jv_free(rec);
        return 0;
    }
    for (int method = EV_EXAMPLE_SFT; method <= EV_EXAMPLE_DPO; method++) {
        bool changed;
        enum ev_example_problem kind;
        jv ex = method == EV_EXAMPLE_DPO
                    ? ev_example_preference_from_record(jv_copy(rec), "S", &changed, &kind)
                    : ev_example_from_record(jv_copy(rec), "S", &changed, &kind);
        if (!jv_is_valid(ex)) {
            FUZZ_ASSERT(fuzz_has_message(ex));
            FUZZ_ASSERT(kind < EV_EXAMPLE_NPROBLEMS);
            jv_free(ex);
            continue;
        }
        FUZZ_ASSERT(jv_get_kind(ex) == JV_KIND_OBJECT);
        ev_example_measure m;
        check_problems(method == EV_EXAMPLE_DPO ? ev_example_preference_check(ex, 100, &m)
                                                : ev_example_check(ex, 100, &m),
                       (enum ev_example_method)method);
        FUZZ_ASSERT(m.tokens >= 0 && m.assistant_tokens <= m.tokens);
        for (int to = EV_CONVERT_CHAT; to <= EV_CONVERT_SHAREGPT_DPO; to++) {
            if (ev_convert_method((enum ev_convert_to)to) != (enum ev_example_method)method)
                continue;
            jv out = ev_convert(jv_copy(ex), (enum ev_convert_to)to);
            FUZZ_ASSERT(jv_get_kind(out) == JV_KIND_OBJECT || fuzz_has_message(out));
            jv_free(out);
        }
        jv_free(ex);
    }
    jv_free(rec);
    return 0;
}
