// Activation, measured without VS Code (fast and exact; the real VS Code runs in e2e/): the bundle
// is loaded in a fresh node process with a minimal stand-in for the `vscode` module that records what activation
// does. Prints the time; asserts that activation registers the palette commands and the status bar
// item, and neither loads the language client nor starts the server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');

const probe = `
const Module = require('module');
const t0 = performance.now();
const calls = { commands: [], status: [], views: [], providers: [], spawned: 0, log: [] };
console.log = (m) => calls.log.push(String(m));
const disposable = { dispose() {} };
const event = () => () => disposable;
class EventEmitter { constructor() { this.event = event(); } fire() {} dispose() {} }
const vscode = {
  EventEmitter,
  StatusBarAlignment: { Left: 1, Right: 2 },
  tasks: { registerTaskProvider: (type) => { calls.providers.push('task:' + type); return disposable; } },
  debug: { registerDebugConfigurationProvider: (type) => { calls.providers.push('debug:' + type); return disposable; } },
  workspace: {
    getConfiguration: () => ({ get: () => undefined }),
    onDidOpenTextDocument: event(), onDidChangeConfiguration: event(), onDidChangeTextDocument: event(), onDidSaveTextDocument: event(),
    textDocuments: [], findFiles: async () => [],
  },
  window: {
    createStatusBarItem: () => ({ show() { calls.status.push(this.text); }, dispose() {} }),
    createOutputChannel: () => ({ appendLine() {}, append() {}, show() {}, dispose() {} }),
    createTreeView: (id) => { calls.views.push(id); return { selection: [], dispose() {} }; },
    showErrorMessage: async () => undefined,
  },
  commands: { registerCommand: (id) => { calls.commands.push(id); return disposable; } },
};
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  if (request === 'child_process') calls.spawned++;
  return load.apply(this, arguments);
};
const ext = require(${JSON.stringify(path.join(root, 'dist', 'extension.js'))});
const loaded = performance.now();
const context = { subscriptions: [], workspaceState: { get: () => undefined, update: async () => {} }, extensionPath: ${JSON.stringify(root)} };
ext.activate(context);
const done = performance.now();
setTimeout(() => {
  const client = Object.keys(require.cache).some((f) => f.endsWith('client.js'));
  process.stdout.write(JSON.stringify({ load: loaded - t0, activate: done - loaded, total: done - t0, reported: ext.activationMs, client, ...calls }));
}, 20);
`;

test('activation is light: commands, status bar, view and providers only; the client and server wait', () => {
  const runs: Record<string, unknown>[] = [];
  for (let i = 0; i < 5; i++) runs.push(JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })));
  const r = runs[0] as { commands: string[]; status: string[]; views: string[]; providers: string[]; client: boolean; spawned: number };
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual([...r.commands].sort(), contributed, 'every contributed command is registered at activation');
  assert.deepEqual(r.status, ['$(cloud) default stage']);
  assert.deepEqual(r.views, pkg.contributes.views.coworks.map((v: { id: string }) => v.id), 'the CoWorks view is registered');
  assert.deepEqual(r.providers, ['task:coworks', 'debug:coworks']);
  assert.equal(r.client, false, 'the language client bundle is not loaded at activation');
  assert.equal(r.spawned, 0, 'no process is started at activation');
  assert.match((r as unknown as { log: string[] }).log[0], /^coworks: activated in [0-9.]+ ms/);
  const med = (k: string) => runs.map((x) => x[k] as number).sort((a, b) => a - b)[2];
  console.log(
    `activation (median of 5 cold runs, bundle ${fs.statSync(path.join(root, 'dist', 'extension.js')).size} B): ` +
      `${med('total').toFixed(1)} ms from loading the bundle to the end of activate (medians: load ${med('load').toFixed(1)} ms, activate ${med('activate').toFixed(1)} ms; target < 300 ms)`,
  );
});

test('the manifest: activation events, engines and @types/vscode agree, everything bundled', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.activationEvents, ['workspaceContains:**/project.cws.yml', 'workspaceContains:**/workflows/*.cws.yml', 'onDebugResolve:coworks', 'onTaskType:coworks']);
  const engine = pkg.engines.vscode.replace(/^\^/, '');
  const types = pkg.devDependencies['@types/vscode'];
  const num = (v: string) => v.split('.').map(Number);
  const [e, t] = [num(engine), num(types)];
  assert.ok(t[0] < e[0] || (t[0] === e[0] && t[1] <= e[1]), `@types/vscode ${types} is newer than engines.vscode ${engine}`);
  assert.equal(pkg.dependencies, undefined, 'run-time code is bundled: no dependencies in the package');
  const settings = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(settings, ['coworks.cli.path', 'coworks.inlayHints.enabled', 'coworks.server.path', 'coworks.stage', 'coworks.trace.server']);
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const s of settings) assert.ok(readme.includes(`\`${s}\``), `README documents ${s}`);
  for (const c of pkg.contributes.commands) assert.ok(readme.includes(`*${c.title}*`), `README documents ${c.title}`);
});

test('the client bundle, loaded when the server is first needed, is self-contained', () => {
  // A catch-all stand-in for `vscode`: the client only touches it when used, not when loaded.
  const clientProbe = `
const Module = require('module');
const any = () => new Proxy(class {}, { get: (t, k) => (k === 'prototype' ? t.prototype : k in t ? t[k] : any()) });
const load = Module._load;
Module._load = function (request) { return request === 'vscode' ? any() : load.apply(this, arguments); };
const t0 = performance.now();
const m = require(${JSON.stringify(path.join(root, 'dist', 'client.js'))});
process.stdout.write(JSON.stringify({ exports: Object.keys(m).sort(), ms: performance.now() - t0 }));
`;
  const r = JSON.parse(execFileSync(process.execPath, ['-e', clientProbe], { encoding: 'utf8' }));
  assert.deepEqual(r.exports, ['Controller', 'PREVIEW_REQUEST', 'ROUTES_REQUEST']);
  const size = fs.statSync(path.join(root, 'dist', 'client.js')).size;
  console.log(`client bundle (${(size / 1024).toFixed(0)} KiB, vscode-languageclient inside): loads in ${r.ms.toFixed(1)} ms, off the activation path`);
});
