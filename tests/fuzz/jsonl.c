/*
 * Fuzz target: the JSONL reader (lib/jsonl.c) and what lib/record.c reads
 * from a record. The input is a whole file. Every record read is checked:
 * its id (given, or derived from its input; never of another type than a
 * string or a number), its prompt from 'input' or
 * 'messages', the messages made of it and the request bodies made of
 * those (lib/provider.c), its expected answer under any
 * alias, its tags and its prompt text; and writing it back with a field
 * added must give one line of JSON with the record's fields and that one.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "json.h"
#include "jsonl.h"
#include "provider.h"
#include "record.h"

#include "fuzz.h"

/* all_of_kind says whether 'a' (borrowed) is an array of values of kind 'k'. */
static bool
all_of_kind(jv a, jv_kind k)
{
    if (jv_get_kind(a) != JV_KIND_ARRAY)
        return false;
    bool ok = true;
    jv_array_foreach(a, i, v)
    {
        ok = ok && jv_get_kind(v) == k;
        (void)i;
        jv_free(v);
    }
    return ok;
}

/* same says whether 'a' and 'b' (borrowed) print the same as sorted compact
 * JSON, which compares numbers the way they print (NaN as null). */
static bool
same(jv a, jv b)
{
    jv x = jv_dump_string(jv_copy(a), JV_PRINT_SORTED);
    jv y = jv_dump_string(jv_copy(b), JV_PRINT_SORTED);
    bool eq = strcmp(jv_string_value(x), jv_string_value(y)) == 0;
    jv_free(x);
    jv_free(y);
    return eq;
}

/* check_id checks the id of 'rec' (borrowed), given or derived. */
static void
check_id(jv rec)
{
    jv given = ev_json_field(rec, "id");
    jv id = ev_record_id(rec);
    FUZZ_ASSERT(jv_get_kind(id) == JV_KIND_STRING || fuzz_has_message(id));
    jv_kind k = jv_get_kind(given);
    /* The reader lets no other id through (ev_record_id_problem). */
    FUZZ_ASSERT(k == JV_KIND_STRING || k == JV_KIND_NUMBER || k == JV_KIND_NULL ||
                k == JV_KIND_INVALID);
    if (k == JV_KIND_STRING) {
        FUZZ_ASSERT(same(id, given));
    } else if (jv_is_valid(id) && k != JV_KIND_NUMBER) {
        const char *s = jv_string_value(id);
        FUZZ_ASSERT(strlen(s) == 17 && s[0] == 'h' && strspn(s + 1, "0123456789abcdef") == 16);
    }
    jv with = ev_record_with_id(jv_copy(rec));
    FUZZ_ASSERT(jv_get_kind(with) == JV_KIND_OBJECT);
    jv now = ev_json_field(with, "id");
    if (k == JV_KIND_STRING || k == JV_KIND_NUMBER)
        FUZZ_ASSERT(same(now, given));
    else if (jv_is_valid(id))
        FUZZ_ASSERT(same(now, id));
    jv_free(now);
    jv_free(with);
    jv_free(id);
    jv_free(given);
}

/* check_bodies checks the request bodies that ev-call would send each
 * provider for 'msgs' (borrowed), as ev_provider_messages made them. */
static void
check_bodies(jv msgs)
{
    jv params = jv_parse("{\"top_p\":0.5,\"temperature\":null}");
    ev_provider_opts o = {.model = "m",
                          .system = "Be brief.",
                          .temperature = 0,
                          .max_tokens = 16,
                          .has_seed = true,
                          .seed = 7,
                          .params = params,
                          .command = "cat"};
    for (int p = EV_PROVIDER_OPENAI; p <= EV_PROVIDER_CMD; p++) {
        o.provider = (ev_provider)p;
        jv b = ev_provider_body(&o, jv_copy(msgs), 1);
        FUZZ_ASSERT(jv_get_kind(b) == JV_KIND_OBJECT || fuzz_has_message(b));
        jv_free(b);
    }
    jv_free(params);
}

/* check_fields checks the prompt, the expected answer and the tags of
 * 'rec' (borrowed). */
static void
check_fields(jv rec)
{
    jv in = ev_record_input(rec);
    jv given = ev_json_field(rec, "input");
    if (jv_get_kind(given) == JV_KIND_STRING || jv_get_kind(given) == JV_KIND_ARRAY)
        FUZZ_ASSERT(same(in, given));
    else if (jv_is_valid(given) && jv_get_kind(given) != JV_KIND_NULL)
        FUZZ_ASSERT(!jv_is_valid(in)); /* an input of another type is an error */
    jv_free(given);
    jv msgs = ev_provider_messages(in);
    FUZZ_ASSERT(all_of_kind(msgs, JV_KIND_OBJECT) || fuzz_has_message(msgs));
    if (jv_is_valid(msgs))
        check_bodies(msgs);
    jv_free(msgs);

    jv want = ev_record_expected(rec);
    given = ev_json_field(rec, "expected");
    if (jv_is_valid(given))
        FUZZ_ASSERT(same(want, given));
    jv_free(given);
    jv_free(want);

    jv tags = ev_record_tags(rec);
    FUZZ_ASSERT(all_of_kind(tags, JV_KIND_STRING));
    jv_free(tags);

    jv text = ev_record_prompt_text(rec);
    FUZZ_ASSERT(jv_get_kind(text) == JV_KIND_STRING);
    jv_free(text);
}

/* check_write writes 'rec' (borrowed), the record 'r' read last, with one
 * field added, and checks that the line reads back as the two merged. */
static void
check_write(const ev_jsonl_reader *r, jv rec, const char *key)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    FUZZ_ASSERT(f != NULL);
    jv add = jv_object_set(jv_object(), jv_string(key), jv_true());
    FUZZ_ASSERT(ev_jsonl_write_merged(f, r, jv_copy(rec), jv_copy(add)) == 0);
    FUZZ_ASSERT(fclose(f) == 0);
    FUZZ_ASSERT(len > 0 && out[len - 1] == '\n' && memchr(out, '\n', len) == out + len - 1);
    jv back = jv_parse_sized(out, (int)len - 1);
    FUZZ_ASSERT(jv_get_kind(back) == JV_KIND_OBJECT);
    jv want = jv_object_merge(jv_copy(rec), add);
    FUZZ_ASSERT(same(back, want));
    jv_free(back);
    jv_free(want);
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[32];
    if (fd < 0) {
        fd = memfd_create("jsonl", 0);
        FUZZ_ASSERT(fd >= 0);
        snprintf(path, sizeof(path), "/dev/fd/%d", fd);
    }
    FUZZ_ASSERT(ftruncate(fd, 0) == 0);
    FUZZ_ASSERT(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);

    char *paths[] = {path};
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, 1, NULL);
    jv rec;
    int st, n = 0;
    while ((st = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (st == EV_JSONL_BAD) {
            jv m = jv_invalid_get_msg(rec);
            FUZZ_ASSERT(jv_get_kind(m) == JV_KIND_STRING);
            FUZZ_ASSERT(strncmp(jv_string_value(m), path, strlen(path)) == 0);
            jv_free(m);
            continue;
        }
        FUZZ_ASSERT(jv_get_kind(rec) == JV_KIND_OBJECT);
        jv where = ev_jsonl_where(&r);
        FUZZ_ASSERT(jv_get_kind(where) == JV_KIND_STRING);
        jv_free(where);
        check_id(rec);
        check_fields(rec);
        /* Alternately a new field, which is appended to the original text,
         * and one the records of the corpus often have, which is set in
         * place. */
        check_write(&r, rec, n++ % 2 ? "fuzz" : "score");
        jv_free(rec);
    }
    ev_jsonl_free(&r);
    return 0;
}
