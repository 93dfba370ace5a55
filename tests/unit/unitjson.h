/* unitjson.h: JSON values as text, for unit tests that compare them. */
#ifndef EV_UNITJSON_H
#define EV_UNITJSON_H

#include <stdio.h>

#include <jv.h>

#include "json.h"

/* unit_json returns 'v' (consumed) as compact JSON with sorted keys, in a
 * static buffer, or "(none)" when it is invalid. */
static inline const char *
unit_json(jv v)
{
    static char buf[1024];
    if (!jv_is_valid(v)) {
        jv_free(v);
        return "(none)";
    }
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    snprintf(buf, sizeof(buf), "%s", jv_string_value(s));
    jv_free(s);
    return buf;
}

/* unit_json_at returns the value at dotted 'path' in 'v' (borrowed) as
 * unit_json writes it. */
static inline const char *
unit_json_at(jv v, const char *path)
{
    return unit_json(ev_json_path(v, path));
}

#endif
