// Tasks of type `coworks`: which tasks a project offers, how tasks.json definitions are read, and
// the problem matcher against what the real `cws check --message-format short` prints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import * as tk from '../src/logic/tasks';
import type * as tr from '../src/logic/tree';
import { binaries, repo } from './support';

const inv = (action: Record<string, unknown>) => ({ action, argv: ['cws', String(action.action)], command: `cws ${action.action}`, cwd: '/p', production: false });
const node = (kind: string, label: string, actions: Record<string, unknown>[], children: unknown[] = []) =>
  ({ kind, id: label, label, description: '', tooltip: '', expanded: false, actions: actions.map((a) => ({ title: String(a.action), command: '', invocation: inv(a) })), children }) as unknown as tr.TreeNode;

test('a check task per stage; build, deploy and run tasks per service of the stage', () => {
  const tree: tr.ProjectTree = {
    root: '/p',
    active: 'dev',
    nodes: [
      node('stage', 'dev', [{ action: 'check', stage: 'dev', short: true }], [
        node('service', 'billing', [
          { action: 'run', service: 'billing', stage: 'dev' },
          { action: 'debug', service: 'billing', stage: 'dev' },
          { action: 'deploy', service: 'billing', stage: 'dev' },
          { action: 'build', service: 'billing', stage: 'dev' },
        ], [node('entry', 'GET /x', [{ action: 'invoke', service: 'billing', stage: 'dev' }])]),
      ]),
      node('workflows', 'Workflows', []),
    ],
  };
  const tasks = tk.tasksOfTree(tree);
  assert.deepEqual(tasks.map((t) => t.name), ['check (dev)', 'run billing (dev)', 'deploy billing (dev)', 'build billing (dev)']);
  assert.deepEqual(tasks[0].definition, { type: 'coworks', action: 'check', stage: 'dev' });
  assert.deepEqual(tasks[0].matchers, ['$coworks']);
  assert.deepEqual(tasks[1].definition, { type: 'coworks', action: 'run', stage: 'dev', service: 'billing' });
  assert.equal(tasks[1].background, true, 'cws run serves until stopped');
  assert.deepEqual(tasks[3].matchers, []);
  assert.equal(tasks[3].invocation.command, 'cws build', "the server's line, as it is");
});

test('a tasks.json definition becomes the action the server resolves', () => {
  assert.deepEqual(tk.actionOfDefinition({ type: 'coworks', action: 'check' }, 'dev'), { action: 'check', stage: 'dev', short: true });
  assert.deepEqual(tk.actionOfDefinition({ type: 'coworks', action: 'deploy', service: 'billing', stage: 'prod' }, 'dev'), {
    action: 'deploy',
    service: 'billing',
    stage: 'prod',
  });
  assert.match(tk.actionOfDefinition({ type: 'coworks', action: 'run' }, 'dev') as string, /needs "service"/);
  assert.match(tk.actionOfDefinition({ type: 'coworks', action: 'destroy' as 'run' }, 'dev') as string, /one of check, build, deploy, run/);
  assert.match(tk.actionOfDefinition({ type: 'coworks', action: 'check' }, undefined) as string, /no stage/);
});

test("the problem matcher of package.json is the module's, and reads real `cws check` output", () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
  const matcher = pkg.contributes.problemMatchers.find((m: { name: string }) => `$${m.name}` === tk.PROBLEM_MATCHER);
  assert.ok(matcher, 'package.json contributes $coworks');
  assert.equal(matcher.pattern.regexp, tk.PROBLEM_PATTERN.source);
  assert.notEqual(matcher.owner, 'coworks', "not the language client's diagnostics collection (it would replace them)");
  // A fixture project with errors and related notes, checked by the real binary.
  const dir = path.join(repo, 'core', 'tests', 'fixtures', 'projects', 'rust_bodies');
  let out = '';
  try {
    execFileSync(binaries().cws, ['check', '--message-format', 'short', '-p', dir], { encoding: 'utf8' });
    assert.fail('cws check finds errors in rust_bodies');
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const problems = tk.problemsOf(out);
  const diags = JSON.parse(
    (() => {
      try {
        return execFileSync(binaries().cws, ['check', '--json', '-p', dir], { encoding: 'utf8' });
      } catch (e) {
        return (e as { stdout: string }).stdout;
      }
    })(),
  ).diagnostics as { file: string; code: string; severity: string; message: string; span: { start: { line: number; col: number } } }[];
  assert.ok(diags.length >= 3, out);
  assert.deepEqual(
    problems,
    diags.map((d) => ({ file: d.file, line: d.span.start.line + 1, column: d.span.start.col + 1, severity: d.severity, code: d.code, message: d.message })),
    'one problem per diagnostic (related notes are not problems)',
  );
});
