import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as pv from '../src/logic/preview';

const answer = {
  available: true,
  mermaid: 'graph TD\n  create --> mail',
  graph: {
    nodes: [
      { id: 'create', label: 'create invoice', service: 'billing', method: 'POST', path: '/invoice', location: { file: 'services/billing/src/main.rs', span: { start: { offset: 1, line: 52, col: 13 }, end: { offset: 2, line: 52, col: 20 } } } },
      { id: 'mail', label: 'send <mail>', service: 'mailer', method: 'POST', path: '/send', location: { file: 'services/mailer/src/main.rs', line: 20, col: 4 } },
      { id: 'note', label: 'note' },
      { id: 'create', label: 'duplicate' },
    ],
    edges: [
      { from: 'create', to: 'mail', label: 'on_success' },
      { source: 'create', target: 'note', on: 'on_failure' },
      { from: 'create', to: 'ghost' },
    ],
  },
};

test('the preview answer is read tolerantly: duplicate nodes and dangling edges dropped', () => {
  const p = pv.parsePreview(answer);
  assert.equal(p.available, true);
  assert.deepEqual(p.nodes.map((n) => n.id), ['create', 'mail', 'note']);
  assert.equal(p.nodes[0].entry, 'billing POST /invoice');
  assert.deepEqual(p.nodes[0].location, { file: 'services/billing/src/main.rs', line: 52, col: 13 });
  assert.deepEqual(p.edges, [
    { from: 'create', to: 'mail', label: 'on_success' },
    { from: 'create', to: 'note', label: 'on_failure' },
  ]);
  const l = pv.layout(p);
  assert.ok(l.nodes.get('create')!.y < l.nodes.get('mail')!.y && l.nodes.get('mail')!.y === l.nodes.get('note')!.y, 'create above mail and note');
});

test('the last runs are watched where the server says they are, and nowhere when it says nothing', () => {
  const caps = (coworks: unknown) => ({ codeLensProvider: {}, experimental: { coworks } });
  assert.equal(pv.lastRunsGlob(caps({ lastRunsGlob: '**/runs/*.json', customRequests: [] })), '**/runs/*.json');
  for (const silent of [caps({ customRequests: [] }), caps({ lastRunsGlob: 7 }), caps({ lastRunsGlob: '' }), caps(null), { experimental: null }, {}, undefined, null]) {
    assert.equal(pv.lastRunsGlob(silent), undefined, JSON.stringify(silent));
  }
});

test('"no workflows" from the server is shown as its message', () => {
  const p = pv.parsePreview({ uri: 'file:///w.cws.yml', available: false, message: 'no workflows: not analysed yet', mermaid: null, graph: null });
  assert.equal(p.available, false);
  const html = pv.renderHtml(p, 'w.cws.yml', 'N0NCE', 'vscode-resource:');
  assert.match(html, /no workflows: not analysed yet/);
  assert.doesNotMatch(html, /<svg/);
});

test('the page draws every task, escapes labels, and loads nothing from the network', () => {
  const p = pv.parsePreview(answer);
  const html = pv.renderHtml(p, 'invoicing.cws.yml', 'N0NCE', 'vscode-resource:');
  assert.match(html, /default-src 'none'/);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no URL but the SVG namespace');
  assert.equal((html.match(/<g class="node/g) ?? []).length, 3);
  assert.equal((html.match(/class="node link"/g) ?? []).length, 2, 'only tasks with an entry location are links');
  assert.match(html, /send &lt;mail&gt;/);
  assert.match(html, /<script nonce="N0NCE">/);
  assert.match(html, /graph TD/);
});

test('a click on a task opens its entry; other messages are ignored with a reason', () => {
  const p = pv.parsePreview(answer);
  assert.deepEqual(pv.handleMessage({ type: 'open', id: 'mail' }, p), { kind: 'open', file: 'services/mailer/src/main.rs', line: 20, col: 4 });
  assert.deepEqual(pv.handleMessage({ type: 'ready' }, p), { kind: 'ready' });
  assert.equal(pv.handleMessage({ type: 'open', id: 'note' }, p).kind, 'ignore');
  assert.equal(pv.handleMessage({ type: 'open', id: 'nope' }, p).kind, 'ignore');
  assert.equal(pv.handleMessage('garbage', p).kind, 'ignore');
  assert.equal(pv.handleMessage({ type: 'eval', code: 'x' }, p).kind, 'ignore');
});

/** The tasks whose box (shrunk by 1 px) a laid-out edge passes through, its own ends excepted. */
function crossings(l: pv.Layout): string[] {
  const out: string[] = [];
  for (const e of l.edges) {
    for (let i = 1; i < e.points.length; i++) {
      const [a, b] = [e.points[i - 1], e.points[i]];
      const steps = Math.ceil(Math.hypot(b.x - a.x, b.y - a.y));
      for (let k = 0; k <= steps; k++) {
        const [x, y] = [a.x + ((b.x - a.x) * k) / steps, a.y + ((b.y - a.y) * k) / steps];
        for (const [id, n] of l.nodes) {
          if (id === e.from || id === e.to) continue;
          if (Math.abs(x - n.x) < n.width / 2 - 1 && Math.abs(y - n.y) < n.height / 2 - 1) out.push(`${e.from}->${e.to} through ${id}`);
        }
      }
    }
  }
  return [...new Set(out)];
}

const graph = (edges: [string, string, string?][]) => {
  const ids = [...new Set(edges.flatMap(([a, b]) => [a, b]))];
  return pv.parsePreview({
    graph: {
      nodes: ids.map((id) => ({ id, service: 'billing', method: 'GET', path: `/${id}/{id}` })),
      edges: edges.map(([from, to, label]) => ({ from, to, label })),
    },
  });
};

test('an edge that skips a layer goes around the task between; boxes do not overlap', () => {
  for (const p of [
    graph([['a', 'b'], ['b', 'c'], ['a', 'c']]),
    graph([['a', 'b', 'on_success'], ['a', 'c', 'on_failure'], ['b', 'd'], ['c', 'd'], ['a', 'd'], ['a', 'e'], ['e', 'd', 'on_no_content']]),
  ]) {
    const l = pv.layout(p);
    assert.deepEqual(crossings(l), []);
    const boxes = [...l.nodes.values()];
    for (const [i, m] of boxes.entries()) {
      for (const n of boxes.slice(i + 1)) {
        assert.ok(Math.abs(m.x - n.x) >= (m.width + n.width) / 2 || Math.abs(m.y - n.y) >= (m.height + n.height) / 2, 'boxes apart');
      }
      assert.ok(m.x - m.width / 2 >= 0 && m.x + m.width / 2 <= l.width && m.y - m.height / 2 >= 0 && m.y + m.height / 2 <= l.height, 'inside the drawing');
    }
    for (const e of l.edges) {
      const [s, t] = [l.nodes.get(e.from)!, l.nodes.get(e.to)!];
      assert.deepEqual(e.points[0], { x: s.x, y: s.y + s.height / 2 }, 'leaves from the bottom of its task');
      assert.deepEqual(e.points.at(-1), { x: t.x, y: t.y - t.height / 2 }, 'arrives at the top of its task');
    }
  }
});

test('boxes are as wide as their text; the drawing shrinks to the panel and keeps its natural size', () => {
  const p = pv.parsePreview({ graph: { nodes: [{ id: 'mail_invoice', service: 'mailer', method: 'POST', path: '/template/{name}/with/a/rather/long/path' }], edges: [] } });
  const box = pv.layout(p).nodes.get('mail_invoice')!;
  assert.ok(box.width >= pv.textWidth('mailer POST /template/{name}/with/a/rather/long/path', 11));
  const html = pv.renderHtml(p, 'w.cws.yml', 'N0NCE', 'vscode-resource:');
  assert.match(html, /<svg [^>]*viewBox="0 0 \d+ \d+"/);
  assert.match(html, /svg \{ display: block; max-width: 100%; height: auto; \}/);
});

test('a cycle does not hang the layout', () => {
  const p = pv.parsePreview({ graph: { nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }, { from: 'c', to: 'c' }] } });
  const l = pv.layout(p);
  assert.deepEqual([...l.nodes.keys()].sort(), ['a', 'b', 'c']);
  assert.equal(l.edges.length, 3);
  assert.match(pv.renderSvg(p), /<svg/);
});

test('the last local run colours each task by its state', () => {
  const p = pv.parsePreview({
    ...answer,
    last_run: { stage: 'dev', run_id: 'local__1', state: 'failed', tasks: { create: 'failed', mail: 'upstream_failed', note: 'nonsense', ghost: 'success' } },
  });
  assert.deepEqual(p.nodes.map((n) => n.state), ['failed', 'upstream_failed', undefined]);
  assert.deepEqual(p.lastRun, { stage: 'dev', runId: 'local__1', state: 'failed' });
  const html = pv.renderHtml(p, 'w.cws.yml', 'n', 'csp');
  assert.match(html, /class="node link state-failed" data-id="create"/);
  assert.match(html, /class="node link state-upstream_failed" data-id="mail"/);
  assert.match(html, /class="node" data-id="note"/);
  assert.match(html, /Last run local__1 \(stage dev\): failed/);
  assert.equal(pv.parsePreview(answer).lastRun, undefined, 'no run, no colours');
  assert.ok(!pv.renderHtml(pv.parsePreview(answer), 'w', 'n', 'c').includes('Last run'));
});

test("the core's detail line (a wait, a fan-out, a Python function) is drawn with the entry", () => {
  const p = pv.parsePreview({
    graph: {
      nodes: [
        { id: 'each', service: 'catalog', method: 'PUT', path: '/product/{{ item.sku }}', detail: 'for each {{ conf.products }}' },
        { id: 'total', method: 'GET', detail: 'python restock.batch_total' },
      ],
      edges: [{ from: 'each', to: 'total' }],
    },
  });
  assert.equal(p.nodes[0].entry, 'catalog PUT /product/{{ item.sku }} · for each {{ conf.products }}');
  assert.equal(p.nodes[1].entry, 'python restock.batch_total', 'a Python task calls no entry');
});
