/*
 * Fuzz target: how ev-tune reads what a fine-tuning provider answers
 * (lib/finetune.c, lib/finetune_together.c, lib/finetune_fireworks.c): a
 * job of OpenAI, Together or Fireworks read as the line, a list of events
 * read as the follower's, and a lost job looked for in a list. The input
 * is any bytes, parsed as JSON; the first byte picks the suffix looked for.
 *
 * Checked: a job always reads as an object, Together's and Fireworks' with
 * a string status, and Fireworks' "failed" with an error holding a message
 * (Together's comes from its events, fetched apart); events are an array
 * of objects (Together's with a string message); a job found in a list is
 * an object whose training_file is the one looked for, or null.
 */
#include <string.h>

#include "finetune.h"
#include "finetune_fireworks.h"
#include "finetune_together.h"
#include "json.h"

#include "fuzz.h"

/* check_line checks a job read as the line: 'worded', with a string
 * status; 'errors', with an error that says why when it failed. */
static void
check_line(jv line, bool worded, bool errors)
{
    FUZZ_ASSERT(jv_get_kind(line) == JV_KIND_OBJECT);
    jv st = ev_json_field(line, "status");
    FUZZ_ASSERT(jv_get_kind(st) == JV_KIND_STRING || !worded);
    if (errors && strcmp(jv_string_value(st), "failed") == 0) {
        jv msg = ev_json_path(line, "error.message");
        FUZZ_ASSERT(jv_get_kind(msg) == JV_KIND_STRING);
        jv_free(msg);
    }
    jv_free(st);
    jv_free(line);
}

/* check_events checks events read for the follower; 'strings' says
 * whether every message must be a string (Together's reader makes them
 * so; OpenAI's passes them on, and the follower reads any kind). */
static void
check_events(jv events, bool strings)
{
    FUZZ_ASSERT(jv_get_kind(events) == JV_KIND_ARRAY);
    jv_array_foreach(events, i, e)
    {
        FUZZ_ASSERT(jv_get_kind(e) == JV_KIND_OBJECT);
        jv m = ev_json_field(e, "message");
        FUZZ_ASSERT(jv_get_kind(m) == JV_KIND_STRING || !strings);
        jv_free(m);
        jv_free(e);
        (void)i;
    }
    jv_free(events);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *suffix = data[0] % 2 ? "s" : NULL;
    jv v = jv_parse_sized((const char *)data + 1, (int)(size - 1));
    if (!jv_is_valid(v)) {
        jv_free(v);
        return 0;
    }
    check_line(ev_finetune_openai_job(v), false, false);
    check_line(ev_finetune_together_job(v), true, false);
    check_line(ev_finetune_fireworks_job(v), true, true);
    check_events(ev_finetune_openai_events(v), false);
    check_events(ev_finetune_together_events(v), true);
    jv found = ev_finetune_openai_find(v, "f", "m", suffix, ev_finetune_together_job);
    if (jv_get_kind(found) == JV_KIND_OBJECT) {
        jv f = ev_json_field(found, "training_file");
        FUZZ_ASSERT(jv_get_kind(f) == JV_KIND_STRING && strcmp(jv_string_value(f), "f") == 0);
        jv_free(f);
    } else {
        FUZZ_ASSERT(jv_get_kind(found) == JV_KIND_NULL);
    }
    jv_free(found);
    jv_free(v);
    return 0;
}
