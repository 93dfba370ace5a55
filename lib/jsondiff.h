/*
 * jsondiff.h: the first difference between two JSON values, by its path.
 *
 * Ownership: json.h.
 *
 * The json and json-subset scorers say where an answer goes wrong the way
 * jq would reach it: ".a.b[2]: expected 1, got 2", "missing key '.c'",
 * "unexpected key '.[\"a b\"]'", ".list: expected 3 elements, got 2".
 * Object keys are compared in sorted order, so the difference found first
 * does not depend on the order the keys were written in.
 */
#ifndef EV_JSONDIFF_H
#define EV_JSONDIFF_H

#include <stdbool.h>

#include <jv.h>

/* ev_jsondiff_first returns the first difference between 'want' and 'got'
 * as a string, or invalid when they are equal. With 'subset', keys of 'got'
 * that 'want' lacks are no difference, at any depth. */
jv ev_jsondiff_first(jv want /* borrowed */, jv got /* borrowed */, bool subset);

#endif
