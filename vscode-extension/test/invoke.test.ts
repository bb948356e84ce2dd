import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as inv from '../src/logic/invoke';

const base = ['cws', 'invoke', 'billing', 'GET', '/invoice/{id}', '-s', 'dev'];

test('the edited path, query and body go on the cws invoke line', () => {
  assert.deepEqual(inv.invokeArgv(base, { path: '/invoice/42', query: '', body: '' }), ['cws', 'invoke', 'billing', 'GET', '/invoice/42', '-s', 'dev']);
  assert.deepEqual(inv.invokeArgv(['cws', 'invoke', 'billing', 'GET', '/invoices', '-s', 'dev'], { path: '/invoices', query: '?page=2&customer=&x=a b', body: '' }), [
    'cws', 'invoke', 'billing', 'GET', '/invoices', '-s', 'dev', '--query', 'page=2', '--query', 'x=a b',
  ]);
  assert.deepEqual(inv.invokeArgv(['cws', 'invoke', 'billing', 'POST', '/invoice', '-s', 'test'], { path: '/invoice', query: '', body: '{ "customer": "ACME",\n "amount": 12 }' }), [
    'cws', 'invoke', 'billing', 'POST', '/invoice', '-s', 'test', '--json', '{"customer":"ACME","amount":12}',
  ]);
  assert.deepEqual(inv.invokeArgv(['/opt/bin/cws', 'invoke', 'c', 'GET', '/', '-s', 'dev'], { path: '/', query: '', body: '' })[4], '/');
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
  assert.ok(inv.takesBody('post') && !inv.takesBody('GET'));
});

test('the reply shows the command line, the output and how it ended', () => {
  const argv = ['cws', 'invoke', 'billing', 'GET', '/health', '-s', 'dev'];
  assert.equal(inv.formatReply(argv, '200 OK\nok\n', '', 0), '$ cws invoke billing GET /health -s dev\n200 OK\nok\n[done]\n');
  assert.equal(inv.formatReply(argv, '', 'connection refused\n', 1), '$ cws invoke billing GET /health -s dev\nconnection refused\n[exit code 1]\n');
});
