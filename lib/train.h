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

#endif
