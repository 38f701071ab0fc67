/*
 * load.h -- what every command that runs a scenario does first: read and validate the
 * scenario (with --set overrides), find the protocol (built-in, or a plugin given with
 * --protocol), let it validate its params, and open the database.
 */
#ifndef FL_SIM_LOAD_H
#define FL_SIM_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "sim/run/scenario.h"
#include "storage/db.h"

#define FL_LOAD_MAX_SETS 64

typedef struct fl_load_opts {
    const char *scenario_path; /* NULL: the default scenario */
    const char *plugin_path;   /* --protocol, or NULL */
    /* run, sweep, replay: a plugin is not loaded here but in the worker that runs it
     * (sim/worker.c), so protocol code never runs in the command's own process; its
     * name comes with the worker's hello (fl_loaded.proto_name) */
    int defer_plugin;
    const char *sets[FL_LOAD_MAX_SETS];
    size_t nsets;
} fl_load_opts;

typedef struct fl_loaded {
    fl_scenario sc;
    int have_sc;
    const struct fl_protocol *proto; /* NULL for a deferred plugin */
    char proto_name[128];            /* the protocol's name ("" until a deferred plugin's
                                      * worker said it) */
    void *plugin;                    /* dlopen handle, or NULL */
    char *identity_json;             /* the scenario as stored: canonical JSON + plugin identity */
    char plugin_abs[4096];           /* the plugin's absolute path, or "" (scenarios.plugin_path) */
    fl_db *db;
    char *schedule_text;
    size_t schedule_len;
} fl_loaded;

/* Remember one --set; prints the error itself and returns nonzero when full. */
int fl_load_add_set(fl_load_opts *o, const char *set);
/* Fill *L (zeroed first; release with fl_load_close even on failure). */
int fl_load(const fl_load_opts *o, fl_loaded *L, char *err, size_t cap);
/* The same from a scenario as stored in a database (scenarios.json): a plugin named
 * there is loaded from plugin_path (scenarios.plugin_path), or, in a file of schema 1,
 * from the path inside the JSON. */
int fl_load_stored(const char *identity_json, const char *plugin_path, fl_loaded *L, char *err,
                   size_t cap);
/* Read a whole file (at most 64 MiB) into a NUL-terminated malloc'd buffer. */
int fl_load_file(const char *path, char **text, size_t *len, char *err, size_t cap);
/* Open (creating if needed) the database and register the scenario. */
int fl_load_open_db(fl_loaded *L, const char *path, int64_t *scenario_id, char *err, size_t cap);
void fl_load_close(fl_loaded *L);
/* A fault the scenario asks for but can never produce (a ring partition on 3 nodes),
 * as one warning line on stderr; nothing for a scripted scenario. */
void fl_load_warn_unproducible(const fl_loaded *L);

#endif /* FL_SIM_LOAD_H */
