/*
 * key.h: API keys, the one secret ev holds.
 *
 * A key comes from the first line of a file (--api-key-file) or from an
 * environment variable (--api-key-env, else the provider's default), never
 * from the command line, where any user of the machine could read it. Once a
 * process holds a key it makes no core dump, so the key cannot end up in a
 * core file; and a key is wiped from memory before it is freed.
 */
#ifndef EV_KEY_H
#define EV_KEY_H

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

#endif
