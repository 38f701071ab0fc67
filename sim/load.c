/* load.c -- scenario, protocol and database set-up shared by the commands (load.h). */
#include "sim/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "faults/schedule.h"
#include "sim/cli.h"
#include "sim/plugin_id.h"
#include "sim/protocols/registry.h"

#define LOAD_MAX_FILE (64 << 20)

int fl_load_add_set(fl_load_opts *o, const char *set)
{
    if (o->nsets == FL_LOAD_MAX_SETS) {
        fl_cli_error("--set: at most %d overrides", FL_LOAD_MAX_SETS);
        return -1;
    }
    o->sets[o->nsets++] = set;
    return 0;
}

int fl_load_file(const char *path, char **text, size_t *len, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return FL_EINVAL;
    }
    char *buf = NULL;
    size_t n = 0, bcap = 0;
    int rc = 0;
    for (;;) {
        if (n + 65536 + 1 > bcap) {
            bcap = bcap ? bcap * 2 : 131072;
            char *nb = realloc(buf, bcap);
            if (!nb) {
                rc = FL_ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 65536, f);
        n += got;
        if (n > LOAD_MAX_FILE) {
            snprintf(err, cap, "%s: larger than %d MiB", path, LOAD_MAX_FILE >> 20);
            rc = FL_ELIMIT;
            break;
        }
        if (got < 65536)
            break;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, cap, "%s: %s", path, strerror(errno ? errno : EIO));
        rc = FL_EINVAL;
    }
    fclose(f);
    if (rc) {
        if (rc == FL_ENOMEM)
            snprintf(err, cap, "%s: out of memory", path);
        free(buf);
        return rc == FL_ELIMIT ? FL_EINVAL : rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* A plugin is identified by its file name and the hash of its bytes and of the
 * non-system libraries it loads (plugin_id.h), so that a rebuilt plugin does not resume a
 * sweep of the old one; not by its directory, which differs between the machines of a
 * sharded sweep (the path is kept beside the identity, in scenarios.plugin_path). */
static int plugin_identity(fl_loaded *L, const char *path, char *err, size_t cap)
{
    cJSON *pl = fl_plugin_identity(path, err, cap);
    if (!pl)
        return FL_EINVAL;
    cJSON *j = cJSON_Duplicate(L->sc.json, 1);
    if (!realpath(path, L->plugin_abs))
        snprintf(L->plugin_abs, sizeof L->plugin_abs, "%s", path);
    cJSON_AddItemToObject(j, "plugin", pl);
    cJSON_DeleteItemFromObject(j, "protocol"); /* the plugin says which */
    L->identity_json = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return 0;
}

static int find_protocol(const fl_load_opts *o, fl_loaded *L, char *err, size_t cap)
{
    if (o->plugin_path && o->defer_plugin) {
        if (access(o->plugin_path, R_OK) != 0) {
            snprintf(err, cap, "--protocol %s: %s", o->plugin_path, strerror(errno));
            return FL_EINVAL;
        }
        return plugin_identity(L, o->plugin_path, err, cap);
    }
    if (o->plugin_path) {
        L->proto = fl_registry_load(o->plugin_path, &L->plugin, err, cap);
        if (!L->proto)
            return FL_EINVAL;
        snprintf(L->proto_name, sizeof L->proto_name, "%s", L->proto->name);
        return plugin_identity(L, o->plugin_path, err, cap);
    }
    char module[4096];
    int is_module = fl_registry_module(L->sc.protocol, module, sizeof module, err, cap);
    if (is_module < 0)
        return FL_EINVAL;
    if (is_module) { /* a plugin that the registry knows by name */
        fl_load_opts mo = *o;
        mo.plugin_path = module;
        return find_protocol(&mo, L, err, cap);
    }
    L->proto = fl_registry_find(L->sc.protocol);
    if (!L->proto) {
        snprintf(err, cap,
                 "protocol: unknown protocol \"%s\" (built in: echo, raft, etcd-raft; or use "
                 "--protocol ./libmine.so)",
                 L->sc.protocol);
        return FL_EINVAL;
    }
    snprintf(L->proto_name, sizeof L->proto_name, "%s", L->proto->name);
    L->identity_json = cJSON_PrintUnformatted(L->sc.json);
    return 0;
}

/* process_init and configure, where the protocol is loaded here */
static int check_protocol(fl_loaded *L, const char *what, char *err, size_t cap)
{
    if (!L->proto)
        return 0; /* deferred: the worker does it and says why not */
    if (fl_registry_process_init(L->proto, err, cap))
        return FL_EINVAL;
    char perr[512] = "";
    if (L->proto->configure && L->proto->configure(L->sc.params, perr, sizeof perr)) {
        snprintf(err, cap, "%s: %s", what, perr[0] ? perr : "params: rejected by the protocol");
        return FL_EINVAL;
    }
    return 0;
}

int fl_load(const fl_load_opts *o, fl_loaded *L, char *err, size_t cap)
{
    memset(L, 0, sizeof *L);
    int rc = fl_scenario_load(&L->sc, o->scenario_path, o->sets, o->nsets, err, cap);
    if (rc)
        return rc;
    L->have_sc = 1;
    rc = find_protocol(o, L, err, cap);
    if (rc)
        return rc;
    const char *what = !o->scenario_path                    ? "scenario"
                       : strcmp(o->scenario_path, "-") == 0 ? "stdin"
                                                            : o->scenario_path;
    return check_protocol(L, what, err, cap);
}

int fl_load_stored(const char *identity_json, const char *plugin_path, fl_loaded *L, char *err,
                   size_t cap)
{
    memset(L, 0, sizeof *L);
    cJSON *j = cJSON_Parse(identity_json);
    if (!j) {
        snprintf(err, cap, "stored scenario: malformed JSON");
        return FL_EPARSE;
    }
    cJSON *plugin = cJSON_DetachItemFromObject(j, "plugin");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(plugin, "path");
    if (plugin)
        cJSON_DeleteItemFromObject(j, "protocol");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    int rc = fl_scenario_parse(&L->sc, text, strlen(text), NULL, 0, err, cap);
    free(text);
    if (rc == 0) {
        L->have_sc = 1;
        /* schema 1 kept the path inside the identity; schema 2 beside it */
        fl_load_opts o = {.plugin_path = plugin_path            ? plugin_path
                                         : cJSON_IsString(path) ? path->valuestring
                                                                : NULL,
                          .defer_plugin = 1};
        rc = find_protocol(&o, L, err, cap);
    }
    if (rc == 0)
        rc = check_protocol(L, "stored scenario", err, cap);
    cJSON_Delete(plugin);
    return rc;
}

int fl_load_open_db(fl_loaded *L, const char *path, int64_t *scenario_id, char *err, size_t cap)
{
    int rc = fl_db_open(&L->db, path, FL_DB_CREATE, err, cap);
    if (rc == 0)
        rc = fl_db_scenario_id(L->db, L->sc.name, L->identity_json, scenario_id, err, cap);
    if (rc == 0 && L->plugin_abs[0])
        rc = fl_db_scenario_plugin_path(L->db, *scenario_id, L->plugin_abs, err, cap);
    return rc;
}

void fl_load_close(fl_loaded *L)
{
    fl_db_close(L->db);
    if (L->have_sc)
        fl_scenario_close(&L->sc);
    free(L->identity_json);
    free(L->schedule_text);
    fl_registry_unload(L->plugin);
    memset(L, 0, sizeof *L);
}

void fl_load_warn_unproducible(const fl_loaded *L)
{
    char line[512];
    if (L->have_sc && !L->sc.scripted &&
        fl_faults_config_unproducible(&L->sc.faults, L->sc.nodes, line, sizeof line))
        fprintf(stderr, "faultline: warning: %s\n", line);
}
