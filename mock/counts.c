#include "counts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "keymap.h"

static const char *const path_names[EVM_COUNTS_NPATHS] = {
    "/v1/chat/completions",
    "/chat/completions",
    "/v1/messages",
    "/messages",
    "/together/v1/chat/completions",
    "/fireworks/inference/v1/chat/completions",
    "/v1/files",
    "/v1/fine_tuning/jobs",
    "/v1/batches",
    "/v1/messages/batches",
    "/together/v1/files",
    "/together/v1/fine-tunes",
    "/together/v1/whoami",
    "/together/v2",
    "/fireworks/v1/accounts/{account}/datasets",
    "/fireworks/v1/accounts/{account}/supervisedFineTuningJobs",
    "/fireworks/v1/accounts/{account}/dpoJobs",
    "/fireworks/v1/accounts/{account}/models",
    "/fireworks/v1/accounts/{account}/deployments",
    "other",
};

/* The collections of Fireworks' accounts, in the order of their paths. */
static const char *const fireworks_collections[] = {
    "datasets", "supervisedFineTuningJobs", "dpoJobs", "models", "deployments",
};

static const char *const source_names[] = {
    [EVM_MODEL_REPLAY] = "replay",
    [EVM_MODEL_RIGHT] = "right",
    [EVM_MODEL_WRONG] = "wrong",
    [EVM_MODEL_UNKNOWN] = "unknown",
};

#define NSOURCES (sizeof(source_names) / sizeof(source_names[0]))

/* The most model names counted. */
#define MAX_MODELS 1000

typedef struct model_count {
    char *model;
    unsigned long n;
} model_count;

struct evm_counts {
    unsigned long requests, by_path[EVM_COUNTS_NPATHS], by_outcome[EVM_COUNTS_NOUTCOMES];
    unsigned long by_source[NSOURCES];
    long in_flight, max_in_flight;
    model_count *models;
    size_t nmodels;
    ev_keymap *bodies;       /* a body's hash to its number in 'attempts' */
    unsigned long *attempts; /* attempts of each distinct body */
    size_t nbodies;
    unsigned long max_attempts;
    unsigned long files_uploaded;
};

evm_counts *
evm_counts_new(void)
{
    evm_counts *c = ev_alloc_zero(1, sizeof(*c));
    c->bodies = ev_keymap_new();
    return c;
}

/* below says whether 'url' is 'base' or below it: followed by nothing, a
 * '/' or, with 'colon', a ':' (Fireworks' custom methods, ":upload"). */
static bool
below(const char *url, const char *base, bool colon)
{
    size_t n = strlen(base);
    return strncmp(url, base, n) == 0 &&
           (url[n] == '\0' || url[n] == '/' || (colon && url[n] == ':'));
}

/* under says whether 'url' is 'base' or below it, with or without /v1. */
static bool
under(const char *url, const char *base)
{
    return below(strncmp(url, "/v1/", 4) == 0 ? url + 3 : url, base, false);
}

/* fireworks_path_of returns the collection of Fireworks' account path
 * 'url' ("/fireworks/v1/accounts/A/COLLECTION..."), or EVM_COUNTS_OTHER. */
static enum evm_counts_path
fireworks_path_of(const char *url)
{
    static const char root[] = "/fireworks/v1/accounts/";
    if (strncmp(url, root, sizeof(root) - 1) != 0)
        return EVM_COUNTS_OTHER;
    const char *rest = strchr(url + sizeof(root) - 1, '/');
    size_t n = sizeof(fireworks_collections) / sizeof(fireworks_collections[0]);
    for (size_t i = 0; rest != NULL && i < n; i++)
        if (below(rest + 1, fireworks_collections[i], true))
            return (enum evm_counts_path)(EVM_COUNTS_FIREWORKS_DATASETS + (int)i);
    return EVM_COUNTS_OTHER;
}

bool
evm_counts_is_model(enum evm_counts_path path)
{
    return path <= EVM_COUNTS_FIREWORKS_CHAT;
}

enum evm_counts_path
evm_counts_path_of(const char *url)
{
    for (int i = 0; i < EVM_COUNTS_FILES; i++)
        if (strcmp(url, path_names[i]) == 0)
            return (enum evm_counts_path)i;
    static const struct {
        const char *base;
        enum evm_counts_path path;
    } provider[] = {
        {"/together/v1/files", EVM_COUNTS_TOGETHER_FILES},
        {"/together/v1/fine-tunes", EVM_COUNTS_TOGETHER_JOBS},
        {"/together/v1/whoami", EVM_COUNTS_TOGETHER_WHOAMI},
        {"/together/v2", EVM_COUNTS_TOGETHER_V2},
    };
    for (size_t i = 0; i < sizeof(provider) / sizeof(provider[0]); i++)
        if (below(url, provider[i].base, false))
            return provider[i].path;
    if (strncmp(url, "/fireworks/", 11) == 0)
        return fireworks_path_of(url);
    if (under(url, "/files"))
        return EVM_COUNTS_FILES;
    if (under(url, "/fine_tuning/jobs"))
        return EVM_COUNTS_JOBS;
    if (under(url, "/batches"))
        return EVM_COUNTS_BATCHES;
    if (under(url, "/messages/batches"))
        return EVM_COUNTS_MESSAGE_BATCHES;
    return EVM_COUNTS_OTHER;
}

const char *
evm_counts_outcome_name(enum evm_counts_outcome o)
{
    static const char *const rest[] = {"rate_limited", "unauthorized", "bad_request", "not_found",
                                       "lost_id"};
    if (o == EVM_COUNTS_OK)
        return "ok";
    if (o < EVM_COUNTS_RATE_LIMITED)
        return evm_fault_name((enum evm_fault)(o - EVM_COUNTS_FAULT));
    return rest[o - EVM_COUNTS_RATE_LIMITED];
}

const char *
evm_counts_source_name(enum evm_model_source source)
{
    return source_names[source];
}

void
evm_counts_request(evm_counts *c, enum evm_counts_path path, enum evm_counts_outcome outcome)
{
    c->requests++;
    c->by_path[path]++;
    c->by_outcome[outcome]++;
}

void
evm_counts_model(evm_counts *c, const char *model)
{
    size_t i = 0;
    while (i < c->nmodels && strcmp(c->models[i].model, model) != 0)
        i++;
    if (i == c->nmodels) {
        if (c->nmodels == MAX_MODELS)
            return;
        c->models = ev_alloc_array(c->models, c->nmodels + 1, sizeof(*c->models));
        c->models[i] = (model_count){ev_alloc_strdup(model), 0};
        c->nmodels++;
    }
    c->models[i].n++;
}

unsigned long
evm_counts_attempt(evm_counts *c, uint64_t body)
{
    size_t e = ev_keymap_find(c->bodies, body);
    size_t i;
    if (e != EV_KEYMAP_END) {
        i = ev_keymap_item(c->bodies, e);
    } else {
        i = c->nbodies++;
        c->attempts = ev_alloc_array(c->attempts, c->nbodies, sizeof(*c->attempts));
        c->attempts[i] = 0;
        ev_keymap_add(c->bodies, body, (uint32_t)i);
    }
    unsigned long n = ++c->attempts[i];
    if (n > c->max_attempts)
        c->max_attempts = n;
    return n;
}

void
evm_counts_answer(evm_counts *c, enum evm_model_source source)
{
    c->by_source[source]++;
}

void
evm_counts_enter(evm_counts *c)
{
    if (++c->in_flight > c->max_in_flight)
        c->max_in_flight = c->in_flight;
}

void
evm_counts_leave(evm_counts *c)
{
    c->in_flight--;
}

void
evm_counts_upload(evm_counts *c)
{
    c->files_uploaded++;
}

static jv
number(unsigned long n)
{
    return jv_number((double)n);
}

jv
evm_counts_json(const evm_counts *c, jv fine_tuning, jv batches)
{
    jv paths = jv_object(), outcomes = jv_object(), sources = jv_object(), models = jv_object();
    for (int i = 0; i < EVM_COUNTS_NPATHS; i++)
        paths = jv_object_set(paths, jv_string(path_names[i]), number(c->by_path[i]));
    for (int i = 0; i < EVM_COUNTS_NOUTCOMES; i++)
        outcomes =
            jv_object_set(outcomes, jv_string(evm_counts_outcome_name((enum evm_counts_outcome)i)),
                          number(c->by_outcome[i]));
    for (size_t i = 0; i < NSOURCES; i++)
        sources = jv_object_set(sources, jv_string(source_names[i]), number(c->by_source[i]));
    for (size_t i = 0; i < c->nmodels; i++)
        models = jv_object_set(models, jv_string(c->models[i].model), number(c->models[i].n));
    jv o = jv_object_set(jv_object(), jv_string("requests"), number(c->requests));
    o = jv_object_set(o, jv_string("by_path"), paths);
    o = jv_object_set(o, jv_string("by_outcome"), outcomes);
    o = jv_object_set(o, jv_string("by_model"), models);
    o = jv_object_set(o, jv_string("answers"), sources);
    o = jv_object_set(o, jv_string("distinct_bodies"), number(c->nbodies));
    o = jv_object_set(o, jv_string("max_attempts"), number(c->max_attempts));
    o = jv_object_set(o, jv_string("in_flight"), jv_number((double)c->in_flight));
    o = jv_object_set(o, jv_string("max_in_flight"), jv_number((double)c->max_in_flight));
    o = jv_object_set(o, jv_string("fine_tuning"), fine_tuning);
    jv openai = jv_object_get(jv_copy(batches), jv_string("openai"));
    openai = jv_object_set(openai, jv_string("files_uploaded"), number(c->files_uploaded));
    return jv_object_set(o, jv_string("batches"),
                         jv_object_set(batches, jv_string("openai"), openai));
}

jv
evm_counts_summary(const evm_counts *c)
{
    unsigned long faulted = 0;
    for (int k = 0; k < EVM_FAULT_N; k++)
        faulted += c->by_outcome[EVM_COUNTS_FAULT + k];
    faulted += c->by_outcome[EVM_COUNTS_LOST_ID];
    return jv_string_fmt(
        "%lu requests: %lu ok, %lu faulted, %lu rate limited, %lu unauthorized, "
        "%lu bad, %lu not found",
        c->requests, c->by_outcome[EVM_COUNTS_OK], faulted, c->by_outcome[EVM_COUNTS_RATE_LIMITED],
        c->by_outcome[EVM_COUNTS_UNAUTHORIZED], c->by_outcome[EVM_COUNTS_BAD_REQUEST],
        c->by_outcome[EVM_COUNTS_NOT_FOUND]);
}

/* free_parts frees what 'c' holds, but not 'c'. */
static void
free_parts(evm_counts *c)
{
    for (size_t i = 0; i < c->nmodels; i++)
        free(c->models[i].model);
    free(c->models);
    ev_keymap_free(c->bodies);
    free(c->attempts);
}

void
evm_counts_reset(evm_counts *c)
{
    long in_flight = c->in_flight;
    free_parts(c);
    *c = (evm_counts){.in_flight = in_flight, .max_in_flight = in_flight};
    c->bodies = ev_keymap_new();
}

void
evm_counts_free(evm_counts *c)
{
    if (c == NULL)
        return;
    free_parts(c);
    free(c);
}
