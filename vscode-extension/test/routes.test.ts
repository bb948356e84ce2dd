import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as rt from '../src/logic/routes';

const loc = (file: string, line: number, col: number): rt.CoreLocation => ({
  file,
  span: { start: { offset: 0, line, col }, end: { offset: 0, line, col: col + 3 } },
});

const answer = {
  stage: null,
  services: [
    {
      name: 'catalog',
      entries: [
        { rust_name: 'get_products', route: { method: 'GET', path: '/products' }, params: [{ name: 'page', type: 'Option<u32>', source: 'query' }], auth: 'token', stages: [], is_async: false, docs: 'Products.\n\nMore.', location: loc('services/catalog/src/main.rs', 9, 13) },
      ],
    },
    {
      name: 'billing',
      entries: [
        { rust_name: 'post_invoice', route: { method: 'POST', path: '/invoice' }, params: [{ name: 'new', type: 'NewInvoice', source: 'body' }], auth: 'token', stages: [], is_async: true, docs: null, location: loc('services/billing/src/main.rs', 52, 13) },
        { rust_name: 'get_debug', route: { method: 'GET', path: '/debug' }, params: [], auth: 'none', stages: ['dev'], is_async: false, location: loc('services/billing/src/main.rs', 80, 7) },
      ],
    },
  ],
};

test('every route becomes an item, sorted by service and path, with what the hover would say', () => {
  const parsed = rt.parseRoutes(answer);
  assert.notEqual(typeof parsed, 'string');
  const items = rt.routeItems(parsed as rt.RoutesAnswer);
  assert.deepEqual(items.map((i) => i.label), ['GET /debug', 'POST /invoice', 'GET /products?page=']);
  assert.equal(items[0].description, 'billing · get_debug · no auth · stages: dev');
  assert.equal(items[1].description, 'billing · post_invoice · async');
  assert.equal(items[2].detail, 'Products. — services/catalog/src/main.rs:10');
  assert.deepEqual(items[2].location.span.start, { offset: 0, line: 9, col: 13 });
});

test('a malformed answer is refused with a message', () => {
  assert.match(rt.parseRoutes(null) as string, /no `services`/);
  assert.match(rt.parseRoutes({ services: [{ name: 'x', entries: [{ route: {} }] }] }) as string, /entry of x/);
});

test('columns in characters become UTF-16 columns; files resolve against the project root', () => {
  assert.equal(rt.utf16Col('fn get(&self)', 3), 3);
  assert.equal(rt.utf16Col('/// 😀 é fn x', 6), 7, 'the emoji is two UTF-16 units');
  assert.equal(rt.utf16Col('ab', 5), 5);
  assert.equal(rt.resolveFile('/p/eshop/', 'services/a.rs'), '/p/eshop/services/a.rs');
  assert.equal(rt.resolveFile('/p', '/abs/a.rs'), '/abs/a.rs');
});
