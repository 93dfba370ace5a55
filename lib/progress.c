#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cli.h"

/* joined returns the length of the fields of 'f' that 'keep' marks, joined. */
static size_t
joined(const ev_progress_field *f, size_t n, const bool *keep)
{
    size_t len = 0;
    int last = -1;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        if (last >= 0)
            len += f[i].group == f[last].group ? strlen(f[i].joint) : 3;
        len += strlen(f[i].text);
        last = (int)i;
    }
    return len;
}

jv
ev_progress_fit(const ev_progress_field *f, size_t n, int width)
{
    bool keep[EV_PROGRESS_FIELDS];
    if (n > EV_PROGRESS_FIELDS)
        n = EV_PROGRESS_FIELDS;
    for (size_t i = 0; i < n; i++)
        keep[i] = true;
    size_t room = width > 0 ? (size_t)width : 0;
    while (joined(f, n, keep) > room) {
        int drop = -1;
        for (size_t i = 0; i < n; i++)
            if (keep[i] && f[i].rank > 0 && (drop < 0 || f[i].rank >= f[drop].rank))
                drop = (int)i;
        if (drop < 0)
            break;
        keep[drop] = false;
    }
    jv line = jv_string("");
    int last = -1;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        if (last >= 0)
            line = jv_string_append_str(line, f[i].group == f[last].group ? f[i].joint : " | ");
        line = jv_string_append_str(line, f[i].text);
        last = (int)i;
    }
    if ((size_t)jv_string_length_bytes(jv_copy(line)) > room) {
        jv cut = jv_string_sized(jv_string_value(line), (int)room);
        jv_free(line);
        line = cut;
    }
    return line;
}

int
ev_progress_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    long n;
    if (cols != NULL && ev_cli_parse_long(cols, 1, 100000, &n))
        return (int)n;
    return 80;
}

bool
ev_progress_plain(void)
{
    const char *term = getenv("TERM");
    return term != NULL && strcmp(term, "dumb") == 0;
}
