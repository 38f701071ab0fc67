/*
 * registry.h -- the built-in protocols by name, and loading a plugin protocol from a
 * shared object that exports `faultline_protocol`.
 */
#ifndef FL_SIM_PROTOCOLS_REGISTRY_H
#define FL_SIM_PROTOCOLS_REGISTRY_H

#include <stddef.h>

#include "core/faultline.h"

/* The built-in protocol named `name`, or NULL. */
const struct fl_protocol *fl_registry_find(const char *name);
/* The i-th built-in protocol (in name order), or NULL past the end. */
const struct fl_protocol *fl_registry_at(size_t i);

/* Load a plugin of any API version from 1 to FL_API_VERSION.  On success returns the
 * protocol, widened to this header's layout, and stores a handle in *handle (close it
 * with fl_registry_unload after the last use: the protocol lives until then).  On failure returns
 * NULL with a one-line message in err. */
const struct fl_protocol *fl_registry_load(const char *path, void **handle, char *err, size_t cap);
void fl_registry_unload(void *handle);

/* Run the protocol's process_init (API version 2), once per process before its first
 * run.  Returns 0, or -1 with "protocol NAME: process_init failed: ..." in err. */
int fl_registry_process_init(const struct fl_protocol *p, char *err, size_t cap);

/* Protocols that are modules: built as plugins beside the executable and known by
 * name (etcd-raft).  fl_registry_module returns 1 with the module's path in path when
 * name is one and it is built, -1 with a one-line reason in err when it is one but not
 * built (or missing), and 0 when name is not a module. */
int fl_registry_module(const char *name, char *path, size_t cap, char *err, size_t errcap);
/* The i-th module's name, or NULL past the end. */
const char *fl_registry_module_at(size_t i);

#endif /* FL_SIM_PROTOCOLS_REGISTRY_H */
