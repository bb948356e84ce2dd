// Builds the linux-x64 .vsix: coworks-lsp (release) copied to server/, then `vsce package --target linux-x64`.
// Usage: node scripts/package-linux-x64.mjs [path/to/coworks-lsp] [--out DIR]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
let bin = args[0];
if (!bin) {
  execFileSync('cargo', ['build', '--release', '-p', 'coworks-lsp'], { cwd: here, stdio: 'inherit' });
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: here, encoding: 'utf8' }));
  bin = path.join(meta.target_directory, 'release', 'coworks-lsp');
}
fs.mkdirSync(path.join(here, 'server'), { recursive: true });
const dest = path.join(here, 'server', 'coworks-lsp');
fs.copyFileSync(bin, dest);
fs.chmodSync(dest, 0o755);
try {
  const vsce = path.join(here, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--target', 'linux-x64', ...(out ? ['--out', out] : [])], { cwd: here, stdio: 'inherit' });
} finally {
  fs.rmSync(path.join(here, 'server'), { recursive: true, force: true });
}
