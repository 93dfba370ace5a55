/* Unit tests of mock/model, the simulated model behind ev-mock: prompts,
 * answers right and wrong, replays, loading and the judge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mockunit.h"

static void
check_prompt(const char *input, const char *full, const char *last, const char *name)
{
    jv f, l;
    evm_model_prompt(jv_parse(input), &f, &l);
    CHECK_STR(jv_string_value(f), full, name);
    CHECK_STR(jv_string_value(l), last, name);
    jv_free(f);
    jv_free(l);
}

static void
test_prompt(void)
{
    check_prompt("\"hi\"", "hi", "hi", "a string prompt is its own last user message");
    check_prompt("[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"q\"}]",
                 "s\nq", "q", "messages join by newlines; the last user message stands apart");
    check_prompt("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                 "{\"type\":\"image_url\"},{\"type\":\"text\",\"text\":\"b\"}]}]",
                 "ab", "ab", "content parts count as their concatenated text");
    check_prompt("[{\"role\":\"assistant\",\"content\":\"x\"}]", "x", "",
                 "no user message: the last user message is empty");
}

/* answer asks 'm' as 'model' with the string prompt 'q'; the text is freed. */
static enum evm_model_source
answer(const evm_model *m, const char *model, const char *q, char *buf, size_t n)
{
    evm_model_reply r = evm_model_answer(m, model, q, q);
    snprintf(buf, n, "%s", r.text);
    free(r.text);
    return r.source;
}

static void
test_answers(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"math\"]}",
        "{\"id\":\"b\",\"input\":\"2+2?\",\"expected\":\"4\",\"tags\":[\"math\"]}",
        "{\"id\":\"c\",\"input\":\"Capital of France?\",\"expected\":\"Paris\",\"tags\":[\"geo\"]}",
        "{\"id\":\"d\",\"input\":\"JSON?\",\"expected\":{\"k\":1}}",
        NULL,
    };
    char buf[64];
    evm_model *m = model_of(cases, false);
    evm_model_set_accuracy(m, "geo", 0);
    evm_model_freeze(m);
    CHECK(answer(m, "x", "1+1?", buf, sizeof(buf)) == EVM_MODEL_RIGHT, "accuracy 1: right");
    CHECK_STR(buf, "2", "the answer is the expected answer");
    answer(m, "x", "JSON?", buf, sizeof(buf));
    CHECK_STR(buf, "{\"k\":1}", "an expected answer that is not a string is its compact JSON");
    CHECK(answer(m, "x", "Capital of France?", buf, sizeof(buf)) == EVM_MODEL_WRONG,
          "accuracy 0 for the tag: wrong");
    CHECK_STR(buf, "I don't know", "alone in its tag, a text answer is perturbed");
    CHECK(answer(m, "x", "unheard of", buf, sizeof(buf)) == EVM_MODEL_UNKNOWN, "unknown prompt");
    CHECK(strncmp(buf, "mock answer ", 12) == 0 && strlen(buf) == 20,
          "an unknown prompt gets 'mock answer' and 8 hex digits");
    evm_model_free(m);

    m = model_of(cases, false);
    evm_model_set_model_accuracy(m, "weak", 0);
    evm_model_freeze(m);
    answer(m, "weak", "1+1?", buf, sizeof(buf));
    CHECK_STR(buf, "4", "a wrong answer is another answer of the same tag");
    answer(m, "strong", "1+1?", buf, sizeof(buf));
    CHECK_STR(buf, "2", "a model without a factor keeps the case's accuracy");
    evm_model_free(m);

    static const char *const one[] = {
        "{\"id\":\"n\",\"input\":\"9+1?\",\"expected\":\"10\"}",
        NULL,
    };
    m = model_of(one, false);
    evm_model_set_accuracy(m, NULL, 0);
    evm_model_freeze(m);
    answer(m, "x", "9+1?", buf, sizeof(buf));
    CHECK_STR(buf, "11", "alone in its group, a number answer is off by one");
    evm_model_free(m);
}

static void
test_replay(void)
{
    static const char *const run[] = {
        "{\"input\":\"q\",\"output\":\"from big\",\"call\":{\"model\":\"big\"}}",
        "{\"input\":\"q\",\"output\":\"from anyone\"}",
        "{\"input\":\"failed\",\"error\":{\"kind\":\"http\"}}",
        NULL,
    };
    char buf[64];
    evm_model *m = model_of(run, true);
    evm_model_freeze(m);
    CHECK(evm_model_count_replay(m) == 2, "a record without output is skipped");
    CHECK(answer(m, "big", "q", buf, sizeof(buf)) == EVM_MODEL_REPLAY, "replayed");
    CHECK_STR(buf, "from big", "the record of the request's model");
    answer(m, "small", "q", buf, sizeof(buf));
    CHECK_STR(buf, "from anyone", "a record without call.model answers for any model");
    evm_model_free(m);
}

static void
report(void *ctx, jv msg)
{
    jv *all = ctx;
    *all = jv_array_append(*all, msg);
}

static void
test_load(void)
{
    char path[] = "/tmp/ev-test-model-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("{\"id\":\"a\",\"input\":\"q\",\"expected\":\"A\"}\n"
          "not json\n"
          "{\"id\":\"b\",\"input\":\"r\"}\n"
          "{\"id\":\"c\",\"input\":\"s\",\"expected\":\"C\"}\n",
          f);
    fclose(f);
    evm_model *m = evm_model_new(0);
    jv problems = jv_array();
    char *paths[] = {path};
    CHECK(!evm_model_load(m, paths, 1, false, report, &problems), "a bad line fails the load");
    CHECK(evm_model_count_cases(m) == 2, "the good cases are kept");
    CHECK(jv_array_length(jv_copy(problems)) == 2, "each bad line is reported");
    jv second = jv_array_get(jv_copy(problems), 1);
    jv want = jv_string_fmt("%s:3: case has no 'expected'", path);
    CHECK_STR(jv_string_value(second), jv_string_value(want), "a refused case names its line");
    jv_free(want);
    jv_free(second);
    jv_free(problems);
    problems = jv_array();
    CHECK(evm_model_load(m, paths, 0, true, report, &problems), "no files: nothing to load");
    jv_free(problems);
    evm_model_free(m);
    unlink(path);
}

static void
test_judge(void)
{
    char *out = evm_model_judge("Is it right?\nParis is the capital.\ncapital", false);
    CHECK(strstr(out, "\nPASS") != NULL, "a last line found above passes");
    free(out);
    out = evm_model_judge("Is it right?\nParis is the capital.\nLyon", false);
    CHECK(strstr(out, "\nFAIL") != NULL, "a last line not found above fails");
    free(out);
    out = evm_model_judge("anything\nanything", true);
    CHECK(strstr(out, "PASS") == NULL && strstr(out, "FAIL") == NULL,
          "judge-invalid answers with no label");
    free(out);
    evm_model *m = evm_model_new(0);
    evm_model_set_judge(m, "grader");
    evm_model_freeze(m);
    CHECK(evm_model_is_judge(m, "grader"), "the judge is the named model");
    CHECK(!evm_model_is_judge(m, "small"), "no other model is");
    evm_model_free(m);
}

int
main(void)
{
    test_prompt();
    test_answers();
    test_replay();
    test_load();
    test_judge();
    UNIT_DONE();
}
