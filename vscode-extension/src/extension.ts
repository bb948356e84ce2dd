/**
 * Activation: a status bar item, the palette commands and a watch for CoWorks files. Nothing else:
 * the language client (`dist/client.js`) is loaded and the server started only when a CoWorks file
 * is open or a command needs it.
 */

import * as path from 'path';
import * as vscode from 'vscode';

import type { Controller } from './controller';
import { fileKind, startsServer } from './logic/documents';
import { Stages } from './logic/stage';

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

  const get = (): Controller => {
    if (!controller) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(__dirname, 'client.js')) as typeof import('./controller');
      controller = new mod.Controller(context, host);
      context.subscriptions.push(controller);
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

  context.subscriptions.push(
    status,
    vscode.workspace.onDidOpenTextDocument((d) => void maybeStart(d).catch(() => undefined)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (controller && e.affectsConfiguration('coworks.server.path')) void guarded(() => controller!.restart())();
    }),
    vscode.commands.registerCommand('coworks.showRoutes', guarded(() => get().showRoutes())),
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
