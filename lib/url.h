/*
 * url.h: the few facts about a base URL that decide where a key may go and
 * which cache entries an answer belongs to.
 *
 * Ownership: json.h.
 */
#ifndef EV_URL_H
#define EV_URL_H

#include <stdbool.h>

#include <jv.h>

/* ev_url_normalize returns 'url' with its scheme and host in lowercase and
 * no trailing slash, the form the answer cache keys on. It is invalid with
 * a message unless 'url' is an absolute http:// or https:// URL with a
 * host, and no query or fragment. */
jv ev_url_normalize(const char *url);

/* ev_url_host returns the host of 'url' in lowercase, without brackets
 * around an IPv6 address and without the port, or invalid. */
jv ev_url_host(const char *url);

/* ev_url_is_https says whether the scheme is https (case-insensitive). */
bool ev_url_is_https(const char *url);

/* ev_url_is_loopback says whether the host of 'url' is this machine:
 * localhost (and names under .localhost), 127.0.0.0/8 or ::1. */
bool ev_url_is_loopback(const char *url);

/* ev_url_escape returns 's' percent-encoded for a URL's path or query:
 * every byte but letters, digits, '-', '.', '_', '~' and, when
 * 'keep_slash', '/' (for a resource name such as "accounts/a/jobs/j"). */
jv ev_url_escape(const char *s, bool keep_slash);

#endif
