#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "metric.h"

bool
ev_cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool
ev_cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return false;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool
ev_cli_parse_format(const char *s, int n, enum ev_cli_format *out)
{
    static const char *const names[] = {"table", "json", "markdown", "tsv"};
    for (int i = 0; i < n && i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum ev_cli_format)(EV_CLI_FORMAT_TABLE + i);
            return true;
        }
    }
    return false;
}

enum ev_cli_format
ev_cli_format_resolve(enum ev_cli_format f)
{
    if (f != EV_CLI_FORMAT_AUTO)
        return f;
    return isatty(STDOUT_FILENO) ? EV_CLI_FORMAT_TABLE : EV_CLI_FORMAT_JSON;
}

void
ev_cli_init(ev_cli *c, const ev_cli_opt *opts, int nopts, int argc, char **argv)
{
    struct option *lo = ev_alloc_zero((size_t)nopts + 1, sizeof(*lo));
    /* ':' first: a missing value comes back as ':' rather than a message. */
    char *so = ev_alloc(3 * (size_t)nopts + 2);
    size_t k = 0;
    so[k++] = ':';
    for (int i = 0; i < nopts; i++) {
        bool takes = opts[i].arg != EV_CLI_ARG_NONE;
        lo[i] = (struct option){opts[i].name, takes ? required_argument : no_argument, NULL,
                                opts[i].key};
        if (opts[i].key > 0 && opts[i].key < 256) {
            so[k++] = (char)opts[i].key;
            if (takes)
                so[k++] = ':';
        }
    }
    so[k] = '\0';
    *c = (ev_cli){
        .opts = opts, .nopts = nopts, .argc = argc, .argv = argv, .longopts = lo, .shortopts = so};
    opterr = 0;
}

void
ev_cli_free(ev_cli *c)
{
    free(c->longopts);
    free(c->shortopts);
    c->longopts = NULL;
    c->shortopts = NULL;
}

static const ev_cli_opt *
find_key(const ev_cli *c, int key)
{
    for (int i = 0; i < c->nopts; i++)
        if (c->opts[i].key == key)
            return &c->opts[i];
    return NULL;
}

/* spelled returns how the user wrote the option 'o' just read: "-x" when
 * the word was a short option, else "--name". */
static const char *
spelled(const ev_cli *c, const ev_cli_opt *o, char *buf, size_t n)
{
    /* A value given as its own word is argv[optind - 1]; the option before. */
    int at = optind - 1;
    if (optarg != NULL && at > 0 && c->argv[at] == optarg)
        at--;
    const char *word = at > 0 && at < c->argc ? c->argv[at] : "";
    if (word[0] == '-' && word[1] != '-' && o->key > 0 && o->key < 256)
        snprintf(buf, n, "-%c", o->key);
    else
        snprintf(buf, n, "--%s", o->name);
    return buf;
}

/* unknown reports the option at argv[optind - 1] (or the short 'optopt'),
 * with the nearest known name when one is near enough. */
_Noreturn static void
unknown(const ev_cli *c)
{
    const char *word = optind > 0 && optind <= c->argc ? c->argv[optind - 1] : "";
    if (strncmp(word, "--", 2) != 0) {
        if (optopt > 0 && optopt < 256)
            ev_diag_usage_error("unknown option '-%c'", optopt);
        ev_diag_usage_error("unknown option '%s'", word);
    }
    char name[128];
    size_t len = strcspn(word + 2, "=");
    snprintf(name, sizeof(name), "%.*s", (int)(len < 120 ? len : 120), word + 2);
    const char **names = ev_alloc_array(NULL, (size_t)c->nopts, sizeof(char *));
    for (int i = 0; i < c->nopts; i++)
        names[i] = c->opts[i].name;
    const char *best = ev_metric_nearest(name, names, c->nopts); /* a name of 'c->opts' */
    free(names);
    if (best != NULL)
        ev_diag_usage_error("unknown option '--%s'; did you mean '--%s'?", name, best);
    ev_diag_usage_error("unknown option '--%s'", name);
}

/* number reads the value of 'o' into 'c', or ends with a usage error that
 * says the range. */
static void
number(ev_cli *c, const ev_cli_opt *o)
{
    char opt[64];
    spelled(c, o, opt, sizeof(opt));
    if (o->arg == EV_CLI_ARG_INT) {
        /* (double)LONG_MAX rounds up past LONG_MAX: a table's way of saying it. */
        long lo = o->lo <= (double)LONG_MIN ? LONG_MIN : (long)o->lo;
        long hi = o->hi >= (double)LONG_MAX ? LONG_MAX : (long)o->hi;
        if (!ev_cli_parse_long(c->text, lo, hi, &c->integer))
            ev_diag_usage_error("%s takes a whole number from %ld to %ld, not '%s'", opt, lo, hi,
                                c->text);
        c->real = (double)c->integer;
        return;
    }
    if (!ev_cli_parse_double(c->text, o->lo, o->hi, &c->real) || (o->above && c->real <= o->lo)) {
        /* %.15g: a bound such as 1048576 reads as written, not 1.04858e+06 */
        if (o->above)
            ev_diag_usage_error("%s takes a number above %.15g and up to %.15g, not '%s'", opt,
                                o->lo, o->hi, c->text);
        ev_diag_usage_error("%s takes a number from %.15g to %.15g, not '%s'", opt, o->lo, o->hi,
                            c->text);
    }
}

int
ev_cli_next(ev_cli *c)
{
    optopt = 0;
    int key = getopt_long(c->argc, c->argv, c->shortopts, c->longopts, NULL);
    if (key == -1)
        return -1;
    if (key == '?')
        unknown(c);
    if (key == ':') {
        const ev_cli_opt *o = find_key(c, optopt);
        char opt[64];
        if (o == NULL)
            ev_diag_usage_error("option '%s' needs a value", c->argv[optind - 1]);
        ev_diag_usage_error("%s needs a value", spelled(c, o, opt, sizeof(opt)));
    }
    const ev_cli_opt *o = find_key(c, key);
    c->text = optarg;
    c->integer = 0;
    c->real = 0;
    if (o != NULL && (o->arg == EV_CLI_ARG_INT || o->arg == EV_CLI_ARG_REAL))
        number(c, o);
    return key;
}
