/*
 * serve_api_state.c -- /api/run/N/state?step=S: every node's state after step S and
 * after step S-1 (so that a page can highlight what changed), the step itself, its log
 * lines and its sends; /api/run/N/history: the clients' operations.
 *
 * States come from the one reader of results/state.h, which rebuilds them from the
 * stored changes; they are sent as JSON strings (the protocol's snapshot text, escaped),
 * so that a damaged row cannot break the answer's own JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "results/state.h"
#include "sim/serve/serve_impl.h"

/* One node's state after step (or null), as "key":{"since":S,"state":"..."}. */
static int node_state(serve_req *q, fl_state_reader *r, int node, int64_t step, const char *key)
{
    const char *json = NULL;
    int64_t since = -1;
    int rc = step >= 0 ? fl_state_at(r, node, step, &json, &since, q->err, q->cap) : 0;
    if (rc < 0)
        return SV_ERROR;
    evbuffer_add_printf(q->out, "\"%s\":", key);
    if (rc == 0) {
        evbuffer_add(q->out, "null", 4);
        return 0;
    }
    evbuffer_add_printf(q->out, "{\"since\":%" PRId64 ",\"state\":", since);
    sj_str(q->out, json, strlen(json));
    evbuffer_add(q->out, "}", 1);
    return 0;
}

static int states_json(serve_req *q, int64_t nodes, int64_t step)
{
    fl_state_reader *r;
    if (fl_state_reader_open(q->s->db, q->id[0], &r, q->err, q->cap) != 0)
        return SV_ERROR;
    int rc = 0;
    evbuffer_add(q->out, ",\"nodes\":[", 10);
    for (int n = 1; rc == 0 && n <= nodes; n++) {
        evbuffer_add_printf(q->out, "%s{\"node\":%d,", n > 1 ? "," : "", n);
        /* S-1 first: the reader goes forward cheaply, and back from a keyframe */
        rc = node_state(q, r, n, step - 1, "before");
        evbuffer_add(q->out, ",", 1);
        if (rc == 0)
            rc = node_state(q, r, n, step, "after");
        evbuffer_add(q->out, "}", 1);
    }
    evbuffer_add(q->out, "]", 1);
    fl_state_reader_close(r);
    return rc;
}

int api_state(serve_req *q)
{
    int rc = api_run_exists(q, q->id[0]);
    if (rc != SV_OK)
        return rc;
    sj_bind b[2] = {SJ_INT(q->id[0]), SJ_INT(0)};
    int64_t steps = 0, nodes = 0, fail_step = -1, step;
    rc = sj_int(q, "SELECT steps FROM runs WHERE id = ?1", b, 1, 0, &steps);
    if (rc == 0)
        rc = sj_int(q, "SELECT fail_step FROM runs WHERE id = ?1", b, 1, -1, &fail_step);
    if (rc == 0)
        rc = sj_int(q,
                    "SELECT json_extract(s.json, '$.nodes') FROM runs AS r JOIN scenarios AS s"
                    " ON s.id = r.scenario_id WHERE r.id = ?1",
                    b, 1, 0, &nodes);
    if (rc == 0 && steps == 0)
        return sj_fail(q, SV_NOTFOUND, "run %" PRId64 " has no recorded steps", q->id[0]);
    if (rc == 0)
        rc = sj_int_param(q, "step", 0, steps - 1, fail_step >= 0 ? fail_step : 0, &step);
    if (rc != 0)
        return rc;
    if (nodes < 0 || nodes > 1000)
        nodes = 0;
    b[1] = SJ_INT(step);
    evbuffer_add_printf(q->out, "{\"step\":%" PRId64 ",\"steps\":%" PRId64 ",\"event\":", step,
                        steps);
    rc = sj_rows(q, SJ_ONE,
                 "SELECT e.step, e.time_ns, e.kind, e.node, e.peer, e.msg_id, e.detail, m.body"
                 " FROM events AS e LEFT JOIN messages AS m ON m.run_id = e.run_id"
                 " AND m.msg_id = e.msg_id WHERE e.run_id = ?1 AND e.step = ?2",
                 b, 2, 1, NULL);
    if (rc == 0)
        rc = states_json(q, nodes, step);
    if (rc == 0) {
        evbuffer_add(q->out, ",\"logs\":", 8);
        rc = sj_rows(q, SJ_OBJECTS,
                     "SELECT node, level, text FROM logs WHERE run_id = ?1 AND step = ?2"
                     " ORDER BY seq",
                     b, 2, 1000, NULL);
    }
    if (rc == 0) {
        evbuffer_add(q->out, ",\"sent\":", 8);
        rc = sj_rows(q, SJ_OBJECTS,
                     "SELECT msg_id, src, dst, body, fate, fate_step FROM messages"
                     " WHERE run_id = ?1 AND sent_step = ?2 ORDER BY msg_id",
                     b, 2, 1000, NULL);
    }
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}

int api_history(serve_req *q)
{
    int rc = api_run_exists(q, q->id[0]);
    if (rc != SV_OK)
        return rc;
    sj_bind b = SJ_INT(q->id[0]);
    evbuffer_add(q->out, "{\"run\":", 7);
    rc = sj_rows(q, SJ_ONE,
                 "SELECT id, outcome, check_name AS \"check\", detail, fail_step, steps,"
                 " sim_time_ns FROM runs WHERE id = ?1",
                 &b, 1, 1, NULL);
    evbuffer_add(q->out, ",\"metrics\":", 11);
    if (rc == 0)
        rc = sj_rows(q, SJ_OBJECTS,
                     "SELECT name, value FROM metrics WHERE run_id = ?1"
                     " AND (name GLOB 'lin.*' OR name GLOB 'clients.*') ORDER BY name",
                     &b, 1, 100, NULL);
    evbuffer_add(q->out, ",\"ops\":", 7);
    if (rc == 0 && q->s->schema >= 3)
        rc = sj_rows(q, SJ_ARRAYS,
                     "SELECT op_id, process, type, f, key, value, result, node, invoke_step,"
                     " invoke_ns, complete_step, complete_ns FROM history WHERE run_id = ?1"
                     " ORDER BY op_id",
                     &b, 1, SERVE_ROW_CAP, NULL);
    else if (rc == 0)
        evbuffer_add_printf(q->out, "%s", "{\"columns\":[],\"rows\":[],\"truncated\":false}");
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}
