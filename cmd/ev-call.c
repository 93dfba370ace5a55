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
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batchrun.h"
#include "cache.h"
#include "call.h"
#include "child.h"
#include "clock.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "http.h"
#include "jsonl.h"
#include "price.h"
#include "progress.h"
#include "provider.h"
#include "syncrun.h"

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

static const ev_cli_opt opts[] = {
    {"allow-insecure-http", OPT_ALLOW_INSECURE_HTTP, EV_CLI_ARG_NONE, 0, 0, false},
    {"api-key-env", OPT_API_KEY_ENV, EV_CLI_ARG_TEXT, 0, 0, false},
    {"api-key-file", OPT_API_KEY_FILE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"base-url", OPT_BASE_URL, EV_CLI_ARG_TEXT, 0, 0, false},
    {"batch", OPT_BATCH, EV_CLI_ARG_NONE, 0, 0, false},
    {"batch-size", OPT_BATCH_SIZE, EV_CLI_ARG_INT, 1, 100000, false},
    {"cacert", OPT_CACERT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"cache-dir", OPT_CACHE_DIR, EV_CLI_ARG_TEXT, 0, 0, false},
    {"command", 'c', EV_CLI_ARG_TEXT, 0, 0, false},
    {"connect-timeout", OPT_CONNECT_TIMEOUT, EV_CLI_ARG_REAL, 0.001, 3600, false},
    {"dry-run", OPT_DRY_RUN, EV_CLI_ARG_NONE, 0, 0, false},
    {"env", OPT_ENV, EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"jobs", 'j', EV_CLI_ARG_INT, 1, 1024, false},
    {"max-errors", OPT_MAX_ERRORS, EV_CLI_ARG_TEXT, 0, 0, false},
    {"max-tokens", OPT_MAX_TOKENS, EV_CLI_ARG_INT, 0, 100000000, false},
    {"max-tokens-field", OPT_MAX_TOKENS_FIELD, EV_CLI_ARG_TEXT, 0, 0, false},
    {"model", 'm', EV_CLI_ARG_TEXT, 0, 0, false},
    {"no-cache", OPT_NO_CACHE, EV_CLI_ARG_NONE, 0, 0, false},
    {"param", OPT_PARAM, EV_CLI_ARG_TEXT, 0, 0, false},
    {"poll-interval", OPT_POLL_INTERVAL, EV_CLI_ARG_REAL, 0.01, 86400, false},
    {"provider", 'p', EV_CLI_ARG_TEXT, 0, 0, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"refresh", OPT_REFRESH, EV_CLI_ARG_NONE, 0, 0, false},
    {"repeat", OPT_REPEAT, EV_CLI_ARG_INT, 1, 10000, false},
    {"retries", OPT_RETRIES, EV_CLI_ARG_INT, 0, 100, false},
    {"rpm", OPT_RPM, EV_CLI_ARG_REAL, 0.001, 1e9, false},
    {"seed", OPT_SEED, EV_CLI_ARG_INT, -9007199254740992.0, 9007199254740992.0, false},
    {"system", OPT_SYSTEM, EV_CLI_ARG_TEXT, 0, 0, false},
    {"system-file", OPT_SYSTEM_FILE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"temperature", OPT_TEMPERATURE, EV_CLI_ARG_REAL, 0, 2, false},
    {"template", OPT_TEMPLATE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"timeout", OPT_TIMEOUT, EV_CLI_ARG_REAL, 0.001, 86400, false},
    {"tpm", OPT_TPM, EV_CLI_ARG_REAL, 1, 1e12, false},
    {"unordered", OPT_UNORDERED, EV_CLI_ARG_NONE, 0, 0, false},
    {"verbose", 'v', EV_CLI_ARG_NONE, 0, 0, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

/* Signals: the first SIGINT or SIGTERM stops the run, which writes what is
 * complete; a second ends it at once, with the commands it runs. */

static volatile sig_atomic_t signals_seen;
static int wake_pipe[2] = {-1, -1};

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
}

/* What the run reports: notes, and a progress line on a terminal. */

static bool drew;         /* a progress line is on the terminal */
static double last_plain; /* when the last plain line was written */

#define PROGRESS_PREFIX "ev-call: "
#define PLAIN_EVERY 5.0 /* seconds between plain progress lines on a dumb terminal */

static void
warn(void *ctx, const char *text)
{
    (void)ctx;
    ev_diag_warn("%s", text);
}

static void
clear_progress(void)
{
    if (drew)
        fputs("\r\033[K", stderr);
    drew = false;
}

/* text_width is the room for the text of a progress line: the terminal's
 * width, less the prefix and the last column, where a terminal may wrap. */
static int
text_width(void)
{
    return ev_progress_width(STDERR_FILENO) - (int)strlen(PROGRESS_PREFIX) - 1;
}

/* show_line shows the progress line 'line' (consumed): kept up to date in
 * place on a terminal, or, on one that takes no escape codes, written as a
 * plain line when 'due'. */
static void
show_line(jv line, bool due)
{
    if (ev_progress_plain()) {
        if (due)
            ev_diag_warn("%s", jv_string_value(line));
    } else {
        fprintf(stderr, "\r" PROGRESS_PREFIX "%s\033[K", jv_string_value(line));
        fflush(stderr);
        drew = true;
    }
    jv_free(line);
}

static void
draw_calls(void *ctx, const ev_syncrun_progress *p)
{
    (void)ctx;
    if (p == NULL) {
        clear_progress();
        return;
    }
    double now = ev_clock_mono();
    bool due = last_plain == 0 || now - last_plain >= PLAIN_EVERY;
    if (due)
        last_plain = now;
    show_line(ev_syncrun_progress_line(p, text_width()), due);
}

/* draw_batches keeps a line up to date on a terminal; elsewhere it writes
 * one each time something other than the time changed. */
static void
draw_batches(void *ctx, const ev_batchrun_progress *p)
{
    (void)ctx;
    if (p == NULL) {
        clear_progress();
        return;
    }
    if (isatty(STDERR_FILENO)) {
        show_line(ev_batchrun_progress_line(p, text_width()), p->changed);
    } else if (p->changed) {
        jv line = ev_batchrun_progress_line(p, INT_MAX);
        ev_diag_warn("%s", jv_string_value(line));
        jv_free(line);
    }
}

/* load_prices loads the price table (lib/price.h: $EV_PRICES, else the one
 * ev ships), and sets '*row' to the model's price, for the money spent
 * that progress shows; none, quietly, when either is missing. */
static ev_price_table *
load_prices(const ev_call_config *c, const ev_price **row)
{
    *row = NULL;
    if (c->req.model == NULL)
        return NULL;
    jv path = ev_price_table_locate(), err;
    ev_price_table *t = ev_price_table_new();
    if (jv_is_valid(path) && ev_price_table_load(t, jv_string_value(path), &err) == 0)
        *row = ev_price_table_find(t, c->req.model);
    else if (jv_is_valid(path))
        jv_free(err);
    jv_free(path);
    return t;
}

/* usage_error reports 'err', an invalid with the message of a usage
 * error, as one. */
_Noreturn static void
usage_error(jv err)
{
    jv m = jv_invalid_get_msg(err);
    ev_diag_usage_error("%s", jv_string_value(m));
}

/* parse_options reads the options into 'c'. */
static void
parse_options(ev_call_config *c, int argc, char **argv)
{
    ev_cli cli;
    int k;
    jv err = jv_invalid();
    ev_call_init(c, argc);
    ev_cli_init(&cli, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    while ((k = ev_cli_next(&cli)) != -1) {
        const char *v = cli.text;
        switch (k) {
        case OPT_ALLOW_INSECURE_HTTP:
            c->insecure_http = true;
            break;
        case OPT_API_KEY_ENV:
            c->key_env = v;
            break;
        case OPT_API_KEY_FILE:
            c->key_file = v;
            break;
        case OPT_BASE_URL:
            c->base_url = v;
            break;
        case OPT_BATCH:
            c->batch = true;
            break;
        case OPT_BATCH_SIZE:
            c->batch_size = cli.integer;
            break;
        case OPT_CACERT:
            c->cacert = v;
            break;
        case OPT_CACHE_DIR:
            c->cache_dir = v;
            break;
        case 'c':
            c->req.command = v;
            break;
        case OPT_CONNECT_TIMEOUT:
            c->connect_timeout = cli.real;
            break;
        case OPT_DRY_RUN:
            c->dry_run = true;
            break;
        case OPT_ENV:
            if (!ev_child_pass_ok(v))
                ev_diag_usage_error(
                    "--env takes the name of a variable, or a pattern such as 'HF_*', "
                    "never a value");
            c->pass_env[c->npass++] = (char *)v;
            break;
        case 'h':
            usage(stdout);
            exit(ev_diag_close_stdout());
        case 'j':
            c->jobs = cli.integer;
            break;
        case OPT_MAX_ERRORS:
            if (!ev_call_set_max_errors(c, v, &err))
                usage_error(err);
            break;
        case OPT_MAX_TOKENS:
            c->req.max_tokens = cli.integer;
            break;
        case OPT_MAX_TOKENS_FIELD:
            c->tokens_field = v;
            break;
        case 'm':
            c->req.model = v;
            break;
        case OPT_NO_CACHE:
            c->no_cache = true;
            break;
        case OPT_PARAM:
            if (!ev_call_add_param(c, v, &err))
                usage_error(err);
            break;
        case OPT_POLL_INTERVAL:
            c->poll_interval = cli.real;
            break;
        case 'p':
            if (!ev_provider_from_name(v, &c->req.provider))
                ev_diag_usage_error("--provider must be openai, anthropic or cmd, not '%s'", v);
            break;
        case 'q':
            c->quiet = true;
            break;
        case OPT_REFRESH:
            c->refresh = true;
            break;
        case OPT_REPEAT:
            c->repeat = cli.integer;
            break;
        case OPT_RETRIES:
            c->retries = cli.integer;
            break;
        case OPT_RPM:
            c->rpm = cli.real;
            break;
        case OPT_SEED:
            c->req.seed = cli.integer;
            c->req.has_seed = true;
            break;
        case OPT_SYSTEM:
            c->system_text = v;
            break;
        case OPT_SYSTEM_FILE:
            c->system_file = v;
            break;
        case OPT_TEMPERATURE:
            c->req.temperature = cli.real;
            break;
        case OPT_TEMPLATE:
            c->template_path = v;
            break;
        case OPT_TIMEOUT:
            c->timeout = cli.real;
            break;
        case OPT_TPM:
            c->tpm = cli.real;
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
            break; /* ev_cli_next refuses what is not in the table */
        }
    }
    ev_cli_free(&cli);
}

/* open_cache opens the cache, or stops the run when it cannot: every
 * answer would be lost, and paid for again. A dry run pays nothing, and
 * goes on without it. */
static ev_cache *
open_cache(const ev_call_config *c)
{
    if (c->no_cache)
        return NULL;
    jv dir = c->cache_dir ? jv_string(c->cache_dir) : ev_cache_default_dir();
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

/* run sends the cases of the 'n' operands 'paths' to the model, by the way
 * the options say, and returns the exit status. */
static int
run(const ev_call_config *c, ev_cache *cache, char **paths, int n, ev_call_end *end)
{
    ev_call_hooks h = {
        .log = {.warn = warn, .progress = warn}, .stop = &signals_seen, .wake_fd = wake_pipe[0]};
    if (c->dry_run)
        return ev_call_dry_run(c, cache, paths, n, stdout, &h);
    if (c->batch)
        return ev_batchrun_run(c, cache, paths, n, stdout, &h, c->quiet ? NULL : draw_batches, end);
    bool shown = !c->quiet && !c->verbose && isatty(STDERR_FILENO);
    ev_syncrun_show show = {.progress = shown ? draw_calls : NULL, .count_total = shown};
    ev_price_table *prices = shown ? load_prices(c, &show.price) : NULL;
    show.currency = prices != NULL ? ev_price_table_currency(prices) : NULL;
    int status = ev_syncrun_run(c, cache, paths, n, stdout, &h, &show, end);
    ev_price_table_free(prices);
    return status;
}

int
main(int argc, char **argv)
{
    ev_call_config c;
    jv err;
    parse_options(&c, argc, argv);
    if (!ev_call_setup(&c, &err))
        usage_error(err);
    /* A model past or near its shutdown (data/prices.jsonl; lib/price). */
    if (c.req.provider != EV_PROVIDER_CMD) {
        jv gone = ev_price_table_shutdown_warning(ev_provider_name(c.req.provider), c.req.model);
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
    ev_call_end end = {0};
    int status = run(&c, cache, argv + optind, argc - optind, &end);
    if (end.out_broken)
        fclose(stdout); /* already reported, or a reader that went away */
    else if (ev_diag_close_stdout() != EV_EXIT_OK && status != EV_EXIT_INTR)
        status = EV_EXIT_TROUBLE;

    ev_cache_close(cache);
    ev_call_free(&c);
    ev_http_global_cleanup();
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    if (end.reader_gone && status == EV_EXIT_TROUBLE) {
        /* The answers in flight are cached; now end as any filter whose
         * reader went away ends, by SIGPIPE, which a shell does not report. */
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
    }
    return status;
}
