/*
 * Fuzz target: the parsers of rate-limit headers (lib/ratelimit.c), as
 * lib/http.c calls them. The first byte picks one:
 *   0  ev_ratelimit_go_duration: OpenAI's x-ratelimit-reset-* ("6m0s", "12ms");
 *   1  ev_ratelimit_rfc3339: Anthropic's anthropic-ratelimit-*-reset;
 *   2  ev_ratelimit_retry_after: retry-after-ms, a newline, then retry-after, in
 *      seconds or as an HTTP-date read by curl_getdate;
 *   3  a round trip: the other bytes, as a number of milliseconds, written
 *      by ev-mock as a Go duration (evm_wire_duration) and read back.
 * Otherwise the other bytes are the header's value. What each returns must
 * be a wait the engine can use: a finite number of seconds.
 */
#include <math.h>
#include <stdbool.h>

#include <curl/curl.h>

#include "ratelimit.h"

#include "mock/wire.h"

#include "fuzz.h"

static time_t
http_date(const char *s)
{
    return curl_getdate(s, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *s = fuzz_cstring(data + 1, size - 1);
    double v;
    switch (data[0] % 4) {
    case 0:
        if (ev_ratelimit_go_duration(s, &v))
            FUZZ_ASSERT(isfinite(v) && v >= 0);
        break;
    case 1:
        if (ev_ratelimit_rfc3339(s, &v))
            FUZZ_ASSERT(isfinite(v));
        break;
    case 2: {
        char *nl = strchr(s, '\n');
        const char *secs = NULL;
        if (nl != NULL) {
            *nl = '\0';
            secs = nl + 1;
        }
        v = ev_ratelimit_retry_after(s, secs, 1.7e9, http_date);
        FUZZ_ASSERT(v == -1 || isfinite(v));
        v = ev_ratelimit_retry_after(NULL, secs, 1.7e9, http_date);
        FUZZ_ASSERT(v == -1 || isfinite(v));
        break;
    }
    default: {
        /* Up to a year, the longest wait a server may name sensibly. */
        uint64_t n = 0;
        for (size_t i = 1; i < size && i <= 8; i++)
            n = n << 8 | data[i];
        long ms = (long)(n % 31536000000u);
        char buf[64];
        evm_wire_duration(buf, sizeof(buf), ms);
        FUZZ_ASSERT(ev_ratelimit_go_duration(buf, &v));
        FUZZ_ASSERT(fabs(v - (double)ms / 1000) <= 1e-9 * fmax(1, v));
        break;
    }
    }
    free(s);
    return 0;
}
