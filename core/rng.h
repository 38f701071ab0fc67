/*
 * rng.h -- seeded random streams.
 *
 * Every source of randomness in a run is an fl_rng forked from the run's seed and a
 * stream name ("network", "faults", "workload", "node" + index).  Streams are
 * independent: drawing more from one never shifts another, so adding a fault kind
 * does not change the network's choices.  The generator is xoshiro256** seeded
 * through splitmix64; it is small (32 bytes), fast and has no global state.
 */
#ifndef FL_CORE_RNG_H
#define FL_CORE_RNG_H

#include <stdint.h>

typedef struct fl_rng {
    uint64_t s[4];
} fl_rng;

/* Seed `r` for stream (name, index) of run `seed`.  The same three give the same
 * stream on every platform. */
void fl_rng_fork(fl_rng *r, uint64_t seed, const char *name, uint64_t index);

/* Seed `r` for one decision keyed by an identity (name, a, b, c) of run `seed`: a
 * counter-based use of the generator.  A keyed decision does not depend on how many
 * draws came before it anywhere else, so removing one fault from a run leaves the
 * decisions about every other message, op or sync where they were.  Different
 * identities give independent generators (each word goes through a full 64-bit mix). */
void fl_rng_keyed(fl_rng *r, uint64_t seed, const char *name, uint64_t a, uint64_t b, uint64_t c);

uint64_t fl_rng_u64(fl_rng *r);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t fl_rng_below(fl_rng *r, uint64_t bound);
/* Uniform in [lo, hi], inclusive; lo <= hi. */
int64_t fl_rng_range(fl_rng *r, int64_t lo, int64_t hi);
/* Uniform double in [0, 1). */
double fl_rng_unit(fl_rng *r);
/* True with probability p (p <= 0 never draws true, p >= 1 always does; both still
 * consume one draw, so the stream's position does not depend on p). */
int fl_rng_chance(fl_rng *r, double p);
/* Exponentially distributed with the given mean (ns), at least 1. */
int64_t fl_rng_exp(fl_rng *r, int64_t mean_ns);

#endif /* FL_CORE_RNG_H */
