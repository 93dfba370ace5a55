/*
 * call.h: a run of ev-call, as its engines share it: the configuration made
 * from the options (the endpoint, the key, the headers, the system prompt,
 * the template), what a case is sent as (its prompt, request body and cache
 * key), and what is written back (the record with 'output' and 'call', or
 * 'error'). The engines are lib/syncrun.h (a call per case, many at once),
 * lib/batchrun.h (the providers' batch APIs), and ev_call_dry_run below.
 *
 * Ownership: json.h.
 *
 * An engine reports through the hooks its caller gives (ev_call_hooks):
 * warnings and notes as lines (lib/log.h), and progress as figures; it
 * never prints to standard error itself and never exits. Records go to the FILE the caller
 * names.
 */
#ifndef EV_CALL_H
#define EV_CALL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

#include "cache.h"
#include "log.h"
#include "provider.h"
#include "template.h"

/* The defaults of the options. */
#define EV_CALL_JOBS 8
#define EV_CALL_RETRIES 4
#define EV_CALL_TIMEOUT 600.0
#define EV_CALL_CONNECT_TIMEOUT 10.0
#define EV_CALL_POLL_INTERVAL 30.0
#define EV_CALL_ANTHROPIC_MAX_TOKENS 1024

/* The run's configuration. The caller sets the options (ev_call_init gives
 * each its default) and ev_call_setup the rest. */
typedef struct ev_call_config {
    /* The options, as given. Strings are borrowed: they must outlive the
     * configuration. */
    ev_provider_opts req; /* provider, model, temperature, max_tokens, seed, params
                             (owned), command; system and max_tokens_field are set up */
    const char *base_url, *key_env, *key_file, *system_text, *system_file, *template_path;
    const char *cacert, *tokens_field, *cache_dir;
    char **pass_env; /* --env patterns, NULL-terminated (owned; the strings borrowed) */
    int npass;
    long jobs, retries, repeat, batch_size;
    double timeout, connect_timeout, rpm, tpm, poll_interval;
    bool has_max_errors, max_errors_pct;
    double max_errors; /* a count, or a percentage when max_errors_pct */
    bool no_cache, refresh, dry_run, unordered, quiet, verbose, insecure_http, batch;

    /* Set up by ev_call_setup. */
    char *system;   /* from --system or --system-file, or NULL */
    char *key;      /* the API key, or NULL */
    char *key_name; /* the file or variable it came from, or would have */
    char *base;     /* the normalised base URL, for cache keys; "" for cmd */
    char *url;      /* the endpoint; NULL for cmd */
    const char *headers[8];
    char *auth_header; /* the header that holds the key, among 'headers', or NULL */
    ev_template *tpl;
} ev_call_config;

/* ev_call_init sets every option of 'c' to its default; 'max_env' is the
 * most --env patterns it will get. */
void ev_call_init(ev_call_config *c, int max_env);

/* ev_call_add_param adds --param 'arg', KEY=JSON, to the body's fields;
 * false with '*err' set when it is not one. */
bool ev_call_add_param(ev_call_config *c, const char *arg, jv *err);

/* ev_call_set_max_errors reads --max-errors 'arg': a count N, or a share of
 * the calls P%; false with '*err' set when it is neither. */
bool ev_call_set_max_errors(ev_call_config *c, const char *arg, jv *err);

/* ev_call_setup checks that the options go together, reads the system
 * prompt and the template, finds the key and decides the endpoint and its
 * headers. It returns false with '*err' set to a usage error (the options
 * are the user's to correct) when it cannot. */
bool ev_call_setup(ev_call_config *c, jv *err);

/* ev_call_free frees what ev_call_init and ev_call_setup made, and wipes
 * the key. */
void ev_call_free(ev_call_config *c);

/* What an engine reports, and how it learns that it must stop. */
typedef struct ev_call_hooks {
    /* Where its lines go (lib/log.h): every warning and note (the summary,
     * the batches submitted...) to 'warn', and the verbose log of
     * requests, retries and waits (-v) to 'progress'. */
    ev_log log;
    /* Non-zero once the run is interrupted (SIGINT, SIGTERM); may be NULL. */
    const volatile sig_atomic_t *stop;
    /* Readable when 'stop' is set, to end a wait at once; or -1. */
    int wake_fd;
} ev_call_hooks;

/* ev_call_stopped says whether the hooks' 'stop' is set. */
bool ev_call_stopped(const ev_call_hooks *h);

/* How a run ended, beside its exit status. */
typedef struct ev_call_end {
    bool out_broken;  /* standard output failed (reported already) */
    bool reader_gone; /* because its reader went away (EPIPE), which is no news */
} ev_call_end;

/* ev_call_prompt returns the messages to send for case 'rec': from the
 * template when there is one, else from the case's input or messages; or
 * invalid with a message. */
jv ev_call_prompt(const ev_call_config *c, jv rec /* borrowed */);

/* ev_call_request sets '*body' to the request body of sample 'sample' of
 * the prompt 'messages' (borrowed) and '*text' to its JSON text, and
 * writes its cache key to 'key'. False, with '*body' an invalid with a
 * message, when no body can be made. */
bool ev_call_request(const ev_call_config *c, jv messages /* borrowed */, int sample, jv *body,
                     jv *text, char key[EV_CACHE_KEY_LEN + 1]);

/* ev_call_stdin returns the standard input of a cmd call: the prompt and a
 * newline, from its 'body' (borrowed); '*len' gets its length. */
char *ev_call_stdin(jv body /* borrowed */, size_t *len);

/* ev_call_object returns a record's 'call' object. Every jv is consumed. */
jv ev_call_object(const ev_call_config *c, jv latency, jv in, jv out, jv cached_tokens, jv finish,
                  int attempts, bool cached, int sample);

/* ev_call_from_cache returns what a case gains from the cache entry
 * 'entry': {output, call}; 'cached' says whether the answer was in the
 * cache before this run. An answer of a batch says which, as call.batch. */
jv ev_call_from_cache(const ev_call_config *c, jv entry, int sample, bool cached);

/* ev_call_cache_entry returns what the cache keeps of an answer: from its
 * 'call' object and 'output', for sample 'sample', stamped with the time. */
jv ev_call_cache_entry(jv call, jv output, int sample);

/* ev_call_now returns the time now as RFC 3339 in UTC: "2025-01-31T12:00:00Z". */
jv ev_call_now(void);

/* ev_call_tokens adds the token counts of 'call' to '*in' and '*out'. */
void ev_call_tokens(jv call /* borrowed */, double *in, double *out);

/* ev_call_replaces says whether case 'rec' holds the fields of an earlier
 * run (output, call, error), which its record then has replaced. */
bool ev_call_replaces(jv rec /* borrowed */);

/* ev_call_write writes one record to 'out': the case's text 'raw' of 'len'
 * bytes with the fields of 'add' appended, or, when 'replace', the case
 * with its fields of an earlier run replaced by them. Returns 0, or -1 when
 * the write failed. */
int ev_call_write(FILE *out, const char *raw, size_t len, bool replace, jv add);

/* ev_call_dry_run writes, for each sample of each case of 'paths' ('n' of
 * them; none means standard input), the request that would be sent, with
 * the key redacted, its cache key and whether 'cache' (may be NULL) has its
 * answer; and sends nothing. Returns the exit status. */
int ev_call_dry_run(const ev_call_config *c, ev_cache *cache, char **paths, int n, FILE *out,
                    const ev_call_hooks *h);

#endif
