/* statediff.c -- a state as a change against the previous one (see statediff.h). */
#include "core/statediff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

/* The mark of a versioned text: a bit of cJSON's type that cJSON itself never uses
 * (its own types are the low byte, then IsReference and StringIsConst); cJSON_IsRaw
 * still holds, and cJSON prints, copies and frees the item as any raw reference. */
#define SNAPSHOT_VERSIONED (1 << 12)

cJSON *fl_snapshot_text(const char *text, uint64_t version)
{
    FL_ASSERT(text != NULL && version < (UINT64_C(1) << 53)); /* exact in valuedouble */
    cJSON *j = cJSON_CreateNull();
    if (!j)
        return NULL;
    j->type = cJSON_Raw | cJSON_IsReference | SNAPSHOT_VERSIONED;
    j->valuestring = (char *)text;
    j->valuedouble = (double)version;
    return j;
}

int fl_snapshot_text_version(const cJSON *item, uint64_t *version)
{
    if (!cJSON_IsRaw(item) || !(item->type & SNAPSHOT_VERSIONED))
        return 0;
    *version = (uint64_t)item->valuedouble;
    return 1;
}

typedef struct sbuf {
    char **p;
    size_t *cap;
    size_t len;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > *b->cap) {
        size_t ncap = *b->cap ? *b->cap * 2 : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *q = realloc(*b->p, ncap);
        if (!q) {
            b->oom = 1;
            return;
        }
        *b->p = q;
        *b->cap = ncap;
    }
    memcpy(*b->p + b->len, s, n);
    b->len += n;
    (*b->p)[b->len] = '\0';
}

/* Decimal digits by hand: four numbers per edit, and snprintf was a tenth of what
 * computing a recorded run's changes cost. */
static void sb_u64(sbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_put(b, tmp + i, sizeof tmp - i);
}

/* n bytes of JSON text as a JSON string: the escapes fl_json_print uses, so that a
 * reader's unescaping gives the bytes back exactly. */
static void sb_escaped(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_put(b, s + run, i - run);
        static const char hex[] = "0123456789abcdef";
        char esc[6] = {'\\', (char)c};
        size_t elen = 2;
        if (c != '"' && c != '\\') { /* a control character: \u00XX */
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        sb_put(b, esc, elen);
        run = i + 1;
    }
    sb_put(b, s + run, n - run);
    sb_put(b, "\"", 1);
}

static int is_part(const fl_statediff_text *t, size_t i)
{
    char c = t->buf[t->mem[i].val];
    return c == '[' || c == '{';
}

/* What each member is known by besides its text (see fl_statediff_memo). */
static int memo_members(fl_statediff_text *t, const cJSON *snapshot)
{
    if (t->n > t->memocap) {
        fl_statediff_memo *m = realloc(t->memo, t->memcap * sizeof *m);
        if (!m)
            return -1;
        t->memo = m;
        t->memocap = t->memcap;
    }
    size_t i = 0;
    for (const cJSON *c = snapshot->child; c && i < t->n; c = c->next, i++) {
        fl_statediff_memo *m = &t->memo[i];
        *m = (fl_statediff_memo){0};
        if (cJSON_IsNumber(c)) {
            m->kind = FL_MEMO_NUMBER;
            m->num = c->valuedouble;
        } else if (fl_snapshot_text_version(c, &m->version)) {
            m->kind = FL_MEMO_VERSIONED;
        }
    }
    return 0;
}

static int print_state(fl_statediff_text *t, const cJSON *snapshot)
{
    long len = fl_json_print_members(snapshot, &t->buf, &t->cap, &t->mem, &t->n, &t->memcap);
    t->len = len < 0 ? 0 : (size_t)len;
    return len < 0 || memo_members(t, snapshot) != 0 ? -1 : 0;
}

/* Member i of cur is a versioned text whose version has not moved since old (both of
 * the running incarnation): the protocol vouches that its text is the same. */
static int same_version(const fl_statediff *d, const fl_statediff_text *old,
                        const fl_statediff_memo *m, size_t i)
{
    return d->versions_hold && old && i < old->n && m->kind == FL_MEMO_VERSIONED &&
           old->memo[i].kind == FL_MEMO_VERSIONED && old->memo[i].version == m->version;
}

/* Same keys in the same order, each an array/object in both or in neither. */
static int same_shape(const fl_statediff_text *a, const fl_statediff_text *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        size_t ka = a->mem[i].val - a->mem[i].key, kb = b->mem[i].val - b->mem[i].key;
        if (ka != kb || memcmp(a->buf + a->mem[i].key, b->buf + b->mem[i].key, ka) != 0 ||
            is_part(a, i) != is_part(b, i))
            return 0;
    }
    return 1;
}

static int build_scalars(fl_statediff *d, const fl_statediff_text *t)
{
    sbuf b = {&d->scalars, &d->scalars_cap, 0, 0};
    if (!t) {
        sb_put(&b, "null", 4);
        return b.oom ? -1 : 0;
    }
    sb_put(&b, "{", 1);
    int first = 1;
    for (size_t i = 0; i < t->n; i++) {
        if (is_part(t, i))
            continue;
        const fl_json_member *m = &t->mem[i];
        if (!first)
            sb_put(&b, ",", 1);
        first = 0;
        sb_put(&b, t->buf + m->key, m->val + m->val_len - m->key);
    }
    sb_put(&b, "}", 1);
    return b.oom ? -1 : 0;
}

/* Bytes at the start of a and b that are equal (at most n): memcmp over blocks first,
 * since a long log differs from its previous text only near its end. */
static size_t common_prefix(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    while (i + 4096 <= n && memcmp(a + i, b + i, 4096) == 0)
        i += 4096;
    while (i + 256 <= n && memcmp(a + i, b + i, 256) == 0)
        i += 256;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* Bytes at the ends of a (length alen) and b (blen) that are equal, at most n. */
static size_t common_suffix(const char *a, size_t alen, const char *b, size_t blen, size_t n)
{
    size_t i = 0;
    while (i + 256 <= n && memcmp(a + alen - i - 256, b + blen - i - 256, 256) == 0)
        i += 256;
    while (i < n && a[alen - 1 - i] == b[blen - 1 - i])
        i++;
    return i;
}

/* The edit of member i from old to cur ([pos,"key",head,tail,"text"]) into b, unless
 * the member did not change (returns 0 then, 1 otherwise); adds the bytes of text to
 * *bytes.  One pass over the member finds both. */
static int put_edit(const fl_statediff *d, sbuf *b, const fl_statediff_text *old,
                    const fl_statediff_text *cur, size_t i, uint64_t *bytes)
{
    if (same_version(d, old, &cur->memo[i], i))
        return 0;
    const fl_json_member *m = &cur->mem[i];
    const char *nv = cur->buf + m->val, *ov = old ? old->buf + old->mem[i].val : NULL;
    size_t nlen = m->val_len, olen = old ? old->mem[i].val_len : 0;
    size_t most = nlen < olen ? nlen : olen;
    size_t head = common_prefix(nv, ov, most);
    if (old && head == nlen && nlen == olen)
        return 0;
    while (head > 0 && head < nlen && ((unsigned char)nv[head] & 0xc0) == 0x80)
        head--; /* not inside a UTF-8 character: the text stays valid UTF-8 */
    size_t tail = common_suffix(nv, nlen, ov, olen, most - head);
    while (tail > 0 && ((unsigned char)nv[nlen - tail] & 0xc0) == 0x80)
        tail--;
    if (b->len > 1) /* after the array's opening bracket and an edit */
        sb_put(b, ",", 1);
    sb_put(b, "[", 1);
    sb_u64(b, i);
    sb_put(b, ",", 1);
    sb_put(b, cur->buf + m->key, m->val - m->key - 1); /* the quoted key, without ':' */
    sb_put(b, ",", 1);
    sb_u64(b, head);
    sb_put(b, ",", 1);
    sb_u64(b, tail);
    sb_put(b, ",", 1);
    sb_escaped(b, nv + head, nlen - head - tail);
    sb_put(b, "]", 1);
    *bytes += nlen - head - tail;
    return 1;
}

/* The edits of the members that changed (all of them for a keyframe: old NULL).
 * Returns the number of edits, or -1 when out of memory. */
static long build_parts(fl_statediff *d, const fl_statediff_text *old, const fl_statediff_text *cur,
                        uint64_t *bytes)
{
    sbuf b = {&d->parts, &d->parts_cap, 0, 0};
    long n = 0;
    sb_put(&b, "[", 1);
    for (size_t i = 0; i < cur->n; i++) {
        if (is_part(cur, i))
            n += put_edit(d, &b, old, cur, i, bytes);
    }
    sb_put(&b, "]", 1);
    return b.oom ? -1 : n;
}

/* The scalar members of two states of the same shape are equal. */
static int same_scalars(const fl_statediff_text *a, const fl_statediff_text *b)
{
    for (size_t i = 0; i < a->n; i++)
        if (!is_part(a, i) &&
            (a->mem[i].val_len != b->mem[i].val_len ||
             memcmp(a->buf + a->mem[i].val, b->buf + b->mem[i].val, a->mem[i].val_len) != 0))
            return 0;
    return 1;
}

static uint64_t part_bytes(const fl_statediff_text *t)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (is_part(t, i))
            n += t->mem[i].val_len;
    return n;
}

/* Whether snapshot prints exactly as old does, found without printing it: numbers by
 * value, versioned texts by version, other raw text (a long member) compared in place,
 * so that a step that changed nothing costs no copy of the state.  May say 0 for an
 * equal state (a key that needs escapes); never 1 for a different one. */
static int same_as(fl_statediff *d, fl_statediff_text *old, const cJSON *snapshot)
{
    size_t i = 0;
    for (const cJSON *c = snapshot->child; c; c = c->next, i++) {
        if (i >= old->n || !c->string)
            return 0;
        const fl_json_member *m = &old->mem[i];
        size_t klen = strlen(c->string);
        if (m->val - m->key != klen + 3 || memcmp(old->buf + m->key + 1, c->string, klen) != 0)
            return 0;
        fl_statediff_memo *o = &old->memo[i];
        if (cJSON_IsNumber(c) && o->kind == FL_MEMO_NUMBER) {
            if (c->valuedouble != o->num) /* NaN is never equal: 0, which is allowed */
                return 0;
            continue;
        }
        fl_statediff_memo now = {0};
        if (fl_snapshot_text_version(c, &now.version)) {
            now.kind = FL_MEMO_VERSIONED;
            if (same_version(d, old, &now, i))
                continue;
        }
        const char *ov = old->buf + m->val;
        if (cJSON_IsRaw(c)) {
            if (!c->valuestring || strncmp(c->valuestring, ov, m->val_len) != 0 ||
                c->valuestring[m->val_len] != '\0')
                return 0;
            if (now.kind == FL_MEMO_VERSIONED)
                *o = now; /* the same text: its new version vouches for it */
            continue;
        }
        long n = fl_json_print_into(c, &d->scratch, &d->scratch_cap);
        if (n < 0 || (size_t)n != m->val_len || memcmp(d->scratch, ov, m->val_len) != 0)
            return 0;
    }
    return i == old->n;
}

/* old and cur print the same: cur's versions vouch for old's texts too, so that a
 * version that moved without its text is compared once, not at every step. */
static void adopt_versions(fl_statediff_text *old, const fl_statediff_text *cur)
{
    for (size_t i = 0; i < old->n; i++)
        if (cur->memo[i].kind == FL_MEMO_VERSIONED)
            old->memo[i] = cur->memo[i];
}

/* The node went down: a "null" row.  Its last state is kept, so that when it comes
 * back (having recovered the same log from its disk, often) the change is against that
 * state, not a keyframe. */
static int went_down(fl_statediff *d, fl_state_change *out)
{
    if (d->have && d->down)
        return 0;
    if (build_scalars(d, NULL) != 0)
        return -1;
    *out = (fl_state_change){
        .json = "null", .scalars = d->scalars, .parts = NULL, .keyframe = !d->up_seen};
    d->have = 1;
    d->down = 1;
    d->versions_hold = 0; /* the next incarnation counts its own */
    return 1;
}

int fl_statediff_update(fl_statediff *d, const cJSON *snapshot, fl_state_change *out)
{
    if (!snapshot)
        return went_down(d, out);
    fl_statediff_text *old = &d->t[d->cur], *cur = &d->t[!d->cur];
    if (d->up_seen && !d->down && same_as(d, old, snapshot)) {
        d->versions_hold = 1; /* every versioned member matched its version or text */
        return 0;
    }
    if (print_state(cur, snapshot) != 0)
        return -1;
    uint64_t limit = part_bytes(cur);
    int shape = d->up_seen && same_shape(old, cur);
    int key =
        !shape || d->edits + 1 >= FL_STATEDIFF_MAX_EDITS ||
        d->edit_bytes >= (limit > FL_STATEDIFF_MIN_KEY_BYTES ? limit : FL_STATEDIFF_MIN_KEY_BYTES);
    uint64_t bytes = 0;
    long nparts = build_parts(d, shape ? old : NULL, cur, &bytes);
    if (nparts < 0)
        return -1;
    /* same_as may miss an equal state (a key that needs escapes): this finds it */
    if (shape && !d->down && nparts == 0 && same_scalars(old, cur)) {
        adopt_versions(old, cur);
        d->versions_hold = 1;
        return 0;
    }
    if (key && shape) /* a keyframe lists every part whole */
        nparts = build_parts(d, NULL, cur, &bytes);
    if (nparts < 0 || build_scalars(d, cur) != 0)
        return -1;
    d->edits = key ? 0 : d->edits + 1;
    d->edit_bytes = key ? 0 : d->edit_bytes + bytes;
    d->have = d->up_seen = d->versions_hold = 1;
    d->down = 0;
    d->cur = !d->cur;
    *out = (fl_state_change){.json = cur->buf,
                             .scalars = d->scalars,
                             .parts = nparts > 0 ? d->parts : NULL,
                             .keyframe = key};
    return 1;
}

void fl_statediff_booted(fl_statediff *d)
{
    d->versions_hold = 0;
}

void fl_statediff_close(fl_statediff *d)
{
    for (int i = 0; i < 2; i++) {
        free(d->t[i].buf);
        free(d->t[i].mem);
        free(d->t[i].memo);
    }
    free(d->scalars);
    free(d->parts);
    free(d->scratch);
    memset(d, 0, sizeof *d);
}
