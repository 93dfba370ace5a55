#include "jsondiff.h"

#include <ctype.h>

#include "reason.h"

static bool
is_identifier(const char *k)
{
    if (!(isalpha((unsigned char)*k) || *k == '_'))
        return false;
    while (isalnum((unsigned char)*k) || *k == '_')
        k++;
    return *k == '\0';
}

/* path_key extends the jq path 'path' (consumed) by the key 'k' (consumed). */
static jv
path_key(jv path, jv k)
{
    if (is_identifier(jv_string_value(k))) {
        path = jv_string_append_str(path, ".");
        return jv_string_concat(path, k);
    }
    path = jv_string_append_str(path, jv_string_length_bytes(jv_copy(path)) ? "[" : ".[");
    path = jv_string_concat(path, jv_dump_string(k, 0));
    return jv_string_append_str(path, "]");
}

/* diff is ev_jsondiff_first under the jq path 'path' (consumed). */
static jv
diff(jv want, jv got, bool subset, jv path)
{
    jv d = jv_invalid();
    jv_kind wk = jv_get_kind(want), gk = jv_get_kind(got);
    if (wk == JV_KIND_OBJECT && gk == JV_KIND_OBJECT) {
        jv keys = jv_keys(jv_copy(want));
        jv_array_foreach(keys, i, k)
        {
            jv g = jv_object_get(jv_copy(got), jv_copy(k));
            jv w = jv_object_get(jv_copy(want), jv_copy(k));
            jv sub = path_key(jv_copy(path), k);
            if (!jv_is_valid(g)) {
                d = ev_reason_fmt("missing key '%s'", jv_string_value(sub));
                jv_free(sub);
            } else {
                d = diff(w, g, subset, sub);
            }
            jv_free(w);
            jv_free(g);
            if (jv_is_valid(d))
                break;
        }
        jv_free(keys);
        if (!jv_is_valid(d) && !subset) {
            keys = jv_keys(jv_copy(got));
            jv_array_foreach(keys, i, k)
            {
                if (!jv_object_has(jv_copy(want), jv_copy(k))) {
                    jv sub = path_key(jv_copy(path), k);
                    d = ev_reason_fmt("unexpected key '%s'", jv_string_value(sub));
                    jv_free(sub);
                    break;
                }
                jv_free(k);
            }
            jv_free(keys);
        }
    } else if (wk == JV_KIND_ARRAY && gk == JV_KIND_ARRAY) {
        int wn = jv_array_length(jv_copy(want)), gn = jv_array_length(jv_copy(got));
        if (wn != gn) {
            d = ev_reason_fmt("%s%sexpected %d element%s, got %d", jv_string_value(path),
                              jv_string_length_bytes(jv_copy(path)) ? ": " : "", wn,
                              ev_reason_plural(wn), gn);
        }
        for (int i = 0; i < wn && wn == gn && !jv_is_valid(d); i++) {
            jv w = jv_array_get(jv_copy(want), i), g = jv_array_get(jv_copy(got), i);
            const char *p = jv_string_value(path);
            d = diff(w, g, subset, jv_string_fmt("%s%s[%d]", p, *p ? "" : ".", i));
            jv_free(w);
            jv_free(g);
        }
    } else if (!jv_equal(jv_copy(want), jv_copy(got))) {
        char a[EV_REASON_SHOW_SIZE], b[EV_REASON_SHOW_SIZE];
        d = ev_reason_fmt("%s%sexpected %s, got %s", jv_string_value(path),
                          jv_string_length_bytes(jv_copy(path)) ? ": " : "",
                          ev_reason_show(want, a), ev_reason_show(got, b));
    }
    jv_free(path);
    return d;
}

jv
ev_jsondiff_first(jv want, jv got, bool subset)
{
    return diff(want, got, subset, jv_string(""));
}
