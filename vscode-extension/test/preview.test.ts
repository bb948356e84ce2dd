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
  assert.deepEqual(pv.layers(p), [['create'], ['mail', 'note']]);
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

test('a cycle does not hang the layout', () => {
  const p = pv.parsePreview({ graph: { nodes: [{ id: 'a' }, { id: 'b' }], edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }] } });
  assert.deepEqual(pv.layers(p).flat().sort(), ['a', 'b']);
  assert.match(pv.renderSvg(p), /<svg/);
});
