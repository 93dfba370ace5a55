/*
 * convert.h: a chat example in the formats that local trainers read: chat
 * itself ({"messages": [...]}, what OpenAI, TRL and Axolotl read), Alpaca
 * ({instruction, input, output}) and ShareGPT ({"conversations": [{from,
 * value}]}), what LLaMA-Factory, Axolotl and Unsloth read.
 *
 * Ownership: json.h.
 */
#ifndef EV_CONVERT_H
#define EV_CONVERT_H

#include <stdbool.h>

#include <jv.h>

/* The formats, by their names in --to. */
enum ev_convert_to {
    EV_CONVERT_CHAT,
    EV_CONVERT_ALPACA,
    EV_CONVERT_SHAREGPT,
};

/* ev_convert_name returns the name of 'to': "chat", "alpaca", "sharegpt". */
const char *ev_convert_name(enum ev_convert_to to);

/* ev_convert_parse sets '*to' to the format named 'name' and returns true,
 * or returns false when there is none of that name. */
bool ev_convert_parse(const char *name, enum ev_convert_to *to);

/* ev_convert returns the chat example 'chat' in format 'to' (chat: as it
 * is), or invalid with a message when the format cannot hold it. */
jv ev_convert(jv chat, enum ev_convert_to to);

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

#endif
