#include "answer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hash.h"

static enum evm_jobs_kind
resolve_openai(void *store, const char *model, int64_t now, evm_model_as *as)
{
    return evm_jobs_resolve(store, model, now, as);
}

evm_answer_names
evm_answer_openai(evm_jobs *jobs)
{
    /* as OpenAI answers for a model it does not know */
    return (evm_answer_names){resolve_openai, jobs, "The model '",
                              "' does not exist or you do not have access to it.",
                              "model_not_found"};
}

unsigned
evm_answer_read(const evm_answer_names *names, enum evm_wire w, const char *body, size_t len,
                int64_t now, const char *request_id, evm_answer_chat *c, jv *err)
{
    *c = (evm_answer_chat){.w = w, .req = {jv_invalid(), jv_invalid(), jv_invalid(), -1}};
    const char *bad = evm_wire_parse(w, body, len, &c->req);
    if (bad != NULL) {
        *err = evm_wire_error(w, EVM_WIRE_BAD_REQUEST, bad, request_id);
        return evm_wire_status(w, EVM_WIRE_BAD_REQUEST);
    }
    c->kind = names->resolve(names->store, jv_string_value(c->req.model), now, &c->as);
    if (c->kind != EVM_JOBS_UNKNOWN)
        return 0;
    jv msg = jv_string_fmt("%s%s%s", names->before, jv_string_value(c->req.model), names->after);
    *err = w == EVM_WIRE_OPENAI
               ? evm_wire_openai_error(jv_string_value(msg), "model", names->code)
               : evm_wire_error(w, EVM_WIRE_NOT_FOUND, jv_string_value(msg), request_id);
    jv_free(msg);
    return 404;
}

jv
evm_answer_body(const evm_model *m, const evm_answer_chat *c, const char *id, bool usage,
                evm_answer_source *src)
{
    evm_model_reply a;
    if (evm_model_is_judge(m, jv_string_value(c->req.model)))
        a = (evm_model_reply){evm_model_judge(jv_string_value(c->req.last), c->judge_invalid),
                              EVM_MODEL_UNKNOWN, NULL};
    else
        a = evm_model_answer_as(m, jv_string_value(c->req.model), jv_string_value(c->req.full),
                                jv_string_value(c->req.last),
                                c->kind == EVM_JOBS_PLAIN ? NULL : &c->as);
    if (src != NULL)
        *src = (evm_answer_source){a.source, a.case_id};
    jv body = evm_wire_answer(c->w, &c->req, id, a.text, usage);
    free(a.text);
    return body;
}

jv
evm_answer_reply(const evm_answer_names *names, const evm_model *m, enum evm_wire w,
                 const char *body, size_t len, const char *id, int64_t now, const char *request_id,
                 unsigned *status, evm_answer_source *src)
{
    evm_answer_chat c;
    jv out;
    *status = evm_answer_read(names, w, body, len, now, request_id, &c, &out);
    if (*status == 0) {
        *status = 200;
        out = evm_answer_body(m, &c, id, true, src);
    }
    evm_answer_free(&c);
    return out;
}

void
evm_answer_id(char buf[40], enum evm_wire w, uint64_t body, unsigned long attempt)
{
    snprintf(buf, 40, w == EVM_WIRE_OPENAI ? "chatcmpl-%016" PRIx64 : "msg_%016" PRIx64,
             ev_hash_mix64(body ^ attempt));
}

void
evm_answer_free(evm_answer_chat *c)
{
    evm_wire_request_free(&c->req);
}
