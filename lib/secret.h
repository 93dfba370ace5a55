/*
 * secret.h: API keys, the one secret ev holds: where a key comes from, where
 * it may go, how it is cut out of everything ev shows, and the base URL of
 * the API it goes to.
 *
 * Ownership: json.h.
 *
 * A key comes from the first line of a file (--api-key-file) or from an
 * environment variable (--api-key-env, else the provider's default), never
 * from the command line, where any user of the machine could read it. Once a
 * process holds a key it makes no core dump, so the key cannot end up in a
 * core file; and a key is wiped from memory before it is freed.
 *
 * A key goes only to the host the user named: over https, or over plain
 * http to this machine (or to another host when the user insists). A plain
 * http request never goes through a proxy, since the proxy would read the
 * key in clear text, and a request to this machine never does either; over
 * https a proxy may only tunnel (CONNECT), so TLS covers the key end to end.
 * A local command (lib/child.h) is never given a key.
 */
#ifndef EV_SECRET_H
#define EV_SECRET_H

#include <stdbool.h>

#include <jv.h>

/* ev_secret_read reads the key: from 'file' when it is not NULL, else from
 * the environment variable 'env', else from 'default_env', and sets
 * '*source' (may be NULL) to the one of the three it came from, or would
 * have. It returns true with '*key' set (free it with ev_secret_free), or
 * NULL when no key is set and the caller named no source. It returns false
 * with '*err' set to an invalid with a message when a named source cannot
 * be read, is empty or unset, or when the key holds a control character:
 * an error of the user's, which names the option to correct. */
bool ev_secret_read(const char *file, const char *env, const char *default_env, char **key,
                    const char **source, jv *err);

/* ev_secret_free wipes 'key' and frees it. NULL is allowed. */
void ev_secret_free(char *key);

/* ev_secret_redact returns 'text' (a string; any other kind is returned as
 * it is) with every copy of 'key' replaced by "[redacted]", and every word
 * that starts with the key's first 8 characters too, since servers echo
 * keys partly masked ("sk-abcde***...wxyz"). A NULL or empty 'key' changes
 * nothing. Every message, log line and header ev shows that could quote a
 * server goes through it. */
jv ev_secret_redact(jv text, const char *key);

/* ev_secret_may_send says whether a key may go to the base URL 'url': over
 * https, to this machine (ev_url_is_loopback), or over plain http to
 * another host when 'insecure_ok' (the user's --allow-insecure-http). */
bool ev_secret_may_send(const char *url, bool insecure_ok);

/* ev_secret_check returns true when 'key' (NULL: none) may go to the base
 * URL 'base' as ev_secret_may_send says. Otherwise it returns false with
 * '*err' set to an invalid whose message reads "refusing to send the API
 * key over plain http to 'HOST': use https, or REMEDY". */
bool ev_secret_check(const char *base, const char *key, bool insecure_ok, const char *remedy,
                     jv *err);

/* ev_secret_may_proxy says whether a request to 'url' may go through a
 * proxy that the environment names (http_proxy, https_proxy, ALL_PROXY...):
 * only over https to another host, and then only through a tunnel. Every
 * HTTP client in ev asks before each request, and turns the proxy off when
 * the answer is no. */
bool ev_secret_may_proxy(const char *url);

/* ev_secret_base returns the base URL of an API, normalised
 * (ev_url_normalize): 'given' (the user's --base-url) when not NULL, else
 * the environment variable 'env' (may be NULL) when it is set; either,
 * when empty, stands for 'fallback'. It is an invalid with the message "bad base URL 'URL': why"
 * when that is not an http or https URL. */
jv ev_secret_base(const char *given, const char *env, const char *fallback);

#endif
