import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lens from '../src/logic/lens';
import { shellLine } from '../src/logic/shell';

test('lens arguments become the cws command line of the CLI', () => {
  const run = lens.lensArgs(lens.RUN, [{ service: 'billing', stage: 'dev' }]);
  assert.deepEqual(lens.argvOf(lens.RUN, run as lens.LensArgs), ['cws', 'run', 'billing', '-s', 'dev']);
  const deploy = lens.lensArgs(lens.DEPLOY, [{ service: 'billing', stage: 'prod' }]) as lens.LensArgs;
  assert.deepEqual(lens.argvOf(lens.DEPLOY, deploy), ['cws', 'deploy', 'billing', '-s', 'prod']);
  const invoke = lens.lensArgs(lens.INVOKE, [{ service: 'billing', method: 'GET', path: '/invoice/{id}', stage: 'dev' }]);
  const argv = lens.argvOf(lens.INVOKE, invoke as lens.LensArgs);
  assert.deepEqual(argv, ['cws', 'invoke', 'billing', 'GET', '/invoice/{id}', '-s', 'dev']);
  assert.equal(shellLine(argv), 'cws invoke billing GET /invoice/{id} -s dev');
  assert.deepEqual(lens.argvOf(lens.ROUTES, lens.lensArgs(lens.ROUTES, [{ stage: null }]) as lens.LensArgs), ['cws', 'routes', '--json']);
  assert.deepEqual(lens.argvOf(lens.ROUTES, { stage: 'test' }), ['cws', 'routes', '-s', 'test', '--json']);
});

test('a lens argument missing a field is refused with a message naming it', () => {
  assert.equal(lens.lensArgs(lens.RUN, [{ stage: 'dev' }]), 'coworks.run: missing `service`');
  assert.equal(lens.lensArgs(lens.INVOKE, [{ service: 'b', stage: 'dev', method: 'GET' }]), 'coworks.invoke: missing `path`');
  assert.match(lens.lensArgs(lens.DEPLOY, []) as string, /expected one object argument/);
  assert.match(lens.lensArgs(lens.DEPLOY, ['billing']) as string, /expected one object argument/);
  assert.ok(lens.isLensCommand('coworks.run'));
  assert.ok(!lens.isLensCommand('coworks.showRoutes'));
});

test("the server's invocation is read, its command line kept, and the CLI path substituted", () => {
  const i = lens.invocationOf({ argv: ['cws', 'run', 'billing', '-s', 'dev'], command: 'cws run billing -s dev', cwd: '/p' });
  assert.deepEqual(i, { argv: ['cws', 'run', 'billing', '-s', 'dev'], command: 'cws run billing -s dev', cwd: '/p' });
  assert.equal(lens.invocationOf(null), undefined);
  assert.equal(lens.invocationOf({ argv: [1], cwd: '/p' }), undefined);
  assert.equal(lens.invocationOf({ argv: ['a b'], cwd: '/p' })!.command, "'a b'");
  assert.deepEqual(lens.withCli(['cws', 'run', 'x'], '/opt/cws'), ['/opt/cws', 'run', 'x']);
  assert.deepEqual(lens.withCli(['cws', 'run', 'x'], ''), ['cws', 'run', 'x']);
});

test('shell quoting matches the server: route templates stay readable, the rest is single-quoted', () => {
  assert.equal(shellLine(['a b', "it's"]), "'a b' 'it'\\''s'");
  assert.equal(shellLine(['--json', '{"a":1}']), `--json '{"a":1}'`);
  assert.equal(shellLine(['']), "''");
});

test('one terminal per service for run; deploys by service and stage', () => {
  assert.equal(lens.terminalName(lens.RUN, { service: 'billing', stage: 'dev' }), 'CoWorks: run billing');
  assert.equal(lens.terminalName(lens.RUN, { service: 'billing', stage: 'prod' }), 'CoWorks: run billing');
  assert.notEqual(lens.terminalName(lens.RUN, { service: 'mailer' }), lens.terminalName(lens.RUN, { service: 'billing' }));
  assert.equal(lens.terminalName(lens.DEPLOY, { service: 'billing', stage: 'prod' }), 'CoWorks: deploy billing (prod)');
});

test('deploying to a production stage asks first; an unknown stage kind asks too; others do not', () => {
  const told = (s: string) => ({ prod: true, dev: false })[s as 'prod' | 'dev'];
  const prod = { service: 'billing', stage: 'prod' };
  assert.equal(lens.isProduction(prod, told), true);
  assert.equal(lens.isProduction({ ...prod, production: false }, told), false, 'the lens argument wins');
  assert.equal(lens.isProduction({ service: 'billing', stage: 'qa' }, told), undefined);
  assert.match(lens.deployConfirmation(prod, true)!, /production stage 'prod'/);
  assert.match(lens.deployConfirmation(prod, undefined)!, /did not say/);
  assert.equal(lens.deployConfirmation({ service: 'billing', stage: 'dev' }, false), undefined);
  assert.deepEqual(lens.lensArgs(lens.DEPLOY, [{ service: 'b', stage: 'prod', production: true }]), {
    service: 'b',
    stage: 'prod',
    method: undefined,
    path: undefined,
    production: true,
  });
});
