/*
 * state.c -- rebuilding a node's whole state from its changes (see state.h).
 *
 * A node's rebuilt state is its list of top-level members, each a key and a value text;
 * `part` marks the arrays and objects, which rows carry as edits.  A keyframe row gives
 * every member: its `state` object the scalars in order, its `parts` the arrays and
 * objects at their positions.  Any other row gives the scalars again (whole) and edits
 * [pos, "key", head, tail, "text"] of the parts that changed.  Row texts are split with a
 * small scanner, not parsed, so that the bytes come back exactly as they were printed.
 */
#include "results/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/jsonout.h"

/* Scalar members a row may have: a bound on the reader's work per row. */
#define MAX_SCALARS 4096

typedef struct member {
    char *key; /* the quoted key, as printed */
    size_t key_len;
    char *val;
    size_t len, cap;
    int part; /* an array or object: rows carry it as edits */
} member;

typedef struct nstate {
    int node;
    int valid;    /* the state after row `step` is rebuilt */
    int64_t step; /* that row's step */
    int null;
    int base; /* m holds the node's last state while up (a change applies to it) */
    member *m;
    size_t n, cap;
} nstate;

typedef struct nset {
    nstate *s;
    size_t n;
} nset;

struct fl_state_reader {
    fl_db *db;
    int64_t run;
    int v3;               /* the file has parts and keyframe columns */
    nset at, walk;        /* rebuilt states for fl_state_at and for fl_state_next */
    fl_db_cursor *cursor; /* fl_state_next's rows */
    int *nodes;
    size_t nnodes;
    char *out;
    size_t out_cap;
    struct slice *sc; /* room for splitting a row's scalars */
};

/* ---- splitting printed JSON ---- */

static const char *skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p == '"' ? p + 1 : NULL;
}

/* Past one JSON value starting at p, or NULL when the text ends first. */
static const char *skip_value(const char *p)
{
    if (*p == '"')
        return skip_string(p);
    if (*p != '[' && *p != '{') {
        while (*p && *p != ',' && *p != '}' && *p != ']')
            p++;
        return p;
    }
    int depth = 0;
    do {
        if (*p == '"') {
            if (!(p = skip_string(p)))
                return NULL;
            continue;
        }
        if (*p == '[' || *p == '{')
            depth++;
        else if (*p == ']' || *p == '}')
            depth--;
        else if (!*p)
            return NULL;
        p++;
    } while (depth > 0);
    return p;
}

typedef struct slice {
    const char *key, *val;
    size_t key_len, val_len;
} slice;

/* The members of object text s into out (at most max); returns their count or -1. */
static long split_object(const char *s, slice *out, size_t max)
{
    const char *p = s;
    long n = 0;
    if (*p++ != '{')
        return -1;
    while (*p == '"' && (size_t)n < max) {
        const char *k = p, *v;
        if (!(p = skip_string(p)) || *p != ':')
            return -1;
        v = p + 1;
        if (!(p = skip_value(v)) || p == v)
            return -1;
        out[n++] = (slice){k, v, (size_t)(v - 1 - k), (size_t)(p - v)};
        if (*p == ',')
            p++;
    }
    return *p == '}' && p[1] == '\0' ? n : -1;
}

/* ---- a node's members ---- */

static int set_text(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 64;
        while (ncap < n + 1)
            ncap *= 2;
        char *p = realloc(*buf, ncap);
        if (!p)
            return FL_ENOMEM;
        *buf = p;
        *cap = ncap;
    }
    memcpy(*buf, s, n);
    (*buf)[n] = '\0';
    *len = n;
    return 0;
}

static void clear_members(nstate *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->m[i].key);
        free(s->m[i].val);
    }
    s->n = 0;
}

static int set_member(member *m, const char *key, size_t key_len, const char *val, size_t len,
                      int part)
{
    size_t kcap = 0;
    m->part = part;
    if (set_text(&m->key, &m->key_len, &kcap, key, key_len))
        return FL_ENOMEM;
    return set_text(&m->val, &m->len, &m->cap, val, len);
}

/* Member pos = its first head bytes, text, its last tail bytes. */
static int apply_edit(member *m, size_t head, size_t tail, const char *text)
{
    size_t tlen = strlen(text), nlen = head + tlen + tail;
    if (head + tail > m->len)
        return FL_EPARSE;
    if (nlen + 1 > m->cap) {
        size_t ncap = m->cap ? m->cap : 64;
        while (ncap < nlen + 1)
            ncap *= 2;
        char *p = realloc(m->val, ncap);
        if (!p)
            return FL_ENOMEM;
        m->val = p;
        m->cap = ncap;
    }
    memmove(m->val + head + tlen, m->val + m->len - tail, tail);
    memcpy(m->val + head, text, tlen);
    m->len = nlen;
    m->val[nlen] = '\0';
    return 0;
}

/* key as the snapshot printed it (fl_json_print's escapes), malloc'd. */
static char *quoted(const char *key)
{
    cJSON *k = cJSON_CreateString(key);
    char *q = k ? fl_json_print(k) : NULL;
    cJSON_Delete(k);
    return q;
}

/* One edit [pos, "key", head, tail, "text"] as its parts. */
static int edit_fields(const cJSON *e, size_t *pos, const char **key, size_t *head, size_t *tail,
                       const char **text)
{
    const cJSON *f[5];
    for (int i = 0; i < 5; i++)
        f[i] = cJSON_GetArrayItem(e, i);
    if (cJSON_GetArraySize(e) != 5 || !cJSON_IsNumber(f[0]) || !cJSON_IsString(f[1]) ||
        !cJSON_IsNumber(f[2]) || !cJSON_IsNumber(f[3]) || !cJSON_IsString(f[4]) ||
        f[0]->valuedouble < 0 || f[2]->valuedouble < 0 || f[3]->valuedouble < 0)
        return FL_EPARSE;
    *pos = (size_t)f[0]->valuedouble;
    *key = f[1]->valuestring;
    *head = (size_t)f[2]->valuedouble;
    *tail = (size_t)f[3]->valuedouble;
    *text = f[4]->valuestring;
    return 0;
}

/* A keyframe's members: the scalars of sc in order, the parts at their positions. */
static int apply_keyframe(nstate *s, const slice *sc, long nsc, const cJSON *parts)
{
    size_t n = (size_t)nsc + (size_t)cJSON_GetArraySize(parts);
    clear_members(s);
    if (n > s->cap) {
        member *m = realloc(s->m, n * sizeof *m);
        if (!m)
            return FL_ENOMEM;
        s->m = m;
        s->cap = n;
    }
    memset(s->m, 0, n * sizeof *s->m);
    s->n = n;
    const cJSON *e;
    int rc = 0;
    cJSON_ArrayForEach(e, parts)
    {
        size_t pos, head, tail;
        const char *key, *text;
        if (rc || (rc = edit_fields(e, &pos, &key, &head, &tail, &text)))
            break;
        if (pos >= n || s->m[pos].part || head || tail)
            return FL_EPARSE;
        char *q = quoted(key);
        rc = q ? set_member(&s->m[pos], q, strlen(q), text, strlen(text), 1) : FL_ENOMEM;
        free(q);
    }
    size_t j = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (s->m[i].part)
            continue;
        if (j >= (size_t)nsc)
            return FL_EPARSE;
        rc = set_member(&s->m[i], sc[j].key, sc[j].key_len, sc[j].val, sc[j].val_len, 0);
        j++;
    }
    return rc == 0 && j != (size_t)nsc ? FL_EPARSE : rc;
}

/* A change: the scalars again, in the same places, and edits of the parts. */
static int apply_change(nstate *s, const slice *sc, long nsc, const cJSON *parts)
{
    size_t j = 0;
    int rc = 0;
    if (!s->valid || !s->base)
        return FL_EPARSE;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        if (s->m[i].part)
            continue;
        if (j >= (size_t)nsc || sc[j].key_len != s->m[i].key_len ||
            memcmp(sc[j].key, s->m[i].key, sc[j].key_len) != 0)
            return FL_EPARSE;
        rc = set_text(&s->m[i].val, &s->m[i].len, &s->m[i].cap, sc[j].val, sc[j].val_len);
        j++;
    }
    if (rc || j != (size_t)nsc)
        return rc ? rc : FL_EPARSE;
    const cJSON *e;
    cJSON_ArrayForEach(e, parts)
    {
        size_t pos, head, tail;
        const char *key, *text;
        if ((rc = edit_fields(e, &pos, &key, &head, &tail, &text)))
            return rc;
        char *q = pos < s->n && s->m[pos].part ? quoted(key) : NULL;
        int same = q && strlen(q) == s->m[pos].key_len && memcmp(q, s->m[pos].key, strlen(q)) == 0;
        free(q);
        if (!same)
            return FL_EPARSE;
        if ((rc = apply_edit(&s->m[pos], head, tail, text)))
            return rc;
    }
    return 0;
}

/* Apply one snapshots row to s; sc is room for MAX_SCALARS slices. */
static int apply_row(nstate *s, slice *sc, int64_t step, const char *state, const char *parts_text,
                     int keyframe)
{
    int rc = 0;
    if (state && strcmp(state, "null") == 0) {
        /* down: a keyframe forgets the members; otherwise they are the base of the
         * change when the node is back */
        if (keyframe) {
            clear_members(s);
            s->base = 0;
        } else if (!s->valid) {
            rc = FL_EPARSE;
        }
        s->null = 1;
    } else {
        long nsc = state ? split_object(state, sc, MAX_SCALARS) : -1;
        cJSON *parts = parts_text ? cJSON_Parse(parts_text) : cJSON_CreateArray();
        if (!parts)
            rc = FL_EPARSE;
        else if (nsc < 0 || !cJSON_IsArray(parts))
            rc = FL_EPARSE;
        else
            rc = keyframe ? apply_keyframe(s, sc, nsc, parts) : apply_change(s, sc, nsc, parts);
        cJSON_Delete(parts);
        s->null = 0;
        s->base = rc == 0;
    }
    s->valid = rc == 0;
    s->step = step;
    return rc;
}

/* s's whole text into the reader's buffer. */
static const char *render(fl_state_reader *r, const nstate *s)
{
    size_t n = 3;
    for (size_t i = 0; i < s->n; i++)
        n += s->m[i].key_len + s->m[i].len + 2;
    if (n + 5 > r->out_cap) {
        char *p = realloc(r->out, n + 5);
        if (!p)
            return NULL;
        r->out = p;
        r->out_cap = n + 5;
    }
    if (s->null)
        return strcpy(r->out, "null");
    char *o = r->out;
    *o++ = '{';
    for (size_t i = 0; i < s->n; i++) {
        if (i > 0)
            *o++ = ',';
        memcpy(o, s->m[i].key, s->m[i].key_len);
        o += s->m[i].key_len;
        *o++ = ':';
        memcpy(o, s->m[i].val, s->m[i].len);
        o += s->m[i].len;
    }
    *o++ = '}';
    *o = '\0';
    return r->out;
}

static nstate *node_state(nset *set, int node)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->s[i].node == node)
            return &set->s[i];
    nstate *p = realloc(set->s, (set->n + 1) * sizeof *p);
    if (!p)
        return NULL;
    set->s = p;
    memset(&p[set->n], 0, sizeof *p);
    p[set->n].node = node;
    return &p[set->n++];
}

static void free_set(nset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        clear_members(&set->s[i]);
        free(set->s[i].m);
    }
    free(set->s);
    memset(set, 0, sizeof *set);
}

/* ---- the queries ---- */

static int row_error(int rc, int64_t step, int node, char *err, size_t cap)
{
    if (rc == FL_EPARSE)
        snprintf(err, cap, "snapshots: the row of node %d at step %lld does not apply", node,
                 (long long)step);
    else if (rc == FL_ENOMEM)
        snprintf(err, cap, "snapshots: out of memory");
    return rc;
}

int fl_state_reader_open(fl_db *db, int64_t run_id, fl_state_reader **out, char *err, size_t cap)
{
    (void)err;
    (void)cap;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return FL_ENOMEM;
    (*out)->sc = malloc(MAX_SCALARS * sizeof *(*out)->sc);
    if (!(*out)->sc) {
        free(*out);
        *out = NULL;
        return FL_ENOMEM;
    }
    (*out)->db = db;
    (*out)->run = run_id;
    int64_t v = fl_db_opened_version(db);
    (*out)->v3 = v == 0 || v >= 3;
    return 0;
}

void fl_state_reader_close(fl_state_reader *r)
{
    if (!r)
        return;
    free_set(&r->at);
    free_set(&r->walk);
    fl_db_cursor_close(r->cursor);
    free(r->nodes);
    free(r->out);
    free(r->sc);
    free(r);
}

int fl_state_nodes(fl_state_reader *r, const int **nodes, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(
        r->db, "SELECT DISTINCT node FROM snapshots WHERE run_id = ?1 ORDER BY node", &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, r->run);
    r->nnodes = 0;
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        int *p = realloc(r->nodes, (r->nnodes + 1) * sizeof *p);
        if (!p) {
            rc = FL_ENOMEM;
            break;
        }
        r->nodes = p;
        r->nodes[r->nnodes++] = (int)fl_db_cursor_int(c, 0);
    }
    fl_db_cursor_close(c);
    *nodes = r->nodes;
    return rc < 0 ? rc : (int)r->nnodes;
}

/* Apply node's rows with from <= step <= to, in step order. */
static int apply_rows(fl_state_reader *r, nstate *s, int64_t from, int64_t to, char *err,
                      size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(r->db,
                               r->v3 ? "SELECT step, state, parts, keyframe FROM snapshots"
                                       " WHERE run_id = ?1 AND node = ?2 AND step BETWEEN ?3 AND ?4"
                                       " ORDER BY step"
                                     : "SELECT step, state, NULL, 1 FROM snapshots"
                                       " WHERE run_id = ?1 AND node = ?2 AND step BETWEEN ?3 AND ?4"
                                       " ORDER BY step",
                               &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, r->run);
    fl_db_cursor_bind_int(c, 2, s->node);
    fl_db_cursor_bind_int(c, 3, from);
    fl_db_cursor_bind_int(c, 4, to);
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        int64_t step = fl_db_cursor_int(c, 0);
        rc = apply_row(s, r->sc, step, fl_db_cursor_text(c, 1), fl_db_cursor_text(c, 2),
                       (int)fl_db_cursor_int(c, 3));
        if (rc) {
            row_error(rc, step, s->node, err, cap);
            break;
        }
    }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

/* The step of node's keyframe in force at step, or -1 when it has no row up to step. */
static int keyframe_at(fl_state_reader *r, int node, int64_t step, int64_t *key, char *err,
                       size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(r->db,
                               r->v3 ? "SELECT max(step) FROM snapshots WHERE run_id = ?1 AND"
                                       " node = ?2 AND step <= ?3 AND keyframe = 1"
                                     : "SELECT max(step) FROM snapshots WHERE run_id = ?1 AND"
                                       " node = ?2 AND step <= ?3",
                               &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, r->run);
    fl_db_cursor_bind_int(c, 2, node);
    fl_db_cursor_bind_int(c, 3, step);
    rc = fl_db_cursor_next(c, err, cap);
    *key = rc == 1 && fl_db_cursor_type(c, 0) != FL_DB_NULL ? fl_db_cursor_int(c, 0) : -1;
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

int fl_state_at(fl_state_reader *r, int node, int64_t step, const char **json, int64_t *since,
                char *err, size_t cap)
{
    nstate *s = node_state(&r->at, node);
    if (!s)
        return row_error(FL_ENOMEM, step, node, err, cap);
    int rc;
    if (s->valid && s->step <= step) {
        rc = apply_rows(r, s, s->step + 1, step, err, cap); /* onwards from where it is */
    } else {
        int64_t key;
        s->valid = 0;
        if ((rc = keyframe_at(r, node, step, &key, err, cap)) != 0)
            return rc;
        if (key < 0)
            return 0;
        rc = apply_rows(r, s, key, step, err, cap);
    }
    if (rc)
        return rc;
    *json = render(r, s);
    *since = s->step;
    return *json ? 1 : row_error(FL_ENOMEM, step, node, err, cap);
}

int fl_state_next(fl_state_reader *r, int64_t last, int64_t *step, int *node, const char **json,
                  char *err, size_t cap)
{
    int rc;
    if (!r->cursor) {
        rc = fl_db_cursor_open(r->db,
                               r->v3 ? "SELECT step, node, state, parts, keyframe FROM snapshots"
                                       " WHERE run_id = ?1 AND step <= ?2 ORDER BY step, node"
                                     : "SELECT step, node, state, NULL, 1 FROM snapshots"
                                       " WHERE run_id = ?1 AND step <= ?2 ORDER BY step, node",
                               &r->cursor, err, cap);
        if (rc)
            return rc;
        fl_db_cursor_bind_int(r->cursor, 1, r->run);
        fl_db_cursor_bind_int(r->cursor, 2, last);
    }
    rc = fl_db_cursor_next(r->cursor, err, cap);
    if (rc != 1)
        return rc;
    fl_db_cursor *c = r->cursor;
    *step = fl_db_cursor_int(c, 0);
    *node = (int)fl_db_cursor_int(c, 1);
    nstate *s = node_state(&r->walk, *node);
    rc = s ? apply_row(s, r->sc, *step, fl_db_cursor_text(c, 2), fl_db_cursor_text(c, 3),
                       (int)fl_db_cursor_int(c, 4))
           : FL_ENOMEM;
    if (rc)
        return row_error(rc, *step, *node, err, cap);
    *json = render(r, s);
    return *json ? 1 : row_error(FL_ENOMEM, *step, *node, err, cap);
}
