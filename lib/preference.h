/*
 * preference.h: a preference (DPO) example from a failure, in the one form
 * that OpenAI, Together and Fireworks all accept:
 *   {"input": {"messages": [system?, user]},
 *    "preferred_output": [{"role": "assistant", "content": ...}],
 *    "non_preferred_output": [{"role": "assistant", "content": ...}]}
 * Their documented rules (research: OpenAI's and Fireworks' DPO guides,
 * Together's data preparation page and SDK check): no other top-level key;
 * the input is one turn, an optional system message and one user message,
 * so its last turn is the user's (OpenAI and Fireworks take one-turn
 * conversations only; Together forbids an assistant message last); each
 * output is exactly one assistant message; every content a non-empty
 * string. And ev's own: the preferred and non-preferred contents differ,
 * since a pair of equal answers teaches nothing.
 * Ownership: json.h.
 */
#ifndef EV_PREFERENCE_H
#define EV_PREFERENCE_H

#include <jv.h>

/* ev_preference_from_case returns the case 'rec' as a preference example:
 * its input (a string becomes one user message; a message list keeps each
 * message's role and content), opened by 'system' when that is a string and
 * the input has no system message; 'preferred' as the preferred answer (when
 * not a string, the case's expected value, as compact JSON when not a
 * string); 'rejected' (a string) as the non-preferred one. The result is
 * invalid with a message when the case has no input or no answer, or when
 * the example breaks a rule (ev_preference_check). */
jv ev_preference_from_case(jv rec /* borrowed */, jv system, jv preferred, jv rejected);

/* ev_preference_check says which rule of the shared format 'ex' breaks, as a
 * string ("the input has 2 user messages: ..."), or returns invalid when it
 * breaks none. */
jv ev_preference_check(jv ex /* borrowed */);

#endif
