/* Unit tests of lib/diag: messages about many lines alike are shown a few
 * times and then counted. */
#include <errno.h>
#include <stdio.h>

#include "diag.h"
#include "unit.h"

/* captured returns what was written to stderr since the last call. */
static const char *
captured(FILE *f, long *at)
{
    static char buf[4096];
    fflush(stderr);
    fseek(f, *at, SEEK_SET);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    *at += (long)n;
    return buf;
}

int
main(void)
{
    char path[64];
    unit_file(path, "stderr", "");
    FILE *f = fopen(path, "r");
    if (f == NULL || freopen(path, "w", stderr) == NULL)
        abort();
    setvbuf(stderr, NULL, _IONBF, 0);
    program_invocation_short_name = "ev-test";
    long at = 0;

    for (int i = 1; i <= 2000; i++)
        ev_diag_warn("big.jsonl:%d: cannot parse record: invalid at column %d: '%d'", i, i % 7, i);
    ev_diag_warn("big.jsonl:9999: record is an array, not an object: '[%d]'", 1);
    ev_diag_warn("no position here");
    ev_diag_warn("no position here");
    ev_diag_warn("no position here");
    ev_diag_warn("no position here");
    CHECK_STR(captured(f, &at),
              "ev-test: big.jsonl:1: cannot parse record: invalid at column 1: '1'\n"
              "ev-test: big.jsonl:2: cannot parse record: invalid at column 2: '2'\n"
              "ev-test: big.jsonl:3: cannot parse record: invalid at column 3: '3'\n"
              "ev-test: big.jsonl:4: cannot parse record: invalid at column 4: '4'\n"
              "ev-test: big.jsonl:5: cannot parse record: invalid at column 5: '5'\n"
              "ev-test: big.jsonl:9999: record is an array, not an object: '[1]'\n"
              "ev-test: no position here\n"
              "ev-test: no position here\n"
              "ev-test: no position here\n"
              "ev-test: no position here\n",
              "messages about lines alike are shown five times; others, and those with no "
              "position, each time");
    ev_diag_flush();
    CHECK_STR(captured(f, &at), "ev-test: and 1,995 more lines like big.jsonl:5\n",
              "the flush counts the rest once, naming the last one shown");
    ev_diag_flush();
    CHECK_STR(captured(f, &at), "", "a second flush has nothing to say");
    ev_diag_warn("big.jsonl:2001: cannot parse record: invalid at column 0: 'x'");
    ev_diag_flush();
    CHECK_STR(captured(f, &at), "ev-test: and 1 more line like big.jsonl:5\n",
              "after a flush the kind stays counted");

    char buf[32];
    CHECK_STR(ev_diag_count(0, buf, sizeof(buf)), "0", "zero");
    CHECK_STR(ev_diag_count(999, buf, sizeof(buf)), "999", "below a thousand, no comma");
    CHECK_STR(ev_diag_count(1998, buf, sizeof(buf)), "1,998", "thousands are separated");
    CHECK_STR(ev_diag_count(12345678, buf, sizeof(buf)), "12,345,678", "millions too");
    fclose(f);
    unit_file_remove(path);
    /* unit.h prints to stdout, which stays the test's */
    UNIT_DONE();
}
