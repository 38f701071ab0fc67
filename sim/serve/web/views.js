/*
 * views.js -- the web UI's other pages over one run or one sweep: the state of every
 * node at a step (what changed since the step before highlighted, the step's log lines
 * and sends), the clients' history as a Jepsen-style timeline, the sweep report with
 * small inline-SVG charts, and a shrunk run beside its original.
 */
'use strict';

(function () {
  /* ---- state at a step ---- */

  function parse(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return text;
    }
  }
  function short(v) {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  }

  /* A node's state as key/value rows, the keys whose value differs from before marked. */
  function stateTable(node, before, after) {
    const b = before ? parse(before.state) : null, a = after ? parse(after.state) : null;
    const card = FL.h('div', {class: 'node-state', 'data-node': node});
    const changedAt = after && before && after.since !== before.since;
    card.appendChild(FL.h('h3', {}, 'node ' + node, ' ', a === null ? FL.h('span', {class: 'chip o-crash'}, after ? 'down' : 'no state') : '',
      FL.h('span', {class: 'muted small'}, after ? ' (state since step ' + after.since + ')' : '')));
    if (a === null || typeof a !== 'object') return card;
    const rows = [];
    for (const [k, v] of Object.entries(a)) {
      const was = b && typeof b === 'object' ? b[k] : undefined;
      const changed = changedAt && short(was) !== short(v);
      let cell;
      const text = short(v);
      if (Array.isArray(v) && text.length > 200) {
        cell = FL.h('details', {}, FL.h('summary', {}, '[' + v.length + ' items] … ' + short(v[v.length - 1])), FL.h('pre', {}, JSON.stringify(v, null, 1)));
      } else {
        cell = text;
      }
      rows.push(FL.h('tr', {class: changed ? 'changed' : null}, FL.h('th', {}, k), FL.h('td', {}, cell),
        FL.h('td', {class: 'was'}, changed ? 'was ' + (was === undefined ? '(absent)' : short(was).slice(0, 80)) : '')));
    }
    card.appendChild(FL.h('table', {class: 'kv'}, rows));
    return card;
  }

  FL.pages.state = async function (main, id) {
    const p = FL.params();
    const d = await FL.api('/api/run/' + id + '/state' + FL.qs({step: p.get('step')}));
    FL.clear(main);
    const go = (s) => { location.search = FL.qs({step: Math.max(0, Math.min(d.steps - 1, s))}); };
    const field = FL.h('input', {type: 'number', id: 'step', min: 0, max: d.steps - 1, value: d.step});
    const slider = FL.h('input', {type: 'range', id: 'step-slider', min: 0, max: d.steps - 1, value: d.step,
      on: {change: (e) => go(Number(e.target.value)), input: (e) => { field.value = e.target.value; }}});
    main.appendChild(FL.h('h1', {}, 'Run ' + id + ': state after step ' + d.step));
    main.appendChild(FL.h('form', {class: 'controls', on: {submit: (e) => { e.preventDefault(); go(Number(field.value)); }}},
      FL.h('button', {type: 'button', id: 'step-prev', on: {click: () => go(d.step - 1)}}, '← step'), ' ', field, ' ',
      FL.h('button', {type: 'submit'}, 'go'), ' ', FL.h('button', {type: 'button', id: 'step-next', on: {click: () => go(d.step + 1)}}, 'step →'), ' ',
      slider, ' ', FL.link('/diagram/' + id + FL.qs({from: Math.max(0, d.step - 100), to: d.step + 100, mark: d.step}), 'in the diagram')));
    const e = d.event;
    if (e) main.appendChild(FL.h('p', {class: 'event', id: 'step-event'}, '#' + e.step + ' ' + FL.secs(e.time_ns) + ' ', FL.h('b', {}, e.kind),
      e.node !== null ? ' node ' + e.node : '', e.peer !== null ? ' from ' + e.peer : '', e.detail ? ' ' + e.detail : '', e.body ? ' ' + e.body : ''));
    main.appendChild(FL.h('div', {class: 'states', id: 'states'}, d.nodes.map((n) => stateTable(n.node, n.before, n.after))));
    main.appendChild(FL.h('h2', {}, 'Log lines of this step'));
    main.appendChild(d.logs.length ? FL.h('pre', {class: 'logs', id: 'logs'}, d.logs.map((l) => '[' + l.level + '] node ' + l.node + ': ' + l.text).join('\n'))
      : FL.h('p', {class: 'muted', id: 'logs'}, 'none'));
    main.appendChild(FL.h('h2', {}, 'Sent at this step'));
    main.appendChild(d.sent.length ? FL.table(d.sent, [{key: 'msg_id'}, {key: 'src'}, {key: 'dst'}, {key: 'body'}, {key: 'fate'},
      {key: 'fate_step', cell: (m) => m.fate_step === null ? '' : FL.link('/state/' + id + FL.qs({step: m.fate_step}), String(m.fate_step))}], {id: 'sent'})
      : FL.h('p', {class: 'muted'}, 'nothing'));
  };

  /* ---- history: a column per client process, an operation per bar ---- */

  FL.pages.history = async function (main, id) {
    const d = await FL.api('/api/run/' + id + '/history');
    FL.clear(main);
    main.appendChild(FL.h('h1', {}, 'Run ' + id + ': client history ', FL.chip(d.run.outcome)));
    if (d.metrics.length) main.appendChild(FL.h('p', {class: 'muted'}, d.metrics.map((m) => m.name + ' = ' + m.value).join(', ')));
    const cols = d.ops.columns, rows = d.ops.rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
    if (!rows.length) {
      main.appendChild(FL.h('p', {class: 'muted', id: 'no-history'}, 'This run has no client operations (scenarios with workload.model register or kv have them; docs/linearizability.md).'));
      return;
    }
    /* "after a linearizable prefix of 2 operations (op 1, op 2), op 3 (...) cannot be linearized" */
    const detail = d.run.detail || '';
    const culprit = (detail.match(/op (\d+) \([^)]*\) cannot be linearized/) || [])[1];
    const prefix = new Set(((detail.match(/operations \(([^)]*)\)/) || [])[1] || '').split(/, */).map((s) => Number(s.replace('op ', ''))).filter((x) => x));
    if (d.run.check === 'linearizability')
      main.appendChild(FL.h('p', {class: 'finding', id: 'lin-finding'}, FL.chip(d.run.outcome), ' ', detail));
    const procs = [...new Set(rows.map((r) => r.process))].sort((a, b) => a - b);
    const last = d.run.steps;
    const H = 600, COL = 140, LEFT = 60, TOP = 30;
    const y = (step) => TOP + (step === null ? last : step) / Math.max(1, last) * H;
    const svg = FL.s('svg', {width: LEFT + procs.length * COL + 20, height: TOP + H + 20, class: 'history', id: 'history'});
    procs.forEach((p, i) => svg.appendChild(FL.s('text', {x: LEFT + i * COL + COL / 2, y: 18, class: 'node-label'}, 'process ' + p)));
    for (let k = 0; k <= 10; k++)
      svg.appendChild(FL.s('text', {x: 4, y: y(last * k / 10) + 3, class: 'tick'}, '#' + Math.round(last * k / 10)));
    for (const r of rows) {
      const i = procs.indexOf(r.process);
      const y0 = y(r.invoke_step), y1 = Math.max(y0 + 14, y(r.complete_step));
      const cls = 'op t-' + r.type + (String(r.op_id) === culprit ? ' culprit' : '') + (prefix.has(r.op_id) ? ' prefix' : '');
      const text = r.f + (r.key !== null ? ' ' + r.key : '') + ' ' + (r.value !== null ? r.value : '') + (r.result !== null ? ' → ' + r.result : '');
      svg.appendChild(FL.s('a', {href: '/state/' + id + FL.qs({step: r.complete_step !== null ? r.complete_step : r.invoke_step})},
        FL.s('g', {class: cls, 'data-op': r.op_id},
          FL.s('rect', {x: LEFT + i * COL + 8, y: y0, width: COL - 16, height: y1 - y0, rx: 3}),
          FL.s('text', {x: LEFT + i * COL + 12, y: y0 + 11, class: 'op-text'}, 'op ' + r.op_id + ' ' + text.slice(0, 22)),
          FL.s('title', {}, 'op ' + r.op_id + ' process ' + r.process + ': ' + r.type + ' ' + text + ' (node ' + r.node + ', steps ' + r.invoke_step + '..' + (r.complete_step === null ? 'end' : r.complete_step) + ')'))));
    }
    main.appendChild(FL.h('p', {class: 'legend'}, FL.h('span', {class: 'lg t-ok'}, 'ok'), FL.h('span', {class: 'lg t-fail'}, 'fail'),
      FL.h('span', {class: 'lg t-info'}, 'info (timed out)'), FL.h('span', {class: 'lg t-invoke'}, 'outstanding'),
      culprit ? FL.h('span', {class: 'lg culprit'}, 'cannot be linearized') : '', prefix.size ? FL.h('span', {class: 'lg prefix'}, 'linearizable prefix') : ''));
    main.appendChild(FL.h('div', {class: 'scroll'}, svg));
    main.appendChild(FL.h('details', {}, FL.h('summary', {}, rows.length + ' operations'), FL.gridTable(d.ops)));
  };

  /* ---- sweep report ---- */

  /* A horizontal bar chart: items [{label, value, cls}]. */
  function bars(items, id, unit) {
    const max = Math.max(1, ...items.map((i) => i.value));
    const W = 420, RH = 18;
    const svg = FL.s('svg', {width: W, height: items.length * RH + 4, class: 'chart', id: id});
    items.forEach((it, k) => {
      svg.appendChild(FL.s('text', {x: 0, y: k * RH + 13, class: 'bar-label'}, String(it.label).slice(0, 22)));
      svg.appendChild(FL.s('rect', {x: 150, y: k * RH + 3, width: Math.max(1, (W - 220) * it.value / max), height: RH - 6, class: 'bar ' + (it.cls || '')}));
      svg.appendChild(FL.s('text', {x: 155 + (W - 220) * it.value / max, y: k * RH + 13, class: 'bar-value'}, String(it.value) + (unit || '')));
    });
    return svg;
  }

  FL.pages.sweep = async function (main, id) {
    const d = await FL.api('/api/sweep/' + id);
    const w = d.sweep;
    FL.clear(main);
    const failing = d.outcomes.filter((o) => o.outcome !== 'ok').reduce((a, o) => a + o.runs, 0);
    const total = d.outcomes.reduce((a, o) => a + o.runs, 0);
    main.appendChild(FL.h('h1', {}, 'Sweep ' + w.id + ': ', FL.h('span', {class: 'scenario'}, w.scenario)));
    main.appendChild(FL.h('p', {}, 'seeds ' + w.seeds_from + '..' + w.seeds_to + (w.shard ? ', shard ' + w.shard : '') + ', ' + w.status + ', ' + total + ' runs, ',
      FL.link('/runs' + FL.qs({sweep: id, failing: 1}), failing + ' failing', {id: 'sweep-failing'}), ' (', FL.link('/runs' + FL.qs({sweep: id}), 'all runs'), ')'));
    const grid = FL.h('div', {class: 'charts'});
    grid.appendChild(FL.h('div', {}, FL.h('h2', {}, 'Outcomes'), bars(d.outcomes.map((o) => ({label: o.outcome, value: o.runs, cls: 'o-' + o.outcome})), 'chart-outcomes')));
    grid.appendChild(FL.h('div', {}, FL.h('h2', {}, 'Violations by check'), d.violations.length
      ? bars(d.violations.map((v) => ({label: v.check, value: v.runs, cls: 'o-violation'})), 'chart-violations') : FL.h('p', {class: 'muted'}, 'none')));
    const pct = (a, b) => (b ? Math.round(100 * a / b) : 0);
    grid.appendChild(FL.h('div', {}, FL.h('h2', {}, 'Fault kinds present: failing vs passing runs'),
      FL.h('p', {class: 'muted small'}, 'share of runs in which at least one happened'),
      bars(d.faults.flatMap((f) => [{label: f.fault + ' failing', value: pct(f.failing_with, f.failing), cls: 'o-violation'},
        {label: f.fault + ' passing', value: pct(f.passing_with, f.passing), cls: 'o-ok'}]), 'chart-faults', '%')));
    grid.appendChild(FL.h('div', {}, FL.h('h2', {}, 'Time to failure'), histogram(d.fail_times)));
    main.appendChild(grid);
    main.appendChild(FL.h('h2', {}, 'Failing runs'));
    main.appendChild(FL.table(d.fail_times.slice(0, 200), [{key: 'id', cell: (r) => FL.link('/run/' + r.id, String(r.id))}, {key: 'seed'},
      {key: 'outcome', cell: (r) => FL.chip(r.outcome)}, {key: 'fail_time_ns', label: 'failed at', cell: (r) => FL.secs(r.fail_time_ns)}]));
  };

  function histogram(times) {
    if (!times.length) return FL.h('p', {class: 'muted'}, 'no failing run');
    const max = Math.max(...times.map((t) => t.fail_time_ns)), N = 20;
    const bins = new Array(N).fill(0);
    for (const t of times) bins[Math.min(N - 1, Math.floor(t.fail_time_ns / Math.max(1, max) * N))]++;
    const top = Math.max(...bins), W = 420, H = 120;
    const svg = FL.s('svg', {width: W, height: H + 20, class: 'chart', id: 'chart-ttf'});
    bins.forEach((b, i) => svg.appendChild(FL.s('rect', {x: i * W / N + 1, y: H - H * b / top, width: W / N - 2, height: H * b / top, class: 'bar o-violation'},
      FL.s('title', {}, b + ' runs failed in ' + (max * i / N / 1e9).toFixed(2) + '..' + (max * (i + 1) / N / 1e9).toFixed(2) + ' s'))));
    svg.appendChild(FL.s('text', {x: 0, y: H + 15, class: 'tick'}, '0 s'));
    svg.appendChild(FL.s('text', {x: W - 40, y: H + 15, class: 'tick'}, (max / 1e9).toFixed(2) + ' s'));
    return svg;
  }

  /* ---- shrink: the shrunk run beside its original ---- */

  function faultCounts(faults) {
    const c = {};
    for (const f of faults) if (f.took_effect) c[f.kind] = (c[f.kind] || 0) + 1;
    return Object.entries(c).map(([k, v]) => k + ' ' + v).join(', ') || 'none';
  }

  function column(d, role) {
    const r = d.run;
    return FL.h('div', {class: 'shrink-col', 'data-role': role}, FL.h('h2', {}, role + ': ', FL.link('/run/' + r.id, 'run ' + r.id)),
      FL.h('table', {class: 'kv'}, [['outcome', FL.chip(r.outcome)], ['check', r.check || ''], ['steps', r.steps], ['messages', r.msgs_sent],
        ['faults that happened', r.faults], ['by kind', faultCounts(d.faults)], ['schedule entries', d.faults.filter((f) => !['drop', 'duplicate', 'delay'].includes(f.kind)).length],
        ['diagram', r.recorded === 'all' ? FL.link('/diagram/' + r.id, 'open') : 'not recorded']].map(([k, v]) => FL.h('tr', {}, FL.h('th', {}, k), FL.h('td', {}, v)))));
  }

  FL.pages.shrink = async function (main, id) {
    const d = await FL.api('/api/run/' + id);
    FL.clear(main);
    let shrunk = null, original = null;
    if (d.run.origin === 'shrink' && d.run.parent_run !== null) {
      shrunk = d;
      original = await FL.api('/api/run/' + d.run.parent_run);
    } else {
      const child = d.related.filter((x) => x.relation === 'child' && x.origin === 'shrink').pop();
      original = d;
      if (child) shrunk = await FL.api('/api/run/' + child.id);
    }
    main.appendChild(FL.h('h1', {}, 'Shrink of run ' + original.run.id));
    if (!shrunk) {
      main.appendChild(FL.h('p', {class: 'muted', id: 'no-shrink'}, 'Run ' + id + ' has no shrunk run (a run with origin = \'shrink\' whose parent_run is ' + id + ').'));
      return;
    }
    main.appendChild(FL.h('div', {class: 'shrink', id: 'shrink'}, column(original, 'original'), column(shrunk, 'shrunk')));
  };
})();
