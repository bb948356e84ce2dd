// Bundles the extension: dist/extension.js (activation, light), dist/client.js (the language
// client, loaded when the server is first needed) and dist/hold.js (the program its terminals run,
// see src/hold.ts). `vscode` is provided by VS Code at run time.
import * as esbuild from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['vscode'],
  minify: process.argv.includes('--minify'),
  sourcemap: !process.argv.includes('--minify'),
  logLevel: 'warning',
};

await esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', './client.js'] });
await esbuild.build({ ...common, entryPoints: ['src/controller.ts'], outfile: 'dist/client.js' });
await esbuild.build({ ...common, entryPoints: ['src/hold.ts'], outfile: 'dist/hold.js', external: [] });
