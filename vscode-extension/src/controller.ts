/**
 * Everything that needs the language client. Loaded (as `dist/client.js`) only when the server is
 * first needed, so that activation stays light. Logic lives in `logic/`; this file only wires it to
 * the `vscode` API.
 */

import { spawn } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient, type LanguageClientOptions } from 'vscode-languageclient/node';

import { CoWorksDebug } from './debugProvider';
import { CoWorksClient, reported } from './languageClient';
import { DOCUMENT_SELECTOR } from './logic/documents';
import * as inv from './logic/invoke';
import * as lens from './logic/lens';
import * as oa from './logic/openapi';
import * as pv from './logic/preview';
import * as rt from './logic/routes';
import { hintsChange, hintsOption, HINTS_SETTING } from './logic/hints';
import { findServer, INSTALL_COMMAND, processEnv } from './logic/serverPath';
import { initializationOptions, parseStages, SET_STAGE_REQUEST, STAGE_NOTIFICATION, type Stages, STAGES_REQUEST } from './logic/stage';
import * as tr from './logic/tree';
import { ProjectView } from './projectView';
import { CoWorksTasks } from './taskProvider';

/** The custom requests of the server. */
export const ROUTES_REQUEST = 'coworks/routes';
export const PREVIEW_REQUEST = 'coworks/workflowPreview';

/** How the controller reports a stage change back to the status bar. */
export interface Host {
  stages: Stages;
  onStagesChanged(): void;
}

export class Controller implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  /** The *CoWorks* output channel. */
  readonly log: vscode.OutputChannel;
  private readonly replies: vscode.OutputChannel;
  /** The CoWorks view's data. */
  readonly view: ProjectView;
  /** The `coworks` tasks. */
  readonly tasks: CoWorksTasks;
  /** The `coworks` launch configurations. */
  readonly debug: CoWorksDebug;
  private readonly previews = new Map<string, { panel: vscode.WebviewPanel; preview: pv.Preview; timer?: NodeJS.Timeout }>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The watcher of the workflows' last runs, made once the server told where they are. */
  private lastRuns: vscode.Disposable | undefined;
  private toldMissing = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly host: Host,
  ) {
    this.log = vscode.window.createOutputChannel('CoWorks');
    this.replies = vscode.window.createOutputChannel('CoWorks: invoke');
    this.view = new ProjectView(this);
    this.tasks = new CoWorksTasks(this);
    this.debug = new CoWorksDebug(this);
    this.subscriptions.push(
      this.view,
      this.debug,
      vscode.workspace.onDidChangeTextDocument((e) => this.schedulePreview(e.document)),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedulePreview(d)),
      // A deploy that ended may have changed the deployed URLs.
      vscode.window.onDidCloseTerminal((t) => t.name.startsWith('CoWorks: deploy') && this.view.refreshDeployed()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`coworks.${HINTS_SETTING}`)) void this.client?.sendNotification('workspace/didChangeConfiguration', hintsChange(this.hintsEnabled()));
      }),
    );
  }

  /** The stage the server uses (what the status bar shows). */
  activeStage(): string | undefined {
    return this.host.stages.current;
  }

  /** Starts the server once; later calls wait for the same start. */
  start(): Promise<LanguageClient> {
    if (this.client) return Promise.resolve(this.client);
    this.starting ??= this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<LanguageClient> {
    const t0 = Date.now();
    const setting = vscode.workspace.getConfiguration('coworks').get<string>('server.path');
    const found = findServer(setting, this.context.extensionPath, processEnv());
    if (typeof found === 'string') {
      // One notification per session, offering the install command (later starts only log).
      if (!this.toldMissing) {
        this.toldMissing = true;
        void vscode.window.showErrorMessage(found, 'Copy install command').then((c) => c && vscode.env.clipboard.writeText(INSTALL_COMMAND));
      }
      throw reported(found);
    }
    this.log.appendLine(`coworks-lsp: ${found.path} (from ${found.source})`);
    const options: LanguageClientOptions = {
      documentSelector: [...DOCUMENT_SELECTOR],
      outputChannel: this.log,
      initializationOptions: () => ({ ...initializationOptions(this.host.stages.requested), ...hintsOption(this.hintsEnabled()) }),
      middleware: {
        executeCommand: (command, args, next) => this.onLensCommand(command, args, next),
      },
    };
    const client = CoWorksClient.create(found.path, this.log, options);
    client.onNotification(STAGE_NOTIFICATION, (params: unknown) => this.told(params));
    client.onNotification(tr.TREE_NOTIFICATION, () => this.view.changedOnServer());
    await client.start();
    this.client = client;
    this.lastRuns?.dispose();
    this.lastRuns = this.watchLastRuns(pv.lastRunsGlob(client.initializeResult?.capabilities));
    await this.refreshStages();
    this.log.appendLine(`coworks-lsp started in ${Date.now() - t0} ms`);
    void vscode.commands.executeCommand('setContext', 'coworks.serverRunning', true);
    return client;
  }

  /** Takes what the server says about the stages (a notification or an answer). */
  private told(answer: unknown): void {
    const stages = parseStages(answer);
    if (!stages) return;
    this.host.stages.update(stages);
    this.host.onStagesChanged();
  }

  /** Asks the running server for the stages (`coworks/stages`); errors are only logged. */
  async refreshStages(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      this.told(await client.sendRequest(STAGES_REQUEST, {}));
    } catch (e) {
      this.log.appendLine(`stages: ${e}`);
    }
  }

  /** Asks the server to switch to `stage`; it answers (and notifies) the stage it uses now. */
  async setStage(stage: string): Promise<void> {
    const client = await this.start();
    this.told(await client.sendRequest(SET_STAGE_REQUEST, { stage }));
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    const c = this.client ?? (await this.starting?.catch(() => undefined));
    this.client = undefined;
    await c?.stop().catch((e) => this.log.appendLine(`stop: ${e}`));
  }

  /** Restarts the server (with the current stage in its initialization options). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The project root, as the server sees it (the directory `cws` commands run in). */
  async projectRoot(): Promise<string> {
    await this.start();
    if (!this.host.stages.told) await this.refreshStages();
    const root = this.host.stages.told?.root;
    if (!root) throw new Error('the server did not tell the project root');
    return root;
  }

  /** `coworks/routes` for a stage (`null`: every stage). */
  async routes(stage: string | null): Promise<rt.RoutesAnswer> {
    const client = await this.start();
    const answer = rt.parseRoutes(await client.sendRequest(ROUTES_REQUEST, { stage }));
    if (typeof answer === 'string') throw new Error(answer);
    return answer;
  }

  /** The `cws` executable (`coworks.cli.path`). */
  cli(): string {
    return vscode.workspace.getConfiguration('coworks').get<string>('cli.path') || 'cws';
  }

  /** `coworks/projectTree`: the project as the CoWorks view shows it (an error message if none). */
  async projectTree(): Promise<tr.ProjectTree | string> {
    const client = await this.start();
    return tr.parseTree(await client.sendRequest(tr.TREE_REQUEST, {}));
  }

  /** Sends an action to the server (`workspace/executeCommand`); its answer, unchecked. */
  async execute(action: lens.Action): Promise<unknown> {
    const client = await this.start();
    return client.sendRequest(ExecuteCommandRequest.type, { command: lens.COMMAND_OF[action.action], arguments: [{ action }] });
  }

  private async onLensCommand(command: string, args: unknown[], next: (c: string, a: unknown[]) => unknown): Promise<unknown> {
    if (command === lens.SHOW_REFERENCES) return this.showReferences(args);
    if (!lens.isLensCommand(command)) return next(command, args);
    const i = lens.invocationOf(args?.[0]);
    if (typeof i === 'string') {
      void vscode.window.showErrorMessage(`CoWorks: ${command}: ${i}`);
      return undefined;
    }
    return this.runInvocation(i, (filled) => next(command, [{ action: filled }]));
  }

  /**
   * Does what a lens (or an action of the CoWorks view) stands for: show routes, deploy (asking
   * first for a production stage), invoke (asking for the values; `resolve` sends the filled-in
   * action back to the server), debug, check as a task; run, deploy and build in their terminals.
   */
  async runInvocation(i: lens.Invocation, resolve: (filled: lens.Action) => unknown = (a) => this.execute(a)): Promise<void> {
    const a = i.action;
    if (a.action === 'routes') return this.showRoutes(a.stage ?? null);
    if (a.action === 'debug') return this.debug.start(a.service ?? '', a.stage ?? undefined);
    if (a.action === 'check') return this.tasks.run(i);
    const question = lens.deployConfirmation(i);
    if (question) {
      const yes = 'Deploy';
      if ((await vscode.window.showWarningMessage(question, { modal: true }, yes)) !== yes) return undefined;
    }
    if (a.action === 'invoke') return this.invoke(i, resolve);
    if (!(await this.saveBeforeRun())) return undefined;
    await this.inTerminal(lens.terminalName(i), i, a.action === 'run');
  }

  /**
   * Unsaved project files saved (or not) before a terminal run reads the project from disk, as
   * VS Code's tasks do by `task.saveBeforeRun`; false when the user cancelled.
   */
  private async saveBeforeRun(): Promise<boolean> {
    const how = lens.saveBeforeRun(vscode.workspace.getConfiguration('task').get('saveBeforeRun'));
    const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && !d.isUntitled);
    if (how === 'leave' || dirty.length === 0) return true;
    if (how === 'ask') {
      const save = 'Save';
      const dont = "Don't Save";
      const names = dirty.map((d) => vscode.workspace.asRelativePath(d.uri)).join(', ');
      const answer = await vscode.window.showWarningMessage(`Save the unsaved files before running? (${names})`, { modal: true }, save, dont);
      if (answer === undefined) return false;
      if (answer === dont) return true;
    }
    await vscode.workspace.saveAll(false);
    return true;
  }

  private hintsEnabled(): boolean {
    return vscode.workspace.getConfiguration('coworks').get<boolean>(HINTS_SETTING) !== false;
  }

  /** `used by N workflow tasks`: the references view of the locations the lens carries. */
  private async showReferences(args: unknown[]): Promise<void> {
    const r = lens.referencesOf(args);
    const client = this.client;
    if (typeof r === 'string' || !client) return void this.log.appendLine(`showReferences: ${r}`);
    const p2c = client.protocol2CodeConverter;
    const locations = r.locations.map((l) => p2c.asLocation(l));
    await vscode.commands.executeCommand('editor.action.showReferences', p2c.asUri(r.uri), p2c.asPosition(r.position), locations);
  }

  /** Runs an invocation's argument vector in a named terminal (no shell in between: nothing to quote). */
  private async inTerminal(name: string, i: lens.Invocation, fresh: boolean): Promise<void> {
    const argv = lens.withCli(i.argv, this.cli());
    const running = vscode.window.terminals.find((x) => x.name === name && x.exitStatus === undefined);
    if (running && !fresh) {
      // A deploy or check still running: show it rather than start a second one.
      running.show(true);
      void vscode.window.showInformationMessage(`CoWorks: '${name}' is still running.`);
      return;
    }
    if (running) {
      // A running `cws run` is replaced: stopped as Ctrl-C stops it (the service drains and frees
      // its port), then the new one starts.
      const stopped = stopTerminal(running, STOP_TIMEOUT_MS);
      vscode.window.setStatusBarMessage(`CoWorks: stopping ${name}…`, stopped);
      await stopped;
    }
    for (const done of vscode.window.terminals.filter((x) => x.name === name)) done.dispose();
    // Through the wrapper (node, VS Code's own, with the command's argument vector): a command that
    // fails keeps its terminal and its output until a key is pressed.
    const t = vscode.window.createTerminal({
      name,
      cwd: i.cwd,
      shellPath: process.execPath,
      shellArgs: [path.join(__dirname, 'hold.js'), ...argv],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    t.show(true);
  }

  private async invoke(i: lens.Invocation, ask: (filled: lens.Action) => unknown): Promise<void> {
    const route = i.route;
    const template = i.action.path ?? '/';
    const p = await vscode.window.showInputBox({
      title: `Invoke ${i.action.method} ${template} (${i.action.service}, ${i.action.stage})`,
      prompt: 'Path (fill in the {parameters})',
      value: template,
      validateInput: inv.checkPath,
    });
    if (p === undefined) return;
    const query = await vscode.window.showInputBox({ title: 'Query', prompt: 'k=v&k2=v2 (empty for none)', value: inv.queryTemplate(route?.query ?? []) });
    if (query === undefined) return;
    let body = '';
    if (route?.body) {
      const b = await vscode.window.showInputBox({ title: 'JSON body', prompt: 'JSON (empty for none)', value: '{}', validateInput: inv.checkBody });
      if (b === undefined) return;
      body = b;
    }
    let filled: lens.Invocation | string;
    try {
      filled = lens.invocationOf(await ask(inv.filledAction(i, { path: p, query, body })));
    } catch (e) {
      filled = (e as Error).message ?? String(e);
    }
    if (typeof filled === 'string') {
      void vscode.window.showErrorMessage(`CoWorks: ${filled}`);
      return;
    }
    const argv = lens.withCli(filled.argv, this.cli());
    this.replies.show(true);
    const child = spawn(argv[0], argv.slice(1), { cwd: filled.cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => this.replies.append(inv.formatReply(filled.command, '', `${e.message} (set coworks.cli.path to the cws binary)`, null)));
    child.on('close', (code) => this.replies.append(inv.formatReply(filled.command, out, err, code)));
  }

  /** Show routes: a quick pick of every route; the pick opens its entry. */
  async showRoutes(stage: string | null = this.host.stages.current ?? null): Promise<void> {
    const [routes, root] = await Promise.all([this.routes(stage), this.projectRoot()]);
    const items = rt.routeItems(routes);
    const pick = await vscode.window.showQuickPick(items, {
      title: `CoWorks routes${stage ? ` (${stage})` : ''}`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (pick) await this.open(root, pick.location.file, pick.location.span.start.line, pick.location.span.start.col);
  }

  /**
   * Show OpenAPI: the OpenAPI document of the service whose crate holds the active file (else one
   * picked) in the active stage, from the server (`coworks/openapi`), opened as JSON or YAML.
   */
  async showOpenApi(file: string | undefined): Promise<void> {
    const stage = this.host.stages.current ?? null;
    const [routes, root] = await Promise.all([this.routes(null), this.projectRoot()]);
    let service = oa.serviceOfFile(routes, root, file);
    if (!service) {
      const names = oa.serviceNames(routes);
      if (names.length === 0) throw new Error('the project has no service');
      service = names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { title: 'CoWorks: OpenAPI of which service?' });
      if (!service) return;
    }
    const picked = await vscode.window.showQuickPick(['YAML', 'JSON'], { title: `CoWorks: OpenAPI of ${service}${stage ? ` (${stage})` : ''} as` });
    if (!picked) return;
    const format: oa.Format = picked === 'JSON' ? 'json' : 'yaml';
    const client = await this.start();
    const doc = oa.checkDocument(await client.sendRequest(oa.OPENAPI_REQUEST, oa.openApiParams(service, stage)));
    if (typeof doc === 'string') throw new Error(doc);
    const shown = await vscode.workspace.openTextDocument({ language: format, content: oa.documentText(doc, format) });
    await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  }

  /** Opens an LSP location (a node of the CoWorks view) with the cursor at its start. */
  async openLocation(location: { uri: string; range: tr.Range }): Promise<void> {
    const start = new vscode.Position(location.range.start.line, location.range.start.character);
    await vscode.window.showTextDocument(vscode.Uri.parse(location.uri), { selection: new vscode.Range(start, start) });
  }

  private async open(root: string, file: string, line: number, col: number, viewColumn?: vscode.ViewColumn): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(rt.resolveFile(root, file)));
    const text = line < doc.lineCount ? doc.lineAt(line).text : '';
    const pos = new vscode.Position(line, rt.utf16Col(text, col));
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn });
  }

  /**
   * Check project: the task `coworks: check (<stage>)` — `cws check -s <stage> --message-format
   * short`, the line the server answers — whose problem matcher fills the Problems view.
   */
  async checkProject(): Promise<void> {
    await this.start();
    const i = lens.invocationOf(await this.execute({ action: 'check', stage: this.host.stages.current ?? null, short: true }));
    if (typeof i === 'string') throw new Error(i);
    await this.tasks.run(i);
  }

  /** Preview workflow: a webview of the workflow graph, updated as the file changes. */
  async previewWorkflow(doc: vscode.TextDocument | vscode.Uri): Promise<void> {
    if (doc instanceof vscode.Uri) doc = await vscode.workspace.openTextDocument(doc);
    const key = doc.uri.toString();
    let entry = this.previews.get(key);
    if (!entry) {
      const panel = vscode.window.createWebviewPanel('coworks.workflowPreview', `Preview ${path.basename(doc.fileName)}`, vscode.ViewColumn.Beside, {
        enableScripts: true,
        localResourceRoots: [],
      });
      const created = { panel, preview: pv.parsePreview(null) };
      entry = created;
      this.previews.set(key, created);
      panel.onDidDispose(() => this.previews.delete(key));
      panel.webview.onDidReceiveMessage(async (msg) => {
        const action = pv.handleMessage(msg, created.preview);
        if (action.kind === 'open') await this.open(await this.projectRoot(), action.file, action.line, action.col, entryColumn(key, panel));
        else if (action.kind === 'ignore') this.log.appendLine(`preview: ${action.reason}`);
      });
    }
    entry.panel.reveal(undefined, true);
    await this.refreshPreview(doc);
  }

  private schedulePreview(doc: vscode.TextDocument): void {
    const entry = this.previews.get(doc.uri.toString());
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void this.refreshPreview(doc), 250);
  }

  /**
   * Redraws the open previews when a local run (`cws workflow run`, the "▶ Run workflow" lens)
   * writes a workflow's last task states, in the files of `glob` (the server's `lastRunsGlob`).
   */
  private watchLastRuns(glob: string | undefined): vscode.Disposable | undefined {
    if (!glob) {
      this.log.appendLine('coworks-lsp names no last-runs glob: previews redraw on edits only');
      return undefined;
    }
    const watcher = vscode.workspace.createFileSystemWatcher(glob);
    const redraw = () => {
      for (const key of this.previews.keys()) {
        void vscode.workspace.openTextDocument(vscode.Uri.parse(key)).then((d) => this.refreshPreview(d), () => undefined);
      }
    };
    watcher.onDidCreate(redraw);
    watcher.onDidChange(redraw);
    return watcher;
  }

  private async refreshPreview(doc: vscode.TextDocument): Promise<void> {
    const entry = this.previews.get(doc.uri.toString());
    if (!entry) return;
    const client = await this.start();
    let answer: unknown;
    try {
      answer = await client.sendRequest(PREVIEW_REQUEST, { textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) } });
    } catch (e) {
      answer = { available: false, message: `coworks/workflowPreview failed: ${(e as Error).message}` };
    }
    entry.preview = pv.parsePreview(answer);
    const nonce = [...Array(24)].map(() => Math.floor(Math.random() * 36).toString(36)).join('');
    entry.panel.webview.html = pv.renderHtml(entry.preview, path.basename(doc.fileName), nonce, entry.panel.webview.cspSource);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.lastRuns?.dispose();
    for (const p of this.previews.values()) p.panel.dispose();
    void this.stop();
    this.log.dispose();
    this.replies.dispose();
  }
}

/** How long a replaced `cws run` may take to stop: a service drains for up to 30 s by default. */
const STOP_TIMEOUT_MS = 35_000;

/** Sends Ctrl-C to a terminal's process and waits (up to `ms`) until it exited; then closes it. */
async function stopTerminal(t: vscode.Terminal, ms: number): Promise<void> {
  t.sendText('\x03', false);
  const end = Date.now() + ms;
  while (t.exitStatus === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  t.dispose();
}

/** Where a task's entry opens: the workflow editor's column (the preview stays visible beside it). */
function entryColumn(workflowUri: string, preview: vscode.WebviewPanel): vscode.ViewColumn {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === workflowUri && e.viewColumn !== preview.viewColumn);
  return editor?.viewColumn ?? (preview.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
}
