/*
 * model.h: the simulated model behind ev-mock.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * A mock model answers a prompt from the first source that knows it:
 *   1. replay: the 'output' of a record of an earlier ev-call run with the
 *      same prompt, and the same 'call.model' when the record names one;
 *   2. cases: the 'expected' answer of the case with the same prompt, or,
 *      when the simulated model gets the case wrong, a plausible wrong answer;
 *   3. otherwise "mock answer " and 8 hex digits of a hash of the prompt
 *      and the seed.
 *
 * A prompt is matched by its full text first (ev_record_prompt_text of the messages),
 * then by the text of its last user message alone, so a client that adds its
 * own system prompt still finds its cases. Among equals the first record in
 * file order wins.
 *
 * Whether the model answers a case right is decided by a hash of the seed,
 * the model's name and the case id against the accuracy for that model and
 * case, so a run reproduces exactly and two models miss different cases.
 *
 * A mock is built (add, set) by one thread, then frozen; after evm_model_freeze
 * it is read-only and evm_model_answer may run on many threads at once. It
 * keeps plain C strings, never a jv, because jv reference counts are not
 * safe to share between threads.
 */
#ifndef EVM_MODEL_H
#define EVM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

typedef struct evm_model evm_model;

enum evm_model_source {
    EVM_MODEL_REPLAY,  /* an output of an earlier run */
    EVM_MODEL_RIGHT,   /* a case's expected answer */
    EVM_MODEL_WRONG,   /* a case, answered wrong on purpose */
    EVM_MODEL_UNKNOWN, /* no case or replay knows the prompt */
};

typedef struct evm_model_reply {
    char *text; /* the answer, owned by the caller (free it) */
    enum evm_model_source source;
    const char *case_id; /* the case answered, borrowed from the mock; else NULL */
} evm_model_reply;

/* evm_model_new returns an empty mock whose every choice depends on 'seed'.
 * Every case is answered right until an accuracy says otherwise. */
evm_model *evm_model_new(uint64_t seed);

/* evm_model_add_case adds the case 'rec' (borrowed): its prompt (input or
 * messages), its expected answer as text (ev_record_text_of), its id (ev_record_id)
 * and its first tag. Returns false and sets '*err' to a message when the
 * record has no prompt (or an 'input' of the wrong type) or no expected
 * answer. */
bool evm_model_add_case(evm_model *m, jv rec, jv *err);

/* A report of a problem 'msg' (a string, consumed) to whoever runs the
 * mock: a record that was refused, a request logged. */
typedef void (*evm_model_report)(void *ctx, jv msg);

/* evm_model_load adds the records of the 'n' files 'paths' ("-" is standard
 * input): as cases, or with 'replay' as records of an earlier run. A line
 * that is not a record, or a record that evm_model_add_case or
 * evm_model_add_replay refuses, is passed to 'report' as "file:line: what
 * is wrong" and skipped. Returns false when there was one. */
bool evm_model_load(evm_model *m, char **paths, int n, bool replay, evm_model_report report,
                    void *ctx);

/* evm_model_add_replay adds the record 'rec' (borrowed) of an earlier run.
 * A record without a string 'output' (a failed call) is skipped and the
 * result is still true. Returns false and sets '*err' when the record has
 * no prompt, or an 'input' of the wrong type. */
bool evm_model_add_replay(evm_model *m, jv rec, jv *err);

/* evm_model_set_accuracy sets the probability in [0, 1] that a case whose
 * first tag is 'tag' is answered right, or the default for every other case
 * when 'tag' is NULL. evm_model_set_model_accuracy sets a factor for one
 * model: its accuracy on a case is the case's accuracy times this factor.
 * Setting the same tag or model twice keeps the last value. */
void evm_model_set_accuracy(evm_model *m, const char *tag, double p);
void evm_model_set_model_accuracy(evm_model *m, const char *model, double p);

/* evm_model_freeze builds the indexes; call it once, after the last add and
 * before the first answer. */
void evm_model_freeze(evm_model *m);

/* evm_model_prompt sets '*full' to the prompt text of 'input' (a string or an
 * array of messages), as ev_record_prompt_text reads it, and '*last' to the content
 * of its last user message (the string itself for a string input; "" when
 * there is none). A content that is an array of parts counts as the
 * concatenated 'text' of its text parts. Both results are strings. */
void evm_model_prompt(jv input, jv *full, jv *last);

/* evm_model_answer answers the prompt whose texts are 'full' and 'last' (from
 * evm_model_prompt) as the model named 'model'. Thread-safe after freeze. */
evm_model_reply evm_model_answer(const evm_model *m, const char *model, const char *full,
                                 const char *last);

/* How a model other than the named one answers: 'draw' is the name whose
 * hash decides right or wrong (NULL: the model's own), and 'accuracy', when
 * not NULL, gives the accuracy on a case from the case's first tag (NULL
 * when it has none) in place of the --accuracy and --model-accuracy rules.
 * ev-mock's learner answers this way (learner.h, jobs.h): a tuned model draws as its
 * base model, so that tuning only ever turns wrong answers right. */
typedef struct evm_model_as {
    const char *draw;
    double (*accuracy)(const void *ctx, const char *tag);
    const void *ctx;
} evm_model_as;

/* evm_model_answer_as is evm_model_answer with the choices of 'as' (NULL: none).
 * Replays still match the request's 'model'. Thread-safe after freeze, as
 * long as 'accuracy' is. */
evm_model_reply evm_model_answer_as(const evm_model *m, const char *model, const char *full,
                                    const char *last, const evm_model_as *as);

/* evm_model_case_tag looks the prompt up among the cases as an answer would
 * (the whole prompt, then the last user message). When a case has it, it
 * sets '*tag' to the case's first tag (NULL when it has none), borrowed from
 * the mock, and returns true. */
bool evm_model_case_tag(const evm_model *m, const char *full, const char *last, const char **tag);

/* evm_model_count_cases and evm_model_count_replay say how many records were
 * kept, for the server's banner. */
size_t evm_model_count_cases(const evm_model *m);
size_t evm_model_count_replay(const evm_model *m);

/* evm_model_judge answers 'prompt' as ev-mock's judge model does, one line of
 * reasoning then a label. A built-in judge prompt (judge.h) is graded by
 * comparing its output with its expected answer, both folded in case and
 * stripped of punctuation and extra blanks: equal passes; an output that
 * holds the expected answer passes (fact: B); for fact, an output that the
 * expected answer holds is C; else it fails. With no expected answer a
 * non-empty output passes. Any other prompt gets PASS when its last
 * non-empty line, so normalised, is found in the text above it, else FAIL.
 * With 'invalid' the answer is prose with no label. The result is the
 * caller's to free. */
char *evm_model_judge(const char *prompt, bool invalid);

/* evm_model_set_judge makes 'model' (copied; NULL: none) the judge: its every
 * answer, from the synchronous endpoints or a batch, is evm_model_judge's.
 * Call it before evm_model_freeze. evm_model_is_judge says whether 'model' is
 * the judge. */
void evm_model_set_judge(evm_model *m, const char *model);
bool evm_model_is_judge(const evm_model *m, const char *model);

void evm_model_free(evm_model *m);

#endif
