/*
 * diagram.js -- the space-time diagram of a run: a vertical line per node, time (or
 * step) going down, an arrow per message from its send to its delivery.
 *
 *   delivered   a solid arrow (class msg delivered)
 *   dropped     an arrow that stops short, ending in a cross, with the reason (class drop)
 *   duplicate   a dashed arrow (a copy the network made: messages.copy > 0)
 *   in flight   a dotted arrow to the window's bottom edge (still in the network at the end)
 * A crashed node's line is broken from its crash to its restart; partitions shade each
 * node's column by its group while they are up.  The drawing is one window of steps
 * fetched from /api/run/N/diagram (at most a few thousand elements); the window, the y
 * axis and the selected message live in the query string, so a link shows the same
 * picture.  Clicking a message shows its body; clicking a step mark, its states.
 */
'use strict';

(function () {
  const COLW = 150, TOP = 40, LEFT = 90;
  const GROUP_CLASS = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];

  /* "partition(halves) {1} | {2,3} allow 0->1" -> [[1],[2,3]] */
  function groupsOf(detail) {
    const m = String(detail || '').match(/\{[0-9,]*\}/g) || [];
    return m.map((g) => g.slice(1, -1).split(',').filter((x) => x).map(Number));
  }

  /* The window the URL asks for (from, to, or t: a simulated time). */
  FL.diagramData = function (runId) {
    const p = FL.params();
    return FL.api('/api/run/' + runId + '/diagram' + FL.qs({from: p.get('from'), to: p.get('to'), t: p.get('t')}));
  };

  /* Fetch (or take the promise of) the window and draw it into box. */
  FL.diagram = async function (box, runId, pending) {
    const d = await (pending || FL.diagramData(runId));
    draw(box, runId, d);
    return d;
  };

  function controls(box, runId, d, yMode) {
    const w = d.window, span = w.to - w.from + 1, last = d.run.steps - 1;
    const go = (from, to) => {
      FL.setParams({from: Math.max(0, from), to: Math.min(last, to), t: null});
      FL.diagram(box, runId);
    };
    const from = FL.h('input', {type: 'number', id: 'win-from', min: 0, max: last, value: w.from, size: 8});
    const to = FL.h('input', {type: 'number', id: 'win-to', min: 0, max: last, value: w.to, size: 8});
    return FL.h('div', {class: 'controls'},
      FL.h('button', {type: 'button', id: 'win-prev', on: {click: () => go(w.from - span, w.from - 1)}}, '← earlier'), ' steps ',
      from, '–', to, ' ', FL.h('button', {type: 'button', on: {click: () => go(Number(from.value), Number(to.value))}}, 'show'), ' ',
      FL.h('button', {type: 'button', id: 'win-next', on: {click: () => go(w.to + 1, w.to + span)}}, 'later →'), ' of 0–' + last + '  y axis: ',
      FL.h('button', {type: 'button', id: 'y-toggle', on: {click: () => { FL.setParams({y: yMode === 'time' ? 'step' : 'time'}); draw(box, runId, d); }}},
        yMode === 'time' ? 'time (switch to step)' : 'step (switch to time)'));
  }

  /* y of a step or of a time, for the window's rows */
  function yScale(d, yMode) {
    const ev = d.events.rows;
    const from = d.window.from, to = d.window.to;
    const span = Math.max(1, to - from + 1);
    const px = Math.max(3, Math.min(16, 2400 / span));
    const height = span * px;
    if (yMode === 'step') {
      const byStep = (s) => TOP + (Math.min(Math.max(s, from - 0.5), to + 0.5) - from + 0.5) * px;
      return {height: height, step: byStep, at: (step) => byStep(step), px: px};
    }
    const t0 = ev.length ? ev[0][1] : 0, t1 = ev.length ? ev[ev.length - 1][1] : 1;
    const tspan = Math.max(1, t1 - t0);
    const byTime = (ns) => TOP + px / 2 + (Math.min(Math.max(ns, t0 - tspan * 0.01), t1 + tspan * 0.01) - t0) / tspan * (height - px);
    return {height: height, time: byTime, at: (step, ns) => byTime(ns), px: px, t0: t0, t1: t1};
  }

  function draw(box, runId, d) {
    const started = performance.now();
    const p = FL.params();
    const yMode = p.get('y') === 'step' ? 'step' : 'time';
    const mark = p.get('mark') !== null ? Number(p.get('mark')) : d.run.fail_step;
    const n = d.nodes, w = d.window;
    const Y = yScale(d, yMode);
    const x = (node) => LEFT + (node - 0.5) * COLW;
    const W = LEFT + n * COLW + 20, H = TOP + Y.height + 30;
    const svg = FL.s('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, class: 'diagram', id: 'diagram',
      'data-from': w.from, 'data-to': w.to, 'data-y': yMode});
    svg.appendChild(defs());
    const ev = d.events.rows; /* step, time_ns, kind, node, peer, msg_id, detail */
    const yOfStep = new Map(ev.map((e) => [e[0], Y.at(e[0], e[1])]));
    const yStep = (s, ns) => yOfStep.has(s) ? yOfStep.get(s) : Y.at(s, ns);
    const top = TOP, bottom = TOP + Y.height;
    partitions(svg, d, ev, n, x, yStep, top, bottom);
    nodeLines(svg, d, ev, n, x, yStep, top, bottom);
    axis(svg, ev, yStep, yMode, runId);
    const sel = p.get('msg') !== null ? Number(p.get('msg')) : null;
    const info = FL.h('div', {class: 'msg-info', id: 'msg-info'}, 'Click a message for its body, a step mark for every node\'s state.');
    messages(svg, d, x, yStep, Y, yMode, top, bottom, sel, (id) => showMessage(info, runId, id));
    events(svg, ev, x, yStep, runId);
    if (mark !== null && mark >= w.from && mark <= w.to && yOfStep.has(mark)) {
      const y = yOfStep.get(mark);
      svg.appendChild(FL.s('line', {x1: 4, x2: W - 4, y1: y, y2: y, class: 'finding-line', id: 'finding-mark'}));
      svg.appendChild(FL.s('text', {x: W - 6, y: y - 3, class: 'finding-text'}, 'step ' + mark + (mark === d.run.fail_step ? ': ' + d.run.outcome + ' ' + (d.run.check || '') : '')));
    }
    for (let i = 1; i <= n; i++) svg.appendChild(FL.s('text', {x: x(i), y: 20, class: 'node-label'}, 'node ' + i));
    FL.clear(box);
    const truncated = d.messages.truncated ? ' (messages cut at ' + d.messages.cap + ': narrow the window)' : '';
    box.appendChild(controls(box, runId, d, yMode));
    box.appendChild(FL.h('p', {class: 'muted small', id: 'diagram-counts'},
      ev.length + ' steps, ' + d.messages.rows.length + ' messages in this window' + truncated));
    box.appendChild(legend());
    box.appendChild(FL.h('div', {class: 'diagram-wrap'}, FL.h('div', {class: 'scroll'}, svg), info));
    if (sel !== null) showMessage(info, runId, sel);
    if (!document.getElementById('render-ms')) {
      /* the first render's time since navigation start, for the tests (docs/ui.md) */
      box.appendChild(FL.h('p', {class: 'muted small', id: 'render-ms', 'data-ms': performance.now().toFixed(1),
        'data-draw-ms': (performance.now() - started).toFixed(1)}, 'first render ' + performance.now().toFixed(0) + ' ms after navigation'));
    }
  }

  function defs() {
    const mk = (id, cls) => FL.s('marker', {id: id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
      FL.s('path', {d: 'M0,0 L10,5 L0,10 z', class: cls}));
    return FL.s('defs', {}, mk('arrow', 'arrowhead'), mk('arrow-dup', 'arrowhead dup'), mk('arrow-fly', 'arrowhead inflight'));
  }

  /* Shade each node's column by its group while a partition is up. */
  function partitions(svg, d, ev, n, x, yStep, top, bottom) {
    const spans = [];
    let cur = d.partition_at_start && d.partition_at_start.kind === 'partition' ? {y0: top, groups: groupsOf(d.partition_at_start.detail), detail: d.partition_at_start.detail} : null;
    for (const e of ev) {
      if (e[2] !== 'partition' && e[2] !== 'heal') continue;
      const y = yStep(e[0], e[1]);
      if (cur) spans.push(Object.assign(cur, {y1: y}));
      cur = e[2] === 'partition' ? {y0: y, groups: groupsOf(e[6]), detail: e[6]} : null;
    }
    if (cur) spans.push(Object.assign(cur, {y1: bottom}));
    for (const s of spans) {
      const g = FL.s('g', {class: 'partition'}, FL.s('title', {}, s.detail));
      s.groups.forEach((nodes, gi) => {
        for (const node of nodes) {
          if (node < 1 || node > n) continue;
          g.appendChild(FL.s('rect', {x: x(node) - COLW * 0.45, y: s.y0, width: COLW * 0.9, height: Math.max(1, s.y1 - s.y0), class: 'pgroup ' + GROUP_CLASS[gi % GROUP_CLASS.length]}));
        }
      });
      g.appendChild(FL.s('text', {x: 4, y: s.y0 + 10, class: 'part-text'}, s.detail.replace(/ allow.*/, '')));
      svg.appendChild(g);
    }
  }

  /* One group per node; its line broken while the node is down. */
  function nodeLines(svg, d, ev, n, x, yStep, top, bottom) {
    const down = new Map();
    for (const r of d.down_at_start) down.set(r.node, r.kind === 'crash');
    for (let node = 1; node <= n; node++) {
      const g = FL.s('g', {class: 'node-line', 'data-node': node});
      let y0 = down.get(node) ? null : top;
      for (const e of ev) {
        if (e[3] !== node || (e[2] !== 'crash' && e[2] !== 'start')) continue;
        const y = yStep(e[0], e[1]);
        if (e[2] === 'crash' && y0 !== null) {
          g.appendChild(FL.s('line', {x1: x(node), x2: x(node), y1: y0, y2: y, class: 'up'}));
          y0 = null;
          g.appendChild(FL.s('text', {x: x(node) + 6, y: y + 4, class: 'crash-text'}, '✕ crash'));
        } else if (e[2] === 'start') {
          if (y0 === null) g.appendChild(FL.s('text', {x: x(node) + 6, y: y + 4, class: 'restart-text'}, e[6] === 'boot' ? 'boot' : '▶ restart'));
          if (y0 === null) y0 = y;
        }
      }
      if (y0 !== null) g.appendChild(FL.s('line', {x1: x(node), x2: x(node), y1: y0, y2: bottom, class: 'up'}));
      svg.appendChild(g);
    }
  }

  function axis(svg, ev, yStep, yMode, runId) {
    const g = FL.s('g', {class: 'y-axis'});
    const every = Math.max(1, Math.ceil(ev.length / 60));
    ev.forEach((e, i) => {
      if (i % every !== 0) return;
      const y = yStep(e[0], e[1]);
      g.appendChild(FL.s('a', {href: '/state/' + runId + FL.qs({step: e[0]})},
        FL.s('text', {x: LEFT - 30, y: y + 3, class: 'tick'}, yMode === 'step' ? '#' + e[0] : (e[1] / 1e9).toFixed(4) + 's')));
    });
    svg.appendChild(g);
  }

  function messages(svg, d, x, yStep, Y, yMode, top, bottom, sel, onClick) {
    const rows = d.messages.rows; /* msg_id, src, dst, type, sent_step, sent_ns, deliver_ns, fate, fate_step, copy */
    const w = d.window;
    const g = FL.s('g', {class: 'messages'});
    for (const m of rows) {
      const [id, src, dst, type, sstep, sns, dns, fate, fstep, copy] = m;
      const y0 = sstep < w.from ? top : yStep(sstep, sns);
      const x0 = x(src), x1 = x(dst);
      let y1;
      if (fate === 'in_flight' || fstep === null || fstep > w.to) y1 = bottom;
      else if (fate === 'delivered') y1 = yStep(fstep, dns);
      else y1 = Math.max(y0 + Y.px * 0.6, yMode === 'step' ? yStep(fstep, dns) : Math.min(bottom, Y.time(dns)));
      const title = FL.s('title', {}, 'msg ' + id + ' ' + src + ' → ' + dst + ' ' + type + ': ' + fate + (copy > 0 ? ' (duplicate copy ' + copy + ')' : ''));
      const click = {click: () => onClick(id)};
      const cls = (copy > 0 ? ' dup' : '') + (sel === id ? ' selected' : '');
      if (fate.startsWith('dropped:')) {
        const f = 0.6, xe = x0 + (x1 - x0) * f, ye = y0 + (y1 - y0) * f;
        const reason = fate.slice(8);
        g.appendChild(FL.s('g', {class: 'drop r-' + reason + cls, 'data-msg': id, on: click}, title,
          FL.s('line', {x1: x0, y1: y0, x2: xe, y2: ye, class: 'shaft'}),
          FL.s('path', {d: 'M' + (xe - 5) + ',' + (ye - 5) + 'l10,10m0,-10l-10,10', class: 'cross'}),
          FL.s('text', {x: xe + 7, y: ye + 4, class: 'drop-text'}, reason)));
      } else {
        const kind = fate === 'delivered' ? 'delivered' : 'inflight';
        const marker = fate === 'delivered' ? (copy > 0 ? 'url(#arrow-dup)' : 'url(#arrow)') : 'url(#arrow-fly)';
        g.appendChild(FL.s('line', {x1: x0, y1: y0, x2: x1, y2: y1, class: 'msg ' + kind + cls, 'data-msg': id, 'marker-end': marker, on: click}, title));
      }
    }
    svg.appendChild(g);
  }

  /* Marks for the steps that are not deliveries: timers, client requests, timeouts... */
  function events(svg, ev, x, yStep, runId) {
    const g = FL.s('g', {class: 'events'});
    for (const e of ev) {
      const [step, ns, kind, node, , , detail] = e;
      if (kind === 'deliver' || node === null || kind === 'crash' || kind === 'start') continue;
      g.appendChild(FL.s('a', {href: '/state/' + runId + FL.qs({step: step})},
        FL.s('circle', {cx: x(node), cy: yStep(step, ns), r: kind === 'synced' ? 2 : 3.5, class: 'ev k-' + kind},
          FL.s('title', {}, '#' + step + ' ' + FL.secs(ns) + ' ' + kind + ' node ' + node + (detail ? ' ' + detail : '')))));
    }
    svg.appendChild(g);
  }

  function legend() {
    const item = (cls, text) => FL.h('span', {class: 'lg ' + cls}, text);
    return FL.h('p', {class: 'legend'}, item('l-del', '→ delivered'), item('l-drop', '✕ dropped (reason)'),
      item('l-dup', '⇢ duplicate'), item('l-fly', '⋯ in flight at the end'), item('l-crash', '┆ node down'), item('l-part', '▒ partition group'));
  }

  async function showMessage(info, runId, id) {
    FL.setParams({msg: id});
    try {
      const d = await FL.api('/api/run/' + runId + '/message/' + id);
      const m = d.message;
      FL.clear(info).appendChild(FL.h('div', {},
        FL.h('h3', {}, 'message ' + m.msg_id + ': ' + m.src + ' → ' + m.dst),
        FL.h('pre', {class: 'body', id: 'msg-body'}, m.body || ''),
        FL.h('p', {}, 'fate: ', FL.h('b', {}, m.fate), m.copy > 0 ? ' (duplicate copy ' + m.copy + ')' : ''),
        FL.h('p', {}, 'sent at step ', FL.link('/state/' + runId + FL.qs({step: m.sent_step}), String(m.sent_step)), ' (' + FL.secs(m.sent_ns) + '), ',
          m.fate_step !== null ? ['decided at step ', FL.link('/state/' + runId + FL.qs({step: m.fate_step}), String(m.fate_step))] : '',
          ' (delivery time ' + FL.secs(m.deliver_ns) + ')')));
    } catch (e) {
      FL.clear(info).appendChild(FL.h('p', {class: 'error'}, e.message));
    }
  }

  FL.pages.diagram = async function (main, id) {
    FL.clear(main);
    const head = FL.h('h1', {}, 'Run ' + id);
    const box = FL.h('div', {id: 'diagram-box'});
    main.appendChild(head);
    main.appendChild(box);
    const d = await FL.diagram(box, id);
    head.appendChild(document.createTextNode(' '));
    head.appendChild(FL.chip(d.run.outcome));
    head.appendChild(document.createTextNode(' '));
    head.appendChild(FL.h('span', {class: 'scenario', id: 'scenario-name'}, d.run.scenario));
    head.appendChild(FL.h('span', {class: 'muted'}, ' seed ' + d.run.seed + ', space-time diagram'));
  };
})();
