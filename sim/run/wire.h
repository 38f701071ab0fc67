/*
 * wire.h -- the binary encoding of the record stream, for pipes between faultline
 * processes (a sweep worker's records to its parent).
 *
 * Each record is one frame: an 8-byte header {u8 version, u8 kind, u16 zero, u32
 * payload length} and its payload.  Integers are 64-bit in host byte order (both ends
 * of a pipe are the same machine and the same binary); strings are a u32 length and
 * that many bytes plus a NUL, so a decoded record points into the frame; NULL strings
 * have length UINT32_MAX.  A reader refuses a frame of another version or with fields
 * that run past its length, so a corrupt or foreign stream is an error, never a crash.
 * docs/pipeline.md documents the layout.
 */
#ifndef FL_SIM_RUN_WIRE_H
#define FL_SIM_RUN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/faultline.h"
#include "core/record.h"

#define FL_WIRE_VERSION 1
#define FL_WIRE_HEADER 8
#define FL_WIRE_MAX_FRAME (FL_MAX_MSG_BYTES + (1u << 16)) /* a message body plus its fields */

/* A growable byte buffer (caller storage; zero-initialise it, free with _close). */
typedef struct fl_wire_buf {
    uint8_t *p;
    size_t len, cap;
} fl_wire_buf;

/* Append r's frame to b.  Returns 0 or FL_ENOMEM. */
int fl_wire_put(fl_wire_buf *b, const fl_record *r);
void fl_wire_buf_close(fl_wire_buf *b);

/* What a decoded record may point at besides the frame: the run result. */
typedef struct fl_wire_scratch {
    fl_run_result res;
} fl_wire_scratch;

/* Decode the frame at p (len bytes available) into *r, whose pointers point into p or
 * into *sc.  Returns the frame's size, 0 when the frame is not complete yet, or
 * FL_EPARSE when it is malformed (bad version, kind or lengths). */
long fl_wire_get(const uint8_t *p, size_t len, fl_record *r, fl_wire_scratch *sc);

/* Decode every frame of p[0..len) and hand each record to k.  Returns 0, FL_EPARSE on
 * a malformed or truncated frame, or the sink's first error. */
int fl_wire_replay(const uint8_t *p, size_t len, const fl_sink *k);

#endif /* FL_SIM_RUN_WIRE_H */
