/*
 * cache.h: the answer cache, so that no answer is paid for twice.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * An entry is one small JSON file, DIR/ab/abcdef....json, named by the
 * SHA-256 (hex) of what was asked:
 *
 *     "ev-call cache 1\n" PROVIDER "\n" BASE "\n" SAMPLE "\n" BODY
 *
 * where PROVIDER is openai, anthropic or cmd; BASE the normalised base URL
 * (ev_url_normalize; empty for cmd); SAMPLE the decimal sample number
 * (--repeat; 0 otherwise); and BODY the request body exactly as sent. The
 * API key is not part of it and never stored. Entries are written to a
 * temporary file in the same directory and renamed into place, so a reader
 * (or a run killed at any moment) never sees half of one. An entry that
 * cannot be read or parsed counts as missing, and the next answer replaces
 * it. The directory is made with mode 0700 and entries with mode 0600.
 */
#ifndef EV_CACHE_H
#define EV_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#define EV_CACHE_KEY_LEN 64

typedef struct ev_cache ev_cache;

/* ev_cache_default_dir returns $EV_CACHE_DIR, else $XDG_CACHE_HOME/ev,
 * else $HOME/.cache/ev; invalid with a message when none can be named. */
jv ev_cache_default_dir(void);

/* ev_cache_open makes the directory 'dir' (and its parents) when missing
 * and returns the cache; NULL with '*err' set when it cannot. */
ev_cache *ev_cache_open(const char *dir, jv *err);

/* ev_cache_key writes the hex key of a request, as described above, and a
 * NUL into 'out'. */
void ev_cache_key(const char *provider, const char *base, int sample, const char *body, size_t len,
                  char out[EV_CACHE_KEY_LEN + 1]);

/* ev_cache_get returns the entry for 'key' (an object with a string
 * 'output'), or invalid when there is none or it is unreadable. */
jv ev_cache_get(ev_cache *c, const char *key);

/* ev_cache_has says whether a readable entry exists for 'key'. */
bool ev_cache_has(ev_cache *c, const char *key);

/* ev_cache_put stores 'entry' (an object, consumed) under 'key', replacing
 * any entry there. Returns false with '*err' set when it cannot. */
bool ev_cache_put(ev_cache *c, const char *key, jv entry, jv *err);

/* A batch run (ev-call --batch) keeps its state next to the entries, in
 * DIR/batches/NAME.json, where NAME is a key (64 hex digits): what it has
 * submitted and the provider's ids, so that a run killed while its batch is
 * processed finds the batch again rather than paying for it twice. The
 * state is written as entries are, to a temporary file renamed into place,
 * and reaches the disk (fsync) before ev_cache_state_put returns.
 * ev_cache_state_get returns the state (an object); invalid when there is
 * none; or invalid with a message when one exists but cannot be read, which
 * a caller must not take for none; ev_cache_state_put stores 'state'
 * (consumed), returning false with '*err' set when it cannot;
 * ev_cache_state_remove deletes it. */
jv ev_cache_state_get(ev_cache *c, const char *name);
bool ev_cache_state_put(ev_cache *c, const char *name, jv state, jv *err);
void ev_cache_state_remove(ev_cache *c, const char *name);

/* ev_cache_dir is the directory of the cache (borrowed). */
const char *ev_cache_dir(const ev_cache *c);

void ev_cache_close(ev_cache *c);

#endif
