import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lens from '../src/logic/lens';

const deploy = {
  action: { action: 'deploy', service: 'billing', stage: 'prod' },
  argv: ['cws', 'deploy', '-s', 'prod', '--', 'billing'],
  command: 'cws deploy -s prod -- billing',
  cwd: '/p',
  production: true,
};

test("a lens argument is the server's invocation: read as is, nothing rebuilt", () => {
  const i = lens.invocationOf(deploy);
  assert.deepEqual(i, deploy);
  const invoke = lens.invocationOf({
    ...deploy,
    action: { action: 'invoke', service: 'billing', method: 'GET', path: '/invoice/{id}', stage: 'dev' },
    production: false,
    route: { method: 'GET', path: '/invoice/{id}', path_params: ['id'], query: [], body: false },
  });
  assert.equal(typeof invoke, 'object');
  assert.deepEqual((invoke as lens.Invocation).route?.path_params, ['id']);
});

test('an unusable argument is refused with a message saying why', () => {
  assert.match(lens.invocationOf(null) as string, /expected an invocation/);
  assert.match(lens.invocationOf(['x']) as string, /expected an invocation/);
  assert.match(lens.invocationOf({ argv: ['cws'], cwd: '/p', command: 'cws' }) as string, /no action/);
  assert.match(lens.invocationOf({ ...deploy, argv: [1] }) as string, /no argument vector/);
  assert.match(lens.invocationOf({ ...deploy, argv: [] }) as string, /no argument vector/);
  assert.match(lens.invocationOf({ ...deploy, cwd: undefined }) as string, /no directory/);
  assert.ok(lens.isLensCommand('coworks.run') && lens.isLensCommand('coworks.check'));
  assert.ok(!lens.isLensCommand('coworks.showRoutes'));
});

test('the configured CLI replaces only the executable', () => {
  assert.deepEqual(lens.withCli(deploy.argv, '/opt/cws'), ['/opt/cws', 'deploy', '-s', 'prod', '--', 'billing']);
  assert.deepEqual(lens.withCli(deploy.argv, ''), deploy.argv);
});

test('one terminal per service for run; deploys by service and stage', () => {
  const run = { ...deploy, action: { action: 'run' as const, service: 'billing', stage: 'dev' } };
  assert.equal(lens.terminalName(run), 'CoWorks: run billing');
  assert.equal(lens.terminalName({ ...run, action: { ...run.action, stage: 'prod' } }), 'CoWorks: run billing');
  assert.equal(lens.terminalName(lens.invocationOf(deploy) as lens.Invocation), 'CoWorks: deploy billing (prod)');
  assert.equal(lens.terminalName({ ...run, action: { action: 'build', service: 'billing', stage: 'prod' } }), 'CoWorks: build billing (prod)');
  assert.equal(lens.terminalName({ ...run, action: { action: 'check', stage: null } }), 'CoWorks: check');
  const workflow = { ...run, action: { action: 'workflow' as const, file: 'workflows/invoicing.cws.yml', stage: 'dev' } };
  assert.equal(lens.terminalName(workflow), 'CoWorks: workflow workflows/invoicing.cws.yml (dev)');
  assert.ok(lens.isLensCommand('coworks.runWorkflow'));
});

test('deploying to a production stage asks first; other stages and actions do not', () => {
  assert.equal(lens.deployConfirmation(lens.invocationOf(deploy) as lens.Invocation), "Deploy billing to the production stage 'prod'?");
  assert.equal(lens.deployConfirmation({ ...(lens.invocationOf(deploy) as lens.Invocation), production: false }), undefined);
  const run = { ...(lens.invocationOf(deploy) as lens.Invocation), action: { action: 'run' as const, service: 'b', stage: 'prod' } };
  assert.equal(lens.deployConfirmation(run), undefined);
});

test('unsaved files are saved before a terminal run unless task.saveBeforeRun says otherwise', () => {
  assert.equal(lens.saveBeforeRun(undefined), 'save');
  assert.equal(lens.saveBeforeRun('always'), 'save');
  assert.equal(lens.saveBeforeRun('prompt'), 'ask');
  assert.equal(lens.saveBeforeRun('never'), 'leave');
  assert.equal(lens.saveBeforeRun(42), 'save');
});
