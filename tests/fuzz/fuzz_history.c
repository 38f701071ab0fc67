/*
 * fuzz_history.c -- fuzz target: the JSON-lines history reader (results/history_json.c)
 * and the linearizability checker on whatever it reads.
 *
 * The first byte picks the model (even: register, odd: kv), the rest is the history.  A
 * history that parses is checked under a small state budget (a fuzz input must not run
 * for seconds), and the verdict must be one of the three; checking it twice must give
 * the same verdict (the checker is deterministic).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "results/history.h"
#include "results/lin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int model = data[0] % 2 ? FL_LIN_KV : FL_LIN_REGISTER;
    char err[512];
    fl_history *h = fl_history_new();
    FUZZ_CHECK(h != NULL, "out of memory");
    /* the checker refuses a history of the other kind (FL_EINVAL): that is checked too */
    if (fl_history_parse_jsonl(h, (const char *)data + 1, size - 1, "fuzz", err, sizeof err) == 0) {
        fl_lin_budget b = {.max_states = 20000, .max_bytes = 16u << 20};
        fl_lin_result r1, r2;
        int rc1 = fl_lin_check(h, model, &b, &r1);
        int rc2 = fl_lin_check(h, model, &b, &r2);
        FUZZ_CHECK(rc1 == rc2, "two checks returned %d and %d", rc1, rc2);
        if (rc1 == 0) {
            FUZZ_CHECK(r1.verdict >= FL_LIN_OK && r1.verdict <= FL_LIN_UNKNOWN, "verdict %d",
                       r1.verdict);
            FUZZ_CHECK(r1.verdict == r2.verdict, "verdicts %d and %d", r1.verdict, r2.verdict);
        }
        fl_lin_result_close(&r1); /* initialised by fl_lin_check whatever it returned */
        fl_lin_result_close(&r2);
    }
    fl_history_free(h);
    return 0;
}
