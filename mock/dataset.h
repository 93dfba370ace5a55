/*
 * dataset.h: the training data of ev-mock's simulated fine-tuning: which
 * tag each example trains, for the learner (learner.h).
 *
 * Ownership: json.h.
 */
#ifndef EVM_DATASET_H
#define EVM_DATASET_H

#include <jv.h>

#include "learner.h"
#include "model.h"

/* evm_dataset_count counts one example, the record 'rec', toward the tag it
 * trains in 'tally': its own first tag ('tags', as ev_rec_tags reads them),
 * else the first tag of the case in 'm' (NULL: none) that its prompt
 * 'input' asks, matched as an answer is (evm_model_case_tag), else
 * EVM_LEARNER_OTHER. 'input' is a string or an array of messages, or
 * invalid when the example has none. */
void evm_dataset_count(evm_learner_tally *tally, const evm_model *m, jv rec /* borrowed */,
                       jv input);

#endif
