/*
 * drive_auto.c -- the automatic driver (see driver.h): the fault schedule, the
 * per-message faults and the workload on the world's own timing.
 *
 * Swarm mode is applied here, once per run, to a copy of the scenario's fault
 * configuration; everything downstream (the nemesis, the network policy) takes the
 * configuration as it is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "faults/apply.h"
#include "faults/schedule.h"
#include "sim/run/clients.h"
#include "sim/run/driver.h"
#include "sim/run/workload.h"

typedef struct auto_driver {
    fl_faults_config cfg; /* the scenario's, after swarm mode adjusted it for this seed */
    fl_net_faults net;
    fl_schedule *sched;
    fl_faults *faults;
    fl_workload wl;
    fl_clients *clients; /* workload.model register or kv; else NULL */
    char *json;          /* the schedule, for runs.schedule_json */
} auto_driver;

static int auto_init(fl_driver *d, const fl_scenario *sc, fl_world *w, uint64_t seed,
                     const char *text, size_t len, char *err, size_t cap)
{
    auto_driver *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, cap, "run: out of memory");
        return FL_ENOMEM;
    }
    d->impl = a;
    a->cfg = sc->faults;
    a->net = sc->net;
    fl_faults_swarm(&a->cfg, &a->net, seed);
    int rc;
    if (text)
        rc = fl_schedule_parse(text, len, sc->nodes, sc->until_ns, &a->sched, err, cap);
    else
        rc = fl_schedule_generate(&a->cfg, sc->nodes, seed, sc->until_ns, &a->sched, err, cap);
    if (rc)
        return rc;
    a->json = fl_schedule_to_text(a->sched);
    if (!a->json)
        return FL_ENOMEM;
    a->faults = fl_faults_attach(w, a->sched, &a->cfg, &a->net, err, cap);
    if (!a->faults)
        return FL_EINVAL;
    const uint64_t *ops;
    size_t nops;
    int has_ops = fl_schedule_ops(a->sched, &ops, &nops);
    if (sc->clients.model == FL_MODEL_NONE)
        return fl_workload_install(&a->wl, w, seed, sc->workload_every_ns, sc->workload_ops,
                                   has_ops ? ops : NULL, nops);
    if (has_ops) {
        snprintf(err, cap,
                 "schedule.ops: names ops of the plain workload (workload.every); "
                 "this scenario's workload is clients (workload.model)");
        return FL_EINVAL;
    }
    a->clients = fl_clients_new(sc, w, seed, 0, a->faults);
    if (!a->clients) {
        snprintf(err, cap, "run: out of memory");
        return FL_ENOMEM;
    }
    return 0;
}

static void auto_finish(fl_driver *d, fl_world *w, fl_run_result *res)
{
    auto_driver *a = d->impl;
    if (a->clients)
        fl_clients_finish(a->clients, w, res);
}

static void auto_run(fl_driver *d, fl_world *w)
{
    (void)d;
    fl_world_run(w);
}

static const char *auto_json(const fl_driver *d)
{
    return ((const auto_driver *)d->impl)->json;
}

static uint64_t auto_effective(const fl_driver *d)
{
    const auto_driver *a = d->impl;
    fl_faults_stats st;
    fl_faults_stats_get(a->faults, &st);
    uint64_t n = 0;
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++)
        n += st.effective[k];
    return n;
}

/* Append to buf, keeping it terminated; what does not fit is cut. */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t cap, size_t *off,
                                                      const char *fmt, ...)
{
    if (*off >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    *off += n < 0 ? 0 : (size_t)n;
}

/* One kind: what happened, and in parentheses whether it bit and what did nothing. */
static void kind_text(const fl_faults_stats *st, int k, char *buf, size_t cap, size_t *off)
{
    put(buf, cap, off, "%s%s %llu", *off ? ", " : "", fl_fault_kind_name(k),
        (unsigned long long)st->effective[k]);
    uint64_t bit = k == FL_FAULT_PARTITION ? st->cut_messages
                   : k == FL_FAULT_CRASH   ? st->lost_writes
                                           : 0;
    uint64_t idle = st->reached[k] - st->effective[k];
    if (!bit && !idle)
        return;
    put(buf, cap, off, " (");
    if (bit)
        put(buf, cap, off, "%llu %s", (unsigned long long)bit,
            k == FL_FAULT_CRASH ? "lost unsynced writes" : "cut messages");
    if (idle)
        put(buf, cap, off, "%s%llu without effect", bit ? ", " : "", (unsigned long long)idle);
    put(buf, cap, off, ")");
}

/* "partition 2 (2 cut messages), crash 5 (2 lost unsynced writes), restart 5,
 * timeout 13, not reached 37": counts of what happened, never of what was planned. */
static void auto_text(const fl_driver *d, char *buf, size_t cap)
{
    const auto_driver *a = d->impl;
    fl_faults_stats st;
    fl_faults_stats_get(a->faults, &st);
    size_t off = 0;
    uint64_t not_reached = 0;
    buf[0] = '\0';
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++) {
        not_reached += st.scheduled[k] - st.reached[k];
        if (st.reached[k])
            kind_text(&st, k, buf, cap, &off);
    }
    if (not_reached)
        put(buf, cap, &off, "%snot reached %llu", off ? ", " : "", (unsigned long long)not_reached);
}

static void emit_fault(void *ctx, const fl_faults_row *row)
{
    fl_record r = {.kind = FL_REC_FAULT};
    r.u.fault = (fl_rec_fault){.seq = row->seq,
                               .at_ns = row->at_ns,
                               .kind = row->kind,
                               .spec = row->spec,
                               .reached = row->reached,
                               .took_effect = row->took_effect};
    fl_stream_emit(ctx, &r);
}

static void auto_emit_faults(const fl_driver *d, fl_stream *s)
{
    const auto_driver *a = d->impl;
    if (fl_stream_wants(s, FL_REC_FAULT))
        fl_faults_each(a->faults, emit_fault, s);
}

static void auto_close(fl_driver *d)
{
    auto_driver *a = d->impl;
    if (!a)
        return;
    fl_faults_free(a->faults);
    fl_clients_free(a->clients);
    fl_schedule_free(a->sched);
    free(a->json);
    free(a);
    d->impl = NULL;
}

const fl_driver_ops fl_driver_automatic = {.name = "automatic",
                                           .init = auto_init,
                                           .run = auto_run,
                                           .schedule_json = auto_json,
                                           .faults_effective = auto_effective,
                                           .faults_text = auto_text,
                                           .emit_faults = auto_emit_faults,
                                           .close = auto_close,
                                           .finish = auto_finish};
