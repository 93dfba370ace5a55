#include "train.h"

#include <stdbool.h>
#include <string.h>

#include "record.h"

static jv
message(const char *role, jv content)
{
    jv m = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
    return jv_object_set(m, jv_string("content"), content);
}

static bool
has_system(jv msgs)
{
    bool yes = false;
    jv_array_foreach(msgs, i, m)
    {
        jv role = jv_get_kind(m) == JV_KIND_OBJECT ? jv_object_get(m, jv_string("role"))
                                                   : (jv_free(m), jv_invalid());
        yes = yes ||
              (jv_get_kind(role) == JV_KIND_STRING && strcmp(jv_string_value(role), "system") == 0);
        jv_free(role);
        (void)i;
    }
    return yes;
}

jv
ev_to_chat(jv rec, jv system, jv answer)
{
    jv in = ev_rec_input(rec);
    if (!jv_is_valid(in)) {
        jv_free(system);
        jv_free(answer);
        return jv_invalid_with_msg(jv_string("case has no input"));
    }
    if (jv_get_kind(answer) != JV_KIND_STRING) {
        jv_free(answer);
        answer = ev_rec_expected(rec);
        if (!jv_is_valid(answer) || jv_get_kind(answer) == JV_KIND_NULL) {
            jv_free(in);
            jv_free(system);
            jv_free(answer);
            return jv_invalid_with_msg(jv_string("case has no expected answer"));
        }
        answer = ev_text_of(answer);
    }
    jv msgs = jv_array();
    if (jv_get_kind(in) == JV_KIND_ARRAY) {
        if (jv_get_kind(system) == JV_KIND_STRING && !has_system(jv_copy(in)))
            msgs = jv_array_append(msgs, message("system", jv_copy(system)));
        msgs = jv_array_concat(msgs, in);
    } else {
        if (jv_get_kind(system) == JV_KIND_STRING)
            msgs = jv_array_append(msgs, message("system", jv_copy(system)));
        msgs = jv_array_append(msgs, message("user", ev_text_of(in)));
    }
    jv_free(system);
    msgs = jv_array_append(msgs, message("assistant", answer));
    return jv_object_set(jv_object(), jv_string("messages"), msgs);
}
