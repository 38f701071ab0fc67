/*
 * statediff.h -- a node's state as a change against its previous state: what a STATE
 * record carries (record.h) and what `snapshots` stores (docs/sql.md).
 *
 * Recording every changed state whole made a 30 s Raft run 47 MB, 44 MB of it copies of
 * logs that had grown by one entry.  A change is stored instead:
 *
 * - `scalars`: the state's top-level members whose values are not arrays or objects,
 *   whole, as a JSON object in the snapshot's order ("null" for a node that is down), so
 *   that SQL reads them with json_extract and no reconstruction;
 * - `parts`: the array and object members that changed, as a JSON array of edits
 *   [pos, "key", head, tail, "text"]: the member at position pos (0-based, among all
 *   members) is now the first head bytes of its previous text, then text, then the
 *   last tail bytes of its previous text;
 * - `keyframe` (1): parts lists every array/object member whole (head = tail = 0).  A
 *   keyframe comes first, when the members' keys or kinds change, and when the edits
 *   since the last one add up to more bytes than the state's arrays and objects hold
 *   (at least 4 KiB) or to FL_STATEDIFF_MAX_EDITS changes: so keyframes cost at most
 *   about as much as the edits, and rebuilding any state reads one keyframe and a
 *   bounded number of edits.
 * - A node that goes down is a row with scalars "null" (a keyframe only if it is the
 *   node's first); the change when it is back up is against its last state before, as
 *   a restarted node usually recovers most of it from its disk.
 *
 * Everything is computed from the protocol's cJSON tree and byte comparisons of the
 * printed members: no JSON is parsed.  A step usually leaves the acting node's state
 * as it was, so the comparison with the last state is made without printing: numbers
 * by value, versioned texts (fl_snapshot_text, Raft's log) by version, only the rest
 * by text.  The whole text is kept too (json), for sinks that
 * print it.  Deterministic: the same states give the same changes.
 */
#ifndef FL_CORE_STATEDIFF_H
#define FL_CORE_STATEDIFF_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/jsonout.h"

#define FL_STATEDIFF_MAX_EDITS 1024
#define FL_STATEDIFF_MIN_KEY_BYTES 4096

/* What a member's text is known by without comparing it: a number's value (the same
 * value prints the same text), or a versioned text's version (fl_snapshot_text). */
typedef struct fl_statediff_memo {
    int kind; /* FL_MEMO_NUMBER, FL_MEMO_VERSIONED, or 0: only its text */
    double num;
    uint64_t version;
} fl_statediff_memo;
#define FL_MEMO_NUMBER 1
#define FL_MEMO_VERSIONED 2

/* The text of one printed state and its members (memo[i] for mem[i]). */
typedef struct fl_statediff_text {
    char *buf;
    size_t cap, len;
    fl_json_member *mem;
    size_t n, memcap;
    fl_statediff_memo *memo;
    size_t memocap;
} fl_statediff_text;

/* One node's memory: its last state, and the output buffers.  Zero-initialise; free
 * with fl_statediff_close. */
typedef struct fl_statediff {
    fl_statediff_text t[2];
    int cur;                    /* t[cur] is the last state the node had while up */
    int have;                   /* a state (or "null") was given */
    int up_seen;                /* t[cur] holds a state */
    int down;                   /* the last was "null" */
    int versions_hold;          /* t[cur]'s versions are the running incarnation's */
    uint64_t edit_bytes, edits; /* since the last keyframe */
    char *scalars, *parts, *scratch;
    size_t scalars_cap, parts_cap, scratch_cap;
} fl_statediff;

/* A change, valid until the next fl_statediff_update of the same node. */
typedef struct fl_state_change {
    const char *json;    /* the whole state text */
    const char *scalars; /* see above */
    const char *parts;   /* NULL: no array or object member changed */
    int keyframe;
} fl_state_change;

/* Compare snapshot (an object, or NULL for "null") with the node's last state.  Returns
 * 1 and fills *out when it changed, 0 when it did not, -1 when out of memory.  Borrows
 * snapshot. */
int fl_statediff_update(fl_statediff *d, const cJSON *snapshot, fl_state_change *out);
/* The node (re)started: its protocol counts versions from scratch, so the next state is
 * compared with the last one by text. */
void fl_statediff_booted(fl_statediff *d);
/* Whether item is a versioned text (fl_snapshot_text), and its version. */
int fl_snapshot_text_version(const cJSON *item, uint64_t *version);
void fl_statediff_close(fl_statediff *d);

#endif /* FL_CORE_STATEDIFF_H */
