/*
 * ev-mock: a local model server, for testing eval pipelines offline and free.
 *
 * Serves the OpenAI Chat Completions and Anthropic Messages endpoints on a
 * loopback port. It answers from a set of cases, right at a chosen accuracy,
 * from the outputs of an earlier run, or with a deterministic stand-in; and it
 * injects faults (rate limits, server errors, broken and slow bodies) at
 * chosen rates, so a client's retries, timeouts and parsing can be tested.
 * Every choice is a hash of the seed and the request, never of timing, so a
 * run reproduces whatever the client's concurrency. GET /stats says what the
 * server saw.
 *
 * It also serves OpenAI's files and fine-tuning jobs endpoints, both
 * providers' batch APIs, and Together's and Fireworks' fine-tuning and
 * deployment endpoints (under /together and /fireworks), as SIMULATIONS. All of it lives in mock/
 * (libevmock.a; mock/server.h is the way in); this file reads the options
 * and runs the server until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"

#include "mock/server.h"

static void
usage(FILE *f)
{
    fputs("usage: ev-mock [-qv] [-p PORT] [-c CASES] [-r RUN] [-a [TAG=]P] [-f KIND=RATE[:TIMES]]\n"
          "               [-l MS | -l MEAN:SD] [-s SEED] [--model-accuracy MODEL=P]\n"
          "               [--latency-dist normal|lognormal] [--require-key-env NAME]\n"
          "               [--retry-after-ms MS] [--rpm N] [--rpm-window MS] [--slow-ms MS]\n"
          "               [--learner BASE] [--learner-floor P] [--learner-gain G]\n"
          "               [--learner-ceiling P] [--learner-scale N] [--learner-noise P]\n"
          "               [--job-ms MS] [--deploy-ms MS] [--job-advance time|poll]\n"
          "               [--fireworks-account ID]\n"
          "               [--batch-ms MS] [--batch-advance time|poll] [--state FILE]\n"
          "               [--tls-cert FILE --tls-key FILE] [--judge MODEL] [--echo-key]\n"
          "\n"
          "Serve the OpenAI and Anthropic chat endpoints, OpenAI's files and fine-tuning\n"
          "jobs endpoints, both providers' batch APIs, and Together's and Fireworks'\n"
          "fine-tuning and deployment endpoints under /together and /fireworks\n"
          "(SIMULATIONS), on 127.0.0.1 for offline tests.\n"
          "The first line of standard output is the port.\n"
          "\n"
          "  -p, --port N              port to listen on (default 0: any free port)\n"
          "  -c, --cases FILE          answer from these cases (JSONL: input, expected, tags)\n"
          "  -r, --replay FILE         answer with the outputs of an earlier ev-call run\n"
          "  -a, --accuracy [TAG=]P    share of cases answered right, for all or for one tag\n"
          "                            (default 1)\n"
          "      --model-accuracy MODEL=P\n"
          "                            multiply the accuracy of one model by P\n"
          "  -s, --seed N              seed of every choice (default 0)\n"
          "  -l, --latency MS|MEAN:SD  delay of each answer in milliseconds (default 0)\n"
          "      --latency-dist D      normal (default) or lognormal, for MEAN:SD\n"
          "  -f, --fault KIND=RATE[:TIMES]\n"
          "                            fault RATE of distinct requests on their first TIMES\n"
          "                            attempts (default 1; 'all': every attempt). KIND is\n"
          "                            auth quota 429 529 503 502 500 redirect flat-error\n"
          "                            nonjson truncated nousage reset slow judge-invalid;\n"
          "                            or job-fail=RATE: fail RATE of fine-tuning jobs;\n"
          "                            lost-id=RATE: lose the answer that creates RATE of\n"
          "                            jobs and deployments; slow-deploy=RATE: RATE of\n"
          "                            deployments take ten times --deploy-ms;\n"
          "                            batch-fail=RATE: fail RATE of batch lines;\n"
          "                            batch-expire=RATE: never run RATE of batch lines\n"
          "      --judge MODEL         MODEL grades ev-score's judge prompts: the output\n"
          "                            against the expected answer (see ev-mock(1))\n"
          "      --slow-ms MS          delay of a 'slow' fault (default 30000)\n"
          "      --retry-after-ms MS   wait a '429' fault asks for (default 1000)\n"
          "      --rpm N               answer 429 past N requests a minute\n"
          "      --rpm-window MS       length of the --rpm window (default 60000)\n"
          "      --require-key-env NAME\n"
          "                            require the key in $NAME (Bearer or x-api-key)\n"
          "      --echo-key            quote each request's key in the Location, Set-Cookie\n"
          "                            and X-Echo-Key headers of its answer\n"
          "      --tls-cert FILE       serve HTTPS with this PEM certificate (chain)\n"
          "      --tls-key FILE        and this PEM private key\n"
          "\n",
          f);
    fputs("Fine-tuning, a SIMULATION: a tuned model of the learner's base answers a tag\n"
          "right with p = min(CEILING, FLOOR + GAIN * log2(1 + n / SCALE)) + noise, where\n"
          "n counts the training examples of the tag; the base model answers at FLOOR.\n"
          "      --learner BASE        simulate BASE as a small model that learns\n"
          "      --learner-floor P     accuracy of the base model (default 0.25)\n"
          "      --learner-gain G      accuracy gained per doubling of n / SCALE (0.072)\n"
          "      --learner-ceiling P   the most a tag can reach (default 0.9)\n"
          "      --learner-scale N     examples of a tag that make the first doubling (5)\n"
          "      --learner-noise P     fixed noise per job and tag, within +-P (0.02)\n"
          "      --job-ms MS           how long a fine-tuning job takes (default 300)\n"
          "      --deploy-ms MS        how long a Together or Fireworks deployment takes\n"
          "                            to come up (default 300)\n"
          "      --job-advance HOW     'time' (default), or 'poll': each GET of a job\n"
          "                            or deployment moves it one step\n"
          "      --fireworks-account ID\n"
          "                            the key's account on /fireworks (default ev-mock)\n"
          "\n"
          "Batches, a SIMULATION: lines are answered as the chat endpoints answer them.\n"
          "      --batch-ms MS         how long a batch takes (default 300)\n"
          "      --batch-advance HOW   'time' (default), or 'poll': each GET of a batch\n"
          "                            moves it one step\n"
          "      --state FILE          keep OpenAI's files and jobs (not batches, nor\n"
          "                            Together's or Fireworks') in FILE across restarts\n"
          "\n"
          "  -v, --verbose             log each request on standard error\n"
          "  -q, --quiet               no summary on standard error at exit\n"
          "  -h, --help                show this help\n"
          "  -V, --version             show the version\n"
          "\n"
          "GET /stats counts what the server saw; POST /stats/reset starts the counts over.\n"
          "SIGINT or SIGTERM stops the server. Exit status: 0 stopped, 2 trouble.\n"
          "See ev-mock(1) and ev(7).\n",
          f);
}

enum {
    OPT_BATCH_ADVANCE = 256,
    OPT_BATCH_MS,
    OPT_DEPLOY_MS,
    OPT_ECHO_KEY,
    OPT_FIREWORKS_ACCOUNT,
    OPT_JOB_ADVANCE,
    OPT_JOB_MS,
    OPT_JUDGE,
    OPT_LATENCY_DIST,
    OPT_LEARNER,
    OPT_LEARNER_CEILING,
    OPT_LEARNER_FLOOR,
    OPT_LEARNER_GAIN,
    OPT_LEARNER_NOISE,
    OPT_LEARNER_SCALE,
    OPT_MODEL_ACCURACY,
    OPT_REQUIRE_KEY_ENV,
    OPT_RETRY_AFTER_MS,
    OPT_RPM,
    OPT_RPM_WINDOW,
    OPT_SLOW_MS,
    OPT_STATE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
};

static const ev_cli_opt table[] = {
    {"accuracy", 'a', EV_CLI_ARG_TEXT, 0, 0, false},
    {"batch-advance", OPT_BATCH_ADVANCE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"batch-ms", OPT_BATCH_MS, EV_CLI_ARG_INT, 0, 3600000, false},
    {"cases", 'c', EV_CLI_ARG_TEXT, 0, 0, false},
    {"deploy-ms", OPT_DEPLOY_MS, EV_CLI_ARG_INT, 0, 3600000, false},
    {"echo-key", OPT_ECHO_KEY, EV_CLI_ARG_NONE, 0, 0, false},
    {"fault", 'f', EV_CLI_ARG_TEXT, 0, 0, false},
    {"fireworks-account", OPT_FIREWORKS_ACCOUNT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"job-advance", OPT_JOB_ADVANCE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"job-ms", OPT_JOB_MS, EV_CLI_ARG_INT, 0, 3600000, false},
    {"judge", OPT_JUDGE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"latency", 'l', EV_CLI_ARG_TEXT, 0, 0, false},
    {"latency-dist", OPT_LATENCY_DIST, EV_CLI_ARG_TEXT, 0, 0, false},
    {"learner", OPT_LEARNER, EV_CLI_ARG_TEXT, 0, 0, false},
    {"learner-ceiling", OPT_LEARNER_CEILING, EV_CLI_ARG_REAL, 0, 1, false},
    {"learner-floor", OPT_LEARNER_FLOOR, EV_CLI_ARG_REAL, 0, 1, false},
    {"learner-gain", OPT_LEARNER_GAIN, EV_CLI_ARG_REAL, 0, 1, false},
    {"learner-noise", OPT_LEARNER_NOISE, EV_CLI_ARG_REAL, 0, 1, false},
    {"learner-scale", OPT_LEARNER_SCALE, EV_CLI_ARG_REAL, 0, 1e9, true},
    {"model-accuracy", OPT_MODEL_ACCURACY, EV_CLI_ARG_TEXT, 0, 0, false},
    {"port", 'p', EV_CLI_ARG_INT, 0, 65535, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"replay", 'r', EV_CLI_ARG_TEXT, 0, 0, false},
    {"require-key-env", OPT_REQUIRE_KEY_ENV, EV_CLI_ARG_TEXT, 0, 0, false},
    {"retry-after-ms", OPT_RETRY_AFTER_MS, EV_CLI_ARG_INT, 0, 3600000, false},
    {"rpm", OPT_RPM, EV_CLI_ARG_INT, 1, 1000000, false},
    {"rpm-window", OPT_RPM_WINDOW, EV_CLI_ARG_INT, 1, 3600000, false},
    {"seed", 's', EV_CLI_ARG_TEXT, 0, 0, false},
    {"slow-ms", OPT_SLOW_MS, EV_CLI_ARG_INT, 0, 3600000, false},
    {"state", OPT_STATE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"tls-cert", OPT_TLS_CERT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"tls-key", OPT_TLS_KEY, EV_CLI_ARG_TEXT, 0, 0, false},
    {"verbose", 'v', EV_CLI_ARG_NONE, 0, 0, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

/* The options, as read. The server's configuration holds what it takes as
 * it is; the rest is validated and turned into it. */
typedef struct options {
    evm_server_config c;
    const char **rules; /* the arguments of --accuracy and --model-accuracy */
    bool *model_rule;   /* whether each is a --model-accuracy */
    int nrules;
    bool quiet;
    const char *key_env, *cert_path, *key_path;
    jv cert, tkey; /* the PEM texts, or null */
    evm_server_accuracy *accuracy;
    char *key;
} options;

/* Numbers, each with its range. */

static long
parse_ms(const char *opt, const char *s)
{
    long v;
    if (!ev_cli_parse_long(s, 0, 3600000, &v))
        ev_diag_usage_error("%s must be milliseconds from 0 to 3600000, not '%s'", opt, s);
    return v;
}

static double
parse_share(const char *opt, const char *s)
{
    double v;
    if (!ev_cli_parse_double(s, 0, 1, &v))
        ev_diag_usage_error("%s must be a number from 0 to 1, not '%s'", opt, s);
    return v;
}

/* by_poll reads an --*-advance option: 'time' or 'poll'. */
static bool
by_poll(const char *opt, const char *s)
{
    if (strcmp(s, "time") != 0 && strcmp(s, "poll") != 0)
        ev_diag_usage_error("%s must be 'time' or 'poll', not '%s'", opt, s);
    return strcmp(s, "poll") == 0;
}

/* model_name reads an option that names a model. */
static const char *
model_name(const char *opt, const char *s)
{
    if (*s == '\0')
        ev_diag_usage_error("%s needs a model name", opt);
    return s;
}

static void
parse_latency(evm_fault_plan *p, const char *arg)
{
    const char *colon = strchr(arg, ':');
    if (colon == NULL) {
        p->latency_mean = parse_ms("--latency", arg);
        p->latency_sd = 0;
        return;
    }
    char mean[32];
    size_t n = (size_t)(colon - arg);
    if (n >= sizeof(mean))
        ev_diag_usage_error("bad latency '%s': want MS or MEAN:SD", arg);
    snprintf(mean, sizeof(mean), "%.*s", (int)n, arg);
    p->latency_mean = parse_ms("--latency MEAN", mean);
    p->latency_sd = parse_ms("--latency SD", colon + 1);
}

static void
parse_fault(evm_fault_plan *p, const char *arg)
{
    jv err;
    if (!evm_fault_parse(p, arg, &err))
        ev_diag_usage_error("%s", jv_string_value(err));
}

/* add_file adds 'path' to the list '*files' of '*n'. */
static void
add_file(char ***files, int *n, char *path)
{
    *files = ev_alloc_array(*files, (size_t)*n + 1, sizeof(**files));
    (*files)[(*n)++] = path;
}

static void
add_rule(options *o, const char *arg, bool model)
{
    o->rules = ev_alloc_array(o->rules, (size_t)o->nrules + 1, sizeof(*o->rules));
    o->model_rule = ev_alloc_array(o->model_rule, (size_t)o->nrules + 1, sizeof(*o->model_rule));
    o->rules[o->nrules] = arg;
    o->model_rule[o->nrules++] = model;
}

/* read_option reads option 'key', with its value in 'c', into 'o'. */
static void
read_option(options *o, int key, const ev_cli *c)
{
    char *arg = (char *)c->text;
    evm_server_config *sc = &o->c;
    evm_learner *lp = &sc->jobs.params;
    long seed;
    switch (key) {
    case 'a':
        add_rule(o, arg, false);
        break;
    case 'c':
        add_file(&sc->cases, &sc->ncases, arg);
        break;
    case 'f':
        parse_fault(&sc->faults, arg);
        break;
    case 'h':
        /* exit, not return: what main holds is still in reach, not leaked */
        usage(stdout);
        exit(ev_diag_close_stdout());
    case 'l':
        parse_latency(&sc->faults, arg);
        break;
    case OPT_BATCH_ADVANCE:
        sc->batches.by_poll = by_poll("--batch-advance", arg);
        break;
    case OPT_BATCH_MS:
        sc->batches.batch_ms = c->integer;
        break;
    case OPT_DEPLOY_MS:
        sc->jobs.deploy_ms = c->integer;
        break;
    case OPT_FIREWORKS_ACCOUNT:
        if (!evm_wire_good_id(arg) || strcmp(arg, "fireworks") == 0)
            ev_diag_usage_error(
                "--fireworks-account must be an account id (a lowercase letter, then "
                "lowercase letters, digits and '-'), not '%s'",
                arg);
        sc->fireworks_account = arg;
        break;
    case OPT_JOB_ADVANCE:
        sc->jobs.by_poll = by_poll("--job-advance", arg);
        break;
    case OPT_JOB_MS:
        sc->jobs.job_ms = c->integer;
        break;
    case OPT_JUDGE:
        sc->judge = model_name("--judge", arg);
        break;
    case OPT_LEARNER:
        sc->jobs.learner = model_name("--learner", arg);
        break;
    case OPT_LEARNER_CEILING:
        lp->ceiling = c->real;
        break;
    case OPT_LEARNER_FLOOR:
        lp->floor = c->real;
        break;
    case OPT_LEARNER_GAIN:
        lp->gain = c->real;
        break;
    case OPT_LEARNER_NOISE:
        lp->noise = c->real;
        break;
    case OPT_LEARNER_SCALE:
        lp->scale = c->real;
        break;
    case OPT_LATENCY_DIST:
        if (strcmp(arg, "normal") != 0 && strcmp(arg, "lognormal") != 0)
            ev_diag_usage_error("--latency-dist must be 'normal' or 'lognormal', not '%s'", arg);
        sc->faults.lognormal = strcmp(arg, "lognormal") == 0;
        break;
    case OPT_MODEL_ACCURACY:
        add_rule(o, arg, true);
        break;
    case 'p':
        sc->port = c->integer;
        break;
    case 'q':
        o->quiet = true;
        break;
    case 'r':
        add_file(&sc->replays, &sc->nreplays, arg);
        break;
    case OPT_REQUIRE_KEY_ENV:
        o->key_env = arg;
        break;
    case OPT_RETRY_AFTER_MS:
        sc->faults.retry_after_ms = c->integer;
        break;
    case OPT_RPM:
        sc->rpm = c->integer;
        break;
    case OPT_RPM_WINDOW:
        sc->rpm_window_ms = c->integer;
        break;
    case 's':
        if (!ev_cli_parse_long(arg, 0, LONG_MAX, &seed))
            ev_diag_usage_error("--seed must be a non-negative integer, not '%s'", arg);
        sc->seed = (uint64_t)seed;
        break;
    case OPT_SLOW_MS:
        sc->faults.slow_ms = c->integer;
        break;
    case OPT_STATE:
        sc->state = arg;
        break;
    case OPT_TLS_CERT:
        o->cert_path = arg;
        break;
    case OPT_TLS_KEY:
        o->key_path = arg;
        break;
    case 'v':
        sc->verbose = true;
        break;
    case OPT_ECHO_KEY:
        sc->echo_key = true;
        break;
    case 'V':
        ev_diag_version();
    default: /* ev_cli_next refused every other option */
        break;
    }
}

/* Validation. */

/* read_pem returns the text of a PEM file named by option 'opt'. */
static jv
read_pem(const char *opt, const char *path)
{
    if (path == NULL)
        return jv_null();
    jv text = jv_load_file(path, 1);
    if (!jv_is_valid(text)) {
        jv msg = jv_invalid_get_msg(text);
        ev_diag_usage_error("%s: %s", opt,
                            jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : path);
    }
    if (strstr(jv_string_value(text), "-----BEGIN ") == NULL)
        ev_diag_usage_error("%s: '%s' is not a PEM file", opt, path);
    return text;
}

/* parse_rule reads an --accuracy [TAG=]P or --model-accuracy MODEL=P: the
 * name ends at the last '=', since names may hold one. */
static evm_server_accuracy
parse_rule(const char *arg, bool model)
{
    const char *opt = model ? "--model-accuracy" : "--accuracy";
    const char *eq = strrchr(arg, '=');
    if (eq == NULL && !model)
        return (evm_server_accuracy){NULL, parse_share(opt, arg), false};
    if (eq == NULL || eq == arg)
        ev_diag_usage_error("bad %s '%s': want %s=P", opt, arg, model ? "MODEL" : "TAG");
    double p = parse_share(opt, eq + 1);
    return (evm_server_accuracy){ev_alloc_strndup(arg, (size_t)(eq - arg)), p, model};
}

/* validate checks what the options say together, reads what they name, and
 * completes the server's configuration. */
static void
validate(options *o)
{
    evm_server_config *sc = &o->c;
    const evm_learner *lp = &sc->jobs.params;
    if (lp->ceiling < lp->floor)
        ev_diag_usage_error("--learner-ceiling %g is below --learner-floor %g", lp->ceiling,
                            lp->floor);
    if ((o->cert_path == NULL) != (o->key_path == NULL))
        ev_diag_usage_error("--tls-cert and --tls-key go together");
    o->cert = read_pem("--tls-cert", o->cert_path);
    o->tkey = read_pem("--tls-key", o->key_path);
    if (o->cert_path != NULL) {
        sc->tls_cert = jv_string_value(o->cert);
        sc->tls_key = jv_string_value(o->tkey);
    }
    if (o->key_env != NULL) {
        const char *k = getenv(o->key_env);
        if (k == NULL || *k == '\0')
            ev_diag_usage_error("--require-key-env: environment variable '%s' is not set",
                                o->key_env);
        sc->key = o->key = ev_alloc_strdup(k);
    }
    o->accuracy = ev_alloc_array(NULL, (size_t)o->nrules, sizeof(*o->accuracy));
    for (int i = 0; i < o->nrules; i++)
        o->accuracy[i] = parse_rule(o->rules[i], o->model_rule[i]);
    sc->accuracy = o->accuracy;
    sc->naccuracy = (size_t)o->nrules;
}

/* Running. */

/* report prints a problem or a log line of the server, whole, even when
 * requests end at once. */
static void
report(void *ctx, jv msg)
{
    (void)ctx;
    flockfile(stderr);
    ev_diag_warn_jv(msg);
    funlockfile(stderr);
}

static void
on_signal(int sig)
{
    (void)sig;
}

/* serve runs the server until SIGINT or SIGTERM and returns the exit
 * status. */
static int
serve(const evm_server_config *c, bool quiet)
{
    /* The server's threads inherit this mask, so the signals reach only the
     * sigwait below; a reader that closes stdout must not kill the server. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A shell starts background jobs with SIGINT ignored, and an ignored
     * signal never reaches sigwait; a handler, never run, undoes that. */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    evm_server *s = evm_server_start(c);
    if (s == NULL)
        return EV_EXIT_TROUBLE;
    /* stdout stays open until exit: a reader sees its end when the server
     * ends */
    printf("%ld\n", evm_server_port(s));
    int status = EV_EXIT_OK, sig;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ev_diag_warn("cannot write standard output: %s", strerror(errno));
        status = EV_EXIT_TROUBLE;
    } else {
        const evm_model *m = evm_server_model(s);
        if (c->verbose)
            ev_diag_warn("listening on 127.0.0.1:%ld with %zu cases and %zu replayed answers",
                         evm_server_port(s), evm_model_count_cases(m), evm_model_count_replay(m));
        sigwait(&stop, &sig);
    }
    evm_server_stop(s);
    if (!quiet)
        ev_diag_warn_jv(evm_server_summary(s));
    evm_server_free(s);
    return status;
}

/* main reads the options, then serves until SIGINT or SIGTERM. */
int
main(int argc, char **argv)
{
    options o = {.c = evm_server_defaults()};
    ev_cli c;
    int key;
    o.c.report = report;
    ev_cli_init(&c, table, (int)(sizeof(table) / sizeof(table[0])), argc, argv);
    while ((key = ev_cli_next(&c)) != -1)
        read_option(&o, key, &c);
    ev_cli_free(&c);
    if (optind < argc)
        ev_diag_usage_error("unexpected operand '%s'", argv[optind]);
    validate(&o);
    int status = serve(&o.c, o.quiet);
    fclose(stdout);
    for (int i = 0; i < o.nrules; i++)
        free((char *)o.accuracy[i].name);
    free(o.accuracy);
    free(o.rules);
    free(o.model_rule);
    free(o.c.cases);
    free(o.c.replays);
    free(o.key);
    jv_free(o.cert);
    jv_free(o.tkey);
    return status;
}
