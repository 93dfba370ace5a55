/* Unit tests of lib/leak: eval cases that leak into a training set. */
#include "leak.h"
#include "text.h"
#include "unit.h"

static int warnings;

static void
count(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
    warnings++;
}

static const ev_log log_count = {.warn = count};

static void
test_check(void)
{
    char train[64], eval[64];
    unit_file(train, "train.jsonl",
              "{\"id\":\"t1\",\"input\":\"What is the capital of Australia?\"}\n"
              "{\"id\":\"t2\",\"input\":\"Which planet is known as the Red Planet?\"}\n"
              "not json\n"
              "{\"id\":\"t3\",\"input\":\"what is the capital of  australia?\"}\n");
    unit_file(eval, "eval.jsonl",
              "{\"id\":\"e1\",\"input\":\"WHAT is the capital of Australia?\"}\n"
              "{\"id\":\"e2\",\"input\":\"which planet is known as the red planet\"}\n"
              "{\"id\":\"e4\",\"input\":\" \"}\n"
              "{\"id\":\"e3\",\"input\":\"Which river flows through Cairo?\"}\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ev_leak_opts o = {.train = train, .threshold = 0.8, .out = out, .log = &log_count};
    ev_leak_result r;
    char *evals[] = {eval};
    unsigned long bad = ev_leak_check(&o, evals, 1, &r);
    fclose(out);
    CHECK(bad == 1 && warnings == 1, "a bad line is a warning, and counted");
    CHECK(r.train == 3 && r.eval == 4, "the cases of each set are counted");
    CHECK(r.train_inputs == 3 && r.eval_inputs == 3, "and those with an input that is not blank");
    CHECK(r.exact == 1 && r.near == 1, "an eval case leaks exactly, another nearly");
    CHECK_STR(buf,
              "{\"eval_id\":\"e1\",\"train_id\":\"t1\",\"kind\":\"exact\",\"similarity\":1}\n"
              "{\"eval_id\":\"e1\",\"train_id\":\"t3\",\"kind\":\"exact\",\"similarity\":1}\n"
              "{\"eval_id\":\"e2\",\"train_id\":\"t2\",\"kind\":\"near\",\"similarity\":1}\n",
              "each pair is written, exact ones in training order");
    CHECK(ev_leak_no_verdict(&r) == NULL, "cases with inputs on both sides give a verdict");
    free(buf);
    unit_file_remove(train);
    unit_file_remove(eval);
}

static void
test_no_verdict(void)
{
    ev_leak_result r = {.train = 3, .train_inputs = 3, .eval = 0};
    CHECK_STR(ev_leak_no_verdict(&r), "the eval set has no case", "no eval case: no verdict");
    r.eval = 2;
    CHECK_STR(ev_leak_no_verdict(&r), "no eval case has an input", "nor eval cases without inputs");
    r.eval_inputs = 1;
    r.train = r.train_inputs = 0;
    CHECK_STR(ev_leak_no_verdict(&r), "the training set has no case", "nor no training case");
    r.train = 1;
    CHECK_STR(ev_leak_no_verdict(&r), "no training case has an input",
              "nor training cases without inputs");
}

int
main(void)
{
    ev_text_locale();
    test_check();
    test_no_verdict();
    UNIT_DONE();
}
