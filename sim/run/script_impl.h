/*
 * script_impl.h -- what the script's validator (script_check.c) and runner (script.c)
 * share.  sim/run/ internal.
 */
#ifndef FL_SIM_RUN_SCRIPT_IMPL_H
#define FL_SIM_RUN_SCRIPT_IMPL_H

#include <cjson/cJSON.h>

enum action {
    A_TIMEOUT,
    A_DELIVER,
    A_DROP,
    A_CRASH,
    A_RESTART,
    A_CLIENT,
    A_STABILIZE,
    A_EXPECT,
    A_SYNC,      /* complete a node's oldest held sync */
    A_SYNCS,     /* "hold" or "immediate": how later syncs complete (no step) */
    A_DUPLICATE, /* copy an in-flight message, as a duplicating network does */
    A_CLOCK,     /* set a node's clock drift, as a clock fault does */
    A_COUNT
};
extern const char *const fl_script_action_names[A_COUNT];

/* The action of a validated entry (enum action). */
int fl_script_entry_action(const cJSON *e);

/* ---- client operations (script_client.c) ---- */
#include "core/faultline.h"
#include "core/record.h"

/* A client entry with "f": 0, or -1 with the field and the message. */
int fl_script_check_client_op(const cJSON *e, char *field, size_t fcap, char *msg, size_t cap);
/* The operation of a validated entry (strings point into e). */
void fl_script_client_op(const cJSON *e, int *process, fl_client_op *op);
/* expect.reply: 0, or -1 with a message. */
int fl_script_check_reply(const cJSON *x, char *msg, size_t cap);
/* got against want's keys: 0, or -1 with "expect reply of process P f: expected X, got
 * Y" in msg. */
int fl_script_match_reply(const fl_rec_client *got, const cJSON *want, char *msg, size_t cap);

#endif /* FL_SIM_RUN_SCRIPT_IMPL_H */
