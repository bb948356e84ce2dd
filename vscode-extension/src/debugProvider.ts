/**
 * Launch configurations of type `coworks` (`logic/debug.ts`): resolved into a CodeLLDB or cpptools
 * launch of the service's executable, built first with the server's cargo line; the `Debug` lens and
 * the view start one. Without either debugger: one clear message, and no build.
 */

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';

import type { Controller } from './controller';
import * as dbg from './logic/debug';
import { invocationOf } from './logic/lens';

export class CoWorksDebug implements vscode.DebugConfigurationProvider, vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel('CoWorks: debug');

  constructor(private readonly c: Controller) {}

  /** One configuration per service of the active stage, for a new launch.json. */
  async provideDebugConfigurations(): Promise<vscode.DebugConfiguration[]> {
    const tree = await this.c.projectTree();
    if (typeof tree === 'string') return [];
    const stage = tree.nodes.find((n) => n.kind === 'stage' && n.label === tree.active);
    return (stage?.children ?? []).map((s) => ({ type: dbg.DEBUG_TYPE, request: 'launch', name: dbg.sessionName(s.label, tree.active), service: s.label }));
  }

  /** Starts debugging `service` in `stage` (the active stage when none). */
  async start(service: string, stage: string | undefined): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const name = dbg.sessionName(service, stage ?? this.c.activeStage() ?? '');
    await vscode.debug.startDebugging(folder, { type: dbg.DEBUG_TYPE, request: 'launch', name, service, ...(stage ? { stage } : {}) });
  }

  async resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (config.type !== dbg.DEBUG_TYPE) return config;
    const type = dbg.pickDebugger((id) => vscode.extensions.getExtension(id) !== undefined);
    if (!type) {
      const pick = await vscode.window.showErrorMessage(dbg.NO_DEBUGGER, 'Show CodeLLDB');
      if (pick) await vscode.commands.executeCommand('workbench.extensions.search', dbg.DEBUGGERS[0].extension);
      return undefined;
    }
    await this.c.start();
    const asked = dbg.requested(config, this.c.activeStage());
    if (typeof asked === 'string') throw new Error(asked);
    const answer = await this.c.execute({ action: 'debug', service: asked.service, stage: asked.stage });
    const i = invocationOf(answer);
    const launch = dbg.launchOf(answer);
    if (typeof i === 'string') throw new Error(i);
    if (typeof launch === 'string') throw new Error(launch);
    this.output.appendLine(`${dbg.sessionName(asked.service, asked.stage)}: ${i.command} (in ${i.cwd})`);
    this.output.appendLine(`environment: ${dbg.envSummary(launch)}`);
    const program = await this.build(launch, asked.service);
    if (!program) return undefined;
    this.output.appendLine(`${program} ${launch.args.join(' ')} under ${type}`);
    return dbg.launchConfiguration(type, typeof config.name === 'string' && config.name ? config.name : dbg.sessionName(asked.service, asked.stage), program, launch) as vscode.DebugConfiguration;
  }

  /** Builds the crate (cargo's messages in the *CoWorks: debug* channel); its executable, or undefined after a message. */
  private build(launch: dbg.DebugLaunch, service: string): Thenable<string | undefined> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Building ${service} for debugging` }, () =>
      new Promise<string | undefined>((resolve) => {
        const child = spawn(launch.build[0], launch.build.slice(1), { cwd: launch.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => this.output.append(String(d)));
        const fail = (why: string) => {
          this.output.appendLine(why);
          this.output.show(true);
          void vscode.window.showErrorMessage(`CoWorks: ${why} (see the CoWorks: debug output)`);
          resolve(undefined);
        };
        child.on('error', (e) => fail(`cannot run ${launch.build[0]}: ${e.message}`));
        child.on('close', (code) => {
          if (code !== 0) return fail(`the build of ${service} failed (exit code ${code})`);
          let manifest = launch.manifest;
          try {
            manifest = fs.realpathSync(manifest); // cargo reports the canonical path
          } catch {
            // reported below when no artifact matches
          }
          const exe = dbg.executableOf(out, manifest);
          if (exe) resolve(exe);
          else fail(`cargo built no executable for ${manifest}`);
        });
      }),
    );
  }

  dispose(): void {
    this.output.dispose();
  }
}
