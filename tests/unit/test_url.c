/* Unit tests of lib/url: normalised base URLs, hosts, and which of them are this
 * machine. */
#include <stdlib.h>

#include "unit.h"
#include "url.h"

static void
test_urls(void)
{
    CHECK_JV(ev_url_normalize("HTTPS://API.OpenAI.com/v1/"), "\"https://api.openai.com/v1\"",
             "scheme and host lowercased, trailing slash gone");
    CHECK_JV(ev_url_normalize("http://127.0.0.1:8080/V1//"), "\"http://127.0.0.1:8080/V1\"",
             "the path keeps its case");
    jv bad = ev_url_normalize("ftp://x/");
    CHECK(!jv_is_valid(bad), "only http and https");
    jv_free(bad);
    bad = ev_url_normalize("https://x/v1?key=1");
    CHECK(!jv_is_valid(bad), "no query string in a base URL");
    jv_free(bad);
    CHECK(ev_url_is_loopback("http://localhost:11434/v1"), "localhost is loopback");
    CHECK(ev_url_is_loopback("http://127.0.0.1:8000/v1"), "127.0.0.1 is loopback");
    CHECK(ev_url_is_loopback("http://127.9.8.7/v1"), "127/8 is loopback");
    CHECK(ev_url_is_loopback("http://[::1]:8080/v1"), "::1 is loopback");
    CHECK(!ev_url_is_loopback("http://127.0.0.1.evil.com/v1"), "a lookalike is not loopback");
    CHECK(!ev_url_is_loopback("http://localhost@evil.com/v1"), "user info does not count");
    CHECK(!ev_url_is_loopback("http://10.0.0.5:8000/v1"), "a LAN address is not loopback");
    CHECK(ev_url_is_https("HTTPS://x"), "https is recognised in any case");
}

int
main(void)
{
    test_urls();
    UNIT_DONE();
}
