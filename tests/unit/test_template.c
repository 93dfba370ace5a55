/* Unit tests of lib/template: prompts built from a record's fields. */
#include <stdlib.h>

#include "template.h"
#include "unit.h"

static void
test_templates(void)
{
    jv err = jv_invalid();
    const char *text = "Translate {{ input }} to {{meta.lang}} ({{tags.0}}; {{tags}}; {{n}})";
    ev_template *t = ev_template_parse("t.txt", text, strlen(text), &err);
    CHECK(t != NULL, "a template with placeholders is read");
    jv rec = jv_parse("{\"input\":\"chat\",\"meta\":{\"lang\":\"English\"},\"tags\":[\"a\",\"b\"],"
                      "\"n\":3}");
    CHECK_JV(ev_template_render(t, rec),
             "\"Translate chat to English (a; [\\\"a\\\",\\\"b\\\"]; 3)\"",
             "strings go in raw, other values as compact JSON, paths are dotted");
    jv_free(rec);
    rec = jv_parse("{\"input\":\"chat\"}");
    jv out = ev_template_render(t, rec);
    jv m = jv_invalid_get_msg(out);
    CHECK(jv_get_kind(m) == JV_KIND_STRING && strstr(jv_string_value(m), "'t.txt'") &&
              strstr(jv_string_value(m), "{{meta.lang}}"),
          "an unknown placeholder names the template and the placeholder");
    jv_free(m);
    jv_free(rec);
    ev_template_free(t);
    const char *bad = "line one\nbad {{ not a path }} here";
    t = ev_template_parse("b.txt", bad, strlen(bad), &err);
    m = jv_invalid_get_msg(err);
    CHECK(t == NULL && strstr(jv_string_value(m), "'b.txt':2:"),
          "a malformed placeholder is an error at its line");
    jv_free(m);
    const char *open = "unclosed {{input";
    t = ev_template_parse("c.txt", open, strlen(open), &err);
    CHECK(t == NULL, "an unclosed placeholder is an error");
    jv_free(err);
    /* The template is the first 16 bytes only, as a file read without a NUL. */
    const char *cut = "unclosed {{input and what lies past the end";
    t = ev_template_parse("e.txt", cut, 16, &err);
    m = jv_invalid_get_msg(err);
    CHECK(t == NULL && strstr(jv_string_value(m), "'{{input'") != NULL,
          "an unclosed placeholder at the end is quoted from the template alone");
    jv_free(m);
    const char *none = "no placeholders } { at all";
    t = ev_template_parse("d.txt", none, strlen(none), &err);
    rec = jv_object();
    CHECK_JV(ev_template_render(t, rec), "\"no placeholders } { at all\"", "plain text stays");
    jv_free(rec);
    ev_template_free(t);
}

int
main(void)
{
    test_templates();
    UNIT_DONE();
}
