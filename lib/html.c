#include "html.h"

#include <string.h>

int
ev_html_json(FILE *out, jv data)
{
    jv text = jv_dump_string(data, 0);
    const char *s = jv_string_value(text);
    size_t n = (size_t)jv_string_length_bytes(jv_copy(text)), from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        size_t skip = 1;
        if (s[i] == '<')
            esc = "\\u003c";
        else if (s[i] == '>')
            esc = "\\u003e";
        else if (s[i] == '&')
            esc = "\\u0026";
        else if ((unsigned char)s[i] == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            /* U+2028 and U+2029 end a line in older JavaScript */
            esc = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (esc == NULL)
            continue;
        fwrite(s + from, 1, i - from, out);
        fputs(esc, out);
        from = i + skip;
        i += skip - 1;
    }
    fwrite(s + from, 1, n - from, out);
    jv_free(text);
    return ferror(out) ? -1 : 0;
}

int
ev_html_page(FILE *out, const unsigned char *page, size_t len, const char *marker, jv data)
{
    const unsigned char *at = memmem(page, len, marker, strlen(marker));
    if (at == NULL) {
        jv_free(data);
        return -1;
    }
    size_t head = (size_t)(at - page), tail = head + strlen(marker);
    fwrite(page, 1, head, out);
    if (ev_html_json(out, data) != 0)
        return -1;
    fwrite(page + tail, 1, len - tail, out);
    return ferror(out) ? -1 : 0;
}
