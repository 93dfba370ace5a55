/* chats.h: training files for the unit tests of ev-tune's modules. */
#ifndef EV_UNIT_CHATS_H
#define EV_UNIT_CHATS_H

/* CHAT(i) is a valid chat example on a line: user "q<i>", assistant
 * "a<i>"; TEN_CHATS is ten of them, 0 to 9, the fewest a file may hold. */
#define CHAT(i)                                                                                    \
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q" #i "\"},{\"role\":\"assistant\","          \
    "\"content\":\"a" #i "\"}]}\n"
#define TEN_CHATS CHAT(0) CHAT(1) CHAT(2) CHAT(3) CHAT(4) CHAT(5) CHAT(6) CHAT(7) CHAT(8) CHAT(9)

/* PREF(i) is a valid preference example on a line: user "q<i>", preferred
 * answer "a<i>", non-preferred "b<i>"; TEN_PREFS is ten of them. */
#define PREF(i)                                                                                    \
    "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q" #i "\"}]},"                     \
    "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"a" #i "\"}],"                     \
    "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"b" #i "\"}]}\n"
#define TEN_PREFS PREF(0) PREF(1) PREF(2) PREF(3) PREF(4) PREF(5) PREF(6) PREF(7) PREF(8) PREF(9)

#endif
