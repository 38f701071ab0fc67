/*
 * digest.h -- the run digest: a 64-bit hash chained over the canonical event stream.
 *
 * Two executions of the same run must produce the same chain value after every step;
 * the first step at which the chains differ is where they diverged.  The hash is not
 * cryptographic: it detects accidental nondeterminism, not tampering.
 */
#ifndef FL_CORE_DIGEST_H
#define FL_CORE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define FL_DIGEST_INIT UINT64_C(0x6a09e667f3bcc909)
/* Bumped whenever the same scenario and seed give a different run on purpose (a draw
 * moved to another stream, a decision keyed differently): digests of different epochs
 * are not comparable.  Printed by --version and stored per run (runs.digest_epoch).
 * 1: the first round.  2: every random decision about a message, op, sync, torn write
 * or corrupt read is keyed by its identity instead of drawn from a shared stream. */
#define FL_DIGEST_EPOCH 2

/* Fold len bytes into the chain value h and return the new value. */
uint64_t fl_digest_bytes(uint64_t h, const void *buf, size_t len);
/* Fold one 64-bit word. */
uint64_t fl_digest_u64(uint64_t h, uint64_t v);
/* Format h as 16 lowercase hex digits plus NUL into out[17]. */
void fl_digest_hex(uint64_t h, char out[17]);

#endif /* FL_CORE_DIGEST_H */
