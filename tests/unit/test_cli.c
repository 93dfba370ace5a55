/* Unit tests of lib/cli: range-checked numbers and the option table. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "unit.h"

enum { OPT_MARGIN = 256, OPT_DRY_RUN };

static const ev_cli_opt table[] = {
    {"dry-run", OPT_DRY_RUN, EV_CLI_ARG_NONE, 0, 0, false},
    {"jobs", 'j', EV_CLI_ARG_INT, 1, 1000, false},
    {"margin", OPT_MARGIN, EV_CLI_ARG_REAL, 0, 1, true},
    {"model", 'm', EV_CLI_ARG_TEXT, 0, 0, false},
};
static const int ntable = (int)(sizeof(table) / sizeof(table[0]));

static void
test_numbers(void)
{
    long l = -1;
    double d = -1;
    CHECK(ev_cli_parse_long("12", 0, 100, &l) && l == 12, "a number in range parses");
    CHECK(!ev_cli_parse_long("12x", 0, 100, &l) && l == 12, "trailing junk is refused");
    CHECK(!ev_cli_parse_long("101", 0, 100, &l), "a number above the range is refused");
    CHECK(!ev_cli_parse_long("", 0, 100, &l), "an empty string is refused");
    CHECK(!ev_cli_parse_long(" 1", 0, 100, &l), "leading space is refused");
    CHECK(ev_cli_parse_double("0.25", 0, 1, &d) && d == 0.25, "a fraction parses");
    CHECK(!ev_cli_parse_double("nan", 0, 1, &d), "nan is refused");
    CHECK(!ev_cli_parse_double("1.5", 0, 1, &d), "a fraction above the range is refused");
}

static void
test_walk(void)
{
    char *argv[] = {"prog", "-j", "8", "--margin=0.5", "--dry-run", "-m", "small", "a.jsonl", NULL};
    ev_cli c;
    optind = 1;
    ev_cli_init(&c, table, ntable, 8, argv);
    int k = ev_cli_next(&c);
    CHECK(k == 'j' && c.integer == 8 && c.real == 8, "a whole number comes back in range");
    k = ev_cli_next(&c);
    CHECK(k == OPT_MARGIN && c.real == 0.5, "a long option with '=' gives its number");
    k = ev_cli_next(&c);
    CHECK(k == OPT_DRY_RUN && c.text == NULL, "a flag has no value");
    k = ev_cli_next(&c);
    CHECK_STR(k == 'm' ? c.text : NULL, "small", "a text option gives its text");
    CHECK(ev_cli_next(&c) == -1, "the walk ends at the first operand");
    CHECK_STR(argv[optind], "a.jsonl", "optind names the first operand");
    ev_cli_free(&c);
}

/* refused runs the walk over 'args' in a child and returns what it wrote to
 * stderr, with its exit status in '*status'. */
static char *
refused(char **args, int n, int *status)
{
    static char buf[512];
    int fd[2];
    if (pipe(fd) != 0)
        abort();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 2);
        close(fd[0]);
        ev_cli c;
        optind = 1;
        ev_cli_init(&c, table, ntable, n, args);
        while (ev_cli_next(&c) != -1)
            ;
        _exit(0);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t r;
    while (len < sizeof(buf) - 1 && (r = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    close(fd[0]);
    waitpid(pid, status, 0);
    return buf;
}

static void
test_refusals(void)
{
    int st;
    char *a1[] = {"prog", "--modle", "x", NULL};
    char *e = refused(a1, 3, &st);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "an unknown option exits 2");
    CHECK(strstr(e, "unknown option '--modle'; did you mean '--model'?") != NULL,
          "an unknown option is named with the nearest known one");
    CHECK(strstr(e, "try 'test_cli --help'") != NULL, "a usage error ends with the hint");

    char *a2[] = {"prog", "--zzzzzzzzzz", NULL};
    e = refused(a2, 2, &st);
    CHECK(strstr(e, "unknown option '--zzzzzzzzzz'\n") != NULL,
          "nothing is suggested when none is near");

    char *a3[] = {"prog", "-j", "0", NULL};
    e = refused(a3, 3, &st);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "a number out of range exits 2");
    CHECK(strstr(e, "-j takes a whole number from 1 to 1000, not '0'") != NULL,
          "a short option's range is said as it was written");

    char *a4[] = {"prog", "--margin", "0", NULL};
    e = refused(a4, 3, &st);
    CHECK(strstr(e, "--margin takes a number above 0 and up to 1, not '0'") != NULL,
          "an open lower end refuses the end itself");

    char *a5[] = {"prog", "--model", NULL};
    e = refused(a5, 2, &st);
    CHECK(strstr(e, "--model needs a value") != NULL, "a missing value is named");

    char *a6[] = {"prog", "-x", NULL};
    e = refused(a6, 2, &st);
    CHECK(strstr(e, "unknown option '-x'") != NULL, "an unknown short option is named");
}

int
main(void)
{
    test_numbers();
    test_walk();
    test_refusals();
    UNIT_DONE();
}
