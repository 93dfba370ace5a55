/*
 * train.h: cases as training examples.
 *
 * Ownership: functions borrow 'rec' and consume other jv arguments; returned
 * values belong to the caller.
 */
#ifndef EV_TRAIN_H
#define EV_TRAIN_H

#include <jv.h>

/* ev_to_chat returns the case 'rec' as a chat fine-tuning example,
 * {"messages": [system?, user..., assistant]}. The prompt is the case's input
 * (a string becomes one user message; a message list is kept as it is), the
 * answer is 'answer' when it is a string or else the case's expected value
 * (non-strings as compact JSON), and 'system', when a string, opens the
 * conversation unless the input already has a system message. The result is
 * invalid with a message when the case has no input or no answer. */
jv ev_to_chat(jv rec, jv system, jv answer);

/* ev_chat_to_alpaca returns the chat example 'chat' (borrowed) in the
 * Alpaca format, {instruction, input, output}. Alpaca holds one exchange, so
 * the example must have one user message and end with its one assistant
 * message, with at most one system message before them. The system message,
 * being the standing task, becomes the instruction and the user message the
 * input; without one the user message is the instruction and the input is
 * empty. Otherwise, or when a content is not a string, the result is
 * invalid with a message. */
jv ev_chat_to_alpaca(jv chat);

/* ev_chat_to_sharegpt returns the chat example 'chat' (borrowed) in the
 * ShareGPT format, {"conversations": [{from, value}]}, where system stays
 * "system", user becomes "human" and assistant "gpt"; a message's other
 * keys (name, weight) are dropped. Any other role, or a content that is not
 * a string, makes the result invalid with a message. */
jv ev_chat_to_sharegpt(jv chat);

#endif
