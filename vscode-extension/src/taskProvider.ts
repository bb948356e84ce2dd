/**
 * Tasks of type `coworks` (`logic/tasks.ts`): offered from the server's project tree, resolved by
 * the server when written in `tasks.json`, run as processes (no shell) in the project root.
 */

import * as path from 'path';
import * as vscode from 'vscode';

import type { Controller } from './controller';
import { invocationOf, type Invocation, withCli } from './logic/lens';
import { actionOfDefinition, type CoWorksTaskDefinition, resolvedTask, TASK_TYPE, tasksOfTree, type TaskSpec } from './logic/tasks';

export class CoWorksTasks implements vscode.TaskProvider {
  constructor(private readonly c: Controller) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const tree = await this.c.projectTree();
    if (typeof tree === 'string') {
      this.c.log.appendLine(`tasks: ${tree}`);
      return [];
    }
    return tasksOfTree(tree).map((s) => this.task(s));
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const d = task.definition as CoWorksTaskDefinition;
    if (d.type !== TASK_TYPE) return undefined;
    await this.c.start();
    const action = actionOfDefinition(d, this.c.activeStage());
    if (typeof action === 'string') throw new Error(action);
    const i = invocationOf(await this.c.execute(action));
    if (typeof i === 'string') throw new Error(i);
    // VS Code requires the definition it passed in.
    return this.task(resolvedTask(d, i), task.scope);
  }

  /** Runs the task of an invocation (a check from the view or the palette), found among the tasks VS Code knows. */
  async run(i: Invocation): Promise<void> {
    const a = i.action;
    const definition: CoWorksTaskDefinition = { type: TASK_TYPE, action: a.action as CoWorksTaskDefinition['action'] };
    if (a.stage) definition.stage = a.stage;
    if (a.service) definition.service = a.service;
    await vscode.tasks.executeTask(this.task(resolvedTask(definition, i)));
  }

  private task(s: TaskSpec, scope?: vscode.Task['scope']): vscode.Task {
    const argv = withCli(s.invocation.argv, this.c.cli());
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path.join(s.invocation.cwd, 'project.cws.yml')));
    const t = new vscode.Task(
      s.definition,
      scope ?? folder ?? vscode.TaskScope.Workspace,
      s.name,
      TASK_TYPE,
      new vscode.ProcessExecution(argv[0], argv.slice(1), { cwd: s.invocation.cwd }),
      s.matchers,
    );
    t.isBackground = s.background;
    if (s.definition.action === 'check' || s.definition.action === 'build') t.group = vscode.TaskGroup.Build;
    t.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return t;
  }
}
