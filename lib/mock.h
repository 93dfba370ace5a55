/*
 * mock.h: the simulated model behind ev-mock.
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
 * A prompt is matched by its full text first (ev_prompt_text of the messages),
 * then by the text of its last user message alone, so a client that adds its
 * own system prompt still finds its cases. Among equals the first record in
 * file order wins.
 *
 * Whether the model answers a case right is decided by a hash of the seed,
 * the model's name and the case id against the accuracy for that model and
 * case, so a run reproduces exactly and two models miss different cases.
 *
 * A mock is built (add, set) by one thread, then frozen; after ev_mock_freeze
 * it is read-only and ev_mock_answer may run on many threads at once. It
 * keeps plain C strings, never a jv, because jv reference counts are not
 * safe to share between threads.
 */
#ifndef EV_MOCK_H
#define EV_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

typedef struct ev_mock ev_mock;

enum ev_mock_source {
    EV_MOCK_REPLAY,  /* an output of an earlier run */
    EV_MOCK_RIGHT,   /* a case's expected answer */
    EV_MOCK_WRONG,   /* a case, answered wrong on purpose */
    EV_MOCK_UNKNOWN, /* no case or replay knows the prompt */
};

typedef struct ev_mock_reply {
    char *text; /* the answer, owned by the caller (free it) */
    enum ev_mock_source source;
    const char *case_id; /* the case answered, borrowed from the mock; else NULL */
} ev_mock_reply;

/* ev_mock_new returns an empty mock whose every choice depends on 'seed'.
 * Every case is answered right until an accuracy says otherwise. */
ev_mock *ev_mock_new(uint64_t seed);

/* ev_mock_add_case adds the case 'rec' (borrowed): its prompt (input or
 * messages), its expected answer as text (ev_text_of), its id (ev_rec_id)
 * and its first tag. Returns false and sets '*err' to a message when the
 * record has no prompt (or an 'input' of the wrong type) or no expected
 * answer. */
bool ev_mock_add_case(ev_mock *m, jv rec, jv *err);

/* ev_mock_add_replay adds the record 'rec' (borrowed) of an earlier run.
 * A record without a string 'output' (a failed call) is skipped and the
 * result is still true. Returns false and sets '*err' when the record has
 * no prompt, or an 'input' of the wrong type. */
bool ev_mock_add_replay(ev_mock *m, jv rec, jv *err);

/* ev_mock_set_accuracy sets the probability in [0, 1] that a case whose
 * first tag is 'tag' is answered right, or the default for every other case
 * when 'tag' is NULL. ev_mock_set_model_accuracy sets a factor for one
 * model: its accuracy on a case is the case's accuracy times this factor.
 * Setting the same tag or model twice keeps the last value. */
void ev_mock_set_accuracy(ev_mock *m, const char *tag, double p);
void ev_mock_set_model_accuracy(ev_mock *m, const char *model, double p);

/* ev_mock_freeze builds the indexes; call it once, after the last add and
 * before the first answer. */
void ev_mock_freeze(ev_mock *m);

/* ev_mock_prompt sets '*full' to the prompt text of 'input' (a string or an
 * array of messages), as ev_prompt_text reads it, and '*last' to the content
 * of its last user message (the string itself for a string input; "" when
 * there is none). A content that is an array of parts counts as the
 * concatenated 'text' of its text parts. Both results are strings. */
void ev_mock_prompt(jv input, jv *full, jv *last);

/* ev_mock_answer answers the prompt whose texts are 'full' and 'last' (from
 * ev_mock_prompt) as the model named 'model'. Thread-safe after freeze. */
ev_mock_reply ev_mock_answer(const ev_mock *m, const char *model, const char *full,
                             const char *last);

/* How a model other than the named one answers: 'draw' is the name whose
 * hash decides right or wrong (NULL: the model's own), and 'accuracy', when
 * not NULL, gives the accuracy on a case from the case's first tag (NULL
 * when it has none) in place of the --accuracy and --model-accuracy rules.
 * ev-mock's learner answers this way (learner.h): a tuned model draws as its
 * base model, so that tuning only ever turns wrong answers right. */
typedef struct ev_mock_as {
    const char *draw;
    double (*accuracy)(const void *ctx, const char *tag);
    const void *ctx;
} ev_mock_as;

/* ev_mock_answer_as is ev_mock_answer with the choices of 'as' (NULL: none).
 * Replays still match the request's 'model'. Thread-safe after freeze, as
 * long as 'accuracy' is. */
ev_mock_reply ev_mock_answer_as(const ev_mock *m, const char *model, const char *full,
                                const char *last, const ev_mock_as *as);

/* ev_mock_case_tag looks the prompt up among the cases as an answer would
 * (the whole prompt, then the last user message). When a case has it, it
 * sets '*tag' to the case's first tag (NULL when it has none), borrowed from
 * the mock, and returns true. */
bool ev_mock_case_tag(const ev_mock *m, const char *full, const char *last, const char **tag);

/* ev_mock_count_cases and ev_mock_count_replay say how many records were
 * kept, for the server's banner. */
size_t ev_mock_count_cases(const ev_mock *m);
size_t ev_mock_count_replay(const ev_mock *m);

/* ev_mock_judge answers 'prompt' as ev-mock's judge model does, one line of
 * reasoning then a label. A built-in judge prompt (judge.h) is graded by
 * comparing its output with its expected answer, both folded in case and
 * stripped of punctuation and extra blanks: equal passes; an output that
 * holds the expected answer passes (fact: B); for fact, an output that the
 * expected answer holds is C; else it fails. With no expected answer a
 * non-empty output passes. Any other prompt gets PASS when its last
 * non-empty line, so normalised, is found in the text above it, else FAIL.
 * With 'invalid' the answer is prose with no label. The result is the
 * caller's to free. */
char *ev_mock_judge(const char *prompt, bool invalid);

/* ev_mock_set_judge makes 'model' (copied; NULL: none) the judge: its every
 * answer, from the synchronous endpoints or a batch, is ev_mock_judge's.
 * Call it before ev_mock_freeze. ev_mock_is_judge says whether 'model' is
 * the judge. */
void ev_mock_set_judge(ev_mock *m, const char *model);
bool ev_mock_is_judge(const ev_mock *m, const char *model);

void ev_mock_free(ev_mock *m);

#endif
