/** Where `coworks-lsp` comes from: the `coworks.server.path` setting, else `PATH`, else the package. */

import * as fs from 'fs';
import * as path from 'path';

/** The command that installs the server (from crates.io; `cargo install --path lsp` from a checkout). */
export const INSTALL_COMMAND = 'cargo install coworks-lsp';

/** The server binary found, and how. */
export interface Found {
  path: string;
  source: 'setting' | 'PATH' | 'bundled';
}

/** What the lookup needs from the machine (the real file system by default). */
export interface Env {
  PATH?: string;
  platform: string;
  arch: string;
  isExecutable(p: string): boolean;
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The machine's environment. */
export function processEnv(): Env {
  return { PATH: process.env.PATH, platform: process.platform, arch: process.arch, isExecutable: executable };
}

/** The name of the binary on a platform. */
export function binaryName(platform: string): string {
  return platform === 'win32' ? 'coworks-lsp.exe' : 'coworks-lsp';
}

/**
 * Finds the server. A setting that points nowhere is an error (not silently replaced by another
 * binary); the bundled binary exists only in the linux-x64 package.
 */
export function findServer(setting: string | undefined, extensionDir: string, env: Env): Found | string {
  const name = binaryName(env.platform);
  if (setting && setting.trim() !== '') {
    const p = setting.trim();
    return env.isExecutable(p) ? { path: p, source: 'setting' } : `coworks.server.path: ${p} is not an executable file`;
  }
  const sep = env.platform === 'win32' ? ';' : ':';
  for (const dir of (env.PATH ?? '').split(sep)) {
    if (dir === '') continue;
    const p = path.join(dir, name);
    if (env.isExecutable(p)) return { path: p, source: 'PATH' };
  }
  const bundled = path.join(extensionDir, 'server', name);
  if (env.isExecutable(bundled)) return { path: bundled, source: 'bundled' };
  return (
    `coworks-lsp was not found: install it with \`${INSTALL_COMMAND}\` (then run "CoWorks: Restart server"), ` +
    `set coworks.server.path, or install the extension's package for this platform, which ships it (this is ${env.platform}-${env.arch})`
  );
}
