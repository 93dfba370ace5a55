/*
 * Fuzz target: how ev-mock reads the body of a request. The first byte
 * picks one:
 *   0, 1  a model request, OpenAI's or Anthropic's (mock/wire.c:
 *         evm_wire_parse), then the answer to it or its 400, which ev-call
 *         must read back as ev-mock meant them (lib/provider.c);
 *   2     a fine-tuning job request (mock/jobs.c: evm_jobs_create), made
 *         after uploading a valid training file; "file-fuzz" in the body
 *         stands for that file's id;
 *   3     an uploaded training file, which a fixed job request then checks
 *         example by example.
 * Every answer must be an object with an HTTP status that fits it.
 */
#include <stdbool.h>

#include "provider.h"
#include "example.h"

#include "mock/jobs.h"
#include "mock/model.h"
#include "mock/wire.h"

#include "fuzz.h"

/* A training file with just enough valid examples, two of them tagged. */
static const char training[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q0\"},{\"role\":\"assistant\",\"content\":"
    "\"a0\"}],\"tags\":[\"geo\"]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Capital of France?\"},{\"role\":"
    "\"assistant\",\"content\":\"Paris\"}]}\n"
    "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\","
    "\"content\":\"q2\"},{\"role\":\"assistant\",\"content\":\"a2\"}],\"tags\":\"math\"}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q3\"},{\"role\":\"assistant\",\"content\":"
    "\"a3\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q4\"},{\"role\":\"assistant\",\"content\":"
    "\"a4\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q5\"},{\"role\":\"assistant\",\"content\":"
    "\"a5\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q6\"},{\"role\":\"assistant\",\"content\":"
    "\"a6\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q7\"},{\"role\":\"assistant\",\"content\":"
    "\"a7\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q8\"},{\"role\":\"assistant\",\"content\":"
    "\"a8\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q9\"},{\"role\":\"assistant\",\"content\":"
    "\"a9\"}]}\n";

static const char job_request[] =
    "{\"model\":\"gpt-4o-mini\",\"training_file\":\"file-fuzz\",\"suffix\":\"fz\","
    "\"hyperparameters\":{\"n_epochs\":2}}";

/* read_back returns what ev-call reads in 'body' (consumed), an answer of
 * ev-mock's with HTTP status 'status'. Free it with ev_provider_reply_free. */
static ev_provider_reply
read_back(enum evm_wire w, unsigned status, jv body)
{
    jv text = jv_dump_string(body, 0);
    ev_provider_reply r;
    ev_provider_reply_init(&r);
    ev_provider_reply_parse(w == EVM_WIRE_OPENAI ? EV_PROVIDER_OPENAI : EV_PROVIDER_ANTHROPIC,
                            status, jv_string_value(text),
                            (size_t)jv_string_length_bytes(jv_copy(text)), &r);
    jv_free(text);
    return r;
}

/* check_wire reads a model request and checks that ev-call reads ev-mock's
 * answer to it, or its 400, as ev-mock meant. */
static void
check_wire(enum evm_wire w, const char *body, size_t len)
{
    evm_wire_request req;
    const char *bad = evm_wire_parse(w, body, len, &req);
    if (bad != NULL) {
        FUZZ_ASSERT(bad[0] != '\0');
        ev_provider_reply r = read_back(w, evm_wire_status(w, EVM_WIRE_BAD_REQUEST),
                                        evm_wire_error(w, EVM_WIRE_BAD_REQUEST, bad, "req_fuzz"));
        FUZZ_ASSERT(r.outcome == EV_PROVIDER_FAILED);
        FUZZ_ASSERT(strcmp(jv_string_value(r.message), bad) == 0);
        ev_provider_reply_free(&r);
        return;
    }
    FUZZ_ASSERT(jv_get_kind(req.model) == JV_KIND_STRING);
    FUZZ_ASSERT(jv_string_length_bytes(jv_copy(req.model)) > 0);
    FUZZ_ASSERT(jv_get_kind(req.full) == JV_KIND_STRING);
    FUZZ_ASSERT(jv_get_kind(req.last) == JV_KIND_STRING);
    FUZZ_ASSERT(req.max_tokens >= -1);
    /* The answer is the prompt, cut to the token limit when over it. */
    const char *text = jv_string_value(req.full);
    for (int usage = 0; usage < 2; usage++) {
        ev_provider_reply r =
            read_back(w, 200,
                      evm_wire_answer(w, &req, w == EVM_WIRE_OPENAI ? "chatcmpl-fuzz" : "msg_fuzz",
                                      text, usage));
        FUZZ_ASSERT(r.outcome == EV_PROVIDER_ANSWERED);
        const char *out = jv_string_value(r.output);
        size_t n = strlen(out);
        FUZZ_ASSERT(strncmp(out, text, n) == 0);
        bool cut = strcmp(jv_string_value(r.finish_reason), "stop") != 0 &&
                   strcmp(jv_string_value(r.finish_reason), "end_turn") != 0;
        FUZZ_ASSERT(cut == (text[n] != '\0'));
        FUZZ_ASSERT(!cut || (long)n <= req.max_tokens * 4);
        FUZZ_ASSERT(jv_get_kind(r.output_tokens) == (usage ? JV_KIND_NUMBER : JV_KIND_NULL));
        ev_provider_reply_free(&r);
    }
    evm_wire_request_free(&req);
}

/* upload stores 'len' bytes at 'data' as a training file and returns its
 * id, which the caller frees. */
static char *
upload(evm_jobs *f, const char *data, size_t len)
{
    evm_wire_reply r = evm_jobs_upload(f, "train.jsonl", "fine-tune", data, len, 0);
    FUZZ_ASSERT(r.status == 200 && jv_get_kind(r.body) == JV_KIND_OBJECT);
    jv id = jv_object_get(r.body, jv_string("id"));
    FUZZ_ASSERT(jv_get_kind(id) == JV_KIND_STRING);
    char *s = strdup(jv_string_value(id));
    FUZZ_ASSERT(s != NULL);
    jv_free(id);
    return s;
}

/* with_file returns 'body' with each "file-fuzz" replaced by 'id'. */
static jv
with_file(const char *body, size_t len, const char *id)
{
    static const char mark[] = "file-fuzz";
    jv out = jv_string("");
    const char *p = body, *end = body + len, *hit;
    while ((hit = memmem(p, (size_t)(end - p), mark, sizeof(mark) - 1)) != NULL) {
        out = jv_string_append_buf(out, p, (int)(hit - p));
        out = jv_string_append_str(out, id);
        p = hit + sizeof(mark) - 1;
    }
    return jv_string_append_buf(out, p, (int)(end - p));
}

/* check_job creates a job from 'body' with the training file 'file' and
 * follows it to its end. */
static void
check_job(const char *body, size_t len, const char *file, size_t file_len)
{
    evm_model *m = evm_model_new(7);
    jv err;
    jv c = jv_parse("{\"id\":\"c1\",\"input\":\"Capital of France?\",\"expected\":\"Paris\","
                    "\"tags\":[\"geo\"]}");
    FUZZ_ASSERT(evm_model_add_case(m, c, &err));
    jv_free(c);
    evm_model_freeze(m);
    evm_jobs_config cf = {.seed = 7,
                          .job_ms = 100,
                          .model = m,
                          .learner = "gpt-4o-mini",
                          .params = evm_learner_defaults(),
                          .max_tokens = EV_EXAMPLE_MAX_TOKENS};
    evm_jobs *f = evm_jobs_new(&cf);
    char *id = upload(f, file, file_len);
    jv req = with_file(body, len, id);
    /* jv strings may hold a NUL; the server reads a body by its length. */
    evm_wire_reply r = evm_jobs_create(f, jv_string_value(req),
                                       (size_t)jv_string_length_bytes(jv_copy(req)), 1000);
    FUZZ_ASSERT(jv_get_kind(r.body) == JV_KIND_OBJECT);
    FUZZ_ASSERT(r.status == 200 || r.status == 400);
    if (r.status == 200) {
        jv job = jv_object_get(jv_copy(r.body), jv_string("id"));
        FUZZ_ASSERT(jv_get_kind(job) == JV_KIND_STRING);
        evm_wire_reply done = evm_jobs_job(f, jv_string_value(job), 10000);
        FUZZ_ASSERT(done.status == 200);
        jv model = jv_object_get(done.body, jv_string("fine_tuned_model"));
        FUZZ_ASSERT(jv_get_kind(model) == JV_KIND_STRING);
        evm_model_as as;
        FUZZ_ASSERT(evm_jobs_resolve(f, jv_string_value(model), 10000, &as) != EVM_JOBS_UNKNOWN);
        evm_wire_reply ev = evm_jobs_events(f, jv_string_value(job), 100, NULL, 10000);
        FUZZ_ASSERT(ev.status == 200);
        jv_free(ev.body);
        jv_free(model);
        jv_free(job);
    }
    jv_free(r.body);
    jv_free(req);
    free(id);
    evm_jobs_free(f);
    evm_model_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *body = fuzz_cstring(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        check_wire(EVM_WIRE_OPENAI, body, size - 1);
        break;
    case 1:
        check_wire(EVM_WIRE_ANTHROPIC, body, size - 1);
        break;
    case 2:
        check_job(body, size - 1, training, sizeof(training) - 1);
        break;
    default:
        check_job(job_request, sizeof(job_request) - 1, body, size - 1);
        break;
    }
    free(body);
    return 0;
}
