/*
 * schema.c -- the faultline database schema (see schema.h and docs/sql.md).
 *
 * Keys are chosen for the recorder, which appends millions of rows per run inside one
 * transaction, and for the tools, which read one run at a time: show, replay, export:
 *
 * - events, messages, logs, faults, metrics are WITHOUT ROWID tables clustered on
 *   (run_id, ...).  Their rows are small, and they arrive in key order (messages
 *   almost: a row is written when its fate is known), so every insert appends at the
 *   right edge of one b-tree and the per-run index comes for free.  Measured: about
 *   25% slower to insert than a rowid table with no index at all, but 15-30% faster
 *   than a rowid table plus an index, and that index is needed: without it every
 *   per-run query scans every run ever recorded.
 * - snapshots stay a rowid table with a separate index: their JSON can be kilobytes,
 *   and WITHOUT ROWID b-trees copy large rows into interior pages (measured 4x slower
 *   and 2.3x bigger with 1.5 kB states).  Since v3 a row is a change (the scalars and
 *   edits, core/statediff.h) and only keyframes are large; rowid + index is still the
 *   faster of the two (measured 0.08 s against 0.14 s for 85,000 raft-chaos rows).
 *
 * events.chain is the run digest's chain value after the step (as a signed 64-bit
 * integer: printf('%016x', chain) shows it as the digest is printed), so that replay
 * can name the first step at which two executions differ.
 *
 * Node ids and message ids that are "none" (0 in the world) are stored as NULL, and so
 * are empty details, so that SQL's `IS NULL` means "absent".
 */
#include "storage/schema.h"

static const char schema_v1[] =
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE scenarios(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  hash TEXT NOT NULL UNIQUE,\n"
    "  name TEXT NOT NULL,\n"
    "  json TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE sweeps(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),\n"
    "  seeds_from INTEGER NOT NULL,\n"
    "  seeds_to INTEGER NOT NULL,\n"
    "  shard TEXT,\n"
    "  jobs INTEGER,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT,\n"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'done'))\n"
    ");\n"
    "CREATE TABLE runs(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  sweep_id INTEGER REFERENCES sweeps(id),\n"
    "  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),\n"
    "  seed INTEGER NOT NULL,\n"
    "  schedule_json TEXT,\n"
    "  outcome TEXT NOT NULL,\n"
    "  check_name TEXT,\n"
    "  detail TEXT,\n"
    "  fail_step INTEGER,\n"
    "  fail_time_ns INTEGER,\n"
    "  steps INTEGER NOT NULL,\n"
    "  sim_time_ns INTEGER NOT NULL,\n"
    "  msgs_sent INTEGER NOT NULL,\n"
    "  msgs_delivered INTEGER NOT NULL,\n"
    "  msgs_dropped INTEGER NOT NULL,\n"
    "  faults INTEGER NOT NULL,\n"
    "  wall_us INTEGER,\n"
    "  digest TEXT NOT NULL,\n"
    "  recorded TEXT NOT NULL CHECK (recorded IN ('all', 'none')),\n"
    "  version TEXT NOT NULL\n"
    ");\n"
    /* Resuming a sweep asks which seeds it has; reports group by scenario and seed. */
    "CREATE INDEX runs_by_sweep ON runs(sweep_id, seed);\n"
    "CREATE INDEX runs_by_scenario ON runs(scenario_id, seed);\n"
    "CREATE TABLE events(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  step INTEGER NOT NULL,\n"
    "  time_ns INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  node INTEGER,\n"
    "  peer INTEGER,\n"
    "  msg_id INTEGER,\n"
    "  detail TEXT,\n"
    "  chain INTEGER NOT NULL,\n"
    "  PRIMARY KEY (run_id, step)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE messages(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  msg_id INTEGER NOT NULL,\n"
    "  src INTEGER NOT NULL,\n"
    "  dst INTEGER NOT NULL,\n"
    "  type TEXT,\n"
    "  sent_step INTEGER NOT NULL,\n"
    "  sent_ns INTEGER NOT NULL,\n"
    "  deliver_ns INTEGER NOT NULL,\n"
    "  fate TEXT NOT NULL,\n"
    "  fate_step INTEGER,\n"
    "  body TEXT,\n"
    "  PRIMARY KEY (run_id, msg_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE snapshots(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  step INTEGER NOT NULL,\n"
    "  node INTEGER NOT NULL,\n"
    "  state TEXT NOT NULL\n"
    ");\n"
    /* (run_id, node, step): "the state of node n at step s" is the last row at or
     * before s, one index seek per node. */
    "CREATE INDEX snapshots_by_node ON snapshots(run_id, node, step);\n"
    "CREATE TABLE faults(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  at_ns INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  spec TEXT,\n"
    "  took_effect INTEGER NOT NULL,\n"
    "  PRIMARY KEY (run_id, seq)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE logs(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  step INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  node INTEGER,\n"
    "  level TEXT NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, step, seq)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE metrics(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  value INTEGER NOT NULL,\n"
    "  PRIMARY KEY (run_id, name)\n"
    ") WITHOUT ROWID;\n"
    "CREATE VIEW failing_runs AS\n"
    "  SELECT * FROM runs WHERE outcome <> 'ok';\n"
    "CREATE VIEW outcome_counts AS\n"
    "  SELECT outcome, count(*) AS n FROM runs GROUP BY outcome;\n"
    "CREATE VIEW leaders AS\n"
    "  SELECT run_id, step, node, json_extract(state, '$.term') AS term\n"
    "  FROM snapshots WHERE json_extract(state, '$.role') = 'leader';\n";

/* v2 (the run pipeline): where a run comes from (origin, parent_run), a recording that
 * is still to come (recorded = 'pending'), and a plugin's path kept beside the
 * scenario's identity instead of inside its hash.  SQLite cannot change a CHECK
 * constraint in place, so runs is rebuilt; the views that read it go with it.  v1 had
 * no re-executions in the database: a run with a sweep is the sweep's own, any other
 * came from `run --db`. */
static const char schema_v2[] =
    "DROP VIEW failing_runs;\n"
    "DROP VIEW outcome_counts;\n"
    "CREATE TABLE runs_v2(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  sweep_id INTEGER REFERENCES sweeps(id),\n"
    "  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),\n"
    "  seed INTEGER NOT NULL,\n"
    "  schedule_json TEXT,\n"
    "  outcome TEXT NOT NULL,\n"
    "  check_name TEXT,\n"
    "  detail TEXT,\n"
    "  fail_step INTEGER,\n"
    "  fail_time_ns INTEGER,\n"
    "  steps INTEGER NOT NULL,\n"
    "  sim_time_ns INTEGER NOT NULL,\n"
    "  msgs_sent INTEGER NOT NULL,\n"
    "  msgs_delivered INTEGER NOT NULL,\n"
    "  msgs_dropped INTEGER NOT NULL,\n"
    "  faults INTEGER NOT NULL,\n"
    "  wall_us INTEGER,\n"
    "  digest TEXT NOT NULL,\n"
    "  recorded TEXT NOT NULL CHECK (recorded IN ('all', 'none', 'pending')),\n"
    "  version TEXT NOT NULL,\n"
    "  origin TEXT NOT NULL DEFAULT 'run'\n"
    "    CHECK (origin IN ('sweep', 'run', 'replay', 'shrink')),\n"
    "  parent_run INTEGER REFERENCES runs(id)\n"
    ");\n"
    "INSERT INTO runs_v2 SELECT id, sweep_id, scenario_id, seed, schedule_json, outcome,\n"
    "  check_name, detail, fail_step, fail_time_ns, steps, sim_time_ns, msgs_sent,\n"
    "  msgs_delivered, msgs_dropped, faults, wall_us, digest, recorded, version,\n"
    "  CASE WHEN sweep_id IS NULL THEN 'run' ELSE 'sweep' END, NULL FROM runs;\n"
    "DROP TABLE runs;\n"
    "ALTER TABLE runs_v2 RENAME TO runs;\n"
    "CREATE INDEX runs_by_sweep ON runs(sweep_id, seed);\n"
    "CREATE INDEX runs_by_scenario ON runs(scenario_id, seed);\n"
    "CREATE INDEX runs_by_parent ON runs(parent_run) WHERE parent_run IS NOT NULL;\n"
    "ALTER TABLE scenarios ADD COLUMN plugin_path TEXT;\n"
    "CREATE VIEW failing_runs AS\n"
    "  SELECT * FROM runs WHERE outcome <> 'ok';\n"
    "CREATE VIEW outcome_counts AS\n"
    "  SELECT outcome, count(*) AS n FROM runs GROUP BY outcome;\n";

/* v3: one step, made of independent blocks (one per change of that round), each
 * naming its change. */
static const char schema_v3[] =
    /* -- fault accounting: faults.reached, whether the run got to the entry's time.
     * took_effect now means "it happened" (a crash took an up node down) where v2 said
     * "it bit" (the crash lost unsynced bytes); rows written before v3 keep their old
     * meaning and have reached NULL (unknown), as merge gives them too. */
    "ALTER TABLE faults ADD COLUMN reached INTEGER;\n"
    /* -- end of fault accounting */
    /* -- issue 11, recording that scales: a state row is a change (core/statediff.h).
     * `state` keeps the scalar members whole (so json_extract needs no reconstruction);
     * `parts` holds edits of the arrays and objects; `keyframe` = 1 marks a row from
     * which the state is whole.  Rows of older files are whole states: keyframes with
     * no parts.  `recorded_at` dates a run for `faultline prune --older-than`; NULL for
     * runs written before v3.  `recorded = 'none'` also marks a run whose recording was
     * pruned. */
    "ALTER TABLE snapshots ADD COLUMN parts TEXT;\n"
    "ALTER TABLE snapshots ADD COLUMN keyframe INTEGER NOT NULL DEFAULT 1;\n"
    "ALTER TABLE runs ADD COLUMN recorded_at TEXT;\n"
    /* -- end of issue 11 */
    /* -- clients (issue 14): the history of client operations, one row per operation,
     * inserted at its invocation and completed by its completion (type 'invoke' stays
     * for an operation still outstanding at the run's end).  value and result are JSON
     * text in Jepsen's vocabulary (docs/linearizability.md).  Rows arrive in op_id
     * order: clustered on (run_id, op_id), like events. */
    "CREATE TABLE history(\n"
    "  run_id INTEGER NOT NULL,\n"
    "  op_id INTEGER NOT NULL,\n"
    "  process INTEGER NOT NULL,\n"
    "  type TEXT NOT NULL CHECK (type IN ('invoke', 'ok', 'fail', 'info')),\n"
    "  f TEXT NOT NULL,\n"
    "  key TEXT,\n"
    "  value TEXT,\n"
    "  result TEXT,\n"
    "  node INTEGER,\n"
    "  invoke_step INTEGER NOT NULL,\n"
    "  complete_step INTEGER,\n"
    "  invoke_ns INTEGER NOT NULL,\n"
    "  complete_ns INTEGER,\n"
    "  PRIMARY KEY (run_id, op_id)\n"
    ") WITHOUT ROWID;\n"
    /* -- end of clients */
    /* -- keyed decisions (digest epoch 2): the digest epoch a run was recorded with, and
     * the epoch a sweep runs its seeds in.  A digest is comparable only within one
     * epoch: replay refuses a run of another epoch, and a sweep resumes only a sweep of
     * its own epoch, so that no seed of an older epoch counts as done.  Every row
     * written before v3 was epoch 1 (the first round). */
    "ALTER TABLE runs ADD COLUMN digest_epoch INTEGER NOT NULL DEFAULT 1;\n"
    "ALTER TABLE sweeps ADD COLUMN digest_epoch INTEGER NOT NULL DEFAULT 1;\n"
    /* A message's identity, the key of its decisions and of a schedule's message entries
     * (docs/faults.md): its index among the original sends on (src, dst), and its copy
     * number (0: the original).  NULL in rows written before v3. */
    "ALTER TABLE messages ADD COLUMN nth INTEGER;\n"
    "ALTER TABLE messages ADD COLUMN copy INTEGER;\n"
    /* -- end of keyed decisions */
    "";

/* v4: one step, made of independent blocks (one per change of that round), each
 * naming its change. */
static const char schema_v4[] =
    /* -- shrink (issue 13): one row per `faultline shrink`: the failing run it started
     * from, the recorded run of the minimal schedule it ended with (origin 'shrink',
     * parent_run the original), the check the candidates had to fail, the fault
     * decisions (schedule entries + message faults), workload ops and steps before and
     * after, the candidates executed, the wall time, and whether the result is proven
     * 1-minimal (0 when the budget ran out first). */
    "CREATE TABLE shrinks(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  original_run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  shrunk_run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  check_name TEXT,\n"
    "  keep TEXT NOT NULL CHECK (keep IN ('same_check', 'any_violation')),\n"
    "  decisions_before INTEGER NOT NULL,\n"
    "  decisions_after INTEGER NOT NULL,\n"
    "  ops_before INTEGER NOT NULL,\n"
    "  ops_after INTEGER NOT NULL,\n"
    "  steps_before INTEGER NOT NULL,\n"
    "  steps_after INTEGER NOT NULL,\n"
    "  candidates INTEGER NOT NULL,\n"
    "  wall_us INTEGER NOT NULL,\n"
    "  minimal INTEGER NOT NULL,\n"
    "  schedule_json TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX shrinks_by_original ON shrinks(original_run);\n"
    /* -- end of shrink */
    "";

const char *const fl_db_migrations[FL_DB_SCHEMA_VERSION] = {
    schema_v1,
    schema_v2,
    schema_v3,
    schema_v4,
};
