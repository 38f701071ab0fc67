/*
 * fuzz_canon.h -- the property both scenario harnesses check on every scenario that
 * parses: docs/scenario.md "The canonical form" -- printing the canonical form and
 * reading it again gives it back unchanged.
 */
#ifndef FL_TESTS_FUZZ_CANON_H
#define FL_TESTS_FUZZ_CANON_H

#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sim/run/scenario.h"

/* sc->json as compact text (caller frees with free()), after checking that it parses
 * back to itself.  Aborts (FUZZ_CHECK) when it does not. */
static inline char *fuzz_canonical(const fl_scenario *sc)
{
    char *text = cJSON_PrintUnformatted(sc->json), err[512] = "";
    FUZZ_CHECK(text != NULL, "out of memory printing the canonical form");
    fl_scenario again;
    int rc = fl_scenario_parse(&again, text, strlen(text), NULL, 0, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the canonical form does not parse: %s\n  canonical: %s", err, text);
    char *text2 = cJSON_PrintUnformatted(again.json);
    FUZZ_CHECK(text2 != NULL, "out of memory printing the canonical form");
    FUZZ_CHECK(strcmp(text, text2) == 0, "the canonical form changes when read again:\n  %s\n  %s",
               text, text2);
    free(text2);
    fl_scenario_close(&again);
    return text;
}

#endif /* FL_TESTS_FUZZ_CANON_H */
