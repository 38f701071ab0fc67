/* duration.c -- parsing "150ms"-style durations (see fl_parse_duration). */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/faultline.h"

static int64_t unit_ns(const char *u)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000},
                 {"m", INT64_C(60000000000)}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(u, units[i].name) == 0)
            return units[i].ns;
    return 0;
}

int fl_parse_duration(const char *s, int64_t *ns)
{
    if (!s || !*s)
        return -1;
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    /* Integer and fraction digits kept apart, so that "1.5s" is exact. */
    int64_t whole = 0, frac = 0, frac_scale = 1;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > (INT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        for (; isdigit((unsigned char)*p); p++) {
            if (frac_scale > INT64_C(1000000000000000))
                return -1;
            frac = frac * 10 + (*p - '0');
            frac_scale *= 10;
        }
    }
    int64_t unit = unit_ns(p);
    if (unit == 0)
        return -1;
    if (whole > INT64_MAX / unit)
        return -1;
    int64_t v = whole * unit;
    if (frac) {
        __int128 f = (__int128)frac * unit;
        if (f % frac_scale != 0)
            return -1; /* finer than a nanosecond */
        f /= frac_scale;
        if (f > INT64_MAX - v)
            return -1;
        v += (int64_t)f;
    }
    *ns = v;
    return 0;
}
