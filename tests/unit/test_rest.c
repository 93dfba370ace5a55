/* Unit tests of lib/rest, the providers' REST client, in what it decides
 * without a server: which base URLs and keys it takes, the URLs it builds,
 * what it quotes of an error body, and which failures are worth another
 * try. */
#include <stdlib.h>

#include "rest.h"
#include "unit.h"

static void
check_message(const char *body, const char *want, const char *name)
{
    jv m = ev_rest_error_message(body, strlen(body));
    CHECK_STR(jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : NULL, want, name);
    jv_free(m);
}

static void
test_new(void)
{
    jv err = jv_invalid();
    ev_rest *a = ev_rest_new("https://API.example.com/v1/", "sk-x", NULL, &err);
    CHECK(a != NULL, "an https base URL with a key");
    jv u = ev_rest_url(a, "/files");
    CHECK_STR(jv_string_value(u), "https://api.example.com/v1/files",
              "a path is put after the normalised base");
    jv_free(u);
    ev_rest_free(a);

    a = ev_rest_new("http://gpu-box:8000/v1", NULL, NULL, &err);
    CHECK(a != NULL, "plain http to another host without a key");
    ev_rest_free(a);

    a = ev_rest_new("http://gpu-box:8000/v1", "sk-x", NULL, &err);
    CHECK(a == NULL, "no key over plain http to another host");
    jv m = jv_invalid_get_msg(err);
    CHECK_STR(jv_string_value(m),
              "refusing to send the API key over plain http to 'gpu-box': use https, or a "
              "loopback address for a local server",
              "the refusal names the host and what to do");
    jv_free(m);

    a = ev_rest_new("ftp://example.com", NULL, NULL, &err);
    CHECK(a == NULL, "a base URL that is not http or https is refused");
    m = jv_invalid_get_msg(err);
    CHECK_STR(jv_string_value(m),
              "bad base URL 'ftp://example.com': not an http:// or https:// URL",
              "the error quotes the URL");
    jv_free(m);
}

static void
test_error_message(void)
{
    check_message("{\"error\":{\"message\":\"Incorrect API key\",\"type\":\"x\"}}",
                  "Incorrect API key", "OpenAI's and Anthropic's error.message");
    check_message("{\"error\":\"no such model\"}", "no such model", "an error that is a string");
    check_message("{\"message\":\"flat\",\"code\":404}", "flat", "a flat message");
    check_message("{\"error\":{\"code\":5},\"message\":\"beside\"}", "beside",
                  "a flat message beside an error without one");
    check_message("<html>Bad Gateway</html>", "<html>Bad Gateway</html>",
                  "a body that is not JSON is quoted");
    check_message("", "(empty body)", "an empty body says so");
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    jv m = ev_rest_error_message(big, strlen(big));
    CHECK(jv_string_length_bytes(jv_copy(m)) <= 303, "a long body is cut to an excerpt");
    jv_free(m);
}

static void
test_transient(void)
{
    static const struct {
        enum ev_rest_fail fail;
        long status;
        bool again;
        const char *name;
    } cases[] = {
        {EV_REST_NETWORK, 0, true, "a broken connection passes"},
        {EV_REST_TIMEOUT, 0, true, "a timeout passes"},
        {EV_REST_HTTP, 408, true, "408 passes"},
        {EV_REST_HTTP, 409, true, "409 passes"},
        {EV_REST_HTTP, 429, true, "429 passes"},
        {EV_REST_HTTP, 500, true, "500 passes"},
        {EV_REST_HTTP, 503, true, "503 passes"},
        {EV_REST_HTTP, 400, false, "400 does not"},
        {EV_REST_HTTP, 401, false, "401 does not"},
        {EV_REST_HTTP, 404, false, "404 does not"},
        {EV_REST_BAD_ANSWER, 200, false, "an answer that is not JSON does not"},
        {EV_REST_UNTRUSTED, 0, false, "an untrusted certificate does not"},
        {EV_REST_INTERRUPTED, 0, false, "an interrupt does not"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ev_rest_result r = {cases[i].fail, cases[i].status};
        CHECK(ev_rest_transient(&r) == cases[i].again, cases[i].name);
    }
}

int
main(void)
{
    test_new();
    test_error_message();
    test_transient();
    UNIT_DONE();
}
