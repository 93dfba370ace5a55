/*
 * convert.h: a fine-tuning example (lib/example.h) in the formats that
 * local trainers read, as their documentation defines them:
 *   - a chat example (SFT) as chat itself ({"messages": [...]}, what
 *     OpenAI, TRL, Axolotl's chat_template and Unsloth read),
 *     prompt-completion (TRL's conversational {prompt, completion}), Alpaca
 *     ({instruction, input, output}) and ShareGPT ({"conversations":
 *     [{from, value}]}), what LLaMA-Factory, Axolotl and Unsloth read;
 *   - a preference example (DPO) as itself ("preference", the format that
 *     OpenAI, Together and Fireworks share), trl-dpo (TRL's conversational
 *     {prompt, chosen, rejected}, what Unsloth reads too), axolotl-dpo
 *     (Axolotl's chat_template.default, {messages, chosen, rejected} with
 *     one message each), alpaca-dpo and sharegpt-dpo (LLaMA-Factory's
 *     preference data, {instruction, input, chosen, rejected} and
 *     {conversations, chosen, rejected}).
 * It also writes LLaMA-Factory's dataset_info.json stanza for a format.
 *
 * Ownership: json.h.
 */
#ifndef EV_CONVERT_H
#define EV_CONVERT_H

#include <stdbool.h>

#include <jv.h>

#include "example.h"

/* The formats, by their names in --to: first a chat example's, then a
 * preference example's. */
enum ev_convert_to {
    EV_CONVERT_CHAT,
    EV_CONVERT_PROMPT_COMPLETION,
    EV_CONVERT_ALPACA,
    EV_CONVERT_SHAREGPT,
    EV_CONVERT_PREFERENCE,
    EV_CONVERT_TRL_DPO,
    EV_CONVERT_AXOLOTL_DPO,
    EV_CONVERT_ALPACA_DPO,
    EV_CONVERT_SHAREGPT_DPO,
};

/* ev_convert_name returns the name of 'to': "chat", "prompt-completion",
 * "alpaca", "sharegpt", "preference", "trl-dpo", "axolotl-dpo",
 * "alpaca-dpo", "sharegpt-dpo". */
const char *ev_convert_name(enum ev_convert_to to);

/* ev_convert_parse sets '*to' to the format named 'name' and returns true,
 * or returns false when there is none of that name. */
bool ev_convert_parse(const char *name, enum ev_convert_to *to);

/* ev_convert_names returns the names of the formats of 'method', separated
 * by ", " ("chat, prompt-completion, alpaca, sharegpt"). */
const char *ev_convert_names(enum ev_example_method method);

/* ev_convert_method returns the method whose examples 'to' holds. */
enum ev_example_method ev_convert_method(enum ev_convert_to to);

/* ev_convert_default returns the format of 'method' that is its examples
 * as they are: chat, or preference. */
enum ev_convert_to ev_convert_default(enum ev_example_method method);

/* ev_convert returns the example 'ex' (a chat example for a format of SFT,
 * a preference example for one of DPO) in format 'to' (chat: as it is;
 * preference: as it is, once it has input messages and its two answers),
 * or invalid with a message when the format cannot hold it. */
jv ev_convert(jv ex, enum ev_convert_to to);

/* ev_convert_dataset_info returns LLaMA-Factory's dataset_info.json entry
 * for a file 'name'.jsonl of examples in format 'to', {name: {file_name,
 * formatting?, ranking?, columns, tags?}}, as its data/README.md defines
 * it, or invalid with a message when LLaMA-Factory does not read 'to'
 * (it reads chat, alpaca, sharegpt, alpaca-dpo and sharegpt-dpo). */
jv ev_convert_dataset_info(enum ev_convert_to to, const char *name);

/* ev_convert_alpaca returns the chat example 'chat' in the Alpaca format,
 * {instruction, input, output}. Alpaca holds one exchange, so the example
 * must have one user message and end with its one assistant message, with
 * at most one system message before them. The system message, being the
 * standing task, becomes the instruction and the user message the input;
 * without one the user message is the instruction and the input is empty.
 * Otherwise, or when a content is not a string, the result is invalid with
 * a message. */
jv ev_convert_alpaca(jv chat /* borrowed */);

/* ev_convert_sharegpt returns the chat example 'chat' in the ShareGPT
 * format, {"conversations": [{from, value}]}, where system stays "system",
 * user becomes "human" and assistant "gpt"; a message's other keys (name,
 * weight) are dropped. Any other role, or a content that is not a string,
 * makes the result invalid with a message. */
jv ev_convert_sharegpt(jv chat /* borrowed */);

/* ev_convert_prompt_completion returns the chat example 'chat' as TRL's
 * conversational prompt-completion, {"prompt": [every message but the
 * last], "completion": [the last]} with its 'tools' kept; the last
 * message must be the assistant's, else the result is invalid with a
 * message. */
jv ev_convert_prompt_completion(jv chat /* borrowed */);

/* ev_convert_dpo returns the preference example 'pref' in the DPO format
 * 'to' (see above); it is invalid with a message when the example has no
 * input messages, or an answer that is not a list of one message with
 * string content, or when the input cannot be written in 'to' (alpaca-dpo:
 * system?, user; sharegpt-dpo: system, user and assistant roles). */
jv ev_convert_dpo(jv pref /* borrowed */, enum ev_convert_to to);

#endif
