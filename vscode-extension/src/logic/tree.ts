/**
 * The CoWorks view: what the server answers to `coworks/projectTree` and how the view shows it.
 *
 * The server (from the core) decides the nodes — stages → services → entries, workflows → tasks —
 * their texts, where each opens and the actions each offers, every action with the invocation a
 * lens would carry. This module reads that answer, joins the deployed URLs `cws deployed --json`
 * prints (run through the invocation the answer carries), and computes what a tree item needs: its
 * collapsible state, icon and the context value the view's menus match.
 */

import { invocationOf, type Invocation } from './lens';

/** The request answering the tree. */
export const TREE_REQUEST = 'coworks/projectTree';
/** The notification saying the tree may have changed. */
export const TREE_NOTIFICATION = 'coworks/projectChanged';

/** A position range as LSP sends it (0-based lines, UTF-16 characters). */
export interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** An action of a node: its title, the server command and the invocation. */
export interface NodeAction {
  title: string;
  command: string;
  invocation: Invocation;
}

export type NodeKind = 'stage' | 'service' | 'entry' | 'workflows' | 'workflow' | 'task';

/** One node of the tree. */
export interface TreeNode {
  kind: NodeKind;
  id: string;
  label: string;
  description: string;
  tooltip: string;
  location?: { uri: string; range: Range };
  stage?: string;
  service?: string;
  expanded: boolean;
  actions: NodeAction[];
  children: TreeNode[];
}

/** The answer of `coworks/projectTree`. */
export interface ProjectTree {
  root: string;
  active: string;
  nodes: TreeNode[];
  /** `cws deployed --json`, resolved by the server. */
  deployed?: Invocation;
}

const KINDS: readonly string[] = ['stage', 'service', 'entry', 'workflows', 'workflow', 'task'];

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function isRange(v: unknown): v is Range {
  const pos = (p: unknown) => !!p && typeof p === 'object' && typeof (p as { line: unknown }).line === 'number' && typeof (p as { character: unknown }).character === 'number';
  return !!v && typeof v === 'object' && pos((v as Range).start) && pos((v as Range).end);
}

function parseNode(v: unknown, path: string): TreeNode | string {
  if (!v || typeof v !== 'object') return `${path}: not a node`;
  const o = v as Record<string, unknown>;
  if (typeof o.kind !== 'string' || !KINDS.includes(o.kind)) return `${path}: unknown kind ${JSON.stringify(o.kind)}`;
  if (typeof o.id !== 'string' || typeof o.label !== 'string') return `${path}: a node without id or label`;
  const actions: NodeAction[] = [];
  for (const a of Array.isArray(o.actions) ? o.actions : []) {
    const i = invocationOf((a as { invocation?: unknown })?.invocation);
    if (typeof i === 'string') return `${path}/${o.id}: ${i}`;
    actions.push({ title: text((a as { title?: unknown }).title), command: text((a as { command?: unknown }).command), invocation: i });
  }
  const children: TreeNode[] = [];
  for (const c of Array.isArray(o.children) ? o.children : []) {
    const n = parseNode(c, `${path}/${o.id}`);
    if (typeof n === 'string') return n;
    children.push(n);
  }
  const node: TreeNode = {
    kind: o.kind as NodeKind,
    id: o.id,
    label: o.label,
    description: text(o.description),
    tooltip: text(o.tooltip),
    expanded: o.expanded === true,
    actions,
    children,
  };
  const loc = o.location as { uri?: unknown; range?: unknown } | undefined;
  if (loc && typeof loc.uri === 'string' && isRange(loc.range)) node.location = { uri: loc.uri, range: loc.range };
  if (typeof o.stage === 'string') node.stage = o.stage;
  if (typeof o.service === 'string') node.service = o.service;
  return node;
}

/** Reads the server's answer; an error message when it is not a tree. */
export function parseTree(answer: unknown): ProjectTree | string {
  if (!answer || typeof answer !== 'object') return 'coworks/projectTree answered no tree';
  const o = answer as Record<string, unknown>;
  if (typeof o.root !== 'string' || typeof o.active !== 'string' || !Array.isArray(o.nodes)) return 'coworks/projectTree answered no tree';
  const nodes: TreeNode[] = [];
  for (const n of o.nodes) {
    const node = parseNode(n, '');
    if (typeof node === 'string') return `coworks/projectTree: ${node}`;
    nodes.push(node);
  }
  const tree: ProjectTree = { root: o.root, active: o.active, nodes };
  const deployed = invocationOf(o.deployed);
  if (typeof deployed !== 'string') tree.deployed = deployed;
  return tree;
}

/** The verbs of a node's actions (`run`, `invoke`...), in order. */
export function verbs(node: TreeNode): string[] {
  return node.actions.map((a) => a.invocation.action.action);
}

/** The invocation of a node's action `verb`, if it offers one. */
export function actionOf(node: TreeNode, verb: string): Invocation | undefined {
  return node.actions.find((a) => a.invocation.action.action === verb)?.invocation;
}

/** Deployed URLs: stage → service → URL. */
export type DeployedUrls = Map<string, Map<string, string>>;

/** Reads what `cws deployed --json` printed; an error message when it is not that. */
export function parseDeployed(stdout: string): DeployedUrls | string {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch (e) {
    return `cws deployed --json printed no JSON: ${(e as Error).message}`;
  }
  const stages = (v as { stages?: unknown })?.stages;
  if (!Array.isArray(stages)) return 'cws deployed --json printed no `stages`';
  const out: DeployedUrls = new Map();
  for (const s of stages) {
    const stage = (s as { stage?: unknown })?.stage;
    const services = (s as { services?: unknown })?.services;
    if (typeof stage !== 'string' || !Array.isArray(services)) continue;
    const urls = new Map<string, string>();
    for (const svc of services) {
      const { name, url } = (svc ?? {}) as { name?: unknown; url?: unknown };
      if (typeof name === 'string' && typeof url === 'string' && /^https?:\/\//.test(url)) urls.set(name, url);
    }
    if (urls.size) out.set(stage, urls);
  }
  return out;
}

/** The deployed URL of a service node, when known. */
export function deployedUrl(node: TreeNode, urls: DeployedUrls): string | undefined {
  if (node.kind !== 'service' || !node.stage || !node.service) return undefined;
  return urls.get(node.stage)?.get(node.service);
}

/** How a tree item shows a node. */
export interface ItemView {
  label: string;
  description: string;
  tooltip: string;
  /** 0: no children, 1: collapsed, 2: expanded (VS Code's TreeItemCollapsibleState). */
  collapsible: 0 | 1 | 2;
  /** A codicon id. */
  icon: string;
  /** What the view's menus match: `coworks.<kind>` then the verbs offered (`run`, `open`, `url`...). */
  contextValue: string;
}

const ICONS: Record<NodeKind, string> = {
  stage: 'layers',
  service: 'server-process',
  entry: 'symbol-method',
  workflows: 'type-hierarchy',
  workflow: 'file-code',
  task: 'circle-outline',
};

/** What the tree item of `node` shows, with its deployed URL when known. */
export function itemView(node: TreeNode, urls: DeployedUrls): ItemView {
  const url = deployedUrl(node, urls);
  const offered = [...verbs(node)];
  if (node.location) offered.push('open');
  if (node.kind === 'workflow') offered.push('preview');
  if (url) offered.push('url');
  let icon = ICONS[node.kind];
  if (node.kind === 'stage' && /\bproduction\b/.test(node.description)) icon = 'warning';
  return {
    label: node.label,
    description: url ? [node.description, url].filter(Boolean).join(' · ') : node.description,
    tooltip: url ? `${node.tooltip}\n\nDeployed: ${url}` : node.tooltip,
    collapsible: node.children.length === 0 ? 0 : node.expanded ? 2 : 1,
    icon,
    contextValue: [`coworks.${node.kind}`, ...offered].join(' '),
  };
}

/** Every node of the tree, depth first. */
export function* walk(nodes: readonly TreeNode[]): Generator<TreeNode> {
  for (const n of nodes) {
    yield n;
    yield* walk(n.children);
  }
}
