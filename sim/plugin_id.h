/*
 * plugin_id.h -- a plugin's identity: its file name, the content hash of the .so, and
 * the name and content hash of each non-system shared library it loads.  Not its
 * path, which differs between the machines of a sharded sweep.
 *
 * The libraries are found without loading anything (the command's own process never
 * runs protocol code): the plugin's ELF dynamic section names them (DT_NEEDED), and each
 * is looked for where the dynamic loader looks first -- the object's DT_RPATH (when it
 * has no DT_RUNPATH), LD_LIBRARY_PATH, its DT_RUNPATH, with $ORIGIN -- recursively.  A
 * library found under /lib or /usr/lib, or not found there at all (the loader's cache and
 * default directories: the system's), is not part of the identity.
 */
#ifndef FL_SIM_PLUGIN_ID_H
#define FL_SIM_PLUGIN_ID_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define FL_PLUGIN_MAX_LIBS 64

/* The identity of the plugin at path as a new JSON object {"name", "hash"[, "libs":
 * [{"name", "hash"}...]]} ("libs" only when there are any, so that the identity of a
 * plugin without such libraries is what it always was).  NULL with a message in err
 * when path (or a library found for it) cannot be read. */
cJSON *fl_plugin_identity(const char *path, char *err, size_t cap);

/* Nonzero when two identities (as above; other members such as a schema-1 "path" are
 * ignored) name the same plugin. */
int fl_plugin_identity_same(const cJSON *a, const cJSON *b);

/* What differs from the recorded identity, into buf: "libhelper.so hash 4567...
 * (recorded 0123...)", "libnew.so hash ... (new)", "libold.so (gone)", "liba.so instead
 * of libb.so". */
void fl_plugin_identity_diff(const cJSON *was, const cJSON *now, char *buf, size_t cap);

#endif /* FL_SIM_PLUGIN_ID_H */
