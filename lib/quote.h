/*
 * quote.h: what a training run will take, before it is paid for: how many
 * epochs, by the rule of OpenAI's cookbook unless given.
 */
#ifndef EV_QUOTE_H
#define EV_QUOTE_H

#include <stddef.h>

/* ev_quote_default_epochs returns the cookbook's default epochs for 'n'
 * examples: 3, raised to 100 / n or lowered to 25000 / n (integer
 * division) so that n x epochs stays between 100 and 25000, within 1..25.
 * '*why', when not NULL, gets "raised", "lowered" or "default". */
long ev_quote_default_epochs(size_t n, const char **why);

#endif
