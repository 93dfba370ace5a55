/*
 * trainset.h: the training data of ev-mock's simulated fine-tuning: which
 * tag each example trains, for the learner (learner.h), and Together's and
 * Fireworks' rules for a training file, as their documentation states them
 * (ev-mock(1) names the sources and their dates).
 *
 * Ownership: json.h.
 *
 * Together (docs.together.ai data-preparation, and its SDK's file check):
 * each line one example in one of four formats, the same on every line:
 * conversation {"messages"[, "tools"]}, instruction {"prompt",
 * "completion"}, general {"text"} and preference {"input": {"messages"},
 * "preferred_output", "non_preferred_output"}, each with an optional
 * number "weight" and no other key. Messages have a role of system, user,
 * assistant or tool and a string content (or tool_calls), start with
 * system or user, never repeat a role twice in a row, and weigh 0 or 1
 * when they weigh; a conversation has an assistant message; a preference
 * input ends with no assistant message, and each output is a list of
 * exactly one assistant message. At least 1 example.
 *
 * Fireworks (docs.fireworks.ai fine-tuning-models and dpo-fine-tuning):
 * chat {"messages"} or preference, as above, other keys ignored. Roles are
 * system (first only), user, assistant and tool; a content is a string or
 * a list of text parts; a chat example has an assistant message; a
 * preference example is one turn: an optional system message and one user
 * message, then one assistant message in each output. A root "weight" is
 * on every example or on none. At least 3 examples.
 *
 * Problems are reported as "Line N: what is wrong", the first only.
 */
#ifndef EVM_TRAINSET_H
#define EVM_TRAINSET_H

#include <stddef.h>

#include <jv.h>

#include "learner.h"
#include "model.h"

/* evm_trainset_count counts one example, the record 'rec', toward the tag it
 * trains in 'tally': its own first tag ('tags', as ev_record_tags reads them),
 * else the first tag of the case in 'm' (NULL: none) that its prompt
 * 'input' asks, matched as an answer is (evm_model_case_tag), else
 * EVM_LEARNER_OTHER. 'input' is a string or an array of messages, or
 * invalid when the example has none. */
void evm_trainset_count(evm_learner_tally *tally, const evm_model *m, jv rec /* borrowed */,
                        jv input);

enum evm_trainset_rules { EVM_TRAINSET_TOGETHER, EVM_TRAINSET_FIREWORKS };

enum evm_trainset_format {
    EVM_TRAINSET_NONE,        /* no example */
    EVM_TRAINSET_CHAT,        /* Together's conversation */
    EVM_TRAINSET_INSTRUCTION, /* Together only */
    EVM_TRAINSET_TEXT,        /* Together's general; Together only */
    EVM_TRAINSET_PREFERENCE,  /* for DPO */
};

/* A training file, as a provider reads it. */
typedef struct evm_trainset {
    enum evm_trainset_format format;
    double examples;
    double tokens; /* estimated: one for 4 bytes of each example's line */
    jv problem;    /* null, or the first problem, "Line N: ..." */
    evm_learner_tally *tally;
} evm_trainset;

/* evm_trainset_scan reads the 'len' bytes of 'data' by the provider's
 * 'rules' into 'd': its format, examples and tokens, the first problem,
 * and the examples by tag (evm_trainset_count, with the cases of 'm', which
 * may be NULL). Blank lines are skipped. Free 'd' with evm_trainset_free. */
void evm_trainset_scan(evm_trainset *d, enum evm_trainset_rules rules, const char *data, size_t len,
                       const evm_model *m);

/* evm_trainset_format_name returns Together's name of 'f' in a file's
 * validation report: "conversation", "instruction", "general",
 * "preference_openai", or "none". */
const char *evm_trainset_format_name(enum evm_trainset_format f);

void evm_trainset_free(evm_trainset *d);

#endif
