// End-to-end harness: a real VS Code (code-server's web workbench, VS Code 1.100) in headless
// Chromium driven by playwright-core, with the extension installed from the .vsix its own packaging
// makes and the coworks-lsp / cws binaries built from the workspace, on a copy of examples/eshop.
// Nothing is written to the home directory: code-server gets its own config, user-data, extensions
// and XDG directories under a temporary directory, removed at the end.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Browser, chromium, type FrameLocator, type Locator, type Page } from 'playwright-core';

import { showsHoldLine } from '../src/logic/hold';
import { binaries, eshop, repo, targetDir } from '../test/support';

/** The extension's folder (this file is compiled to out/e2e/). */
export const extensionDir = path.resolve(__dirname, '..', '..');

/** The code-server package: `$COWORKS_CODE_SERVER`, else where scripts/ci-deps installs it. */
export function codeServerDir(): string {
  const dir = process.env.COWORKS_CODE_SERVER ?? path.join(targetDir(), 'code-server', 'node_modules', 'code-server');
  if (!fs.existsSync(path.join(dir, 'out', 'node', 'entry.js'))) {
    throw new Error(
      `code-server is not installed at ${dir}: run scripts/ci-deps, or vscode-extension/e2e/install-code-server.sh DIR and set COWORKS_CODE_SERVER=DIR/node_modules/code-server`,
    );
  }
  return dir;
}

/** Chromium: `$COWORKS_CHROMIUM`, else Debian's (`apt-get install chromium`). */
export function chromiumPath(): string {
  const exe = process.env.COWORKS_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(exe)) throw new Error(`Chromium is not installed at ${exe}: run scripts/ci-deps (apt-get install chromium) or set COWORKS_CHROMIUM`);
  return exe;
}

/** The lowest port the kernel hands out to unbound sockets (its ephemeral range; IANA's elsewhere). */
function ephemeralLow(): number {
  try {
    const low = parseInt(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0], 10);
    if (Number.isInteger(low) && low > 0) return low;
  } catch {
    // not Linux
  }
  return 49152;
}

/** Whether a server can listen on 127.0.0.1:`port` now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.on('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Where {@link freePort} looks: from here up to the ephemeral range. */
const LOWEST_PORT = 10_000;

/**
 * A TCP port on 127.0.0.1 that is free now and stays free until its server binds it, even minutes
 * later (the dev stage's port is written into the project before cargo builds the service): a random
 * one below the kernel's ephemeral range, which the kernel never gives to an outgoing connection or
 * to a `bind(0)` (a port from `listen(0)` is from that range, and any connection made meanwhile may
 * take it). Tries several.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  if (high <= LOWEST_PORT + 100) throw new Error(`the ephemeral port range starts at ${high}: no room below it for a test port (from ${LOWEST_PORT})`);
  const tried: number[] = [];
  for (let i = 0; i < 50; i++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (high - LOWEST_PORT));
    if (await canListen(port)) return port;
    tried.push(port);
  }
  throw new Error(`no free port below the ephemeral range (${high}): tried ${tried.join(', ')}`);
}

/**
 * Copies examples/eshop to `dest` as a project of its own: its crates' relative path dependencies
 * made absolute, a Cargo workspace of its services with the repository's Cargo.lock (so `cws run`
 * builds against the same dependencies), and the dev stage's port set to `port`.
 */
export function copyEshop(dest: string, port: number): void {
  fs.cpSync(eshop, dest, { recursive: true, filter: (src) => path.basename(src) !== 'target' });
  for (const svc of fs.readdirSync(path.join(dest, 'services'))) {
    const toml = path.join(dest, 'services', svc, 'Cargo.toml');
    const from = path.join(eshop, 'services', svc);
    const text = fs.readFileSync(toml, 'utf8').replace(/path = "([^"]+)"/g, (_, p: string) => `path = ${JSON.stringify(path.resolve(from, p))}`);
    fs.writeFileSync(toml, text);
  }
  // A workflow whose graph has an edge skipping a layer (the preview must route it around the task between).
  fs.copyFileSync(path.join(extensionDir, 'e2e', 'fixtures', 'health_round.cws.yml'), path.join(dest, 'workflows', 'health_round.cws.yml'));
  fs.writeFileSync(path.join(dest, 'Cargo.toml'), '[workspace]\nmembers = ["services/*"]\nresolver = "2"\n');
  fs.copyFileSync(path.join(repo, 'Cargo.lock'), path.join(dest, 'Cargo.lock'));
  const project = path.join(dest, 'project.cws.yml');
  const yml = fs.readFileSync(project, 'utf8');
  if (!/port: 8001/.test(yml)) throw new Error('examples/eshop/project.cws.yml no longer sets the dev port 8001');
  fs.writeFileSync(project, yml.replace('port: 8001', `port: ${port}`));
}

/** Makes the extension's .vsix with its own packaging (`vsce package`, which bundles first). */
export function packageVsix(out: string): void {
  const vsce = path.join(extensionDir, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--out', out], { cwd: extensionDir, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The user settings: a quiet, offline workbench. */
export const USER_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  // VS Code in a browser saves a second after each edit by default; the tests type into files and
  // undo, and a save racing a Run's cargo build would build the edit. Desktop VS Code's default.
  'files.autoSave': 'off',
  // The DOM renderer, so that a terminal's text can be read.
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.enablePersistentSessions': false,
  'remote.autoForwardPorts': false,
};

/** A running workbench on a copy of examples/eshop. */
export class Workbench {
  page!: Page;
  private browser!: Browser;
  private server!: ChildProcess;
  private serverLog = '';
  /** The temporary directory holding everything. */
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coworks-e2e-'));
  /** The copy of examples/eshop the workbench has open. */
  readonly project = path.join(this.tmp, 'eshop');
  readonly userData = path.join(this.tmp, 'user-data');
  readonly bins = binaries();
  /** The dev stage's port of the copy (what `cws run billing -s dev` listens on). */
  devPort = 0;

  /** Prepares the project, installs the extension, starts code-server and opens the workbench. */
  async start(): Promise<void> {
    const t0 = Date.now();
    this.devPort = await freePort();
    copyEshop(this.project, this.devPort);
    const vsix = path.join(this.tmp, 'coworks.vsix');
    packageVsix(vsix);
    const config = path.join(this.tmp, 'config.yaml');
    fs.writeFileSync(config, 'auth: none\ncert: false\n');
    const common = ['--config', config, '--user-data-dir', this.userData, '--extensions-dir', path.join(this.tmp, 'extensions')];
    const entry = path.join(codeServerDir(), 'out', 'node', 'entry.js');
    const env = this.env();
    execFileSync(process.execPath, [entry, ...common, '--install-extension', vsix], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.mkdirSync(path.join(this.userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(this.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
    this.writeMachineSettings();
    // `cws run` builds the service: build it now so that the Run lens does not wait for cargo.
    execFileSync('cargo', ['build', '-q', '--manifest-path', path.join(this.project, 'services', 'billing', 'Cargo.toml')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const port = await freePort();
    this.server = spawn(
      process.execPath,
      [entry, ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', this.project],
      { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        this.serverLog += d;
        if (this.serverLog.includes('HTTP server listening on')) resolve();
      };
      this.server.stdout!.on('data', onData);
      this.server.stderr!.on('data', onData);
      this.server.on('exit', (code) => reject(new Error(`code-server exited with ${code}: ${this.serverLog}`)));
    });
    await withTimeout(listening, 30_000, () => `code-server did not start: ${this.serverLog}`);
    this.browser = await chromium.launch({
      executablePath: chromiumPath(),
      env: this.env(),
      chromiumSandbox: false,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
    });
    this.page = await this.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await this.page.addInitScript(recordTerminalText);
    await this.page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.project)}`);
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
    console.log(`workbench ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (code-server ${JSON.parse(fs.readFileSync(path.join(codeServerDir(), 'package.json'), 'utf8')).version})`);
  }

  /**
   * The environment of code-server and Chromium: XDG directories under the temporary directory (so
   * that neither writes to the home directory), the workspace's cargo target directory.
   */
  private env(): NodeJS.ProcessEnv {
    const xdg = (name: string) => path.join(this.tmp, 'xdg', name);
    return {
      ...process.env,
      XDG_CONFIG_HOME: xdg('config'),
      XDG_DATA_HOME: xdg('data'),
      XDG_CACHE_HOME: xdg('cache'),
      XDG_STATE_HOME: xdg('state'),
      CARGO_TARGET_DIR: targetDir(),
    };
  }

  /**
   * Writes the settings of the machine the extension runs on before the workbench starts
   * (code-server's "Remote" settings, where VS Code reads machine-scoped settings such as
   * `coworks.server.path`): the binaries built from the workspace. Later changes go through the
   * Settings editor ({@link setMachineSetting}): VS Code does not watch this file.
   */
  private writeMachineSettings(): void {
    const file = path.join(this.userData, 'Machine', 'settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ 'coworks.server.path': this.bins.lsp, 'coworks.cli.path': this.bins.cws }, null, 2));
  }

  /**
   * Closes the browser and stops code-server with everything it started; removes the temporary
   * directory (kept when `$COWORKS_E2E_KEEP` is set, to read its logs).
   */
  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    if (this.server?.pid && this.server.exitCode === null) {
      const exited = new Promise((resolve) => this.server.on('exit', resolve));
      try {
        process.kill(-this.server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await withTimeout(exited, 10_000, () => 'code-server did not stop').catch(() => process.kill(-this.server.pid!, 'SIGKILL'));
    }
    if (process.env.COWORKS_E2E_KEEP) console.log(`e2e: kept ${this.tmp}`);
    else fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  /** The last lines code-server printed (for failure messages). */
  serverOutput(): string {
    return this.serverLog.split('\n').slice(-40).join('\n');
  }

  /** Saves a screenshot under the target directory (for a failed step). */
  async screenshot(name: string): Promise<string> {
    const dir = path.join(targetDir(), 'e2e-screenshots');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  // --- driving the workbench as a person does ---

  /** Runs a palette command by its title (F1, type it, click it). */
  async command(title: string): Promise<void> {
    const p = this.page;
    const exact = new RegExp(`^\\s*${escapeRe(title)}(\\s+\\(.*\\))?\\s*$`); // "Open Remote Settings (host)"
    const row = this.quickInput().locator('.monaco-list-row').filter({ has: p.locator('.label-name', { hasText: exact }) }).first();
    // A command whose `when` clause depends on the editor just opened is listed once the
    // workbench's context keys follow (asynchronously): the palette is opened again until then.
    // The palette closes when something else takes the focus meanwhile (a task's terminal, a
    // panel, a hover under the mouse): the box or the row is then found but hidden, and the
    // palette is opened again, the mouse moved out of the way.
    for (let attempt = 1; ; attempt++) {
      await p.mouse.move(1, 1);
      await p.keyboard.press('F1');
      const typed = await this.inputBox().fill(`>${title}`, { timeout: 5_000 }).then(() => true, () => false);
      const listed = typed && (await row.waitFor({ timeout: 5_000 }).then(() => true, () => false));
      if (listed && (await row.click({ timeout: 5_000 }).then(() => true, () => false))) return;
      if (attempt === 4) throw new Error(`the command palette does not list ${title}`);
      await p.keyboard.press('Escape');
    }
  }

  /** Opens a file of the project through Quick Open and waits for its editor. */
  async openFile(rel: string): Promise<void> {
    const p = this.page;
    await p.keyboard.press('Control+P');
    await this.inputBox().fill(rel);
    await this.quickInput().locator('.monaco-list-row', { hasText: path.basename(rel) }).first().click();
    await p.locator(`.tab.active[data-resource-name="${path.basename(rel)}"]`).first().waitFor();
  }

  /** Moves the cursor of the active editor to the start of a line (1-based), as Ctrl+G does. */
  async gotoLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    await this.inputBox().fill(`:${line}`);
    await this.quickInput().getByText(`Go to line ${line}.`).waitFor();
    await this.page.keyboard.press('Enter');
    await this.quickInput().waitFor({ state: 'hidden' });
  }

  /**
   * Sets a machine-scoped setting (such as `coworks.server.path`) as a person does: the Settings
   * editor, its Remote tab (the machine the extension runs on), the setting's box; then closes it.
   */
  async setMachineSetting(key: string, value: string): Promise<void> {
    const p = this.page;
    await this.command('Preferences: Open Remote Settings');
    const editor = p.locator('.settings-editor');
    await editor.locator('.action-label.checked', { hasText: 'Remote' }).waitFor();
    await editor.locator('.suggest-input-container textarea, .suggest-input-container input').first().waitFor();
    await p.keyboard.type(key);
    const input = editor.locator(`[data-key="${key}"] input`);
    await input.fill(value);
    await input.press('Enter');
    const file = path.join(this.userData, 'Machine', 'settings.json');
    const saved = () => {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8'))[key] === value;
      } catch {
        return false; // not there yet, or being written
      }
    };
    await poll(async () => (saved() ? true : undefined), 10_000, () => `${key} not saved in ${file}`);
    await this.command('View: Close Editor');
  }

  /** Picks the item labelled `label` (exactly) in the visible quick pick. */
  async pick(label: string): Promise<void> {
    const name = this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) });
    await this.quickInput().locator('.monaco-list-row').filter({ has: name }).first().click();
  }

  /** The quick input (palette, quick pick, input box). */
  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** The input of the visible input box, quick pick or palette. */
  inputBox(): Locator {
    return this.quickInput().locator('input:visible').first();
  }

  /** The terminal tabs whose name holds `name`. */
  terminalTab(name: string): Locator {
    return this.page.locator('.single-terminal-tab, .terminal-tabs-entry', { hasText: name });
  }

  /** The editor of the active editor group. */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** The extension's stage item in the status bar. */
  stageItem(): Locator {
    return this.page.locator('.statusbar-item[id^="coworks."]');
  }

  /** The status bar's problem counts (its aria-label: "No Problems", "Errors: 1, Warnings: 0"...). */
  problemsItem(): Locator {
    return this.page.locator('[id="status.problems"]');
  }

  /**
   * Waits until the visible terminal shows `text`; returns its text. With `terminal` (a terminal's
   * name), fails at once when that terminal closes meanwhile (VS Code closes a terminal whose
   * process exits with an error, its text with it), saying how it exited and what it showed last.
   */
  async waitForTerminalText(text: string, timeout = 30_000, terminal?: string): Promise<string> {
    const rows = this.page.locator('.terminal-wrapper.active .xterm-rows');
    let shown = '';
    let goneSince: number | undefined;
    const end = Date.now() + timeout;
    for (;;) {
      const now = (await rows.allInnerTexts().catch(() => [])).join('\n');
      if (now.trim()) shown = now;
      if ((await rows.filter({ hasText: text }).count()) > 0) return rows.first().innerText();
      // A command that failed keeps its terminal, its output and the wrapper's line (src/hold.ts).
      if (terminal !== undefined && showsHoldLine(now)) {
        throw new Error(`the command in '${terminal}' failed before it showed ${JSON.stringify(text)}; its terminal shows:\n${now}`);
      }
      if (terminal !== undefined) {
        const gone = (await this.terminalTab(terminal).count()) === 0;
        goneSince = gone ? (goneSince ?? Date.now()) : undefined;
        // Gone for a second: not a redraw of the panel.
        if (goneSince !== undefined && Date.now() - goneSince >= 1_000) {
          const exits = await this.page.locator('.notification-toast .notification-list-item-message', { hasText: /The terminal process/ }).allInnerTexts();
          throw new Error(
            `the terminal '${terminal}' closed before it showed ${JSON.stringify(text)}` +
              `\nVS Code says: ${exits.length ? exits.join('\n') : '(no exit message)'}` +
              `\nits last text:\n${(await this.lastTerminalText()) || shown}`,
          );
        }
      }
      if (Date.now() > end) throw new Error(`the terminal never showed ${JSON.stringify(text)}; it shows:\n${shown}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * The last text the active terminal rendered, kept by the page (see {@link recordTerminalText}):
   * still there when VS Code has closed the terminal.
   */
  async lastTerminalText(): Promise<string> {
    return this.page.evaluate(() => (window as unknown as { coworksTerminalText?: string }).coworksTerminalText ?? '').catch(() => '');
  }

  /** Waits until the Output view shows channel `channel` with text matching `re`; returns the text. */
  async waitForOutput(channel: string, re: RegExp, timeout = 30_000): Promise<string> {
    const view = this.page.locator('.part.panel .output-view .view-lines');
    let last = '';
    const text = await poll(async () => {
      last = await linesOf(view);
      return re.test(last) ? last : undefined;
    }, timeout, () => `the Output view never showed ${re}; it shows:\n${last}`);
    const shown = await this.page.locator('.part.panel .monaco-select-box').evaluateAll((els) => els.map((e) => (e as HTMLSelectElement).value));
    if (!shown.includes(channel)) throw new Error(`the Output view shows ${JSON.stringify(shown)}, not ${channel}`);
    return text;
  }

  /**
   * Answers the input box (or quick pick) titled `title` — waiting for it, since one box follows
   * another in the same widget — with `text`, and accepts it.
   */
  async answer(title: string, text: string): Promise<void> {
    await this.quickInput().locator('.quick-input-title', { hasText: title }).waitFor();
    await this.inputBox().fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** The code lenses shown in the active editor. */
  lens(title: string | RegExp): Locator {
    return this.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: title });
  }

  /**
   * Clicks the lens `title` of the active editor and waits for `effect` (what the click shows).
   * The workbench re-asks for lenses whenever the editor regains focus and swaps the rendered ones a
   * moment later; a click in between runs a released lens command ("Actual command not found",
   * VS Code's own race, which a person clicking again gets past): the click is then retried.
   */
  async clickLens(title: string | RegExp, effect: Locator): Promise<void> {
    const stale = this.page.locator('.notification-toast', { hasText: 'Actual command not found' });
    for (let attempt = 1; ; attempt++) {
      // A toast left by an earlier stale click would answer the race below at once.
      if ((await stale.count()) > 0) await this.clearNotifications();
      const lens = (await this.lens(title).elementHandle({ timeout: 30_000 }))!;
      const clicked = await lens.click({ timeout: 5_000 }).then(
        () => true,
        () => false, // re-rendered before the click
      );
      if (!clicked && attempt < 5) continue;
      const shown = await Promise.race([
        effect.first().waitFor({ timeout: 30_000 }).then(() => true),
        stale.first().waitFor({ timeout: 30_000 }).then(() => false),
      ]);
      // The toast may come from another click than this one: what the click shows decides.
      if (shown || (await effect.first().waitFor({ timeout: 2_000 }).then(() => true, () => false))) return;
      if (attempt >= 5) throw new Error(`the lens ${title} could not be clicked, or ran a released command, ${attempt} times`);
      await this.page.waitForFunction((e) => !e.isConnected, lens, { timeout: 10_000 }).catch(() => undefined);
    }
  }

  /** The titles of the code lenses of the active editor. */
  async lensTitles(): Promise<string[]> {
    return (await this.page.locator('.editor-group-container.active .codelens-decoration a').allInnerTexts()).map((t) => t.trim());
  }

  /** Every notification of the notification center (toasts hide, the center keeps them). */
  async notifications(): Promise<{ severity: string; message: string }[]> {
    await this.command('Notifications: Show Notifications');
    const center = this.page.locator('.notifications-center');
    await center.waitFor();
    const items = await center.locator('.notification-list-item').evaluateAll((els) =>
      els.map((t) => ({
        severity: t.querySelector('.codicon-error') ? 'error' : t.querySelector('.codicon-warning') ? 'warning' : 'info',
        message: (t.querySelector('.notification-list-item-message') as HTMLElement | null)?.innerText ?? '',
      })),
    );
    await this.command('Notifications: Hide Notifications');
    return items;
  }

  /**
   * The text of an output channel, from the log file VS Code keeps of it (what the Output view
   * shows); empty before VS Code wrote it.
   */
  async outputLog(channel: string): Promise<string> {
    const logs = path.join(this.userData, 'logs');
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (new RegExp(`^\\d+-${escapeRe(channel)}\\.log$`).test(e.name) && dir.includes('output_logging_')) found.push(p);
      }
    };
    if (fs.existsSync(logs)) walk(logs);
    return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  }

  /** Clears every notification. */
  async clearNotifications(): Promise<void> {
    await this.command('Notifications: Clear All Notifications');
  }

  /** Shows the CoWorks view: a click on its icon in the activity bar (when it is not shown yet). */
  async openCoWorksView(): Promise<void> {
    const rows = this.page.locator('.part.sidebar .monaco-list-row');
    const title = this.page.locator('.part.sidebar .composite.title', { hasText: /COWORKS/i });
    if (await title.isVisible()) return;
    await this.page.locator('.part.activitybar .action-item .action-label[aria-label^="CoWorks"]').click();
    await title.waitFor();
    await rows.first().waitFor({ timeout: 30_000 });
  }

  /** The row of the CoWorks view whose label is `label` (the n-th such row, for a label repeated per stage). */
  viewRow(label: string, nth = 0): Locator {
    const name = this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) });
    return this.page.locator('.part.sidebar .monaco-list-row').filter({ has: name }).nth(nth);
  }

  /** Expands a collapsed row of a tree (its twistie), and waits until it is expanded. */
  async expand(row: Locator): Promise<void> {
    if ((await row.getAttribute('aria-expanded')) === 'true') return;
    await row.locator('.monaco-tl-twistie').click();
    await this.page.waitForFunction((el) => el?.getAttribute('aria-expanded') === 'true', await row.elementHandle(), { timeout: 10_000 });
  }

  /** Clicks the inline action `title` of a row (shown on hover, as a person finds it). */
  async inlineAction(row: Locator, title: string): Promise<void> {
    await row.hover();
    await row.locator(`.actions .action-label[aria-label="${title}"]`).click();
  }

  /** The webview of an editor tab (VS Code nests the page in two iframes). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }
}

/**
 * Runs in the workbench's page: keeps the text of the active terminal each time it renders, in
 * `window.coworksTerminalText`, so that a terminal's last words survive VS Code closing it.
 */
function recordTerminalText(): void {
  const w = window as unknown as { coworksTerminalText?: string };
  new MutationObserver((changes) => {
    for (const c of changes) {
      const el = c.target instanceof Element ? c.target : c.target.parentElement;
      const rows = el?.closest('.terminal-wrapper.active .xterm-rows');
      if (rows instanceof HTMLElement) {
        if (rows.innerText.trim()) w.coworksTerminalText = rows.innerText;
        return;
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

/** `s` with the characters that regular expressions treat specially escaped. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The text of an editor's rendered lines (`.view-lines`), in screen order, with plain spaces. */
export async function linesOf(viewLines: Locator): Promise<string> {
  const lines = await viewLines.first().evaluate((el) =>
    [...el.querySelectorAll<HTMLElement>('.view-line')]
      .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
      .map((l) => l.innerText.replace(/\u00a0/g, ' ')),
  ).catch(() => [] as string[]);
  return lines.join('\n');
}

/** Calls `f` every 100 ms until it returns a value; an error after `ms`. */
export async function poll<T>(f: () => Promise<T | undefined>, ms: number, message: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(message());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `f` until its answer stays the same for `quietMs`; returns that answer. */
export async function settled<T>(f: () => Promise<T>, quietMs: number, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last = JSON.stringify(await f());
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const v = await f();
    const now = JSON.stringify(v);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return v;
    }
    if (Date.now() > end) throw new Error(`still changing after ${ms} ms: ${now}`);
  }
}

/** `p`, or an error after `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
