/* Unit tests of lib/sheet: sections filed under headings and written
 * grouped. */
#include "sheet.h"
#include "unit.h"

/* copied returns what ev_sheet_copy writes for 'head', in 'buf'. */
static const char *
copied(ev_sheet *s, uint32_t head, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *out = fmemopen(buf, n, "w");
    jv err;
    if (out == NULL || ev_sheet_copy(s, head, out, &err) != 0)
        abort();
    fclose(out);
    return buf;
}

static void
section(ev_sheet *s, const char *text, const uint32_t *heads, size_t n)
{
    fputs(text, ev_sheet_out(s));
    ev_sheet_file(s, heads, n);
}

static void
test_sheet(void)
{
    jv err;
    ev_sheet *s = ev_sheet_new(&err);
    CHECK(s != NULL, "a sheet opens a temporary file");
    section(s, "one;", (uint32_t[]){2, 0}, 2);
    section(s, "two;", (uint32_t[]){0, 0, 0}, 3);
    section(s, "three;", (uint32_t[]){5}, 1);
    section(s, "four;", NULL, 0);
    section(s, "five;", (uint32_t[]){2}, 1);
    char buf[256];
    CHECK_STR(copied(s, 0, buf, sizeof(buf)), "one;two;",
              "a heading holds its sections in the order filed, each once");
    CHECK_STR(copied(s, 2, buf, sizeof(buf)), "one;five;", "a section goes under each heading");
    CHECK_STR(copied(s, 5, buf, sizeof(buf)), "three;", "headings need not be dense");
    CHECK_STR(copied(s, 1, buf, sizeof(buf)), "", "a heading without sections writes nothing");
    CHECK_STR(copied(s, 99, buf, sizeof(buf)), "", "nor does a heading never used");
    CHECK_STR(copied(s, 0, buf, sizeof(buf)), "one;two;", "a heading can be written again");
    ev_sheet_free(s);

    s = ev_sheet_new(&err);
    static char big[100001];
    memset(big, 'x', sizeof(big) - 1);
    big[50000] = 'y';
    section(s, "a", (uint32_t[]){0}, 1);
    section(s, big, (uint32_t[]){1}, 1);
    section(s, "b", (uint32_t[]){0}, 1);
    static char out[200000];
    copied(s, 1, out, sizeof(out));
    CHECK(strlen(out) == 100000 && out[50000] == 'y' && out[99999] == 'x',
          "a section larger than the copy buffer comes back whole");
    CHECK_STR(copied(s, 0, buf, sizeof(buf)), "ab", "and the sections around it stay apart");
    ev_sheet_free(s);

    setenv("TMPDIR", "/nonexistent/dir", 1);
    s = ev_sheet_new(&err);
    CHECK(s == NULL && strstr(jv_string_value(err), "'/nonexistent/dir'") != NULL,
          "a sheet that cannot make its file says where it tried");
    jv_free(err);
    unsetenv("TMPDIR");
}

int
main(void)
{
    test_sheet();
    UNIT_DONE();
}
