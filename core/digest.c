/* digest.c -- chaining hash for run digests (see digest.h). */
#include "core/digest.h"

#include <string.h>

static inline uint64_t mix(uint64_t h, uint64_t v)
{
    /* One round of a multiply-xorshift mixer per word: order-sensitive and cheap. */
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

uint64_t fl_digest_u64(uint64_t h, uint64_t v)
{
    return mix(h, v);
}

uint64_t fl_digest_bytes(uint64_t h, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    h = mix(h, (uint64_t)len);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h, w);
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = mix(h, w);
    }
    return h;
}

void fl_digest_hex(uint64_t h, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}
