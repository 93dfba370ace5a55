#include "quote.h"

/* The cookbook's epochs heuristic (APIS.md §4). */
#define TARGET_EPOCHS 3
#define MIN_TARGET_EXAMPLES 100
#define MAX_TARGET_EXAMPLES 25000
#define MIN_DEFAULT_EPOCHS 1
#define MAX_DEFAULT_EPOCHS 25

long
ev_quote_default_epochs(size_t n, const char **why)
{
    long epochs = TARGET_EPOCHS;
    const char *w = "default";
    if (n > 0 && n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
        long e = (long)(MIN_TARGET_EXAMPLES / n);
        epochs = e < MAX_DEFAULT_EPOCHS ? e : MAX_DEFAULT_EPOCHS;
        w = "raised";
    } else if (n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
        long e = (long)(MAX_TARGET_EXAMPLES / n);
        epochs = e > MIN_DEFAULT_EPOCHS ? e : MIN_DEFAULT_EPOCHS;
        w = "lowered";
    }
    if (why != NULL)
        *why = w;
    return epochs;
}
