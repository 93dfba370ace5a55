/*
 * Fuzz target: ev-compare's runs, statistics and report (lib/run.c,
 * lib/compare.c, lib/compare_report.c). The input is two runs, the
 * baseline and the candidate, split at the first byte 0x1d (GS); a lone run
 * when there is none. The first byte chooses the options: bit 0 --by tag,
 * bit 1 --cluster g, bits 2-3 the goal (none, surpass, match), bit 4
 * --exact, bit 5 --min-accuracy 0.5.
 *
 * Checked: the report is one JSON object; a comparison of no paired case
 * says so and meets nothing, nor does the whole report; every interval holds
 * its estimate's range and is never of zero width when cases were averaged
 * or clustered; and the report writes in every format, TSV with the same 21
 * columns on every line and no "nan".
 */
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compare.h"
#include "compare_report.h"
#include "json.h"
#include "run.h"

#include "fuzz.h"

static void
no_problem(jv msg, void *ctx)
{
    (void)ctx;
    FUZZ_ASSERT(jv_get_kind(msg) == JV_KIND_STRING || fuzz_has_message(msg));
    jv_free(msg);
}

/* load reads 'size' bytes at 'data' as a run from the memory file 'fd'. */
static void
load(ev_run *run, int fd, const uint8_t *data, size_t size, const ev_run_opts *o)
{
    char path[32];
    snprintf(path, sizeof(path), "/dev/fd/%d", fd);
    FUZZ_ASSERT(ftruncate(fd, 0) == 0);
    FUZZ_ASSERT(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
    FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
    FUZZ_ASSERT(ev_run_load(run, path, o, no_problem, NULL) >= 0);
}

/* check_ci checks the interval at 'path' of 'o' around the estimate at
 * 'at': inside [lo, hi], holding the estimate, and of some width when
 * 'wide'. A missing interval is fine only with no case. */
static void
check_ci(jv o, const char *path, const char *at, double lo, double hi, bool wide)
{
    char p0[64], p1[64];
    snprintf(p0, sizeof(p0), "%s.0", path);
    snprintf(p1, sizeof(p1), "%s.1", path);
    double a = ev_json_number(o, p0), b = ev_json_number(o, p1), x = ev_json_number(o, at);
    if (isnan(x))
        return;
    FUZZ_ASSERT(a >= lo && b <= hi && a <= b);
    FUZZ_ASSERT(a <= x + 1e-9 && x <= b + 1e-9);
    if (wide)
        FUZZ_ASSERT(b > a);
}

static void
check_report(jv rep, bool averaged)
{
    FUZZ_ASSERT(jv_get_kind(rep) == JV_KIND_OBJECT);
    jv runs = ev_json_field(rep, "runs"), comps = ev_json_field(rep, "comparisons");
    jv_array_foreach(runs, i, r)
    {
        check_ci(r, "accuracy_ci", "accuracy", 0, 1, averaged);
        jv_free(r);
        (void)i;
    }
    bool none = false;
    jv_array_foreach(comps, i, c)
    {
        if (ev_json_number(c, "paired_cases") == 0) {
            none = true;
            jv m = ev_json_field(c, "met");
            FUZZ_ASSERT(jv_get_kind(m) == JV_KIND_FALSE);
            jv_free(m);
            FUZZ_ASSERT(!ev_json_true(c, "verdict.met"));
        } else {
            check_ci(c, "delta_ci", "delta", -1, 1, averaged);
        }
        jv_free(c);
        (void)i;
    }
    jv_free(runs);
    jv_free(comps);
    if (none) {
        FUZZ_ASSERT(ev_json_true(rep, "no_evidence"));
        jv m = ev_json_field(rep, "met");
        FUZZ_ASSERT(jv_get_kind(m) == JV_KIND_FALSE);
        jv_free(m);
    }
}

static void
check_tsv(const char *s)
{
    int cells = 1, lines = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\t') {
            cells++;
        } else if (*p == '\n') {
            FUZZ_ASSERT(cells == 21);
            cells = 1;
            lines++;
        }
    }
    FUZZ_ASSERT(lines >= 1 && cells == 1);
    FUZZ_ASSERT(strstr(s, "\tnan") == NULL && strstr(s, "\t-nan") == NULL);
}

static void
write_all(jv rep)
{
    enum ev_cli_format fmts[] = {EV_CLI_FORMAT_JSON, EV_CLI_FORMAT_TABLE, EV_CLI_FORMAT_MARKDOWN,
                                 EV_CLI_FORMAT_TSV};
    for (size_t i = 0; i < 4; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        FUZZ_ASSERT(f != NULL);
        ev_compare_report_write(f, rep, fmts[i]);
        FUZZ_ASSERT(fclose(f) == 0);
        if (fmts[i] == EV_CLI_FORMAT_JSON) {
            jv back = jv_parse_sized(buf, (int)len);
            FUZZ_ASSERT(jv_get_kind(back) == JV_KIND_OBJECT);
            jv_free(back);
        } else if (fmts[i] == EV_CLI_FORMAT_TSV) {
            check_tsv(buf);
        }
        free(buf);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create("compare", 0);
        FUZZ_ASSERT(fd >= 0);
    }
    uint8_t flags = size > 0 ? data[0] : 0;
    const uint8_t *rest = size > 0 ? data + 1 : data;
    size_t n = size > 0 ? size - 1 : 0;
    const uint8_t *gs = memchr(rest, 0x1d, n);
    size_t nb = gs != NULL ? (size_t)(gs - rest) : n;

    ev_run_opts ro = {flags & 1 ? "tag" : NULL, flags & 2 ? "g" : NULL};
    ev_compare_opts o = {.level = 0.95,
                         .margin = 0.05,
                         .seed = 1,
                         .bootstrap = 100,
                         .max_ids = -1,
                         .by = (flags & 1) != 0,
                         .clustered = (flags & 2) != 0,
                         .goal = (flags >> 2 & 3) == 1   ? EV_COMPARE_GOAL_SURPASS
                                 : (flags >> 2 & 3) == 2 ? EV_COMPARE_GOAL_MATCH
                                                         : EV_COMPARE_GOAL_NONE,
                         .exact = (flags & 16) != 0,
                         .has_min = (flags & 32) != 0,
                         .min_accuracy = 0.5};
    ev_run runs[2];
    memset(runs, 0, sizeof(runs));
    load(&runs[0], fd, rest, nb, &ro);
    size_t nruns = 1;
    if (gs != NULL) {
        load(&runs[1], fd, gs + 1, n - nb - 1, &ro);
        nruns = 2;
    }
    bool averaged = o.clustered;
    for (size_t r = 0; r < nruns; r++)
        for (size_t i = 0; i < runs[r].n; i++)
            averaged = averaged || runs[r].cases[i].samples > 1;
    jv rep = ev_compare_runs(runs, nruns, &o);
    check_report(rep, averaged);
    write_all(rep);
    jv_free(rep);
    for (size_t r = 0; r < nruns; r++)
        ev_run_free(&runs[r]);
    return 0;
}
