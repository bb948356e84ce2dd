import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { fileKind, startsServer } from '../src/logic/documents';
import { findServer, INSTALL_COMMAND, processEnv } from '../src/logic/serverPath';

test('CoWorks files are recognised; Rust files start the server only inside a project', () => {
  assert.equal(fileKind('/p/project.cws.yml'), 'project');
  assert.equal(fileKind('/p/.env.prod'), 'env');
  assert.equal(fileKind('/p/workflows/invoicing.cws.yml'), 'workflow');
  assert.equal(fileKind('/p/other.cws.yml'), undefined);
  assert.equal(fileKind('/p/src/main.rs'), 'rust');
  assert.equal(fileKind('/p/README.md'), undefined);
  assert.ok(startsServer('/p/eshop/services/billing/src/main.rs', 'rust', ['/p/eshop']));
  assert.ok(!startsServer('/p/other/src/main.rs', 'rust', ['/p/eshop']));
  assert.ok(!startsServer('/p/eshop2/src/main.rs', 'rust', ['/p/eshop']));
  assert.ok(startsServer('/anywhere/project.cws.yml', 'yaml', []));
});

test('the server is found from the setting, then PATH, then the package', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coworks-find-'));
  const bin = path.join(dir, 'bin');
  const ext = path.join(dir, 'ext');
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(ext, 'server'), { recursive: true });
  const env = { ...processEnv(), PATH: `/nonexistent:${bin}`, platform: 'linux', arch: 'x64' };
  assert.match(findServer(undefined, ext, env) as string, /coworks-lsp was not found: install it with `cargo install coworks-lsp`.*linux-x64/);
  // The install command names the server's crate (lsp/Cargo.toml), as published.
  const crate = /^name = "([^"]+)"/m.exec(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'lsp', 'Cargo.toml'), 'utf8'))?.[1];
  assert.equal(INSTALL_COMMAND, `cargo install ${crate}`);
  const bundled = path.join(ext, 'server', 'coworks-lsp');
  fs.writeFileSync(bundled, '#!/bin/sh\n', { mode: 0o755 });
  assert.deepEqual(findServer('', ext, env), { path: bundled, source: 'bundled' });
  const onPath = path.join(bin, 'coworks-lsp');
  fs.writeFileSync(onPath, '#!/bin/sh\n', { mode: 0o755 });
  assert.deepEqual(findServer(undefined, ext, env), { path: onPath, source: 'PATH' });
  fs.writeFileSync(path.join(dir, 'mine'), '#!/bin/sh\n', { mode: 0o755 });
  assert.deepEqual(findServer(path.join(dir, 'mine'), ext, env), { path: path.join(dir, 'mine'), source: 'setting' });
  assert.match(findServer(path.join(dir, 'missing'), ext, env) as string, /coworks.server.path: .*missing is not an executable file/);
  fs.writeFileSync(path.join(dir, 'plain'), 'x', { mode: 0o644 });
  assert.match(findServer(path.join(dir, 'plain'), ext, env) as string, /not an executable/);
  fs.rmSync(dir, { recursive: true });
});
