/* Unit tests of lib/localtrain: a training command's lines, streams and
 * exit, the stop it gets, the environment it sees, and a whole run on a
 * file as given or converted. The commands are small shell scripts; none
 * waits on a clock. */
#include <stdlib.h>
#include <sys/stat.h>

#include "chats.h"
#include "ev.h"
#include "localtrain.h"
#include "unit.h"

/* The lines a command wrote: "1:text" or "2:text", one a line. */
static char heard[1 << 18];

static void
on_line(void *ctx, int stream, const char *line, size_t len)
{
    (void)ctx;
    size_t at = strlen(heard);
    snprintf(heard + at, sizeof(heard) - at, "%d:%zu:%s\n", stream, len,
             len > 20 ? "(long)" : line);
}

static int
run(const char *command, char *const *extra, char *const *pass, const volatile sig_atomic_t *stop)
{
    heard[0] = '\0';
    jv err = jv_invalid();
    int rc =
        ev_localtrain_run(command, "ev-test", "the file", extra, pass, on_line, NULL, stop, &err);
    jv_free(err);
    return rc;
}

static void
test_run(void)
{
    CHECK(run("echo \"$0 $1\"; echo oops >&2; printf 'no newline'; exit 3", NULL, NULL, NULL) == 3,
          "the command's exit status comes back");
    CHECK(strstr(heard, "1:16:ev-test the file\n") != NULL,
          "\"$0\" is the name and \"$1\" the file");
    CHECK(strstr(heard, "2:4:oops\n") != NULL, "standard error comes as stream 2");
    CHECK(strstr(heard, "1:10:no newline\n") != NULL, "a last line without a newline still comes");

    run("head -c 70000 /dev/zero | tr '\\0' x", NULL, NULL, NULL);
    CHECK_STR(heard, "1:65536:(long)\n1:4464:(long)\n",
              "a line longer than EV_LOCALTRAIN_MAX_LINE comes in pieces");

    run("cat; echo \"[$?]\"", NULL, NULL, NULL);
    CHECK_STR(heard, "1:3:[0]\n", "its standard input is empty");

    setenv("EV_TEST_SECRET", "sk-1", 1);
    setenv("EV_TEST_PASSED", "p", 1);
    char *extra[] = {"EV_TRAIN_FILE=f", NULL};
    char *pass[] = {"EV_TEST_PASS*", NULL};
    run("echo \"${EV_TEST_SECRET:-none} $EV_TEST_PASSED $EV_TRAIN_FILE\"", extra, pass, NULL);
    CHECK_STR(heard, "1:8:none p f\n",
              "it gets what --env names and the run's own variables, and no other of ours");

    volatile sig_atomic_t stop = 1;
    CHECK(run("exec sleep 1000", NULL, NULL, &stop) == 128 + 15,
          "a stop ends the command with SIGTERM, and it is waited for");
}

static void
hear_output(void *ctx, const char *line)
{
    (void)ctx;
    unit_hear("> ", line);
}

static const ev_log log_ = {unit_hear, NULL, hear_output, "! "};

/* train runs 'command' on 'path' and returns its status, with the line in
 * 'line' (of 'n' bytes). */
static int
train(const char *command, char *path, enum ev_convert_to to, char *line, size_t n)
{
    char *files[] = {path};
    ev_dataset_opts d = {files, 1, NULL, EV_EXAMPLE_MAX_TOKENS, to, &log_, ev_convert_method(to),
                         0};
    ev_quote_opts q = {NULL, 3, NULL, 0};
    char *buf;
    size_t len;
    FILE *out = open_memstream(&buf, &len);
    ev_localtrain_opts o = {command, "ev-test", NULL, "base", NULL, NULL, &log_, out};
    unit_said[0] = '\0';
    int status = ev_localtrain_train(&o, &d, &q);
    fclose(out);
    snprintf(line, n, "%s", buf);
    free(buf);
    return status;
}

static void
test_train(void)
{
    char path[64], line[1024], want[1024];
    unit_file(path, "t.jsonl", TEN_CHATS);
    int status = train("echo \"$EV_TRAIN_FORMAT $EV_EPOCHS $EV_BASE_MODEL\"; echo tuned/model",
                       path, EV_CONVERT_CHAT, line, sizeof(line));
    CHECK(status == EV_EXIT_OK, "a trainer that names a model succeeds");
    snprintf(want, sizeof(want),
             "{\"job_id\":null,\"status\":\"succeeded\",\"fine_tuned_model\":\"tuned/model\","
             "\"trained_tokens\":null,\"training_file\":\"%s\",\"model\":\"base\"}\n",
             path);
    CHECK_STR(line, want, "its last line names the model, and the file given is trained on");
    CHECK(strstr(unit_said, "> chat 3 base\n> tuned/model\n") != NULL,
          "its lines are passed on, and its variables hold the format, epochs and model");

    status =
        train("cp \"$1\" \"$1.copy\"; echo \"$1\"", path, EV_CONVERT_SHAREGPT, line, sizeof(line));
    CHECK(status == EV_EXIT_OK, "a format other than chat is trained on");
    CHECK(strstr(line, "\"training_file\":null") != NULL, "from a temporary file");
    jv l = jv_parse(line);
    jv tmp = jv_object_get(l, jv_string("fine_tuned_model"));
    char copy[256];
    snprintf(copy, sizeof(copy), "%s.copy", jv_string_value(tmp));
    struct stat sb;
    CHECK(stat(jv_string_value(tmp), &sb) != 0, "which is removed afterwards");
    FILE *f = fopen(copy, "r");
    char first[128] = "";
    if (f != NULL) {
        if (fgets(first, sizeof(first), f) == NULL)
            first[0] = '\0';
        fclose(f);
        unlink(copy);
    }
    CHECK_STR(first,
              "{\"conversations\":[{\"from\":\"human\",\"value\":\"q0\"},"
              "{\"from\":\"gpt\",\"value\":\"a0\"}]}\n",
              "and held the examples in that format");
    jv_free(tmp);

    status = train("echo step; echo 'out of memory' >&2; exit 4", path, EV_CONVERT_CHAT, line,
                   sizeof(line));
    CHECK(status == EV_EXIT_NO, "a trainer that fails exits 1");
    CHECK(strstr(unit_said,
                 "! the trainer failed with status 4; its last lines:\n!   step\n!   out of "
                 "memory\n") != NULL,
          "with its last lines");
    CHECK(strstr(line, "\"error\":{\"code\":\"trainer_failed\",\"message\":\"the trainer exited "
                       "with status 4\"}") != NULL,
          "and the line says why");

    status = train("echo ' '", path, EV_CONVERT_CHAT, line, sizeof(line));
    CHECK(status == EV_EXIT_NO, "a trainer that names no model has failed");
    CHECK(strstr(unit_said, "! the trainer printed no model name") != NULL, "which is unit_said");
    unit_file_remove(path);

    unit_file(path, "t.jsonl", TEN_CHATS "{\"input\":\"q\",\"expected\":\"a\"}\n");
    status = train("echo model", path, EV_CONVERT_ALPACA, line, sizeof(line));
    CHECK(status == EV_EXIT_OK, "a case is converted and trained on");
    CHECK(strstr(unit_said, "> model\n") != NULL, "by the trainer");
    unit_file_remove(path);

    unit_file(path, "t.jsonl", "{\"messages\":[]}\n");
    status = train("echo model", path, EV_CONVERT_CHAT, line, sizeof(line));
    CHECK(status == EV_EXIT_NO, "an invalid file is not trained on");
    CHECK(strstr(unit_said, "> ") == NULL, "the trainer does not run");
    CHECK_STR(line, "", "and there is no line");
    unit_file_remove(path);
}

int
main(void)
{
    test_run();
    test_train();
    UNIT_DONE();
}
