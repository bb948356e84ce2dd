// `vsce package` makes the .vsix offline; its contents are the bundle, the schema and the docs —
// no node_modules, no sources, no dev files. Prints the size.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { test } from 'node:test';

import { binaries } from './support';

const root = path.resolve(__dirname, '..', '..');

const offsets = new Map<string, { method: number; size: number; local: number }>();

/** The bytes of one file of the zip archive last listed by {@link zipEntries}. */
function zipBytes(zip: Buffer, name: string): Buffer {
  const o = offsets.get(name);
  assert.ok(o, `${name} in the archive`);
  const start = o.local + 30 + zip.readUInt16LE(o.local + 26) + zip.readUInt16LE(o.local + 28);
  const data = zip.subarray(start, start + o.size);
  return o.method === 8 ? zlib.inflateRawSync(data) : data;
}

/** The text of one file of the zip archive last listed by {@link zipEntries}. */
function zipText(zip: Buffer, name: string): string {
  return zipBytes(zip, name).toString('utf8');
}

/** The file names in a zip archive, from its central directory (with their Unix modes). */
export function zipEntries(zip: Buffer, modes?: Map<string, number>): string[] {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  offsets.clear();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    const n = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const name = zip.toString('utf8', at + 46, at + 46 + n);
    names.push(name);
    modes?.set(name, zip.readUInt32LE(at + 38) >>> 16);
    offsets.set(name, { method: zip.readUInt16LE(at + 10), size: zip.readUInt32LE(at + 20), local: zip.readUInt32LE(at + 42) });
    at += 46 + n + extra + comment;
  }
  return names.sort();
}

test('vsce package makes a .vsix holding the bundle and schema, and no dev files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coworks-vsix-'));
  const out = path.join(dir, 'coworks.vsix');
  try {
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    execFileSync(process.execPath, [vsce, 'package', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const zip = fs.readFileSync(out);
    const names = zipEntries(zip);
    const files = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
    assert.deepEqual(files, [
      'LICENSE.txt',
      'changelog.md',
      'dist/client.js',
      'dist/extension.js',
      'dist/hold.js',
      'media/coworks.svg',
      'media/icon.png',
      'media/walkthrough/deploy.svg',
      'media/walkthrough/install.md',
      'media/walkthrough/invoke.svg',
      'media/walkthrough/new.svg',
      'media/walkthrough/run.svg',
      'package.json',
      'readme.md',
      'schemas/project.cws.schema.json',
      'schemas/workflow.schema.json',
    ]);
    assert.ok(!names.some((n) => /node_modules|\.ts$|\.map$|(^|\/)(src|test|out)\//.test(n)), names.join('\n'));
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies, undefined);
    const shipped = JSON.parse(zipText(zip, 'extension/package.json'));
    assert.equal(shipped.devDependencies['@types/vscode'], manifest.devDependencies['@types/vscode']);
    assert.equal(shipped.main, './dist/extension.js');
    // Every file the manifest names (icon, view icons, walkthrough media) is in the package.
    const c = shipped.contributes;
    const named = [
      shipped.icon,
      ...c.viewsContainers.activitybar.map((v: { icon: string }) => v.icon),
      ...c.views.coworks.map((v: { icon: string }) => v.icon),
      ...c.walkthroughs.flatMap((w: { steps: { media: Record<string, string> }[] }) => w.steps.map((st) => st.media.svg ?? st.media.markdown ?? st.media.image)),
    ];
    for (const f of named) assert.ok(files.includes(f), `${f} (named by package.json) is in the package`);
    const png = zipBytes(zip, 'extension/media/icon.png');
    assert.equal(png.toString('latin1', 1, 4), 'PNG', 'the icon is a PNG (vsce takes no SVG icon)');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'the icon is 128×128');
    console.log(`vsix: ${names.length} entries, ${(zip.length / 1024).toFixed(1)} KiB (${path.basename(out)})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the linux-x64 package ships coworks-lsp under server/, executable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coworks-vsix-'));
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'package-linux-x64.mjs'), binaries().lsp, '--out', dir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const vsix = fs.readdirSync(dir).filter((f) => f.endsWith('.vsix'));
    assert.deepEqual(vsix, [`coworks-linux-x64-${JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version}.vsix`]);
    const zip = fs.readFileSync(path.join(dir, vsix[0]));
    const modes = new Map<string, number>();
    const names = zipEntries(zip, modes);
    assert.ok(names.includes('extension/server/coworks-lsp'), names.join('\n'));
    assert.equal((modes.get('extension/server/coworks-lsp')! & 0o111) !== 0, true, 'the server is executable');
    assert.match(zipText(zip, 'extension.vsixmanifest'), /TargetPlatform="linux-x64"/);
    assert.ok(!fs.existsSync(path.join(root, 'server')), 'the copied binary is cleaned up');
    console.log(`linux-x64 vsix: ${names.length} entries, ${(zip.length / 1024 / 1024).toFixed(1)} MiB (server binary ${(fs.statSync(binaries().lsp).size / 1024 / 1024).toFixed(1)} MiB, this build's profile)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
