/*
 * ev-call: send every case to a model and write it back with the answer.
 *
 * Reads records (JSONL) and writes each one back, in input order, with
 * 'output' (the answer) and 'call' (provider, model, latency, tokens,
 * attempts...) added, or 'error' in place of 'output' when the call failed
 * after its retries. Many calls run at once (lib/http.h), within the
 * client's and the server's rate limits. Every answer is cached
 * (lib/cache.h) the moment it arrives, so no answer is paid for twice: a
 * second identical run makes no request, and a run killed half-way resumes
 * where it stopped. The API key comes from the environment or a file and
 * appears nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "batch.h"
#include "cache.h"
#include "cli.h"
#include "clock.h"
#include "diag.h"
#include "ev.h"
#include "ftapi.h"
#include "http.h"
#include "jsonl.h"
#include "key.h"
#include "price.h"
#include "provider.h"
#include "ratelimit.h"
#include "record.h"
#include "child.h"
#include "template.h"
#include "url.h"

#define DEFAULT_JOBS 8
#define DEFAULT_RETRIES 4
#define DEFAULT_TIMEOUT 600.0
#define DEFAULT_CONNECT_TIMEOUT 10.0
#define ANTHROPIC_MAX_TOKENS 1024
#define ESTIMATE_MAX_TOKENS 256    /* output tokens assumed when none are set */
#define GRACE_SECONDS 5.0          /* wait for calls in flight after an interrupt */
#define RATE_MARGIN 0.98           /* pace at this share of any rate limit */
#define QUEUE_CAP 64               /* records read ahead of the window */
#define DEFAULT_POLL_INTERVAL 30.0 /* seconds between looks at a batch */
#define CLAIM_POLL_MS 50           /* between looks at another run's claim */
#define STATE_POLL 1.0             /* seconds between looks at a claimed batch state */

static void
usage(FILE *f)
{
    fputs("usage: ev-call [-qv] [-p openai|anthropic|cmd] [-m MODEL] [-c COMMAND]\n"
          "               [-j JOBS] [--base-url URL] [--api-key-env NAME | --api-key-file FILE]\n"
          "               [--system TEXT | --system-file FILE] [--template FILE]\n"
          "               [--temperature T] [--max-tokens N] [--max-tokens-field FIELD]\n"
          "               [--seed N] [--param KEY=JSON]... [--repeat K]\n"
          "               [--timeout SECONDS] [--connect-timeout SECONDS] [--retries N]\n"
          "               [--rpm N] [--tpm N] [--max-errors N|P%] [--unordered]\n"
          "               [--no-cache | --refresh] [--cache-dir DIR] [--dry-run]\n"
          "               [--allow-insecure-http] [--cacert FILE] [--env NAME]...\n"
          "               [--batch [--batch-size N] [--poll-interval SECONDS]] [FILE ...]\n"
          "\n"
          "Send each case to a model; write it back with 'output' and 'call', or\n"
          "'error' when the call failed after its retries.\n"
          "\n"
          "  -p, --provider P        openai (default; also vLLM, llama.cpp, Ollama...),\n"
          "                          anthropic, or cmd (a local command)\n"
          "  -m, --model MODEL       the model (required unless -p cmd)\n"
          "  -c, --command CMD       cmd: run CMD with sh -c per case, prompt on stdin\n"
          "      --env NAME          cmd: also pass $NAME (a pattern: 'HF_*') to CMD, which\n"
          "                          otherwise gets only PATH, HOME, LANG... and no key\n"
          "      --base-url URL      API base (default $OPENAI_BASE_URL or\n"
          "                          https://api.openai.com/v1; $ANTHROPIC_BASE_URL or\n"
          "                          https://api.anthropic.com/v1)\n"
          "      --api-key-env NAME  read the key from $NAME (default OPENAI_API_KEY or\n"
          "                          ANTHROPIC_API_KEY)\n"
          "      --api-key-file FILE read the key from the first line of FILE\n"
          "      --system TEXT       system prompt; --system-file FILE reads it\n"
          "      --template FILE     build the prompt from {{field}} placeholders\n"
          "      --temperature T     0 to 2 (default 0)\n"
          "      --max-tokens N      answer length limit (anthropic default 1024)\n"
          "      --max-tokens-field F  auto (default), max_tokens or max_completion_tokens\n"
          "      --seed N            openai: sampling seed (sample i of --repeat: N+i)\n"
          "      --param KEY=JSON    set a field of the request body; null removes it\n"
          "      --repeat K          K samples per case, each its own record (call.sample)\n"
          "  -j, --jobs N            at most N calls at once (default 8)\n"
          "      --rpm N, --tpm N    stay under N requests / tokens a minute\n"
          "      --retries N         retries after the first attempt (default 4)\n"
          "      --timeout S         seconds for each attempt (default 600)\n"
          "      --connect-timeout S seconds to connect (default 10)\n"
          "      --max-errors N|P%   stop once more than N calls (P% of calls) failed\n"
          "      --unordered         write answers as they arrive, not in input order\n"
          "      --no-cache          neither read nor write the answer cache\n"
          "      --refresh           call again and overwrite cached answers\n"
          "      --cache-dir DIR     the cache (default $EV_CACHE_DIR, $XDG_CACHE_HOME/ev\n"
          "                          or ~/.cache/ev)\n"
          "      --dry-run           print the requests (key redacted) and send nothing\n"
          "      --allow-insecure-http  allow sending the key over http:// to another host\n"
          "      --cacert FILE       trust the CA certificates in FILE (PEM) for https\n"
          "      --batch             send the calls through the provider's batch API (about\n"
          "                          half the price; answers within 24 h); rerunning the\n"
          "                          same command resumes the same batches\n"
          "      --batch-size N      at most N requests a batch (default: the provider's\n"
          "                          limit, 50000 openai, 100000 anthropic)\n"
          "      --poll-interval S   seconds between looks at a batch (default 30)\n"
          "  -q, --quiet             no progress and no summary on standard error\n"
          "  -v, --verbose           log requests, headers (keys masked), retries, waits\n"
          "  -h, --help              show this help\n"
          "  -V, --version           show the version\n"
          "\n"
          "Exit status: 0 all answered, 2 trouble (bad line, usage, key or quota\n"
          "refused, failed write, a cache that cannot keep answers), 3 some calls\n"
          "failed, 130 interrupted.\n"
          "See ev-call(1) and ev(7).\n",
          f);
}

/* The run's configuration, fixed after the options are read. */
typedef struct config {
    ev_request_opts req;
    const char *base_opt, *key_env, *key_file, *system_text, *system_file, *template_path, *cacert;
    const char *tokens_field_opt, *cache_dir_opt;
    char *system; /* from --system or --system-file */
    char *key;    /* the API key, or NULL */
    char *key_name;
    char *url;  /* the endpoint */
    char *base; /* the normalised base URL, for cache keys; "" for cmd */
    const char *headers[8];
    char *auth_header;
    char **pass_env; /* --env, NULL-terminated */
    int npass;
    ev_template *tpl;
    long jobs, retries, repeat, batch_size;
    double timeout, connect_timeout, rpm, tpm, poll_interval;
    bool has_max_errors, max_errors_pct;
    double max_errors;
    bool no_cache, refresh, dry_run, unordered, quiet, verbose, insecure_http, batch;
} config;

/* One output record-to-be: a sample of a case. */
enum sample_state { S_PENDING, S_DONE, S_CANCELLED };

typedef struct sample {
    enum sample_state state;
    jv add; /* {output, call} or {error, call}, when done */
} sample;

/* A case in the reorder window. */
typedef struct slot {
    char *raw; /* the record's text, as read */
    size_t len;
    bool replace; /* it has output, call or error from an earlier run */
    int ndone;    /* samples finished */
    bool used;
    sample *s; /* [repeat] */
} slot;

/* A sample waiting for the answer to the same request as a call in flight. */
typedef struct follower {
    unsigned long seq;
    int sample;
} follower;

/* A sample on its way to an answer: from the cache, from a call in flight
 * for the same request, or from a call of its own. Its key is claimed
 * (ev_cache_claim) only when the engine has room to start the call, so
 * that another run sharing the cache takes the keys after it rather than
 * waiting for them; while another run holds the claim, it waits. */
typedef struct want {
    unsigned long seq;
    int sample;
    bool waited; /* it found another run's claim */
    bool warned; /* its bad cache entry was reported */
    char key[EV_CACHE_KEY_LEN + 1];
    jv rec, body, text; /* the case, the request and the request's text */
    const char *name;   /* where the case was read */
    unsigned long line;
} want;

typedef struct call_job {
    ev_job job; /* first, so the engine's job is the call's */
    unsigned long seq;
    int sample;
    char key[EV_CACHE_KEY_LEN + 1];
    int claim; /* of the key (ev_cache_claim), or -1 */
    ev_reply reply;
    char label[96];
    char *envs[5];
    struct call_job *next_pending; /* in the run's table of calls in flight */
    follower *followers;           /* identical requests waiting for this one */
    size_t nfollowers;
} call_job;

/* An item read by the reader thread. */
typedef struct item {
    int rc;
    jv rec; /* the record, or the error */
    char *raw;
    size_t len;
    const char *name;
    unsigned long line;
} item;

typedef struct reader {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t space;
    item q[QUEUE_CAP];
    size_t head, count;
    bool stop, finished, started;
    ev_jsonl_reader r;
    ev_http *engine;
} reader;

typedef struct run {
    config *cfg;
    ev_http *engine;
    ev_cache *cache;
    slot *win;
    size_t wcap;
    call_job **pending; /* calls in flight by cache key, to share one answer */
    size_t npending;    /* buckets, a power of two; 0 without the cache */
    want *ready;        /* samples for a call, in order: a ring of 'capready' */
    size_t readyhead, nready, capready;
    want *waiting; /* samples whose key another run has claimed */
    size_t nwaiting, capwaiting;
    unsigned long head, tail; /* the window holds cases [head, tail) */
    bool input_done, stopping, interrupted, fatal, max_errors_hit, out_broken, reader_gone;
    bool cache_failed, wait_noted;
    int status;
    unsigned long total_cases; /* for progress; 0 when unknown */
    unsigned long answered, cached, failed, finished_calls;
    double tokens_in, tokens_out;
    double started, grace_until, last_draw, next_look;
    bool progress, drew, wrote;
} run;

static volatile sig_atomic_t signals_seen;
static int wake_pipe[2] = {-1, -1};

/* Signals. */

static void
on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    if (++signals_seen >= 2) {
        ev_child_kill_all();
        _exit(EV_EXIT_INTR);
    }
    if (wake_pipe[1] >= 0) {
        ssize_t n = write(wake_pipe[1], "x", 1);
        (void)n;
    }
    errno = saved;
}

static void
on_usr1(int sig)
{
    (void)sig; /* only interrupts the reader's blocking read */
}

static void
setup_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGXFSZ, &sa, NULL); /* a file size limit fails the write, as a full disk does */
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot make a pipe: %s", strerror(errno));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
}

static void
drain_wake_pipe(void)
{
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
        ;
}

/* Options. */

enum {
    OPT_ALLOW_INSECURE_HTTP = 256,
    OPT_API_KEY_ENV,
    OPT_API_KEY_FILE,
    OPT_BASE_URL,
    OPT_BATCH,
    OPT_BATCH_SIZE,
    OPT_CACERT,
    OPT_CACHE_DIR,
    OPT_CONNECT_TIMEOUT,
    OPT_DRY_RUN,
    OPT_ENV,
    OPT_MAX_ERRORS,
    OPT_MAX_TOKENS,
    OPT_MAX_TOKENS_FIELD,
    OPT_NO_CACHE,
    OPT_PARAM,
    OPT_POLL_INTERVAL,
    OPT_REFRESH,
    OPT_REPEAT,
    OPT_RETRIES,
    OPT_RPM,
    OPT_SEED,
    OPT_SYSTEM,
    OPT_SYSTEM_FILE,
    OPT_TEMPERATURE,
    OPT_TEMPLATE,
    OPT_TIMEOUT,
    OPT_TPM,
    OPT_UNORDERED,
};

static long
number_opt(const char *opt, const char *s, long lo, long hi)
{
    long v;
    if (!ev_parse_long(s, lo, hi, &v))
        ev_diag_usage_error("%s must be a whole number from %ld to %ld, not '%s'", opt, lo, hi, s);
    return v;
}

static double
real_opt(const char *opt, const char *s, double lo, double hi)
{
    double v;
    if (!ev_parse_double(s, lo, hi, &v))
        ev_diag_usage_error("%s must be a number from %g to %g, not '%s'", opt, lo, hi, s);
    return v;
}

static void
add_param(jv *params, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        ev_diag_usage_error("--param wants KEY=JSON, not '%s'", arg);
    for (const char *p = arg; p < eq; p++)
        if (!(p[0] == '_' || p[0] == '-' || (p[0] >= 'a' && p[0] <= 'z') ||
              (p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= '0' && p[0] <= '9')))
            ev_diag_usage_error("--param '%s': bad KEY '%.*s'", arg, (int)(eq - arg), arg);
    jv v = jv_parse(eq + 1);
    if (!jv_is_valid(v)) {
        jv m = jv_invalid_get_msg(v);
        const char *ms = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "not JSON";
        const char *cut = strstr(ms, " (while parsing");
        ev_diag_usage_error("--param '%.*s': the value is not JSON: %.*s (quote a string: "
                            "%.*s='\"text\"')",
                            (int)(eq - arg), arg, cut ? (int)(cut - ms) : (int)strlen(ms), ms,
                            (int)(eq - arg), arg);
    }
    *params = jv_object_set(*params, jv_string_sized(arg, (int)(eq - arg)), v);
}

static void
parse_max_errors(config *c, const char *s)
{
    size_t n = strlen(s);
    c->has_max_errors = true;
    if (n > 0 && s[n - 1] == '%') {
        char buf[64];
        if (n >= sizeof(buf))
            ev_diag_usage_error("--max-errors must be N or P%%, not '%s'", s);
        memcpy(buf, s, n - 1);
        buf[n - 1] = '\0';
        c->max_errors = real_opt("--max-errors P%", buf, 0, 100);
        c->max_errors_pct = true;
    } else {
        c->max_errors = (double)number_opt("--max-errors", s, 0, 1000000000L);
    }
}

/* read_text returns the contents of 'path' without trailing newlines. */
static char *
read_text(const char *what, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        ev_diag_usage_error("cannot open %s '%s': %s", what, path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = ev_alloc_resize(buf, cap);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad)
        ev_diag_usage_error("cannot read %s '%s'", what, path);
    if (buf == NULL)
        buf = ev_alloc_strdup("");
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    return buf;
}

/* load_key finds the API key; a missing one is NULL. */
static void
load_key(config *c)
{
    const char *source;
    c->key = ev_key_read(c->key_file, c->key_env,
                         c->req.provider == EV_ANTHROPIC ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY",
                         &source);
    c->key_name = ev_alloc_strdup(source);
}

/* setup_endpoint decides the URL, the headers and whether the key may go. */
static void
setup_endpoint(config *c)
{
    bool anth = c->req.provider == EV_ANTHROPIC;
    const char *base = c->base_opt;
    if (base == NULL)
        base = getenv(anth ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL");
    if (base == NULL || *base == '\0')
        base = anth ? "https://api.anthropic.com/v1" : "https://api.openai.com/v1";
    jv norm = ev_url_normalize(base);
    if (!jv_is_valid(norm)) {
        jv m = jv_invalid_get_msg(norm);
        ev_diag_usage_error("bad base URL '%s': %s", base, jv_string_value(m));
    }
    c->base = ev_alloc_strdup(jv_string_value(norm));
    jv url = jv_string_fmt("%s%s", c->base, anth ? "/messages" : "/chat/completions");
    c->url = ev_alloc_strdup(jv_string_value(url));
    jv_free(url);
    jv host = ev_url_host(c->base);
    bool openai_host = strcmp(jv_string_value(host), "api.openai.com") == 0;
    jv_free(norm);

    const char *field = c->tokens_field_opt ? c->tokens_field_opt : "auto";
    if (strcmp(field, "auto") == 0)
        c->req.max_tokens_field = openai_host ? "max_completion_tokens" : "max_tokens";
    else if (strcmp(field, "max_tokens") == 0 || strcmp(field, "max_completion_tokens") == 0)
        c->req.max_tokens_field = field;
    else
        ev_diag_usage_error("--max-tokens-field must be auto, max_tokens or max_completion_tokens, "
                            "not '%s'",
                            field);

    load_key(c);
    bool loopback = ev_url_is_loopback(c->base);
    if (c->key == NULL && !loopback && !c->dry_run)
        ev_diag_usage_error("no API key for '%s': set %s, or use --api-key-env or --api-key-file",
                            jv_string_value(host), c->key_name);
    if (c->key != NULL && !ev_key_may_send(c->base, c->insecure_http))
        ev_diag_usage_error("refusing to send the API key over plain http to '%s': use https, or "
                            "--allow-insecure-http",
                            jv_string_value(host));
    jv_free(host);

    int n = 0;
    c->headers[n++] = "Content-Type: application/json";
    c->headers[n++] = "Accept: application/json";
    c->headers[n++] = "Expect:";
    if (anth)
        c->headers[n++] = "anthropic-version: 2023-06-01";
    if (c->key != NULL) {
        jv h = anth ? jv_string_fmt("x-api-key: %s", c->key)
                    : jv_string_fmt("Authorization: Bearer %s", c->key);
        c->auth_header = ev_alloc_strdup(jv_string_value(h));
        explicit_bzero((char *)jv_string_value(h), strlen(jv_string_value(h)));
        jv_free(h);
        c->headers[n++] = c->auth_header;
    }
    c->headers[n] = NULL;
}

static void
parse_options(config *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"allow-insecure-http", no_argument, NULL, OPT_ALLOW_INSECURE_HTTP},
        {"api-key-env", required_argument, NULL, OPT_API_KEY_ENV},
        {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
        {"base-url", required_argument, NULL, OPT_BASE_URL},
        {"batch", no_argument, NULL, OPT_BATCH},
        {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"command", required_argument, NULL, 'c'},
        {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"env", required_argument, NULL, OPT_ENV},
        {"help", no_argument, NULL, 'h'},
        {"jobs", required_argument, NULL, 'j'},
        {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
        {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
        {"max-tokens-field", required_argument, NULL, OPT_MAX_TOKENS_FIELD},
        {"model", required_argument, NULL, 'm'},
        {"no-cache", no_argument, NULL, OPT_NO_CACHE},
        {"param", required_argument, NULL, OPT_PARAM},
        {"poll-interval", required_argument, NULL, OPT_POLL_INTERVAL},
        {"provider", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"refresh", no_argument, NULL, OPT_REFRESH},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"rpm", required_argument, NULL, OPT_RPM},
        {"seed", required_argument, NULL, OPT_SEED},
        {"system", required_argument, NULL, OPT_SYSTEM},
        {"system-file", required_argument, NULL, OPT_SYSTEM_FILE},
        {"temperature", required_argument, NULL, OPT_TEMPERATURE},
        {"template", required_argument, NULL, OPT_TEMPLATE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"tpm", required_argument, NULL, OPT_TPM},
        {"unordered", no_argument, NULL, OPT_UNORDERED},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    c->req.provider = EV_OPENAI;
    c->req.max_tokens = -1;
    c->req.params = jv_object();
    c->jobs = DEFAULT_JOBS;
    c->retries = DEFAULT_RETRIES;
    c->repeat = 1;
    c->timeout = DEFAULT_TIMEOUT;
    c->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
    c->poll_interval = DEFAULT_POLL_INTERVAL;
    c->pass_env = ev_alloc_zero((size_t)argc, sizeof(char *));
    while ((opt = getopt_long(argc, argv, "c:hj:m:p:qvV", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_ALLOW_INSECURE_HTTP:
            c->insecure_http = true;
            break;
        case OPT_API_KEY_ENV:
            c->key_env = optarg;
            break;
        case OPT_API_KEY_FILE:
            c->key_file = optarg;
            break;
        case OPT_CACERT:
            c->cacert = optarg;
            break;
        case OPT_BASE_URL:
            c->base_opt = optarg;
            break;
        case OPT_BATCH:
            c->batch = true;
            break;
        case OPT_BATCH_SIZE:
            c->batch_size = number_opt("--batch-size", optarg, 1, 100000);
            break;
        case OPT_CACHE_DIR:
            c->cache_dir_opt = optarg;
            break;
        case 'c':
            c->req.command = optarg;
            break;
        case OPT_CONNECT_TIMEOUT:
            c->connect_timeout = real_opt("--connect-timeout", optarg, 0.001, 3600);
            break;
        case OPT_DRY_RUN:
            c->dry_run = true;
            break;
        case OPT_ENV:
            if (!ev_child_pass_ok(optarg))
                ev_diag_usage_error(
                    "--env takes the name of a variable, or a pattern such as 'HF_*', "
                    "never a value");
            c->pass_env[c->npass++] = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(ev_diag_close_stdout());
        case 'j':
            c->jobs = number_opt("--jobs", optarg, 1, 1024);
            break;
        case OPT_MAX_ERRORS:
            parse_max_errors(c, optarg);
            break;
        case OPT_MAX_TOKENS:
            c->req.max_tokens = number_opt("--max-tokens", optarg, 0, 100000000L);
            break;
        case OPT_MAX_TOKENS_FIELD:
            c->tokens_field_opt = optarg;
            break;
        case 'm':
            c->req.model = optarg;
            break;
        case OPT_NO_CACHE:
            c->no_cache = true;
            break;
        case OPT_PARAM:
            add_param(&c->req.params, optarg);
            break;
        case OPT_POLL_INTERVAL:
            c->poll_interval = real_opt("--poll-interval", optarg, 0.01, 86400);
            break;
        case 'p':
            if (!ev_provider_from_name(optarg, &c->req.provider))
                ev_diag_usage_error("--provider must be openai, anthropic or cmd, not '%s'",
                                    optarg);
            break;
        case 'q':
            c->quiet = true;
            break;
        case OPT_REFRESH:
            c->refresh = true;
            break;
        case OPT_REPEAT:
            c->repeat = number_opt("--repeat", optarg, 1, 10000);
            break;
        case OPT_RETRIES:
            c->retries = number_opt("--retries", optarg, 0, 100);
            break;
        case OPT_RPM:
            c->rpm = real_opt("--rpm", optarg, 0.001, 1e9);
            break;
        case OPT_SEED:
            c->req.seed = number_opt("--seed", optarg, -(1L << 53), 1L << 53);
            c->req.has_seed = true;
            break;
        case OPT_SYSTEM:
            c->system_text = optarg;
            break;
        case OPT_SYSTEM_FILE:
            c->system_file = optarg;
            break;
        case OPT_TEMPERATURE:
            c->req.temperature = real_opt("--temperature", optarg, 0, 2);
            break;
        case OPT_TEMPLATE:
            c->template_path = optarg;
            break;
        case OPT_TIMEOUT:
            c->timeout = real_opt("--timeout", optarg, 0.001, 86400);
            break;
        case OPT_TPM:
            c->tpm = real_opt("--tpm", optarg, 1, 1e12);
            break;
        case OPT_UNORDERED:
            c->unordered = true;
            break;
        case 'v':
            c->verbose = true;
            break;
        case 'V':
            ev_diag_version();
        default:
            fprintf(stderr, "try 'ev-call --help'\n");
            exit(EV_EXIT_TROUBLE);
        }
    }
}

static void
validate(config *c)
{
    bool cmd = c->req.provider == EV_CMD;
    if (c->req.command != NULL && !cmd)
        ev_diag_usage_error("--command needs --provider cmd");
    if (cmd && (c->req.command == NULL || *c->req.command == '\0'))
        ev_diag_usage_error("--provider cmd needs --command");
    if (!cmd && (c->req.model == NULL || *c->req.model == '\0'))
        ev_diag_usage_error("--model is required with --provider %s",
                            ev_provider_name(c->req.provider));
    if (c->system_text != NULL && c->system_file != NULL)
        ev_diag_usage_error("--system and --system-file cannot both be given");
    if (c->no_cache && c->refresh)
        ev_diag_usage_error("--no-cache and --refresh cannot both be given");
    if (cmd && (c->base_opt || c->key_env || c->key_file || c->insecure_http || c->cacert))
        ev_diag_usage_error("--base-url, --cacert and the API key options do not apply to "
                            "--provider cmd");
    if (c->cacert != NULL && access(c->cacert, R_OK) != 0)
        ev_diag_usage_error("--cacert: cannot read '%s': %s", c->cacert, strerror(errno));
    if (!cmd && c->npass > 0)
        ev_diag_usage_error("--env goes with --provider cmd");
    if (cmd && jv_object_length(jv_copy(c->req.params)) > 0)
        ev_diag_usage_error("--param does not apply to --provider cmd");
    if (c->batch) {
        if (cmd)
            ev_diag_usage_error("--batch needs a provider's batch API: openai or anthropic");
        if (c->no_cache)
            ev_diag_usage_error(
                "--batch needs the cache: it keeps the answers and the batch's id, so "
                "that a batch is never paid for twice");
        if (c->dry_run || c->unordered || c->rpm > 0 || c->tpm > 0 || c->has_max_errors ||
            c->insecure_http)
            ev_diag_usage_error("--dry-run, --unordered, --rpm, --tpm, --max-errors and "
                                "--allow-insecure-http do not apply to --batch");
        ev_batch_limits lim = ev_batch_limits_of(c->req.provider);
        if (c->batch_size > (long)lim.requests)
            ev_diag_usage_error("--batch-size: a %s batch holds at most %zu requests",
                                ev_provider_name(c->req.provider), lim.requests);
    } else if (c->batch_size > 0 || c->poll_interval != DEFAULT_POLL_INTERVAL) {
        ev_diag_usage_error("--batch-size and --poll-interval go with --batch");
    }
    if (c->req.has_seed && c->req.provider == EV_ANTHROPIC)
        ev_diag_usage_error("--seed: the Anthropic API has no seed");
    if (c->system_file != NULL)
        c->system = read_text("system prompt file", c->system_file);
    else if (c->system_text != NULL)
        c->system = ev_alloc_strdup(c->system_text);
    c->req.system = c->system;
    if (c->template_path != NULL) {
        jv err;
        c->tpl = ev_template_load(c->template_path, &err);
        if (c->tpl == NULL) {
            jv m = jv_invalid_get_msg(err);
            ev_diag_usage_error("%s", jv_string_value(m));
        }
    }
    if (cmd) {
        c->base = ev_alloc_strdup("");
    } else {
        setup_endpoint(c);
    }
    if (c->req.provider == EV_ANTHROPIC && c->req.max_tokens < 0)
        c->req.max_tokens = ANTHROPIC_MAX_TOKENS;
}

static void
free_config(config *c)
{
    jv_free(c->req.params);
    ev_key_free(c->key);
    ev_key_free(c->auth_header);
    free(c->pass_env);
    free(c->key_name);
    free(c->system);
    free(c->url);
    free(c->base);
    ev_template_free(c->tpl);
}

/* Requests. */

/* build_prompt returns the messages of a record, or invalid with a message. */
static jv
build_prompt(const config *c, jv rec)
{
    jv prompt;
    if (c->tpl != NULL) {
        prompt = ev_template_render(c->tpl, rec);
    } else {
        prompt = ev_record_input(rec);
        if (!jv_is_valid(prompt) && !jv_invalid_has_msg(jv_copy(prompt))) {
            jv_free(prompt);
            return jv_invalid_with_msg(jv_string("record has no 'input' or 'messages'"));
        }
    }
    if (!jv_is_valid(prompt))
        return prompt;
    return ev_prompt_messages(prompt);
}

static double
estimate_tokens(const config *c, size_t body_len)
{
    double out = c->req.max_tokens >= 0 ? (double)c->req.max_tokens : ESTIMATE_MAX_TOKENS;
    return ceil((double)body_len / 4.0) + out;
}

static jv
redacted_headers(const config *c)
{
    jv h = jv_object();
    for (int i = 0; c->headers[i] != NULL; i++) {
        const char *line = c->headers[i];
        const char *colon = strchr(line, ':');
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (*v == '\0')
            continue; /* "Expect:" only removes a header */
        jv name = jv_string_sized(line, (int)(colon - line));
        bool secret = line == c->auth_header;
        h = jv_object_set(h, name, jv_string(secret ? "[redacted]" : v));
    }
    return h;
}

/* Output. */

static jv
round_ms(double ms)
{
    return jv_number(round(ms * 10.0) / 10.0);
}

static jv
call_object(const config *c, jv latency, jv in, jv out, jv cached_tok, jv finish, int attempts,
            bool cached, int sample_no)
{
    jv o = jv_object_set(jv_object(), jv_string("provider"),
                         jv_string(ev_provider_name(c->req.provider)));
    o = jv_object_set(o, jv_string("model"), c->req.model ? jv_string(c->req.model) : jv_null());
    o = jv_object_set(o, jv_string("latency_ms"), latency);
    o = jv_object_set(o, jv_string("input_tokens"), in);
    o = jv_object_set(o, jv_string("output_tokens"), out);
    o = jv_object_set(o, jv_string("cached_tokens"), cached_tok);
    o = jv_object_set(o, jv_string("finish_reason"), finish);
    o = jv_object_set(o, jv_string("attempts"), jv_number(attempts));
    o = jv_object_set(o, jv_string("cached"), jv_bool(cached));
    return jv_object_set(o, jv_string("sample"), jv_number(sample_no));
}

/* from_cache returns the addition for a cached answer 'entry' (consumed):
 * 'cached' says whether it was in the cache before this run. An answer of
 * a batch says which, as call.batch. */
static jv
from_cache(const config *c, jv entry, int sample_no, bool cached)
{
    jv att = ev_get_kind(entry, "attempts", JV_KIND_NUMBER);
    int attempts = jv_get_kind(att) == JV_KIND_NUMBER ? (int)jv_number_value(att) : 1;
    jv_free(att);
    jv call = call_object(c, ev_get_kind(entry, "latency_ms", JV_KIND_NUMBER),
                          ev_get_kind(entry, "input_tokens", JV_KIND_NUMBER),
                          ev_get_kind(entry, "output_tokens", JV_KIND_NUMBER),
                          ev_get_kind(entry, "cached_tokens", JV_KIND_NUMBER),
                          ev_get_kind(entry, "finish_reason", JV_KIND_STRING), attempts, cached,
                          sample_no);
    jv batch = ev_get_kind(entry, "batch", JV_KIND_STRING);
    if (jv_get_kind(batch) == JV_KIND_STRING)
        call = jv_object_set(call, jv_string("batch"), batch);
    else
        jv_free(batch);
    jv add = jv_object_set(jv_object(), jv_string("output"), ev_get(entry, "output"));
    jv_free(entry);
    return jv_object_set(add, jv_string("call"), call);
}

/* note_tokens_of adds the tokens of 'call' (borrowed) to '*in' and '*out'. */
static void
note_tokens_of(double *in_sum, double *out_sum, jv call)
{
    jv in = ev_get(call, "input_tokens"), out = ev_get(call, "output_tokens");
    if (jv_get_kind(in) == JV_KIND_NUMBER)
        *in_sum += jv_number_value(in);
    if (jv_get_kind(out) == JV_KIND_NUMBER)
        *out_sum += jv_number_value(out);
    jv_free(in);
    jv_free(out);
}

static void
note_tokens(run *r, jv call)
{
    note_tokens_of(&r->tokens_in, &r->tokens_out, call);
}

static void
check_output(run *r)
{
    if (r->out_broken || !ferror(stdout))
        return;
    r->out_broken = true;
    r->reader_gone = errno == EPIPE;
    if (!r->reader_gone) /* a reader that went away is no news */
        ev_diag_warn("cannot write standard output: %s", strerror(errno ? errno : EIO));
    r->status = EV_EXIT_TROUBLE;
    if (!r->stopping) {
        r->stopping = true;
        r->grace_until = ev_clock_mono() + GRACE_SECONDS;
        if (r->engine != NULL)
            ev_http_stop(r->engine);
    }
}

/* emit writes one output record: the case's text 'raw' with 'add'
 * (consumed) appended, or, when the case already has fields of an earlier
 * run ('replace'), the case with them replaced. */
static void
emit(const char *raw, size_t len, bool replace, jv add)
{
    if (!replace) {
        ev_jsonl_write_extended(stdout, raw, len, add);
        return;
    }
    jv rec = jv_parse_sized(raw, (int)len);
    static const char *const old[] = {"output", "call", "error"};
    for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
        rec = jv_object_delete(rec, jv_string(old[i]));
    jv_object_foreach(add, key, val)
    {
        rec = jv_object_set(rec, key, val);
    }
    jv_free(add);
    ev_jsonl_write(stdout, rec);
}

static void
write_sample(run *r, const slot *s, jv add)
{
    if (r->out_broken) {
        jv_free(add);
        return;
    }
    emit(s->raw, s->len, s->replace, add);
    r->wrote = true;
    check_output(r);
}

static slot *
slot_of(run *r, unsigned long seq)
{
    return &r->win[seq % r->wcap];
}

static void
release(run *r, slot *s)
{
    for (long i = 0; i < r->cfg->repeat; i++) {
        jv_free(s->s[i].add);
        s->s[i].add = jv_invalid();
        s->s[i].state = S_PENDING;
    }
    free(s->raw);
    s->raw = NULL;
    s->used = false;
    s->ndone = 0;
}

/* flush_window writes the finished cases at the head of the window, in
 * order; with 'all', every finished sample of every case, skipping those
 * that never finished (at the end of an interrupted run). */
static void
flush_window(run *r, bool all)
{
    long k = r->cfg->repeat;
    while (r->head < r->tail) {
        slot *s = slot_of(r, r->head);
        if (s->ndone < k && !all)
            break;
        for (long i = 0; i < k && !r->cfg->unordered; i++) {
            if (s->s[i].state == S_DONE) {
                write_sample(r, s, s->s[i].add);
                s->s[i].add = jv_invalid();
            }
        }
        release(r, s);
        r->head++;
    }
}

/* Finishing calls. */

/* cache_entry returns what the cache keeps of an answer: the 'call' object
 * (consumed) and the 'output' (consumed) of sample 'sample_no'. */
static jv
cache_entry(jv call, jv output, int sample_no)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    jv e = jv_object_set(jv_object(), jv_string("version"), jv_number(1));
    e = jv_object_set(e, jv_string("provider"), ev_get(call, "provider"));
    e = jv_object_set(e, jv_string("model"), ev_get(call, "model"));
    e = jv_object_set(e, jv_string("sample"), jv_number(sample_no));
    e = jv_object_set(e, jv_string("output"), output);
    e = jv_object_set(e, jv_string("finish_reason"), ev_get(call, "finish_reason"));
    e = jv_object_set(e, jv_string("input_tokens"), ev_get(call, "input_tokens"));
    e = jv_object_set(e, jv_string("output_tokens"), ev_get(call, "output_tokens"));
    e = jv_object_set(e, jv_string("cached_tokens"), ev_get(call, "cached_tokens"));
    e = jv_object_set(e, jv_string("latency_ms"), ev_get(call, "latency_ms"));
    e = jv_object_set(e, jv_string("attempts"), ev_get(call, "attempts"));
    jv batch = ev_get(call, "batch");
    if (jv_get_kind(batch) == JV_KIND_STRING)
        e = jv_object_set(e, jv_string("batch"), batch);
    else
        jv_free(batch);
    e = jv_object_set(e, jv_string("time"), jv_string(when));
    jv_free(call);
    return e;
}

static const char *
xfer_kind(enum ev_xfer x)
{
    return x == EV_XFER_TIMEOUT ? "timeout" : "network";
}

/* judge_http reads an attempt's response into the call's reply. */
static enum ev_verdict
judge_http(run *r, call_job *cj)
{
    ev_job *j = &cj->job;
    ev_reply *rep = &cj->reply;
    const config *c = r->cfg;
    if (j->xfer != EV_XFER_OK) {
        ev_reply_free(rep);
        rep->kind = xfer_kind(j->xfer);
        rep->message = ev_key_redact(jv_string(j->xfer_msg), c->key);
        if (j->xfer == EV_XFER_FATAL) {
            rep->outcome = EV_STOP_MISSING;
            return EV_VERDICT_STOP;
        }
        rep->outcome = EV_RETRYABLE;
        return EV_VERDICT_RETRY;
    }
    ev_reply_parse(c->req.provider, j->status, j->resp, j->resp_len, rep);
    if (j->status >= 300 && j->status < 400) {
        /* Every call would be sent the same way: a wrong base URL. */
        jv_free(rep->message);
        rep->message = jv_string_fmt("HTTP %ld: the server redirects to '%s'; redirects are not "
                                     "followed, so that the key goes only where you send it; "
                                     "correct --base-url",
                                     j->status, j->xfer_msg[0] ? j->xfer_msg : "(nowhere)");
        rep->outcome = EV_STOP_MISSING;
    }
    if (jv_is_valid(rep->message))
        rep->message = ev_key_redact(rep->message, c->key);
    if (rep->outcome == EV_RETRYABLE && j->should_retry == 0)
        rep->outcome = EV_FAILED;
    else if (rep->outcome == EV_FAILED && j->should_retry == 1)
        rep->outcome = EV_RETRYABLE;
    switch (rep->outcome) {
    case EV_ANSWERED:
    case EV_FAILED:
        return EV_VERDICT_DONE;
    case EV_RETRYABLE:
        return EV_VERDICT_RETRY;
    default:
        return EV_VERDICT_STOP;
    }
}

/* judge_cmd reads a command's exit: 0 is an answer, 75 (EX_TEMPFAIL) is
 * worth a retry, anything else a failure. */
static enum ev_verdict
judge_cmd(run *r, call_job *cj)
{
    ev_job *j = &cj->job;
    ev_reply *rep = &cj->reply;
    (void)r;
    ev_reply_free(rep);
    if (j->xfer == EV_XFER_FATAL) { /* /bin/sh cannot be started */
        rep->kind = "cmd";
        rep->message = jv_string(j->xfer_msg);
        rep->outcome = EV_STOP_MISSING;
        return EV_VERDICT_STOP;
    }
    if (j->xfer != EV_XFER_OK && j->xfer != EV_XFER_TIMEOUT) { /* too much output */
        rep->kind = "cmd";
        rep->message = jv_string(j->xfer_msg);
        return EV_VERDICT_DONE;
    }
    if (j->xfer == EV_XFER_TIMEOUT) {
        rep->kind = "timeout";
        rep->message = jv_string(j->xfer_msg);
        return EV_VERDICT_DONE;
    }
    if (j->status != 0) {
        rep->kind = "cmd";
        rep->message = j->status > 128
                           ? jv_string_fmt("the command was killed by signal %ld", j->status - 128)
                           : jv_string_fmt("the command exited with status %ld", j->status);
        rep->outcome = j->status == 75 ? EV_RETRYABLE : EV_FAILED;
        return j->status == 75 ? EV_VERDICT_RETRY : EV_VERDICT_DONE;
    }
    size_t n = j->resp_len;
    while (n > 0 && (j->resp[n - 1] == '\n' || j->resp[n - 1] == '\r'))
        n--;
    rep->output = jv_string_sized(j->resp, (int)n);
    rep->outcome = EV_ANSWERED;
    return EV_VERDICT_DONE;
}

static enum ev_verdict
judge(void *ctx, ev_job *job)
{
    run *r = ctx;
    call_job *cj = (call_job *)job;
    enum ev_verdict v = r->cfg->req.provider == EV_CMD ? judge_cmd(r, cj) : judge_http(r, cj);
    if (r->cfg->verbose && v != EV_VERDICT_DONE)
        ev_diag_warn("%s: attempt %d: %s%s%s", cj->label, job->attempts, cj->reply.kind,
                     jv_is_valid(cj->reply.message) ? ": " : "",
                     jv_is_valid(cj->reply.message) ? jv_string_value(cj->reply.message) : "");
    return v;
}

static void
free_call(call_job *cj)
{
    free(cj->followers);
    ev_reply_free(&cj->reply);
    free(cj->job.body);
    for (int i = 0; cj->envs[i] != NULL; i++)
        free(cj->envs[i]);
    free(cj);
}

static bool
over_max_errors(const run *r)
{
    const config *c = r->cfg;
    if (!c->has_max_errors)
        return false;
    if (!c->max_errors_pct)
        return (double)r->failed > c->max_errors;
    return r->finished_calls >= 20 &&
           (double)r->failed > c->max_errors / 100.0 * (double)r->finished_calls;
}

static void
stop_run(run *r)
{
    if (r->stopping)
        return;
    r->stopping = true;
    r->grace_until = ev_clock_mono() + GRACE_SECONDS;
    ev_http_stop(r->engine);
}

/* cache_trouble stops the run, once, when the cache cannot keep answers
 * ('err', consumed, says why): every answer it lost would be paid for again
 * by the next run. The answers already received are still written, and
 * the exit status is 2. */
static void
cache_trouble(run *r, jv err)
{
    if (r->cache_failed) {
        jv_free(err);
        return;
    }
    r->cache_failed = true;
    ev_diag_warn_jv(jv_invalid_get_msg(err));
    ev_diag_warn(
        "stopping: the cache '%s' cannot keep answers, and the next run would pay again for "
        "each one it lost; free space there or make it writable, choose another cache with "
        "--cache-dir, or run with --no-cache",
        ev_cache_dir(r->cache));
    r->status = EV_EXIT_TROUBLE;
    stop_run(r);
}

static void
cache_answer(run *r, call_job *cj, jv call, jv output)
{
    if (r->cache == NULL) {
        jv_free(call);
        jv_free(output);
        return;
    }
    jv err;
    if (!ev_cache_put(r->cache, cj->key, cache_entry(call, output, cj->sample), &err))
        cache_trouble(r, err);
}

/* note_fatal reports, once, why the run stops: no request can succeed. */
static void
note_fatal(run *r, call_job *cj)
{
    if (r->fatal)
        return;
    r->fatal = true;
    r->status = EV_EXIT_TROUBLE;
    const ev_reply *rep = &cj->reply;
    const ev_job *j = &cj->job;
    const char *msg = jv_is_valid(rep->message) ? jv_string_value(rep->message) : "";
    const char *what;
    if (r->cfg->req.provider == EV_CMD)
        what = "cannot run the command";
    else if (j->xfer == EV_XFER_CONNECT)
        what = "cannot reach the server";
    else if (j->untrusted)
        what = r->cfg->cacert ? "the server's TLS certificate is not signed by the --cacert CAs"
                              : "the server's TLS certificate is not trusted (if you trust it, "
                                "name the CA that signed it with --cacert FILE)";
    else if (j->xfer != EV_XFER_OK)
        what = "cannot call the model";
    else if (rep->outcome == EV_STOP_AUTH)
        what = "the API key was refused";
    else if (rep->outcome == EV_STOP_QUOTA)
        what = "out of quota or over a spend limit";
    else if (j->status >= 300 && j->status < 400)
        what = "the base URL is not the API's";
    else
        what = "the endpoint or the model does not exist";
    if (j->xfer == EV_XFER_OK && r->cfg->req.provider != EV_CMD)
        ev_diag_warn("stopping: %s (%s HTTP %ld): %s", what, ev_provider_name(r->cfg->req.provider),
                     j->status, msg);
    else
        ev_diag_warn("stopping: %s: %s", what, msg);
    stop_run(r);
}

static jv
failure(const run *r, call_job *cj, enum ev_end end)
{
    const ev_job *j = &cj->job;
    const ev_reply *rep = &cj->reply;
    jv msg = jv_is_valid(rep->message) ? jv_copy(rep->message) : jv_string("the call failed");
    if (end == EV_END_GAVE_UP && j->retry_after > EV_MAX_RETRY_AFTER)
        msg = jv_string_concat(msg, jv_string_fmt(" (the server asked to wait %.0f s; a wait "
                                                  "over %.0f s is not retried)",
                                                  j->retry_after, EV_MAX_RETRY_AFTER));
    bool has_status = strcmp(rep->kind, "http") == 0 || strcmp(rep->kind, "parse") == 0 ||
                      strcmp(rep->kind, "cmd") == 0;
    jv err = jv_object_set(jv_object(), jv_string("kind"), jv_string(rep->kind));
    err = jv_object_set(err, jv_string("status"),
                        has_status && j->status > 0 ? jv_number((double)j->status) : jv_null());
    err = jv_object_set(err, jv_string("message"), msg);
    err = jv_object_set(err, jv_string("attempts"), jv_number(j->attempts));
    jv call = call_object(r->cfg, round_ms(j->latency_ms), jv_null(), jv_null(), jv_null(),
                          jv_null(), j->attempts, false, cj->sample);
    jv add = jv_object_set(jv_object(), jv_string("error"), err);
    return jv_object_set(add, jv_string("call"), call);
}

/* The table of calls in flight. A case whose request is identical to one
 * in flight (the same cache key) waits for its answer instead of paying for
 * it again. */

static call_job **
pending_bucket(run *r, const char *key)
{
    char head[17];
    memcpy(head, key, 16);
    head[16] = '\0';
    return &r->pending[strtoull(head, NULL, 16) & (r->npending - 1)];
}

static call_job *
pending_find(run *r, const char *key)
{
    if (r->npending == 0)
        return NULL;
    call_job *cj = *pending_bucket(r, key);
    while (cj != NULL && strcmp(cj->key, key) != 0)
        cj = cj->next_pending;
    return cj;
}

static void
pending_add(run *r, call_job *cj)
{
    if (r->npending == 0)
        return;
    call_job **b = pending_bucket(r, cj->key);
    cj->next_pending = *b;
    *b = cj;
}

static void
pending_remove(run *r, call_job *cj)
{
    if (r->npending == 0)
        return;
    for (call_job **p = pending_bucket(r, cj->key); *p != NULL; p = &(*p)->next_pending) {
        if (*p == cj) {
            *p = cj->next_pending;
            return;
        }
    }
}

static void
follow(call_job *lead, unsigned long seq, int sample_no)
{
    lead->followers = ev_alloc_resize(lead->followers, (lead->nfollowers + 1) * sizeof(follower));
    lead->followers[lead->nfollowers++] = (follower){seq, sample_no};
}

/* finish_sample counts a sample as finished, writing it now when unordered. */
static void
finish_sample(run *r, slot *s, sample *smp)
{
    s->ndone++;
    if (r->cfg->unordered && smp->state == S_DONE) {
        write_sample(r, s, smp->add);
        smp->add = jv_invalid();
    }
}

/* settle_followers gives the samples that waited on 'cj' its result
 * 'lead' (borrowed): an answer, marked as not paid for again, or the same
 * failure; nothing when the call never finished. */
static void
settle_followers(run *r, call_job *cj, const sample *lead)
{
    for (size_t i = 0; i < cj->nfollowers; i++) {
        slot *s = slot_of(r, cj->followers[i].seq);
        sample *smp = &s->s[cj->followers[i].sample];
        smp->state = lead->state;
        if (lead->state == S_DONE) {
            jv add = jv_copy(lead->add);
            if (jv_object_has(jv_copy(add), jv_string("output"))) {
                jv call = jv_object_set(ev_get(add, "call"), jv_string("cached"), jv_true());
                add = jv_object_set(add, jv_string("call"), call);
                r->answered++;
                r->cached++;
            } else {
                r->failed++;
            }
            smp->add = add;
        }
        finish_sample(r, s, smp);
    }
}

static void
done(void *ctx, ev_job *job, enum ev_end end)
{
    run *r = ctx;
    call_job *cj = (call_job *)job;
    slot *s = slot_of(r, cj->seq);
    sample *smp = &s->s[cj->sample];
    ev_reply *rep = &cj->reply;

    smp->state = S_CANCELLED;
    if (end == EV_END_STOP) {
        note_fatal(r, cj);
    } else if (end == EV_END_CANCELLED) {
        /* Not finished: not written, and called again by the next run. */
    } else if (rep->outcome == EV_ANSWERED) {
        jv call = call_object(r->cfg, round_ms(job->latency_ms), jv_copy(rep->input_tokens),
                              jv_copy(rep->output_tokens), jv_copy(rep->cached_tokens),
                              jv_copy(rep->finish_reason), job->attempts, false, cj->sample);
        note_tokens(r, call);
        cache_answer(r, cj, jv_copy(call), jv_copy(rep->output));
        jv add = jv_object_set(jv_object(), jv_string("output"), jv_copy(rep->output));
        smp->add = jv_object_set(add, jv_string("call"), call);
        smp->state = S_DONE;
        r->answered++;
        r->finished_calls++;
    } else if (end == EV_END_GAVE_UP && job->xfer == EV_XFER_CONNECT && r->answered == 0) {
        /* Not one answer yet, and the server cannot be reached even after
         * the retries: it is down or the URL is wrong, for every case. */
        note_fatal(r, cj);
    } else {
        smp->add = failure(r, cj, end);
        smp->state = S_DONE;
        r->failed++;
        r->finished_calls++;
        if (!r->max_errors_hit && over_max_errors(r)) {
            r->max_errors_hit = true;
            ev_diag_warn("stopping: %lu of %lu calls failed, more than --max-errors allows",
                         r->failed, r->finished_calls);
            stop_run(r);
        }
    }
    if (cj->claim >= 0) /* the answer is stored, or the call failed */
        ev_cache_unclaim(r->cache, cj->key, cj->claim);
    pending_remove(r, cj);
    settle_followers(r, cj, smp);
    finish_sample(r, s, smp);
    free_call(cj);
}

/* Reading records, in a thread of their own so that a slow producer upstream
 * never stalls the calls in flight. */

static void *
reader_main(void *arg)
{
    reader *rd = arg;
    ev_alloc_thread_init(); /* jq runs out of memory as ev does here too */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    for (;;) {
        pthread_mutex_lock(&rd->mu);
        while (rd->count == QUEUE_CAP && !rd->stop)
            pthread_cond_wait(&rd->space, &rd->mu);
        bool stop = rd->stop;
        pthread_mutex_unlock(&rd->mu);
        if (stop)
            break;
        item it = {.rec = jv_invalid()};
        it.rc = ev_jsonl_next(&rd->r, &it.rec);
        if (it.rc == EV_JSONL_OK) {
            size_t len;
            const char *raw = ev_jsonl_raw(&rd->r, &len);
            it.raw = ev_alloc(len + 1);
            memcpy(it.raw, raw, len + 1);
            it.len = len;
            it.name = rd->r.name;
            it.line = rd->r.line;
        }
        pthread_mutex_lock(&rd->mu);
        if (rd->stop) {
            pthread_mutex_unlock(&rd->mu);
            jv_free(it.rec);
            free(it.raw);
            break;
        }
        bool was_empty = rd->count == 0;
        rd->q[(rd->head + rd->count) % QUEUE_CAP] = it;
        rd->count++;
        pthread_mutex_unlock(&rd->mu);
        if (was_empty)
            ev_http_wakeup(rd->engine);
        if (it.rc == EV_JSONL_EOF)
            break;
    }
    pthread_mutex_lock(&rd->mu);
    rd->finished = true;
    pthread_mutex_unlock(&rd->mu);
    return NULL;
}

static bool
reader_pop(reader *rd, item *it)
{
    pthread_mutex_lock(&rd->mu);
    bool got = rd->count > 0;
    if (got) {
        *it = rd->q[rd->head];
        rd->head = (rd->head + 1) % QUEUE_CAP;
        rd->count--;
        pthread_cond_signal(&rd->space);
    }
    pthread_mutex_unlock(&rd->mu);
    return got;
}

static bool
reader_has_items(reader *rd)
{
    pthread_mutex_lock(&rd->mu);
    bool yes = rd->count > 0;
    pthread_mutex_unlock(&rd->mu);
    return yes;
}

static void
reader_start(reader *rd, char **paths, int n, ev_http *engine)
{
    pthread_mutex_init(&rd->mu, NULL);
    pthread_cond_init(&rd->space, NULL);
    ev_jsonl_init(&rd->r, paths, n, NULL);
    rd->engine = engine;
    int rc = pthread_create(&rd->tid, NULL, reader_main, rd);
    if (rc != 0)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot start a thread: %s", strerror(rc));
    rd->started = true;
}

static void
reader_stop(reader *rd)
{
    if (!rd->started)
        return;
    pthread_mutex_lock(&rd->mu);
    rd->stop = true;
    pthread_cond_broadcast(&rd->space);
    pthread_mutex_unlock(&rd->mu);
    for (;;) {
        pthread_mutex_lock(&rd->mu);
        bool fin = rd->finished;
        pthread_mutex_unlock(&rd->mu);
        if (fin)
            break;
        /* Interrupt a read blocked on a pipe or terminal. */
        pthread_kill(rd->tid, SIGUSR1);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    pthread_join(rd->tid, NULL);
    while (rd->count > 0) {
        item *it = &rd->q[rd->head];
        jv_free(it->rec);
        free(it->raw);
        rd->head = (rd->head + 1) % QUEUE_CAP;
        rd->count--;
    }
    ev_jsonl_free(&rd->r);
    pthread_cond_destroy(&rd->space);
    pthread_mutex_destroy(&rd->mu);
}

/* Turning records into calls. */

static bool
has_old_fields(jv rec)
{
    static const char *const names[] = {"output", "call", "error"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (jv_object_has(jv_copy(rec), jv_string(names[i])))
            return true;
    return false;
}

/* make_label names a case in log lines: its id, or its position. */
static void
make_label(char *buf, size_t size, jv rec, const char *name, unsigned long line, int sample_no)
{
    jv id = ev_get(rec, "id");
    int n;
    if (jv_get_kind(id) == JV_KIND_STRING)
        n = snprintf(buf, size, "'%.60s'", jv_string_value(id));
    else if (jv_get_kind(id) == JV_KIND_NUMBER)
        n = snprintf(buf, size, "'%.17g'", jv_number_value(id));
    else
        n = snprintf(buf, size, "%.60s:%lu", name, line);
    jv_free(id);
    if (sample_no > 0 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " sample %d", sample_no);
}

/* stdin_of returns the standard input of a cmd call: the prompt and a
 * newline, from the body (borrowed). */
static char *
stdin_of(jv body, size_t *len)
{
    jv in = ev_get(body, "input");
    const char *s = jv_string_value(in);
    size_t n = strlen(s);
    char *p = ev_alloc(n + 2);
    memcpy(p, s, n);
    p[n] = '\n';
    p[n + 1] = '\0';
    *len = n + 1;
    jv_free(in);
    return p;
}

static char *
env_entry(const char *name, const char *value)
{
    jv e = jv_string_fmt("%s=%s", name, value);
    char *s = ev_alloc_strdup(jv_string_value(e));
    jv_free(e);
    return s;
}

static void
set_cmd_env(call_job *cj, const config *c, jv rec)
{
    int n = 0;
    jv id = ev_record_id(rec);
    if (jv_is_valid(id))
        cj->envs[n++] = env_entry("EV_ID", jv_string_value(id));
    jv_free(id);
    char num[24];
    snprintf(num, sizeof(num), "%d", cj->sample);
    cj->envs[n++] = env_entry("EV_SAMPLE", num);
    if (c->req.model != NULL)
        cj->envs[n++] = env_entry("EV_MODEL", c->req.model);
    if (c->system != NULL)
        cj->envs[n++] = env_entry("EV_SYSTEM", c->system);
    cj->envs[n] = NULL;
    cj->job.env = cj->envs;
}

static void
submit_call(run *r, const want *w, int claim)
{
    const config *c = r->cfg;
    call_job *cj = ev_alloc_zero(1, sizeof(*cj));
    const char *text = jv_string_value(w->text);
    size_t len = strlen(text);
    cj->seq = w->seq;
    cj->sample = w->sample;
    cj->claim = claim;
    memcpy(cj->key, w->key, sizeof(cj->key));
    ev_reply_init(&cj->reply);
    make_label(cj->label, sizeof(cj->label), w->rec, w->name, w->line, w->sample);
    cj->job.label = cj->label;
    cj->job.user = cj;
    if (c->req.provider == EV_CMD) {
        cj->job.body = stdin_of(w->body, &cj->job.len);
        set_cmd_env(cj, c, w->rec);
    } else {
        cj->job.body = ev_alloc(len + 1);
        memcpy(cj->job.body, text, len + 1);
        cj->job.len = len;
    }
    cj->job.cost = estimate_tokens(c, len);
    pending_add(r, cj);
    ev_http_submit(r->engine, &cj->job);
}

static void
free_want(want *w)
{
    jv_free(w->rec);
    jv_free(w->body);
    jv_free(w->text);
}

/* answer_cached answers sample 'w' from the cache when it has a good entry,
 * and reports a bad one, once. */
static bool
answer_cached(run *r, want *w)
{
    jv entry = ev_cache_get(r->cache, w->key);
    if (!jv_is_valid(entry)) {
        jv msg = jv_invalid_get_msg(entry);
        if (jv_get_kind(msg) == JV_KIND_STRING && !w->warned) {
            w->warned = true;
            ev_diag_warn_jv(msg);
        } else {
            jv_free(msg);
        }
        return false;
    }
    slot *s = slot_of(r, w->seq);
    sample *smp = &s->s[w->sample];
    smp->add = from_cache(r->cfg, entry, w->sample, true);
    smp->state = S_DONE;
    r->cached++;
    r->answered++;
    finish_sample(r, s, smp);
    return true;
}

/* note_wait says, once, that another run is fetching answers this one
 * needs; with -v, for each sample. */
static void
note_wait(run *r, want *w)
{
    const config *c = r->cfg;
    if (w->waited)
        return;
    w->waited = true;
    if (c->verbose) {
        char label[96];
        make_label(label, sizeof(label), w->rec, w->name, w->line, w->sample);
        ev_diag_warn("%s: another ev-call is fetching this answer; waiting for it", label);
    } else if (!c->quiet && !r->wait_noted) {
        ev_diag_warn(
            "another ev-call is fetching some of these answers into the cache '%s'; waiting "
            "for them rather than paying twice",
            ev_cache_dir(r->cache));
    }
    r->wait_noted = true;
}

/* How take_sample left a sample. */
enum take {
    TAKEN,   /* answered from the cache, joined to a call, or sent */
    BUSY,    /* another run holds its claim: it waits for that run */
    NO_ROOM, /* the engine has no room to start its call yet */
};

/* room says whether the engine can start another call now. */
static bool
room(const run *r)
{
    ev_http_stats st;
    ev_http_get_stats(r->engine, &st);
    return (size_t)st.in_flight + st.fresh < (size_t)st.cap;
}

/* take_sample sets sample 'w' on its way: answered from the cache, joined
 * to a call in flight for the same request, or sent, once the engine has
 * room and its key is claimed. With --refresh the cache is not read, except
 * for an answer another run fetched while this one waited. */
static enum take
take_sample(run *r, want *w)
{
    call_job *lead = pending_find(r, w->key);
    if (lead != NULL) {
        follow(lead, w->seq, w->sample);
        return TAKEN;
    }
    bool look = r->cache != NULL && (!r->cfg->refresh || w->waited);
    if (look && answer_cached(r, w))
        return TAKEN;
    if (!room(r))
        return NO_ROOM;
    int claim = -1;
    if (r->cache != NULL) {
        jv err;
        switch (ev_cache_claim(r->cache, w->key, &claim, &err)) {
        case EV_CACHE_BUSY:
            note_wait(r, w);
            return BUSY;
        case EV_CACHE_FAILED:
            cache_trouble(r, err); /* not sent: its answer could not be kept */
            return TAKEN;
        case EV_CACHE_CLAIMED:
            break;
        }
        /* Another run may have stored it and let go of its claim between
         * the look and the claim. */
        if (look && answer_cached(r, w)) {
            ev_cache_unclaim(r->cache, w->key, claim);
            return TAKEN;
        }
    }
    submit_call(r, w, claim);
    return TAKEN;
}

static void
add_waiting(run *r, const want *w)
{
    if (r->nwaiting == r->capwaiting) {
        r->capwaiting = r->capwaiting ? 2 * r->capwaiting : 16;
        r->waiting = ev_alloc_resize(r->waiting, r->capwaiting * sizeof(*r->waiting));
    }
    r->waiting[r->nwaiting++] = *w;
}

/* start_calls takes the samples of the ready queue, in order, while the
 * engine has room for their calls. */
static void
start_calls(run *r)
{
    while (r->nready > 0 && !r->stopping) {
        want *w = &r->ready[r->readyhead];
        enum take t = take_sample(r, w);
        if (t == NO_ROOM)
            break;
        if (t == BUSY)
            add_waiting(r, w);
        else
            free_want(w);
        r->readyhead = (r->readyhead + 1) % r->capready;
        r->nready--;
    }
}

/* look_again takes again the samples that wait for another run. */
static void
look_again(run *r)
{
    size_t i = 0;
    while (i < r->nwaiting && !r->stopping) {
        if (take_sample(r, &r->waiting[i]) != TAKEN) {
            i++;
            continue;
        }
        free_want(&r->waiting[i]);
        r->waiting[i] = r->waiting[--r->nwaiting];
    }
}

/* stop_waiting drops the samples not yet sent, when the run stops: like
 * cases not yet tried, they are not written, and the next run asks for
 * them. */
static void
stop_waiting(run *r)
{
    for (size_t i = 0; i < r->nwaiting; i++)
        free_want(&r->waiting[i]);
    r->nwaiting = 0;
    for (; r->nready > 0; r->nready--) {
        free_want(&r->ready[r->readyhead]);
        r->readyhead = (r->readyhead + 1) % r->capready;
    }
}

/* process_record puts a case in the window, and its samples in the ready
 * queue. A record that cannot make a prompt is reported. */
static void
process_record(run *r, item *it)
{
    const config *c = r->cfg;
    jv rec = it->rec;
    jv msgs = build_prompt(c, rec);
    jv body0 = jv_is_valid(msgs) ? ev_request_body(&c->req, jv_copy(msgs), 0) : jv_copy(msgs);
    if (!jv_is_valid(body0)) {
        jv m = jv_invalid_get_msg(body0);
        ev_diag_warn("%s:%lu: %s", it->name, it->line,
                     jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m)
                                                      : "cannot build a prompt");
        jv_free(m);
        jv_free(msgs);
        jv_free(rec);
        free(it->raw);
        r->status = EV_EXIT_TROUBLE;
        return;
    }
    unsigned long seq = r->tail++;
    slot *s = slot_of(r, seq);
    s->raw = it->raw;
    s->len = it->len;
    s->replace = has_old_fields(rec);
    s->used = true;
    s->ndone = 0;
    const char *provider = ev_provider_name(c->req.provider);
    for (int k = 0; k < c->repeat; k++) {
        want *w = &r->ready[(r->readyhead + r->nready++) % r->capready];
        *w = (want){.seq = seq, .sample = k, .name = it->name, .line = it->line};
        w->body = k == 0 ? body0 : ev_request_body(&c->req, jv_copy(msgs), k);
        w->text = jv_dump_string(jv_copy(w->body), 0);
        w->rec = jv_copy(rec);
        const char *t = jv_string_value(w->text);
        ev_cache_key(provider, c->base, k, t, strlen(t), w->key);
    }
    jv_free(msgs);
    jv_free(rec);
}

/* Progress and summary. */

static void
human(char *buf, size_t size, double n)
{
    if (n >= 1e6)
        snprintf(buf, size, "%.1fM", n / 1e6);
    else if (n >= 1e4)
        snprintf(buf, size, "%.1fk", n / 1e3);
    else
        snprintf(buf, size, "%.0f", n);
}

static void
duration(char *buf, size_t size, double s)
{
    long t = lround(s);
    if (t >= 3600)
        snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, size, "%lds", t);
}

static void
draw_progress(run *r, bool force)
{
    if (!r->progress)
        return;
    double now = ev_clock_mono();
    if (!force && now - r->last_draw < 0.25)
        return;
    r->last_draw = now;
    ev_http_stats st;
    ev_http_get_stats(r->engine, &st);
    unsigned long done_calls = r->answered + r->failed;
    unsigned long total = r->total_cases * (unsigned long)r->cfg->repeat;
    double elapsed = now - r->started, rate = elapsed > 0 ? done_calls / elapsed : 0;
    char line[256], a[16], b[16], eta[48] = "";
    int n;
    if (total >= done_calls && total > 0) {
        if (rate > 0 && done_calls > 0) {
            char d[32];
            duration(d, sizeof(d), (double)(total - done_calls) / rate);
            snprintf(eta, sizeof(eta), " ETA %s", d);
        }
        n = snprintf(line, sizeof(line), "%lu/%lu (%.0f%%) %.1f/s%s", done_calls, total,
                     100.0 * (double)done_calls / (double)total, rate, eta);
    } else {
        n = snprintf(line, sizeof(line), "%lu done %.1f/s", done_calls, rate);
    }
    human(a, sizeof(a), r->tokens_in);
    human(b, sizeof(b), r->tokens_out);
    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  " | %d in flight, %lu retries, %lu failed, %lu cached | tokens %s in %s out",
                  st.in_flight, st.retries, r->failed, r->cached, a, b);
    if (st.paused > 0 && (size_t)n < sizeof(line))
        snprintf(line + n, sizeof(line) - (size_t)n, " | rate limited %.0fs", ceil(st.paused));
    struct winsize ws;
    int width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
    fprintf(stderr, "\rev-call: %.*s\033[K", width - 10, line);
    fflush(stderr);
    r->drew = true;
}

static void
clear_progress(run *r)
{
    if (r->drew)
        fputs("\r\033[K", stderr);
    r->drew = false;
}

static void
summary(run *r)
{
    ev_http_stats st;
    ev_http_get_stats(r->engine, &st);
    unsigned long calls = r->answered + r->failed;
    ev_diag_warn("%lu call%s: %lu answered (%lu from the cache), %lu failed; %lu request%s, %lu "
                 "retr%s, %lu rate limited; tokens %.0f in, %.0f out; %.1f s",
                 calls, calls == 1 ? "" : "s", r->answered, r->cached, r->failed, st.attempts,
                 st.attempts == 1 ? "" : "s", st.retries, st.retries == 1 ? "y" : "ies",
                 st.rate_limited, r->tokens_in, r->tokens_out, ev_clock_mono() - r->started);
    if (r->interrupted)
        ev_diag_warn("interrupted: the answers received are cached; run again to finish");
}

/* count_lines counts the lines of the operands when all are regular files,
 * for the progress total; 0 when unknown. */
static unsigned long
count_lines(char **paths, int n)
{
    unsigned long lines = 0;
    static char buf[1 << 16];
    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        const char *p = n > 0 ? paths[i] : "-";
        int fd = strcmp(p, "-") == 0 ? STDIN_FILENO : open(p, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        off_t off = 0;
        ssize_t got;
        char last = '\n';
        while (regular && (got = pread(fd, buf, sizeof(buf), off)) > 0) {
            for (char *q = buf; (q = memchr(q, '\n', (size_t)(buf + got - q))) != NULL; q++)
                lines++;
            last = buf[got - 1];
            off += got;
        }
        lines += last != '\n';
        if (fd != STDIN_FILENO)
            close(fd);
        if (!regular)
            return 0;
    }
    return lines;
}

/* The run. */

static void
log_line(void *ctx, const char *line)
{
    (void)ctx;
    ev_diag_warn("%s", line);
}

static void
call_all(run *r, reader *rd)
{
    for (;;) {
        while (!r->stopping && !r->input_done && r->tail - r->head < r->wcap) {
            item it;
            if (!reader_pop(rd, &it))
                break;
            if (it.rc == EV_JSONL_EOF) {
                r->input_done = true;
            } else if (it.rc == EV_JSONL_BAD) {
                ev_diag_warn_jv(it.rec);
                r->status = EV_EXIT_TROUBLE;
            } else {
                process_record(r, &it);
            }
        }
        start_calls(r);
        double now = ev_clock_mono();
        if (r->nwaiting > 0 && !r->stopping && now >= r->next_look) {
            look_again(r);
            r->next_look = now + CLAIM_POLL_MS / 1000.0;
        }
        flush_window(r, false);
        if (signals_seen > 0 && !r->interrupted) {
            r->interrupted = true;
            stop_run(r);
        }
        if (r->stopping)
            stop_waiting(r);
        if ((r->input_done || r->stopping) && ev_http_pending(r->engine) == 0 &&
            r->nready + r->nwaiting == 0)
            break;
        if (r->stopping && now >= r->grace_until) {
            ev_http_abort(r->engine);
            continue;
        }
        long wait = r->progress ? 250 : 1000;
        if (!r->stopping && !r->input_done && r->tail - r->head < r->wcap && reader_has_items(rd))
            wait = 0; /* the window has room again for what is already read */
        if (r->stopping && (r->grace_until - now) * 1000 < wait)
            wait = (long)ceil((r->grace_until - now) * 1000);
        if (r->nwaiting > 0 && wait > CLAIM_POLL_MS)
            wait = CLAIM_POLL_MS;
        if (r->wrote && !r->out_broken) {
            fflush(stdout);
            check_output(r);
            r->wrote = false;
        }
        if (ev_http_run(r->engine, wait) < 0) {
            ev_diag_warn("cannot wait for the network: %s", strerror(errno));
            r->status = EV_EXIT_TROUBLE;
            ev_http_abort(r->engine);
        }
        drain_wake_pipe();
        draw_progress(r, false);
    }
    flush_window(r, true);
}

static int
exit_status(const run *r)
{
    if (r->interrupted)
        return EV_EXIT_INTR;
    if (r->status != EV_EXIT_OK)
        return r->status;
    if (r->failed > 0 || r->max_errors_hit)
        return EV_EXIT_CALLS;
    return EV_EXIT_OK;
}

/* dry_run prints each request that would be sent, and sends nothing. */
static int
dry_run(const config *c, ev_cache *cache, char **paths, int n)
{
    ev_jsonl_reader rd;
    jv rec;
    int rc, status = EV_EXIT_OK;
    jv headers = c->req.provider == EV_CMD ? jv_null() : redacted_headers(c);
    ev_jsonl_init(&rd, paths, n, stdout);
    while ((rc = ev_jsonl_next(&rd, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        jv msgs = build_prompt(c, rec);
        for (long k = 0; k < c->repeat; k++) {
            jv body =
                jv_is_valid(msgs) ? ev_request_body(&c->req, jv_copy(msgs), (int)k) : jv_copy(msgs);
            if (!jv_is_valid(body)) {
                jv m = jv_invalid_get_msg(body);
                jv where = ev_jsonl_where(&rd);
                ev_diag_warn("%s: %s", jv_string_value(where),
                             jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m)
                                                              : "cannot build a prompt");
                jv_free(where);
                jv_free(m);
                status = EV_EXIT_TROUBLE;
                break;
            }
            jv text = jv_dump_string(jv_copy(body), 0);
            char key[EV_CACHE_KEY_LEN + 1];
            ev_cache_key(ev_provider_name(c->req.provider), c->base, (int)k, jv_string_value(text),
                         strlen(jv_string_value(text)), key);
            jv_free(text);
            jv id = ev_record_id(rec);
            jv o = jv_object_set(jv_object(), jv_string("id"),
                                 jv_is_valid(id) ? id : (jv_free(id), jv_null()));
            o = jv_object_set(o, jv_string("sample"), jv_number((double)k));
            if (c->req.provider == EV_CMD) {
                size_t len;
                char *in = stdin_of(body, &len);
                o = jv_object_set(o, jv_string("command"), jv_string(c->req.command));
                o = jv_object_set(o, jv_string("stdin"), jv_string_sized(in, (int)len));
                free(in);
                jv_free(body);
            } else {
                o = jv_object_set(o, jv_string("url"), jv_string(c->url));
                o = jv_object_set(o, jv_string("headers"), jv_copy(headers));
                o = jv_object_set(o, jv_string("body"), body);
            }
            o = jv_object_set(o, jv_string("cache_key"), jv_string(key));
            o = jv_object_set(o, jv_string("cached"),
                              jv_bool(cache != NULL && !c->refresh && ev_cache_has(cache, key)));
            if (ev_jsonl_write(stdout, o) != 0)
                break;
        }
        jv_free(msgs);
        jv_free(rec);
        if (ferror(stdout))
            break;
        if (signals_seen > 0) {
            status = EV_EXIT_INTR;
            break;
        }
    }
    ev_jsonl_free(&rd);
    jv_free(headers);
    return status;
}

/* Batch mode (--batch).
 *
 * Every case is read first. The samples the cache cannot answer go to the
 * provider's batch API (lib/batch.h), in as many batches as its limits
 * need, each request named by a custom_id made from the case's id and
 * sample. What was submitted, and the provider's ids, is kept next to the
 * cache (ev_cache_state_put) before the first upload and after each step,
 * under a name that is a hash of every request of the run; the same
 * command finds it again and polls the same batches, so a killed run never
 * pays twice. Answers are cached as they are fetched, marked with the
 * batch's id, and the records are written at the end, in input order. */

typedef struct bcase {
    char *raw; /* the record's text, as read */
    size_t len;
    bool replace;
    char *keys; /* [repeat] cache keys, EV_CACHE_KEY_LEN + 1 bytes each */
} bcase;

typedef struct brun {
    config *cfg;
    ev_cache *cache;
    ev_ftapi *api;
    bcase *cases;
    size_t ncases, cap;
    jv todo;    /* cache key -> {body, sample, id}: the requests the cache lacks */
    jv state;   /* what is kept next to the cache */
    jv answers; /* cache key -> cache entry: answers fetched by this run */
    jv errors;  /* cache key -> error object: requests that failed */
    char name[EV_CACHE_KEY_LEN + 1];
    int status;
    bool interrupted, progress, drew, fatal;
    bool cache_failed; /* an answer fetched could not be cached */
    int claim;         /* of the state (ev_cache_state_claim), or -1 */
    double started;
    unsigned long answered, cached, failed;
    double tokens_in, tokens_out;
    jv last_note; /* the progress line last printed, when not a terminal */
} brun;

static char *
bkey(const brun *b, size_t i, long k)
{
    return b->cases[i].keys + (size_t)k * (EV_CACHE_KEY_LEN + 1);
}

/* bsleep waits 's' seconds, or less when a signal comes; false then. */
static bool
bsleep(double s)
{
    double until = ev_clock_mono() + s;
    while (signals_seen == 0) {
        double left = until - ev_clock_mono();
        if (left <= 0)
            return true;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return false;
}

static jv
now_text(void)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return jv_string(when);
}

/* rfc3339 reads the seconds of a time (consumed) such as
 * 2024-09-24T18:37:24.100Z; NAN when it is not one. */
static double
rfc3339(jv t)
{
    struct tm tm = {0};
    double s = NAN;
    if (jv_get_kind(t) == JV_KIND_STRING &&
        strptime(jv_string_value(t), "%Y-%m-%dT%H:%M:%S", &tm) != NULL)
        s = (double)timegm(&tm);
    jv_free(t);
    return s;
}

static void
save_state(brun *b)
{
    jv err;
    if (!ev_cache_state_put(b->cache, b->name, jv_copy(b->state), &err)) {
        /* Without it a killed run cannot find its batch again: stop now,
         * before anything more is paid for. */
        jv m = jv_invalid_get_msg(err);
        ev_diag_die(EV_EXIT_TROUBLE, "%s; the batch's state must be kept to resume it",
                    jv_string_value(m));
    }
}

/* api_try says whether a failed request is worth another try after a
 * wait, and waits; it reports the failure when not. */
static bool
api_try(brun *b, jv *out, const ev_ftapi_result *res, int *attempt)
{
    if (jv_is_valid(*out))
        return false;
    if (res->fail == EV_FTAPI_INTERRUPTED || signals_seen > 0) {
        b->interrupted = true;
        return false;
    }
    if (ev_ftapi_transient(res) && *attempt < b->cfg->retries) {
        double wait = 0.5 * (double)(1L << (*attempt < 6 ? *attempt : 6));
        (*attempt)++;
        if (b->cfg->verbose) {
            jv m = jv_invalid_get_msg(jv_copy(*out));
            ev_diag_warn("%s; again in %.1f s", jv_string_value(m), wait);
            jv_free(m);
        }
        if (!bsleep(wait)) {
            b->interrupted = true;
            return false; /* '*out' is still the caller's to report or free */
        }
        jv_free(*out);
        return true;
    }
    return false;
}

/* api_fail reports a request that failed for good and stops the run. */
static void
api_fail(brun *b, jv out)
{
    if (!b->interrupted) {
        ev_diag_warn_jv(jv_invalid_get_msg(out));
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
    } else {
        jv_free(out);
    }
}

static jv
bget(brun *b, const char *path, const char *what)
{
    ev_ftapi_result res;
    int attempt = 0;
    jv out;
    do
        out = ev_ftapi_get(b->api, path, what, &res);
    while (api_try(b, &out, &res, &attempt));
    return out;
}

/* Reading the cases. */

/* in_cache says whether the cache has a good entry for 'key', and reports
 * a bad one. */
static bool
in_cache(ev_cache *cache, const char *key)
{
    jv entry = ev_cache_get(cache, key);
    bool yes = jv_is_valid(entry);
    jv msg = yes ? jv_null() : jv_invalid_get_msg(jv_copy(entry));
    if (jv_get_kind(msg) == JV_KIND_STRING)
        ev_diag_warn_jv(msg);
    else
        jv_free(msg);
    jv_free(entry);
    return yes;
}

static void
read_cases(brun *b, char **paths, int n)
{
    const config *c = b->cfg;
    const char *provider = ev_provider_name(c->req.provider);
    ev_jsonl_reader rd;
    jv rec;
    int rc;
    ev_jsonl_init(&rd, paths, n, NULL);
    while ((rc = ev_jsonl_next(&rd, &rec)) != EV_JSONL_EOF && signals_seen == 0) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            b->status = EV_EXIT_TROUBLE;
            continue;
        }
        jv msgs = build_prompt(c, rec);
        jv body0 = jv_is_valid(msgs) ? ev_request_body(&c->req, jv_copy(msgs), 0) : jv_copy(msgs);
        if (!jv_is_valid(body0)) {
            jv m = jv_invalid_get_msg(body0), where = ev_jsonl_where(&rd);
            ev_diag_warn("%s: %s", jv_string_value(where),
                         jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m)
                                                          : "cannot build a prompt");
            jv_free(where);
            jv_free(m);
            jv_free(msgs);
            jv_free(rec);
            b->status = EV_EXIT_TROUBLE;
            continue;
        }
        if (b->ncases == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 256;
            b->cases = ev_alloc_resize(b->cases, b->cap * sizeof(*b->cases));
        }
        bcase *bc = &b->cases[b->ncases++];
        size_t len;
        const char *raw = ev_jsonl_raw(&rd, &len);
        bc->raw = ev_alloc_zero(len + 1, 1);
        memcpy(bc->raw, raw, len);
        bc->len = len;
        bc->replace = has_old_fields(rec);
        bc->keys = ev_alloc_zero((size_t)c->repeat, EV_CACHE_KEY_LEN + 1);
        jv id = ev_record_id(rec);
        for (int k = 0; k < c->repeat; k++) {
            jv body = k == 0 ? body0 : ev_request_body(&c->req, jv_copy(msgs), k);
            jv text = jv_dump_string(body, 0);
            const char *t = jv_string_value(text);
            char *key = bkey(b, b->ncases - 1, k);
            ev_cache_key(provider, c->base, k, t, strlen(t), key);
            if ((c->refresh || !in_cache(b->cache, key)) &&
                !jv_object_has(jv_copy(b->todo), jv_string(key))) {
                jv r = jv_object_set(jv_object(), jv_string("body"), jv_copy(text));
                r = jv_object_set(r, jv_string("sample"), jv_number(k));
                r = jv_object_set(r, jv_string("id"), jv_copy(id));
                b->todo = jv_object_set(b->todo, jv_string(key), r);
            }
            jv_free(text);
        }
        jv_free(id);
        jv_free(msgs);
        jv_free(rec);
    }
    ev_jsonl_free(&rd);
    if (signals_seen > 0)
        b->interrupted = true;
}

/* run_name names the run's state: a hash of every request of the run, in
 * order, whether the cache has its answer or not. */
static void
run_name(brun *b)
{
    const config *c = b->cfg;
    size_t n = b->ncases * (size_t)c->repeat * EV_CACHE_KEY_LEN;
    char *all = ev_alloc_zero(n + 1, 1), *p = all;
    for (size_t i = 0; i < b->ncases; i++)
        for (long k = 0; k < c->repeat; k++, p += EV_CACHE_KEY_LEN)
            memcpy(p, bkey(b, i, k), EV_CACHE_KEY_LEN);
    char what[64];
    snprintf(what, sizeof(what), "batch %s", ev_provider_name(c->req.provider));
    ev_cache_key(what, c->base, 0, all, n, b->name);
    free(all);
}

/* claim_state claims the run's state, so that no other run submits its
 * batches too, waiting while another run of the same cases holds it; then
 * the requests that run has answered meanwhile are dropped. False when it
 * cannot be claimed, or when interrupted. */
static bool
claim_state(brun *b)
{
    bool waited = false;
    for (;;) {
        jv err;
        enum ev_cache_claim got = ev_cache_state_claim(b->cache, b->name, &b->claim, &err);
        if (got == EV_CACHE_CLAIMED)
            break;
        if (got == EV_CACHE_FAILED) {
            ev_diag_warn_jv(jv_invalid_get_msg(err));
            b->fatal = true;
            b->status = EV_EXIT_TROUBLE;
            return false;
        }
        if (!waited && !b->cfg->quiet)
            ev_diag_warn("another ev-call is running the batches of these cases (state %s/batches/"
                         "%s.json); waiting for it to finish",
                         ev_cache_dir(b->cache), b->name);
        waited = true;
        if (!bsleep(STATE_POLL)) {
            b->interrupted = true;
            return false;
        }
    }
    if (waited && !b->cfg->refresh) {
        jv keys = jv_keys(jv_copy(b->todo));
        jv_array_foreach(keys, i, key)
        {
            if (ev_cache_has(b->cache, jv_string_value(key)))
                b->todo = jv_object_delete(b->todo, key);
            else
                jv_free(key);
        }
        jv_free(keys);
    }
    return true;
}

/* Planning the batches. */

/* sound_part says whether 'part' (borrowed), of a state read back, has the
 * shape this ev-call writes: 'ids' maps each custom_id to a cache key and a
 * sample number of this run, and 'errors' is an object. */
static bool
sound_part(jv part, long repeat)
{
    jv ids = ev_get(part, "ids"), errs = ev_get(part, "errors");
    bool ok = jv_get_kind(ids) == JV_KIND_OBJECT && jv_get_kind(errs) == JV_KIND_OBJECT;
    jv_free(errs);
    if (!ok) {
        jv_free(ids);
        return false;
    }
    jv_object_foreach(ids, cid, v)
    {
        bool good = jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 2;
        if (good) {
            jv key = jv_array_get(jv_copy(v), 0), smp = jv_array_get(jv_copy(v), 1);
            double k = jv_get_kind(smp) == JV_KIND_NUMBER ? jv_number_value(smp) : -1;
            good = jv_get_kind(key) == JV_KIND_STRING &&
                   jv_string_length_bytes(jv_copy(key)) == EV_CACHE_KEY_LEN &&
                   strspn(jv_string_value(key), "0123456789abcdef") == EV_CACHE_KEY_LEN && k >= 0 &&
                   k < (double)repeat && k == floor(k);
            jv_free(key);
            jv_free(smp);
        }
        ok = ok && good;
        jv_free(cid);
        jv_free(v);
    }
    jv_free(ids);
    return ok;
}

static jv
new_part(void)
{
    jv p = jv_object_set(jv_object(), jv_string("ids"), jv_object());
    p = jv_object_set(p, jv_string("file"), jv_null());
    p = jv_object_set(p, jv_string("batch"), jv_null());
    p = jv_object_set(p, jv_string("submitted"), jv_null());
    p = jv_object_set(p, jv_string("done"), jv_false());
    return jv_object_set(p, jv_string("errors"), jv_object());
}

static bool
is_null(jv v)
{
    bool n = jv_get_kind(v) == JV_KIND_NULL || !jv_is_valid(v);
    jv_free(v);
    return n;
}

/* plan_parts keeps the parts of an earlier run that reached the provider,
 * and puts every request no kept part holds into new parts, within the
 * provider's limits (or --batch-size). */
static void
plan_parts(brun *b)
{
    const config *c = b->cfg;
    jv old = ev_cache_state_get(b->cache, b->name);
    if (!jv_is_valid(old) && jv_invalid_has_msg(jv_copy(old))) {
        jv m = jv_invalid_get_msg(old);
        ev_diag_die(EV_EXIT_TROUBLE, "%s; it may name batches already paid for, so nothing is sent",
                    jv_string_value(m));
    }
    jv kept = jv_array(), held = jv_object();
    jv oldparts = ev_get(old, "parts");
    if (jv_get_kind(oldparts) != JV_KIND_ARRAY) {
        jv_free(oldparts);
        oldparts = jv_array();
    }
    jv_array_foreach(oldparts, i, part)
    {
        if (!sound_part(part, c->repeat))
            ev_diag_die(EV_EXIT_TROUBLE,
                        "%s/batches/%s.json: part %d is not a batch's state; it was not written by "
                        "this ev-call (removing it submits the requests again)",
                        ev_cache_dir(b->cache), b->name, i + 1);
        if (is_null(ev_get(part, "file")) && is_null(ev_get(part, "batch")) &&
            is_null(ev_get(part, "submitted"))) {
            jv_free(part); /* nothing of it reached the provider */
            continue;
        }
        jv ids = ev_get(part, "ids");
        jv_object_foreach(ids, cid, v)
        {
            held = jv_object_set(held, jv_array_get(v, 0), jv_true());
            jv_free(cid);
        }
        jv_free(ids);
        kept = jv_array_append(kept, part);
    }
    jv_free(oldparts);
    jv_free(old);
    size_t nkept = (size_t)jv_array_length(jv_copy(kept));
    if (nkept > 0 && !c->quiet)
        ev_diag_warn("found %zu batch%s of an earlier run of these cases; collecting %s", nkept,
                     nkept == 1 ? "" : "es", nkept == 1 ? "it" : "them");

    ev_batch_limits lim = ev_batch_limits_of(c->req.provider);
    if (c->batch_size > 0)
        lim.requests = (size_t)c->batch_size;
    jv part = jv_invalid(), ids = jv_object(), used = jv_object();
    size_t count = 0, bytes = 0;
    jv_object_foreach(b->todo, key, r)
    {
        if (jv_object_has(jv_copy(held), jv_copy(key))) {
            jv_free(key);
            jv_free(r);
            continue;
        }
        jv id = ev_get(r, "id"), smp = ev_get(r, "sample"), body = ev_get(r, "body");
        int k = (int)jv_number_value(smp);
        jv cid = ev_batch_custom_id(b->name, id, k, 0);
        for (int dup = 1; jv_object_has(jv_copy(used), jv_copy(cid)); dup++) {
            jv_free(cid);
            cid = ev_batch_custom_id(b->name, id, k, dup);
        }
        jv line = ev_batch_line(c->req.provider, jv_string_value(cid), jv_string_value(body));
        size_t len = (size_t)jv_string_length_bytes(jv_copy(line)) + 1;
        if (count > 0 && (count == lim.requests || bytes + len > lim.bytes)) {
            part = jv_object_set(new_part(), jv_string("ids"), ids);
            kept = jv_array_append(kept, part);
            ids = jv_object();
            count = bytes = 0;
        }
        used = jv_object_set(used, jv_copy(cid), jv_true());
        ids = jv_object_set(ids, cid, jv_array_append(jv_array_append(jv_array(), key), smp));
        count++;
        bytes += len;
        jv_free(line);
        jv_free(body);
        jv_free(id);
        jv_free(r);
    }
    if (count > 0)
        kept = jv_array_append(kept, jv_object_set(new_part(), jv_string("ids"), ids));
    else
        jv_free(ids);
    jv_free(used);
    jv_free(held);
    jv s = jv_object_set(jv_object(), jv_string("version"), jv_number(1));
    s = jv_object_set(s, jv_string("provider"), jv_string(ev_provider_name(c->req.provider)));
    s = jv_object_set(s, jv_string("base"), jv_string(c->base));
    s = jv_object_set(s, jv_string("model"), jv_string(c->req.model));
    b->state = jv_object_set(s, jv_string("parts"), kept);
}

static jv
part_get(brun *b, int i, const char *field)
{
    jv parts = ev_get(b->state, "parts");
    jv p = jv_array_get(parts, i);
    jv v = ev_get(p, field);
    jv_free(p);
    return v;
}

static void
part_set(brun *b, int i, const char *field, jv v)
{
    jv parts = ev_get(b->state, "parts");
    jv p = jv_array_get(jv_copy(parts), i);
    p = jv_object_set(p, jv_string(field), v);
    parts = jv_array_set(parts, i, p);
    b->state = jv_object_set(b->state, jv_string("parts"), parts);
}

static int
nparts(const brun *b)
{
    jv parts = ev_get(b->state, "parts");
    int n = jv_get_kind(parts) == JV_KIND_ARRAY ? jv_array_length(jv_copy(parts)) : 0;
    jv_free(parts);
    return n;
}

/* Submitting. */

/* part_text returns the requests of part 'i', one JSON line each. */
static jv
part_text(brun *b, int i, const char *sep)
{
    jv ids = part_get(b, i, "ids");
    jv text = jv_string("");
    bool first = true;
    jv_object_foreach(ids, cid, v)
    {
        jv key = jv_array_get(v, 0);
        jv r = jv_object_get(jv_copy(b->todo), key);
        if (!jv_is_valid(r)) { /* answered by another run since */
            jv_free(r);
            jv_free(cid);
            continue;
        }
        jv body = ev_get(r, "body");
        jv line = ev_batch_line(b->cfg->req.provider, jv_string_value(cid), jv_string_value(body));
        if (!first)
            text = jv_string_append_str(text, sep);
        text = jv_string_concat(text, line);
        first = false;
        jv_free(body);
        jv_free(r);
        jv_free(cid);
    }
    jv_free(ids);
    return text;
}

/* held says whether batch 'id' (borrowed) belongs to a part of the state. */
static bool
held(brun *b, jv id)
{
    bool h = false;
    for (int i = 0; i < nparts(b) && !h; i++)
        h = jv_equal(part_get(b, i, "batch"), jv_copy(id));
    return h;
}

/* find_openai looks among the newest batches for one made from 'file'
 * (consumed): a run killed after it created the batch and before it kept
 * the id. A list that cannot be had stops the run: without it a batch could
 * be paid for twice. */
static jv
find_openai(brun *b, jv file)
{
    jv list = bget(b, "/batches?limit=100", "cannot list the batches");
    jv found = jv_null();
    if (!jv_is_valid(list)) {
        api_fail(b, list);
        jv_free(file);
        return found;
    }
    jv data = ev_get(list, "data");
    if (jv_get_kind(data) != JV_KIND_ARRAY) {
        jv_free(data);
        data = jv_array();
    }
    jv_array_foreach(data, i, bt)
    {
        jv in = ev_get(bt, "input_file_id");
        if (jv_get_kind(found) == JV_KIND_NULL && jv_equal(in, jv_copy(file)))
            found = ev_get(bt, "id");
        jv_free(bt);
    }
    jv_free(data);
    jv_free(list);
    jv_free(file);
    return found;
}

/* part_count is how many requests part 'i' sends: those of its requests no
 * other run has answered since it was planned. */
static int
part_count(brun *b, int i)
{
    jv ids = part_get(b, i, "ids");
    int n = 0;
    jv_object_foreach(ids, cid, v)
    {
        n += jv_object_has(jv_copy(b->todo), jv_array_get(v, 0));
        jv_free(cid);
    }
    jv_free(ids);
    return n;
}

/* find_anthropic looks among the newest message batches for the one part
 * 'i' made: as many requests, made since it was sent, and held by no other
 * part. Anthropic's batches carry nothing of ours to match, so two such
 * candidates stop the run rather than guess; a wrong guess could not join
 * anyway, since the custom_ids carry the run's tag. */
static jv
find_anthropic(brun *b, int i)
{
    double sent = rfc3339(part_get(b, i, "submitted"));
    jv count = part_get(b, i, "count");
    double n = jv_get_kind(count) == JV_KIND_NUMBER ? jv_number_value(count) : part_count(b, i);
    jv_free(count);
    jv list = bget(b, "/messages/batches?limit=100", "cannot list the batches");
    jv found = jv_array();
    if (!jv_is_valid(list)) {
        api_fail(b, list);
        jv_free(found);
        return jv_null();
    }
    jv data = ev_get(list, "data");
    if (jv_get_kind(data) != JV_KIND_ARRAY) {
        jv_free(data);
        data = jv_array();
    }
    jv_array_foreach(data, j, bt)
    {
        ev_batch_status st;
        double at = rfc3339(ev_get(bt, "created_at"));
        if (ev_batch_status_read(EV_ANTHROPIC, bt, &st)) {
            jv cancel = ev_get_kind(bt, "cancel_initiated_at", JV_KIND_STRING);
            if (st.total == n && at >= sent - 60 && jv_get_kind(cancel) == JV_KIND_NULL &&
                !held(b, st.id))
                found = jv_array_append(found, jv_copy(st.id));
            jv_free(cancel);
            ev_batch_status_free(&st);
        }
        jv_free(bt);
    }
    jv_free(data);
    jv_free(list);
    int nfound = jv_array_length(jv_copy(found));
    if (nfound == 1)
        return jv_array_get(found, 0);
    if (nfound > 1) {
        jv names = jv_string("");
        jv_array_foreach(found, j, id)
        {
            names = jv_string_append_str(names, j ? ", " : "");
            names = jv_string_concat(names, id);
        }
        ev_diag_warn(
            "batch %d: an earlier run sent it, and %d batches could be it (%s); cancel the "
            "ones that are not yours, or remove %s/batches/%s.json to send it again",
            i + 1, nfound, jv_string_value(names), ev_cache_dir(b->cache), b->name);
        jv_free(names);
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
    }
    jv_free(found);
    return jv_null();
}

/* find_part looks for the batch of part 'i' that an earlier attempt may
 * have made. */
static jv
find_part(brun *b, int i)
{
    return b->cfg->req.provider == EV_ANTHROPIC ? find_anthropic(b, i)
                                                : find_openai(b, part_get(b, i, "file"));
}

/* submit_part starts the batch of part 'i', or finds the one an earlier
 * run started. False when it cannot. */
static bool
submit_part(brun *b, int i, int n)
{
    const config *c = b->cfg;
    bool anth = c->req.provider == EV_ANTHROPIC;
    if (!is_null(part_get(b, i, "batch")))
        return true;
    ev_ftapi_result res;
    int attempt = 0;
    jv out;
    if (!anth && is_null(part_get(b, i, "file"))) {
        jv text = part_text(b, i, "\n");
        text = jv_string_append_str(text, "\n");
        char fname[64];
        snprintf(fname, sizeof(fname), "ev-batch-%.12s-%d.jsonl", b->name, i + 1);
        do
            out = ev_ftapi_upload(b->api, "batch", fname, jv_string_value(text),
                                  (size_t)jv_string_length_bytes(jv_copy(text)), &res);
        while (api_try(b, &out, &res, &attempt));
        jv_free(text);
        jv fid = jv_is_valid(out) ? ev_get(out, "id") : jv_invalid();
        if (jv_get_kind(fid) != JV_KIND_STRING) {
            jv_free(fid);
            api_fail(b, jv_is_valid(out)
                            ? (jv_free(out),
                               jv_invalid_with_msg(jv_string("the upload's answer has no file id")))
                            : out);
            return false;
        }
        jv_free(out);
        part_set(b, i, "file", fid);
        save_state(b);
    }
    jv found = jv_null();
    if (!is_null(part_get(b, i, "submitted")))
        found = find_part(b, i);
    if (b->interrupted || b->fatal) {
        jv_free(found);
        return false;
    }
    if (jv_get_kind(found) == JV_KIND_STRING) {
        if (!c->quiet)
            ev_diag_warn("batch %s (%d of %d) was made by an earlier run; collecting it",
                         jv_string_value(found), i + 1, n);
        part_set(b, i, "batch", found);
        save_state(b);
        return true;
    }
    jv_free(found);
    part_set(b, i, "submitted", now_text());
    part_set(b, i, "count", jv_number(part_count(b, i)));
    save_state(b);
    /* A create whose answer was lost may have made the batch: before each
     * new try, look for it, so that it is never made twice. */
    attempt = 0;
    jv body = jv_invalid();
    if (anth) {
        body = jv_string("{\"requests\":[");
        body = jv_string_concat(body, part_text(b, i, ","));
        body = jv_string_append_str(body, "]}");
    } else {
        jv req = jv_object_set(jv_object(), jv_string("input_file_id"), part_get(b, i, "file"));
        req = jv_object_set(req, jv_string("endpoint"), jv_string("/v1/chat/completions"));
        req = jv_object_set(req, jv_string("completion_window"), jv_string("24h"));
        body = jv_dump_string(req, 0);
    }
    for (;;) {
        out = ev_ftapi_post_text(
            b->api, anth ? "/messages/batches" : "/batches", jv_string_value(body),
            (size_t)jv_string_length_bytes(jv_copy(body)), "cannot create the batch", &res);
        if (!api_try(b, &out, &res, &attempt))
            break;
        found = find_part(b, i);
        if (b->fatal || b->interrupted) { /* reported already */
            jv_free(found);
            jv_free(body);
            return false;
        }
        if (jv_get_kind(found) == JV_KIND_STRING) {
            out = jv_object_set(jv_object(), jv_string("id"), found);
            break;
        }
        jv_free(found);
    }
    jv_free(body);
    jv bid = jv_is_valid(out) ? ev_get(out, "id") : jv_invalid();
    if (jv_get_kind(bid) != JV_KIND_STRING) {
        jv_free(bid);
        api_fail(b,
                 jv_is_valid(out)
                     ? (jv_free(out), jv_invalid_with_msg(jv_string("the answer has no batch id")))
                     : out);
        return false;
    }
    jv_free(out);
    jv ids = part_get(b, i, "ids");
    if (!c->quiet)
        ev_diag_warn("submitted batch %s (%d of %d): %d request%s", jv_string_value(bid), i + 1, n,
                     jv_object_length(jv_copy(ids)),
                     jv_object_length(jv_copy(ids)) == 1 ? "" : "s");
    jv_free(ids);
    part_set(b, i, "batch", bid);
    save_state(b);
    return true;
}

/* Collecting. */

static void
note_error(brun *b, int i, jv key, const char *kind, long status, jv message)
{
    jv err = jv_object_set(jv_object(), jv_string("kind"), jv_string(kind));
    err = jv_object_set(err, jv_string("status"), status > 0 ? jv_number(status) : jv_null());
    err = jv_object_set(err, jv_string("message"), message);
    err = jv_object_set(err, jv_string("attempts"), jv_number(1));
    jv errs = part_get(b, i, "errors");
    part_set(b, i, "errors", jv_object_set(errs, jv_copy(key), jv_copy(err)));
    b->errors = jv_object_set(b->errors, key, err);
}

/* read_results reads a downloaded results file of part 'i' (batch 'bid'),
 * caching each answer and noting each failure; 'seen' gains the custom ids
 * read. */
static void
read_results(brun *b, int i, jv bid, FILE *f, jv *seen)
{
    const config *c = b->cfg;
    jv ids = part_get(b, i, "ids");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    rewind(f);
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        jv cid;
        long status;
        ev_reply rep;
        ev_reply_init(&rep);
        bool ok = ev_batch_result_read(c->req.provider, line, (size_t)len, &cid, &status, &rep);
        jv v = ok ? jv_object_get(jv_copy(ids), jv_copy(cid)) : jv_invalid();
        if (!jv_is_valid(v)) {
            ev_diag_warn("batch %s: result line %lu: %s", jv_string_value(bid), lineno,
                         ok ? "a custom_id this run did not send" : jv_string_value(rep.message));
            jv_free(v);
            jv_free(cid);
            ev_reply_free(&rep);
            continue;
        }
        *seen = jv_object_set(*seen, cid, jv_true());
        jv key = jv_array_get(jv_copy(v), 0), smp = jv_array_get(v, 1);
        int k = (int)jv_number_value(smp);
        jv_free(smp);
        if (rep.outcome == EV_ANSWERED) {
            jv call =
                call_object(c, jv_null(), jv_copy(rep.input_tokens), jv_copy(rep.output_tokens),
                            jv_copy(rep.cached_tokens), jv_copy(rep.finish_reason), 1, false, k);
            call = jv_object_set(call, jv_string("batch"), jv_copy(bid));
            jv entry = cache_entry(call, jv_copy(rep.output), k);
            jv err;
            if (!ev_cache_put(b->cache, jv_string_value(key), jv_copy(entry), &err)) {
                if (!b->cache_failed)
                    ev_diag_warn_jv(jv_invalid_get_msg(err));
                else
                    jv_free(err);
                b->cache_failed = true;
            }
            b->answers = jv_object_set(b->answers, key, entry);
        } else {
            note_error(b, i, key, rep.kind, status,
                       jv_is_valid(rep.message) ? jv_copy(rep.message)
                                                : jv_string("the request failed"));
        }
        ev_reply_free(&rep);
    }
    free(line);
    jv_free(ids);
}

/* download fetches 'path' into a temporary file and reads its results. */
static void
download(brun *b, int i, jv bid, const char *path, const char *what, jv *seen)
{
    FILE *f = tmpfile();
    if (f == NULL) {
        ev_diag_warn("cannot make a temporary file: %s", strerror(errno));
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
        return;
    }
    ev_ftapi_result res;
    int attempt = 0;
    jv out;
    do {
        if (ftruncate(fileno(f), 0) != 0 || fseek(f, 0, SEEK_SET) != 0) {
            out = jv_invalid_with_msg(jv_string_fmt("%s: %s", what, strerror(errno)));
            break;
        }
        out = ev_ftapi_download(b->api, path, f, what, &res);
    } while (api_try(b, &out, &res, &attempt));
    if (jv_is_valid(out) && fflush(f) == 0)
        read_results(b, i, bid, f, seen);
    else
        api_fail(b, jv_is_valid(out)
                        ? (jv_free(out),
                           jv_invalid_with_msg(jv_string_fmt("%s: %s", what, strerror(errno))))
                        : out);
    fclose(f);
}

/* collect fetches the results of part 'i', whose batch has ended as 'st'
 * says, and marks the part done. */
static void
collect(brun *b, int i, const ev_batch_status *st)
{
    jv bid = jv_copy(st->id), seen = jv_object();
    char path[512];
    if (st->failed) {
        /* refused as a whole: every request fails with the reason */
    } else if (b->cfg->req.provider == EV_ANTHROPIC) {
        snprintf(path, sizeof(path), "/messages/batches/%s/results", jv_string_value(bid));
        download(b, i, bid, path, "cannot fetch the batch's results", &seen);
    } else {
        if (jv_get_kind(st->output) == JV_KIND_STRING) {
            snprintf(path, sizeof(path), "/files/%s/content", jv_string_value(st->output));
            download(b, i, bid, path, "cannot fetch the batch's output file", &seen);
        }
        if (jv_get_kind(st->errors) == JV_KIND_STRING && !b->fatal && !b->interrupted) {
            snprintf(path, sizeof(path), "/files/%s/content", jv_string_value(st->errors));
            download(b, i, bid, path, "cannot fetch the batch's error file", &seen);
        }
    }
    if (b->cache_failed && !b->fatal) {
        /* Marked done, the part would not be fetched again, and what the
         * cache lacks would be paid for again: stop, and fetch it next time. */
        ev_diag_warn("batch %s: its answers could not all be cached; run again once the cache can "
                     "be written, and they are downloaded again (not paid for again)",
                     jv_string_value(bid));
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
    }
    if (b->fatal || b->interrupted) {
        jv_free(seen);
        jv_free(bid);
        return;
    }
    jv ids = part_get(b, i, "ids");
    const char *state = jv_string_value(st->state);
    bool expired = strcmp(state, "expired") == 0;
    jv_object_foreach(ids, cid, v)
    {
        jv key = jv_array_get(jv_copy(v), 0);
        /* a request another run has answered since was not sent */
        bool sent = jv_object_has(jv_copy(b->todo), key);
        bool answered = jv_object_has(jv_copy(seen), cid);
        if (sent && !answered) {
            jv msg = st->failed ? jv_string_fmt("the batch %s failed: %s", jv_string_value(bid),
                                                jv_string_value(st->message))
                                : jv_string_fmt("the batch %s ended (%s) without an answer for "
                                                "this request",
                                                jv_string_value(bid), state);
            note_error(b, i, jv_array_get(jv_copy(v), 0), expired ? "timeout" : "http", 0, msg);
        }
        jv_free(v);
    }
    jv_free(ids);
    jv_free(seen);
    jv_free(bid);
    part_set(b, i, "done", jv_true());
    save_state(b);
}

/* Polling. */

static void
batch_progress(brun *b, int ended, int n, double total, double done, double failed,
               const char *state)
{
    char el[32];
    duration(el, sizeof(el), ev_clock_mono() - b->started);
    jv line = jv_string_fmt("batch%s %d/%d ended; %.0f/%.0f requests done, %.0f failed; %s; %s",
                            n == 1 ? "" : "es", ended, n, done, total, failed, state, el);
    if (b->progress) {
        fprintf(stderr, "\r\033[K%s", jv_string_value(line));
        fflush(stderr);
        b->drew = true;
        jv_free(line);
        return;
    }
    /* Not a terminal: a line when something other than the time changed. */
    jv key = jv_string_fmt("%d %.0f %.0f %s", ended, done, failed, state);
    if (!b->cfg->quiet && !jv_equal(jv_copy(key), jv_copy(b->last_note)))
        ev_diag_warn("%s", jv_string_value(line));
    jv_free(b->last_note);
    b->last_note = key;
    jv_free(line);
}

static void
poll_parts(brun *b)
{
    const config *c = b->cfg;
    int n = nparts(b);
    for (;;) {
        int ended = 0;
        double total = 0, done = 0, failed = 0;
        jv states = jv_string("");
        for (int i = 0; i < n && !b->fatal && !b->interrupted; i++) {
            jv ids = part_get(b, i, "ids");
            double size = jv_object_length(ids);
            jv isdone = part_get(b, i, "done");
            bool was_done = jv_get_kind(isdone) == JV_KIND_TRUE;
            jv_free(isdone);
            if (was_done) {
                ended++;
                total += size;
                done += size;
                continue;
            }
            jv bid = part_get(b, i, "batch");
            char path[512];
            snprintf(path, sizeof(path), "%s/%s",
                     c->req.provider == EV_ANTHROPIC ? "/messages/batches" : "/batches",
                     jv_string_value(bid));
            jv_free(bid);
            jv out = bget(b, path, "cannot get the batch");
            ev_batch_status st;
            if (!jv_is_valid(out)) {
                api_fail(b, out);
                break;
            }
            if (!ev_batch_status_read(c->req.provider, out, &st)) {
                jv_free(out);
                api_fail(b,
                         jv_invalid_with_msg(jv_string_fmt("%s: the answer is not a batch", path)));
                break;
            }
            jv_free(out);
            total += st.total > 0 ? st.total : size;
            done += st.done;
            failed += st.failed_n;
            if (jv_string_length_bytes(jv_copy(states)) > 0)
                states = jv_string_append_str(states, ", ");
            states = jv_string_append_str(states, jv_string_value(st.state));
            if (st.ended) {
                collect(b, i, &st);
                ended += !b->fatal && !b->interrupted;
            }
            ev_batch_status_free(&st);
        }
        if (b->fatal || b->interrupted) {
            jv_free(states);
            break;
        }
        batch_progress(b, ended, n, total, done, failed,
                       ended == n ? "ended" : jv_string_value(states));
        jv_free(states);
        if (ended == n)
            break;
        if (!bsleep(c->poll_interval)) {
            b->interrupted = true;
            break;
        }
    }
    if (b->drew)
        fputs("\r\033[K", stderr);
    b->drew = false;
}

/* Writing. */

static jv
batch_error(const config *c, jv err, int sample_no, jv bid)
{
    jv call =
        call_object(c, jv_null(), jv_null(), jv_null(), jv_null(), jv_null(), 1, false, sample_no);
    if (jv_get_kind(bid) == JV_KIND_STRING)
        call = jv_object_set(call, jv_string("batch"), bid);
    else
        jv_free(bid);
    jv add = jv_object_set(jv_object(), jv_string("error"), err);
    return jv_object_set(add, jv_string("call"), call);
}

/* write_cases writes every case, in input order, with its answers. False
 * when standard output failed. */
static bool
write_cases(brun *b)
{
    const config *c = b->cfg;
    /* failures kept by the parts of an earlier run */
    int n = nparts(b);
    jv batch_of = jv_object();
    for (int i = 0; i < n; i++) {
        jv errs = part_get(b, i, "errors"), bid = part_get(b, i, "batch");
        jv_object_foreach(errs, key, err)
        {
            if (!jv_object_has(jv_copy(b->errors), jv_copy(key)))
                b->errors = jv_object_set(b->errors, jv_copy(key), err);
            else
                jv_free(err);
            batch_of = jv_object_set(batch_of, key, jv_copy(bid));
        }
        jv_free(errs);
        jv_free(bid);
    }
    for (size_t i = 0; i < b->ncases; i++) {
        bcase *bc = &b->cases[i];
        for (long k = 0; k < c->repeat; k++) {
            const char *key = bkey(b, i, k);
            jv fresh = jv_object_get(jv_copy(b->answers), jv_string(key));
            jv err = jv_object_get(jv_copy(b->errors), jv_string(key));
            jv add;
            if (jv_is_valid(fresh)) {
                jv_free(err);
                add = from_cache(c, fresh, (int)k, false);
                b->answered++;
            } else if (jv_is_valid(err)) {
                add = batch_error(c, err, (int)k, jv_object_get(jv_copy(batch_of), jv_string(key)));
                b->failed++;
            } else {
                jv_free(err);
                jv entry = ev_cache_get(b->cache, key);
                if (jv_is_valid(entry)) {
                    add = from_cache(c, entry, (int)k, true);
                    b->answered++;
                    b->cached++;
                } else {
                    jv_free(entry);
                    err = jv_object_set(jv_object(), jv_string("kind"), jv_string("http"));
                    err = jv_object_set(err, jv_string("status"), jv_null());
                    err = jv_object_set(err, jv_string("message"),
                                        jv_string("no answer: the batch's answer could not be "
                                                  "kept in the cache"));
                    err = jv_object_set(err, jv_string("attempts"), jv_number(1));
                    add = batch_error(c, err, (int)k, jv_null());
                    b->failed++;
                }
            }
            jv call = ev_get(add, "call");
            note_tokens_of(&b->tokens_in, &b->tokens_out, call);
            jv_free(call);
            emit(bc->raw, bc->len, bc->replace, add);
            if (ferror(stdout)) {
                jv_free(batch_of);
                return false;
            }
        }
    }
    jv_free(batch_of);
    return true;
}

static int
batch_cases(config *c, ev_cache *cache, char **paths, int npaths, bool *out_broken,
            bool *reader_gone)
{
    if (cache == NULL)
        ev_diag_die(EV_EXIT_TROUBLE, "--batch needs the cache, and it cannot be opened");
    brun b = {.cfg = c,
              .cache = cache,
              .todo = jv_object(),
              .state = jv_null(),
              .answers = jv_object(),
              .errors = jv_object(),
              .last_note = jv_null(),
              .claim = -1,
              .started = ev_clock_mono()};
    b.progress = !c->quiet && isatty(STDERR_FILENO);
    read_cases(&b, paths, npaths);
    int todo = jv_object_length(jv_copy(b.todo));
    if (!b.interrupted && b.ncases > 0)
        run_name(&b);
    if (!b.interrupted && todo > 0 && claim_state(&b))
        todo = jv_object_length(jv_copy(b.todo));
    if (!b.interrupted && !b.fatal && todo == 0 && b.ncases > 0) {
        /* Every answer is cached: a state left by an earlier run is stale.
         * One that a live run holds is that run's to remove. */
        jv err;
        if (b.claim < 0 && ev_cache_state_claim(cache, b.name, &b.claim, &err) == EV_CACHE_FAILED)
            jv_free(err);
        if (b.claim >= 0)
            ev_cache_state_remove(cache, b.name);
    }
    if (!b.interrupted && !b.fatal && todo > 0) {
        jv err;
        b.api = ev_ftapi_new(c->base, c->key, &signals_seen, &err);
        if (b.api == NULL) {
            jv m = jv_invalid_get_msg(err);
            ev_diag_die(EV_EXIT_TROUBLE, "%s", jv_string_value(m));
        }
        ev_ftapi_set_agent(b.api, "ev-call/" EV_VERSION);
        ev_ftapi_set_timeout(b.api, lround(c->timeout * 1000));
        if (c->cacert != NULL)
            ev_ftapi_set_cacert(b.api, c->cacert);
        if (c->req.provider == EV_ANTHROPIC)
            ev_ftapi_set_anthropic(b.api);
        plan_parts(&b);
        save_state(&b);
        int n = nparts(&b);
        for (int i = 0; i < n && !b.fatal && !b.interrupted; i++)
            submit_part(&b, i, n);
        if (!b.fatal && !b.interrupted)
            poll_parts(&b);
    }
    bool pending = b.fatal || b.interrupted;
    bool running = false;
    for (int i = 0; pending && i < (todo > 0 ? nparts(&b) : 0); i++)
        running = running || !is_null(part_get(&b, i, "batch"));
    if (running && !c->quiet)
        ev_diag_warn("%s: the batches keep running at the provider; run the same command again to "
                     "collect their answers (state: %s/batches/%s.json)",
                     b.interrupted ? "interrupted" : "stopped", ev_cache_dir(cache), b.name);
    if (!pending) {
        *out_broken = !write_cases(&b);
        *reader_gone = *out_broken && errno == EPIPE;
        if (*out_broken && !*reader_gone)
            ev_diag_warn("cannot write standard output: %s", strerror(errno ? errno : EIO));
        if (todo > 0 && !*out_broken)
            ev_cache_state_remove(cache, b.name);
        if (!c->quiet) {
            unsigned long calls = b.answered + b.failed;
            ev_diag_warn(
                "%lu call%s: %lu answered (%lu from the cache), %lu failed, in %d batch%s; "
                "tokens %.0f in, %.0f out; %.1f s",
                calls, calls == 1 ? "" : "s", b.answered, b.cached, b.failed,
                todo > 0 ? nparts(&b) : 0, todo > 0 && nparts(&b) == 1 ? "" : "es", b.tokens_in,
                b.tokens_out, ev_clock_mono() - b.started);
        }
    }
    ev_cache_state_unclaim(cache, b.name, b.claim);
    for (size_t i = 0; i < b.ncases; i++) {
        free(b.cases[i].raw);
        free(b.cases[i].keys);
    }
    free(b.cases);
    ev_ftapi_free(b.api);
    jv_free(b.todo);
    jv_free(b.state);
    jv_free(b.answers);
    jv_free(b.errors);
    jv_free(b.last_note);
    if (b.interrupted)
        return EV_EXIT_INTR;
    if (b.status != EV_EXIT_OK)
        return b.status;
    if (*out_broken)
        return EV_EXIT_TROUBLE;
    return b.failed > 0 ? EV_EXIT_CALLS : EV_EXIT_OK;
}

/* open_cache opens the cache, or stops the run when it cannot: every
 * answer would be lost, and paid for again. A dry run pays nothing, and
 * goes on without it. */
static ev_cache *
open_cache(const config *c)
{
    if (c->no_cache)
        return NULL;
    jv dir = c->cache_dir_opt ? jv_string(c->cache_dir_opt) : ev_cache_default_dir();
    jv err = jv_invalid();
    ev_cache *cache = NULL;
    if (jv_is_valid(dir)) {
        cache = ev_cache_open(jv_string_value(dir), &err);
        jv_free(dir);
    } else {
        err = dir;
    }
    if (cache == NULL) {
        ev_diag_warn_jv(err);
        if (!c->dry_run)
            ev_diag_die(EV_EXIT_TROUBLE,
                        "no answer could be kept, and each would be paid for again: "
                        "name a cache directory that can be written with --cache-dir "
                        "or EV_CACHE_DIR, or run with --no-cache");
    }
    return cache;
}

/* call_cases runs the calls for every case of the operands and returns the
 * exit status, before standard output is closed. */
static int
call_cases(config *c, ev_cache *cache, char **paths, int npaths, bool *out_broken,
           bool *reader_gone)
{
    run r = {.cfg = c, .cache = cache, .started = ev_clock_mono()};
    long window = 4 * c->jobs + 64;
    r.wcap = (size_t)(window / c->repeat > 2 ? window / c->repeat : 2);
    r.win = ev_alloc_zero(r.wcap, sizeof(*r.win));
    r.capready = r.wcap * (size_t)c->repeat;
    r.ready = ev_alloc_zero(r.capready, sizeof(*r.ready));
    for (size_t i = 0; i < r.wcap; i++) {
        r.win[i].s = ev_alloc_zero((size_t)c->repeat, sizeof(sample));
        for (long k = 0; k < c->repeat; k++)
            r.win[i].s[k].add = jv_invalid();
    }
    if (cache != NULL) {
        r.npending = 64;
        while (r.npending < 2 * r.wcap * (size_t)c->repeat)
            r.npending *= 2;
        r.pending = ev_alloc_zero(r.npending, sizeof(*r.pending));
    }
    r.progress = !c->quiet && !c->verbose && isatty(STDERR_FILENO);
    if (r.progress)
        r.total_cases = count_lines(paths, npaths);

    bool cmd = c->req.provider == EV_CMD;
    ev_http_config hc = {
        .url = cmd ? NULL : c->url,
        .headers = cmd ? NULL : c->headers,
        .command = c->req.command,
        .pass_env = c->pass_env,
        .user_agent = "ev-call/" EV_VERSION,
        .cainfo = c->cacert,
        .secret = c->key,
        .jobs = (int)c->jobs,
        .retries = (int)c->retries,
        .timeout_ms = lround(c->timeout * 1000),
        .connect_timeout_ms = lround(c->connect_timeout * 1000),
        .rpm = c->rpm,
        .tpm = c->tpm,
        .rate_margin = RATE_MARGIN,
        .wake_fd = wake_pipe[0],
        .verbose = c->verbose,
        .seed = (long)getpid() ^ (long)time(NULL),
        .judge = judge,
        .done = done,
        .log = log_line,
        .ctx = &r,
    };
    jv err;
    r.engine = ev_http_new(&hc, &err);
    if (r.engine == NULL) {
        jv m = jv_invalid_get_msg(err);
        ev_diag_die(EV_EXIT_TROUBLE, "%s", jv_string_value(m));
    }
    reader rd = {0};
    reader_start(&rd, paths, npaths, r.engine);
    call_all(&r, &rd);
    reader_stop(&rd);
    clear_progress(&r);
    if (!c->quiet)
        summary(&r);
    ev_http_free(r.engine);
    for (size_t i = 0; i < r.wcap; i++) {
        if (r.win[i].used)
            release(&r, &r.win[i]);
        free(r.win[i].s);
    }
    free(r.win);
    free(r.pending);
    free(r.ready);
    free(r.waiting);
    *out_broken = r.out_broken;
    *reader_gone = r.reader_gone;
    return exit_status(&r);
}

int
main(int argc, char **argv)
{
    config c = {0};
    parse_options(&c, argc, argv);
    validate(&c);
    /* A model past or near its shutdown (data/prices.jsonl; lib/price). */
    if (c.req.provider != EV_CMD) {
        jv gone = ev_prices_shutdown_warning(ev_provider_name(c.req.provider), c.req.model);
        if (jv_is_valid(gone))
            ev_diag_warn("%s: calls to it may fail or be answered by another model",
                         jv_string_value(gone));
        jv_free(gone);
    }

    ev_jsonl_output_setup();
    if (!ev_http_global_init())
        ev_diag_die(EV_EXIT_TROUBLE, "cannot start libcurl");
    setup_signals();
    if (c.dry_run) /* nothing is sent: a reader that goes away ends it at once */
        signal(SIGPIPE, SIG_DFL);
    ev_cache *cache = open_cache(&c);
    bool out_broken = false, reader_gone = false;
    int status;
    if (c.dry_run)
        status = dry_run(&c, cache, argv + optind, argc - optind);
    else if (c.batch)
        status = batch_cases(&c, cache, argv + optind, argc - optind, &out_broken, &reader_gone);
    else
        status = call_cases(&c, cache, argv + optind, argc - optind, &out_broken, &reader_gone);
    if (out_broken)
        fclose(stdout); /* already reported, or a reader that went away */
    else if (ev_diag_close_stdout() != EV_EXIT_OK && status != EV_EXIT_INTR)
        status = EV_EXIT_TROUBLE;

    ev_cache_close(cache);
    free_config(&c);
    ev_http_global_cleanup();
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    if (reader_gone && status == EV_EXIT_TROUBLE) {
        /* The answers in flight are cached; now end as any filter whose
         * reader went away ends, by SIGPIPE, which a shell does not report. */
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
    }
    return status;
}
