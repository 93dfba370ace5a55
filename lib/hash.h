/*
 * hash.h: stable 64-bit hashing.
 *
 * The values are part of ev's contract: derived ids and split assignments must
 * not change between versions or machines, so this is FNV-1a over the bytes
 * followed by a 64-bit finaliser (MurmurHash3's fmix64) for good mixing.
 */
#ifndef EV_HASH_H
#define EV_HASH_H

#include <stddef.h>
#include <stdint.h>

/* ev_hash_64 hashes 'len' bytes at 'p' under 'seed'. */
uint64_t ev_hash_64(const void *p, size_t len, uint64_t seed);

/* ev_hash_mix64 is the finaliser alone: a bijection that scrambles all bits. */
uint64_t ev_hash_mix64(uint64_t x);

/* ev_hash_unit maps a hash to [0, 1) with 53 bits of precision. */
double ev_hash_unit(uint64_t h);

#endif
