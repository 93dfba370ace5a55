/* Unit tests of lib/progress: a line fitted to the terminal by leaving out
 * whole fields, least important first; the terminal's width; dumb
 * terminals. */
#include <stdlib.h>
#include <unistd.h>

#include "progress.h"
#include "unit.h"

static const ev_progress_field fields[] = {
    {"12/40 (30%)", 0, 0, ""}, {"3.0/s", 3, 0, " "},      {"ETA 9s", 1, 0, " "},
    {"2 in flight", 4, 1, ""}, {"0 retries", 4, 1, ", "}, {"tokens 1.2k in 300 out", 2, 2, ""},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static void
check_fit(int width, const char *want, const char *name)
{
    jv line = ev_progress_fit(fields, NFIELDS, width);
    CHECK_STR(jv_string_value(line), want, name);
    CHECK((int)strlen(jv_string_value(line)) <= width, "and it fits");
    jv_free(line);
}

static void
test_fit(void)
{
    check_fit(200, "12/40 (30%) 3.0/s ETA 9s | 2 in flight, 0 retries | tokens 1.2k in 300 out",
              "all fields, joined in groups, when there is room");
    check_fit(70, "12/40 (30%) 3.0/s ETA 9s | 2 in flight | tokens 1.2k in 300 out",
              "of two of the highest rank, the later goes first");
    check_fit(55, "12/40 (30%) 3.0/s ETA 9s | tokens 1.2k in 300 out",
              "then the other, and a group with no field left leaves no separator");
    check_fit(45, "12/40 (30%) ETA 9s | tokens 1.2k in 300 out",
              "the order of the fields that stay is kept");
    check_fit(20, "12/40 (30%) ETA 9s", "a field never is cut: it goes whole");
    check_fit(11, "12/40 (30%)", "the field of rank 0 stays");
    check_fit(5, "12/40", "and is cut only when it alone is too wide");
    jv line = ev_progress_fit(fields, 0, 80);
    CHECK_STR(jv_string_value(line), "", "no fields, an empty line");
    jv_free(line);
}

static void
test_terminal(void)
{
    int fd[2];
    if (pipe(fd) != 0)
        abort();
    setenv("COLUMNS", "123", 1);
    CHECK(ev_progress_width(fd[1]) == 123, "not a terminal: $COLUMNS");
    setenv("COLUMNS", "wide", 1);
    CHECK(ev_progress_width(fd[1]) == 80, "$COLUMNS that is not a number: 80");
    unsetenv("COLUMNS");
    CHECK(ev_progress_width(fd[1]) == 80, "no $COLUMNS: 80");
    close(fd[0]);
    close(fd[1]);
    setenv("TERM", "dumb", 1);
    CHECK(ev_progress_plain(), "TERM=dumb takes plain lines");
    setenv("TERM", "xterm-256color", 1);
    CHECK(!ev_progress_plain(), "another terminal takes escape codes");
    unsetenv("TERM");
    CHECK(!ev_progress_plain(), "so does one that does not say");
}

int
main(void)
{
    test_fit();
    test_terminal();
    UNIT_DONE();
}
