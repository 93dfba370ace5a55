/* Unit tests of lib/convert: chat examples as prompt-completion, Alpaca and
 * ShareGPT, preference examples in the DPO formats, the names of the
 * formats, and LLaMA-Factory's dataset_info.json entries. */
#include <stdlib.h>

#include "convert.h"
#include "unit.h"

/* check_out checks that 'out' (consumed) is 'want', or that its message
 * is. */
static void
check_out(jv out, const char *want, const char *name)
{
    if (jv_is_valid(out)) {
        CHECK_JV(out, want, name);
    } else {
        jv m = jv_invalid_get_msg(out);
        CHECK_STR(jv_string_value(m), want, name);
        jv_free(m);
    }
}

static void
check_convert(jv (*to)(jv), const char *chat, const char *want, const char *name)
{
    jv c = jv_parse(chat);
    check_out(to(c), want, name);
    jv_free(c);
}

static void
test_conversions(void)
{
    const char *sys = "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                      "{\"role\":\"user\",\"content\":\"q\"},"
                      "{\"role\":\"assistant\",\"content\":\"a\"}]}";
    const char *plain = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                        "{\"role\":\"assistant\",\"content\":\"a\"}]}";
    check_convert(ev_convert_alpaca, sys,
                  "{\"input\":\"q\",\"instruction\":\"s\",\"output\":\"a\"}",
                  "alpaca: the system message is the instruction, the user's the input");
    check_convert(ev_convert_alpaca, plain,
                  "{\"input\":\"\",\"instruction\":\"q\",\"output\":\"a\"}",
                  "alpaca: without a system message the user's is the instruction");
    check_convert(
        ev_convert_alpaca,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"r\"},"
        "{\"role\":\"assistant\",\"content\":\"b\"}]}",
        "alpaca holds one exchange (system?, user, assistant), and message 2, of role "
        "'assistant', is more",
        "alpaca refuses a second turn");
    check_convert(ev_convert_sharegpt, sys,
                  "{\"conversations\":[{\"from\":\"system\",\"value\":\"s\"},"
                  "{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}]}",
                  "sharegpt: system, human, gpt");
    check_convert(ev_convert_sharegpt, "{\"messages\":[{\"role\":\"tool\",\"content\":\"r\"}]}",
                  "sharegpt has no role for 'tool' (message 1)", "sharegpt refuses a tool role");
}

/* check_dpo checks that the preference example 'pair' is 'want' in format
 * 'to' (or that the conversion says 'want'). */
static void
check_dpo(enum ev_convert_to to, const char *pair, const char *want, const char *name)
{
    jv p = jv_parse(pair);
    check_out(ev_convert_dpo(p, to), want, name);
    jv_free(p);
}

#define PAIR                                                                                       \
    "{\"input\":{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"                           \
    "{\"role\":\"user\",\"content\":\"q\"}]},"                                                     \
    "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"good\"}],"                        \
    "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"bad\"}]}"

static void
test_more_formats(void)
{
    check_convert(ev_convert_prompt_completion,
                  "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                  "{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\"}],\"tools\":[]}",
                  "{\"completion\":[{\"content\":\"a\",\"role\":\"assistant\"}],"
                  "\"prompt\":[{\"content\":\"s\",\"role\":\"system\"},"
                  "{\"content\":\"q\",\"role\":\"user\"}],\"tools\":[]}",
                  "prompt-completion: every message but the last is the prompt, with the tools");
    check_convert(ev_convert_prompt_completion,
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}",
                  "prompt-completion needs a prompt and the example to end with an assistant "
                  "message",
                  "prompt-completion refuses an example without an answer");
    check_dpo(EV_CONVERT_TRL_DPO, PAIR,
              "{\"chosen\":[{\"content\":\"good\",\"role\":\"assistant\"}],"
              "\"prompt\":[{\"content\":\"s\",\"role\":\"system\"},"
              "{\"content\":\"q\",\"role\":\"user\"}],"
              "\"rejected\":[{\"content\":\"bad\",\"role\":\"assistant\"}]}",
              "trl-dpo: TRL's conversational prompt, chosen and rejected");
    check_dpo(EV_CONVERT_AXOLOTL_DPO, PAIR,
              "{\"chosen\":{\"content\":\"good\",\"role\":\"assistant\"},"
              "\"messages\":[{\"content\":\"s\",\"role\":\"system\"},"
              "{\"content\":\"q\",\"role\":\"user\"}],"
              "\"rejected\":{\"content\":\"bad\",\"role\":\"assistant\"}}",
              "axolotl-dpo: messages, and one message chosen and one rejected");
    check_dpo(EV_CONVERT_ALPACA_DPO, PAIR,
              "{\"chosen\":\"good\",\"input\":\"q\",\"instruction\":\"s\","
              "\"rejected\":\"bad\"}",
              "alpaca-dpo: the alpaca prompt, and the two answers as text");
    check_dpo(EV_CONVERT_SHAREGPT_DPO, PAIR,
              "{\"chosen\":{\"from\":\"gpt\",\"value\":\"good\"},"
              "\"conversations\":[{\"from\":\"system\",\"value\":\"s\"},"
              "{\"from\":\"human\",\"value\":\"q\"}],"
              "\"rejected\":{\"from\":\"gpt\",\"value\":\"bad\"}}",
              "sharegpt-dpo: the conversation, and gpt turns chosen and rejected");
    check_dpo(EV_CONVERT_PREFERENCE, PAIR,
              "{\"input\":{\"messages\":[{\"content\":\"s\",\"role\":\"system\"},"
              "{\"content\":\"q\",\"role\":\"user\"}]},"
              "\"non_preferred_output\":[{\"content\":\"bad\",\"role\":\"assistant\"}],"
              "\"preferred_output\":[{\"content\":\"good\",\"role\":\"assistant\"}]}",
              "preference: as it is");
    check_dpo(EV_CONVERT_TRL_DPO, "{\"input\":{\"messages\":[]},\"preferred_output\":[]}",
              "'preferred_output' is not a list of one message with string content",
              "a pair without its answers cannot be written");
    check_dpo(EV_CONVERT_PREFERENCE, "{\"messages\":[]}",
              "example has no 'input' with a 'messages' list",
              "nor one without an input, even as it is");
    check_dpo(EV_CONVERT_ALPACA_DPO,
              "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
              "{\"role\":\"user\",\"content\":\"r\"}]},"
              "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"good\"}],"
              "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"bad\"}]}",
              "alpaca holds one exchange (system?, user, assistant), and message 2, of role "
              "'user', is more",
              "alpaca-dpo holds one exchange");

    enum ev_convert_to to;
    CHECK(ev_convert_parse("axolotl-dpo", &to) && to == EV_CONVERT_AXOLOTL_DPO,
          "formats are found by name");
    CHECK_STR(ev_convert_name(EV_CONVERT_PROMPT_COMPLETION), "prompt-completion", "and named");
    CHECK(ev_convert_method(EV_CONVERT_SHAREGPT) == EV_EXAMPLE_SFT, "sharegpt is an SFT format");
    CHECK(ev_convert_method(EV_CONVERT_SHAREGPT_DPO) == EV_EXAMPLE_DPO, "sharegpt-dpo a DPO one");
    CHECK(ev_convert_default(EV_EXAMPLE_DPO) == EV_CONVERT_PREFERENCE,
          "DPO examples are written as they are by default");
}

static void
check_info(enum ev_convert_to to, const char *want, const char *name)
{
    check_out(ev_convert_dataset_info(to, "ev"), want, name);
}

/* The entries of LLaMA-Factory's data/README.md (hiyouga/LLaMA-Factory,
 * ff6d4d12), with the file_name ev writes. */
static void
test_dataset_info(void)
{
    check_info(EV_CONVERT_ALPACA,
               "{\"ev\":{\"columns\":{\"prompt\":\"instruction\",\"query\":\"input\","
               "\"response\":\"output\"},\"file_name\":\"ev.jsonl\",\"formatting\":\"alpaca\"}}",
               "alpaca: prompt, query and response columns");
    check_info(EV_CONVERT_SHAREGPT,
               "{\"ev\":{\"columns\":{\"messages\":\"conversations\"},\"file_name\":\"ev.jsonl\","
               "\"formatting\":\"sharegpt\",\"tags\":{\"assistant_tag\":\"gpt\","
               "\"content_tag\":\"value\",\"role_tag\":\"from\",\"system_tag\":\"system\","
               "\"user_tag\":\"human\"}}}",
               "sharegpt: the conversations, and its tags");
    check_info(EV_CONVERT_CHAT,
               "{\"ev\":{\"columns\":{\"messages\":\"messages\"},\"file_name\":\"ev.jsonl\","
               "\"formatting\":\"sharegpt\",\"tags\":{\"assistant_tag\":\"assistant\","
               "\"content_tag\":\"content\",\"role_tag\":\"role\",\"system_tag\":\"system\","
               "\"user_tag\":\"user\"}}}",
               "chat: OpenAI's messages, as sharegpt with role and content tags");
    check_info(EV_CONVERT_ALPACA_DPO,
               "{\"ev\":{\"columns\":{\"chosen\":\"chosen\",\"prompt\":\"instruction\","
               "\"query\":\"input\",\"rejected\":\"rejected\"},\"file_name\":\"ev.jsonl\","
               "\"formatting\":\"alpaca\",\"ranking\":true}}",
               "alpaca-dpo: ranking, with chosen and rejected columns");
    check_info(EV_CONVERT_SHAREGPT_DPO,
               "{\"ev\":{\"columns\":{\"chosen\":\"chosen\",\"messages\":\"conversations\","
               "\"rejected\":\"rejected\"},\"file_name\":\"ev.jsonl\",\"formatting\":\"sharegpt\","
               "\"ranking\":true,\"tags\":{\"assistant_tag\":\"gpt\",\"content_tag\":\"value\","
               "\"role_tag\":\"from\",\"system_tag\":\"system\",\"user_tag\":\"human\"}}}",
               "sharegpt-dpo: ranking, the conversations, chosen and rejected");
    check_info(EV_CONVERT_TRL_DPO,
               "LLaMA-Factory reads chat, alpaca, sharegpt, alpaca-dpo and sharegpt-dpo, not "
               "'trl-dpo'",
               "a format LLaMA-Factory does not read has no entry");
}

int
main(void)
{
    test_conversions();
    test_more_formats();
    test_dataset_info();
    UNIT_DONE();
}
