// Builds a platform .vsix with the language server bundled: coworks-lsp (release) copied to server/,
// then `vsce package --target <platform>`. Run by `scripts/package-vsix` (and `npm run package:linux-x64`).
// Usage: node scripts/package-linux-x64.mjs [path/to/coworks-lsp] [--target linux-x64] [--out DIR]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
};
const out = option('--out', undefined);
const target = option('--target', 'linux-x64');
const exe = target.startsWith('win32') ? 'coworks-lsp.exe' : 'coworks-lsp';
let bin = args[0];
if (!bin) {
  execFileSync('cargo', ['build', '--release', '-p', 'coworks-lsp'], { cwd: here, stdio: 'inherit' });
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: here, encoding: 'utf8' }));
  bin = path.join(meta.target_directory, 'release', exe);
}
fs.mkdirSync(path.join(here, 'server'), { recursive: true });
const dest = path.join(here, 'server', exe);
fs.copyFileSync(bin, dest);
fs.chmodSync(dest, 0o755);
try {
  const vsce = path.join(here, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--target', target, ...(out ? ['--out', out] : [])], { cwd: here, stdio: 'inherit' });
} finally {
  fs.rmSync(path.join(here, 'server'), { recursive: true, force: true });
}
