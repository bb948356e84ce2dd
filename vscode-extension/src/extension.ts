/**
 * Activation: a status bar item, the palette and view commands, the CoWorks view, the `coworks`
 * task and launch configuration providers, and a watch for CoWorks files. Nothing else: the language
 * client (`dist/client.js`) is loaded and the server started only when a CoWorks file is open, the
 * view is shown, or a command, a task or a launch needs it.
 */

import * as path from 'path';
import * as vscode from 'vscode';

import type { Controller } from './controller';
import { fileKind, startsServer } from './logic/documents';
import { INSTALL_TOOLS_COMMAND } from './logic/serverPath';
import { Stages } from './logic/stage';
import type { TreeNode } from './logic/tree';

const loadedAt = performance.now();
let controller: Controller | undefined;

/** How long the last activation took (ms), measured from module load; tests read it. */
export let activationMs = 0;

export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const setting = vscode.workspace.getConfiguration('coworks').get<string>('stage');
  const stages = new Stages(context.workspaceState.get<string>('coworks.stage') || setting || undefined);
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = 'coworks.selectStage';
  status.tooltip = 'CoWorks stage: click to switch';
  const host = { stages, onStagesChanged: () => (status.text = stages.label()) };
  host.onStagesChanged();
  status.show();

  // The view's changes are forwarded from the controller once it exists (subscribing to its own
  // event would load the client now).
  const treeChanged = new vscode.EventEmitter<TreeNode | undefined>();
  const get = (): Controller => {
    if (!controller) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(__dirname, 'client.js')) as typeof import('./controller');
      controller = new mod.Controller(context, host);
      context.subscriptions.push(controller, controller.view.onDidChangeTreeData((n) => treeChanged.fire(n)));
    }
    return controller;
  };
  const guarded = (f: () => Promise<unknown>) => async () => {
    try {
      await f();
    } catch (e) {
      // Errors the controller already showed (the server did not start) are not shown twice.
      if (!(e as { reported?: boolean }).reported) void vscode.window.showErrorMessage(`CoWorks: ${(e as Error).message ?? e}`);
    }
  };

  let projectDirs: string[] | undefined;
  const maybeStart = async (doc: vscode.TextDocument) => {
    if (controller || doc.uri.scheme !== 'file' || !fileKind(doc.fileName, doc.languageId)) return;
    projectDirs ??= (await vscode.workspace.findFiles('**/project.cws.yml', '**/{node_modules,target}/**', 50)).map((u) => path.dirname(u.fsPath));
    if (startsServer(doc.fileName, doc.languageId, projectDirs)) await get().start();
  };

  const view = vscode.window.createTreeView<TreeNode>('coworks.project', {
    treeDataProvider: {
      onDidChangeTreeData: treeChanged.event,
      getChildren: (n) => get().view.getChildren(n),
      getTreeItem: (n) => get().view.getTreeItem(n),
    },
    showCollapseAll: true,
  });
  // A view action: the node it was clicked on (inline buttons and the context menu pass it).
  const onNode = (f: (c: Controller, n: TreeNode | undefined) => Promise<unknown>) => (n?: TreeNode) => guarded(() => f(get(), n ?? view.selection[0]))();
  const viewAction = (verb: string) => onNode((c, n) => c.view.act(n, verb));

  context.subscriptions.push(
    status,
    treeChanged,
    view,
    vscode.tasks.registerTaskProvider('coworks', {
      provideTasks: () => get().tasks.provideTasks(),
      resolveTask: (t) => get().tasks.resolveTask(t),
    }),
    vscode.debug.registerDebugConfigurationProvider('coworks', {
      provideDebugConfigurations: () => get().debug.provideDebugConfigurations(),
      resolveDebugConfiguration: (f, c) => get().debug.resolveDebugConfiguration(f, c),
    }),
    ...['run', 'invoke', 'deploy', 'debug', 'build', 'check'].map((verb) => vscode.commands.registerCommand(`coworks.view.${verb}`, viewAction(verb))),
    vscode.commands.registerCommand('coworks.view.refresh', guarded(async () => get().view.refresh())),
    vscode.commands.registerCommand(
      'coworks.view.open',
      onNode(async (c, n) => {
        if (!n?.location) throw new Error(`${n?.label ?? 'this node'} has no source to open`);
        await c.openLocation(n.location);
      }),
    ),
    vscode.commands.registerCommand(
      'coworks.view.preview',
      onNode(async (c, n) => {
        if (!n?.location) throw new Error('no workflow file to preview');
        await c.previewWorkflow(vscode.Uri.parse(n.location.uri));
      }),
    ),
    vscode.commands.registerCommand(
      'coworks.view.openUrl',
      onNode(async (c, n) => {
        const url = c.view.url(n);
        if (!url) throw new Error(`no deployed URL known for ${n?.label ?? 'this node'}`);
        await vscode.env.openExternal(vscode.Uri.parse(url));
      }),
    ),
    vscode.commands.registerCommand('coworks.copyInstallCommand', async () => {
      await vscode.env.clipboard.writeText(INSTALL_TOOLS_COMMAND);
      void vscode.window.showInformationMessage(`CoWorks: copied \`${INSTALL_TOOLS_COMMAND}\`: paste it in a terminal.`);
    }),
    vscode.commands.registerCommand('coworks.openWalkthrough', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#coworks.gettingStarted`, false),
    ),
    vscode.workspace.onDidOpenTextDocument((d) => void maybeStart(d).catch(() => undefined)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (controller && e.affectsConfiguration('coworks.server.path')) void guarded(() => controller!.restart())();
    }),
    vscode.commands.registerCommand('coworks.showRoutes', guarded(() => get().showRoutes())),
    vscode.commands.registerCommand(
      'coworks.showOpenApi',
      guarded(() => get().showOpenApi(vscode.window.activeTextEditor?.document.uri.fsPath)),
    ),
    vscode.commands.registerCommand('coworks.checkProject', guarded(() => get().checkProject())),
    vscode.commands.registerCommand('coworks.restartServer', guarded(() => get().restart())),
    vscode.commands.registerCommand(
      'coworks.previewWorkflow',
      guarded(async () => {
        const doc = vscode.window.activeTextEditor?.document;
        if (!doc || fileKind(doc.fileName) !== 'workflow') {
          throw new Error('open a workflow file (workflows/*.cws.yml) first');
        }
        await get().previewWorkflow(doc);
      }),
    ),
    vscode.commands.registerCommand(
      'coworks.selectStage',
      guarded(async () => {
        // The server owns the stage: it lists the project's stages and switches.
        const c = get();
        await c.start();
        await c.refreshStages();
        const items = stages.list().map((s) => ({ label: s.name, description: s.production ? 'production' : undefined }));
        const pick = await vscode.window.showQuickPick(items, { title: `CoWorks stage (now ${stages.current ?? 'the first'})` });
        if (!pick || pick.label === stages.current) return;
        stages.requested = pick.label;
        await context.workspaceState.update('coworks.stage', pick.label);
        await c.setStage(pick.label);
      }),
    ),
  );

  // Files already open (the window was restored): start after activation returns.
  setTimeout(() => {
    for (const d of vscode.workspace.textDocuments) void maybeStart(d).catch(() => undefined);
  }, 0);
  activationMs = performance.now() - loadedAt;
  console.log(`coworks: activated in ${activationMs.toFixed(1)} ms (activate: ${(performance.now() - t0).toFixed(1)} ms)`);
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
}
