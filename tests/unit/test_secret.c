/* Unit tests of lib/secret: the one redactor, and the rules of where a key may
 * go (lib/secret.h). */
#include <stdlib.h>

#include "secret.h"
#include "unit.h"

#define KEY "sk-canary-5e1f0a77"

static void
check_redacted(const char *in, const char *key, const char *want, const char *name)
{
    jv out = ev_secret_redact(jv_string(in), key);
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
    jv n = ev_secret_redact(jv_number(3), KEY);
    CHECK(jv_get_kind(n) == JV_KIND_NUMBER, "a value that is not a string is returned as it is");
    jv_free(n);
    /* a string with a NUL inside: what follows it is still searched */
    jv s = ev_secret_redact(jv_string_sized("a\0" KEY, 2 + (int)strlen(KEY)), KEY);
    CHECK(jv_string_length_bytes(jv_copy(s)) == 2 + (int)strlen("[redacted]"),
          "a key after a NUL byte is redacted");
    jv_free(s);
}

static void
test_rules(void)
{
    CHECK(ev_secret_may_send("https://api.openai.com/v1", false), "https: the key may go");
    CHECK(ev_secret_may_send("http://127.0.0.1:8080/v1", false), "plain http to this machine");
    CHECK(ev_secret_may_send("http://localhost/v1", false), "plain http to localhost");
    CHECK(!ev_secret_may_send("http://gpu-box.internal/v1", false),
          "plain http to another host: no");
    CHECK(ev_secret_may_send("http://gpu-box.internal/v1", true),
          "plain http to another host when the user insists");

    CHECK(ev_secret_may_proxy("https://api.openai.com/v1"), "https to another host: a tunnel");
    CHECK(!ev_secret_may_proxy("http://127.0.0.1:8080/v1"), "plain http to this machine: no proxy");
    CHECK(!ev_secret_may_proxy("https://127.0.0.1:8443/v1"), "https to this machine: no proxy");
    CHECK(!ev_secret_may_proxy("https://localhost./v1"), "localhost. is this machine: no proxy");
    CHECK(!ev_secret_may_proxy("http://[::1]:80/v1"), "::1 is this machine: no proxy");
    CHECK(!ev_secret_may_proxy("http://gpu-box.internal/v1"),
          "plain http to another host: no proxy, which would read the key");
}

/* check_error says whether 'err' (consumed) carries the message 'want'. */
static void
check_error(jv err, const char *want, const char *name)
{
    jv m = jv_invalid_get_msg(err);
    CHECK_STR(jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : NULL, want, name);
    jv_free(m);
}

static void
test_read(void)
{
    char *key = (char *)"untouched";
    const char *source = NULL;
    jv err;
    unsetenv("EV_UNIT_NO_KEY");
    CHECK(ev_secret_read(NULL, NULL, "EV_UNIT_NO_KEY", &key, &source, &err) && key == NULL,
          "no key set and no source named: no key, and no error");
    CHECK_STR(source, "EV_UNIT_NO_KEY", "the source is the default variable");
    CHECK(!ev_secret_read(NULL, "EV_UNIT_NO_KEY", "OPENAI_API_KEY", &key, &source, &err),
          "a named variable that is unset is an error");
    check_error(err, "--api-key-env: environment variable 'EV_UNIT_NO_KEY' is not set",
                "the error names the option and the variable");
    setenv("EV_UNIT_KEY", KEY, 1);
    CHECK(ev_secret_read(NULL, "EV_UNIT_KEY", "OPENAI_API_KEY", &key, &source, &err) &&
              key != NULL && strcmp(key, KEY) == 0,
          "the key of a named variable");
    CHECK_STR(source, "EV_UNIT_KEY", "its source is the variable named");
    ev_secret_free(key);
    setenv("EV_UNIT_KEY", "sk-with\nnewline", 1);
    CHECK(!ev_secret_read(NULL, NULL, "EV_UNIT_KEY", &key, NULL, &err),
          "a key with a control character is refused");
    check_error(err, "the API key from 'EV_UNIT_KEY' contains a control character",
                "the error names where the key came from");
    unsetenv("EV_UNIT_KEY");

    char path[64];
    unit_file(path, "key", "  " KEY " \t\r\nsecond line\n");
    CHECK(ev_secret_read(path, "EV_UNIT_NO_KEY", NULL, &key, &source, &err) && key != NULL &&
              strcmp(key, "  " KEY) == 0,
          "a file's first line, without its line end and trailing blanks, before any variable");
    CHECK_STR(source, path, "its source is the file");
    ev_secret_free(key);
    unit_file_remove(path);
    unit_file(path, "empty", " \n");
    CHECK(!ev_secret_read(path, NULL, NULL, &key, NULL, &err), "a blank first line is refused");
    jv want = jv_string_fmt("--api-key-file: '%s' is empty", path);
    check_error(err, jv_string_value(want), "the error says the file is empty");
    jv_free(want);
    unit_file_remove(path);
    CHECK(!ev_secret_read("/nonexistent/key", NULL, NULL, &key, NULL, &err),
          "a file that cannot be opened is refused");
    check_error(err, "--api-key-file: cannot open '/nonexistent/key': No such file or directory",
                "the error names the file and why");
}

static void
test_check_and_base(void)
{
    jv err;
    CHECK(ev_secret_check("http://gpu-box:8000/v1", NULL, false, "--x", &err),
          "no key may go anywhere");
    CHECK(ev_secret_check("https://gpu-box:8000/v1", KEY, false, "--x", &err),
          "a key goes over https");
    CHECK(!ev_secret_check("http://GPU-box:8000/v1", KEY, false, "--allow-insecure-http", &err),
          "a key never goes over plain http to another host");
    check_error(err,
                "refusing to send the API key over plain http to 'gpu-box': use https, or "
                "--allow-insecure-http",
                "the refusal names the host and the remedies");
    CHECK(ev_secret_check("http://gpu-box:8000/v1", KEY, true, "--x", &err),
          "unless the user insists");

    unsetenv("EV_UNIT_BASE");
    jv b = ev_secret_base(NULL, "EV_UNIT_BASE", "https://api.example.com/v1/");
    CHECK_STR(jv_string_value(b), "https://api.example.com/v1", "the fallback, normalised");
    jv_free(b);
    setenv("EV_UNIT_BASE", "HTTP://Box:80/v1", 1);
    b = ev_secret_base(NULL, "EV_UNIT_BASE", "https://api.example.com/v1");
    CHECK_STR(jv_string_value(b), "http://box:80/v1", "the variable before the fallback");
    jv_free(b);
    b = ev_secret_base("http://127.0.0.1:9/v1/", "EV_UNIT_BASE", "https://api.example.com/v1");
    CHECK_STR(jv_string_value(b), "http://127.0.0.1:9/v1", "the option before the variable");
    jv_free(b);
    setenv("EV_UNIT_BASE", "", 1);
    b = ev_secret_base("", "EV_UNIT_BASE", "https://api.example.com/v1");
    CHECK_STR(jv_string_value(b), "https://api.example.com/v1", "empty stands for the fallback");
    jv_free(b);
    unsetenv("EV_UNIT_BASE");
    b = ev_secret_base("ftp://x", NULL, "https://api.example.com/v1");
    CHECK(!jv_is_valid(b), "an URL that is not http or https is refused");
    check_error(b, "bad base URL 'ftp://x': not an http:// or https:// URL",
                "the error quotes the URL and says why");
}

int
main(void)
{
    test_redact();
    test_rules();
    test_read();
    test_check_and_base();
    UNIT_DONE();
}
