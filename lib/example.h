/*
 * example.h: a chat fine-tuning example, {"messages": [...]}: made from a
 * record or a case, checked as OpenAI's cookbook "Data preparation and
 * analysis for chat model fine-tuning" does, and measured in tokens.
 *
 * Ownership: json.h.
 *
 * Tokens are estimated, not counted with a tokenizer: a string field costs
 * ceil(bytes / 4) tokens (EV_BYTES_PER_TOKEN), each message 3 more
 * (EV_TOKENS_PER_MESSAGE) and 1 more when it has a name, and each example 3
 * more for the priming of the reply (EV_TOKENS_PER_PROMPT). The cookbook
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

/* What can be wrong with a training example, or a training file. The names
 * (ev_example_problem_name) are the cookbook's error counters; the last two
 * are ev's, since the cookbook only warns about long examples and does not
 * count examples. The last is a problem of a whole file (lib/dataset.h). */
enum ev_example_problem {
    EV_EXAMPLE_DATA_TYPE,         /* data_type: the line is not a JSON object */
    EV_EXAMPLE_MISSING_MESSAGES,  /* missing_messages_list */
    EV_EXAMPLE_MISSING_KEY,       /* message_missing_key: no role or content */
    EV_EXAMPLE_UNRECOGNIZED_KEY,  /* message_unrecognized_key */
    EV_EXAMPLE_UNRECOGNIZED_ROLE, /* unrecognized_role */
    EV_EXAMPLE_MISSING_CONTENT,   /* missing_content */
    EV_EXAMPLE_MISSING_ASSISTANT, /* example_missing_assistant_message */
    EV_EXAMPLE_OVER_TOKEN_LIMIT,  /* example_over_token_limit */
    EV_EXAMPLE_TOO_FEW_EXAMPLES,  /* too_few_examples: fewer than 10 in the file */
    EV_EXAMPLE_NPROBLEMS,
};

const char *ev_example_problem_name(enum ev_example_problem p);

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

#endif
