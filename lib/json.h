/*
 * json.h: small helpers for jq's jv values, and the one ownership rule of ev.
 *
 * The rule, as jq's jv.h states it for jv_*: a function that takes a jv
 * consumes it (frees it, or keeps it), and a jv it returns belongs to the
 * caller, who must free it. A parameter that is only looked at carries the
 * comment "borrowed" where it is declared, as in ev_json_field below, and its
 * caller keeps it. Every header of ev follows this rule and states no other.
 *
 * jq's own traps stay: jv_object_get, jv_array_length and jv_equal consume
 * their arguments (wrap them in jv_copy to look); jv_get_kind,
 * jv_string_value and jv_number_value only borrow, and a const char * dies
 * with its jv.
 */
#ifndef EV_JSON_H
#define EV_JSON_H

#include <stdbool.h>

#include <jv.h>

/* ev_json_field returns member 'key' of 'obj', or invalid when 'obj' is not
 * an object or has no such member. */
jv ev_json_field(jv obj /* borrowed */, const char *key);

/* ev_json_field_kind returns member 'key' of 'obj' when it is of 'kind'
 * (JV_KIND_STRING, JV_KIND_NUMBER...), else null. */
jv ev_json_field_kind(jv obj /* borrowed */, const char *key, jv_kind kind);

/* ev_json_path returns the value at the dotted 'path' in 'v' ("a.b", and a
 * number for an array index: "ci.0"), or invalid when there is none. */
jv ev_json_path(jv v /* borrowed */, const char *path);

/* ev_json_number returns the number at 'path' in 'v', or NAN when there is
 * none or it is not a number. */
double ev_json_number(jv v /* borrowed */, const char *path);

/* ev_json_true says whether the value at 'path' in 'v' is true. */
bool ev_json_true(jv v /* borrowed */, const char *path);

/* ev_json_str returns the text of 'v' when it is a string, else 'otherwise'.
 * The text lives as long as 'v'. */
const char *ev_json_str(jv v /* borrowed */, const char *otherwise);

/* ev_json_string_or_null returns 's' as a string, or null for NULL. */
jv ev_json_string_or_null(const char *s);

/* ev_json_finite returns 'x' as a number, or null when it is NaN or
 * infinite, which JSON cannot hold. */
jv ev_json_finite(double x);

/* ev_json_set returns 'obj' with member 'key' set to 'v'. */
jv ev_json_set(jv obj, const char *key, jv v);

/* ev_json_parse_error returns the message of 'bad', an invalid from jv_parse,
 * as a string without jq 1.6's suffix "(while parsing '<the whole text>')":
 * callers quote an excerpt themselves, since the text may be long or secret.
 * A 'bad' without a message gives "not JSON". */
jv ev_json_parse_error(jv bad);

#endif
