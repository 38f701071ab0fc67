/* plugin_id.c -- a plugin's identity, libraries included (see plugin_id.h). */
#include "sim/plugin_id.h"

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "sim/load.h"

#define PLUGIN_PATH_MAX 4096

/* The libraries found so far: the plugin's closure, in the order they were found. */
typedef struct lib_set {
    char path[FL_PLUGIN_MAX_LIBS][PLUGIN_PATH_MAX];
    int n;
} lib_set;

/* The file offset of virtual address va, from the PT_LOAD headers; 0 if none. */
static uint64_t file_offset(const unsigned char *b, size_t len, const Elf64_Ehdr *eh, uint64_t va)
{
    for (int i = 0; i < eh->e_phnum; i++) {
        uint64_t off = eh->e_phoff + (uint64_t)i * eh->e_phentsize;
        if (off + sizeof(Elf64_Phdr) > len)
            return 0;
        Elf64_Phdr ph;
        memcpy(&ph, b + off, sizeof ph);
        if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_filesz)
            return va - ph.p_vaddr + ph.p_offset;
    }
    return 0;
}

/* The dynamic section's entries: strtab's file offset, and its DT_NEEDED, DT_RPATH,
 * DT_RUNPATH string offsets (needed[] up to FL_PLUGIN_MAX_LIBS). */
typedef struct dyn_info {
    uint64_t strtab, strsz;
    int64_t rpath, runpath; /* -1: none */
    uint64_t needed[FL_PLUGIN_MAX_LIBS];
    int nneeded;
} dyn_info;

static int read_dynamic(const unsigned char *b, size_t len, dyn_info *d)
{
    Elf64_Ehdr eh;
    *d = (dyn_info){.rpath = -1, .runpath = -1};
    if (len < sizeof eh || memcmp(b, ELFMAG, SELFMAG) != 0 || b[EI_CLASS] != ELFCLASS64)
        return -1; /* not a 64-bit ELF object: no libraries we can name */
    memcpy(&eh, b, sizeof eh);
    for (int i = 0; i < eh.e_phnum; i++) {
        uint64_t off = eh.e_phoff + (uint64_t)i * eh.e_phentsize;
        Elf64_Phdr ph;
        if (off + sizeof ph > len)
            return -1;
        memcpy(&ph, b + off, sizeof ph);
        if (ph.p_type != PT_DYNAMIC)
            continue;
        uint64_t strva = 0;
        for (uint64_t o = ph.p_offset;
             o + sizeof(Elf64_Dyn) <= ph.p_offset + ph.p_filesz && o + sizeof(Elf64_Dyn) <= len;
             o += sizeof(Elf64_Dyn)) {
            Elf64_Dyn dy;
            memcpy(&dy, b + o, sizeof dy);
            if (dy.d_tag == DT_NULL)
                break;
            if (dy.d_tag == DT_STRTAB)
                strva = dy.d_un.d_ptr;
            else if (dy.d_tag == DT_STRSZ)
                d->strsz = dy.d_un.d_val;
            else if (dy.d_tag == DT_RPATH)
                d->rpath = (int64_t)dy.d_un.d_val;
            else if (dy.d_tag == DT_RUNPATH)
                d->runpath = (int64_t)dy.d_un.d_val;
            else if (dy.d_tag == DT_NEEDED && d->nneeded < FL_PLUGIN_MAX_LIBS)
                d->needed[d->nneeded++] = dy.d_un.d_val;
        }
        d->strtab = file_offset(b, len, &eh, strva);
        return d->strtab && d->strtab + d->strsz <= len ? 0 : -1;
    }
    return -1; /* static: needs nothing */
}

static const char *dyn_string(const unsigned char *b, const dyn_info *d, int64_t off)
{
    if (off < 0 || (uint64_t)off >= d->strsz || !memchr(b + d->strtab + off, 0, d->strsz - off))
        return NULL;
    return (const char *)b + d->strtab + off;
}

static int is_system(const char *path)
{
    return strncmp(path, "/lib/", 5) == 0 || strncmp(path, "/usr/lib/", 9) == 0 ||
           strncmp(path, "/lib64/", 7) == 0 || strncmp(path, "/usr/lib64/", 11) == 0;
}

/* Look for name in the ':'-separated dirs ($ORIGIN = origin); 0 with the path in out. */
static int search_dirs(const char *dirs, const char *origin, const char *name, char *out)
{
    while (dirs && *dirs) {
        size_t n = strcspn(dirs, ":");
        char dir[PLUGIN_PATH_MAX];
        snprintf(dir, sizeof dir, "%.*s", (int)n, dirs);
        const char *tail = strncmp(dir, "$ORIGIN", 7) == 0     ? dir + 7
                           : strncmp(dir, "${ORIGIN}", 9) == 0 ? dir + 9
                                                               : NULL;
        int w = tail ? snprintf(out, PLUGIN_PATH_MAX, "%s%s/%s", origin, tail, name)
                     : snprintf(out, PLUGIN_PATH_MAX, "%s/%s", n ? dir : ".", name);
        if (w > 0 && w < PLUGIN_PATH_MAX && access(out, R_OK) == 0)
            return 0;
        dirs += n + (dirs[n] == ':');
    }
    return -1;
}

/* Where the loader finds name for the object at origin (its directory); -1: the
 * system's (the loader's cache and default directories), or nowhere. */
static int resolve(const char *name, const char *origin, const char *rpath, const char *runpath,
                   char *out)
{
    if (strchr(name, '/')) {
        snprintf(out, PLUGIN_PATH_MAX, "%s", name);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    if (!runpath && search_dirs(rpath, origin, name, out) == 0)
        return 0;
    if (search_dirs(getenv("LD_LIBRARY_PATH"), origin, name, out) == 0)
        return 0;
    return search_dirs(runpath, origin, name, out);
}

static void add_needed(lib_set *set, const char *path, const unsigned char *b, size_t len)
{
    dyn_info d;
    if (read_dynamic(b, len, &d))
        return;
    char origin[PLUGIN_PATH_MAX], found[PLUGIN_PATH_MAX], real[PLUGIN_PATH_MAX];
    snprintf(origin, sizeof origin, "%s", path);
    char *slash = strrchr(origin, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(origin, sizeof origin, ".");
    for (int i = 0; i < d.nneeded && set->n < FL_PLUGIN_MAX_LIBS; i++) {
        const char *name = dyn_string(b, &d, (int64_t)d.needed[i]);
        if (!name || resolve(name, origin, dyn_string(b, &d, d.rpath), dyn_string(b, &d, d.runpath),
                             found) != 0)
            continue;
        if (!realpath(found, real) || is_system(real))
            continue;
        int seen = 0;
        for (int k = 0; k < set->n; k++)
            seen |= strcmp(set->path[k], real) == 0;
        if (!seen)
            snprintf(set->path[set->n++], PLUGIN_PATH_MAX, "%s", real);
    }
}

static cJSON *file_entry(const char *path, lib_set *set, char *err, size_t cap)
{
    char *bytes;
    size_t len;
    if (fl_load_file(path, &bytes, &len, err, cap))
        return NULL;
    char hex[17];
    fl_digest_hex(fl_digest_bytes(FL_DIGEST_INIT, bytes, len), hex);
    add_needed(set, path, (const unsigned char *)bytes, len);
    free(bytes);
    cJSON *e = cJSON_CreateObject();
    const char *base = strrchr(path, '/');
    cJSON_AddStringToObject(e, "name", base ? base + 1 : path);
    cJSON_AddStringToObject(e, "hash", hex);
    return e;
}

cJSON *fl_plugin_identity(const char *path, char *err, size_t cap)
{
    lib_set *set = calloc(1, sizeof *set);
    if (!set) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    cJSON *id = file_entry(path, set, err, cap), *libs = cJSON_CreateArray();
    /* breadth first: a library's own libraries join the set as it is read */
    for (int i = 0; id && i < set->n; i++) {
        cJSON *e = file_entry(set->path[i], set, err, cap);
        if (!e) {
            cJSON_Delete(id);
            id = NULL;
            break;
        }
        cJSON_AddItemToArray(libs, e);
    }
    if (id && set->n)
        cJSON_AddItemToObject(id, "libs", libs);
    else
        cJSON_Delete(libs);
    free(set);
    return id;
}

static int same_member(const cJSON *a, const cJSON *b, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, key);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, key);
    return (!x && !y) || (x && y && cJSON_Compare(x, y, 1));
}

int fl_plugin_identity_same(const cJSON *a, const cJSON *b)
{
    return same_member(a, b, "name") && same_member(a, b, "hash") && same_member(a, b, "libs");
}

static const char *str_of(const cJSON *e, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    return cJSON_IsString(v) ? v->valuestring : "?";
}

static const cJSON *lib_named(const cJSON *id, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                              id, "libs")) if (strcmp(str_of(e, "name"), name) == 0) return e;
    return NULL;
}

static size_t put(char *buf, size_t cap, size_t n, const char *a, const char *b, const char *c)
{
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s", n ? ", " : "", a, b, c);
    return n;
}

/* One entry against its recorded self: "libx.so hash A (recorded B)". */
static size_t put_change(char *buf, size_t cap, size_t n, const cJSON *now, const cJSON *was)
{
    char t[160];
    if (!was) {
        snprintf(t, sizeof t, " hash %s", str_of(now, "hash"));
        return put(buf, cap, n, str_of(now, "name"), t, " (new)");
    }
    if (strcmp(str_of(now, "hash"), str_of(was, "hash")) == 0)
        return n;
    snprintf(t, sizeof t, " hash %s (recorded %s)", str_of(now, "hash"), str_of(was, "hash"));
    return put(buf, cap, n, str_of(now, "name"), t, "");
}

void fl_plugin_identity_diff(const cJSON *was, const cJSON *now, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    if (strcmp(str_of(now, "name"), str_of(was, "name")) != 0)
        n = put(buf, cap, n, str_of(now, "name"), " instead of ", str_of(was, "name"));
    n = put_change(buf, cap, n, now, was);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(now, "libs")) n =
        put_change(buf, cap, n, e, lib_named(was, str_of(e, "name")));
    cJSON_ArrayForEach(
        e, cJSON_GetObjectItemCaseSensitive(was, "libs")) if (!lib_named(now, str_of(e, "name")))
        n = put(buf, cap, n, str_of(e, "name"), "", " (gone)");
}
