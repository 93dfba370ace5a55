/* Unit tests of lib/dataset: reading a training file, its problems as
 * file:line, its statistics, the examples it writes, the report of --check,
 * the --convert filter and the refusal before training. */
#include <stdlib.h>

#include "chats.h"
#include "ev.h"

#include "dataset.h"
#include "unit.h"

static void
test_stats(void)
{
    ev_dataset_stats s;
    ev_dataset_stats_init(&s, 20);
    ev_example_measure a = {10, 2, 2, true, true}, b = {30, 4, 3, false, true},
                       c = {20, 3, 4, false, false};
    ev_dataset_stats_add(&s, &a);
    ev_dataset_stats_add(&s, &b);
    ev_dataset_stats_add(&s, &c);
    CHECK_JV(ev_dataset_stats_json(&s),
             "{\"assistant_tokens\":{\"max\":4,\"median\":3,\"min\":2,\"total\":9},"
             "\"billing_tokens\":50,\"examples\":3,"
             "\"messages\":{\"max\":4,\"median\":3,\"min\":2,\"total\":9},"
             "\"missing_system\":2,\"missing_user\":1,\"over_token_limit\":1,"
             "\"tokens\":{\"max\":30,\"median\":20,\"min\":10,\"total\":60}}",
             "statistics: distributions, and billing tokens cut at the limit");
    ev_dataset_stats_free(&s);
}

/* starts says whether 's' starts with 'prefix'. */
static bool
starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static const ev_log log_ = {unit_hear, NULL, NULL, "! "};

static void
test_read(void)
{
    char path[64];
    unit_file(path, "t.jsonl",
              TEN_CHATS "not json\n"
                        "{\"messages\":[{\"role\":\"bot\",\"content\":\"q\"},"
                        "{\"role\":\"assistant\",\"content\":\"a\"}]}\n"
                        "{\"input\":\"case\",\"expected\":\"yes\",\"id\":\"c1\"}\n");
    char *files[] = {path};
    ev_dataset_opts o = {files,           1,     NULL,           EV_EXAMPLE_MAX_TOKENS,
                         EV_CONVERT_CHAT, &log_, EV_EXAMPLE_SFT, 0};
    ev_dataset d;
    unit_said[0] = '\0';
    ev_dataset_read(&d, &o);
    CHECK(d.valid == 11, "ten chat examples and a case are valid");
    CHECK(d.invalid == 2, "a line that is no JSON and an unknown role are not");
    CHECK(d.problems[EV_EXAMPLE_DATA_TYPE] == 1, "the first is a data_type problem");
    CHECK(d.problems[EV_EXAMPLE_UNRECOGNIZED_ROLE] == 1, "the second unrecognized_role");
    CHECK(!ev_dataset_valid(&d), "so the file may not be trained on");
    CHECK(!d.trouble, "but it could be read");
    CHECK(d.changed, "the case was made an example, so the text is not the file's");
    char want[128];
    snprintf(want, sizeof(want), "! %s:12: message 1 has unrecognized role 'bot'\n", path);
    CHECK(strstr(unit_said, want) != NULL, "each problem is unit_said as file:line");
    snprintf(want, sizeof(want), "! %s:11: cannot parse record", path);
    CHECK(strstr(unit_said, want) != NULL, "a line that is no record too");
    CHECK(d.stats.n == 12, "the statistics count every example with messages");
    CHECK(strstr(d.text, "{\"messages\":[{\"role\":\"user\",\"content\":\"case\"},"
                         "{\"role\":\"assistant\",\"content\":\"yes\"}]}\n") != NULL,
          "the case is written as a chat example, without its id");
    ev_dataset_free(&d);

    o.to = EV_CONVERT_SHAREGPT;
    ev_dataset_read(&d, &o);
    CHECK(starts(d.text, "{\"conversations\":[{\"from\":\"human\",\"value\":\"q0\"}"),
          "the examples are written in the format asked for");
    ev_dataset_free(&d);

    o.to = EV_CONVERT_ALPACA;
    o.files = (char *[]){"/nonexistent/t.jsonl"};
    unit_said[0] = '\0';
    ev_dataset_read(&d, &o);
    CHECK(d.trouble, "a file that cannot be read is trouble");
    CHECK(strstr(unit_said,
                 "! /nonexistent/t.jsonl: 0 valid examples, and at least 10 are required\n") !=
              NULL,
          "and a file with fewer than 10 valid examples has a problem");
    CHECK(d.problems[EV_EXAMPLE_TOO_FEW_EXAMPLES] == 1, "counted as too_few_examples");
    ev_dataset_free(&d);
    unit_file_remove(path);
}

/* written runs 'fn' with a stream and returns what it wrote (free it). */
static char *
written(int (*fn)(const ev_dataset_opts *, FILE *), const ev_dataset_opts *o, int *status)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    *status = fn(o, f);
    fclose(f);
    return buf;
}

static int
check_json(const ev_dataset_opts *o, FILE *out)
{
    ev_quote_opts q = {NULL, 2, NULL, 0};
    return ev_dataset_check(o, &q, EV_CLI_FORMAT_JSON, out);
}

static int
check_table(const ev_dataset_opts *o, FILE *out)
{
    ev_quote_opts q = {NULL, 0, NULL, 0};
    return ev_dataset_check(o, &q, EV_CLI_FORMAT_TABLE, out);
}

static void
test_flows(void)
{
    char path[64];
    unit_file(path, "t.jsonl", TEN_CHATS);
    char *files[] = {path};
    ev_dataset_opts o = {files,           1,     NULL,           EV_EXAMPLE_MAX_TOKENS,
                         EV_CONVERT_CHAT, &log_, EV_EXAMPLE_SFT, 0};
    int status;
    char *out = written(check_json, &o, &status);
    CHECK(status == EV_EXIT_OK, "--check of a valid file exits 0");
    jv r = jv_parse(out);
    CHECK_JV(jv_object_get(jv_copy(r), jv_string("valid")), "true", "the report says valid");
    CHECK_JV(jv_object_get(jv_copy(r), jv_string("epochs")), "2", "with the epochs given");
    /* each example: 3 + user (3 + 1 + 1) + assistant (3 + 3 + 1) */
    CHECK_JV(jv_object_get(jv_copy(r), jv_string("training_tokens")), "300",
             "and 15 tokens x 10 examples x 2 epochs");
    CHECK_JV(jv_object_get(r, jv_string("cost")),
             "{\"currency\":\"USD\",\"model\":null,\"note\":\"no model given: -m MODEL prices "
             "the training\",\"total\":null,\"training_per_million\":null}",
             "and no cost without a model");
    free(out);

    out = written(check_table, &o, &status);
    CHECK(starts(out, "valid              yes\nexamples           10 valid, 0 invalid\n"
                      "problems           none\ntokens             min 15, median 15, max 15, "
                      "total 150\n"),
          "the table has a row a figure");
    CHECK(strstr(out, "\ntraining cost      unknown: no model given") != NULL,
          "an unknown cost is unit_said so");
    free(out);

    o.system = "S";
    o.to = EV_CONVERT_ALPACA;
    out = written(ev_dataset_convert, &o, &status);
    CHECK(status == EV_EXIT_OK, "--convert of a valid file exits 0");
    CHECK(starts(out, "{\"instruction\":\"S\",\"input\":\"q0\",\"output\":\"a0\"}\n"),
          "and writes each example in the format asked for, with the system message");
    free(out);
    unit_file_remove(path);

    unit_file(path, "t.jsonl", CHAT(0) "[1]\n" CHAT(1));
    unit_said[0] = '\0';
    o.system = NULL;
    o.to = EV_CONVERT_CHAT;
    out = written(ev_dataset_convert, &o, &status);
    CHECK(status == EV_EXIT_TROUBLE, "--convert of a line that is no record exits 2");
    CHECK(count_lines(out) == 2, "and writes the others");
    free(out);

    ev_dataset d;
    ev_quote q;
    ev_quote_opts qo = {NULL, 0, NULL, 0};
    unit_said[0] = '\0';
    status = ev_dataset_prepare(&d, &q, &o, &qo, "refused");
    CHECK(status == EV_EXIT_NO, "a file that may not be trained on is refused");
    CHECK(strstr(unit_said, "! refused\n") != NULL, "with the words given");
    unit_file_remove(path);
}

/* A file of preference examples, read for DPO. */
static void
test_preference(void)
{
    char path[64];
    unit_file(path, "p.jsonl",
              TEN_PREFS CHAT(
                  10) "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]},"
                      "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"x\"}],"
                      "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"x\"}]}\n");
    char *files[] = {path};
    ev_dataset_opts o = {
        files, 1, NULL, EV_EXAMPLE_MAX_TOKENS, EV_CONVERT_PREFERENCE, &log_, EV_EXAMPLE_DPO, 0};
    ev_dataset d;
    unit_said[0] = '\0';
    ev_dataset_read(&d, &o);
    CHECK(d.valid == 10, "ten preference examples are valid");
    CHECK(d.invalid == 2, "a chat example and a pair of the same answer are not");
    CHECK(d.problems[EV_EXAMPLE_MISSING_INPUT] == 1, "the chat example has no input");
    CHECK(d.problems[EV_EXAMPLE_OUTPUT_NOT_ONE_MESSAGE] == 2, "and neither answer");
    CHECK(d.problems[EV_EXAMPLE_IDENTICAL_OUTPUTS] == 1, "the pair of one answer is counted");
    char want[160];
    snprintf(want, sizeof(want), "! %s:12: the preferred and non-preferred answers are the same",
             path);
    CHECK(strstr(unit_said, want) != NULL, "each problem is said as file:line");
    CHECK(!d.changed, "the examples are written as they are");
    CHECK(d.stats.n == 11, "the statistics count every example with messages");
    ev_dataset_free(&d);

    int status;
    char *out = written(check_json, &o, &status);
    CHECK(status == EV_EXIT_NO, "--check --method dpo of a file with problems exits 1");
    jv r = jv_parse(out);
    CHECK_JV(jv_object_get(jv_copy(r), jv_string("method")), "\"dpo\"", "the report says dpo");
    CHECK_JV(jv_object_get(r, jv_string("problems")),
             "{\"data_type\":0,\"example_over_token_limit\":0,\"identical_outputs\":1,"
             "\"input_not_one_turn\":0,\"message_missing_key\":0,"
             "\"message_unrecognized_key\":0,\"missing_content\":0,\"missing_input\":1,"
             "\"output_not_one_assistant_message\":2,\"too_few_examples\":0,"
             "\"unrecognized_role\":0}",
             "and counts the problems of preference examples, not those of chat ones");
    free(out);

    o.to = EV_CONVERT_TRL_DPO;
    out = written(ev_dataset_convert, &o, &status);
    CHECK(status == EV_EXIT_TROUBLE, "--convert of a chat example as trl-dpo exits 2");
    CHECK(starts(out, "{\"prompt\":[{\"role\":\"user\",\"content\":\"q0\"}],"
                      "\"chosen\":[{\"role\":\"assistant\",\"content\":\"a0\"}],"
                      "\"rejected\":[{\"role\":\"assistant\",\"content\":\"b0\"}]}\n"),
          "and writes the preference examples in TRL's format");
    CHECK(count_lines(out) == 11, "all but the chat example, unchecked");
    free(out);

    ev_quote q;
    ev_quote_opts qo = {NULL, 0, NULL, 0};
    unit_said[0] = '\0';
    status = ev_dataset_prepare(&d, &q, &o, &qo, "refused");
    CHECK(status == EV_EXIT_NO, "a DPO file with problems is refused before training");
    unit_file_remove(path);

    unit_file(path, "p.jsonl", TEN_PREFS);
    status = ev_dataset_prepare(&d, &q, &o, &qo, "refused");
    CHECK(status == EV_EXIT_OK, "and ten valid pairs are trained on");
    CHECK(d.changed, "in the format asked for");
    ev_dataset_free(&d);
    ev_quote_free(&q);
    unit_file_remove(path);
}

int
main(void)
{
    test_stats();
    test_read();
    test_flows();
    test_preference();
    UNIT_DONE();
}
