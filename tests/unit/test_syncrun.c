/* Unit tests of lib/syncrun, the synchronous run, with a local command as
 * the model (-p cmd), which needs no server: records in input order, the
 * cache, identical requests paid for once, failures and exit statuses, and
 * the progress line. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>

#include "cache.h"
#include "syncrun.h"
#include "unit.h"

/* run_command runs 'command' over the cases of 'input' and returns the
 * status; the records go to 'out' (at least 4096 bytes). */
static int
run_command(const char *command, const char *input, ev_cache *cache, char *out)
{
    ev_call_config c;
    ev_call_init(&c, 0);
    c.req.provider = EV_PROVIDER_CMD;
    c.req.command = command;
    c.quiet = true;
    c.retries = 0;
    jv err;
    if (!ev_call_setup(&c, &err))
        abort();
    char path[64];
    unit_file(path, "in.jsonl", input);
    char *paths[] = {path};
    ev_call_hooks h = {.log = {.warn = unit_hear, .ctx = ""}, .wake_fd = -1};
    ev_syncrun_show show = {0};
    ev_call_end end;
    FILE *f = tmpfile();
    unit_said[0] = '\0';
    int status = ev_syncrun_run(&c, cache, paths, 1, f, &h, &show, &end);
    rewind(f);
    size_t n = fread(out, 1, 4095, f);
    out[n] = '\0';
    fclose(f);
    unit_file_remove(path);
    ev_call_free(&c);
    return status;
}

/* field returns the values of 'key' in the records of 'out', one line each. */
static const char *
field(const char *out, const char *key)
{
    static char buf[1024];
    buf[0] = '\0';
    for (const char *p = out; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        jv rec = jv_parse_sized(p, (int)(nl - p));
        jv v = jv_object_get(rec, jv_string(key));
        v = jv_dump_string(jv_is_valid(v) ? v : (jv_free(v), jv_null()), 0);
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", jv_string_value(v));
        jv_free(v);
        p = nl + 1;
    }
    return buf;
}

static void
test_order_and_failures(void)
{
    char out[4096];
    const char *cases = "{\"id\":\"a\",\"input\":\"one\"}\n{\"id\":\"b\",\"input\":\"two\"}\n"
                        "{\"id\":\"c\",\"input\":\"three\"}\n";
    int status = run_command("[ \"$EV_ID\" != a ] || sleep 0.3; tr a-z A-Z", cases, NULL, out);
    CHECK(status == 0, "every case answered: exit 0");
    CHECK_STR(field(out, "output"), "\"ONE\" \"TWO\" \"THREE\"",
              "in input order, though the first answer came last");
    status = run_command("exit 3", cases, NULL, out);
    CHECK(status == 3, "calls that fail: exit 3");
    CHECK_STR(field(out, "output"), "null null null", "no output for a failed call");
    CHECK(strstr(out, "\"error\":{\"kind\":\"cmd\",\"status\":3,") != NULL,
          "an error of kind cmd, with the command's status");
    status = run_command("cat", "{\"id\":\"a\",\"input\":\"x\"}\n{\"id\":\"b\"}\n", NULL, out);
    CHECK(status == 2, "a case that cannot make a prompt: exit 2");
    CHECK_STR(field(out, "id"), "\"a\"", "and the other cases are answered");
    CHECK(strstr(unit_said, ":2: record has no 'input' or 'messages'") != NULL,
          "the case is reported with its line");
}

/* lines_of counts the lines of the file 'path'. */
static int
lines_of(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    for (int ch; f != NULL && (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

static void
test_cache(void)
{
    char dir[] = "/tmp/ev-unit-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    char count[96], command[192], out[4096];
    snprintf(count, sizeof(count), "%s/count", dir);
    snprintf(command, sizeof(command), "echo x >>%s; cat", count);
    jv err;
    ev_cache *cache = ev_cache_open(dir, &err);
    CHECK(cache != NULL, "a cache");
    const char *cases = "{\"id\":\"a\",\"input\":\"same\"}\n{\"id\":\"b\",\"input\":\"same\"}\n"
                        "{\"id\":\"c\",\"input\":\"other\"}\n";
    int status = run_command(command, cases, cache, out);
    CHECK(status == 0, "answered");
    CHECK(lines_of(count) == 2, "identical requests are paid for once");
    CHECK(strstr(out, "\"id\":\"b\",\"input\":\"same\",\"output\":\"same\"") != NULL,
          "and the other gets the same answer");
    status = run_command(command, cases, cache, out);
    CHECK(status == 0 && lines_of(count) == 2,
          "a second run is answered from the cache, with no command run");
    CHECK_STR(field(out, "output"), "\"same\" \"same\" \"other\"", "with the same answers");
    CHECK(strstr(out, "\"cached\":false") == NULL, "each marked as cached");
    ev_cache_close(cache);
    char rm[128];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    if (system(rm) != 0)
        abort();
}

static void
test_progress_line(void)
{
    ev_syncrun_progress p = {.done = 3,
                             .total = 12,
                             .elapsed = 1.5,
                             .in_flight = 2,
                             .retries = 1,
                             .failed = 1,
                             .cached = 0,
                             .tokens_in = 12345,
                             .tokens_out = 678,
                             .spent = NAN};
    jv line = ev_syncrun_progress_line(&p, 200);
    CHECK_STR(jv_string_value(line),
              "3/12 (25%) 2.0/s ETA 5s | 2 in flight, 1 retries, 1 failed, 0 cached | tokens "
              "12.3k in 678 out",
              "done of the total, rate, time left (4.5 s, rounded), the calls and the tokens");
    jv_free(line);
    p.spent = 0.012345;
    p.currency = "USD";
    line = ev_syncrun_progress_line(&p, 200);
    CHECK(strstr(jv_string_value(line), "678 out | $0.0123") != NULL,
          "the money spent, when the model has a price");
    jv_free(line);
    line = ev_syncrun_progress_line(&p, 40);
    CHECK_STR(jv_string_value(line), "3/12 (25%) ETA 5s | 1 failed | $0.0123",
              "in 40 columns: what is done, the time left, the failures and the money stay");
    jv_free(line);
    line = ev_syncrun_progress_line(&p, 12);
    CHECK_STR(jv_string_value(line), "3/12 (25%)", "in 12, what is done");
    jv_free(line);
    p.currency = "EUR";
    line = ev_syncrun_progress_line(&p, 200);
    CHECK(strstr(jv_string_value(line), "| 0.0123 EUR") != NULL, "another currency is named");
    jv_free(line);
    p.total = 0;
    p.paused = 2.2;
    p.spent = NAN;
    line = ev_syncrun_progress_line(&p, 200);
    CHECK(strncmp(jv_string_value(line), "3 done 2.0/s |", 14) == 0,
          "without a total, what is done");
    CHECK(strstr(jv_string_value(line), " | rate limited 3s") != NULL, "and a pause, rounded up");
    CHECK(strchr(jv_string_value(line), '$') == NULL &&
              strstr(jv_string_value(line), "EUR") == NULL,
          "no money when the model has no price");
    jv_free(line);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as ev-call does: a command may not read its input */
    test_order_and_failures();
    test_cache();
    test_progress_line();
    UNIT_DONE();
}
