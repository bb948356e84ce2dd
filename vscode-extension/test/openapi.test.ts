import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';

import * as oa from '../src/logic/openapi';
import type { RoutesAnswer } from '../src/logic/routes';

const routes: RoutesAnswer = {
  stage: 'dev',
  services: [
    { name: 'billing', crate_dir: 'services/billing', entries: [] },
    { name: 'catalog', crate_dir: 'services/catalog', entries: [] },
    { name: 'admin', crate_dir: 'services/catalog/admin', entries: [] },
    { name: 'mailer', entries: [] },
  ],
};

test('the service is the one whose crate holds the active file, the deepest when crates nest', () => {
  const root = path.resolve('/project');
  assert.equal(oa.serviceOfFile(routes, root, path.join(root, 'services/billing/src/main.rs')), 'billing');
  assert.equal(oa.serviceOfFile(routes, root, path.join(root, 'services/catalog/src/products.rs')), 'catalog');
  assert.equal(oa.serviceOfFile(routes, root, path.join(root, 'services/catalog/admin/src/lib.rs')), 'admin');
  assert.equal(oa.serviceOfFile(routes, root, path.join(root, 'services/billing2/src/main.rs')), undefined);
  assert.equal(oa.serviceOfFile(routes, root, path.join(root, 'project.cws.yml')), undefined);
  assert.equal(oa.serviceOfFile(routes, root, undefined), undefined);
  assert.deepEqual(oa.serviceNames(routes), ['admin', 'billing', 'catalog', 'mailer']);
  assert.deepEqual(oa.openApiParams('billing', null), { service: 'billing', stage: null });
});

const doc = {
  openapi: '3.1.0',
  info: { title: 'billing', version: 'dev', description: 'Bills: "quoted"\nand: more' },
  paths: {
    '/invoice/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }],
        responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Invoice' } } } } },
        security: [],
        tags: [['a', 'b'], []],
      },
    },
  },
  'x-empty': {},
  yes: 'no',
};

test('a document shows as pretty JSON or as YAML, texts quoted unless plain', () => {
  assert.equal(oa.checkDocument(doc), doc);
  assert.match(oa.checkDocument({ error: 'x' }) as string, /not an OpenAPI document/);
  assert.match(oa.checkDocument(null) as string, /not an OpenAPI document/);
  assert.equal(oa.documentText(doc, 'json'), `${JSON.stringify(doc, null, 2)}\n`);
  assert.equal(
    oa.documentText(doc, 'yaml'),
    [
      'openapi: "3.1.0"',
      'info:',
      '  title: billing',
      '  version: dev',
      '  description: "Bills: \\"quoted\\"\\nand: more"',
      'paths:',
      '  /invoice/{id}:',
      '    get:',
      '      parameters:',
      '        - name: id',
      '          in: path',
      '          required: true',
      '          schema:',
      '            type: integer',
      '            minimum: 0',
      '      responses:',
      '        "200":',
      '          content:',
      '            application/json:',
      '              schema:',
      '                $ref: "#/components/schemas/Invoice"',
      '      security: []',
      '      tags:',
      '        - - a',
      '          - b',
      '        - []',
      'x-empty: {}',
      '"yes": "no"',
      '',
    ].join('\n'),
  );
});
