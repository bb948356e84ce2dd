// The server process as the extension runs it, with real processes: small scripts standing for a
// wrong `coworks.server.path` (exits at once, printing its usage), a server that keeps running, and
// the restart policy of a server that crashes while running.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

import { CRASH_WINDOW_MS, MAX_RESTARTS, ServerProcess, startFailureMessage } from '../src/logic/serverProcess';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coworks-server-process-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

test('a binary that exits before answering gets one message: exit code, first lines, the setting to change', async () => {
  const bin = script('cws', 'echo "The CoWorks project model." >&2; echo "" >&2; echo "Usage: cws <COMMAND>" >&2; echo "Commands:" >&2; echo "  routes" >&2; exit 2');
  const log: string[] = [];
  const server = new ServerProcess(bin, (l) => log.push(l));
  await server.start(process.env);
  const message = await server.startFailure(new Error('Pending response rejected since connection got disposed'));
  assert.equal(
    message,
    `CoWorks: the language server did not start: ${bin} exited (code 2) before answering as a language server. ` +
      `It printed: "The CoWorks project model. Usage: cws <COMMAND> Commands: …". ` +
      `Set coworks.server.path to the coworks-lsp binary (empty: coworks-lsp on PATH), then run "CoWorks: Restart server".`,
  );
  assert.deepEqual(log, ['coworks-lsp exited (code 2)']);
  assert.deepEqual(server.closed(), { restart: false }, 'a start failure is not restarted (and reported by startFailure only)');
});

test('a binary that cannot be started is an error of start itself', async () => {
  const server = new ServerProcess(path.join(dir, 'missing'), () => undefined);
  await assert.rejects(server.start(process.env), /cannot start .*missing: spawn .* ENOENT/);
  assert.match(await server.startFailure(new Error(`cannot start ${path.join(dir, 'missing')}: spawn ENOENT`)), /did not start: cannot start .*missing/);
});

test('a server the extension stops exits without a log line; one that ignores the stop is killed', async () => {
  const log: string[] = [];
  const polite = new ServerProcess(script('polite', 'read line; exit 0'), (l) => log.push(l));
  const child = await polite.start(process.env);
  polite.started();
  polite.stop();
  child.stdin!.end('exit\n');
  await polite.reap();
  assert.equal(child.exitCode, 0);
  assert.equal(log.join('\n'), '', 'no "exited" line for a stop the extension asked for');

  const stubborn = new ServerProcess(script('stubborn', 'trap "" INT; exec sleep 30'), (l) => log.push(l));
  const c2 = await stubborn.start(process.env);
  stubborn.stop();
  await stubborn.reap();
  assert.equal(c2.signalCode, 'SIGTERM');
});

test('a running server that crashes is restarted a few times, then left stopped with one message', () => {
  const log: string[] = [];
  const server = new ServerProcess('/opt/coworks-lsp', (l) => log.push(l));
  server.started();
  const t0 = 1_000_000;
  for (let i = 1; i <= MAX_RESTARTS; i++) assert.deepEqual(server.closed(t0 + i), { restart: true });
  const last = server.closed(t0 + MAX_RESTARTS + 1);
  assert.equal(last.restart, false);
  assert.match(last.message!, /\/opt\/coworks-lsp stopped 5 times in 3 minutes; it is not restarted/);
  assert.equal(log.length, MAX_RESTARTS);
  // Crashes older than the window are forgotten.
  assert.deepEqual(server.closed(t0 + CRASH_WINDOW_MS + MAX_RESTARTS + 10), { restart: true });
});

test('a start that fails without the process ending says so', () => {
  assert.match(startFailureMessage('/bin/cat', new Error('timeout'), undefined, ''), /\/bin\/cat did not answer as a language server \(timeout\)\. Set coworks\.server\.path/);
});
