/*
 * cmd_show.c -- `faultline show DB RUN [--step S]`: a recorded run's trace up to step S
 * (default: the whole run), read back from the database in the same format `--trace`
 * prints, followed by every node's state at step S.
 *
 * The state of a node at step S is its last snapshot at or before S: snapshots are
 * written only when a state changes, so that row is the state in force.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/cli.h"
#include "sim/run/trace.h"
#include "storage/db.h"

static const char show_usage[] =
    "usage: faultline show DB RUN [--step S]\n\n"
    "Print run RUN of database DB as a trace (steps, log lines, sends, state changes) up\n"
    "to step S, then the state of every node at step S (its full JSON is in the\n"
    "snapshots table).  Needs a run recorded with --record all (sweeps record failing\n"
    "runs that way).\n";

/* One cursor per table, merged by step. */
typedef struct stream {
    fl_db_cursor *c;
    int have; /* a row is ready */
} stream;

static int open_stream(fl_db *db, stream *s, const char *sql, int64_t run, int64_t last, char *err,
                       size_t cap)
{
    int rc = fl_db_cursor_open(db, sql, &s->c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(s->c, 1, run);
    fl_db_cursor_bind_int(s->c, 2, last);
    rc = fl_db_cursor_next(s->c, err, cap);
    s->have = rc == 1;
    return rc < 0 ? rc : 0;
}

static int64_t step_of(const stream *s)
{
    return s->have ? fl_db_cursor_int(s->c, 0) : INT64_MAX;
}

static int advance(stream *s, char *err, size_t cap)
{
    int rc = fl_db_cursor_next(s->c, err, cap);
    s->have = rc == 1;
    return rc < 0 ? rc : 0;
}

enum { EV, LOG, SEND, SNAP, NSTREAMS };

static const char *const stream_sql[NSTREAMS] = {
    "SELECT step, time_ns, kind, node, peer, msg_id, detail FROM events "
    "WHERE run_id = ?1 AND step <= ?2 ORDER BY step",
    "SELECT step, node, text FROM logs WHERE run_id = ?1 AND step <= ?2 ORDER BY step, seq",
    "SELECT sent_step, src, dst, body, msg_id, sent_ns FROM messages "
    "WHERE run_id = ?1 AND sent_step <= ?2 ORDER BY sent_step, msg_id",
    "SELECT step, node, state FROM snapshots WHERE run_id = ?1 AND step <= ?2 ORDER BY step, node",
};

static int print_step(stream *st, const char *proto, char *err, size_t cap)
{
    fl_db_cursor *e = st[EV].c;
    int64_t step = fl_db_cursor_int(e, 0), t = fl_db_cursor_int(e, 1);
    fl_rec_step si = {.step = (uint64_t)step,
                      .time_ns = t,
                      .kind = fl_step_kind_parse(fl_db_cursor_text(e, 2)),
                      .node = (int)fl_db_cursor_int(e, 3),
                      .peer = (int)fl_db_cursor_int(e, 4),
                      .msg_id = (uint64_t)fl_db_cursor_int(e, 5),
                      .detail = fl_db_cursor_text(e, 6) ? fl_db_cursor_text(e, 6) : ""};
    fl_trace_step_line(stdout, &si);
    int rc = 0;
    while (rc == 0 && step_of(&st[LOG]) == step) {
        fl_trace_log_line(stdout, t, (uint64_t)step, proto, (int)fl_db_cursor_int(st[LOG].c, 1),
                          fl_db_cursor_text(st[LOG].c, 2));
        rc = advance(&st[LOG], err, cap);
    }
    while (rc == 0 && step_of(&st[SEND]) == step) {
        fl_db_cursor *m = st[SEND].c;
        fl_trace_send_line(stdout, t, (uint64_t)step, (int)fl_db_cursor_int(m, 1),
                           (int)fl_db_cursor_int(m, 2),
                           fl_db_cursor_text(m, 3) ? fl_db_cursor_text(m, 3) : "",
                           (uint64_t)fl_db_cursor_int(m, 4));
        rc = advance(&st[SEND], err, cap);
    }
    while (rc == 0 && step_of(&st[SNAP]) == step) {
        fl_trace_state_line(stdout, t, (uint64_t)step, (int)fl_db_cursor_int(st[SNAP].c, 1),
                            fl_db_cursor_text(st[SNAP].c, 2));
        rc = advance(&st[SNAP], err, cap);
    }
    return rc ? rc : advance(&st[EV], err, cap);
}

static int print_trace(fl_db *db, int64_t run, int64_t last, const char *proto, char *err,
                       size_t cap)
{
    stream st[NSTREAMS] = {{0}};
    int rc = 0;
    for (int i = 0; i < NSTREAMS && rc == 0; i++)
        rc = open_stream(db, &st[i], stream_sql[i], run, last, err, cap);
    while (rc == 0 && st[EV].have)
        rc = print_step(st, proto, err, cap);
    for (int i = 0; i < NSTREAMS; i++)
        fl_db_cursor_close(st[i].c);
    return rc;
}

static int print_states(fl_db *db, int64_t run, int64_t last, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc =
        fl_db_cursor_open(db,
                          "SELECT s.node, s.step, s.state FROM snapshots s "
                          "WHERE s.run_id = ?1 AND s.step = (SELECT max(step) FROM snapshots x "
                          "WHERE x.run_id = ?1 AND x.node = s.node AND x.step <= ?2) "
                          "ORDER BY s.node",
                          &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, run);
    fl_db_cursor_bind_int(c, 2, last);
    printf("-- every node at step %" PRId64 ":\n", last);
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        printf("node %" PRId64 " (since step %" PRId64 "): ", fl_db_cursor_int(c, 0),
               fl_db_cursor_int(c, 1));
        fl_trace_state_fields(stdout, fl_db_cursor_text(c, 2));
        putchar('\n');
    }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

/* The run's protocol name and last step, or FL_ENOTFOUND. */
static int run_info(fl_db *db, int64_t run, char *proto, size_t pcap, int64_t *last, char *err,
                    size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db,
                               "SELECT json_extract(s.json, '$.protocol'), r.steps FROM runs r "
                               "JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?1",
                               &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, run);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 1) {
        const char *p = fl_db_cursor_text(c, 0);
        snprintf(proto, pcap, "%s", p ? p : "?");
        *last = fl_db_cursor_int(c, 1) - 1;
        rc = 0;
    } else if (rc == 0) {
        snprintf(err, cap, "no run %lld", (long long)run);
        rc = FL_ENOTFOUND;
    }
    fl_db_cursor_close(c);
    return rc;
}

int fl_cmd_show(int argc, char **argv)
{
    const char *args[2];
    int nargs = 0;
    uint64_t step = UINT64_MAX, run;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(show_usage, stdout);
            return FL_EXIT_OK;
        } else if (strcmp(argv[i], "--step") == 0 && i + 1 < argc) {
            if (fl_cli_parse_u64(argv[++i], &step)) {
                fl_cli_error("show: --step: expected a step number, got '%s'", argv[i]);
                return FL_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fl_cli_error("show: unknown option '%s' (see faultline show --help)", argv[i]);
            return FL_EXIT_USAGE;
        } else if (nargs < 2) {
            args[nargs++] = argv[i];
        } else {
            fl_cli_error("show: unexpected argument '%s'", argv[i]);
            return FL_EXIT_USAGE;
        }
    }
    if (nargs < 2 || fl_cli_parse_u64(args[1], &run) || run == 0) {
        fl_cli_error("show: expected DB and a RUN id (see faultline show --help)");
        return FL_EXIT_USAGE;
    }
    char err[1024], proto[128];
    int64_t last = 0;
    fl_db *db;
    int rc = fl_db_open(&db, args[0], FL_DB_READONLY, err, sizeof err);
    if (rc == 0) /* a damaged snapshot page would show a wrong state, not an error */
        rc = fl_db_verify(db, err, sizeof err);
    if (rc == 0)
        rc = run_info(db, (int64_t)run, proto, sizeof proto, &last, err, sizeof err);
    if (rc == 0 && step != UINT64_MAX && (int64_t)step < last)
        last = (int64_t)step;
    if (rc == 0)
        rc = print_trace(db, (int64_t)run, last, proto, err, sizeof err);
    if (rc == 0)
        rc = print_states(db, (int64_t)run, last, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_error("show: %s", err);
        return fl_cli_exit_for(rc);
    }
    return FL_EXIT_OK;
}
