#include "jsonl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

#define EXCERPT_MAX 60

void
ev_reader_init(ev_reader *r, char **paths, int npaths, FILE *flush)
{
    memset(r, 0, sizeof(*r));
    r->paths = paths;
    r->npaths = npaths;
    r->flush = flush;
}

static bool
is_stdin_name(const char *p)
{
    return strcmp(p, "-") == 0;
}

/* open_next opens the next operand. Returns 1 when one is open, 0 when there
 * are no more, -1 with '*err' set when one cannot be opened. */
static int
open_next(ev_reader *r, jv *err)
{
    const char *p;
    struct stat st;

    if (r->npaths == 0 && r->next_path == 0) {
        p = "-";
    } else if (r->next_path < r->npaths) {
        p = r->paths[r->next_path];
    } else {
        return 0;
    }
    r->next_path++;
    if (r->npaths == 0)
        r->npaths = -1; /* standard input has been taken */
    r->name = p;
    r->line = 0;
    if (is_stdin_name(p)) {
        r->fp = stdin;
    } else if ((r->fp = fopen(p, "r")) == NULL) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot open '%s': %s", p, strerror(errno)));
        return -1;
    }
    r->may_block = fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode);
    if (!r->may_block && S_ISDIR(st.st_mode)) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot read '%s': Is a directory", p));
        fclose(r->fp);
        r->fp = NULL;
        return -1;
    }
    return 1;
}

static void
close_current(ev_reader *r)
{
    if (r->fp != NULL && r->fp != stdin)
        fclose(r->fp);
    r->fp = NULL;
}

/* flush_if_idle flushes the output before a read that may wait, so that a
 * record written for the last input line reaches the consumer now. */
static void
flush_if_idle(ev_reader *r)
{
    struct pollfd pfd;

    if (r->flush == NULL || !r->may_block)
        return;
    pfd.fd = fileno(r->fp);
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 0) == 0)
        fflush(r->flush);
}

/* trim removes a BOM on the first line, the line ending and trailing blanks. */
static char *
trim(ev_reader *r, ssize_t n, size_t *len)
{
    char *s = r->buf;

    if (r->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    s[n] = '\0';
    *len = (size_t)n;
    return s;
}

static jv
strip_parser_context(jv msg)
{
    /* jq 1.6 appends "(while parsing '<whole line>')"; we quote an excerpt
     * ourselves, since a line can be large or secret. */
    const char *m = jv_string_value(msg);
    const char *cut = strstr(m, " (while parsing");
    if (cut == NULL)
        return msg;
    jv out = jv_string_sized(m, (int)(cut - m));
    jv_free(msg);
    return out;
}

static jv
bad_line(const ev_reader *r, const char *text, size_t len, jv reason)
{
    jv ex = ev_excerpt(text, len, EXCERPT_MAX);
    jv msg = jv_string_fmt("%s:%lu: %s: '%s'", r->name, r->line, jv_string_value(reason),
                           jv_string_value(ex));
    jv_free(ex);
    jv_free(reason);
    return jv_invalid_with_msg(msg);
}

int
ev_reader_next(ev_reader *r, jv *rec)
{
    for (;;) {
        if (r->fp == NULL) {
            int o = open_next(r, rec);
            if (o <= 0)
                return o == 0 ? EV_READ_EOF : EV_READ_BAD;
        }
        flush_if_idle(r);
        errno = 0;
        ssize_t n = getline(&r->buf, &r->cap, r->fp);
        if (n < 0) {
            int e = errno;
            bool failed = ferror(r->fp);
            const char *name = r->name;
            close_current(r);
            if (failed) {
                *rec = jv_invalid_with_msg(
                    jv_string_fmt("cannot read '%s': %s", name, strerror(e ? e : EIO)));
                return EV_READ_BAD;
            }
            continue;
        }
        r->line++;
        size_t len;
        char *s = trim(r, n, &len);
        size_t lead = 0;
        while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
            lead++;
        if (lead == len)
            continue;
        if (strlen(s) != len) {
            *rec = bad_line(r, s, len, jv_string("line contains a NUL byte"));
            return EV_READ_BAD;
        }
        /* jq 1.6 takes an ASCII RS for the start of a new JSON text (RFC
         * 7464) and drops the rest of the line: {"a":1}<RS>... reads as
         * {"a":1}, and a field appended to the line would be lost. No
         * JSON text holds one, so the line is not a record. */
        if (memchr(s, '\x1e', len) != NULL) {
            *rec = bad_line(r, s, len, jv_string("line contains a record separator (0x1E)"));
            return EV_READ_BAD;
        }
        size_t good = ev_utf8_valid_len(s, len);
        if (good != len) {
            /* Quote only the valid part: a diagnostic must be text too. */
            *rec = bad_line(r, s, good, jv_string_fmt("invalid UTF-8 at byte %zu", good + 1));
            return EV_READ_BAD;
        }
        if (len > (size_t)INT32_MAX) {
            *rec = bad_line(r, s, len, jv_string("line is longer than 2 GiB"));
            return EV_READ_BAD;
        }
        if (s != r->buf) {
            memmove(r->buf, s, len + 1);
        }
        r->len = len;
        jv v = jv_parse_sized(r->buf, (int)len);
        if (!jv_is_valid(v)) {
            jv m = jv_invalid_get_msg(v);
            if (jv_get_kind(m) != JV_KIND_STRING) {
                jv_free(m);
                m = jv_string("invalid JSON");
            }
            m = strip_parser_context(m);
            *rec = bad_line(r, r->buf, len,
                            jv_string_fmt("cannot parse record: %s", jv_string_value(m)));
            jv_free(m);
            return EV_READ_BAD;
        }
        if (jv_get_kind(v) != JV_KIND_OBJECT) {
            jv reason = jv_string_fmt("record is %s %s, not an object",
                                      jv_get_kind(v) == JV_KIND_ARRAY ? "an" : "a",
                                      jv_kind_name(jv_get_kind(v)));
            jv_free(v);
            *rec = bad_line(r, r->buf, len, reason);
            return EV_READ_BAD;
        }
        *rec = v;
        return EV_READ_OK;
    }
}

const char *
ev_reader_raw(const ev_reader *r, size_t *len)
{
    *len = r->len;
    return r->buf;
}

jv
ev_reader_where(const ev_reader *r)
{
    return jv_string_fmt("%s:%lu", r->name ? r->name : "-", r->line);
}

void
ev_reader_free(ev_reader *r)
{
    close_current(r);
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

jv
ev_excerpt(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return jv_string_sized(s, (int)len);
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return jv_string_append_str(jv_string_sized(s, (int)cut), "...");
}

int
ev_write_record(FILE *out, jv rec)
{
    jv_dumpf(rec, out, 0);
    return putc('\n', out) == EOF ? -1 : 0;
}

int
ev_write_extended(FILE *out, const char *raw, size_t len, jv add)
{
    /* The record is an object, so its text is '{', after any blanks, to
     * '}'. Whether anything lies between them decides the comma. */
    size_t end = len;
    while (end > 0 && raw[end - 1] != '}')
        end--;
    size_t i = 0;
    while (i < end && raw[i] != '{')
        i++;
    i++;
    while (i < end - 1 && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n'))
        i++;
    bool empty = i >= end - 1;
    fwrite(raw, 1, end - 1, out);
    jv_object_foreach(add, key, val)
    {
        if (!empty)
            putc(',', out);
        empty = false;
        jv_dumpf(key, out, 0);
        putc(':', out);
        jv_dumpf(val, out, 0);
    }
    jv_free(add);
    putc('}', out);
    return putc('\n', out) == EOF ? -1 : 0;
}

int
ev_write_merged(FILE *out, const ev_reader *r, jv rec, jv add)
{
    bool has = false;
    jv_object_foreach(add, key, val)
    {
        has = has || jv_object_has(jv_copy(rec), jv_copy(key));
        jv_free(key);
        jv_free(val);
    }
    if (has)
        return ev_write_record(out, jv_object_merge(rec, add));
    jv_free(rec);
    size_t len;
    const char *raw = ev_reader_raw(r, &len);
    return ev_write_extended(out, raw, len, add);
}

void
ev_output_setup(void)
{
    if (isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IOLBF, 0);
    else
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}
