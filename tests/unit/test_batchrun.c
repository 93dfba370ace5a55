/* Unit tests of lib/batchrun, the --batch driver, in what it does without
 * a provider: the progress line, a run the cache answers whole (nothing is
 * sent), and a provider that cannot be reached (the run stops with 2). */
#include <stdlib.h>

#include "batchrun.h"
#include "cache.h"
#include "unit.h"

#define CASES "{\"id\":\"a\",\"input\":\"one\"}\n{\"id\":\"b\",\"input\":\"two\"}\n"

static void
test_progress_line(void)
{
    ev_batchrun_progress p = {.ended = 1,
                              .batches = 2,
                              .total = 10,
                              .done = 7,
                              .failed = 1,
                              .state = "completed, in_progress",
                              .elapsed = 65};
    jv line = ev_batchrun_progress_line(&p, 200);
    CHECK_STR(jv_string_value(line),
              "batches 1/2 ended; 7/10 requests done, 1 failed; completed, in_progress; 1m05s",
              "batches ended, requests done and failed, the states and the time");
    jv_free(line);
    line = ev_batchrun_progress_line(&p, 56);
    CHECK_STR(jv_string_value(line), "batches 1/2 ended; 7/10 requests done, 1 failed; 1m05s",
              "in 56 columns the states go first");
    jv_free(line);
    line = ev_batchrun_progress_line(&p, 30);
    CHECK_STR(jv_string_value(line), "batches 1/2 ended", "in 30 the batches ended stay");
    jv_free(line);
}

/* run_batch runs the cases of CASES against a server that is not there,
 * with the cache at 'dir', and returns the status; the records go to 'out'
 * (at least 1024 bytes). With 'prefill', the cache first gets an answer for
 * every case. */
static int
run_batch(const char *dir, bool prefill, char *out)
{
    ev_call_config c;
    ev_call_init(&c, 0);
    c.req.model = "m";
    c.base_url = "http://127.0.0.1:1/v1";
    c.batch = true;
    c.retries = 0;
    jv err;
    if (!ev_call_setup(&c, &err))
        abort();
    ev_cache *cache = ev_cache_open(dir, &err);
    const char *inputs[] = {"one", "two"};
    for (int i = 0; prefill && i < 2; i++) {
        jv rec = jv_object_set(jv_object(), jv_string("input"), jv_string(inputs[i]));
        jv msgs = ev_call_prompt(&c, rec);
        jv body, text;
        char key[EV_CACHE_KEY_LEN + 1];
        ev_call_request(&c, msgs, 0, &body, &text, key);
        jv call = ev_call_object(&c, jv_number(5), jv_number(2), jv_number(1), jv_null(),
                                 jv_string("stop"), 1, false, 0);
        ev_cache_put(cache, key, ev_call_cache_entry(call, jv_string(inputs[i]), 0), &err);
        jv_free(body);
        jv_free(text);
        jv_free(msgs);
        jv_free(rec);
    }
    char path[64];
    unit_file(path, "in.jsonl", CASES);
    char *paths[] = {path};
    ev_call_hooks h = {.log = {.warn = unit_hear, .ctx = ""}, .wake_fd = -1};
    ev_call_end end;
    FILE *f = tmpfile();
    unit_said[0] = '\0';
    int status = ev_batchrun_run(&c, cache, paths, 1, f, &h, NULL, &end);
    rewind(f);
    size_t n = fread(out, 1, 1023, f);
    out[n] = '\0';
    fclose(f);
    unit_file_remove(path);
    ev_cache_close(cache);
    ev_call_free(&c);
    return status;
}

static void
test_runs(void)
{
    char dir[] = "/tmp/ev-unit-XXXXXX", out[1024];
    if (mkdtemp(dir) == NULL)
        abort();
    int status = run_batch(dir, false, out);
    CHECK(status == 2, "a provider that cannot be reached stops the run: exit 2");
    CHECK(strstr(unit_said, "cannot upload the batch's requests") != NULL, "saying what failed");
    CHECK(out[0] == '\0', "and nothing is written");
    status = run_batch(dir, true, out);
    CHECK(status == 0, "every answer in the cache: exit 0, with nothing sent");
    CHECK(strstr(out, "{\"id\":\"a\",\"input\":\"one\",\"output\":\"one\",\"call\":{") != NULL &&
              strstr(out, "{\"id\":\"b\",\"input\":\"two\",\"output\":\"two\",\"call\":{") != NULL,
          "each case has its answer, in order");
    CHECK(strstr(out, "\"cached\":false") == NULL, "every one from the cache");
    CHECK(strstr(unit_said, "2 calls: 2 answered (2 from the cache), 0 failed, in 0 batches") !=
              NULL,
          "the summary says so");
    char rm[128];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    if (system(rm) != 0)
        abort();
}

int
main(void)
{
    test_progress_line();
    test_runs();
    UNIT_DONE();
}
