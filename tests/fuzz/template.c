/*
 * Fuzz target: the prompt template (lib/template.c). The input is a
 * template; after a NUL byte, if there is one, comes the JSON record that
 * fills it, else a record with the usual fields fills it. A template must
 * load or fail with a message, and fill to a string or fail with one.
 */
#include <stdbool.h>

#include "template.h"

#include "fuzz.h"

static const char default_record[] =
    "{\"id\":\"q1\",\"input\":[{\"role\":\"user\",\"content\":\"Capital of France?\"}],"
    "\"expected\":\"Paris\",\"tags\":[\"geo\",\"easy\"],\"meta\":{\"lang\":\"fr\",\"n\":3,"
    "\"list\":[1,{\"a\":null}]},\"0\":\"zero\",\"x-y_z\":true}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = size > 0 ? memchr(data, '\0', size) : NULL;
    size_t len = nul != NULL ? (size_t)(nul - data) : size;
    jv rec;
    if (nul != NULL) {
        char *s = fuzz_cstring(nul + 1, size - len - 1);
        rec = jv_parse(s);
        free(s);
    } else {
        rec = jv_parse(default_record);
    }
    /* The template's bytes go in a buffer of their own size, without a NUL
     * after them, as ev_template_parse allows. */
    char *text = malloc(len > 0 ? len : 1);
    FUZZ_ASSERT(text != NULL);
    if (len > 0)
        memcpy(text, data, len);
    jv err;
    ev_template *t = ev_template_parse("fuzz", text, len, &err);
    if (t == NULL) {
        FUZZ_ASSERT(fuzz_has_message(err));
        jv_free(err);
    } else {
        jv out = ev_template_render(t, rec);
        FUZZ_ASSERT(jv_get_kind(out) == JV_KIND_STRING || fuzz_has_message(out));
        jv_free(out);
        ev_template_free(t);
    }
    free(text);
    jv_free(rec);
    return 0;
}
