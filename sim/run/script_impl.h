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
    A_SYNC,  /* complete a node's oldest held sync */
    A_SYNCS, /* "hold" or "immediate": how later syncs complete (no step) */
    A_COUNT
};
extern const char *const fl_script_action_names[A_COUNT];

/* The action of a validated entry (enum action). */
int fl_script_entry_action(const cJSON *e);

#endif /* FL_SIM_RUN_SCRIPT_IMPL_H */
