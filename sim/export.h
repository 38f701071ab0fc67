/*
 * export.h -- `faultline export`'s formats for trace viewers, as sinks of a recorded
 * run's record stream (results/rec_stream.h).  docs/export.md describes what each
 * viewer is shown.
 *
 * Each sink writes to the FILE it borrows; the caller opens and closes it.  Init, give
 * the sink to fl_rec_stream, then _close (which frees what the sink kept; the output is
 * complete only if the stream returned 0).
 */
#ifndef FL_SIM_EXPORT_H
#define FL_SIM_EXPORT_H

#include <stdio.h>

#include "core/record.h"

/* Chrome trace-event JSON (Perfetto, chrome://tracing). */
typedef struct fl_perfetto fl_perfetto;
int fl_perfetto_new(FILE *out, fl_perfetto **p);
void fl_perfetto_sink(fl_perfetto *p, fl_sink *k);
void fl_perfetto_free(fl_perfetto *p); /* NULL ok */

/* A ShiViz log: its parsing regex, an empty delimiter line, then two lines per event. */
typedef struct fl_shiviz fl_shiviz;
int fl_shiviz_new(FILE *out, fl_shiviz **v);
void fl_shiviz_sink(fl_shiviz *v, fl_sink *k);
void fl_shiviz_free(fl_shiviz *v); /* NULL ok */

#endif /* FL_SIM_EXPORT_H */
