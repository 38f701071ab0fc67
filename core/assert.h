/*
 * assert.h -- always-on assertions that say where the simulation was.
 *
 * A broken invariant inside faultline aborts (bad input never does: that returns an
 * error).  The message names the expression, file and line and, when a simulation is
 * running on this thread, its seed and virtual time, so the failure can be reproduced.
 */
#ifndef FL_CORE_ASSERT_H
#define FL_CORE_ASSERT_H

#include <stdint.h>

#define FL_ASSERT(x) ((x) ? (void)0 : fl_assert_fail(#x, __FILE__, __LINE__))

_Noreturn void fl_assert_fail(const char *expr, const char *file, int line);

/* What the assertion message reports about the running simulation.  Set by the
 * world around each step; read only by fl_assert_fail (STYLE: the one allowed
 * thread-local). */
struct fl_assert_context {
    uint64_t seed;
    int64_t now_ns;
    uint64_t step;
    int active;
};
extern _Thread_local struct fl_assert_context fl_assert_ctx;

#endif /* FL_CORE_ASSERT_H */
