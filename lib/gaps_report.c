#include "gaps_report.h"

#include "json.h"
#include "report.h"

/* cell writes one cell of a summary row in the format 'f': the first of a
 * row opens it; 'width' pads a table's cell, negative to the left. */
static void
cell(FILE *out, enum ev_cli_format f, const char *text, int width, bool first)
{
    if (f == EV_CLI_FORMAT_TSV)
        fprintf(out, "%s%s", first ? "" : "\t", text);
    else if (f == EV_CLI_FORMAT_MARKDOWN)
        fprintf(out, "%s%s |", first ? "| " : " ", text);
    else
        fprintf(out, "%s%*s", first ? "" : " ", width, text);
}

/* The columns of a summary, their widths in a table and their headings in
 * each format: table, markdown, tsv. */
static const struct column {
    const char *key;
    int width;
    const char *head[3];
} columns[] = {
    {"tag", -24, {"tag", "tag", "tag"}},
    {"cases", 7, {"cases", "cases", "cases"}},
    {"failures", 8, {"failures", "failures", "failures"}},
    {"failure_rate", 8, {"rate", "failure rate", "failure_rate"}},
    {"regressions", 11, {"regressions", "regressions", "regressions"}},
    {"budget", 7, {"budget", "budget", "budget"}},
};

/* summary_line writes the headings, or with a 'row' (borrowed) its cells;
 * the last two columns only when 'reg' and 'bud'. */
static void
summary_line(FILE *out, jv row, enum ev_cli_format f, bool reg, bool bud)
{
    int which = f == EV_CLI_FORMAT_MARKDOWN ? 1 : f == EV_CLI_FORMAT_TSV ? 2 : 0;
    double rate = ev_json_number(row, "failures") / ev_json_number(row, "cases");
    jv tag = ev_json_field(row, "tag");
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
        const struct column *col = &columns[i];
        char buf[64];
        const char *text = buf;
        if ((i == 4 && !reg) || (i == 5 && !bud))
            continue;
        if (!jv_is_valid(row))
            text = col->head[which];
        else if (i == 0)
            text = ev_json_str(tag, "");
        else if (i == 3 && f == EV_CLI_FORMAT_TSV)
            ev_report_fixed(rate, 6, buf, sizeof(buf));
        else if (i == 3)
            ev_report_pct(rate, buf, sizeof(buf));
        else
            ev_report_fixed(ev_json_number(row, col->key), 0, buf, sizeof(buf));
        cell(out, f, text, col->width, i == 0);
    }
    jv_free(tag);
    fputc('\n', out);
}

int
ev_gaps_report_print(FILE *out, jv rep, enum ev_cli_format f, bool regressions)
{
    if (f == EV_CLI_FORMAT_JSON) {
        jv_dumpf(rep, out, 0);
        fputc('\n', out);
        return ferror(out) ? -1 : 0;
    }
    bool bud = jv_object_has(jv_copy(rep), jv_string("budget"));
    summary_line(out, jv_invalid(), f, regressions, bud);
    if (f == EV_CLI_FORMAT_MARKDOWN)
        fprintf(out, "|---|--:|--:|--:|%s%s\n", regressions ? "--:|" : "", bud ? "--:|" : "");
    jv rows = ev_json_field(rep, "tags");
    jv_array_foreach(rows, i, row)
    {
        summary_line(out, row, f, regressions, bud);
        jv_free(row);
        (void)i;
    }
    jv_free(rows);
    jv labels = ev_json_field(rep, "labels");
    if (jv_is_valid(labels) && f != EV_CLI_FORMAT_TSV) {
        jv text = ev_gaps_report_labels(labels);
        fprintf(out, "\n%s\n", jv_string_value(text));
        jv_free(text);
    } else {
        jv_free(labels);
    }
    jv_free(rep);
    return ferror(out) ? -1 : 0;
}

jv
ev_gaps_report_labels(jv labels)
{
    jv t =
        jv_string_fmt("the labels changed %.0f cases: %.0f expected-wrong, left out to fix; "
                      "%.0f ok, not failures; %.0f model-wrong that had passed",
                      ev_json_number(labels, "changed"), ev_json_number(labels, "expected_wrong"),
                      ev_json_number(labels, "ok"), ev_json_number(labels, "made_failures"));
    jv_free(labels);
    return t;
}
