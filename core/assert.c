/* assert.c -- the failure path of FL_ASSERT. */
#include "core/assert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

_Thread_local struct fl_assert_context fl_assert_ctx;

void fl_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "faultline: assertion failed: %s (%s:%d)", expr, file, line);
    if (fl_assert_ctx.active)
        fprintf(stderr, " at seed %" PRIu64 ", step %" PRIu64 ", t=%" PRId64 "ns",
                fl_assert_ctx.seed, fl_assert_ctx.step, fl_assert_ctx.now_ns);
    fputc('\n', stderr);
    abort();
}
