/**
 * The CoWorks view (activity bar): the tree `coworks/projectTree` answers, drawn as is — stages →
 * services → entries, workflows → tasks — with the actions each node offers (their invocations come
 * from the server). Refreshed from the server with one request when the server says the project
 * changed (`coworks/projectChanged`, debounced) and on *Refresh*. The deployed URLs come from
 * `cws deployed --json` (the invocation the tree carries), run in the background: the view never
 * waits for Terraform.
 */

import { type ChildProcess, spawn } from 'child_process';
import * as vscode from 'vscode';

import type { Controller } from './controller';
import { actionOf, type DeployedUrls, deployedUrl, itemView, parseDeployed, type ProjectTree, type TreeNode } from './logic/tree';
import { withCli } from './logic/lens';

/** How long `cws deployed --json` may take before it is stopped (Terraform reads remote states). */
const DEPLOYED_TIMEOUT_MS = 120_000;
/** Edits come in bursts: one refresh after the burst. */
const REFRESH_DEBOUNCE_MS = 300;

export class ProjectView implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private tree: ProjectTree | undefined;
  private urls: DeployedUrls = new Map();
  private timer: NodeJS.Timeout | undefined;
  private deployed: ChildProcess | undefined;
  private askedDeployed = false;

  constructor(private readonly c: Controller) {}

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) return node.children;
    let answer: ProjectTree | string;
    try {
      answer = await this.c.projectTree();
    } catch (e) {
      // The server did not start (its message was shown): the view shows its welcome text.
      answer = (e as Error).message ?? String(e);
    }
    if (typeof answer === 'string') {
      this.c.log.appendLine(`CoWorks view: ${answer}`);
      this.tree = undefined;
      return [];
    }
    this.tree = answer;
    void vscode.commands.executeCommand('setContext', 'coworks.projectOpen', answer.nodes.length > 0);
    if (!this.askedDeployed) {
      this.askedDeployed = true;
      this.refreshDeployed();
    }
    return answer.nodes;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const v = itemView(node, this.urls);
    const item = new vscode.TreeItem(v.label, v.collapsible);
    item.id = node.id;
    item.description = v.description;
    item.tooltip = v.tooltip;
    item.contextValue = v.contextValue;
    item.iconPath = new vscode.ThemeIcon(v.icon);
    if (node.location) item.command = { command: 'coworks.view.open', title: 'Open', arguments: [node] };
    return item;
  }

  /** The server says the project changed: ask again after the burst. */
  changedOnServer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(undefined), REFRESH_DEBOUNCE_MS);
  }

  /** *Refresh*: the tree and the deployed URLs. */
  refresh(): void {
    this.changed.fire(undefined);
    this.refreshDeployed();
  }

  /** Runs `cws deployed --json` in the background (one at a time) and shows the URLs it lists. */
  refreshDeployed(): void {
    const i = this.tree?.deployed;
    if (!i || this.deployed) return;
    const argv = withCli(i.argv, this.c.cli());
    const child = spawn(argv[0], argv.slice(1), { cwd: i.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.deployed = child;
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), DEPLOYED_TIMEOUT_MS);
    const done = (problem?: string) => {
      clearTimeout(timer);
      this.deployed = undefined;
      if (problem) {
        this.c.log.appendLine(`deployed URLs: ${i.command}: ${problem}`);
        return;
      }
      const urls = parseDeployed(out);
      if (typeof urls === 'string') {
        this.c.log.appendLine(`deployed URLs: ${urls}`);
        return;
      }
      this.urls = urls;
      this.changed.fire(undefined);
    };
    child.on('error', (e) => done(`${e.message} (coworks.cli.path names the cws binary)`));
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else if (code !== null || signal) done(signal ? `stopped after ${DEPLOYED_TIMEOUT_MS / 1000} s` : `exit code ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`);
    });
  }

  /** Runs a node's action `verb` as its lens would. */
  async act(node: TreeNode | undefined, verb: string): Promise<void> {
    const i = node && actionOf(node, verb);
    if (!i) throw new Error(`${node?.label ?? 'this node'} has no ${verb} action`);
    await this.c.runInvocation(i);
  }

  /** The deployed URL of a service node, if known. */
  url(node: TreeNode | undefined): string | undefined {
    return node && deployedUrl(node, this.urls);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.deployed?.kill();
    this.changed.dispose();
  }
}
