/*
 * tune.h: chat fine-tuning examples: turning records into examples,
 * checking them as OpenAI's cookbook "Data preparation and analysis for
 * chat model fine-tuning" does, estimating their tokens, and the statistics
 * and default epochs a training run is planned with.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
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
#ifndef EV_TUNE_H
#define EV_TUNE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* The cookbook's limit of tokens per example (16,385). */
#define EV_TUNE_MAX_TOKENS 16385
/* The fewest examples OpenAI accepts in a training file. */
#define EV_TUNE_MIN_EXAMPLES 10

/* What can be wrong with a training file. The names (ev_tune_problem_name)
 * are the cookbook's error counters; the last two are ev's, since the
 * cookbook only warns about long examples and does not count examples. */
enum ev_tune_problem {
    EV_TUNE_DATA_TYPE,         /* data_type: the line is not a JSON object */
    EV_TUNE_MISSING_MESSAGES,  /* missing_messages_list */
    EV_TUNE_MISSING_KEY,       /* message_missing_key: no role or content */
    EV_TUNE_UNRECOGNIZED_KEY,  /* message_unrecognized_key */
    EV_TUNE_UNRECOGNIZED_ROLE, /* unrecognized_role */
    EV_TUNE_MISSING_CONTENT,   /* missing_content */
    EV_TUNE_MISSING_ASSISTANT, /* example_missing_assistant_message */
    EV_TUNE_OVER_TOKEN_LIMIT,  /* example_over_token_limit */
    EV_TUNE_TOO_FEW_EXAMPLES,  /* too_few_examples: fewer than 10 */
    EV_TUNE_NPROBLEMS,
};

const char *ev_tune_problem_name(enum ev_tune_problem p);

/* ev_tune_example returns the training example that record 'rec' (consumed)
 * stands for:
 *   - a record with 'messages' is an example as it is; 'system', when not
 *     NULL, is put first unless it already has a system message;
 *   - a case with 'input' becomes {"messages": [system?, prompt...,
 *     assistant]} by ev_to_chat, the answer being its 'expected' (or
 *     'ideal', 'target');
 *   - anything else is invalid with a message.
 * The example keeps only what a trainer reads: 'messages', and 'tools',
 * 'functions' and 'parallel_tool_calls' when present; ev's own fields (id,
 * tags, meta...) are left out. '*changed' says whether the example differs
 * from the record. On failure '*kind' says which problem it is. A record
 * that is not an object is returned invalid with EV_TUNE_DATA_TYPE. */
jv ev_tune_example(jv rec, const char *system, bool *changed, enum ev_tune_problem *kind);

/* The measures of one example. */
typedef struct ev_tune_measure {
    double tokens;           /* the whole example */
    double assistant_tokens; /* content of its assistant messages */
    double messages;         /* how many */
    bool has_system, has_user;
} ev_tune_measure;

/* ev_tune_check checks the example 'ex' (borrowed) and fills '*m'. It
 * returns the problems found as an array of [kind, message] pairs, where
 * kind is an enum ev_tune_problem and message says what is wrong in a few
 * words ("message 2 has unrecognized role 'bot'"); the array is empty when
 * the example is valid. Accepted roles are the cookbook's (system, user,
 * assistant, function) and OpenAI's tool; accepted message keys are the
 * cookbook's (role, content, name, function_call, weight) and the
 * tool-calling ones (tool_calls, tool_call_id), which the cookbook predates.
 * A content must be a non-empty string, except beside a function_call or
 * tool_calls, where it may be null or empty. An example over 'max_tokens'
 * is a problem: the trainer would cut its end, which is the answer. */
jv ev_tune_check(jv ex, double max_tokens, ev_tune_measure *m);

/* Statistics over the examples of a file. */
typedef struct ev_tune_stats {
    size_t n, cap;
    double *tokens, *assistant, *messages; /* one per example */
    unsigned long missing_system, missing_user, over_limit;
    double billing_tokens; /* sum of min(tokens, max_tokens), one epoch */
    double max_tokens;
} ev_tune_stats;

/* ev_tune_stats_init prepares 's' for examples limited to 'max_tokens'. */
void ev_tune_stats_init(ev_tune_stats *s, double max_tokens);

/* ev_tune_stats_add counts one example by its measures. */
void ev_tune_stats_add(ev_tune_stats *s, const ev_tune_measure *m);

/* ev_tune_stats_json returns {examples, tokens, assistant_tokens,
 * messages, missing_system, missing_user, over_token_limit,
 * billing_tokens}, where each distribution is {total, min, median, max}
 * (null figures when there are no examples). It sorts the per-example
 * arrays. */
jv ev_tune_stats_json(ev_tune_stats *s);

void ev_tune_stats_free(ev_tune_stats *s);

/* ev_tune_default_epochs returns the cookbook's default epochs for 'n'
 * examples: 3, raised to 100 / n or lowered to 25000 / n (integer
 * division) so that n x epochs stays between 100 and 25000, within 1..25.
 * '*why', when not NULL, gets "raised", "lowered" or "default". */
long ev_tune_default_epochs(size_t n, const char **why);

/* ev_tune_text_tokens returns the estimated tokens of 'len' bytes. */
double ev_tune_text_tokens(size_t len);

#endif
