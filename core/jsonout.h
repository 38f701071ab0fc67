/*
 * jsonout.h -- printing cJSON trees as compact JSON text, fast.
 *
 * State snapshots are printed after every step of a recorded run, and they are mostly
 * integers; cJSON prints every number through printf("%1.15g") and reads it back with
 * sscanf to check the round trip, which dominated recording.  This printer writes
 * integral numbers with a plain digit loop and everything else as cJSON would.  The
 * output is deterministic: object keys in their insertion order.
 */
#ifndef FL_CORE_JSONOUT_H
#define FL_CORE_JSONOUT_H

#include <cjson/cJSON.h>

/* The compact text of j, malloc'd (caller frees with free()), or NULL when out of
 * memory. */
char *fl_json_print(const cJSON *j);

/* One top-level member of a printed object: its key starts at `key` (the opening quote)
 * and its value is the `val_len` bytes at `val`. */
typedef struct fl_json_member {
    size_t key, val, val_len;
} fl_json_member;

/* Print object obj like fl_json_print, into *buf (grown with realloc; *cap is its size),
 * and its top-level members into *mem (grown likewise, *memcap entries; *nmem of them
 * are filled).  The buffers are the caller's, reused across calls so that printing a
 * state at every step allocates nothing in steady state.  Returns the text's length,
 * or -1 when out of memory. */
long fl_json_print_members(const cJSON *obj, char **buf, size_t *cap, fl_json_member **mem,
                           size_t *nmem, size_t *memcap);

/* Print one value like fl_json_print, into *buf (grown with realloc; *cap is its size):
 * the text's length, or -1 when out of memory. */
long fl_json_print_into(const cJSON *v, char **buf, size_t *cap);

/* A short rendering of a JSON value for error messages ("7", "\"abc\"", "[1,2]"),
 * cut with "..." to fit cap; "nothing" for NULL.  Returns buf. */
const char *fl_json_brief(const cJSON *v, char *buf, size_t cap);

#endif /* FL_CORE_JSONOUT_H */
