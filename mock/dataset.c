#include "dataset.h"

#include "record.h"

void
evm_dataset_count(evm_learner_tally *tally, const evm_model *m, jv rec, jv input)
{
    jv tags = ev_rec_tags(rec);
    jv first = jv_array_length(jv_copy(tags)) > 0 ? jv_array_get(jv_copy(tags), 0) : jv_null();
    jv_free(tags);
    const char *tag = NULL;
    if (jv_get_kind(first) == JV_KIND_STRING) {
        tag = jv_string_value(first);
    } else if (m != NULL && jv_is_valid(input)) {
        jv full, last;
        evm_model_prompt(jv_copy(input), &full, &last);
        /* the tag is the mock's, not the prompt's */
        if (!evm_model_case_tag(m, jv_string_value(full), jv_string_value(last), &tag))
            tag = NULL;
        jv_free(full);
        jv_free(last);
    }
    evm_learner_tally_add(tally, tag, 1);
    jv_free(first);
    jv_free(input);
}
