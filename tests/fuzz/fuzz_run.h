/*
 * fuzz_run.h -- the only place where the fuzz harnesses touch the run layer.
 *
 * The harnesses parse their input with the parsers' own APIs (sim/scenario.h,
 * faults/schedule.h, core/faultline.h) and hand whatever parsed to fuzz_run() for a
 * short run.  Everything about running -- finding the protocol, letting it check its
 * params, the run options, the trace -- is behind this one function, so that when the
 * run layer changes (sim/run/ drivers) only fuzz_run.c needs to follow.
 */
#ifndef FL_TESTS_FUZZ_RUN_H
#define FL_TESTS_FUZZ_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/run/scenario.h"

/* Run sc (already parsed and, by the caller, clamped to a short run) twice with seed:
 * once with the trace printed to /dev/null, once without.  text (may be NULL) is an
 * explicit schedule, or in scripted mode the script, exactly as `--schedule FILE`
 * gives it.  Both runs must end with the same outcome, step count and digest (a trace
 * only observes; a seed means one run): FUZZ_CHECK aborts otherwise.  Borrows
 * everything.  Returns the outcome (enum fl_outcome), or -1 when the run could not
 * start: an unknown protocol, params the protocol rejects, a schedule or script that
 * does not parse or validate -- all normal for fuzzed input. */
int fuzz_run(const fl_scenario *sc, const char *text, size_t len, uint64_t seed);

#endif /* FL_TESTS_FUZZ_RUN_H */
