/*
 * ev-tune: check a training file, convert cases to a trainer's format, and
 * fine-tune: through an OpenAI-compatible fine-tuning API, or with a local
 * training command.
 *
 * Checking comes first in every mode that trains, so that no money is spent
 * on a file the provider would refuse or truncate: the checks are those of
 * OpenAI's cookbook (lib/example.h), with the token counts and the cost
 * estimated before anything is sent (lib/dataset.h, lib/quote.h).
 * Submitting uploads the file, creates the job and follows it to its end,
 * with its events on standard error, and writes one JSON line that names
 * the tuned model (lib/finetune.h); --cmd runs a local trainer instead
 * (lib/localtrain.h). This file holds the options; each mode is one call.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cache.h"
#include "child.h"
#include "cli.h"
#include "convert.h"
#include "dataset.h"
#include "deploy_fireworks.h"
#include "deploy_together.h"
#include "diag.h"
#include "ev.h"
#include "finetune.h"
#include "finetune_fireworks.h"
#include "finetune_together.h"
#include "jsonl.h"
#include "secret.h"
#include "localtrain.h"
#include "log.h"
#include "price.h"
#include "quote.h"

enum mode { M_CHECK, M_CONVERT, M_INFO, M_SUBMIT, M_CMD, M_RESUME, M_CANCEL, M_UNDEPLOY };

typedef struct opts {
    enum mode mode;
    bool mode_set;
    const char *job;     /* --resume, --cancel */
    const char *info;    /* --dataset-info */
    const char *command; /* --cmd */
    const char *model;
    const char *suffix;
    const char *system;
    const char *base_url;
    const char *cacert;
    const char *key_env, *key_file;
    const char *provider, *account, *cache_dir;
    bool full, deploy;
    char **prices;
    int nprices;
    char **pass_env; /* --env, NULL-terminated */
    int npass;
    long epochs; /* 0: the cookbook's default */
    long seed;   /* -1: none */
    double max_tokens;
    bool max_tokens_set;
    long poll_ms;
    double timeout_s; /* 0: none */
    enum ev_cli_format format;
    enum ev_convert_to to;
    bool to_set;
    enum ev_example_method method;
    bool method_set;
    bool quiet;
    char **files;
    int nfiles;
} opts;

/* Set by SIGINT and SIGTERM; every wait and transfer looks at it. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void
usage(FILE *f)
{
    fputs("usage: ev-tune [--check] [--method sft|dpo] [-m MODEL] [--epochs N]\n"
          "               [--max-example-tokens N] [--prices FILE] [--format table|json]\n"
          "               [--system TEXT] [FILE ...]\n"
          "       ev-tune --convert [--method sft|dpo] [--to FORMAT] [--system TEXT] [FILE ...]\n"
          "       ev-tune --dataset-info NAME [--to FORMAT]\n"
          "       ev-tune --submit [--provider together|fireworks|openai] -m MODEL\n"
          "               [--method sft|dpo] [--full] [--account ID] [--suffix S]\n"
          "               [--seed N] [--epochs N] [--cache-dir DIR] [--deploy]\n"
          "               [--base-url URL] [--api-key-env NAME | --api-key-file FILE]\n"
          "               [--cacert FILE]\n"
          "               [--poll-ms MS] [--timeout SEC] [FILE ...]\n"
          "       ev-tune --cmd COMMAND [--method sft|dpo] [-m MODEL] [--to FORMAT]\n"
          "               [--epochs N]\n"
          "               [--env NAME]... [FILE ...]\n"
          "       ev-tune --resume JOB | --cancel JOB [--provider P] [--base-url URL] ...\n"
          "       ev-tune --undeploy ID --provider together|fireworks [--base-url URL] ...\n"
          "\n"
          "Check a fine-tuning file (chat by the OpenAI cookbook's rules, preference\n"
          "pairs by the providers'), estimate its tokens and cost, convert it to what\n"
          "TRL, Axolotl, Unsloth and LLaMA-Factory read, and fine-tune. Records may be\n"
          "chat examples ({messages}) or cases ({input, expected}); with --method dpo,\n"
          "preference examples ({input, preferred_output, non_preferred_output}).\n"
          "\n"
          "Modes:\n"
          "  -c, --check               check and report (the default)\n"
          "      --convert             write the examples as JSONL in --to's format\n"
          "      --dataset-info NAME   write LLaMA-Factory's dataset_info.json entry for\n"
          "                            NAME.jsonl in --to's format\n"
          "  -s, --submit              check, upload, create a job, follow it to its end\n"
          "      --cmd COMMAND         check, then run COMMAND with the training file as $1\n"
          "                            (and $EV_TRAIN_FILE); its last line of output names\n"
          "                            the model\n"
          "      --env NAME            with --cmd: also pass $NAME (a pattern: 'HF_*') to\n"
          "                            COMMAND, which otherwise gets only PATH, HOME,\n"
          "                            LANG... and no key\n"
          "      --resume JOB          follow a job created earlier to its end\n"
          "      --cancel JOB          cancel a job\n"
          "      --deploy              with --submit or --resume (together, fireworks): then\n"
          "                            start a dedicated endpoint for the tuned model, wait\n"
          "                            until it is ready, say its model and price an hour;\n"
          "                            it bills until --undeploy stops it\n"
          "      --undeploy ID         stop and remove the endpoint ID\n"
          "\n",
          f);
    fputs("Options:\n"
          "  -m, --model MODEL         base model: priced for the estimate, tuned by --submit\n"
          "      --epochs N            epochs (1-50); default: the cookbook's, 3 raised or\n"
          "                            lowered to keep examples x epochs in 100..25000\n"
          "      --max-example-tokens N\n"
          "                            the most tokens an example may have (default 16385)\n"
          "      --system TEXT         a system message for examples that have none\n"
          "      --method METHOD       sft (default): chat examples; dpo: preference ones\n"
          "      --to FORMAT           sft: chat (default), prompt-completion, alpaca,\n"
          "                            sharegpt; dpo: preference (default), trl-dpo,\n"
          "                            axolotl-dpo, alpaca-dpo, sharegpt-dpo\n"
          "  -p, --prices FILE         price table (default $EV_PRICES, else the installed one)\n"
          "  -f, --format FORMAT       report as table or json (default: table on a terminal)\n"
          "      --provider P          where --submit, --resume and --cancel tune: together,\n"
          "                            fireworks or openai (default openai, which closes\n"
          "                            self-serve fine-tuning to everyone on 2027-01-06)\n"
          "      --full                full fine-tuning rather than LoRA (together)\n"
          "      --account ID          the Fireworks account (default $FIREWORKS_ACCOUNT_ID)\n"
          "      --cache-dir DIR       where a submission keeps its state, so that it is never\n"
          "                            paid twice (default $EV_CACHE_DIR, else\n"
          "                            $XDG_CACHE_HOME/ev, else ~/.cache/ev)\n"
          "      --suffix S            suffix of the tuned model's name (up to 64 characters;\n"
          "                            40 for together)\n"
          "      --seed N              the job's seed\n"
          "      --base-url URL        the API (default $TOGETHER_BASE_URL, else\n"
          "                            https://api.together.ai/v1; $FIREWORKS_BASE_URL, else\n"
          "                            https://api.fireworks.ai; $OPENAI_BASE_URL, else\n"
          "                            https://api.openai.com/v1)\n"
          "      --api-key-env NAME    read the key from $NAME (default $TOGETHER_API_KEY,\n"
          "                            $FIREWORKS_API_KEY or $OPENAI_API_KEY)\n"
          "      --api-key-file FILE   read the key from FILE\n"
          "      --cacert FILE         trust the CA certificates in FILE (PEM) for https\n"
          "      --poll-ms MS          time between polls of the job (default 5000)\n"
          "      --timeout SEC         give up following the job after SEC seconds\n"
          "  -q, --quiet               no progress or events on standard error\n"
          "  -h, --help                show this help\n"
          "  -V, --version             show the version\n"
          "\n"
          "Tokens are estimated: ceil(bytes / 4) per string field, 3 per message (1 more\n"
          "for a name) and 3 per example.\n"
          "Exit status: 0 valid or tuned, 1 invalid file or failed job, 2 trouble,\n"
          "130 interrupted. See ev-tune(1) and ev(7).\n",
          f);
}

/* Options. */

enum {
    OPT_ACCOUNT = 256,
    OPT_API_KEY_ENV,
    OPT_API_KEY_FILE,
    OPT_BASE_URL,
    OPT_CACERT,
    OPT_CACHE_DIR,
    OPT_CANCEL,
    OPT_CMD,
    OPT_CONVERT,
    OPT_DATASET_INFO,
    OPT_DEPLOY,
    OPT_ENV,
    OPT_EPOCHS,
    OPT_FULL,
    OPT_MAX_EXAMPLE_TOKENS,
    OPT_METHOD,
    OPT_POLL_MS,
    OPT_PROVIDER,
    OPT_RESUME,
    OPT_SEED,
    OPT_SUFFIX,
    OPT_SYSTEM,
    OPT_TIMEOUT,
    OPT_TO,
    OPT_UNDEPLOY,
};

static const ev_cli_opt options[] = {
    {"account", OPT_ACCOUNT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"api-key-env", OPT_API_KEY_ENV, EV_CLI_ARG_TEXT, 0, 0, false},
    {"api-key-file", OPT_API_KEY_FILE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"base-url", OPT_BASE_URL, EV_CLI_ARG_TEXT, 0, 0, false},
    {"cache-dir", OPT_CACHE_DIR, EV_CLI_ARG_TEXT, 0, 0, false},
    {"cacert", OPT_CACERT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"cancel", OPT_CANCEL, EV_CLI_ARG_TEXT, 0, 0, false},
    {"check", 'c', EV_CLI_ARG_NONE, 0, 0, false},
    {"cmd", OPT_CMD, EV_CLI_ARG_TEXT, 0, 0, false},
    {"convert", OPT_CONVERT, EV_CLI_ARG_NONE, 0, 0, false},
    {"dataset-info", OPT_DATASET_INFO, EV_CLI_ARG_TEXT, 0, 0, false},
    {"deploy", OPT_DEPLOY, EV_CLI_ARG_NONE, 0, 0, false},
    {"env", OPT_ENV, EV_CLI_ARG_TEXT, 0, 0, false},
    {"epochs", OPT_EPOCHS, EV_CLI_ARG_INT, 1, 50, false},
    {"format", 'f', EV_CLI_ARG_TEXT, 0, 0, false},
    {"full", OPT_FULL, EV_CLI_ARG_NONE, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"max-example-tokens", OPT_MAX_EXAMPLE_TOKENS, EV_CLI_ARG_INT, 1, 100000000, false},
    {"method", OPT_METHOD, EV_CLI_ARG_TEXT, 0, 0, false},
    {"model", 'm', EV_CLI_ARG_TEXT, 0, 0, false},
    {"poll-ms", OPT_POLL_MS, EV_CLI_ARG_INT, 1, 3600000, false},
    {"prices", 'p', EV_CLI_ARG_TEXT, 0, 0, false},
    {"provider", OPT_PROVIDER, EV_CLI_ARG_TEXT, 0, 0, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"resume", OPT_RESUME, EV_CLI_ARG_TEXT, 0, 0, false},
    {"seed", OPT_SEED, EV_CLI_ARG_INT, 0, 2147483647, false},
    {"submit", 's', EV_CLI_ARG_NONE, 0, 0, false},
    {"suffix", OPT_SUFFIX, EV_CLI_ARG_TEXT, 0, 0, false},
    {"system", OPT_SYSTEM, EV_CLI_ARG_TEXT, 0, 0, false},
    {"timeout", OPT_TIMEOUT, EV_CLI_ARG_REAL, 0.001, 1e7, false},
    {"to", OPT_TO, EV_CLI_ARG_TEXT, 0, 0, false},
    {"undeploy", OPT_UNDEPLOY, EV_CLI_ARG_TEXT, 0, 0, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

static void
set_mode(opts *o, enum mode m, const char *name, const char *job)
{
    if (o->mode_set && o->mode != m)
        ev_diag_usage_error(
            "%s: give one of --check, --convert, --dataset-info, --submit, --cmd, --resume, "
            "--cancel, --undeploy",
            name);
    o->mode = m;
    o->mode_set = true;
    o->job = job;
}

/* option takes the option 'key', with its value in 'c', into 'o'. */
static void
option(opts *o, int key, const ev_cli *c)
{
    const char *v = c->text;
    switch (key) {
    case OPT_ACCOUNT:
        o->account = v;
        break;
    case OPT_API_KEY_ENV:
        o->key_env = v;
        break;
    case OPT_API_KEY_FILE:
        o->key_file = v;
        break;
    case OPT_BASE_URL:
        o->base_url = v;
        break;
    case OPT_CACERT:
        o->cacert = v;
        break;
    case OPT_CACHE_DIR:
        o->cache_dir = v;
        break;
    case OPT_CANCEL:
        set_mode(o, M_CANCEL, "--cancel", v);
        break;
    case 'c':
        set_mode(o, M_CHECK, "--check", NULL);
        break;
    case OPT_CMD:
        set_mode(o, M_CMD, "--cmd", NULL);
        o->command = v;
        break;
    case OPT_CONVERT:
        set_mode(o, M_CONVERT, "--convert", NULL);
        break;
    case OPT_DATASET_INFO:
        if (*v == '\0')
            ev_diag_usage_error("--dataset-info needs the dataset's name");
        set_mode(o, M_INFO, "--dataset-info", NULL);
        o->info = v;
        break;
    case OPT_DEPLOY:
        o->deploy = true;
        break;
    case OPT_ENV:
        if (!ev_child_pass_ok(v))
            ev_diag_usage_error("--env takes the name of a variable, or a pattern such as 'HF_*', "
                                "never a value");
        o->pass_env[o->npass++] = (char *)v;
        break;
    case OPT_EPOCHS:
        o->epochs = c->integer;
        break;
    case 'f':
        if (!ev_cli_parse_format(v, 2, &o->format))
            ev_diag_usage_error("--format takes table or json, not '%s'", v);
        break;
    case OPT_FULL:
        o->full = true;
        break;
    case OPT_MAX_EXAMPLE_TOKENS:
        o->max_tokens = c->real;
        o->max_tokens_set = true;
        break;
    case OPT_METHOD:
        if (!ev_example_method_parse(v, &o->method))
            ev_diag_usage_error("--method must be 'sft' or 'dpo', not '%s'", v);
        o->method_set = true;
        break;
    case 'm':
        if (*v == '\0')
            ev_diag_usage_error("--model needs a model name");
        o->model = v;
        break;
    case OPT_POLL_MS:
        o->poll_ms = c->integer;
        break;
    case 'p':
        o->prices[o->nprices++] = (char *)v;
        break;
    case 'q':
        o->quiet = true;
        break;
    case OPT_PROVIDER:
        if (strcmp(v, "together") != 0 && strcmp(v, "fireworks") != 0 && strcmp(v, "openai") != 0)
            ev_diag_usage_error("--provider must be 'together', 'fireworks' or 'openai', not '%s'",
                                v);
        o->provider = v;
        break;
    case OPT_RESUME:
        set_mode(o, M_RESUME, "--resume", v);
        break;
    case 's':
        set_mode(o, M_SUBMIT, "--submit", NULL);
        break;
    case OPT_SEED:
        o->seed = c->integer;
        break;
    case OPT_SUFFIX:
        if (strlen(v) > 64 || strchr(v, ':') != NULL || *v == '\0')
            ev_diag_usage_error("--suffix must be 1 to 64 characters without ':', not '%s'", v);
        o->suffix = v;
        break;
    case OPT_SYSTEM:
        o->system = v;
        break;
    case OPT_TIMEOUT:
        o->timeout_s = c->real;
        break;
    case OPT_TO:
        if (!ev_convert_parse(v, &o->to))
            ev_diag_usage_error("--to must be one of %s; %s, not '%s'",
                                ev_convert_names(EV_EXAMPLE_SFT), ev_convert_names(EV_EXAMPLE_DPO),
                                v);
        o->to_set = true;
        break;
    case OPT_UNDEPLOY:
        set_mode(o, M_UNDEPLOY, "--undeploy", v);
        break;
    default: /* ev_cli_next refused every other option */
        break;
    }
}

static void
parse_options(opts *o, int argc, char **argv)
{
    o->max_tokens = EV_EXAMPLE_MAX_TOKENS;
    o->poll_ms = 5000;
    o->seed = -1;
    o->prices = ev_alloc_zero((size_t)argc, sizeof(*o->prices));
    o->pass_env = ev_alloc_zero((size_t)argc, sizeof(*o->pass_env));
    ev_cli c;
    int key;
    ev_cli_init(&c, options, (int)(sizeof(options) / sizeof(options[0])), argc, argv);
    while ((key = ev_cli_next(&c)) != -1) {
        if (key == 'h' || key == 'V') {
            ev_cli_free(&c);
            free(o->prices);
            free(o->pass_env);
            if (key == 'V')
                ev_diag_version();
            usage(stdout);
            exit(ev_diag_close_stdout());
        }
        option(o, key, &c);
    }
    ev_cli_free(&c);
    o->files = argv + optind;
    o->nfiles = argc - optind;
}

/* check_options refuses the combinations that make no sense, and settles
 * the method and the format: each follows from the other when only one is
 * given. */
static void
check_options(opts *o)
{
    if (o->to_set && o->method_set && ev_convert_method(o->to) != o->method)
        ev_diag_usage_error("--to %s is not a format of --method %s, whose formats are %s",
                            ev_convert_name(o->to), ev_example_method_name(o->method),
                            ev_convert_names(o->method));
    if (o->to_set)
        o->method = ev_convert_method(o->to);
    else
        o->to = ev_convert_default(o->method);
    bool reformat = o->to != ev_convert_default(o->method);
    if (o->mode == M_INFO && o->nfiles > 0)
        ev_diag_usage_error("--dataset-info takes no file, not '%s'", o->files[0]);
    if (o->mode == M_SUBMIT && o->model == NULL)
        ev_diag_usage_error("--submit needs the base model: -m MODEL");
    if (o->mode == M_SUBMIT && reformat)
        ev_diag_usage_error("--submit uploads the chat format: drop --to");
    if ((o->mode == M_RESUME || o->mode == M_CANCEL) && o->nfiles > 0)
        ev_diag_usage_error("--resume and --cancel take no file, not '%s'", o->files[0]);
    if (o->mode == M_CHECK && reformat)
        ev_diag_usage_error("--check checks the examples as they are: drop --to, or use "
                            "--convert");
    if (o->key_env != NULL && o->key_file != NULL)
        ev_diag_usage_error("give --api-key-env or --api-key-file, not both");
    if (o->npass > 0 && o->mode != M_CMD)
        ev_diag_usage_error("--env goes with --cmd");
    bool remote =
        o->mode == M_SUBMIT || o->mode == M_RESUME || o->mode == M_CANCEL || o->mode == M_UNDEPLOY;
    if (!remote && (o->provider || o->account || o->full || o->cache_dir))
        ev_diag_usage_error("--provider, --account, --full and --cache-dir go with --submit, "
                            "--resume, --cancel or --undeploy");
    bool together = o->provider != NULL && strcmp(o->provider, "together") == 0;
    bool serving = together || (o->provider != NULL && strcmp(o->provider, "fireworks") == 0);
    if (o->deploy && (!serving || (o->mode != M_SUBMIT && o->mode != M_RESUME)))
        ev_diag_usage_error("--deploy goes with --submit or --resume, and --provider together or "
                            "fireworks");
    if (o->mode == M_UNDEPLOY && !serving)
        ev_diag_usage_error("--undeploy needs --provider together or --provider fireworks");
    if (o->mode == M_UNDEPLOY && o->nfiles > 0)
        ev_diag_usage_error("--undeploy takes no file, not '%s'", o->files[0]);
    if (o->full && !together)
        ev_diag_usage_error("--full is Together's choice of full fine-tuning over LoRA: add "
                            "--provider together, or drop --full");
    if (together && o->suffix != NULL && strlen(o->suffix) > 40)
        ev_diag_usage_error("--suffix must be at most 40 characters for Together, not '%s'",
                            o->suffix);
    if (o->cacert != NULL && access(o->cacert, R_OK) != 0)
        ev_diag_usage_error("--cacert: cannot read '%s': %s", o->cacert, strerror(errno));
}

/* What the library says: warnings always, progress and the trainer's own
 * lines unless --quiet. */

static void
say_warning(void *ctx, const char *line)
{
    (void)ctx;
    ev_diag_warn("%s", line);
}

static void
say_progress(void *ctx, const char *line)
{
    const opts *o = ctx;
    if (!o->quiet)
        ev_diag_warn("%s", line);
}

static void
say_output(void *ctx, const char *line)
{
    const opts *o = ctx;
    if (!o->quiet)
        fprintf(stderr, "%s\n", line);
}

/* remote runs --submit, --resume or --cancel at the provider. The key is
 * read, and the client made, before the training file is: a mistake there
 * is found before the reading of a large file. */
/* provider returns the API --provider names. */
static const ev_finetune_api *
provider(const opts *o)
{
    if (o->provider != NULL && strcmp(o->provider, "together") == 0)
        return &ev_finetune_together;
    if (o->provider != NULL && strcmp(o->provider, "fireworks") == 0)
        return &ev_finetune_fireworks;
    return &ev_finetune_openai;
}

/* open_cache opens the directory where a submission keeps its state. */
static ev_cache *
open_cache(const opts *o)
{
    jv dir = o->cache_dir ? jv_string(o->cache_dir) : ev_cache_default_dir();
    if (!jv_is_valid(dir))
        ev_diag_die(EV_EXIT_TROUBLE, "%s; name one with --cache-dir",
                    jv_string_value(jv_invalid_get_msg(dir)));
    jv err;
    ev_cache *cache = ev_cache_open(jv_string_value(dir), &err);
    jv_free(dir);
    if (cache == NULL)
        ev_diag_die(EV_EXIT_TROUBLE,
                    "%s; a submission keeps its state there so that it is never paid twice: name "
                    "a directory that can be written with --cache-dir",
                    jv_string_value(jv_invalid_get_msg(err)));
    return cache;
}

/* hourly_prices returns the price table (--prices, else the installed one)
 * for the price an hour of a deployment, or NULL, said, when there is none:
 * a warning, never a reason to stop. */
static ev_price_table *
hourly_prices(const opts *o)
{
    jv err, where = o->nprices > 0 ? jv_null() : ev_price_table_locate();
    if (o->nprices == 0 && !jv_is_valid(where)) {
        ev_diag_warn_jv(where);
        return NULL;
    }
    const char *one =
        jv_is_valid(where) && jv_get_kind(where) == JV_KIND_STRING ? jv_string_value(where) : NULL;
    ev_price_table *t = o->nprices > 0
                            ? ev_price_table_open((const char *const *)o->prices, o->nprices, &err)
                            : ev_price_table_open(&one, 1, &err);
    jv_free(where);
    if (t == NULL)
        ev_diag_warn_jv(err);
    return t;
}

/* deploy serves the model of the job of 'line' (consumed) when the job
 * succeeded ('status' EV_EXIT_OK), puts the deployment in the line, writes
 * it, and returns the exit status. */
static int
deploy(ev_rest *c, const ev_deploy_opts *o, int status, jv line)
{
    if (jv_get_kind(line) != JV_KIND_OBJECT) {
        jv_free(line);
        return status;
    }
    jv dep = jv_null();
    if (status == EV_EXIT_OK)
        status = ev_deploy_start(c, o, line, &dep);
    if (jv_get_kind(dep) == JV_KIND_OBJECT)
        line = jv_object_set(line, jv_string("deployment"), jv_copy(dep));
    ev_jsonl_write(stdout, line);
    ev_deploy_remind(o, dep);
    jv_free(dep);
    return status;
}

static int
remote(const opts *o, const ev_dataset_opts *d, const ev_quote_opts *q)
{
    const ev_finetune_api *api = provider(o);
    const char *account = o->account;
    if (account == NULL && api->account_env != NULL)
        account = getenv(api->account_env);
    if (api->account_env != NULL && o->mode == M_SUBMIT && (account == NULL || *account == '\0'))
        ev_diag_usage_error("--provider %s needs the account: --account ID, or $%s", api->name,
                            api->account_env);
    char *key;
    jv err;
    if (!ev_secret_read(o->key_file, o->key_env, api->key_env, &key, NULL, &err)) {
        jv m = jv_invalid_get_msg(err);
        ev_diag_usage_error("%s", jv_string_value(m));
    }
    if (key == NULL && api != &ev_finetune_openai)
        ev_diag_usage_error("--provider %s needs a key: set $%s, or name one with --api-key-env "
                            "or --api-key-file",
                            api->name, api->key_env);
    ev_rest *c = ev_finetune_open(api, o->base_url, key, o->cacert, "ev-tune/" EV_VERSION,
                                  &interrupted, &err);
    ev_secret_free(key);
    if (c == NULL) {
        ev_diag_warn_jv(err);
        return EV_EXIT_TROUBLE;
    }
    ev_finetune_opts f = {.api = api,
                          .model = o->model,
                          .suffix = o->suffix,
                          .seed = o->seed,
                          .epochs = o->epochs,
                          .poll_ms = o->poll_ms,
                          .timeout_s = o->timeout_s,
                          .stop = &interrupted,
                          .log = d->log,
                          .out = stdout,
                          .account = account,
                          .dpo = o->method == EV_EXAMPLE_DPO,
                          .full = o->full,
                          .max_tokens_given = o->max_tokens_set};
    ev_deploy_opts dep = {strcmp(api->name, "together") == 0 ? &ev_deploy_together
                                                             : &ev_deploy_fireworks,
                          o->poll_ms,
                          o->timeout_s,
                          &interrupted,
                          d->log,
                          o->deploy ? hourly_prices(o) : NULL};
    if (o->mode == M_SUBMIT)
        f.cache = open_cache(o);
    jv line = jv_null();
    if (o->deploy)
        f.line = &line;
    int status = o->mode == M_SUBMIT   ? ev_finetune_submit(c, &f, d, q)
                 : o->mode == M_RESUME ? ev_finetune_resume(c, &f, o->job)
                 : o->mode == M_CANCEL ? ev_finetune_cancel(c, &f, o->job)
                                       : ev_deploy_stop(c, &dep, o->job, stdout);
    if (o->deploy)
        status = deploy(c, &dep, status, line);
    if (f.cache != NULL)
        ev_cache_close(f.cache);
    ev_price_table_free((ev_price_table *)dep.prices);
    ev_rest_free(c);
    return status;
}

/* dataset_info writes LLaMA-Factory's entry for --dataset-info. */
static int
dataset_info(const opts *o)
{
    jv info = ev_convert_dataset_info(o->to, o->info);
    if (!jv_is_valid(info)) {
        char why[256];
        jv m = jv_invalid_get_msg(info);
        snprintf(why, sizeof(why), "%s", jv_string_value(m));
        jv_free(m);
        ev_diag_usage_error("--dataset-info: %s", why);
    }
    return ev_jsonl_write(stdout, info) == 0 ? EV_EXIT_OK : EV_EXIT_TROUBLE;
}

int
main(int argc, char **argv)
{
    opts o = {0};
    parse_options(&o, argc, argv);
    check_options(&o);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Only the modes that talk HTTP ignore SIGPIPE, as libcurl needs; the
     * others end quietly by it when a reader such as head(1) goes away. */
    if (o.mode == M_SUBMIT || o.mode == M_RESUME || o.mode == M_CANCEL || o.mode == M_UNDEPLOY)
        signal(SIGPIPE, SIG_IGN);

    ev_log log = {say_warning, say_progress, say_output, &o};
    ev_dataset_opts d = {o.files, o.nfiles, o.system, o.max_tokens, o.to, &log, o.method, 0};
    ev_quote_opts q = {o.model, o.epochs, o.prices, o.nprices};
    ev_localtrain_opts t = {o.command, "ev-tune",    o.pass_env, o.model,
                            o.suffix,  &interrupted, &log,       stdout};
    int status;
    switch (o.mode) {
    case M_CHECK:
        status = ev_dataset_check(&d, &q, o.format, stdout);
        break;
    case M_CONVERT:
        ev_jsonl_output_setup();
        status = ev_dataset_convert(&d, stdout);
        break;
    case M_INFO:
        status = dataset_info(&o);
        break;
    case M_CMD:
        status = ev_localtrain_train(&t, &d, &q);
        break;
    default:
        status = remote(&o, &d, &q);
        break;
    }
    free(o.prices);
    free(o.pass_env);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    if (interrupted && status != EV_EXIT_TROUBLE)
        status = EV_EXIT_INTR;
    return status;
}
