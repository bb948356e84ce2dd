// The terminal wrapper: a failed command's terminal stays open until a key; a command that
// succeeded or was interrupted ends it at once. The real wrapper is run on real processes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ending, holdMessage, showsHoldLine } from '../src/logic/hold';

const wrapper = path.join(__dirname, '..', 'src', 'hold.js');

test('success and signals end at once; a failure holds', () => {
  assert.deepEqual(ending(0, null), { hold: false, exitCode: 0 });
  assert.deepEqual(ending(1, null), { hold: true, exitCode: 1 });
  assert.deepEqual(ending(101, null), { hold: true, exitCode: 101 });
  assert.deepEqual(ending(null, 'SIGINT'), { hold: false, exitCode: 130 });
  assert.deepEqual(ending(null, 'SIGHUP'), { hold: false, exitCode: 129 });
  assert.match(holdMessage('cws', 1), /cws exited with code 1\. Press any key to close this terminal\./);
  assert.ok(showsHoldLine(`error: build failed${holdMessage('cws', 101)}`));
  assert.ok(!showsHoldLine('cws exited with code 1. Press any key'), 'the whole line');
});

test('the wrapper passes a command through and keeps its exit code', () => {
  const ok = spawnSync(process.execPath, [wrapper, process.execPath, '-e', 'console.log("hello")'], { encoding: 'utf8', input: '' });
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, 'hello\n');
});

test('the command does not inherit ELECTRON_RUN_AS_NODE, which ran the wrapper', () => {
  const script = 'console.log(process.env.ELECTRON_RUN_AS_NODE ?? "unset", process.env.KEPT)';
  const r = spawnSync(process.execPath, [wrapper, process.execPath, '-e', script], {
    encoding: 'utf8',
    input: '',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', KEPT: 'yes' },
  });
  assert.equal(r.stdout, 'unset yes\n');
});

test('after a failure the wrapper shows the message and waits for a key, then exits with the code', () => {
  const failed = spawnSync(process.execPath, [wrapper, process.execPath, '-e', 'console.error("error[E0277]: no"); process.exit(3)'], {
    encoding: 'utf8',
    input: 'x',
  });
  assert.equal(failed.status, 3);
  assert.match(failed.stderr, /error\[E0277\]: no/);
  assert.match(failed.stdout, /node exited with code 3\. Press any key/);
});

test('a program that cannot start is said so, and held like a failure', () => {
  const missing = spawnSync(process.execPath, [wrapper, '/nonexistent/cws', 'run'], { encoding: 'utf8', input: 'x' });
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /cannot start \/nonexistent\/cws/);
});
