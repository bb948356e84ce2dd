// The extension in a real VS Code (code-server's workbench in headless Chromium), driven as a person
// does: clicks and keystrokes through Playwright, assertions on what the workbench shows (lenses,
// squiggles, the status bar, terminals, the output channel, notifications, dialogs, the preview).
// The tests run in order on one workbench: Invoke uses the service Run started, the stage tests
// leave the stage as they found it, the wrong server path comes last.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import type { Locator } from 'playwright-core';

import { PRESS_ANY_KEY } from '../src/logic/hold';
import { poll, settled, Workbench } from './workbench';

const wb = new Workbench();
const billing = 'services/billing/src/main.rs';
const t0 = Date.now();

/** The 1-based number of the first line of a project file containing `needle`. */
function lineOf(rel: string, needle: string): number {
  const i = fs.readFileSync(path.join(wb.project, rel), 'utf8').split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} in ${rel}`);
  return i + 1;
}

/** A test step: on failure, a screenshot (under the target directory) and code-server's last output. */
function step(name: string, f: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await f();
    } catch (e) {
      const shot = await wb.screenshot(name);
      throw new Error(`${(e as Error).message}\nscreenshot: ${shot}\ncode-server:\n${wb.serverOutput()}`, { cause: e });
    }
  };
}

/** Opens billing's main.rs with the line holding `needle` in view and clicks the lens `title` there. */
async function clickLens(needle: string, title: string | RegExp, effect: Locator): Promise<void> {
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, needle));
  await wb.clickLens(title, effect);
}

/** Switches the stage from the status bar. */
async function switchStage(stage: string): Promise<void> {
  await wb.stageItem().click();
  await wb.answer('CoWorks stage', stage);
  await wb.stageItem().filter({ hasText: stage }).waitFor();
}

before(async () => {
  await wb.start();
});

after(async () => {
  await wb.close();
  console.log(`e2e: ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
});

test('lenses appear above the service and each entry', step('lenses', async () => {
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, 'impl Billing'));
  await wb.lens('▶ Run').waitFor({ timeout: 30_000 });
  const titles = await wb.lensTitles();
  for (const t of ['▶ Run', 'Deploy (dev)', '8 routes', 'Invoke GET /invoice/{id}']) assert.ok(titles.includes(t), `lens ${t} among ${JSON.stringify(titles)}`);
  assert.match(await wb.stageItem().innerText(), /\bdev\b/, 'the status bar shows the stage');
}));

test('a diagnostic appears as you type and clears when the edit is undone', step('diagnostic', async () => {
  const p = wb.page;
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, '#[entry(no_auth)]'));
  await p.keyboard.press('End');
  await p.keyboard.press('ArrowLeft');
  await p.keyboard.press('ArrowLeft');
  await p.keyboard.type('x'); // #[entry(no_authx)]: an unknown entry argument
  await wb.activeEditor().locator('.squiggly-error').first().waitFor({ timeout: 20_000 });
  await p.keyboard.press('Control+Shift+M');
  const problem = p.locator('.markers-panel .monaco-list-row', { hasText: 'no_authx' });
  await problem.waitFor();
  assert.match(await problem.innerText(), /CWS008/);
  assert.match((await wb.problemsItem().getAttribute('aria-label')) ?? '', /Errors: 1\b/);
  await wb.activeEditor().click({ position: { x: 300, y: 10 } });
  await p.keyboard.press('Control+Z');
  await wb.activeEditor().locator('.squiggly-error').first().waitFor({ state: 'detached', timeout: 20_000 });
  await problem.waitFor({ state: 'detached' });
  assert.equal(await wb.problemsItem().getAttribute('aria-label'), 'No Problems');
}));

test('▶ Run serves the service in its terminal; Invoke shows the replies of that service', step('run-invoke', async () => {
  await clickLens('impl Billing', '▶ Run', wb.terminalTab('CoWorks: run billing'));
  await wb.waitForTerminalText(`listening on http://127.0.0.1:${wb.devPort}`, 120_000, 'CoWorks: run billing');

  await clickLens('async fn post_invoice', 'Invoke POST /invoice', wb.inputBox());
  await wb.answer('Invoke POST /invoice', '/invoice');
  await wb.answer('Query', '');
  await wb.answer('JSON body', '{"customer":"ann","amount_cents":1250}');
  const created = await wb.waitForOutput('CoWorks: invoke', /\[(done|exit code \d+)\]/);
  assert.match(created, /201/);
  assert.match(created, /"customer":\s*"ann"/);

  // The invoice is there on a second request: the replies come from the one running service.
  await clickLens('async fn get_invoice(', 'Invoke GET /invoice/{id}', wb.inputBox());
  await wb.answer('Invoke GET /invoice/{id}', '/invoice/1');
  await wb.answer('Query', '');
  const read = await wb.waitForOutput('CoWorks: invoke', /GET \/invoice\/1[\s\S]*\[(done|exit code \d+)\]/);
  assert.match(read.slice(read.indexOf('GET /invoice/1')), /200[\s\S]*"amount_cents":\s*1250/);
}));

test('the CoWorks view shows stages, services and entries; its inline Run serves the service', step('view', async () => {
  await wb.command('View: Close All Editors');
  await wb.openCoWorksView();
  for (const stage of ['dev', 'test', 'prod', 'Workflows']) await wb.viewRow(stage).waitFor();
  const dev = wb.viewRow('dev');
  assert.equal(await dev.getAttribute('aria-expanded'), 'true', 'the active stage is expanded');
  assert.match(await dev.innerText(), /active/);
  assert.match(await wb.viewRow('prod').innerText(), /production/);
  const service = wb.viewRow('billing');
  for (const service of ['billing', 'catalog', 'mailer']) await wb.viewRow(service).waitFor();
  assert.match(await service.innerText(), /512 MB · 29 s/, "the function's limits in dev");
  await wb.expand(service);
  const entry = wb.viewRow('GET /invoice/{id}');
  await entry.waitFor();
  assert.match(await entry.innerText(), /token/);
  assert.match(await wb.viewRow('GET /debug/state').innerText(), /only dev/, 'a stage-limited entry says so');
  // Open: the entry's method in its file.
  // (A click while the view redraws after the previous test's edits selects a row that is then
  // replaced: clicked again until the editor opens.)
  const opened = wb.page.locator('.tab.active[data-resource-name="main.rs"]');
  for (let attempt = 1; attempt <= 3; attempt++) {
    await entry.click();
    if (await opened.waitFor({ timeout: 10_000 }).then(() => true, () => false)) break;
  }
  await opened.waitFor({ timeout: 1_000 });
  await wb.page.locator('[id="status.editor.selection"]', { hasText: `Ln ${lineOf(billing, 'async fn get_invoice(')},` }).waitFor();
  // The service run from the view replaces the one the lens started (stopped first: its port is
  // free for the new one), in a terminal of the same name.
  await wb.command('Terminal: Focus Terminal');
  const old = await wb.page.locator('.terminal-wrapper.active').elementHandle();
  await wb.inlineAction(service, 'Run');
  await wb.page.waitForFunction((e) => !e?.isConnected, old, { timeout: 40_000 });
  await wb.terminalTab('CoWorks: run billing').first().waitFor();
  await wb.waitForTerminalText(`listening on http://127.0.0.1:${wb.devPort}`, 120_000, 'CoWorks: run billing');
  assert.equal(await wb.terminalTab('CoWorks: run billing').count(), 1, 'one terminal per service');
}));

test('a Run that fails keeps its terminal and its error until a key is pressed', step('run-fails', async () => {
  // billing (started by the previous test) holds the dev stage's port: catalog cannot listen there.
  const catalog = 'services/catalog/src/products.rs';
  await wb.openFile(catalog);
  await wb.gotoLine(lineOf(catalog, 'impl Catalog'));
  await wb.clickLens('▶ Run', wb.terminalTab('CoWorks: run catalog'));
  const shown = await wb.waitForTerminalText(PRESS_ANY_KEY, 240_000);
  assert.match(shown, /Address already in use/, 'the error stays on screen');
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(await wb.terminalTab('CoWorks: run catalog').count(), 1, 'the failed run keeps its terminal');
  await wb.page.locator('.terminal-wrapper.active').click();
  await wb.page.keyboard.press('q');
  await wb.terminalTab('CoWorks: run catalog').first().waitFor({ state: 'detached', timeout: 20_000 });
  await wb.command('Notifications: Clear All Notifications');
  assert.equal(await wb.terminalTab('CoWorks: run billing').count(), 1, 'the running service is left alone');
}));

test('the status bar switches the stage and the lenses follow', step('stage', async () => {
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, 'impl Billing'));
  await switchStage('test');
  await wb.lens('Deploy (test)').waitFor({ timeout: 20_000 });
  await switchStage('dev');
  await wb.lens('Deploy (dev)').waitFor({ timeout: 20_000 });
}));

test('Deploy to a production stage asks first; answering no deploys nothing', step('production', async () => {
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, 'impl Billing'));
  await switchStage('prod');
  assert.match(await wb.stageItem().innerText(), /prod \(production\)/);
  const dialog = wb.page.locator('.monaco-dialog-box');
  await wb.clickLens('Deploy (prod)', dialog);
  assert.match(await dialog.innerText(), /Deploy billing to the production stage 'prod'\?/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await wb.command('Terminal: Focus Terminal');
  await wb.terminalTab('CoWorks: run billing').first().waitFor();
  assert.equal(await wb.terminalTab('deploy').count(), 0, 'no deploy terminal');
  assert.ok(!fs.existsSync(path.join(wb.project, 'terraform')), 'no Terraform files written');
  await switchStage('dev');
  await wb.lens('Deploy (dev)').waitFor({ timeout: 20_000 });
}));

/** Geometry of the preview as the page lays it out, in CSS pixels of the webview. */
interface PreviewGeometry {
  viewport: number;
  scrollWidth: number;
  svg: { left: number; right: number };
  nodes: { id: string; left: number; right: number; top: number; bottom: number; textFits: boolean }[];
  /** Per edge, the tasks whose boxes it passes through (other than its own ends). */
  crossings: { from: string; to: string; through: string[] }[];
  edges: number;
}

async function previewGeometry(): Promise<PreviewGeometry> {
  return wb.webview().locator('svg').first().evaluate((svg: SVGSVGElement) => {
    const doc = svg.ownerDocument;
    const rectOf = (g: Element) => g.querySelector('rect')!.getBoundingClientRect();
    const nodes = [...svg.querySelectorAll('g.node')].map((g) => {
      const r = rectOf(g);
      const textFits = [...g.querySelectorAll('text')].every((t) => {
        const b = t.getBoundingClientRect();
        return b.left >= r.left - 1 && b.right <= r.right + 1;
      });
      return { id: g.getAttribute('data-id') ?? '', left: r.left, right: r.right, top: r.top, bottom: r.bottom, textFits };
    });
    const edgeEls = [...svg.querySelectorAll<SVGGeometryElement>('.edge')];
    const crossings = edgeEls.map((e) => {
      const from = e.getAttribute('data-from') ?? '';
      const to = e.getAttribute('data-to') ?? '';
      const m = e.getScreenCTM()!;
      const len = e.getTotalLength();
      const through = new Set<string>();
      for (let d = 0; d <= len; d += 2) {
        const p = new DOMPoint(e.getPointAtLength(d).x, e.getPointAtLength(d).y).matrixTransform(m);
        for (const n of nodes) {
          if (n.id === from || n.id === to) continue;
          if (p.x > n.left + 1 && p.x < n.right - 1 && p.y > n.top + 1 && p.y < n.bottom - 1) through.add(n.id);
        }
      }
      return { from, to, through: [...through] };
    });
    const s = svg.getBoundingClientRect();
    return { viewport: doc.documentElement.clientWidth, scrollWidth: doc.documentElement.scrollWidth, svg: { left: s.left, right: s.right }, nodes, crossings, edges: edgeEls.length };
  });
}

test('the workflow preview fits its panel, and no edge crosses a task', step('preview-layout', async () => {
  await wb.command('View: Close All Editors');
  for (const [file, tasks, edges] of [
    ['workflows/invoicing.cws.yml', 5, 4],
    ['workflows/health_round.cws.yml', 3, 3],
  ] as const) {
    await wb.openFile(file);
    await wb.command('CoWorks: Preview workflow');
    await wb.webview().locator('g.node').nth(tasks - 1).waitFor({ timeout: 20_000 });
    const g = await previewGeometry();
    assert.equal(g.nodes.length, tasks, `${file}: every task drawn`);
    assert.equal(g.edges, edges, `${file}: every edge drawn`);
    assert.ok(g.scrollWidth <= g.viewport, `${file}: no horizontal scrolling (${g.scrollWidth} px of content in ${g.viewport} px)`);
    assert.ok(g.svg.right <= g.viewport + 0.5, `${file}: the graph (right edge ${g.svg.right}) fits the panel (${g.viewport} px)`);
    for (const n of g.nodes) {
      assert.ok(n.left >= 0 && n.right <= g.viewport + 0.5, `${file}: task ${n.id} inside the panel`);
      assert.ok(n.textFits, `${file}: the text of ${n.id} fits its box`);
    }
    assert.deepEqual(g.crossings.filter((c) => c.through.length), [], `${file}: edges crossing tasks`);
    await wb.command('View: Close All Editors');
  }
}));

test('a click on a task opens its entry in the workflow editor\'s column; the preview stays visible', step('preview-click', async () => {
  const p = wb.page;
  await wb.command('View: Close All Editors');
  await wb.openFile('workflows/invoicing.cws.yml');
  await wb.command('CoWorks: Preview workflow');
  const task = wb.webview().locator('g.node', { hasText: 'fetch_invoice' });
  await task.waitFor({ timeout: 20_000 });
  await task.click();
  const groups = p.locator('.editor-group-container');
  await groups.nth(0).locator('.tab.active[data-resource-name="main.rs"]').waitFor();
  await p.locator('[id="status.editor.selection"]', { hasText: `Ln ${lineOf(billing, 'async fn get_invoice(')},` }).waitFor();
  assert.equal(await groups.count(), 2, 'the workflow column and the preview column');
  assert.match(await groups.nth(1).locator('.tab.active').innerText(), /Preview invoicing\.cws\.yml/, 'the preview is still the visible tab of its column');
  await wb.webview().locator('g.node', { hasText: 'fetch_invoice' }).waitFor({ state: 'visible' });
  await wb.command('View: Close All Editors');
}));

test('Restart server brings the lenses back and logs no error', step('restart', async () => {
  const starts = async () => (await wb.outputLog('CoWorks')).split('coworks-lsp started').length - 1;
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, 'impl Billing'));
  await wb.lens('▶ Run').waitFor({ timeout: 20_000 });
  const before = await poll(async () => ((await starts()) > 0 ? starts() : undefined), 10_000, () => 'the server start is not logged');
  await wb.clearNotifications();
  await wb.command('CoWorks: Restart server');
  await poll(async () => ((await starts()) > before ? true : undefined), 20_000, () => 'the server did not start again');
  await wb.lens('▶ Run').waitFor({ timeout: 20_000 });
  const log = await wb.outputLog('CoWorks');
  assert.deepEqual(log.split('\n').filter((l) => /\[Error|exited/.test(l)), [], 'no error, no exit in the CoWorks output');
  assert.deepEqual(await wb.notifications(), [], 'no notification');
}));

test('the coworks check task: its problem in the Problems view, its exit code in its terminal', step('task', async () => {
  const p = wb.page;
  // An error written outside the editor (an unknown entry argument): `cws check` finds it.
  const broken = path.join(wb.project, 'services', 'billing', 'src', 'task_probe.rs');
  fs.writeFileSync(broken, '#[coworks::service]\nimpl Billing {\n    #[entry(no_authz)]\n    fn get_task_probe(&self) -> String { String::new() }\n}\n');
  try {
    await wb.command('Tasks: Run Task');
    // VS Code asks every task provider first (its list may take a while the first time).
    await wb.quickInput().locator('input[placeholder="Select the task to run"]').waitFor({ timeout: 60_000 });
    await wb.pick('coworks');
    await wb.pick('coworks: check (dev)');
    await wb.terminalTab('check (dev)').first().waitFor();
    await wb.waitForTerminalText('exit code: 1', 60_000);
    await p.keyboard.press('Control+Shift+M');
    const problem = p.locator('.markers-panel .monaco-list-row', { hasText: 'no_authz' }).filter({ hasText: 'cws check' });
    await problem.first().waitFor({ timeout: 20_000 });
    assert.match(await problem.first().innerText(), /CWS008/);
    // It points into the file, where `cws check` said (the matcher resolved the path).
    await problem.first().dblclick();
    await p.locator('.tab.active[data-resource-name="task_probe.rs"]').waitFor();
    await p.locator('[id="status.editor.selection"]', { hasText: 'Ln 3, Col 13' }).waitFor();
    await wb.command('View: Close All Editors');
  } finally {
    fs.rmSync(broken, { force: true });
  }
}));

test('Debug without a debugger extension says which to install, once', step('debug', async () => {
  await wb.clearNotifications();
  await clickLens('impl Billing', /^Debug$/, wb.page.locator('.notification-toast', { hasText: 'CodeLLDB' }));
  const shown = await settled(() => wb.notifications(), 2_000);
  assert.equal(shown.length, 1, JSON.stringify(shown));
  assert.equal(shown[0].severity, 'error');
  assert.match(shown[0].message, /needs a native debugger extension: CodeLLDB \(vadimcn\.vscode-lldb\) or C\/C\+\+ \(ms-vscode\.cpptools\)/);
  await wb.clearNotifications();
}));

test('the walkthrough opens with its steps', step('walkthrough', async () => {
  await wb.command('CoWorks: Get started');
  const page = wb.page.locator('.gettingStartedContainer');
  await page.locator('.getting-started-category .category-title, h2', { hasText: 'Get started with CoWorks' }).first().waitFor({ timeout: 20_000 });
  const titles = await page.locator('.getting-started-step .step-title').allInnerTexts();
  assert.deepEqual(titles.map((t) => t.trim()), ['Install the CoWorks tools', 'Create a project', 'Run a service', 'Invoke an entry', 'Deploy a stage']);
  await page.locator('.getting-started-step', { hasText: 'Install the CoWorks tools' }).locator('a, .button-link', { hasText: 'Copy the install command' }).first().waitFor();
  // Closed with the mouse: the step's Markdown page is a webview that keeps the keyboard focus.
  await wb.page.locator('.tab', { hasText: 'Walkthrough' }).locator('.tab-actions .action-label').click();
  await wb.page.locator('.tab', { hasText: 'Walkthrough' }).waitFor({ state: 'detached' });
}));

test('a wrong server path gives one clear message', step('wrong-server', async () => {
  await wb.openFile(billing);
  // A path that is not there, then one that is executable but is the command line, not the server.
  for (const [wrong, says] of [
    [path.join(wb.project, 'no-such-coworks-lsp'), /is not an executable file/],
    [wb.bins.cws, /did not start: .* exited \(code \d+\) before answering as a language server\. It printed: "/],
  ] as const) {
    await wb.clearNotifications();
    await wb.setMachineSetting('coworks.server.path', wrong);
    await poll(async () => ((await wb.notifications()).length ? true : undefined), 20_000, () => `no message for ${wrong}`);
    const shown = await settled(() => wb.notifications(), 3_000);
    assert.equal(shown.length, 1, `one message for ${wrong}, got ${JSON.stringify(shown, null, 1)}`);
    assert.equal(shown[0].severity, 'error');
    assert.ok(shown[0].message.includes(wrong), `the message names the path: ${shown[0].message}`);
    assert.match(shown[0].message, says);
    assert.match(shown[0].message, /coworks\.server\.path/);
  }
  // Back to the right path: the server starts again.
  await wb.clearNotifications();
  await wb.setMachineSetting('coworks.server.path', wb.bins.lsp);
  await wb.openFile(billing);
  await wb.gotoLine(lineOf(billing, 'impl Billing'));
  await wb.lens('▶ Run').waitFor({ timeout: 30_000 });
}));
