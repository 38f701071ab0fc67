/*
 * duration.c -- durations as scenario files (and protocol params) write them: "150ms", "1.5s",
 * "20us", "3m".
 *
 * A duration is an integer or a decimal number followed by one unit (ns, us, ms, s, m),
 * or the bare "0".  Parsing is exact: a value that is not a whole number of nanoseconds
 * ("0.5ns", "1.0000000001s") is rejected rather than rounded, so that what a file says is
 * what the simulation does.  Formatting gives the shortest string that parses back to the
 * same value, so sc->json (the scenario's identity in the database) is canonical.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/duration.h"
#include "core/error.h"
#include "core/faultline.h"

typedef struct unit {
    const char *name;
    int64_t ns;
} unit;

/* Largest unit first: fl_duration_format prefers it on ties. */
static const unit units[] = {
    {"m", 60000000000LL}, {"s", 1000000000LL}, {"ms", 1000000LL}, {"us", 1000LL}, {"ns", 1LL},
};
#define NUNITS (sizeof units / sizeof units[0])

/* More digits than this cannot be a valid int64 nanosecond count in any unit. */
#define MAX_DIGITS 19

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int fl_parse_duration(const char *s, int64_t *ns)
{
    if (s == NULL || ns == NULL)
        return FL_EINVAL;
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    /* integer part: at least one digit */
    const char *p = s;
    unsigned __int128 whole = 0;
    int ndig = 0;
    for (; is_digit(*p); p++) {
        if (++ndig > MAX_DIGITS)
            return FL_EINVAL;
        whole = whole * 10 + (unsigned)(*p - '0');
    }
    if (ndig == 0)
        return FL_EINVAL;
    /* fraction: '.' then at least one digit; trailing zeros do not count */
    uint64_t frac = 0, scale = 1;
    if (*p == '.') {
        p++;
        const char *f = p;
        while (is_digit(*p))
            p++;
        if (p == f)
            return FL_EINVAL;
        const char *last = p;
        while (last > f && last[-1] == '0')
            last--;
        if (last - f > 18) /* no unit makes 19 significant decimals exact */
            return FL_EINVAL;
        for (const char *d = f; d < last; d++) {
            frac = frac * 10 + (uint64_t)(*d - '0');
            scale *= 10;
        }
    }
    const unit *u = NULL;
    for (size_t i = 0; i < NUNITS; i++)
        if (strcmp(p, units[i].name) == 0)
            u = &units[i];
    if (u == NULL)
        return FL_EINVAL;
    /* whole < 10^19 and ns <= 6*10^10: the product fits in 128 bits; so does frac * ns */
    unsigned __int128 v = whole * (uint64_t)u->ns;
    unsigned __int128 fv = (unsigned __int128)frac * (uint64_t)u->ns;
    if (fv % scale != 0)
        return FL_EINVAL; /* not a whole number of nanoseconds */
    v += fv / scale;
    if (v > (unsigned __int128)INT64_MAX)
        return FL_EINVAL;
    *ns = (int64_t)v;
    return 0;
}

/* Write v/unit as "<int>[.<digits>]<name>" into out if it is exact with at most 11
 * fraction digits (enough for every unit: 6*10^10 has no prime factor but 2, 3 and 5,
 * and a remainder that is a multiple of 3 never ends).  Returns the length, or 0. */
static size_t format_in(uint64_t v, const unit *u, char *out, size_t cap)
{
    uint64_t q = v / (uint64_t)u->ns, r = v % (uint64_t)u->ns;
    if (q == 0)
        return 0; /* "0.15s" is never shorter than "150ms" */
    char frac[16];
    size_t nf = 0;
    while (r != 0 && nf < 12) {
        r *= 10; /* r < 6*10^10: no overflow */
        frac[nf++] = (char)('0' + r / (uint64_t)u->ns);
        r %= (uint64_t)u->ns;
    }
    if (r != 0)
        return 0;
    frac[nf] = '\0';
    int n = snprintf(out, cap, "%llu%s%s%s", (unsigned long long)q, nf ? "." : "", frac, u->name);
    return (n > 0 && (size_t)n < cap) ? (size_t)n : 0;
}

void fl_duration_format(int64_t ns, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    if (ns == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    /* durations are never negative in a valid scenario; print them readably anyway */
    const char *sign = ns < 0 ? "-" : "";
    uint64_t v = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char best[48] = "", cand[48];
    size_t best_len = 0;
    int best_point = 1;
    for (size_t i = 0; i < NUNITS; i++) {
        size_t n = format_in(v, &units[i], cand, sizeof cand);
        if (n == 0)
            continue;
        int point = strchr(cand, '.') != NULL;
        /* shortest; on a tie, no decimal point; then the larger unit (earlier in units) */
        if (best_len == 0 || n < best_len || (n == best_len && point < best_point)) {
            memcpy(best, cand, n + 1);
            best_len = n;
            best_point = point;
        }
    }
    snprintf(buf, cap, "%s%s", sign, best);
}
