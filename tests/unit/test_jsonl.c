/* Unit tests of lib/jsonl: the reader's view of a file that is not JSONL,
 * and the count of lines for a progress total. */
#include "jsonl.h"
#include "unit.h"

/* messages reads every line of 'path' and returns the bad lines' messages,
 * one a line, and the number of records in '*records'. */
static const char *
messages(char *path, int *records)
{
    static char out[2048];
    out[0] = '\0';
    *records = 0;
    ev_jsonl_reader r;
    char *paths[] = {path};
    ev_jsonl_init(&r, paths, 1, NULL);
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_OK) {
            (*records)++;
            jv_free(rec);
            continue;
        }
        jv m = jv_invalid_get_msg(rec);
        const char *base = strrchr(jv_string_value(m), '/');
        size_t used = strlen(out);
        snprintf(out + used, sizeof(out) - used, "%s\n", base ? base + 1 : jv_string_value(m));
        jv_free(m);
    }
    ev_jsonl_free(&r);
    return out;
}

static void
test_foreign(void)
{
    char path[64];
    int n;
    unit_file(path, "a.csv", "id,input\nq1,hi\n{\"id\":\"x\"}\n\nq2,ho\n");
    CHECK_STR(messages(path, &n),
              "a.csv:1: not JSONL: ev reads one JSON object per line, and this looks like CSV: "
              "'id,input'\n"
              "a.csv: and 3 more lines not read: the file is not JSONL\n",
              "a CSV file is said once, and its other lines counted, blank ones not");
    CHECK(n == 0, "no line of it is read as a record");
    unit_file_remove(path);
    unit_file(path, "s.jsonl", "\"a, b\"\n{\"id\":\"x\"}\n");
    CHECK_STR(messages(path, &n), "s.jsonl:1: record is a string, not an object: '\"a, b\"'\n",
              "a JSON string with a comma is a bad record, not CSV");
    CHECK(n == 1, "and the next line is read");
    unit_file_remove(path);
}

static void
test_count(void)
{
    char a[64], b[64];
    unit_file(a, "a.jsonl", "{}\n\n{}\r\n\r\n{}");
    unit_file(b, "b.jsonl", "{}\n");
    char *both[] = {a, b};
    CHECK(ev_jsonl_count_lines(both, 2) == 4,
          "lines that are not empty are counted, the last one without its newline too");
    char *pipe[] = {a, "/dev/null"};
    CHECK(ev_jsonl_count_lines(pipe, 2) == 0,
          "an operand that is no regular file makes it unknown");
    char *missing[] = {"/nonexistent/x.jsonl", b};
    CHECK(ev_jsonl_count_lines(missing, 2) == 1, "an operand that cannot be opened counts nothing");
    unit_file_remove(a);
    unit_file_remove(b);
}

/* An output file that is an input is found, by what it is, not its name. */
static void
test_same_input(void)
{
    char a[64], b[64];
    unit_file(a, "a.jsonl", "{}\n");
    unit_file(b, "b.jsonl", "{}\n");
    char dotted[80];
    int dir = (int)(strrchr(a, '/') - a);
    snprintf(dotted, sizeof(dotted), "%.*s/./a.jsonl", dir, a);
    char *paths[] = {b, a};
    CHECK_STR(ev_jsonl_same_input(dotted, paths, 2), a, "the same file by another name is found");
    CHECK(ev_jsonl_same_input(b, paths, 1) == paths[0], "and the operand it is, returned");
    CHECK(ev_jsonl_same_input(a, paths, 1) == NULL, "another file is no input");
    CHECK(ev_jsonl_same_input("/dev/null", paths, 2) == NULL, "nor is what is not a regular file");
    unit_file_remove(a);
    unit_file_remove(b);
}

int
main(void)
{
    test_foreign();
    test_count();
    test_same_input();
    UNIT_DONE();
}
