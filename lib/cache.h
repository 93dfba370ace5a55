/*
 * cache.h: the answer cache, so that no answer is paid for twice.
 *
 * Ownership: json.h.
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
 * (or a run killed at any moment) never sees half of one. The directory is
 * made with mode 0700 and entries with mode 0600.
 *
 * An entry is an object with a string 'output' and, each optional or null:
 * the strings 'provider', 'model', 'finish_reason', 'batch' and 'time'; the
 * whole numbers 'version' (1), 'sample' (0 to EV_CACHE_MAX_SAMPLE),
 * 'attempts' (1 to EV_CACHE_MAX_ATTEMPTS) and 'input_tokens',
 * 'output_tokens', 'cached_tokens' (0 to EV_CACHE_MAX_TOKENS); and the
 * number 'latency_ms' (0 to EV_CACHE_MAX_LATENCY_MS). Anything else in its
 * place (a FIFO, a directory, a symbolic link, an empty or truncated file,
 * a field of the wrong type or out of range) is a bad entry: a miss, which
 * the next answer replaces. Reading never blocks: a FIFO or a device is
 * never read.
 *
 * Claims let runs that share the directory cooperate, so that an answer is
 * paid for once even then. Before it pays for an answer a run claims its
 * key: DIR/ab/.KEY.claim, held with flock(2), so that a claim dies with the
 * process that held it, however it ends. A run that finds a key claimed
 * waits for the answer rather than asking for it. Temporary files
 * (DIR/ab/.KEY.XXXXXX) are locked the same way while they are written, and
 * those of a killed run, and its dead claims, are removed by the next run
 * that writes in their directory, or reads an entry there
 * (ev_cache_get); a file some live process holds is never removed. On a file system without
 * flock(2), runs do not cooperate and nothing is removed.
 */
#ifndef EV_CACHE_H
#define EV_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#define EV_CACHE_KEY_LEN 64

#define EV_CACHE_MAX_SAMPLE 9999
#define EV_CACHE_MAX_ATTEMPTS 1000
#define EV_CACHE_MAX_TOKENS 1e12
#define EV_CACHE_MAX_LATENCY_MS 1e9

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

/* ev_cache_get returns the entry for 'key' (an object, as described
 * above). When there is none it returns invalid; when a bad entry is there,
 * invalid with a message naming its file and what is wrong with it. Either
 * way it is a miss. */
jv ev_cache_get(ev_cache *c, const char *key);

/* ev_cache_has says whether a good entry exists for 'key', and changes
 * nothing in the cache (a dry run asks it). */
bool ev_cache_has(ev_cache *c, const char *key);

/* ev_cache_put stores 'entry' (an object, consumed) under 'key', replacing
 * any entry there. Returns false with '*err' set when it cannot: the
 * message names the file and the reason (a full disk, a read-only one). */
bool ev_cache_put(ev_cache *c, const char *key, jv entry, jv *err);

/* What ev_cache_claim found. */
enum ev_cache_claim {
    EV_CACHE_CLAIMED, /* the key is this process's until ev_cache_unclaim */
    EV_CACHE_BUSY,    /* another live process holds it: wait, look again */
    EV_CACHE_FAILED,  /* the cache cannot be written: '*err' says why */
};

/* ev_cache_claim claims 'key' for this process, setting '*fd' to the claim
 * when it returns EV_CACHE_CLAIMED. A claim is held by one open file, so a
 * second claim of the same key in the same process is EV_CACHE_BUSY too.
 * ev_cache_unclaim gives back the claim 'fd' of 'key', once its answer is
 * stored or the call has failed. */
enum ev_cache_claim ev_cache_claim(ev_cache *c, const char *key, int *fd, jv *err);
void ev_cache_unclaim(ev_cache *c, const char *key, int fd);

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
 * ev_cache_state_remove deletes it. ev_cache_state_claim and
 * ev_cache_state_unclaim claim a state as ev_cache_claim claims a key, so
 * that two runs of the same batches never submit them twice. */
jv ev_cache_state_get(ev_cache *c, const char *name);
bool ev_cache_state_put(ev_cache *c, const char *name, jv state, jv *err);
void ev_cache_state_remove(ev_cache *c, const char *name);
enum ev_cache_claim ev_cache_state_claim(ev_cache *c, const char *name, int *fd, jv *err);
void ev_cache_state_unclaim(ev_cache *c, const char *name, int fd);

/* ev_cache_dir is the directory of the cache (borrowed). */
const char *ev_cache_dir(const ev_cache *c);

void ev_cache_close(ev_cache *c);

#endif
