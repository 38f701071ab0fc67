/* registry.c -- built-in protocols and plugin loading (see registry.h). */
#include "sim/protocols/registry.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct fl_protocol fl_proto_echo;
extern const struct fl_protocol fl_proto_raft;
#ifdef FL_HAVE_CANONICAL_RAFT
extern const struct fl_protocol fl_proto_canonical_raft; /* when libraft was found */
#endif

/* In name order, so that `faultline protocols` lists them alphabetically. */
static const struct fl_protocol *const builtins[] = {
#ifdef FL_HAVE_CANONICAL_RAFT
    &fl_proto_canonical_raft,
#endif
    &fl_proto_echo, &fl_proto_raft};

const struct fl_protocol *fl_registry_find(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    return NULL;
}

const struct fl_protocol *fl_registry_at(size_t i)
{
    return i < sizeof builtins / sizeof builtins[0] ? builtins[i] : NULL;
}

/* A loaded plugin: its handle, and its protocol widened to this header's layout (the
 * members of versions after the plugin's are zero, that is NULL). */
typedef struct plugin {
    void *dl;
    struct fl_protocol proto;
} plugin;

static size_t protocol_size(int version)
{
    switch (version) {
    case 1:
        return FL_PROTOCOL_SIZE_V1;
    case 2:
        return FL_PROTOCOL_SIZE_V2;
    case 3:
        return FL_PROTOCOL_SIZE_V3;
    case 4:
        return FL_PROTOCOL_SIZE_V4;
    default:
        return 0;
    }
}

static plugin *widen(void *dl, const struct fl_protocol *p)
{
    plugin *pl = calloc(1, sizeof *pl);
    if (pl) {
        pl->dl = dl;
        /* copy only what the plugin's version has: reading further would read past
         * the plugin's object */
        memcpy(&pl->proto, p, protocol_size(p->api_version));
    }
    return pl;
}

const struct fl_protocol *fl_registry_load(const char *path, void **handle, char *err, size_t cap)
{
    /* dlopen searches the library path for a bare name; a plugin is a file. */
    char buf[4096];
    if (!strchr(path, '/')) {
        snprintf(buf, sizeof buf, "./%s", path);
        path = buf;
    }
    /* Never unmapped (RTLD_NODELETE): a plugin may have started a runtime or threads
     * (a Go library does) that cannot survive their code going away at dlclose. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        snprintf(err, cap, "--protocol: %s", dlerror());
        return NULL;
    }
    const struct fl_protocol *p = dlsym(h, "faultline_protocol");
    if (!p) {
        snprintf(err, cap,
                 "--protocol %s: no symbol faultline_protocol (export "
                 "`const struct fl_protocol faultline_protocol`)",
                 path);
        dlclose(h);
        return NULL;
    }
    if (protocol_size(p->api_version) == 0) {
        snprintf(err, cap, "--protocol %s: built for API version %d, this faultline loads 1..%d",
                 path, p->api_version, FL_API_VERSION);
        dlclose(h);
        return NULL;
    }
    if (!p->name || !p->start || !p->on_message || !p->on_timer) {
        snprintf(err, cap, "--protocol %s: needs name, start, on_message and on_timer", path);
        dlclose(h);
        return NULL;
    }
    plugin *pl = widen(h, p);
    if (!pl) {
        snprintf(err, cap, "--protocol %s: out of memory", path);
        dlclose(h);
        return NULL;
    }
    *handle = pl;
    return &pl->proto;
}

void fl_registry_unload(void *handle)
{
    plugin *pl = handle;
    if (!pl)
        return;
    dlclose(pl->dl);
    free(pl);
}

int fl_registry_process_init(const struct fl_protocol *p, char *err, size_t cap)
{
    char msg[400] = "";
    if (!p->process_init || p->process_init(msg, sizeof msg) == 0)
        return 0;
    snprintf(err, cap, "protocol %s: process_init failed: %s", p->name,
             msg[0] ? msg : "(no message)");
    return -1;
}

/* ---- protocols that are modules (etcd-raft) ----
 *
 * A protocol whose code brings a runtime (etcd's Raft is Go) is not linked into
 * faultline: it is a plugin built beside the executable, which the registry knows by
 * name.  Commands treat it as a plugin given with --protocol (loaded in the worker
 * that runs it, identified by its hash and its libraries'). */

#ifndef FL_ETCD_RAFT_WHY
#define FL_ETCD_RAFT_WHY "not configured"
#endif

typedef struct module {
    const char *name;
    const char *file; /* relative to the executable's directory; NULL: not built */
    const char *why;  /* what CMake found */
} module;

static const module modules[] = {
#ifdef FL_ETCD_RAFT_MODULE
    {"etcd-raft", FL_ETCD_RAFT_MODULE, FL_ETCD_RAFT_WHY},
#else
    {"etcd-raft", NULL, FL_ETCD_RAFT_WHY},
#endif
};

const char *fl_registry_module_at(size_t i)
{
    return i < sizeof modules / sizeof modules[0] ? modules[i].name : NULL;
}

int fl_registry_module(const char *name, char *path, size_t cap, char *err, size_t errcap)
{
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        const module *m = &modules[i];
        if (strcmp(m->name, name) != 0)
            continue;
        if (!m->file) {
            snprintf(err, errcap, "protocol: %s: not built in this faultline (%s)", name, m->why);
            return -1;
        }
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
        if (!slash) {
            snprintf(err, errcap, "protocol: %s: cannot find faultline's own directory", name);
            return -1;
        }
        *slash = '\0';
        snprintf(path, cap, "%s/%s", exe, m->file);
        if (access(path, R_OK) != 0) {
            snprintf(err, errcap, "protocol: %s: its module %s is missing (rebuild faultline)",
                     name, path);
            return -1;
        }
        return 1;
    }
    return 0;
}
