// Debugging a service: which debugger, the launch configuration each gets, reading cargo's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as dbg from '../src/logic/debug';

const launch: dbg.DebugLaunch = {
  build: ['cargo', 'build', '--manifest-path', 'services/billing/Cargo.toml', '--message-format=json-render-diagnostics'],
  manifest: '/p/services/billing/Cargo.toml',
  args: ['--host', '127.0.0.1', '--port', '8001'],
  env: { CWS_STAGE: 'dev', TOKEN: 'dev-token', PAYMENT_KEY: 's3cr3t' },
  secrets: ['PAYMENT_KEY'],
  cwd: '/p',
};

test('CodeLLDB first, then C/C++, else none', () => {
  assert.equal(dbg.pickDebugger(() => true), 'lldb');
  assert.equal(dbg.pickDebugger((id) => id === 'ms-vscode.cpptools'), 'cppdbg');
  assert.equal(dbg.pickDebugger(() => false), undefined);
  assert.match(dbg.NO_DEBUGGER, /CodeLLDB \(vadimcn\.vscode-lldb\) or C\/C\+\+ \(ms-vscode\.cpptools\)/);
});

test("the launch configuration of each debugger: the executable, where it listens, the stage's environment", () => {
  assert.deepEqual(dbg.launchConfiguration('lldb', 'Debug billing (dev)', '/t/debug/billing', launch), {
    type: 'lldb',
    request: 'launch',
    name: 'Debug billing (dev)',
    program: '/t/debug/billing',
    args: ['--host', '127.0.0.1', '--port', '8001'],
    cwd: '/p',
    env: { CWS_STAGE: 'dev', TOKEN: 'dev-token', PAYMENT_KEY: 's3cr3t' },
    sourceLanguages: ['rust'],
    terminal: 'console',
  });
  assert.deepEqual(dbg.launchConfiguration('cppdbg', 'Debug billing (dev)', '/t/debug/billing', launch), {
    type: 'cppdbg',
    request: 'launch',
    name: 'Debug billing (dev)',
    program: '/t/debug/billing',
    args: ['--host', '127.0.0.1', '--port', '8001'],
    cwd: '/p',
    environment: [
      { name: 'CWS_STAGE', value: 'dev' },
      { name: 'TOKEN', value: 'dev-token' },
      { name: 'PAYMENT_KEY', value: 's3cr3t' },
    ],
    MIMode: 'gdb',
    externalConsole: false,
    stopAtEntry: false,
  });
});

test('what is logged of the environment names variables, never a value', () => {
  const summary = dbg.envSummary(launch);
  assert.equal(summary, 'CWS_STAGE, PAYMENT_KEY (secret), TOKEN');
  for (const v of Object.values(launch.env)) assert.ok(!summary.includes(v), v);
  assert.equal(dbg.envSummary({ ...launch, env: {} }), 'no variables');
});

test("the server's answer is read; a launch configuration without a service is refused", () => {
  assert.deepEqual(dbg.launchOf({ debug: launch }), launch);
  assert.match(dbg.launchOf({ argv: ['cargo'] }) as string, /no debug launch/);
  assert.match(dbg.launchOf({ debug: { ...launch, env: { A: 1 } } }) as string, /no arguments or environment/);
  assert.match(dbg.launchOf({ debug: { ...launch, build: [] } }) as string, /no build/);
  assert.deepEqual(dbg.requested({ service: 'billing' }, 'dev'), { service: 'billing', stage: 'dev' });
  assert.deepEqual(dbg.requested({ service: 'billing', stage: 'prod' }, 'dev'), { service: 'billing', stage: 'prod' });
  assert.match(dbg.requested({}, 'dev') as string, /needs "service"/);
});

test("the executable is the binary artifact of the service's manifest", () => {
  const line = (o: object) => JSON.stringify(o);
  const out = [
    line({ reason: 'compiler-artifact', manifest_path: '/reg/serde/Cargo.toml', target: { kind: ['lib'] }, executable: null }),
    line({ reason: 'compiler-artifact', manifest_path: '/p/services/billing/Cargo.toml', target: { kind: ['bin'] }, executable: '/t/debug/eshop-billing' }),
    line({ reason: 'compiler-artifact', manifest_path: '/p/services/other/Cargo.toml', target: { kind: ['bin'] }, executable: '/t/debug/other' }),
    'not json',
    line({ reason: 'build-finished', success: true }),
  ].join('\n');
  assert.equal(dbg.executableOf(out, '/p/services/billing/Cargo.toml'), '/t/debug/eshop-billing');
  assert.equal(dbg.executableOf(out, '/p/services/mailer/Cargo.toml'), undefined);
});
