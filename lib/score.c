/* STUB: exact only, replaced by the full scorer module. */
#include "score.h"
#include <stdlib.h>
#include <string.h>
#include "record.h"

struct ev_scoring {
    ev_score_opts opts;
};

ev_scoring *
ev_scoring_new(jv spec, const ev_score_opts *opts, jv *err)
{
    if (strcmp(jv_string_value(spec), "exact") != 0) {
        jv_free(spec);
        *err = jv_invalid_with_msg(jv_string("unknown scorer"));
        return NULL;
    }
    jv_free(spec);
    ev_scoring *s = calloc(1, sizeof(*s));
    s->opts = *opts;
    return s;
}

jv
ev_scoring_run(ev_scoring *s, jv rec)
{
    (void)s;
    jv out = ev_get(rec, "output");
    jv exp = ev_rec_expected(rec);
    int pass = jv_equal(out, exp);
    jv r = jv_object();
    r = jv_object_set(r, jv_string("pass"), jv_bool(pass));
    r = jv_object_set(r, jv_string("value"), jv_number(pass));
    r = jv_object_set(r, jv_string("scorer"), jv_string("exact"));
    r = jv_object_set(r, jv_string("reason"), jv_string(pass ? "exact match" : "differs"));
    return r;
}

void
ev_scoring_free(ev_scoring *s)
{
    free(s);
}
