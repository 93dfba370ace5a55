#include "review.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record.h"

/* fenced writes 'v' under the bold 'label', in a fence longer than any run
 * of backticks in its text, so the text stays intact. */
static void
fenced(FILE *out, const char *label, jv v)
{
    jv text = jv_get_kind(v) == JV_KIND_ARRAY || jv_get_kind(v) == JV_KIND_OBJECT
                  ? jv_dump_string(v, JV_PRINT_PRETTY | JV_PRINT_SPACE1)
                  : ev_record_text_of(v);
    const char *s = jv_string_value(text);
    int longest = 0, run = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    int fence = longest >= 3 ? longest + 1 : 3;
    fprintf(out, "**%s**\n\n%.*s\n%s\n%.*s\n\n", label, fence, "``````````````````````````````", s,
            fence, "``````````````````````````````");
    jv_free(text);
}

void
ev_review_add(ev_sheet *sheet, jv rec, jv gap, jv beside, jv tags, const uint32_t *num,
              size_t ntags, jv where)
{
    FILE *out = ev_sheet_out(sheet);
    jv id = ev_record_id(rec);
    if (!jv_is_valid(id)) {
        jv_free(id);
        id = jv_string_fmt("(no id, %s)", jv_string_value(where));
    }
    jv_free(where);
    jv kind = ev_json_field(gap, "kind");
    jv vs = ev_json_field(gap, "baseline");
    jv reason = ev_json_path(rec, "score.reason");
    fprintf(out, "\n### %s: %s%s%s\n\n", jv_string_value(id), jv_string_value(kind),
            jv_is_valid(vs) ? ", " : "", jv_is_valid(vs) ? jv_string_value(vs) : "");
    jv tagtext = jv_dump_string(jv_copy(tags), 0);
    fprintf(out, "- scorer reason: %s\n- tags: %s\n\n", ev_json_str(reason, "-"),
            jv_string_value(tagtext));
    jv_free(tagtext);
    fenced(out, "Input", ev_record_input(rec));
    fenced(out, "Expected", ev_record_expected(rec));
    jv err = ev_json_field(rec, "error");
    if (jv_is_valid(err))
        fenced(out, "Error", err);
    else
        fenced(out, "Output", ev_json_field(rec, "output"));
    if (jv_get_kind(beside) == JV_KIND_STRING) {
        const char *standing = ev_json_str(vs, "");
        fenced(out,
               strcmp(standing, "regression") == 0  ? "Baseline output (passed)"
               : strcmp(standing, "both-fail") == 0 ? "Baseline output (failed)"
                                                    : "Baseline output",
               beside);
    } else {
        jv_free(beside);
    }
    fputs("- [ ] the expected answer is right\n- [ ] the scorer is fair\n"
          "- [ ] add training data for this\n",
          out);
    jv_free(id);
    jv_free(kind);
    jv_free(reason);
    jv_free(vs);
    ev_sheet_file(sheet, num, ntags);
}

int
ev_review_print(ev_sheet *sheet, FILE *out, const ev_gaps_tally *t, const char *run, long failures,
                long cases, jv *err)
{
    fprintf(out, "# Failure review: %s\n\n", run);
    fprintf(out,
            "%ld failures in %ld cases. For each one, decide: is the expected answer right? "
            "Is the model wrong, or is the scorer too strict? Which training example would "
            "teach the model this case's lesson, without copying the case itself?\n",
            failures, cases);
    size_t n;
    uint32_t *order = ev_gaps_tally_worst_first(t, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const ev_gaps_count *c = &t->count[order[i]];
        if (c->failures == 0)
            continue;
        jv name = ev_gaps_tally_name(t, order[i]);
        fprintf(out, "\n## %s (%.0f of %.0f failed)\n", jv_string_value(name), c->failures,
                c->cases);
        jv_free(name);
        rc = ev_sheet_copy(sheet, order[i], out, err);
    }
    free(order);
    return rc;
}
