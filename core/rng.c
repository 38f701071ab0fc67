/* rng.c -- xoshiro256** streams seeded by splitmix64 (see rng.h). */
#include "core/rng.h"

#include <math.h>

#include "core/assert.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t name_hash(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

static void seed_state(fl_rng *r, uint64_t x)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the one state xoshiro cannot leave */
}

void fl_rng_fork(fl_rng *r, uint64_t seed, const char *name, uint64_t index)
{
    /* Mix the name bytes (FNV-1a) so that streams of different names diverge from the
     * first draw, then the index and the seed through splitmix64. */
    uint64_t h = name_hash(name);
    uint64_t x = seed ^ splitmix64(&h);
    x ^= index * 0xd1342543de82ef95ULL;
    seed_state(r, x);
}

void fl_rng_keyed(fl_rng *r, uint64_t seed, const char *name, uint64_t a, uint64_t b, uint64_t c)
{
    /* Each word is folded in and the whole mixed again (splitmix64's finaliser), so
     * that (a, b, c) and any permutation or neighbour give unrelated states. */
    uint64_t h = name_hash(name) ^ 0x6a09e667f3bcc909ULL;
    uint64_t x = seed ^ splitmix64(&h);
    uint64_t words[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        x ^= words[i];
        x = splitmix64(&x);
    }
    seed_state(r, x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t fl_rng_u64(fl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t fl_rng_below(fl_rng *r, uint64_t bound)
{
    FL_ASSERT(bound > 0);
    /* Lemire's multiply-shift with rejection: unbiased, one draw almost always. */
    unsigned __int128 m = (unsigned __int128)fl_rng_u64(r) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = -bound % bound;
        while (low < threshold) {
            m = (unsigned __int128)fl_rng_u64(r) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

int64_t fl_rng_range(fl_rng *r, int64_t lo, int64_t hi)
{
    FL_ASSERT(lo <= hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX)
        return (int64_t)fl_rng_u64(r);
    return (int64_t)((uint64_t)lo + fl_rng_below(r, span + 1));
}

double fl_rng_unit(fl_rng *r)
{
    return (double)(fl_rng_u64(r) >> 11) * 0x1.0p-53;
}

int fl_rng_chance(fl_rng *r, double p)
{
    double u = fl_rng_unit(r);
    return u < p;
}

int64_t fl_rng_exp(fl_rng *r, int64_t mean_ns)
{
    FL_ASSERT(mean_ns > 0);
    double u = fl_rng_unit(r);
    double v = -log1p(-u) * (double)mean_ns;
    if (v < 1.0)
        return 1;
    if (v > 9.0e18)
        return INT64_C(9000000000000000000);
    return (int64_t)v;
}
