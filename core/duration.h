/*
 * duration.h -- formatting durations; parsing is public (fl_parse_duration in
 * faultline.h) so that protocols read their params the way scenarios are read.
 */
#ifndef FL_CORE_DURATION_H
#define FL_CORE_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Format ns as the shortest exact duration string ("150ms", "1.5s", "0"), which
 * fl_parse_duration reads back as the same value. */
void fl_duration_format(int64_t ns, char *buf, size_t cap);

#endif /* FL_CORE_DURATION_H */
