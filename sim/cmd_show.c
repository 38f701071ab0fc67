/*
 * cmd_show.c -- `faultline show DB RUN`: a recorded run's trace, read back from the
 * database in the same format `--trace` prints, narrowed to a range of steps and to some
 * nodes, with the failing step marked, followed by every node's state at the range's
 * last step.
 *
 * A failing run is shown around its failing step unless a range is given: the step that
 * matters is rarely the first.  A run stored bare (a sweep's passing seeds, and failing
 * ones past --record-max) has no steps in the database: show says so and how to record
 * it, instead of printing nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/cli.h"
#include "sim/run/trace.h"
#include "sim/show_states.h"
#include "storage/db.h"

#define SHOW_MAX_NODES 64
#define SHOW_CONTEXT 20 /* steps either side of --around's step by default */

static const char show_usage[] =
    "usage: faultline show DB RUN [--from S] [--to S] [--step S] [--around S]\n"
    "                     [--context K] [--node N]...\n\n"
    "Print run RUN of database DB as a trace (steps, log lines, sends, state changes),\n"
    "then the state of every node at the last step printed (docs/sql.md says how to\n"
    "get its full JSON from the snapshots table).\n\n"
    "  --from S, --to S   only steps S.. and ..S (--step S is --to S)\n"
    "  --around S         steps S-K..S+K, K = --context (default 20)\n"
    "  --node N           only what node N does, sends and receives, and the faults\n"
    "                     (repeatable)\n\n"
    "Without a range, a failing run is shown around its failing step (--from 0 shows it\n"
    "all) and any other run whole.  The failing step is followed by a line\n"
    "`>>> outcome: check: detail`.  A step past the run's end is an error (exit 2).  A run\n"
    "not recorded in full (sweeps record only failing seeds, and at most --record-max of\n"
    "them) has no steps to show: show says so, prints the command that records it\n"
    "(faultline replay DB RUN --record) and exits 1.\n";

typedef struct show_opts {
    const char *db;
    int64_t run;
    int64_t from, to, around, context; /* -1: not given */
    int nodes[SHOW_MAX_NODES];
    int nnodes;
} show_opts;

/* The runs row, and what the trace needs of its scenario. */
typedef struct run_row {
    char proto[128];
    int64_t last; /* the last step: steps - 1 */
    char outcome[32], check[128], recorded[16];
    char *detail;
    int64_t fail_step, fail_time_ns; /* -1: none */
    int64_t nodes;
} run_row;

/* ---- arguments ---- */

static int parse_step(const char *opt, const char *s, int64_t *out)
{
    uint64_t v;
    if (fl_cli_parse_u64(s, &v) || v > INT64_MAX) {
        fl_cli_error("show: %s: expected a step number, got '%s'", opt, s);
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

static int parse_node(show_opts *o, const char *s)
{
    uint64_t v;
    if (fl_cli_parse_u64(s, &v) || v == 0 || v > INT32_MAX) {
        fl_cli_error("show: --node: expected a node id (1, 2, ...), got '%s'", s);
        return -1;
    }
    if (o->nnodes == SHOW_MAX_NODES) {
        fl_cli_error("show: --node: at most %d nodes", SHOW_MAX_NODES);
        return -1;
    }
    o->nodes[o->nnodes++] = (int)v;
    return 0;
}

/* -1 parsed, else the exit code */
static int parse_args(int argc, char **argv, show_opts *o)
{
    const char *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t *slot = strcmp(a, "--from") == 0      ? &o->from
                        : strcmp(a, "--to") == 0      ? &o->to
                        : strcmp(a, "--step") == 0    ? &o->to
                        : strcmp(a, "--around") == 0  ? &o->around
                        : strcmp(a, "--context") == 0 ? &o->context
                                                      : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(show_usage, stdout);
            return FL_EXIT_OK;
        } else if ((slot || strcmp(a, "--node") == 0) && !v) {
            fl_cli_error("show: %s needs a value (see faultline show --help)", a);
            return FL_EXIT_USAGE;
        } else if (slot) {
            if (parse_step(a, argv[++i], slot))
                return FL_EXIT_USAGE;
        } else if (strcmp(a, "--node") == 0) {
            if (parse_node(o, argv[++i]))
                return FL_EXIT_USAGE;
        } else if (a[0] == '-' && a[1] == '-') {
            fl_cli_error("show: unknown option '%s' (see faultline show --help)", a);
            return FL_EXIT_USAGE;
        } else if (nargs < 2) {
            args[nargs++] = a;
        } else {
            fl_cli_error("show: unexpected argument '%s'", a);
            return FL_EXIT_USAGE;
        }
    }
    uint64_t run;
    if (nargs < 2 || fl_cli_parse_u64(args[1], &run) || run == 0 || run > INT64_MAX) {
        fl_cli_error("show: expected DB and a RUN id (see faultline show --help)");
        return FL_EXIT_USAGE;
    }
    if (o->around >= 0 && (o->from >= 0 || o->to >= 0)) {
        fl_cli_error("show: --around goes without --from, --to and --step");
        return FL_EXIT_USAGE;
    }
    o->db = args[0];
    o->run = (int64_t)run;
    return -1;
}

/* ---- the run ---- */

static void copy_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* What a plugin's log lines are labelled with.  The database keeps the plugin's file
 * name, not the name its fl_protocol gives (which the trace printed): by the convention
 * of libNAME.so that is NAME, and otherwise the file name. */
static void plugin_label(const char *file, char *out, size_t cap)
{
    size_t n = file ? strlen(file) : 0;
    if (n > 6 && strncmp(file, "lib", 3) == 0 && strcmp(file + n - 3, ".so") == 0)
        snprintf(out, cap, "%.*s", (int)(n - 6), file + 3);
    else
        copy_text(out, cap, file ? file : "?");
}

/* The run's row, or FL_ENOTFOUND. */
static int read_run(fl_db *db, int64_t run, run_row *r, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(
        db,
        "SELECT json_extract(s.json, '$.protocol'), r.steps, r.outcome, r.check_name, r.detail, "
        "coalesce(r.fail_step, -1), coalesce(r.fail_time_ns, -1), r.recorded, "
        "coalesce(json_extract(s.json, '$.nodes'), 0), json_extract(s.json, '$.plugin.name') "
        "FROM runs r "
        "JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?1",
        &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, run);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 1) {
        if (fl_db_cursor_text(c, 0))
            copy_text(r->proto, sizeof r->proto, fl_db_cursor_text(c, 0));
        else
            plugin_label(fl_db_cursor_text(c, 9), r->proto, sizeof r->proto);
        r->last = fl_db_cursor_int(c, 1) - 1;
        copy_text(r->outcome, sizeof r->outcome, fl_db_cursor_text(c, 2));
        copy_text(r->check, sizeof r->check, fl_db_cursor_text(c, 3));
        if (strcmp(r->check, r->outcome) == 0) /* a crash's check is "crash": say it once */
            r->check[0] = '\0';
        r->detail = strdup(fl_db_cursor_text(c, 4) ? fl_db_cursor_text(c, 4) : "");
        r->fail_step = fl_db_cursor_int(c, 5);
        r->fail_time_ns = fl_db_cursor_int(c, 6);
        copy_text(r->recorded, sizeof r->recorded, fl_db_cursor_text(c, 7));
        r->nodes = fl_db_cursor_int(c, 8);
        rc = r->detail ? 0 : FL_ENOMEM;
    } else if (rc == 0) {
        snprintf(err, cap, "no run %lld in %s", (long long)run, fl_db_path(db));
        rc = FL_ENOTFOUND;
    }
    fl_db_cursor_close(c);
    return rc;
}

static int failed(const run_row *r)
{
    return strcmp(r->outcome, "ok") != 0 && r->fail_step >= 0 && r->fail_step <= r->last;
}

static int past_end(const char *what, int64_t step, const show_opts *o, const run_row *r)
{
    if (r->last < 0)
        fl_cli_error("show: %s %" PRId64 ": run %" PRId64 " has no steps", what, step, o->run);
    else
        fl_cli_error("show: %s %" PRId64 ": past the end of run %" PRId64 " (steps 0..%" PRId64 ")",
                     what, step, o->run, r->last);
    return FL_EXIT_USAGE;
}

/* The steps to print, from the options and the run; -1, or an exit code. */
static int choose_range(const show_opts *o, const run_row *r, int64_t *from, int64_t *to)
{
    if (o->from >= 0 && o->from > r->last)
        return past_end("--from", o->from, o, r);
    if (o->to >= 0 && o->to > r->last)
        return past_end("--to/--step", o->to, o, r);
    if (o->around >= 0 && o->around > r->last)
        return past_end("--around", o->around, o, r);
    for (int i = 0; i < o->nnodes; i++)
        if (r->nodes > 0 && o->nodes[i] > r->nodes) {
            fl_cli_error("show: --node %d: run %" PRId64 " has nodes 1..%" PRId64, o->nodes[i],
                         o->run, r->nodes);
            return FL_EXIT_USAGE;
        }
    int64_t k = o->context >= 0 ? o->context : SHOW_CONTEXT;
    int64_t centre = o->around >= 0                          ? o->around
                     : o->from < 0 && o->to < 0 && failed(r) ? r->fail_step
                                                             : -1;
    if (centre >= 0) {
        *from = centre > k ? centre - k : 0;
        *to = r->last - centre > k ? centre + k : r->last;
        return -1;
    }
    *from = o->from >= 0 ? o->from : 0;
    *to = o->to >= 0 ? o->to : r->last;
    if (*from > *to) {
        fl_cli_error("show: --from %" PRId64 " is after --to %" PRId64, *from, *to);
        return FL_EXIT_USAGE;
    }
    return -1;
}

static int wants_node(const show_opts *o, int node)
{
    if (o->nnodes == 0)
        return 1;
    for (int i = 0; i < o->nnodes; i++)
        if (o->nodes[i] == node)
            return 1;
    return 0;
}

/* ---- the trace: one cursor per table, merged by step ---- */

typedef struct stream {
    fl_db_cursor *c;
    int have; /* a row is ready */
} stream;

enum { EV, LOG, SEND, HIST, NCURSORS };

static const char *const stream_sql[NCURSORS] = {
    /* a delivery's detail is stored without the message's description (docs/sql.md) */
    "SELECT e.step, e.time_ns, e.kind, e.node, e.peer, e.msg_id, CASE WHEN e.kind = 'deliver'"
    " AND instr(e.detail, ' ') = 0 AND m.body IS NOT NULL THEN e.detail || ' ' || m.body"
    " ELSE e.detail END FROM events e LEFT JOIN messages m ON m.run_id = e.run_id AND"
    " m.msg_id = e.msg_id WHERE e.run_id = ?1 AND e.step BETWEEN ?2 AND ?3 ORDER BY e.step",
    "SELECT step, node, text FROM logs WHERE run_id = ?1 AND step BETWEEN ?2 AND ?3 "
    "ORDER BY step, seq",
    "SELECT sent_step, src, dst, body, msg_id, sent_ns FROM messages "
    "WHERE run_id = ?1 AND sent_step BETWEEN ?2 AND ?3 ORDER BY sent_step, msg_id",
    /* client completions (an invocation is its step's line); schema 3 and later */
    "SELECT complete_step, op_id, process, type, f, key, value, result, node FROM history "
    "WHERE run_id = ?1 AND complete_step BETWEEN ?2 AND ?3 ORDER BY complete_step, op_id",
};

typedef struct trace_reader {
    const show_opts *o;
    const run_row *r;
    stream st[NCURSORS];
    fl_show_states *states;
    fl_show_state state;
    int have_state;
    char *err;
    size_t cap;
} trace_reader;

static int advance(stream *s, char *err, size_t cap)
{
    int rc = fl_db_cursor_next(s->c, err, cap);
    s->have = rc == 1;
    return rc < 0 ? rc : 0;
}

static int advance_state(trace_reader *t)
{
    int rc = fl_show_states_next(t->states, &t->state, t->err, t->cap);
    t->have_state = rc == 1;
    return rc < 0 ? rc : 0;
}

static int64_t step_of(const stream *s)
{
    return s->have ? fl_db_cursor_int(s->c, 0) : INT64_MAX;
}

static int open_reader(fl_db *db, trace_reader *t, int64_t from, int64_t to)
{
    int rc = 0;
    for (int i = 0; i < NCURSORS && rc == 0; i++) {
        if (i == HIST && fl_db_opened_version(db) < 3)
            continue; /* a file of schema 2 or older has no history */
        rc = fl_db_cursor_open(db, stream_sql[i], &t->st[i].c, t->err, t->cap);
        if (rc == 0) {
            fl_db_cursor_bind_int(t->st[i].c, 1, t->o->run);
            fl_db_cursor_bind_int(t->st[i].c, 2, from);
            fl_db_cursor_bind_int(t->st[i].c, 3, to);
            rc = advance(&t->st[i], t->err, t->cap);
        }
    }
    if (rc == 0)
        rc = fl_show_states_open(db, t->o->run, from, to, &t->states, t->err, t->cap);
    return rc ? rc : advance_state(t);
}

static void close_reader(trace_reader *t)
{
    for (int i = 0; i < NCURSORS; i++)
        fl_db_cursor_close(t->st[i].c);
    fl_show_states_close(t->states);
}

/* The violation (or whatever ended the run) after the step it happened at. */
static void print_failure(const run_row *r, int64_t time_ns)
{
    fl_trace_prefix(stdout, r->fail_time_ns >= 0 ? r->fail_time_ns : time_ns,
                    (uint64_t)r->fail_step);
    printf(">>> %s%s%s: %s\n", r->outcome, r->check[0] ? ": " : "", r->check, r->detail);
}

/* The lines of the step the events cursor is at, those of the chosen nodes. */
static int print_step(trace_reader *t)
{
    stream *st = t->st;
    fl_db_cursor *e = st[EV].c;
    int64_t step = fl_db_cursor_int(e, 0), time = fl_db_cursor_int(e, 1);
    fl_rec_step si = {.step = (uint64_t)step,
                      .time_ns = time,
                      .kind = fl_step_kind_parse(fl_db_cursor_text(e, 2)),
                      .node = (int)fl_db_cursor_int(e, 3),
                      .peer = (int)fl_db_cursor_int(e, 4),
                      .msg_id = (uint64_t)fl_db_cursor_int(e, 5),
                      .detail = fl_db_cursor_text(e, 6) ? fl_db_cursor_text(e, 6) : ""};
    /* node 0 is the whole cluster: faults concern every node */
    if (si.node == 0 || wants_node(t->o, si.node) || (si.peer && wants_node(t->o, si.peer)))
        fl_trace_step_line(stdout, &si);
    int rc = 0;
    for (; rc == 0 && step_of(&st[LOG]) == step; rc = advance(&st[LOG], t->err, t->cap))
        if (wants_node(t->o, (int)fl_db_cursor_int(st[LOG].c, 1)))
            fl_trace_log_line(stdout, time, (uint64_t)step, t->r->proto,
                              (int)fl_db_cursor_int(st[LOG].c, 1), fl_db_cursor_text(st[LOG].c, 2));
    for (; rc == 0 && step_of(&st[SEND]) == step; rc = advance(&st[SEND], t->err, t->cap)) {
        fl_db_cursor *m = st[SEND].c;
        int src = (int)fl_db_cursor_int(m, 1), dst = (int)fl_db_cursor_int(m, 2);
        if (wants_node(t->o, src) || wants_node(t->o, dst))
            fl_trace_send_line(stdout, time, (uint64_t)step, src, dst,
                               fl_db_cursor_text(m, 3) ? fl_db_cursor_text(m, 3) : "",
                               (uint64_t)fl_db_cursor_int(m, 4));
    }
    for (; rc == 0 && step_of(&st[HIST]) == step; rc = advance(&st[HIST], t->err, t->cap)) {
        fl_db_cursor *h = st[HIST].c;
        int node = (int)fl_db_cursor_int(h, 8);
        if (wants_node(t->o, node))
            fl_trace_history_line(stdout, time, (uint64_t)step, (uint64_t)fl_db_cursor_int(h, 1),
                                  (int)fl_db_cursor_int(h, 2), fl_db_cursor_text(h, 3),
                                  fl_db_cursor_text(h, 4), fl_db_cursor_text(h, 5),
                                  fl_db_cursor_text(h, 6), fl_db_cursor_text(h, 7), node);
    }
    for (; rc == 0 && t->have_state && t->state.step == step; rc = advance_state(t))
        if (wants_node(t->o, t->state.node))
            fl_trace_state_line(stdout, time, (uint64_t)step, t->state.node, t->state.json);
    if (rc == 0 && failed(t->r) && t->r->fail_step == step)
        print_failure(t->r, time);
    return rc ? rc : advance(&st[EV], t->err, t->cap);
}

static int print_trace(fl_db *db, const show_opts *o, const run_row *r, int64_t from, int64_t to,
                       char *err, size_t cap)
{
    trace_reader t = {.o = o, .r = r, .err = err, .cap = cap};
    int rc = open_reader(db, &t, from, to);
    while (rc == 0 && t.st[EV].have)
        rc = print_step(&t);
    close_reader(&t);
    return rc;
}

static int print_one_state(void *ctx, const fl_show_state *st)
{
    if (!wants_node(ctx, st->node))
        return 0;
    printf("node %d (since step %" PRId64 "): ", st->node, st->step);
    fl_trace_state_fields(stdout, st->json);
    putchar('\n');
    return 0;
}

/* ---- the command ---- */

/* What show says about the range it prints, when it is not the whole run. */
static void print_header(const show_opts *o, const run_row *r, int64_t from, int64_t to)
{
    if (from == 0 && to == r->last)
        return;
    printf("-- run %" PRId64 ", steps %" PRId64 "..%" PRId64 " of 0..%" PRId64, o->run, from, to,
           r->last);
    if (o->around < 0 && o->from < 0 && o->to < 0)
        printf(" (around the failing step %" PRId64 "; --from 0 shows the whole run)",
               r->fail_step);
    putchar('\n');
}

/* A run with no steps in the database: what there is, and how to get the rest. */
static int print_bare(const show_opts *o, const run_row *r)
{
    printf("run %" PRId64 ": %s%s%s after %" PRId64 " steps", o->run, r->outcome,
           r->check[0] ? ": " : "", r->check, r->last + 1);
    if (failed(r))
        printf(" (failing step %" PRId64 ")", r->fail_step);
    printf("\nrun %" PRId64 " was not recorded in full (recorded = '%s'): its steps are not in "
           "the database.\nTo record it: faultline replay %s %" PRId64 " --record\n",
           o->run, r->recorded, o->db, o->run);
    return FL_EXIT_FAILED;
}

/* 0 with the exit code in *ex, or an FL_E code with a message in err. */
static int show(fl_db *db, const show_opts *o, const run_row *r, int *ex, char *err, size_t cap)
{
    *ex = FL_EXIT_OK;
    if (r->last < 0 && o->from < 0 && o->to < 0 && o->around < 0) {
        /* no step completed (protocol code crashed in the first): nothing but its row */
        printf("run %" PRId64 ": %s%s%s, no step completed: %s\n", o->run, r->outcome,
               r->check[0] ? ": " : "", r->check, r->detail);
        return 0;
    }
    if (strcmp(r->recorded, "all") != 0 && r->last >= 0) {
        *ex = print_bare(o, r);
        return 0;
    }
    int64_t from = 0, to = r->last;
    int chosen = choose_range(o, r, &from, &to);
    if (chosen >= 0) {
        *ex = chosen;
        return 0;
    }
    print_header(o, r, from, to);
    int rc = print_trace(db, o, r, from, to, err, cap);
    if (rc == 0 && failed(r) && (r->fail_step < from || r->fail_step > to))
        printf("-- the run fails at step %" PRId64 " (%s%s%s), outside steps %" PRId64 "..%" PRId64
               "\n",
               r->fail_step, r->outcome, r->check[0] ? ": " : "", r->check, from, to);
    if (rc == 0) {
        printf("-- every node at step %" PRId64 ":\n", to);
        rc = fl_show_states_at(db, o->run, to, print_one_state, (void *)o, err, cap);
    }
    return rc;
}

int fl_cmd_show(int argc, char **argv)
{
    show_opts o = {.from = -1, .to = -1, .around = -1, .context = -1};
    int ex = parse_args(argc, argv, &o);
    if (ex >= 0)
        return ex;
    char err[1024];
    run_row r = {0};
    fl_db *db;
    int rc = fl_db_open(&db, o.db, FL_DB_READONLY, err, sizeof err);
    if (rc == 0) /* a damaged snapshot page would show a wrong state, not an error */
        rc = fl_db_verify(db, err, sizeof err);
    if (rc == 0)
        rc = read_run(db, o.run, &r, err, sizeof err);
    if (rc == 0)
        rc = show(db, &o, &r, &ex, err, sizeof err);
    fl_db_close(db);
    free(r.detail);
    if (rc) {
        fl_cli_error("show: %s", err);
        return fl_cli_exit_for(rc);
    }
    return ex;
}
