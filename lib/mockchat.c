#include "mockchat.h"

#include <stdlib.h>

unsigned
ev_chat_read(ev_ft *ft, enum ev_wire w, const char *body, size_t len, int64_t now,
             const char *request_id, ev_chat *c, jv *err)
{
    *c = (ev_chat){.w = w, .req = {jv_invalid(), jv_invalid(), jv_invalid(), -1}};
    const char *bad = ev_wire_parse(w, body, len, &c->req);
    if (bad != NULL) {
        *err = ev_wire_error(w, EV_WIRE_BAD_REQUEST, bad, request_id);
        return ev_wire_status(w, EV_WIRE_BAD_REQUEST);
    }
    c->kind = ev_ft_resolve(ft, jv_string_value(c->req.model), now, &c->as);
    if (c->kind != EV_FT_UNKNOWN)
        return 0;
    /* as OpenAI answers for a model it does not know */
    jv msg = jv_string_fmt("The model '%s' does not exist or you do not have access to it.",
                           jv_string_value(c->req.model));
    *err = w == EV_WIRE_OPENAI
               ? ev_ft_openai_error(jv_string_value(msg), "model", "model_not_found")
               : ev_wire_error(w, EV_WIRE_NOT_FOUND, jv_string_value(msg), request_id);
    jv_free(msg);
    return 404;
}

jv
ev_chat_answer(const ev_mock *m, const ev_chat *c, const char *id, bool usage, ev_chat_source *src)
{
    ev_mock_reply a;
    if (ev_mock_is_judge(m, jv_string_value(c->req.model)))
        a = (ev_mock_reply){ev_mock_judge(jv_string_value(c->req.last), c->judge_invalid),
                            EV_MOCK_UNKNOWN, NULL};
    else
        a = ev_mock_answer_as(m, jv_string_value(c->req.model), jv_string_value(c->req.full),
                              jv_string_value(c->req.last), c->kind == EV_FT_PLAIN ? NULL : &c->as);
    if (src != NULL)
        *src = (ev_chat_source){a.source, a.case_id};
    jv body = ev_wire_answer(c->w, &c->req, id, a.text, usage);
    free(a.text);
    return body;
}

jv
ev_chat_reply(ev_ft *ft, const ev_mock *m, enum ev_wire w, const char *body, size_t len,
              const char *id, int64_t now, const char *request_id, unsigned *status,
              ev_chat_source *src)
{
    ev_chat c;
    jv out;
    *status = ev_chat_read(ft, w, body, len, now, request_id, &c, &out);
    if (*status == 0) {
        *status = 200;
        out = ev_chat_answer(m, &c, id, true, src);
    }
    ev_chat_free(&c);
    return out;
}

void
ev_chat_free(ev_chat *c)
{
    ev_wire_request_free(&c->req);
}
