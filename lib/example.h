/*
 * example.h: a fine-tuning example, for supervised fine-tuning (SFT) a chat
 * example, {"messages": [...]}, and for direct preference optimisation (DPO)
 * a preference example, {"input": {"messages": [...]}, "preferred_output":
 * [...], "non_preferred_output": [...]}: made from a record or a case,
 * checked (a chat example as OpenAI's cookbook "Data preparation and
 * analysis for chat model fine-tuning" does, a preference example by the
 * rules OpenAI, Together and Fireworks document for it), and measured in
 * tokens.
 *
 * Ownership: json.h.
 *
 * Tokens are estimated, not counted with a tokenizer: a string field costs
 * ceil(bytes / 4) tokens (EV_PRICE_BYTES_PER_TOKEN), each message 3 more
 * (EV_PRICE_TOKENS_PER_MESSAGE) and 1 more when it has a name, and each example 3
 * more for the priming of the reply (EV_PRICE_TOKENS_PER_PROMPT). The cookbook
 * counts the same way with the cl100k_base tokenizer in place of the 4
 * bytes. A message's string fields are its role, content and name; a
 * function_call or tool_calls counts as its compact JSON. An example's
 * assistant tokens are the content tokens of its assistant messages.
 */
#ifndef EV_EXAMPLE_H
#define EV_EXAMPLE_H

#include <stdbool.h>

#include <jv.h>

/* The cookbook's limit of tokens per example (16,385). */
#define EV_EXAMPLE_MAX_TOKENS 16385

/* The training methods, and so the kinds of example. */
enum ev_example_method {
    EV_EXAMPLE_SFT, /* a chat example */
    EV_EXAMPLE_DPO, /* a preference example */
};

/* ev_example_method_name returns "sft" or "dpo". */
const char *ev_example_method_name(enum ev_example_method method);

/* ev_example_method_parse sets '*method' to the method named 'name' and
 * returns true, or returns false when there is none of that name. */
bool ev_example_method_parse(const char *name, enum ev_example_method *method);

/* What can be wrong with a training example, or a training file. The names
 * (ev_example_problem_name) of the first seven are the cookbook's error
 * counters; example_over_token_limit and too_few_examples are ev's, since
 * the cookbook only warns about long examples and does not count examples
 * (too_few_examples is a problem of a whole file, lib/dataset.h); the last
 * four are a preference example's. */
enum ev_example_problem {
    EV_EXAMPLE_DATA_TYPE,              /* data_type: the line is not a JSON object */
    EV_EXAMPLE_MISSING_MESSAGES,       /* missing_messages_list */
    EV_EXAMPLE_MISSING_KEY,            /* message_missing_key: no role or content */
    EV_EXAMPLE_UNRECOGNIZED_KEY,       /* message_unrecognized_key */
    EV_EXAMPLE_UNRECOGNIZED_ROLE,      /* unrecognized_role */
    EV_EXAMPLE_MISSING_CONTENT,        /* missing_content */
    EV_EXAMPLE_MISSING_ASSISTANT,      /* example_missing_assistant_message */
    EV_EXAMPLE_OVER_TOKEN_LIMIT,       /* example_over_token_limit */
    EV_EXAMPLE_TOO_FEW_EXAMPLES,       /* too_few_examples: fewer than 10 in the file */
    EV_EXAMPLE_MISSING_INPUT,          /* missing_input: no 'input' with 'messages' */
    EV_EXAMPLE_INPUT_NOT_ONE_TURN,     /* input_not_one_turn: not (system?, user) */
    EV_EXAMPLE_OUTPUT_NOT_ONE_MESSAGE, /* output_not_one_assistant_message */
    EV_EXAMPLE_IDENTICAL_OUTPUTS,      /* identical_outputs */
    EV_EXAMPLE_NPROBLEMS,
};

const char *ev_example_problem_name(enum ev_example_problem p);

/* ev_example_problem_applies says whether problem 'p' can be found in an
 * example for 'method' (and so is counted in its report). */
bool ev_example_problem_applies(enum ev_example_problem p, enum ev_example_method method);

/* ev_example_from_case returns the case 'rec' as a chat example,
 * {"messages": [system?, user..., assistant]}. The prompt is the case's
 * input (a string becomes one user message; a message list is kept as it
 * is), the answer is 'answer' when it is a string or else the case's
 * expected value (non-strings as compact JSON), and 'system', when a
 * string, opens the conversation unless the input already has a system
 * message. The result is invalid with a message when the case has no input
 * or no answer. */
jv ev_example_from_case(jv rec /* borrowed */, jv system, jv answer);

/* ev_example_from_record returns the training example that record 'rec'
 * stands for:
 *   - a record with 'messages' is an example as it is; 'system', when not
 *     NULL, is put first unless it already has a system message;
 *   - a case with 'input' becomes {"messages": [system?, prompt...,
 *     assistant]} by ev_example_from_case, the answer being its 'expected'
 *     (or 'ideal', 'target');
 *   - a preference example (it has preferred_output) is invalid, with a
 *     message that says so;
 *   - anything else is invalid with a message.
 * The example keeps only what a trainer reads: 'messages', and 'tools',
 * 'functions' and 'parallel_tool_calls' when present; ev's own fields (id,
 * tags, meta...) are left out. '*changed' says whether the example differs
 * from the record. On failure '*kind' says which problem it is. A record
 * that is not an object is returned invalid with EV_EXAMPLE_DATA_TYPE. */
jv ev_example_from_record(jv rec, const char *system, bool *changed, enum ev_example_problem *kind);

/* The measures of one example. */
typedef struct ev_example_measure {
    double tokens;           /* the whole example */
    double assistant_tokens; /* content of its assistant messages */
    double messages;         /* how many */
    bool has_system, has_user;
} ev_example_measure;

/* ev_example_check checks the example 'ex' and fills '*m'. It returns the
 * problems found as an array of [kind, message] pairs, where kind is an
 * enum ev_example_problem and message says what is wrong in a few words
 * ("message 2 has unrecognized role 'bot'"); the array is empty when the
 * example is valid. Accepted roles are the cookbook's (system, user,
 * assistant, function) and OpenAI's tool; accepted message keys are the
 * cookbook's (role, content, name, function_call, weight) and the
 * tool-calling ones (tool_calls, tool_call_id), which the cookbook predates.
 * A content must be a non-empty string, except beside a function_call or
 * tool_calls, where it may be null or empty. An example over 'max_tokens'
 * is a problem: the trainer would cut its end, which is the answer. */
jv ev_example_check(jv ex /* borrowed */, double max_tokens, ev_example_measure *m);

/* ev_example_preference_from_record returns the preference example that
 * record 'rec' stands for: its 'input', 'preferred_output' and
 * 'non_preferred_output', the ones it has, and no other field (ev's own,
 * such as id, are left out); 'system', when not NULL, is put first in the
 * input's messages unless they already have a system message. '*changed'
 * says whether the example differs from the record. A record that is not
 * an object is returned invalid with EV_EXAMPLE_DATA_TYPE in '*kind'; what
 * else is wrong is left to ev_example_preference_check. */
jv ev_example_preference_from_record(jv rec, const char *system, bool *changed,
                                     enum ev_example_problem *kind);

/* ev_example_preference_check checks the preference example 'ex' by the
 * rules that OpenAI, Together and Fireworks share, fills '*m' and returns
 * the problems found as ev_example_check does:
 *   - 'input' is an object with a non-empty 'messages' list (and perhaps
 *     'tools' and 'parallel_tool_calls', nothing else): missing_input;
 *   - the input is one turn, an optional system message and then one user
 *     message, as OpenAI and Fireworks train on one-turn conversations
 *     only (Together on more, but never after an assistant message):
 *     input_not_one_turn;
 *   - 'preferred_output' and 'non_preferred_output' are each a list of
 *     exactly one assistant message: output_not_one_assistant_message;
 *   - every message is checked as ev_example_check checks one;
 *   - the two answers differ, since a pair of the same answer trains
 *     nothing: identical_outputs;
 *   - the whole example, its input and both answers, is within
 *     'max_tokens': example_over_token_limit.
 * Its messages are those of the input and the two answers; its assistant
 * tokens those of the two answers. */
jv ev_example_preference_check(jv ex /* borrowed */, double max_tokens, ev_example_measure *m);

/* ev_example_preference_from_case returns the case 'rec' as a preference
 * example: its input (a string becomes one user message; a message list
 * keeps each message's role and content), opened by 'system' when that is a
 * string and the input has no system message; 'preferred' as the preferred
 * answer (when not a string, the case's expected value, as compact JSON when
 * not a string); 'rejected' (a string) as the non-preferred one. The result
 * is invalid with a message when the case has no input or no answer, or
 * with the first problem ev_example_preference_check finds. */
jv ev_example_preference_from_case(jv rec /* borrowed */, jv system, jv preferred, jv rejected);

#endif
