/*
 * export_shiviz.c -- a recorded run as a ShiViz log (see export.h and docs/export.md).
 *
 * ShiViz reads a file whose first line is the regular expression that parses it, whose
 * second line is the delimiter of several executions (empty: one), and then the log:
 * here two lines per event, the host and its vector clock, then what happened:
 *
 *   node2 {"node2":5,"node1":3}
 *   step 41 deliver: delivered MsgApp term=2 ... [recv 17] [send 19 20]
 *
 * Every step a node took is an event of that node (the steps no node took, partitions
 * and heals, are not: ShiViz needs a host).  The clocks are vector clocks computed from
 * the messages: a step counts one on its node's entry; a message carries the clock of
 * the step that sent it; a delivery takes the entrywise maximum of its node's clock and
 * the message's, so each delivery's clock dominates its send's.  `[recv M]` names the
 * message a step delivered and `[send M ...]` those it sent (ids of `messages`).
 */
#include "sim/export.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/world.h"

#define SHIVIZ_REGEX "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)"

struct fl_shiviz {
    FILE *out;
    int nodes;
    uint64_t *clock;  /* nodes x nodes: node n's clock at [(n - 1) * nodes + (m - 1)] */
    uint64_t *msg;    /* a sent message's clock, by msg_id: nodes entries each */
    size_t msg_cap;   /* message ids with room */
    fl_rec_step step; /* the step being read */
    char *detail;     /* its detail */
    char refs[4096];  /* its [recv ...] [send ...] */
    size_t refs_len;
    int sends; /* sends listed in refs */
};

int fl_shiviz_new(FILE *out, fl_shiviz **v)
{
    *v = calloc(1, sizeof **v);
    if (!*v)
        return FL_ENOMEM;
    (*v)->out = out;
    return 0;
}

void fl_shiviz_free(fl_shiviz *v)
{
    if (!v)
        return;
    free(v->clock);
    free(v->msg);
    free(v->detail);
    free(v);
}

static uint64_t *clock_of(fl_shiviz *v, int node)
{
    return &v->clock[(size_t)(node - 1) * (size_t)v->nodes];
}

static int on_begin(fl_shiviz *v, const fl_rec_run_begin *b)
{
    v->nodes = b->nodes > 0 ? b->nodes : 1;
    v->clock = calloc((size_t)v->nodes * (size_t)v->nodes, sizeof *v->clock);
    if (!v->clock)
        return FL_ENOMEM;
    return fprintf(v->out, "%s\n\n", SHIVIZ_REGEX) < 0 ? FL_EIO : 0;
}

static int valid_node(const fl_shiviz *v, int node)
{
    return node >= 1 && node <= v->nodes;
}

static int on_step_begin(fl_shiviz *v, const fl_rec_step *s)
{
    v->step = *s;
    v->refs_len = 0;
    v->refs[0] = '\0';
    v->sends = 0;
    free(v->detail);
    v->detail = strdup(s->detail ? s->detail : "");
    if (!v->detail)
        return FL_ENOMEM;
    if (valid_node(v, s->node))
        clock_of(v, s->node)[s->node - 1]++;
    return 0;
}

static void add_ref(fl_shiviz *v, const char *fmt, unsigned long long id)
{
    size_t room = sizeof v->refs - v->refs_len;
    int n = snprintf(v->refs + v->refs_len, room, fmt, id);
    if (n > 0 && (size_t)n < room)
        v->refs_len += (size_t)n;
}

/* Room for message id's clock. */
static int reserve_msg(fl_shiviz *v, uint64_t id)
{
    if (id < v->msg_cap)
        return 0;
    size_t ncap = v->msg_cap ? v->msg_cap : 1024;
    while (ncap <= id)
        ncap *= 2;
    uint64_t *p = realloc(v->msg, ncap * (size_t)v->nodes * sizeof *p);
    if (!p)
        return FL_ENOMEM;
    memset(p + v->msg_cap * (size_t)v->nodes, 0,
           (ncap - v->msg_cap) * (size_t)v->nodes * sizeof *p);
    v->msg = p;
    v->msg_cap = ncap;
    return 0;
}

/* A message carries its sender's clock as of the sending step. */
static int on_send(fl_shiviz *v, const fl_rec_msg *m)
{
    if (!valid_node(v, m->src) || reserve_msg(v, m->id) != 0)
        return valid_node(v, m->src) ? FL_ENOMEM : 0;
    memcpy(&v->msg[m->id * (size_t)v->nodes], clock_of(v, m->src),
           (size_t)v->nodes * sizeof(uint64_t));
    add_ref(v, v->sends++ ? " %llu" : " [send %llu", (unsigned long long)m->id);
    return 0;
}

static void on_fate(fl_shiviz *v, const fl_rec_msg *m)
{
    if (m->fate != FL_FATE_DELIVERED || !valid_node(v, m->dst) || m->id >= v->msg_cap)
        return;
    uint64_t *c = clock_of(v, m->dst), *sent = &v->msg[m->id * (size_t)v->nodes];
    for (int i = 0; i < v->nodes; i++)
        if (sent[i] > c[i])
            c[i] = sent[i];
    add_ref(v, " [recv %llu]", (unsigned long long)m->id);
}

/* One line, whatever the detail holds. */
static void put_one_line(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

static int on_step_end(fl_shiviz *v, const fl_rec_step *s)
{
    if (!valid_node(v, s->node))
        return 0;
    const uint64_t *c = clock_of(v, s->node);
    fprintf(v->out, "node%d {\"node%d\":%llu", s->node, s->node,
            (unsigned long long)c[s->node - 1]);
    for (int i = 0; i < v->nodes; i++)
        if (i != s->node - 1 && c[i] > 0)
            fprintf(v->out, ",\"node%d\":%llu", i + 1, (unsigned long long)c[i]);
    fprintf(v->out, "}\nstep %llu %s", (unsigned long long)s->step, fl_step_kind_name(s->kind));
    if (v->detail && v->detail[0]) {
        fputs(": ", v->out);
        put_one_line(v->out, v->detail);
    }
    fputs(v->refs, v->out);
    if (v->sends)
        fputc(']', v->out);
    return fputc('\n', v->out) == EOF ? FL_EIO : 0;
}

static int consume(void *ctx, const fl_record *r)
{
    fl_shiviz *v = ctx;
    switch (r->kind) {
    case FL_REC_RUN_BEGIN:
        return on_begin(v, &r->u.begin);
    case FL_REC_STEP_BEGIN:
        return on_step_begin(v, &r->u.step);
    case FL_REC_SEND:
        return on_send(v, &r->u.msg);
    case FL_REC_FATE:
        on_fate(v, &r->u.msg);
        return 0;
    case FL_REC_STEP_END:
        return on_step_end(v, &r->u.step);
    default:
        return 0;
    }
}

void fl_shiviz_sink(fl_shiviz *v, fl_sink *k)
{
    uint32_t wants = FL_REC_BIT(FL_REC_RUN_BEGIN) | FL_REC_BIT(FL_REC_STEP_BEGIN) |
                     FL_REC_BIT(FL_REC_SEND) | FL_REC_BIT(FL_REC_FATE) |
                     FL_REC_BIT(FL_REC_STEP_END);
    *k = (fl_sink){.name = "shiviz export", .wants = wants, .ctx = v, .consume = consume};
}
