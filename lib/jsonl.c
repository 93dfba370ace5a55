#include "jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "interrupt.h"
#include "json.h"
#include "record.h"
#include "text.h"

#define EXCERPT_MAX 60
#define CHUNK (1 << 16)
#define LINE_MAX_LEN ((size_t)INT32_MAX) /* jv_parse_sized takes an int */

/* What next_line finds besides a line. */
enum {
    LINE_EOF = 0,
    LINE_OK = 1,
    LINE_ERROR = -1,
    LINE_INTR = -2,
    LINE_NOMEM = -3,
    LINE_LONG = -4
};

void
ev_jsonl_init(ev_jsonl_reader *r, char **paths, int npaths, FILE *flush)
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
open_next(ev_jsonl_reader *r, jv *err)
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
    r->next = r->end = r->scanned = 0;
    r->at_eof = r->skipping = r->seen = r->foreign = false;
    r->hidden = 0;
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
close_current(ev_jsonl_reader *r)
{
    if (r->fp != NULL && r->fp != stdin)
        fclose(r->fp);
    r->fp = NULL;
}

/* wait_for_input waits until the input has bytes to read, or has ended. It
 * flushes the output first, so that the records written for the lines read
 * so far reach the consumer now. Returns false when the run is interrupted
 * meanwhile. */
static bool
wait_for_input(ev_jsonl_reader *r)
{
    struct pollfd p[2] = {{.fd = fileno(r->fp), .events = POLLIN},
                          {.fd = ev_interrupt_fd(), .events = POLLIN}};

    if (poll(p, 1, 0) > 0)
        return true;
    if (r->flush != NULL)
        fflush(r->flush);
    if (p[1].fd < 0)
        return true; /* read(2) waits */
    while (!ev_interrupt_pending() && poll(p, 2, -1) < 0 && errno == EINTR)
        ;
    return !ev_interrupt_pending();
}

/* fill reads more of the current input after what the buffer holds, first
 * dropping the lines already taken. Returns LINE_OK when it read some bytes,
 * LINE_EOF at the end of the input, or LINE_ERROR (errno set), LINE_INTR or
 * LINE_NOMEM, when the line it is part of cannot grow. */
static int
fill(ev_jsonl_reader *r)
{
    if (r->next > 0) {
        memmove(r->buf, r->buf + r->next, r->end - r->next);
        r->end -= r->next;
        r->next = 0;
    }
    if (r->cap - r->end < CHUNK + 1) {
        size_t cap = r->cap * 2 > r->end + CHUNK + 1 ? r->cap * 2 : r->end + CHUNK + 1;
        char *b = r->buf == NULL ? ev_alloc(cap) : ev_alloc_try_resize(r->buf, cap);
        if (b == NULL)
            return LINE_NOMEM;
        r->buf = b;
        r->cap = cap;
    }
    if (r->may_block && !wait_for_input(r))
        return LINE_INTR;
    ssize_t n = read(fileno(r->fp), r->buf + r->end, r->cap - r->end - 1);
    if (n < 0)
        return LINE_ERROR;
    r->end += (size_t)n;
    return n > 0 ? LINE_OK : LINE_EOF;
}

/* next_line finds the next line of the current input and sets 'start' and
 * 'len' to it, without its newline and NUL-terminated. Returns LINE_OK, or
 * LINE_EOF at the end of the input, or what stops it: LINE_ERROR (errno set),
 * LINE_INTR, or LINE_NOMEM or LINE_LONG with the head of the line at 'next';
 * the rest of such a line is skipped on the next call. */
static int
next_line(ev_jsonl_reader *r)
{
    for (;;) {
        size_t have = r->end - r->next;
        char *nl = have > r->scanned
                       ? memchr(r->buf + r->next + r->scanned, '\n', have - r->scanned)
                       : NULL;
        if (nl != NULL && r->skipping) {
            r->skipping = false;
            r->next = (size_t)(nl + 1 - r->buf);
            r->scanned = 0;
            continue;
        }
        if (nl != NULL || (r->at_eof && have > 0 && !r->skipping)) {
            char *stop = nl != NULL ? nl : r->buf + r->end;
            *stop = '\0';
            r->start = r->next;
            r->len = (size_t)(stop - (r->buf + r->next));
            r->next = r->end > (size_t)(stop - r->buf) ? (size_t)(stop + 1 - r->buf) : r->end;
            r->scanned = 0;
            return LINE_OK;
        }
        if (r->skipping)
            r->next = r->end;
        r->scanned = r->end - r->next;
        if (r->at_eof)
            return LINE_EOF;
        if (r->scanned > LINE_MAX_LEN)
            return LINE_LONG;
        int got = fill(r);
        if (got == LINE_EOF)
            r->at_eof = true;
        else if (got != LINE_OK)
            return got;
    }
}

/* trim removes a BOM on the first line, and trailing blanks and CR, from the
 * line at 'start'. */
static void
trim(ev_jsonl_reader *r)
{
    char *s = r->buf + r->start;
    size_t n = r->len;

    if (r->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        r->start += 3;
        s += 3;
        n -= 3;
    }
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    s[n] = '\0';
    r->len = n;
}

static jv
bad_line(const ev_jsonl_reader *r, const char *text, size_t len, jv reason)
{
    jv ex = ev_jsonl_excerpt(text, len, EXCERPT_MAX);
    jv msg = jv_string_fmt("%s:%lu: %s: '%s'", r->name, r->line, jv_string_value(reason),
                           jv_string_value(ex));
    jv_free(ex);
    jv_free(reason);
    return jv_invalid_with_msg(msg);
}

/* is_delimiter says whether 'c' ends a literal for jq 1.6's parser: white
 * space, a quote or a structural character. */
static bool
is_delimiter(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == ',' || c == ':' ||
           c == '[' || c == ']' || c == '{' || c == '}';
}

static size_t
digits(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* is_json_literal says whether the 'n' bytes at 's' are true, false, null or
 * a number as RFC 8259 writes one. */
static bool
is_json_literal(const char *s, size_t n)
{
    if ((n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0)) ||
        (n == 5 && memcmp(s, "false", 5) == 0))
        return true;
    size_t i = s[0] == '-', j;
    if (i < n && s[i] == '0')
        i++;
    else if ((j = digits(s, i, n)) > i)
        i = j;
    else
        return false;
    if (i < n && s[i] == '.') {
        if ((j = digits(s, i + 1, n)) == i + 1)
            return false;
        i = j;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i += i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-') ? 2 : 1;
        if ((j = digits(s, i, n)) == i)
            return false;
        i = j;
    }
    return i == n;
}

/* non_json_literal returns the first literal in the JSON text 's' (which jq
 * has parsed) that is not JSON, and its length in '*n', or NULL when there
 * is none. One pass, that skips strings with memchr. */
static const char *
non_json_literal(const char *s, size_t len, size_t *n)
{
    const char *p = s, *end = s + len;
    while (p < end) {
        if (*p == '"') {
            /* To the closing quote: one not escaped by an odd number of
             * backslashes. */
            for (p++;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (q == NULL)
                    return NULL;
                const char *b = q;
                while (b > p && b[-1] == '\\')
                    b--;
                p = q + 1;
                if ((q - b) % 2 == 0)
                    break;
            }
        } else if (is_delimiter(*p)) {
            p++;
        } else {
            const char *t = p;
            while (p < end && !is_delimiter(*p))
                p++;
            if (!is_json_literal(t, (size_t)(p - t))) {
                *n = (size_t)(p - t);
                return t;
            }
        }
    }
    return NULL;
}

/* parse_line parses the line at 'start' into a record, or says why it is
 * not one. */
static int
parse_line(ev_jsonl_reader *r, jv *rec)
{
    const char *s = r->buf + r->start;
    size_t len = r->len;

    if (strlen(s) != len) {
        *rec = bad_line(r, s, len, jv_string("line contains a NUL byte"));
        return EV_JSONL_BAD;
    }
    /* jq 1.6 takes an ASCII RS for the start of a new JSON text (RFC 7464)
     * and drops the rest of the line: {"a":1}<RS>... reads as {"a":1}, and
     * a field appended to the line would be lost. No JSON text holds one,
     * so the line is not a record. */
    if (memchr(s, '\x1e', len) != NULL) {
        *rec = bad_line(r, s, len, jv_string("line contains a record separator (0x1E)"));
        return EV_JSONL_BAD;
    }
    size_t good = ev_text_utf8_valid_len(s, len);
    if (good != len) {
        /* Quote only the valid part: a diagnostic must be text too. */
        *rec = bad_line(r, s, good, jv_string_fmt("invalid UTF-8 at byte %zu", good + 1));
        return EV_JSONL_BAD;
    }
    jv v = jv_parse_sized(s, (int)len);
    if (!jv_is_valid(v)) {
        /* without jq's copy of the whole line: bad_line quotes an excerpt */
        jv m = ev_json_parse_error(v);
        *rec = bad_line(r, s, len, jv_string_fmt("cannot parse record: %s", jv_string_value(m)));
        jv_free(m);
        return EV_JSONL_BAD;
    }
    if (jv_get_kind(v) != JV_KIND_OBJECT) {
        jv reason = jv_string_fmt("record is %s %s, not an object",
                                  jv_get_kind(v) == JV_KIND_ARRAY ? "an" : "a",
                                  jv_kind_name(jv_get_kind(v)));
        jv_free(v);
        *rec = bad_line(r, s, len, reason);
        return EV_JSONL_BAD;
    }
    size_t n;
    const char *lit = non_json_literal(s, len, &n);
    if (lit != NULL) {
        jv ex = ev_jsonl_excerpt(lit, n, 20);
        jv_free(v);
        *rec = bad_line(
            r, s, len,
            jv_string_fmt("cannot parse record: '%s' is not a JSON number", jv_string_value(ex)));
        jv_free(ex);
        return EV_JSONL_BAD;
    }
    jv problem = ev_record_id_problem(v);
    if (jv_is_valid(problem)) {
        jv_free(v);
        *rec = bad_line(r, s, len, problem);
        return EV_JSONL_BAD;
    }
    *rec = v;
    return EV_JSONL_OK;
}

/* foreign_kind says what the first line of an operand, 's' of 'len' bytes,
 * which is not a record, looks like when it shows that the operand is not
 * JSONL at all, or returns NULL when it may be a broken record. */
static const char *
foreign_kind(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    if (len > 0 && s[0] == '[')
        return "is a JSON array (jq -c '.[]' turns it into JSONL)";
    if (len == 1 && s[0] == '{')
        return "looks like pretty-printed JSON (jq -c . turns it into JSONL)";
    if (len > 0 && s[0] == '{')
        return NULL;
    jv v = jv_parse_sized(s, (int)len);
    bool json = jv_is_valid(v);
    jv_free(v);
    if (json)
        return NULL; /* a string or a number: "record is a string" says it */
    if (memchr(s, '\t', len) != NULL)
        return "looks like TSV";
    if (memchr(s, ',', len) != NULL)
        return "looks like CSV";
    return NULL;
}

/* judge_line passes on what parse_line made of a line ('got', '*rec'),
 * unless the operand is not JSONL: then its first line says so, and the
 * others are counted, not read. Returns EV_JSONL_EOF for a line counted. */
static int
judge_line(ev_jsonl_reader *r, int got, jv *rec)
{
    bool first = !r->seen;
    r->seen = true;
    if (r->foreign) {
        jv_free(*rec);
        r->hidden++;
        return EV_JSONL_EOF;
    }
    if (got == EV_JSONL_OK)
        return got;
    const char *s = r->buf + r->start;
    const char *kind = first ? foreign_kind(s, r->len) : NULL;
    if (kind != NULL) {
        jv_free(*rec);
        r->foreign = true;
        *rec = bad_line(
            r, s, r->len,
            jv_string_fmt("not JSONL: ev reads one JSON object per line, and this %s", kind));
    }
    return got;
}

/* hidden_lines reports the lines of a foreign operand counted, not read. */
static jv
hidden_lines(ev_jsonl_reader *r)
{
    char n[32];
    jv m = jv_string_fmt("%s: and %s more line%s not read: the file is not JSONL", r->name,
                         ev_diag_count(r->hidden, n, sizeof(n)), r->hidden == 1 ? "" : "s");
    r->hidden = 0;
    return jv_invalid_with_msg(m);
}

int
ev_jsonl_next(ev_jsonl_reader *r, jv *rec)
{
    for (;;) {
        if (ev_interrupt_pending())
            return EV_JSONL_EOF;
        if (r->fp == NULL) {
            int o = open_next(r, rec);
            if (o <= 0)
                return o == 0 ? EV_JSONL_EOF : EV_JSONL_BAD;
        }
        int got = next_line(r);
        if (got == LINE_EOF && r->hidden > 0) {
            *rec = hidden_lines(r);
            return EV_JSONL_BAD;
        }
        if (got == LINE_EOF) {
            close_current(r);
            continue;
        }
        if (got == LINE_INTR)
            return EV_JSONL_EOF;
        if (got == LINE_ERROR) {
            int e = errno;
            const char *name = r->name;
            close_current(r);
            *rec = jv_invalid_with_msg(
                jv_string_fmt("cannot read '%s': %s", name, strerror(e ? e : EIO)));
            return EV_JSONL_BAD;
        }
        r->line++;
        ev_diag_position(r->name, r->line);
        if (got != LINE_OK) {
            /* Skip the rest: only the head of the line is here. */
            *rec = bad_line(r, r->buf + r->next, r->end - r->next,
                            jv_string(got == LINE_LONG ? "line is longer than 2 GiB: skipped"
                                                       : "line is too long to hold in memory: "
                                                         "skipped"));
            r->skipping = true;
            r->next = r->end;
            r->scanned = 0;
            return EV_JSONL_BAD;
        }
        trim(r);
        size_t lead = 0;
        while (lead < r->len && (r->buf[r->start + lead] == ' ' || r->buf[r->start + lead] == '\t'))
            lead++;
        if (lead == r->len)
            continue;
        int read = judge_line(r, parse_line(r, rec), rec);
        if (read != EV_JSONL_EOF)
            return read;
    }
}

const char *
ev_jsonl_raw(const ev_jsonl_reader *r, size_t *len)
{
    *len = r->len;
    return r->buf + r->start;
}

jv
ev_jsonl_where(const ev_jsonl_reader *r)
{
    return jv_string_fmt("%s:%lu", r->name ? r->name : "-", r->line);
}

jv
ev_jsonl_at(const ev_jsonl_reader *r, jv msg)
{
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    jv where = ev_jsonl_where(r);
    jv s = jv_string_fmt("%s: %s", jv_string_value(where), jv_string_value(msg));
    jv_free(where);
    jv_free(msg);
    return s;
}

bool
ev_jsonl_good(ev_jsonl_reader *r, jv *rec, const ev_log *log, unsigned long *problems)
{
    int rc;
    while ((rc = ev_jsonl_next(r, rec)) == EV_JSONL_BAD) {
        ev_log_warn_jv(log, *rec);
        (*problems)++;
    }
    return rc == EV_JSONL_OK;
}

bool
ev_jsonl_next_case(ev_jsonl_reader *r, jv *rec, jv *id, jv (*problem)(jv rec), const ev_log *log,
                   unsigned long *problems)
{
    while (ev_jsonl_good(r, rec, log, problems)) {
        *id = ev_record_id(*rec);
        jv bad = !jv_is_valid(*id) ? jv_copy(*id) : problem ? problem(*rec) : jv_invalid();
        if (!jv_is_valid(bad) && jv_is_valid(*id))
            return true;
        jv_free(*id);
        ev_log_warn_jv(log, ev_jsonl_at(r, bad));
        (*problems)++;
        jv_free(*rec);
    }
    return false;
}

/* same_file says whether 'a' describes the file named 'b', or the one open
 * on 'fd' when 'b' is NULL. */
static bool
same_file(const struct stat *a, int fd, const char *b)
{
    struct stat st;
    if ((b != NULL ? stat(b, &st) : fstat(fd, &st)) != 0)
        return false;
    return a->st_dev == st.st_dev && a->st_ino == st.st_ino;
}

const char *
ev_jsonl_same_input(const char *out, char **paths, int npaths)
{
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    if (npaths == 0 && same_file(&st, STDIN_FILENO, NULL))
        return "-";
    for (int i = 0; i < npaths; i++) {
        bool is_stdin = strcmp(paths[i], "-") == 0;
        if (same_file(&st, STDIN_FILENO, is_stdin ? NULL : paths[i]))
            return paths[i];
    }
    return NULL;
}

void
ev_jsonl_free(ev_jsonl_reader *r)
{
    ev_diag_position(NULL, 0);
    close_current(r);
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* count_in counts the lines that are not empty in the regular file 'fd',
 * or returns false when it is not one. A line of only a CR is empty. */
static bool
count_in(int fd, unsigned long *lines)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    char buf[1 << 16];
    off_t off = 0;
    ssize_t got;
    size_t len = 0; /* of the line so far, without a CR */
    while ((got = pread(fd, buf, sizeof(buf), off)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == '\n') {
                *lines += len > 0;
                len = 0;
            } else if (buf[i] != '\r') {
                len++;
            }
        }
        off += got;
    }
    *lines += len > 0;
    return true;
}

unsigned long
ev_jsonl_count_lines(char **paths, int npaths)
{
    unsigned long lines = 0;
    for (int i = 0; i < (npaths > 0 ? npaths : 1); i++) {
        const char *p = npaths > 0 ? paths[i] : "-";
        int fd = is_stdin_name(p) ? STDIN_FILENO : open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; /* the reader reports it */
        bool regular = count_in(fd, &lines);
        if (fd != STDIN_FILENO)
            close(fd);
        if (!regular)
            return 0;
    }
    return lines;
}

jv
ev_jsonl_excerpt(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return jv_string_sized(s, (int)len);
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return jv_string_append_str(jv_string_sized(s, (int)cut), "...");
}

int
ev_jsonl_write(FILE *out, jv rec)
{
    jv_dumpf(rec, out, 0);
    return putc('\n', out) == EOF ? -1 : 0;
}

int
ev_jsonl_write_extended(FILE *out, const char *raw, size_t len, jv add)
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
ev_jsonl_write_merged(FILE *out, const ev_jsonl_reader *r, jv rec, jv add)
{
    bool has = false;
    jv_object_foreach(add, key, val)
    {
        has = has || jv_object_has(jv_copy(rec), jv_copy(key));
        jv_free(key);
        jv_free(val);
    }
    if (has)
        return ev_jsonl_write(out, jv_object_merge(rec, add));
    jv_free(rec);
    size_t len;
    const char *raw = ev_jsonl_raw(r, &len);
    return ev_jsonl_write_extended(out, raw, len, add);
}

void
ev_jsonl_output_setup(void)
{
    if (isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IOLBF, 0);
    else
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}
