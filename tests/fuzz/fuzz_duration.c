/*
 * fuzz_duration.c -- fuzz target: durations (core/duration.c), "150ms", "1.5s", "3m".
 *
 * Two properties (core/duration.c): parsing is exact, and formatting gives a string
 * that parses back to the same value.  So for the input as text: when it parses to
 * ns, its formatted form parses to ns too.  And for the input's first 8 bytes as an
 * int64: a non-negative value formats to a string that parses back to it (negative
 * values only need not to crash: durations are never negative in a valid file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "core/faultline.h"
#include "fuzz_target.h"

static void check_format(int64_t ns)
{
    char buf[48];
    int64_t back = -1;
    fl_duration_format(ns, buf, sizeof buf);
    if (ns < 0)
        return;
    FUZZ_CHECK(fl_parse_duration(buf, &back) == 0, "%lld formats as \"%s\", which does not parse",
               (long long)ns, buf);
    FUZZ_CHECK(back == ns, "%lld formats as \"%s\", which parses as %lld", (long long)ns, buf,
               (long long)back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    int64_t ns = -1;
    if (fl_parse_duration(text, &ns) == 0) {
        FUZZ_CHECK(ns >= 0, "\"%s\" parses as a negative duration %lld", text, (long long)ns);
        check_format(ns);
    }
    free(text);
    if (size >= sizeof(uint64_t)) {
        uint64_t u = 0;
        for (size_t i = 0; i < sizeof u; i++)
            u = u << 8 | data[i];
        check_format((int64_t)u);
    }
    return 0;
}
