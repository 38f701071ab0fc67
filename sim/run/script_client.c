/*
 * script_client.c -- client operations in scripts (see script.h):
 *
 *   {"client": 1, "process": 0, "f": "write", "value": 3}   register: read, write, cas
 *   {"client": 2, "process": 1, "f": "append", "key": "x", "value": "a"}   kv: get, put, append
 *   {"expect": {"reply": {"process": 0, "type": "ok", "value": 3}}}
 *
 * A client entry invokes the operation at the node now (the request arrives in the same
 * step); an expect of a reply checks the process's latest completion: its type, f, key,
 * and value -- the result for an ok read or get, else the invocation's value.
 */
#include <stdio.h>
#include <string.h>

#include "core/jsonout.h"
#include "sim/run/script_impl.h"

static const char *const f_names[] = {"read", "write", "cas", "get", "put", "append"};

static int f_index(const cJSON *v)
{
    for (int i = 0; cJSON_IsString(v) && i < 6; i++)
        if (strcmp(v->valuestring, f_names[i]) == 0)
            return i + FL_CLIENT_READ;
    return 0;
}

static int is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble == (double)(int64_t)v->valuedouble &&
           v->valuedouble >= -9007199254740992.0 && v->valuedouble <= 9007199254740992.0;
}

static int is_process(const cJSON *v)
{
    return is_int(v) && v->valuedouble >= 0 && v->valuedouble <= 2147483647.0;
}

int fl_script_check_client_op(const cJSON *e, char *field, size_t fcap, char *msg, size_t cap)
{
    char buf[64];
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "process");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "f");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
    int fi = f_index(f), kv = fi >= FL_CLIENT_GET;
    snprintf(field, fcap, "%s",
             !is_process(p) ? "process"
             : !fi          ? "f"
             : k && !kv     ? "key"
                            : "value");
    if (!is_process(p))
        snprintf(msg, cap, "expected a process number in [0, 2147483647], got %s",
                 fl_json_brief(p, buf, sizeof buf));
    else if (!fi)
        snprintf(msg, cap, "expected read, write, cas, get, put or append, got %s",
                 fl_json_brief(f, buf, sizeof buf));
    else if (k && !kv)
        snprintf(msg, cap, "a register operation has no key");
    else if (kv && (!cJSON_IsString(k) || strlen(k->valuestring) > FL_CLIENT_KEY_MAX))
        snprintf(field, fcap, "key"),
            snprintf(msg, cap, "expected a string of at most %d bytes", FL_CLIENT_KEY_MAX);
    else if ((fi == FL_CLIENT_READ || fi == FL_CLIENT_GET) && v && !cJSON_IsNull(v))
        snprintf(msg, cap, "a %s has no value (or null)", f_names[fi - 1]);
    else if (fi == FL_CLIENT_WRITE && !is_int(v))
        snprintf(msg, cap, "expected an integer, got %s", fl_json_brief(v, buf, sizeof buf));
    else if (fi == FL_CLIENT_CAS &&
             !(cJSON_GetArraySize(v) == 2 && is_int(cJSON_GetArrayItem(v, 0)) &&
               is_int(cJSON_GetArrayItem(v, 1))))
        snprintf(msg, cap, "expected [expected, new], two integers, got %s",
                 fl_json_brief(v, buf, sizeof buf));
    else if ((fi == FL_CLIENT_PUT || fi == FL_CLIENT_APPEND) &&
             (!cJSON_IsString(v) || strlen(v->valuestring) > FL_CLIENT_VALUE_MAX))
        snprintf(msg, cap, "expected a string of at most %d bytes", FL_CLIENT_VALUE_MAX);
    else
        return 0;
    return -1;
}

void fl_script_client_op(const cJSON *e, int *process, fl_client_op *op)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
    memset(op, 0, sizeof *op);
    *process = (int)cJSON_GetObjectItemCaseSensitive(e, "process")->valuedouble;
    op->f = f_index(cJSON_GetObjectItemCaseSensitive(e, "f"));
    if (op->f == FL_CLIENT_WRITE)
        op->a = (int64_t)v->valuedouble;
    if (op->f == FL_CLIENT_CAS) {
        op->a = (int64_t)cJSON_GetArrayItem(v, 0)->valuedouble;
        op->b = (int64_t)cJSON_GetArrayItem(v, 1)->valuedouble;
    }
    if (k) {
        op->key = k->valuestring;
        op->key_len = strlen(k->valuestring);
    }
    if (op->f == FL_CLIENT_PUT || op->f == FL_CLIENT_APPEND) {
        op->value = v->valuestring;
        op->value_len = strlen(v->valuestring);
    }
}

int fl_script_check_reply(const cJSON *x, char *msg, size_t cap)
{
    char buf[64];
    static const char *const keys[] = {"process", "type", "f", "key", "value"};
    if (!cJSON_IsObject(x) || !is_process(cJSON_GetObjectItemCaseSensitive(x, "process"))) {
        snprintf(msg, cap, "expected an object such as {\"process\": 0, \"type\": \"ok\"}, got %s",
                 fl_json_brief(x, buf, sizeof buf));
        return -1;
    }
    for (const cJSON *k = x->child; k; k = k->next) {
        int known = 0;
        for (int i = 0; i < 5; i++)
            known |= strcmp(k->string, keys[i]) == 0;
        if (!known) {
            snprintf(msg, cap, "unknown key \"%.40s\" (expected process, type, f, key, value)",
                     k->string);
            return -1;
        }
    }
    return 0;
}

int fl_script_match_reply(const fl_rec_client *got, const cJSON *want, char *msg, size_t cap)
{
    char w[128], h[160];
    const char *value = got->result ? got->result : got->value;
    cJSON *gv = cJSON_Parse(value);
    int rc = 0;
    for (const cJSON *k = want->child; k && rc == 0; k = k->next) {
        const char *have = NULL;
        int same = 1;
        if (strcmp(k->string, "type") == 0)
            have = fl_client_event_name(got->type);
        else if (strcmp(k->string, "f") == 0)
            have = got->f;
        else if (strcmp(k->string, "key") == 0)
            have = got->key ? got->key : "";
        if (have)
            same = cJSON_IsString(k) && strcmp(k->valuestring, have) == 0;
        else if (strcmp(k->string, "value") == 0)
            same = gv && cJSON_Compare(k, gv, 1);
        if (same)
            continue;
        fl_json_brief(k, w, sizeof w);
        snprintf(h, sizeof h, "%s", have ? have : value);
        snprintf(msg, cap, "expect reply of process %d %s: expected %s, got %s (op %llu)",
                 got->process, k->string, w, h, (unsigned long long)got->op_id);
        rc = -1;
    }
    cJSON_Delete(gv);
    return rc;
}
