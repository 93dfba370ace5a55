/* Unit tests of lib/mock and lib/mockwire, the model and the wire formats
 * behind ev-mock. */
#include <stdlib.h>

#include "finetune.h"
#include "learner.h"
#include "mock.h"
#include "mockwire.h"
#include "unit.h"

static void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

static void
check_prompt(const char *input, const char *full, const char *last, const char *name)
{
    jv f, l;
    ev_mock_prompt(jv_parse(input), &f, &l);
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
static enum ev_mock_source
answer(const ev_mock *m, const char *model, const char *q, char *buf, size_t n)
{
    ev_mock_reply r = ev_mock_answer(m, model, q, q);
    snprintf(buf, n, "%s", r.text);
    free(r.text);
    return r.source;
}

static ev_mock *
mock_of(const char *const *records, bool replay)
{
    ev_mock *m = ev_mock_new(0);
    for (; *records != NULL; records++) {
        jv rec = jv_parse(*records), err;
        bool ok = replay ? ev_mock_add_replay(m, rec, &err) : ev_mock_add_case(m, rec, &err);
        CHECK(ok, *records);
        if (!ok)
            jv_free(err);
        jv_free(rec);
    }
    return m;
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
    ev_mock *m = mock_of(cases, false);
    ev_mock_set_accuracy(m, "geo", 0);
    ev_mock_freeze(m);
    CHECK(answer(m, "x", "1+1?", buf, sizeof(buf)) == EV_MOCK_RIGHT, "accuracy 1: right");
    CHECK_STR(buf, "2", "the answer is the expected answer");
    answer(m, "x", "JSON?", buf, sizeof(buf));
    CHECK_STR(buf, "{\"k\":1}", "an expected answer that is not a string is its compact JSON");
    CHECK(answer(m, "x", "Capital of France?", buf, sizeof(buf)) == EV_MOCK_WRONG,
          "accuracy 0 for the tag: wrong");
    CHECK_STR(buf, "I don't know", "alone in its tag, a text answer is perturbed");
    CHECK(answer(m, "x", "unheard of", buf, sizeof(buf)) == EV_MOCK_UNKNOWN, "unknown prompt");
    CHECK(strncmp(buf, "mock answer ", 12) == 0 && strlen(buf) == 20,
          "an unknown prompt gets 'mock answer' and 8 hex digits");
    ev_mock_free(m);

    m = mock_of(cases, false);
    ev_mock_set_model_accuracy(m, "weak", 0);
    ev_mock_freeze(m);
    answer(m, "weak", "1+1?", buf, sizeof(buf));
    CHECK_STR(buf, "4", "a wrong answer is another answer of the same tag");
    answer(m, "strong", "1+1?", buf, sizeof(buf));
    CHECK_STR(buf, "2", "a model without a factor keeps the case's accuracy");
    ev_mock_free(m);

    static const char *const one[] = {
        "{\"id\":\"n\",\"input\":\"9+1?\",\"expected\":\"10\"}",
        NULL,
    };
    m = mock_of(one, false);
    ev_mock_set_accuracy(m, NULL, 0);
    ev_mock_freeze(m);
    answer(m, "x", "9+1?", buf, sizeof(buf));
    CHECK_STR(buf, "11", "alone in its group, a number answer is off by one");
    ev_mock_free(m);
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
    ev_mock *m = mock_of(run, true);
    ev_mock_freeze(m);
    CHECK(ev_mock_count_replay(m) == 2, "a record without output is skipped");
    CHECK(answer(m, "big", "q", buf, sizeof(buf)) == EV_MOCK_REPLAY, "replayed");
    CHECK_STR(buf, "from big", "the record of the request's model");
    answer(m, "small", "q", buf, sizeof(buf));
    CHECK_STR(buf, "from anyone", "a record without call.model answers for any model");
    ev_mock_free(m);
}

static void
test_wire(void)
{
    ev_wire_request req;
    const char *body = "{\"model\":\"m\",\"max_tokens\":2,\"system\":\"s\","
                       "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    CHECK(ev_wire_parse(EV_WIRE_ANTHROPIC, body, strlen(body), &req) == NULL,
          "a good Anthropic request parses");
    check_jv(jv_copy(req.full), "\"s\\nq\"", "Anthropic's system prompt comes first");
    check_jv(ev_wire_answer(EV_WIRE_ANTHROPIC, &req, "msg_1", "0123456789", true),
             "{\"content\":[{\"text\":\"01234567\",\"type\":\"text\"}],\"id\":\"msg_1\","
             "\"model\":\"m\",\"role\":\"assistant\",\"stop_reason\":\"max_tokens\","
             "\"stop_sequence\":null,\"type\":\"message\",\"usage\":{"
             "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
             "\"input_tokens\":1,\"output_tokens\":2}}",
             "an answer over the limit is cut at 4 bytes a token");
    ev_wire_request_free(&req);

    body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    CHECK_STR(ev_wire_parse(EV_WIRE_ANTHROPIC, body, strlen(body), &req),
              "max_tokens: Field required", "Anthropic requires max_tokens");
    CHECK(ev_wire_parse(EV_WIRE_OPENAI, body, strlen(body), &req) == NULL,
          "OpenAI does not require a limit");
    CHECK(req.max_tokens == -1, "no limit reads as -1");
    ev_wire_request_free(&req);
    body = "{\"model\":\"m\",\"messages\":[]}";
    CHECK(ev_wire_parse(EV_WIRE_OPENAI, body, strlen(body), &req) != NULL,
          "empty messages are refused");
    body = "{\"model\":\"m\",";
    CHECK_STR(ev_wire_parse(EV_WIRE_OPENAI, body, strlen(body), &req),
              "We could not parse the JSON body of your request.", "bad JSON is refused");

    check_jv(ev_wire_error(EV_WIRE_OPENAI, EV_WIRE_502, NULL, "req_1"),
             "{\"error\":{\"code\":502,\"message\":\"Bad gateway.\",\"param\":null,"
             "\"type\":\"cf_bad_gateway\"}}",
             "OpenAI's 502 has a number for code");
    check_jv(ev_wire_error(EV_WIRE_ANTHROPIC, EV_WIRE_529, NULL, "req_1"),
             "{\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\"},"
             "\"request_id\":\"req_1\",\"type\":\"error\"}",
             "Anthropic's 529 is overloaded_error");
    CHECK(ev_wire_status(EV_WIRE_ANTHROPIC, EV_WIRE_QUOTA) == 400 &&
              ev_wire_status(EV_WIRE_OPENAI, EV_WIRE_QUOTA) == 429,
          "quota: OpenAI 429, Anthropic 400");

    static const struct {
        long ms;
        const char *want;
    } durations[] = {{0, "0ms"},      {20, "20ms"},     {1000, "1s"},           {1500, "1.5s"},
                     {60000, "1m0s"}, {360000, "6m0s"}, {3723004, "1h2m3.004s"}};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        char buf[32];
        ev_wire_duration(buf, sizeof(buf), durations[i].ms);
        CHECK_STR(buf, durations[i].want, "durations read as Go prints them");
    }
}

static void
test_learner(void)
{
    ev_learner p = ev_learner_defaults();
    /* p(n) = min(0.9, 0.25 + 0.072 * log2(1 + n / 5)) */
    CHECK_NEAR(ev_learner_curve(&p, 0), 0.25, 1e-12, "no examples: the floor");
    CHECK_NEAR(ev_learner_curve(&p, 5), 0.322, 1e-12, "scale examples: one doubling, floor + gain");
    CHECK_NEAR(ev_learner_curve(&p, 10), 0.25 + 0.072 * log2(3), 1e-12, "10 examples: about 0.36");
    CHECK_NEAR(ev_learner_curve(&p, 50), 0.25 + 0.072 * log2(11), 1e-12, "50 examples");
    CHECK(fabs(ev_learner_curve(&p, 50) - 0.5) < 0.01,
          "about 50 examples of a tag reach about 0.5");
    CHECK(fabs(ev_learner_curve(&p, 400) - 0.7) < 0.01, "about 400 reach about 0.7");
    CHECK_NEAR(ev_learner_curve(&p, 1e12), 0.9, 1e-12, "the ceiling holds");
    CHECK(ev_learner_curve(&p, 20) > ev_learner_curve(&p, 10) &&
              ev_learner_curve(&p, 20) - ev_learner_curve(&p, 10) <
                  ev_learner_curve(&p, 10) - ev_learner_curve(&p, 0),
          "the curve rises with diminishing returns");

    double a = ev_learner_noise(&p, "ftjob-1", "geo");
    CHECK(a == ev_learner_noise(&p, "ftjob-1", "geo"), "the noise is fixed by job and tag");
    CHECK(a != ev_learner_noise(&p, "ftjob-2", "geo") &&
              a != ev_learner_noise(&p, "ftjob-1", "math"),
          "another job or tag gets other noise");
    bool within = true;
    for (int i = 0; i < 1000; i++) {
        char job[32];
        snprintf(job, sizeof(job), "ftjob-%d", i);
        double x = ev_learner_noise(&p, job, "t");
        within = within && x >= -p.noise && x <= p.noise;
    }
    CHECK(within, "the noise stays within +-noise");
    CHECK_NEAR(ev_learner_accuracy(&p, "ftjob-1", "geo", 50), ev_learner_curve(&p, 50) + a, 1e-12,
               "accuracy is the curve plus the noise");
    CHECK_NEAR(ev_learner_accuracy(&p, NULL, "geo", 1000), 0.25, 0, "the base model is the floor");
    CHECK_NEAR(ev_learner_accuracy(&p, "j", NULL, 0),
               0.25 + ev_learner_noise(&p, "j", EV_LEARNER_OTHER), 1e-12,
               "no tag reads as (other)");
    ev_learner hi = p;
    hi.floor = hi.ceiling = 1;
    hi.noise = 0.5;
    CHECK(ev_learner_accuracy(&hi, "j", "t", 0) <= 1, "accuracy is clamped to 1");
    ev_learner seeded = p;
    seeded.seed = 7;
    CHECK(ev_learner_noise(&seeded, "ftjob-1", "geo") != a, "the seed changes the noise");

    ev_tally *t = ev_tally_new();
    ev_tally_add(t, "geo", 1);
    ev_tally_add(t, NULL, 2);
    ev_tally_add(t, "geo", 3);
    CHECK(ev_tally_get(t, "geo") == 4 && ev_tally_get(t, EV_LEARNER_OTHER) == 2 &&
              ev_tally_get(t, NULL) == 2 && ev_tally_get(t, "math") == 0,
          "a tally counts by tag, NULL as (other)");
    double n;
    CHECK(ev_tally_size(t) == 2 && strcmp(ev_tally_at(t, 0, &n), "geo") == 0 && n == 4,
          "a tally keeps first-counted order");
    ev_tally_free(t);
}

/* A job on 12 examples: 4 with their own tag "t", 8 asking the case "1+1?"
 * of tag "math". */
static void
test_finetune(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"math\"]}",
        NULL,
    };
    ev_mock *m = mock_of(cases, false);
    ev_mock_freeze(m);
    ev_ft_config c = {.seed = 0,
                      .job_ms = 1000,
                      .mock = m,
                      .learner = "small",
                      .params = ev_learner_defaults(),
                      .max_tokens = 16385};
    ev_ft *f = ev_ft_new(&c);
    jv text = jv_string("");
    for (int i = 0; i < 12; i++)
        text = jv_string_append_str(
            text, i < 4 ? "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                          "{\"role\":\"assistant\",\"content\":\"y\"}],\"tags\":[\"t\"]}\n"
                        : "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"
                          "{\"role\":\"assistant\",\"content\":\"2\"}]}\n");
    const char *data = jv_string_value(text);
    ev_ft_reply r = ev_ft_upload(f, "t.jsonl", "fine-tune", data, strlen(data), 1000000);
    CHECK(r.status == 200, "an upload is stored");
    jv id = jv_object_get(r.body, jv_string("id"));
    jv body = jv_string_fmt("{\"model\":\"small\",\"training_file\":\"%s\",\"suffix\":\"s\"}",
                            jv_string_value(id));
    r = ev_ft_create(f, jv_string_value(body), strlen(jv_string_value(body)), 1000000);
    jv job = jv_object_get(jv_copy(r.body), jv_string("id"));
    jv st = jv_object_get(r.body, jv_string("status"));
    CHECK_STR(jv_string_value(st), "validating_files", "a new job validates its file");
    jv_free(st);
    ev_ft_reply j = ev_ft_job(f, jv_string_value(job), 1000000 + 200);
    st = jv_object_get(j.body, jv_string("status"));
    CHECK_STR(jv_string_value(st), "queued", "a fifth of --job-ms later it is queued");
    jv_free(st);
    j = ev_ft_job(f, jv_string_value(job), 1000000 + 400);
    st = jv_object_get(j.body, jv_string("status"));
    CHECK_STR(jv_string_value(st), "running", "two fifths later it runs");
    jv_free(st);
    j = ev_ft_job(f, jv_string_value(job), 1000000 + 1000);
    jv name = jv_object_get(j.body, jv_string("fine_tuned_model"));
    jv want = jv_string_fmt("ft:small:ev-mock:s:%s", jv_string_value(job));
    CHECK_STR(jv_string_value(name), jv_string_value(want), "after --job-ms it has a model");

    ev_mock_as as;
    CHECK(ev_ft_resolve(f, jv_string_value(name), 1000000 + 500, &as) == EV_FT_UNKNOWN,
          "before the job ends its model is unknown");
    CHECK(ev_ft_resolve(f, jv_string_value(name), 1000000 + 1000, &as) == EV_FT_TUNED,
          "then it is the learner's");
    CHECK_STR(as.draw, "small", "a tuned model draws as its base");
    CHECK_NEAR(as.accuracy(as.ctx, "math"),
               ev_learner_accuracy(&c.params, jv_string_value(job), "math", 8), 1e-12,
               "8 examples matched the case of tag math");
    CHECK_NEAR(as.accuracy(as.ctx, "t"),
               ev_learner_accuracy(&c.params, jv_string_value(job), "t", 4), 1e-12,
               "4 examples carried their own tag");
    CHECK(ev_ft_resolve(f, "small", 0, &as) == EV_FT_BASE && as.accuracy(as.ctx, "math") == 0.25,
          "the base model answers at the floor");
    CHECK(ev_ft_resolve(f, "gpt-4o", 0, &as) == EV_FT_PLAIN, "other models are plain");
    jv_free(name);
    jv_free(want);
    jv_free(job);
    jv_free(body);
    jv_free(id);
    jv_free(text);
    ev_ft_free(f);
    ev_mock_free(m);
}

int
main(void)
{
    test_prompt();
    test_answers();
    test_replay();
    test_wire();
    test_learner();
    test_finetune();
    UNIT_DONE();
}
