/*
 * key.h: API keys, the one secret ev holds: where a key comes from, where
 * it may go, and how it is cut out of everything ev shows.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
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
#ifndef EV_KEY_H
#define EV_KEY_H

#include <stdbool.h>

#include <jv.h>

/* ev_key_read returns the key (free it with ev_key_free): from 'file' when
 * it is not NULL, else from the environment variable 'env', else from
 * 'default_env'. It returns NULL when no key is set and the caller named no
 * source. A named source that cannot be read, is empty or unset, or a key
 * holding a control character, is a usage error that ends the program with
 * exit status 2. '*source' (may be NULL) is set to the file or variable the
 * key came from, or would have: one of the arguments. */
char *ev_key_read(const char *file, const char *env, const char *default_env, const char **source);

/* ev_key_free wipes 'key' and frees it. NULL is allowed. */
void ev_key_free(char *key);

/* ev_key_redact returns 'text' (a string, consumed; any other kind is
 * returned as it is) with every copy of 'key' replaced by "[redacted]", and
 * every word that starts with the key's first 8 characters too, since
 * servers echo keys partly masked ("sk-abcde***...wxyz"). A NULL or empty
 * 'key' changes nothing. Every message, log line and header ev shows that
 * could quote a server goes through it. */
jv ev_key_redact(jv text, const char *key);

/* ev_key_may_send says whether a key may go to the base URL 'url': over
 * https, to this machine (ev_url_is_loopback), or over plain http to
 * another host when 'insecure_ok' (the user's --allow-insecure-http). */
bool ev_key_may_send(const char *url, bool insecure_ok);

/* ev_key_may_proxy says whether a request to 'url' may go through a proxy
 * that the environment names (http_proxy, https_proxy, ALL_PROXY...): only
 * over https to another host, and then only through a tunnel. Every HTTP
 * client in ev asks before each request, and turns the proxy off when the
 * answer is no. */
bool ev_key_may_proxy(const char *url);

#endif
