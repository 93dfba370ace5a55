/*
 * record.h: the fields of an ev record, as DESIGN.md and ev(7) define them.
 *
 * Ownership: json.h.
 *
 * A case gives its prompt as 'input' (a string, or an array of messages) and
 * its answer as 'expected', or its aliases 'ideal' (OpenAI Evals) and 'target'
 * (Inspect). A case in the chat fine-tuning format gives 'messages' instead:
 * the final assistant message is the expected answer and the rest the input.
 */
#ifndef EV_RECORD_H
#define EV_RECORD_H

#include <stdbool.h>

#include <jv.h>

/* ev_record_input returns the prompt: a string or an array of messages, or
 * invalid when the record has neither 'input' nor a usable 'messages'; when
 * it has an 'input' of another type, invalid with a message that says so. */
jv ev_record_input(jv rec /* borrowed */);

/* EV_RECORD_EXPECTED_ELSEWHERE names, for a message about a record with no
 * 'expected', the other places ev_record_expected looks. */
#define EV_RECORD_EXPECTED_ELSEWHERE                                                               \
    "nor its aliases 'ideal' and 'target', nor 'messages' ending with the assistant's answer"

/* ev_record_expected returns the expected answer, or invalid when there is none. */
jv ev_record_expected(jv rec /* borrowed */);

/* ev_record_id_problem says what is wrong with the 'id' of 'rec', as a
 * string, or returns invalid when nothing is: an id is a string or a number,
 * and null or absent means derived. The reader (jsonl.h) refuses a record
 * with a bad id, so every tool applies this one rule. */
jv ev_record_id_problem(jv rec /* borrowed */);

/* ev_record_score_problem says what is wrong with the 'score' of 'rec', as a
 * string, or returns invalid when it has none or it is well formed: an
 * object whose 'pass' is true or false and whose 'value', when present and
 * not null, is a number from 0 to 1. */
jv ev_record_score_problem(jv rec /* borrowed */);

/* ev_record_id returns the record's id as a string. A numeric id becomes its
 * JSON text. A record without one gets the derived id: "h" and 16 hex digits
 * of a hash of the canonical JSON (sorted keys, compact) of its input, of
 * whatever type. With neither an id nor an input the result is invalid with
 * a message. */
jv ev_record_id(jv rec /* borrowed */);

/* ev_record_with_id consumes 'rec' and returns it with 'id' set when it had none
 * and one can be derived. */
jv ev_record_with_id(jv rec);

/* ev_record_tags returns the tags as an array of strings: a lone string becomes a
 * one-element array, and a missing field an empty array. */
jv ev_record_tags(jv rec /* borrowed */);

/* ev_record_prompt_text returns the prompt as plain text: the string itself, or the
 * contents of the messages (as ev_record_content_text reads them) joined by
 * newlines. Empty when there is none. */
jv ev_record_prompt_text(jv rec /* borrowed */);

/* ev_record_message returns the chat message {"role": role, "content":
 * content}. */
jv ev_record_message(const char *role, jv content);

/* ev_record_content_text returns a message's content (consumed) as text: a string
 * as it is; an array of parts (the multimodal form) as the concatenation of
 * its string parts and the 'text' of its object parts; anything else as
 * ev_record_text_of gives it. */
jv ev_record_content_text(jv content);

/* ev_record_text_of returns 'v' (consumed) as text: a string as it is, anything else
 * as compact JSON, null and invalid as "". */
jv ev_record_text_of(jv v);

#endif
