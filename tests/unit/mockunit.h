/* mockunit.h: helpers shared by the unit tests of mock/, ev-mock's library. */
#ifndef EV_MOCKUNIT_H
#define EV_MOCKUNIT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mock/model.h"
#include "mock/wire.h"
#include "unit.h"

/* check_jv checks that 'v' (consumed) is 'want' as compact JSON with sorted
 * keys. */
static inline void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

/* check_field checks that the field 'key' of 'v' (borrowed) is 'want' as
 * compact JSON with sorted keys. */
static inline void
check_field(jv v, const char *key, const char *want, const char *name)
{
    check_jv(jv_object_get(jv_copy(v), jv_string(key)), want, name);
}

/* text_of returns the string 'key' of 'v' (consumed); "" when there is none. */
static inline jv
text_of(jv v, const char *key)
{
    jv s = jv_object_get(v, jv_string(key));
    if (jv_get_kind(s) != JV_KIND_STRING) {
        jv_free(s);
        s = jv_string("");
    }
    return s;
}

/* model_of returns a model of the JSON records 'records' (NULL-terminated),
 * as cases or as a replay, not yet frozen. */
static inline evm_model *
model_of(const char *const *records, bool replay)
{
    evm_model *m = evm_model_new(0);
    for (; *records != NULL; records++) {
        jv rec = jv_parse(*records), err;
        bool ok = replay ? evm_model_add_replay(m, rec, &err) : evm_model_add_case(m, rec, &err);
        CHECK(ok, *records);
        if (!ok)
            jv_free(err);
        jv_free(rec);
    }
    return m;
}

/* One chat example and one preference example, as training files' lines. */
#define MOCK_CHAT                                                                                  \
    "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"                                     \
    "{\"role\":\"assistant\",\"content\":\"2\"}]}\n"
#define MOCK_PREF                                                                                  \
    "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"}]},"                        \
    "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"2\"}],"                           \
    "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"3\"}]}\n"

/* query_of is the query of a request whose 'ctx' is "NAME=VALUE". */
static inline const char *
query_of(void *ctx, const char *name)
{
    const char *q = ctx, *eq = strchr(q, '=');
    return eq != NULL && strncmp(q, name, (size_t)(eq - q)) == 0 && name[eq - q] == '\0' ? eq + 1
                                                                                         : NULL;
}

/* http returns the request 'method' 'path' with the JSON 'body' (or none)
 * and the query 'query' ("NAME=VALUE", or NULL) at 'now'. */
static inline evm_wire_http
http(const char *method, const char *path, const char *body, const char *query, int64_t now)
{
    evm_wire_http h = {method, path, body ? body : "", body ? strlen(body) : 0, NULL, NULL,
                       NULL,   now};
    if (query != NULL) {
        h.query = query_of;
        h.ctx = (void *)query;
    }
    return h;
}

#endif
