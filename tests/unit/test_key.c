/* Unit tests of lib/key: the one redactor, and the rules of where a key may
 * go (lib/key.h). */
#include <stdlib.h>

#include "key.h"
#include "unit.h"

#define KEY "sk-canary-5e1f0a77"

static void
check_redacted(const char *in, const char *key, const char *want, const char *name)
{
    jv out = ev_key_redact(jv_string(in), key);
    CHECK_STR(jv_string_value(out), want, name);
    jv_free(out);
}

static void
test_redact(void)
{
    check_redacted("key " KEY " was bad", KEY, "key [redacted] was bad", "the key is redacted");
    check_redacted("Incorrect API key provided: sk-canar*****0a77.", KEY,
                   "Incorrect API key provided: [redacted]",
                   "a partly masked echo of the key is redacted to the end of its word");
    check_redacted("< set-cookie: session=" KEY "; Path=/", KEY,
                   "< set-cookie: session=[redacted]; Path=/", "in a cookie");
    check_redacted("< location: http://127.0.0.1:9/v1?key=" KEY, KEY,
                   "< location: http://127.0.0.1:9/v1?key=[redacted]", "in a URL, at the end");
    check_redacted(KEY KEY "," KEY, KEY, "[redacted][redacted],[redacted]",
                   "copies side by side, each one");
    check_redacted("x-echo: sk-canary-5e1f0a7", KEY, "x-echo: [redacted]",
                   "the key less its last character");
    check_redacted("sk-cana and sk-other", KEY, "sk-cana and sk-other",
                   "a word shorter than the key's first 8 characters stays");
    check_redacted("tiny abc tinyabc", "abc", "tiny [redacted] tiny[redacted]",
                   "a short key is cut where it is, and only it");
    check_redacted("nothing here", NULL, "nothing here", "no key, no change");
    check_redacted("nothing here", "", "nothing here", "an empty key, no change");
    jv n = ev_key_redact(jv_number(3), KEY);
    CHECK(jv_get_kind(n) == JV_KIND_NUMBER, "a value that is not a string is returned as it is");
    jv_free(n);
    /* a string with a NUL inside: what follows it is still searched */
    jv s = ev_key_redact(jv_string_sized("a\0" KEY, 2 + (int)strlen(KEY)), KEY);
    CHECK(jv_string_length_bytes(jv_copy(s)) == 2 + (int)strlen("[redacted]"),
          "a key after a NUL byte is redacted");
    jv_free(s);
}

static void
test_rules(void)
{
    CHECK(ev_key_may_send("https://api.openai.com/v1", false), "https: the key may go");
    CHECK(ev_key_may_send("http://127.0.0.1:8080/v1", false), "plain http to this machine");
    CHECK(ev_key_may_send("http://localhost/v1", false), "plain http to localhost");
    CHECK(!ev_key_may_send("http://gpu-box.internal/v1", false), "plain http to another host: no");
    CHECK(ev_key_may_send("http://gpu-box.internal/v1", true),
          "plain http to another host when the user insists");

    CHECK(ev_key_may_proxy("https://api.openai.com/v1"), "https to another host: a tunnel");
    CHECK(!ev_key_may_proxy("http://127.0.0.1:8080/v1"), "plain http to this machine: no proxy");
    CHECK(!ev_key_may_proxy("https://127.0.0.1:8443/v1"), "https to this machine: no proxy");
    CHECK(!ev_key_may_proxy("https://localhost./v1"), "localhost. is this machine: no proxy");
    CHECK(!ev_key_may_proxy("http://[::1]:80/v1"), "::1 is this machine: no proxy");
    CHECK(!ev_key_may_proxy("http://gpu-box.internal/v1"),
          "plain http to another host: no proxy, which would read the key");
}

int
main(void)
{
    test_redact();
    test_rules();
    UNIT_DONE();
}
