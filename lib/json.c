#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

jv
ev_json_field(jv obj, const char *key)
{
    if (jv_get_kind(obj) != JV_KIND_OBJECT)
        return jv_invalid();
    return jv_object_get(jv_copy(obj), jv_string(key));
}

jv
ev_json_field_kind(jv obj, const char *key, jv_kind kind)
{
    jv v = ev_json_field(obj, key);
    if (jv_get_kind(v) == kind)
        return v;
    jv_free(v);
    return jv_null();
}

jv
ev_json_path(jv v, const char *path)
{
    jv at = jv_copy(v);
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (jv_get_kind(at) == JV_KIND_ARRAY && len > 0 && strspn(p, "0123456789") >= len) {
            at = jv_array_get(at, (int)strtol(p, NULL, 10));
        } else if (jv_get_kind(at) == JV_KIND_OBJECT) {
            at = jv_object_get(at, jv_string_sized(p, (int)len));
        } else {
            jv_free(at);
            return jv_invalid();
        }
        if (!jv_is_valid(at))
            return at;
        p += len + (dot != NULL);
    }
    return at;
}

double
ev_json_number(jv v, const char *path)
{
    jv n = ev_json_path(v, path);
    double x = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : NAN;
    jv_free(n);
    return x;
}

bool
ev_json_true(jv v, const char *path)
{
    jv t = ev_json_path(v, path);
    bool yes = jv_get_kind(t) == JV_KIND_TRUE;
    jv_free(t);
    return yes;
}

const char *
ev_json_str(jv v, const char *otherwise)
{
    return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : otherwise;
}

jv
ev_json_string_or_null(const char *s)
{
    return s != NULL ? jv_string(s) : jv_null();
}

jv
ev_json_finite(double x)
{
    return isfinite(x) ? jv_number(x) : jv_null();
}

jv
ev_json_set(jv obj, const char *key, jv v)
{
    return jv_object_set(obj, jv_string(key), v);
}

jv
ev_json_parse_error(jv bad)
{
    jv m = jv_null();
    if (jv_invalid_has_msg(jv_copy(bad)))
        m = jv_invalid_get_msg(bad);
    else
        jv_free(bad);
    if (jv_get_kind(m) != JV_KIND_STRING) {
        jv_free(m);
        return jv_string("not JSON");
    }
    const char *s = jv_string_value(m);
    const char *cut = strstr(s, " (while parsing");
    if (cut == NULL)
        return m;
    jv out = jv_string_sized(s, (int)(cut - s));
    jv_free(m);
    return out;
}
