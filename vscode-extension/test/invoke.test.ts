import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as inv from '../src/logic/invoke';
import type { Invocation } from '../src/logic/lens';

const lens: Invocation = {
  action: { action: 'invoke', service: 'billing', method: 'GET', path: '/invoice/{id}', stage: 'dev' },
  argv: ['cws', 'invoke', '-s', 'dev', '--', 'billing', 'GET', '/invoice/{id}'],
  command: "cws invoke -s dev -- billing GET '/invoice/{id}'",
  cwd: '/p',
  production: false,
};

test('the filled path, query and body become the action sent back to the server', () => {
  assert.deepEqual(inv.filledAction(lens, { path: '/invoice/42', query: '', body: '' }), { ...lens.action, path: '/invoice/42', query: [] });
  assert.deepEqual(inv.filledAction(lens, { path: '/invoices', query: '?page=2&customer=&x=a b&y=1=2', body: '' }).query, [
    ['page', '2'],
    ['x', 'a b'],
    ['y', '1=2'],
  ]);
  assert.equal(inv.filledAction(lens, { path: '/invoice', query: '', body: '{ "customer": "ACME",\n "amount": 12 }' }).json, '{"customer":"ACME","amount":12}');
  assert.equal(inv.filledAction({ ...lens, action: { ...lens.action, json: '{}' } }, { path: '/', query: '', body: '' }).json, undefined);
});

test('path parameters must be filled and the body must be JSON', () => {
  assert.deepEqual(inv.templateParams('/users/{id}/orders/{order}'), ['id', 'order']);
  assert.equal(inv.checkPath('/invoice/{id}'), 'fill in {id}');
  assert.equal(inv.checkPath('/invoice/42'), undefined);
  assert.equal(inv.checkPath('invoice'), 'the path must start with /');
  assert.equal(inv.checkBody(''), undefined);
  assert.equal(inv.checkBody('{"a": 1}'), undefined);
  assert.match(inv.checkBody('{a: 1}')!, /not JSON/);
  assert.equal(inv.queryTemplate(['page', 'customer']), 'page=&customer=');
});

test('the reply shows the command line, the output and how it ended', () => {
  const line = 'cws invoke -s dev -- billing GET /health';
  assert.equal(inv.formatReply(line, '200 OK\nok\n', '', 0), `$ ${line}\n200 OK\nok\n[done]\n`);
  assert.equal(inv.formatReply(line, '', 'connection refused\n', 1), `$ ${line}\nconnection refused\n[exit code 1]\n`);
});
