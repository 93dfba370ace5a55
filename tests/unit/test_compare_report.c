/* Unit tests of lib/compare_report: each format of a comparison report, the
 * report of no evidence, and reports with figures missing. */
#include <stdio.h>

#include "compare_report.h"
#include "unit.h"

/* written returns what ev_compare_report_write writes of the report 'json'
 * in format 'fmt'; the caller frees it. */
static char *
written(const char *json, enum ev_cli_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    jv rep = jv_parse(json);
    ev_compare_report_write(f, rep, fmt);
    jv_free(rep);
    fclose(f);
    return buf;
}

/* columns says whether every line of 'tsv' has 'n' tab-separated cells. */
static int
columns(const char *tsv, int n)
{
    int cells = 1;
    for (const char *p = tsv; *p != '\0'; p++) {
        if (*p == '\t') {
            cells++;
        } else if (*p == '\n') {
            if (cells != n)
                return 0;
            cells = 1;
        }
    }
    return 1;
}

static const char *const compared =
    "{\"runs\":[{\"run\":\"b\",\"cases\":2,\"passes\":1,\"accuracy\":0.5,"
    "\"accuracy_ci\":[0.1,0.9],\"failed_calls\":0,\"groups\":{\"g\":{\"cases\":1}}},"
    "{\"run\":\"c\",\"cases\":2,\"passes\":2,\"accuracy\":1,\"accuracy_ci\":[0.3,1],"
    "\"failed_calls\":0}],\"comparisons\":[{\"baseline\":\"b\",\"candidate\":\"c\","
    "\"paired_cases\":2,\"delta\":0.5,\"delta_ci\":[-0.2,0.8],\"mcnemar_p\":1,\"mde\":0.9,"
    "\"regressed\":[],\"regressed_count\":0,\"fixed\":[\"x|y\"],\"fixed_count\":1,"
    "\"verdict\":{\"goal\":\"surpass\",\"result\":\"inconclusive\",\"met\":false},"
    "\"met\":false}],\"met\":false}";

static const char *const nothing =
    "{\"runs\":[{\"run\":\"b\",\"cases\":1},{\"run\":\"c\",\"cases\":0}],\"comparisons\":[{"
    "\"baseline\":\"b\",\"candidate\":\"c\",\"paired_cases\":0,\"no_evidence\":\"nothing to "
    "compare\",\"verdict\":{\"goal\":\"surpass\",\"result\":\"no evidence\",\"met\":false},"
    "\"met\":false}],\"met\":false,\"no_evidence\":true}";

int
main(void)
{
    char *s = written(compared, EV_CLI_FORMAT_TSV);
    CHECK(strncmp(s, "kind\trun\tgroup\tcases\t", 20) == 0, "tsv opens with its one header");
    CHECK(columns(s, 21), "every tsv row has the header's 21 columns");
    CHECK(strstr(s, "\nrun\tb\tg\t1\t") != NULL, "a group of a run is a run row with its group");
    CHECK(strstr(s, "\ncompare\tc\t\t2\t\t1\t") == NULL && strstr(s, "\ncompare\tc\t\t2\t") != NULL,
          "a comparison row names the candidate and counts the paired cases");
    CHECK(strstr(s, "\tinconclusive\tfalse\n") != NULL, "and ends with the verdict and met");
    free(s);

    s = written(compared, EV_CLI_FORMAT_MARKDOWN);
    CHECK(strstr(s, "\n- fixed (1): `x|y`\n") != NULL, "markdown lists ids as a bullet of code");
    free(s);
    s = written("{\"runs\":[{\"run\":\"a|b\",\"groups\":{\"g|h\":{}}}]}", EV_CLI_FORMAT_MARKDOWN);
    CHECK(strstr(s, "\n| a\\|b | ") != NULL && strstr(s, "\n|   g\\|h | ") != NULL,
          "a pipe in a run's or group's name does not end its markdown cell");
    free(s);

    s = written(nothing, EV_CLI_FORMAT_TABLE);
    CHECK(strstr(s, "c vs b: 0 paired cases\n  nothing to compare\n  verdict: no evidence") != NULL,
          "a table says there is nothing to compare, and no verdict");
    CHECK(strstr(s, "both pass") == NULL, "and prints no 2x2 table of nothing");
    free(s);
    s = written(nothing, EV_CLI_FORMAT_TSV);
    CHECK(strstr(s, "nan") == NULL && columns(s, 21), "tsv of no evidence has no nan");
    free(s);

    /* A report with every figure missing or of the wrong kind still prints. */
    const char *odd[] = {"{}", "{\"runs\":[{}],\"comparisons\":[{}]}",
                         "{\"runs\":7,\"comparisons\":{\"a\":1}}",
                         "{\"runs\":[{\"groups\":[]}],\"comparisons\":[{\"groups\":{\"g\":{}},"
                         "\"regressed_count\":3,\"regressed\":5,\"delta_ci\":\"x\"}]}"};
    int printed = 0;
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        enum ev_cli_format fmts[] = {EV_CLI_FORMAT_JSON, EV_CLI_FORMAT_TABLE,
                                     EV_CLI_FORMAT_MARKDOWN, EV_CLI_FORMAT_TSV};
        for (size_t j = 0; j < 4; j++) {
            s = written(odd[i], fmts[j]);
            printed += s != NULL && s[0] != '\0';
            free(s);
        }
    }
    CHECK(printed == 16, "reports with figures missing print in every format without a crash");
    UNIT_DONE();
}
