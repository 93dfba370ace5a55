/*
 * Fuzz target: how a provider's answer is read (lib/provider.c:
 * ev_provider_reply_parse), for OpenAI and Anthropic, success and error bodies
 * alike, and the redaction of a key from what is read (lib/secret.c). The first byte
 * picks the provider (bit 0) and the HTTP status (the rest); the other
 * bytes are the body.
 */
#include <stdbool.h>

#include "secret.h"
#include "provider.h"

#include "fuzz.h"

static const long statuses[] = {200, 201, 204, 400, 401, 402, 403, 404, 408, 409,
                                413, 422, 429, 500, 502, 503, 529, 302, 100, 599};

#define SECRET "sk-fuzz0123456789abcdef"

/* check_redacted checks that 'text' (borrowed) loses every trace of SECRET. */
static void
check_redacted(jv text)
{
    jv r = ev_secret_redact(jv_copy(text), SECRET);
    FUZZ_ASSERT(jv_get_kind(r) == JV_KIND_STRING);
    const char *s = jv_string_value(r);
    FUZZ_ASSERT(strstr(s, "sk-fuzz0") == NULL);
    jv_free(r);
}

static bool
null_or(jv v, jv_kind k)
{
    return jv_get_kind(v) == JV_KIND_NULL || jv_get_kind(v) == k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    ev_provider p = data[0] & 1 ? EV_PROVIDER_ANTHROPIC : EV_PROVIDER_OPENAI;
    long status = statuses[(data[0] >> 1) % (sizeof(statuses) / sizeof(statuses[0]))];
    char *body = fuzz_cstring(data + 1, size - 1);
    bool ok = status >= 200 && status < 300;

    ev_provider_reply r;
    ev_provider_reply_init(&r);
    ev_provider_reply_parse(p, status, body, size - 1, &r);
    if (r.outcome == EV_PROVIDER_ANSWERED) {
        FUZZ_ASSERT(ok);
        FUZZ_ASSERT(jv_get_kind(r.output) == JV_KIND_STRING);
        FUZZ_ASSERT(null_or(r.finish_reason, JV_KIND_STRING));
        FUZZ_ASSERT(null_or(r.input_tokens, JV_KIND_NUMBER));
        FUZZ_ASSERT(null_or(r.output_tokens, JV_KIND_NUMBER));
        FUZZ_ASSERT(null_or(r.cached_tokens, JV_KIND_NUMBER));
        check_redacted(r.output);
    } else {
        FUZZ_ASSERT(r.kind != NULL);
        FUZZ_ASSERT(strcmp(r.kind, "http") == 0 || (ok && strcmp(r.kind, "parse") == 0));
        FUZZ_ASSERT(jv_get_kind(r.message) == JV_KIND_STRING);
        FUZZ_ASSERT(jv_string_length_bytes(jv_copy(r.message)) <= 303);
        FUZZ_ASSERT(r.outcome != EV_PROVIDER_STOP_AUTH || status == 401 || status == 403);
        FUZZ_ASSERT(r.outcome != EV_PROVIDER_STOP_MISSING || status == 404);
        check_redacted(r.message);
    }
    ev_provider_reply_free(&r);
    free(body);
    return 0;
}
