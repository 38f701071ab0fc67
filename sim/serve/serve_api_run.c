/*
 * serve_api_run.c -- the API over one run: /api/run/N (summary, faults, findings,
 * related runs), /api/run/N/diagram (a window of steps for the space-time diagram),
 * /api/run/N/message/M, /api/run/N/state?step=S (every node's state, via the state
 * reader of results/state.h) and /api/run/N/history.
 *
 * The diagram is windowed: a request names a range of at most SERVE_WINDOW_MAX steps,
 * and gets that range's events, the messages sent or decided in it (at most
 * SERVE_MSG_CAP), and what was true at its start (who was down, which partition was up),
 * so that a page draws a few thousand elements whatever the run's length.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/state.h"
#include "sim/serve/serve_impl.h"

int api_run_exists(serve_req *q, int64_t id)
{
    sj_bind b = SJ_INT(id);
    int64_t n = 0;
    int rc = sj_int(q, "SELECT count(*) FROM runs WHERE id = ?1", &b, 1, 0, &n);
    if (rc != 0)
        return rc;
    return n > 0 ? SV_OK : sj_fail(q, SV_NOTFOUND, "no run %" PRId64, id);
}

/* A run's facts every view needs: steps, nodes, failing step.  0, or an HTTP status. */
typedef struct run_facts {
    int64_t steps, nodes, fail_step;
} run_facts;

static int run_facts_load(serve_req *q, run_facts *f)
{
    int rc = api_run_exists(q, q->id[0]);
    if (rc != SV_OK)
        return rc;
    sj_bind b = SJ_INT(q->id[0]);
    rc = sj_int(q, "SELECT steps FROM runs WHERE id = ?1", &b, 1, 0, &f->steps);
    if (rc == 0)
        rc = sj_int(q, "SELECT fail_step FROM runs WHERE id = ?1", &b, 1, -1, &f->fail_step);
    if (rc == 0)
        rc = sj_int(q,
                    "SELECT json_extract(s.json, '$.nodes') FROM runs AS r JOIN scenarios AS s"
                    " ON s.id = r.scenario_id WHERE r.id = ?1",
                    &b, 1, 0, &f->nodes);
    if (rc == 0 && (f->nodes < 0 || f->nodes > 1000))
        f->nodes = 0;
    return rc;
}

#define RUN_ROW                                                                                    \
    "SELECT r.id, r.sweep_id AS sweep, s.name AS scenario, json_extract(s.json, '$.protocol')"     \
    " AS protocol, json_extract(s.json, '$.nodes') AS nodes, r.seed, r.outcome,"                   \
    " r.check_name AS \"check\", r.detail, r.fail_step, r.fail_time_ns, r.steps, r.sim_time_ns,"   \
    " r.msgs_sent, r.msgs_delivered, r.msgs_dropped, r.faults, r.wall_us, r.digest, r.recorded,"   \
    " r.version, r.origin, r.parent_run, r.schedule_json, s.json AS scenario_json"                 \
    " FROM runs AS r JOIN scenarios AS s ON s.id = r.scenario_id WHERE r.id = ?1"

/* messages.copy exists from schema 3 on: before, no message is a known copy. */
static const char *copy_column(const serve_req *q)
{
    return q->s->schema >= 3 ? "copy" : "NULL";
}

int api_run(serve_req *q)
{
    /* The schedule's entries; the per-message faults (thousands in a long run) as counts. */
    const char *v3 =
        "SELECT seq, at_ns, kind, spec, reached, took_effect FROM faults"
        " WHERE run_id = ?1 AND kind NOT IN ('drop', 'duplicate', 'delay') ORDER BY seq";
    const char *v2 =
        "SELECT seq, at_ns, kind, spec, NULL AS reached, took_effect FROM faults"
        " WHERE run_id = ?1 AND kind NOT IN ('drop', 'duplicate', 'delay') ORDER BY seq";
    char counts[1024];
    snprintf(
        counts, sizeof counts,
        "SELECT (SELECT count(*) FROM events WHERE run_id = ?1) AS events, count(*) AS messages,"
        " coalesce(sum(fate = 'delivered'), 0) AS delivered,"
        " coalesce(sum(fate GLOB 'dropped:*'), 0) AS dropped,"
        " coalesce(sum(fate = 'in_flight'), 0) AS in_flight,"
        " coalesce(sum(%s > 0), 0) AS duplicates,"
        " (SELECT count(*) FROM logs WHERE run_id = ?1) AS logs"
        " FROM messages WHERE run_id = ?1",
        copy_column(q));
    const struct {
        const char *key, *sql;
        int mode;
    } parts[] = {
        {"run", RUN_ROW, SJ_ONE},
        {"counts", counts, SJ_ONE},
        {"fates",
         "SELECT fate, count(*) AS n FROM messages WHERE run_id = ?1 GROUP BY fate ORDER BY n DESC",
         SJ_OBJECTS},
        {"faults", q->s->schema >= 3 ? v3 : v2, SJ_OBJECTS},
        {"message_faults",
         "SELECT kind, count(*) AS n FROM faults WHERE run_id = ?1"
         " AND kind IN ('drop', 'duplicate', 'delay') GROUP BY kind ORDER BY kind",
         SJ_OBJECTS},
        {"metrics", "SELECT name, value FROM metrics WHERE run_id = ?1 ORDER BY name", SJ_OBJECTS},
        {"related",
         "SELECT id, origin, outcome, \"check\", steps, faults, parent_run, relation FROM ("
         " SELECT p.id, p.origin, p.outcome, p.check_name AS \"check\", p.steps, p.faults,"
         "  p.parent_run, 'parent' AS relation FROM runs AS p"
         "  WHERE p.id = (SELECT parent_run FROM runs WHERE id = ?1)"
         " UNION ALL SELECT c.id, c.origin, c.outcome, c.check_name, c.steps, c.faults,"
         "  c.parent_run, 'child' FROM runs AS c WHERE c.parent_run = ?1) ORDER BY id",
         SJ_OBJECTS},
    };
    int rc = api_run_exists(q, q->id[0]);
    if (rc != SV_OK)
        return rc;
    sj_bind b = SJ_INT(q->id[0]);
    evbuffer_add(q->out, "{", 1);
    rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof parts / sizeof parts[0]; i++) {
        evbuffer_add_printf(q->out, "%s\"%s\":", i > 0 ? "," : "", parts[i].key);
        rc = sj_rows(q, parts[i].mode, parts[i].sql, &b, 1, SERVE_ROW_CAP, NULL);
    }
    if (rc == 0 && q->s->schema >= 3) {
        evbuffer_add(q->out, ",\"history_ops\":", 15);
        rc = sj_rows(q, SJ_ONE, "SELECT count(*) AS n FROM history WHERE run_id = ?1", &b, 1, 1,
                     NULL);
    }
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}

/* The window [from, to] of steps, from the request or around the failing step. */
static int diagram_window(serve_req *q, const run_facts *f, int64_t *from, int64_t *to)
{
    int64_t last = f->steps > 0 ? f->steps - 1 : 0;
    int64_t def_from = 0;
    if (f->fail_step >= 0)
        def_from =
            f->fail_step > SERVE_WINDOW_DEFAULT - 50 ? f->fail_step - SERVE_WINDOW_DEFAULT + 50 : 0;
    int64_t t;
    int rc = sj_int_param(q, "t", 0, INT64_MAX, -1, &t);
    if (rc == 0 && t >= 0) { /* a time (the fault strip's links): the window around it */
        sj_bind b[2] = {SJ_INT(q->id[0]), SJ_INT(t)};
        int64_t at = 0;
        rc = sj_int(q, "SELECT min(step) FROM events WHERE run_id = ?1 AND time_ns >= ?2", b, 2,
                    last, &at);
        def_from = at > 100 ? at - 100 : 0;
    }
    if (rc == 0)
        rc = sj_int_param(q, "from", 0, INT64_MAX, def_from, from);
    if (rc == 0)
        rc = sj_int_param(q, "to", 0, INT64_MAX, *from + SERVE_WINDOW_DEFAULT - 1, to);
    if (rc != 0)
        return rc;
    if (*from > last)
        return sj_fail(q, SV_BAD, "from: the run has steps 0..%" PRId64, last);
    if (*to < *from)
        return sj_fail(q, SV_BAD, "to: before from");
    if (*to - *from >= SERVE_WINDOW_MAX)
        return sj_fail(q, SV_BAD, "to: a window holds at most %d steps", SERVE_WINDOW_MAX);
    if (*to > last)
        *to = last;
    return 0;
}

int api_diagram(serve_req *q)
{
    run_facts f;
    int64_t from, to;
    int rc = run_facts_load(q, &f);
    if (rc == 0)
        rc = diagram_window(q, &f, &from, &to);
    if (rc != 0)
        return rc;
    sj_bind b[3] = {SJ_INT(q->id[0]), SJ_INT(from), SJ_INT(to)};
    char msgs[512];
    snprintf(msgs, sizeof msgs,
             "SELECT msg_id, src, dst, type, sent_step, sent_ns, deliver_ns, fate, fate_step,"
             " %s AS copy FROM messages WHERE run_id = ?1 AND (sent_step BETWEEN ?2 AND ?3"
             " OR fate_step BETWEEN ?2 AND ?3) ORDER BY msg_id",
             copy_column(q));
    const struct {
        const char *key, *sql;
        int mode, cap, nbinds;
    } parts[] = {
        {"run", RUN_ROW, SJ_ONE, 1, 1},
        {"events",
         "SELECT step, time_ns, kind, node, peer, msg_id, detail FROM events"
         " WHERE run_id = ?1 AND step BETWEEN ?2 AND ?3 ORDER BY step",
         SJ_ARRAYS, SERVE_WINDOW_MAX, 3},
        {"messages", msgs, SJ_ARRAYS, SERVE_MSG_CAP, 3},
        /* what holds at the window's start: each node's last crash or start before it */
        {"down_at_start",
         "SELECT node, kind, max(step) AS step FROM events WHERE run_id = ?1 AND step < ?2"
         " AND kind IN ('crash', 'start') GROUP BY node ORDER BY node",
         SJ_OBJECTS, 1000, 2},
        {"partition_at_start",
         "SELECT step, time_ns, kind, detail FROM events WHERE run_id = ?1 AND step < ?2"
         " AND kind IN ('partition', 'heal') ORDER BY step DESC LIMIT 1",
         SJ_ONE, 1, 2},
    };
    evbuffer_add_printf(q->out,
                        "{\"window\":{\"from\":%" PRId64 ",\"to\":%" PRId64
                        ",\"max\":%d},\"nodes\":%" PRId64,
                        from, to, SERVE_WINDOW_MAX, f.nodes);
    rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof parts / sizeof parts[0]; i++) {
        evbuffer_add_printf(q->out, ",\"%s\":", parts[i].key);
        rc = sj_rows(q, parts[i].mode, parts[i].sql, b, parts[i].nbinds, parts[i].cap, NULL);
    }
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}

int api_message(serve_req *q)
{
    int rc = api_run_exists(q, q->id[0]);
    if (rc != SV_OK)
        return rc;
    sj_bind b[2] = {SJ_INT(q->id[0]), SJ_INT(q->id[1])};
    int64_t n = 0;
    rc = sj_int(q, "SELECT count(*) FROM messages WHERE run_id = ?1 AND msg_id = ?2", b, 2, 0, &n);
    if (rc == 0 && n == 0)
        return sj_fail(q, SV_NOTFOUND, "run %" PRId64 " has no message %" PRId64, q->id[0],
                       q->id[1]);
    evbuffer_add(q->out, "{\"message\":", 11);
    if (rc == 0)
        rc = sj_rows(q, SJ_ONE, "SELECT * FROM messages WHERE run_id = ?1 AND msg_id = ?2", b, 2, 1,
                     NULL);
    evbuffer_add(q->out, ",\"steps\":", 9);
    if (rc == 0)
        rc =
            sj_rows(q, SJ_OBJECTS,
                    "SELECT e.step, e.time_ns, e.kind, e.node, e.peer, e.detail FROM events AS e"
                    " JOIN messages AS m ON m.run_id = e.run_id AND m.msg_id = ?2"
                    " WHERE e.run_id = ?1 AND e.step IN (m.sent_step, m.fate_step) ORDER BY e.step",
                    b, 2, 10, NULL);
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}
