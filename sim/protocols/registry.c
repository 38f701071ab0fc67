/* registry.c -- built-in protocols and plugin loading (see registry.h). */
#include "sim/protocols/registry.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

extern const struct fl_protocol fl_proto_echo;
extern const struct fl_protocol fl_proto_raft;

/* In name order, so that `faultline protocols` lists them alphabetically. */
static const struct fl_protocol *const builtins[] = {&fl_proto_echo, &fl_proto_raft};

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

const struct fl_protocol *fl_registry_load(const char *path, void **handle, char *err, size_t cap)
{
    /* dlopen searches the library path for a bare name; a plugin is a file. */
    char buf[4096];
    if (!strchr(path, '/')) {
        snprintf(buf, sizeof buf, "./%s", path);
        path = buf;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
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
    if (p->api_version != FL_API_VERSION) {
        snprintf(err, cap, "--protocol %s: built for API version %d, this faultline has %d", path,
                 p->api_version, FL_API_VERSION);
        dlclose(h);
        return NULL;
    }
    if (!p->name || !p->start || !p->on_message || !p->on_timer) {
        snprintf(err, cap, "--protocol %s: needs name, start, on_message and on_timer", path);
        dlclose(h);
        return NULL;
    }
    *handle = h;
    return p;
}

void fl_registry_unload(void *handle)
{
    if (handle)
        dlclose(handle);
}
