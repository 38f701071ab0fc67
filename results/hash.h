/*
 * hash.h -- the hashes of results/'s in-memory tables (history strings, the checker's
 * memo and model states).  They only place keys in open-addressing tables: no order a
 * caller sees depends on them.
 */
#ifndef FL_RESULTS_HASH_H
#define FL_RESULTS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* splitmix64's finaliser: a well-mixed 64-bit value from any 64-bit key. */
static inline uint64_t fl_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A hash of len bytes, eight at a time. */
static inline uint64_t fl_hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = fl_mix64(h ^ w);
    }
    uint64_t w = 0;
    if (len > i)
        memcpy(&w, s + i, len - i);
    return fl_mix64(h ^ w ^ ((uint64_t)(len - i) << 56));
}

#endif /* FL_RESULTS_HASH_H */
