/* chats.h: training files for the unit tests of ev-tune's modules. */
#ifndef EV_UNIT_CHATS_H
#define EV_UNIT_CHATS_H

/* CHAT(i) is a valid chat example on a line: user "q<i>", assistant
 * "a<i>"; TEN_CHATS is ten of them, 0 to 9, the fewest a file may hold. */
#define CHAT(i)                                                                                    \
    "{\"messages\":[{\"role\":\"user\",\"content\":\"q" #i "\"},{\"role\":\"assistant\","          \
    "\"content\":\"a" #i "\"}]}\n"
#define TEN_CHATS CHAT(0) CHAT(1) CHAT(2) CHAT(3) CHAT(4) CHAT(5) CHAT(6) CHAT(7) CHAT(8) CHAT(9)

#endif
