/*
 * app.js -- the web UI's shared code and its pages over many runs: the router (the
 * path names the page, the query string holds its view state, so a link shows the same
 * picture), DOM helpers, the runs page, the run page and the SQL box.
 *
 * Every string from the database reaches the page through textContent or an attribute
 * set with setAttribute, never through innerHTML: a scenario named
 * <script>alert(1)</script> is shown as those characters.  The server's
 * Content-Security-Policy (default-src 'self') forbids inline script and style anyway.
 */
'use strict';

const FL = {};

/* h('a', {href: '/x', class: 'c'}, 'text', child...): an element; strings become text. */
FL.h = function (tag, attrs, ...kids) {
  const e = document.createElement(tag);
  FL.fill(e, attrs, kids);
  return e;
};
const SVGNS = 'http://www.w3.org/2000/svg';
FL.s = function (tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  FL.fill(e, attrs, kids);
  return e;
};
FL.fill = function (e, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, String(v));
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
  }
};
FL.clear = function (e) {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
};

/* GET /api/...: the parsed JSON, or throws an Error with the server's message. */
FL.api = async function (path) {
  const r = await fetch(path, {headers: {Accept: 'application/json'}});
  let body = null;
  try {
    body = await r.json();
  } catch (e) {
    throw new Error(path + ': not JSON (HTTP ' + r.status + ')');
  }
  if (!r.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + r.status);
  return body;
};

FL.params = () => new URLSearchParams(location.search);
/* Replace the query string (view state) without reloading. */
FL.setParams = function (obj) {
  const p = FL.params();
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined || v === '') p.delete(k);
    else p.set(k, String(v));
  }
  const qs = p.toString();
  history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
};
FL.qs = function (obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
};

FL.secs = (ns) => (ns === null || ns === undefined ? '' : (ns / 1e9).toFixed(6) + 's');
FL.ms = (ns) => (ns === null || ns === undefined ? '' : (ns / 1e6).toFixed(3) + ' ms');
FL.chip = (outcome) => FL.h('span', {class: 'chip o-' + String(outcome).replace(/[^a-z]/g, '')}, outcome);
FL.error = function (main, err) {
  FL.clear(main).appendChild(FL.h('p', {class: 'error', id: 'error'}, String(err.message || err)));
};
FL.link = (href, text, attrs) => FL.h('a', Object.assign({href: href}, attrs || {}), text);

/* A table from rows (objects) and columns [{key, label, cell(row) -> node|string}]. */
FL.table = function (rows, cols, attrs) {
  const head = FL.h('tr', {}, cols.map((c) => FL.h('th', c.th || {}, c.label || c.key)));
  const body = rows.map((r) =>
    FL.h('tr', {}, cols.map((c) => {
      const v = c.cell ? c.cell(r) : r[c.key];
      return FL.h('td', {class: typeof r[c.key] === 'number' ? 'num' : null}, v === null ? '' : v);
    })));
  return FL.h('table', attrs || {}, FL.h('thead', {}, head), FL.h('tbody', {}, body));
};

/* A table of an SQL-like result {columns, rows}. */
FL.gridTable = function (res, attrs) {
  const head = FL.h('tr', {}, res.columns.map((c) => FL.h('th', {}, c)));
  const body = res.rows.map((r) =>
    FL.h('tr', {}, r.map((v) => FL.h('td', {class: typeof v === 'number' ? 'num' : null},
      v === null ? FL.h('span', {class: 'null'}, 'NULL') : String(v)))));
  return FL.h('table', attrs || {}, FL.h('thead', {}, head), FL.h('tbody', {}, body));
};

FL.nav = function (run) {
  const nav = FL.clear(document.getElementById('nav'));
  nav.appendChild(FL.link('/runs', 'runs'));
  nav.appendChild(FL.link('/sql', 'SQL'));
  if (run) {
    nav.appendChild(FL.h('span', {class: 'sep'}, '|'));
    for (const [p, t] of [['run', 'run ' + run], ['diagram', 'diagram'], ['state', 'state'],
      ['history', 'history'], ['shrink', 'shrink']])
      nav.appendChild(FL.link('/' + p + '/' + run, t, {class: location.pathname === '/' + p + '/' + run ? 'on' : null}));
  }
};

FL.pages = {};

/* ---- runs ---- */

const RUN_FILTERS = ['scenario', 'outcome', 'check', 'sweep', 'origin', 'failing', 'recorded'];

FL.pages.runs = async function (main) {
  const p = FL.params();
  const q = {};
  for (const k of RUN_FILTERS.concat(['sort', 'order', 'limit', 'offset'])) if (p.get(k) !== null) q[k] = p.get(k);
  const [data, meta] = await Promise.all([FL.api('/api/runs' + FL.qs(q)), FL.api('/api/meta')]);
  FL.clear(main);
  main.appendChild(FL.h('h1', {}, 'Runs ', FL.h('span', {class: 'muted', id: 'run-total'}, String(data.total))));
  main.appendChild(sweepList(meta.sweeps));
  const active = RUN_FILTERS.filter((k) => q[k] !== undefined);
  const chips = FL.h('div', {class: 'filters'}, active.length ? 'filters: ' : '',
    active.map((k) => FL.link('/runs' + FL.qs(Object.assign({}, q, {[k]: null, offset: null})),
      k + ' = ' + q[k] + ' ×', {class: 'filter'})));
  main.appendChild(chips);
  const layout = FL.h('div', {class: 'with-side'});
  layout.appendChild(facetList(data.facets, q));
  const right = FL.h('div', {class: 'grow'});
  right.appendChild(FL.h('p', {class: 'exports'}, 'this page as ',
    FL.link('/api/runs.json' + FL.qs(q), '.json', {id: 'runs-json'}), ' ',
    FL.link('/api/runs.csv' + FL.qs(q), '.csv', {id: 'runs-csv'})));
  right.appendChild(runsTable(data.runs, q));
  right.appendChild(pager(data, q));
  layout.appendChild(right);
  main.appendChild(layout);
};

function sweepList(sweeps) {
  if (!sweeps.length) return FL.h('div');
  return FL.h('div', {class: 'sweeps'}, FL.h('h2', {}, 'Sweeps'), FL.table(sweeps, [
    {key: 'id', cell: (w) => FL.link('/sweep/' + w.id, 'sweep ' + w.id)},
    {key: 'scenario'},
    {key: 'seeds', cell: (w) => w.seeds_from + '..' + w.seeds_to + (w.shard ? ' (shard ' + w.shard + ')' : '')},
    {key: 'status'}, {key: 'runs'},
    {key: 'failing', cell: (w) => w.failing ? FL.link('/runs' + FL.qs({sweep: w.id, failing: 1}), w.failing + ' failing') : '0'},
  ]));
}

function facetList(facets, q) {
  const side = FL.h('aside', {class: 'facets'});
  for (const [name, values] of Object.entries(facets)) {
    side.appendChild(FL.h('h3', {}, name));
    side.appendChild(FL.h('ul', {}, values.map((v) => {
      const val = v.value === null ? '' : String(v.value);
      const on = q[name] === val;
      const label = name === 'outcome' ? FL.chip(val) : (val === '' ? '(none)' : val);
      const href = '/runs' + FL.qs(Object.assign({}, q, {[name]: on ? null : val, offset: null}));
      return FL.h('li', {class: on ? 'on' : null}, val === '' && name === 'sweep' ? label : FL.link(href, label), ' ', FL.h('span', {class: 'muted'}, String(v.n)));
    })));
  }
  return side;
}

function runsTable(runs, q) {
  const sortable = ['id', 'scenario', 'seed', 'outcome', 'steps', 'faults', 'fail_step', 'msgs_dropped'];
  const cols = [
    {key: 'id', cell: (r) => FL.link('/run/' + r.id, String(r.id))},
    {key: 'scenario', cell: (r) => FL.h('span', {class: 'scenario'}, r.scenario)},
    {key: 'seed'},
    {key: 'outcome', cell: (r) => FL.chip(r.outcome)},
    {key: 'check'}, {key: 'fail_step'}, {key: 'steps'}, {key: 'msgs_dropped', label: 'dropped'},
    {key: 'faults'}, {key: 'origin'}, {key: 'recorded'},
    {key: 'links', cell: (r) => r.recorded === 'all' ? FL.link('/diagram/' + r.id, 'diagram') : ''},
  ];
  const t = FL.table(runs, cols, {class: 'runs', id: 'runs'});
  /* header links sort by that column (a second click reverses) */
  t.querySelectorAll('th').forEach((th, i) => {
    const key = cols[i].key;
    if (!sortable.includes(key)) return;
    const order = q.sort === key && q.order !== 'desc' ? 'desc' : 'asc';
    const text = th.textContent;
    FL.clear(th).appendChild(FL.link('/runs' + FL.qs(Object.assign({}, q, {sort: key, order: order})), text + (q.sort === key ? (q.order === 'desc' ? ' ▼' : ' ▲') : '')));
  });
  return t;
}

function pager(data, q) {
  const p = FL.h('p', {class: 'pager'});
  const off = data.offset, lim = data.limit;
  if (off > 0) p.appendChild(FL.link('/runs' + FL.qs(Object.assign({}, q, {offset: Math.max(0, off - lim)})), '← previous'));
  p.appendChild(document.createTextNode(' ' + (data.total ? off + 1 : 0) + '–' + Math.min(off + lim, data.total) + ' of ' + data.total + ' '));
  if (off + lim < data.total) p.appendChild(FL.link('/runs' + FL.qs(Object.assign({}, q, {offset: off + lim})), 'next →'));
  return p;
}

/* ---- one run ---- */

FL.pages.run = async function (main, id) {
  const diagram = FL.diagramData(id); /* both at once: the diagram does not wait */
  diagram.catch(() => {});
  const d = await FL.api('/api/run/' + id);
  const r = d.run;
  FL.clear(main);
  main.appendChild(FL.h('h1', {}, 'Run ' + r.id + ' ', FL.chip(r.outcome), ' ',
    FL.h('span', {class: 'scenario', id: 'scenario-name'}, r.scenario), FL.h('span', {class: 'muted'}, ' seed ' + r.seed)));
  main.appendChild(findings(d));
  main.appendChild(FL.h('h2', {}, 'Faults over time'));
  main.appendChild(FL.faultStrip(d.faults, r.sim_time_ns, id));
  if (d.message_faults.length)
    main.appendChild(FL.h('p', {class: 'muted small'}, 'per-message faults: ' + d.message_faults.map((f) => f.kind + ' ' + f.n).join(', ')));
  /* did they bite (docs/faults.md): crashes that lost unsynced writes, partitions that cut messages */
  const metric = (name) => (d.metrics.find((m) => m.name === name) || {}).value;
  const bites = [['faults.crash.with_lost_writes', 'crashes that lost unsynced writes'],
    ['faults.partition.with_cut_messages', 'partitions that cut messages']].filter(([m]) => metric(m) !== undefined);
  if (bites.length)
    main.appendChild(FL.h('p', {class: 'small', id: 'bites'}, 'what bit: ' + bites.map(([m, t]) => t + ' ' + metric(m)).join(', ')));
  const summary = [
    ['protocol', r.protocol], ['nodes', r.nodes], ['steps', r.steps], ['simulated', FL.secs(r.sim_time_ns)],
    ['messages', r.msgs_sent + ' sent, ' + r.msgs_delivered + ' delivered, ' + r.msgs_dropped + ' dropped'],
    ['recorded rows', d.counts.events + ' events, ' + d.counts.messages + ' messages (' + d.counts.duplicates + ' duplicates, ' + d.counts.in_flight + ' in flight), ' + d.counts.logs + ' log lines'],
    ['faults that happened', r.faults], ['digest', r.digest], ['recorded', r.recorded], ['origin', r.origin],
    ['sweep', r.sweep ? FL.link('/sweep/' + r.sweep, 'sweep ' + r.sweep) : ''],
  ];
  main.appendChild(FL.h('table', {class: 'kv', id: 'summary'}, summary.map(([k, v]) => FL.h('tr', {}, FL.h('th', {}, k), FL.h('td', {}, v)))));
  if (d.related.length) {
    main.appendChild(FL.h('h2', {}, 'Related runs'));
    main.appendChild(FL.table(d.related, [
      {key: 'id', cell: (x) => FL.link('/run/' + x.id, String(x.id))}, {key: 'relation'}, {key: 'origin'},
      {key: 'outcome', cell: (x) => FL.chip(x.outcome)}, {key: 'steps'}, {key: 'faults'},
      {key: 'compare', cell: (x) => x.origin === 'shrink' || r.origin === 'shrink' ? FL.link('/shrink/' + (x.origin === 'shrink' ? x.id : r.id), 'side by side') : ''},
    ]));
  }
  if (r.recorded === 'all' && r.steps > 0) {
    main.appendChild(FL.h('h2', {}, 'Space-time diagram ', FL.link('/diagram/' + id + location.search, 'open', {class: 'small'})));
    const box = FL.h('div', {id: 'diagram-box'});
    main.appendChild(box);
    await FL.diagram(box, id, diagram);
  } else {
    main.appendChild(FL.h('p', {class: 'muted'}, 'This run is not recorded in full (recorded = ' + r.recorded + '): record it with `faultline replay DB ' + id + ' --record`.'));
  }
  main.appendChild(FL.h('details', {}, FL.h('summary', {}, 'metrics (' + d.metrics.length + ')'), FL.table(d.metrics, [{key: 'name'}, {key: 'value'}])));
  main.appendChild(FL.h('details', {}, FL.h('summary', {}, 'scenario'), FL.h('pre', {}, r.scenario_json)));
};

function findings(d) {
  const r = d.run;
  const box = FL.h('div', {class: 'findings', id: 'findings'});
  if (r.outcome === 'ok') {
    box.appendChild(FL.h('p', {class: 'ok'}, 'No finding: every invariant held' + (r.detail ? ' (' + r.detail + ')' : '') + '.'));
  } else {
    const at = r.fail_step !== null ? r.fail_step : null;
    box.appendChild(FL.h('p', {class: 'finding'}, FL.chip(r.outcome), ' ', FL.h('b', {}, r.check || ''), ' ', r.detail || '',
      at !== null ? [' at step ', FL.link('/diagram/' + r.id + FL.qs({from: Math.max(0, at - 150), to: at + 50, mark: at}), String(at), {class: 'finding-link'}),
        ' (', FL.secs(r.fail_time_ns), ') — ', FL.link('/state/' + r.id + FL.qs({step: at}), 'states at that step')] : ''));
  }
  const lin = d.metrics.filter((m) => m.name.startsWith('lin.') || m.name.startsWith('clients.'));
  if (d.history_ops && d.history_ops.n > 0)
    box.appendChild(FL.h('p', {}, 'Clients: ' + d.history_ops.n + ' operations' +
      (lin.length ? ' (' + lin.map((m) => m.name + '=' + m.value).join(', ') + ')' : '') + ' — ', FL.link('/history/' + r.id, 'history timeline')));
  return box;
}

/* The fault schedule as a strip over simulated time: a mark per entry, hollow when it
 * was not reached or did nothing; partitions as bars until the next heal or partition. */
FL.faultStrip = function (faults, simNs, runId) {
  const W = 1000, H = 70, L = 110, R = 10;
  const x = (ns) => L + (W - L - R) * (simNs > 0 ? Math.min(1, ns / simNs) : 0);
  const rows = {partition: 12, heal: 12, crash: 30, restart: 30, timeout: 46, clock: 46};
  const svg = FL.s('svg', {viewBox: '0 0 ' + W + ' ' + H, class: 'strip', id: 'fault-strip', width: '100%'});
  svg.appendChild(FL.s('line', {x1: L, x2: W - R, y1: 60, y2: 60, class: 'axis'}));
  for (let i = 0; i <= 10; i++)
    svg.appendChild(FL.s('text', {x: x(simNs * i / 10), y: 69, class: 'tick' + (i === 10 ? ' last' : '')}, (simNs * i / 10 / 1e9).toFixed(1) + 's'));
  const sched = faults.filter((f) => rows[f.kind] !== undefined);
  sched.forEach((f, i) => {
    if (f.kind !== 'partition') return;
    const next = sched.slice(i + 1).find((g) => g.kind === 'partition' || g.kind === 'heal');
    const end = next ? next.at_ns : simNs;
    svg.appendChild(FL.s('rect', {x: x(f.at_ns), y: 6, width: Math.max(1, x(end) - x(f.at_ns)), height: 12, class: 'part-bar' + (f.took_effect ? '' : ' missed')},
      FL.s('title', {}, f.spec)));
  });
  for (const f of faults) {
    if (rows[f.kind] === undefined) continue;
    const missed = f.reached === 0 || f.took_effect === 0;
    const a = FL.s('a', {href: '/diagram/' + runId + FL.qs({t: f.at_ns})},
      FL.s('circle', {cx: x(f.at_ns), cy: rows[f.kind], r: 4, class: 'fault f-' + f.kind + (missed ? ' missed' : '')},
        FL.s('title', {}, FL.secs(f.at_ns) + ' ' + f.spec + (missed ? (f.reached === 0 ? ' (not reached)' : ' (did nothing)') : ''))));
    svg.appendChild(a);
  }
  for (const [k, y] of [['partition', 15], ['crash / restart', 33], ['timeout / clock', 49]])
    svg.appendChild(FL.s('text', {x: 2, y: y, class: 'strip-label'}, k));
  return FL.h('div', {class: 'strip-box'}, svg, FL.h('p', {class: 'muted small'}, sched.length + ' scheduled entries; hollow: not reached or did nothing; click one for the diagram at that time.'));
};

/* ---- SQL ---- */

FL.pages.sql = async function (main) {
  const q = FL.params().get('q') || 'SELECT outcome, n FROM outcome_counts ORDER BY n DESC';
  FL.clear(main);
  main.appendChild(FL.h('h1', {}, 'SQL'));
  const ta = FL.h('textarea', {id: 'sql', rows: 6, cols: 100, spellcheck: 'false'});
  ta.value = q;
  const form = FL.h('form', {id: 'sql-form', on: {submit: (e) => { e.preventDefault(); location.search = FL.qs({q: ta.value}); }}},
    ta, FL.h('br'), FL.h('button', {type: 'submit'}, 'Run'), ' ',
    FL.h('span', {class: 'muted'}, 'one read-only statement; the database is opened read-only, with a time limit per query and a row cap. Tables: docs/sql.md.'));
  main.appendChild(form);
  const out = FL.h('div', {id: 'sql-result'});
  main.appendChild(out);
  if (!FL.params().get('q')) return;
  out.appendChild(FL.h('p', {class: 'exports'}, 'as ', FL.link('/api/sql.json' + FL.qs({q: q}), '.json'), ' ', FL.link('/api/sql.csv' + FL.qs({q: q}), '.csv')));
  try {
    const res = await FL.api('/api/sql' + FL.qs({q: q}));
    out.appendChild(FL.h('p', {class: 'muted', id: 'sql-count'}, res.rows.length + ' rows' + (res.truncated ? ' (cut at the cap of ' + res.cap + ')' : '')));
    out.appendChild(FL.gridTable(res, {id: 'sql-table'}));
  } catch (e) {
    out.appendChild(FL.h('p', {class: 'error', id: 'sql-error'}, e.message));
  }
};

/* ---- router ---- */

async function route() {
  const main = document.getElementById('main');
  const parts = location.pathname.split('/').filter((x) => x);
  const page = parts[0] || 'runs';
  const id = parts[1] ? Number(parts[1]) : null;
  const runPages = ['run', 'diagram', 'state', 'history', 'shrink'];
  FL.nav(runPages.includes(page) ? id : null);
  /* the file's name for the header, fetched beside the page's own data */
  const meta = FL.api('/api/meta').then((m) => {
    document.getElementById('dbname').textContent = m.db;
    document.title = 'faultline: ' + page + (id !== null ? ' ' + id : '') + ' (' + m.db + ')';
  }).catch(() => {});
  try {
    const fn = FL.pages[page];
    if (!fn) throw new Error('no such page');
    await fn(main, id);
  } catch (e) {
    FL.error(main, e);
  }
  await meta;
  document.body.setAttribute('data-ready', '1');
}

document.addEventListener('DOMContentLoaded', route);
