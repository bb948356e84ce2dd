/**
 * Preview workflow: the server's `coworks/workflowPreview` answer drawn as an SVG graph in a webview
 * (laid out by dagre in the extension host: no Mermaid runtime, no network, no script but the click
 * handler), its Mermaid text shown below, and the webview's messages turned into actions (a click on
 * a task opens its entry).
 *
 * Expected answer: `{available, message?, mermaid?, graph?: {nodes: [{id, label?, service?, method?,
 * path?, location?}], edges: [{from, to, label?}]}}`; `location` is a core location (`{file, span}`)
 * or `{file, line, col}` (0-based line, column in characters). Unknown fields are ignored.
 */

import dagre from '@dagrejs/dagre';

import type { CoreLocation } from './routes';

/** A task of the graph. */
export interface PreviewNode {
  id: string;
  label: string;
  /** `service METHOD /path` of the entry the task calls, when it calls one. */
  entry?: string;
  location?: { file: string; line: number; col: number };
  /** The task's state in the workflow's last local run (`success`, `failed`, `skipped`, `upstream_failed`). */
  state?: string;
}

/** An edge of the graph. */
export interface PreviewEdge {
  from: string;
  to: string;
  label?: string;
}

/** The preview of one workflow file. */
export interface Preview {
  available: boolean;
  message?: string;
  mermaid?: string;
  nodes: PreviewNode[];
  edges: PreviewEdge[];
  /** The workflow's last local run (`cws workflow run`), whose states colour the tasks. */
  lastRun?: { stage: string; runId: string; state: string };
}

/**
 * The glob of the files holding each workflow's last local run, as the server announces it in its
 * initialize result (`experimental.coworks.lastRunsGlob`, the core's `layout::last_runs_glob`);
 * `undefined` when it does not (an older server): previews then redraw on edits only.
 */
export function lastRunsGlob(capabilities: unknown): string | undefined {
  const experimental = (capabilities as { experimental?: { coworks?: { lastRunsGlob?: unknown } } } | undefined)?.experimental;
  const glob = experimental?.coworks?.lastRunsGlob;
  return typeof glob === 'string' && glob.length > 0 ? glob : undefined;
}

/** The task states the preview colours (the core's `TaskState` names). */
export const TASK_STATES = ['success', 'failed', 'skipped', 'upstream_failed'] as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function locationOf(v: unknown): PreviewNode['location'] {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const file = str(o.file);
  if (!file) return undefined;
  const span = (o as unknown as CoreLocation).span;
  if (span?.start && typeof span.start.line === 'number') {
    return { file, line: span.start.line, col: span.start.col ?? 0 };
  }
  if (typeof o.line === 'number') return { file, line: o.line, col: typeof o.col === 'number' ? o.col : 0 };
  return { file, line: 0, col: 0 };
}

/** Reads a `coworks/workflowPreview` answer (tolerant of missing parts). */
export function parsePreview(answer: unknown): Preview {
  if (!answer || typeof answer !== 'object') {
    return { available: false, message: 'the server sent no preview', nodes: [], edges: [] };
  }
  const a = answer as Record<string, unknown>;
  const graph = (a.graph && typeof a.graph === 'object' ? a.graph : {}) as Record<string, unknown>;
  const nodes: PreviewNode[] = [];
  for (const n of Array.isArray(graph.nodes) ? graph.nodes : []) {
    const o = (n ?? {}) as Record<string, unknown>;
    const id = str(o.id);
    if (!id || nodes.some((x) => x.id === id)) continue;
    const method = str(o.method);
    const path = str(o.path);
    const service = str(o.service);
    const call = service && method && path ? `${service} ${method} ${path}` : undefined;
    // The core's detail line: the wait, the fan-out or the Python function of the task.
    const detail = str(o.detail);
    const entry = call && detail ? `${call} · ${detail}` : (call ?? detail);
    nodes.push({ id, label: str(o.label) ?? id, entry, location: locationOf(o.location) });
  }
  // The last local run: each task's state, only the states the preview knows how to draw.
  const run = (a.last_run && typeof a.last_run === 'object' ? a.last_run : undefined) as Record<string, unknown> | undefined;
  const states = (run?.tasks && typeof run.tasks === 'object' ? run.tasks : {}) as Record<string, unknown>;
  for (const n of nodes) {
    const state = str(states[n.id]);
    if (state && (TASK_STATES as readonly string[]).includes(state)) n.state = state;
  }
  const ids = new Set(nodes.map((n) => n.id));
  const edges: PreviewEdge[] = [];
  for (const e of Array.isArray(graph.edges) ? graph.edges : []) {
    const o = (e ?? {}) as Record<string, unknown>;
    const from = str(o.from) ?? str(o.source);
    const to = str(o.to) ?? str(o.target);
    if (from && to && ids.has(from) && ids.has(to)) edges.push({ from, to, label: str(o.label) ?? str(o.on) });
  }
  const available = a.available === false ? false : nodes.length > 0 || typeof a.mermaid === 'string';
  const preview: Preview = { available, message: str(a.message), mermaid: str(a.mermaid), nodes, edges };
  if (run && str(run.run_id)) preview.lastRun = { stage: str(run.stage) ?? '', runId: str(run.run_id)!, state: str(run.state) ?? '' };
  return preview;
}

/** HTML-escapes text. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Task boxes: height, inner padding, and the text sizes (px) the page draws them with. */
const BOX_H = 48;
const BOX_PAD = 16;
const LABEL_PX = 13;
const ENTRY_PX = 11;
const EDGE_LABEL_PX = 11;

/**
 * Width of `text` in a sans-serif font of `px` pixels, estimated without a DOM (the layout runs in
 * the extension host): wide enough for the widest common fonts (an average glyph of 0.62 em).
 */
export function textWidth(text: string, px: number): number {
  return Math.ceil(text.length * px * 0.62);
}

/** A point of the drawing. */
export interface Point {
  x: number;
  y: number;
}

/** The graph laid out: boxes by task id (centre and size), edges as polylines, the drawing's size. */
export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, { x: number; y: number; width: number; height: number }>;
  edges: { from: string; to: string; label?: string; points: Point[]; labelAt?: Point }[];
}

/**
 * Lays the graph out in layers with dagre (the layered-graph layout Mermaid uses): tasks top to
 * bottom, edge crossings minimised, an edge spanning several layers routed through its own slot in
 * each layer it passes. Edges are drawn as polylines that go straight down through a layer (in the
 * slot dagre kept free for them) and cross the gaps between layers diagonally, so that no edge
 * passes through a task's box.
 */
export function layout(p: Preview): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 30, edgesep: 20, ranksep: 44, marginx: 8, marginy: 8 });
  for (const n of p.nodes) {
    const width = Math.max(120, textWidth(n.label, LABEL_PX), n.entry ? textWidth(n.entry, ENTRY_PX) : 0) + 2 * BOX_PAD;
    g.setNode(n.id, { width, height: BOX_H });
  }
  p.edges.forEach((e, i) => {
    const label = e.label ? { width: textWidth(e.label, EDGE_LABEL_PX) + 4, height: EDGE_LABEL_PX + 4, labelpos: 'r' as const, labeloffset: 6 } : {};
    g.setEdge(e.from, e.to, { ...label }, `e${i}`);
  });
  dagre.layout(g);

  const nodes: Layout['nodes'] = new Map();
  for (const n of p.nodes) {
    const { x = 0, y = 0, width, height } = g.node(n.id);
    nodes.set(n.id, { x, y, width, height });
  }
  // The vertical extent of each layer (by its centre line): the boxes' height, 0 where none is.
  const half = new Map<number, number>();
  for (const b of nodes.values()) half.set(b.y, Math.max(half.get(b.y) ?? 0, b.height / 2));
  const bandHalf = (y: number) => {
    for (const [cy, h] of half) if (Math.abs(cy - y) < 0.5) return h;
    return 0;
  };
  const edges: Layout['edges'] = p.edges.map((e, i) => {
    const label = g.edge(e.from, e.to, `e${i}`);
    const s = nodes.get(e.from)!;
    const t = nodes.get(e.to)!;
    const through = (label.points ?? []).slice(1, -1);
    let points: Point[];
    if (e.from === e.to) {
      points = label.points ?? [];
    } else {
      const dir = t.y >= s.y ? 1 : -1;
      points = [{ x: s.x, y: s.y + (dir * s.height) / 2 }];
      for (const d of through) {
        const h = bandHalf(d.y);
        points.push({ x: d.x, y: d.y - dir * h });
        if (h > 0) points.push({ x: d.x, y: d.y + dir * h });
      }
      points.push({ x: t.x, y: t.y - (dir * t.height) / 2 });
    }
    const labelAt = e.label && label.x !== undefined && label.y !== undefined ? { x: label.x, y: label.y } : undefined;
    return { from: e.from, to: e.to, label: e.label, points, labelAt };
  });
  const graph = g.graph();
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), nodes, edges };
}

const num = (v: number) => String(Math.round(v * 10) / 10);

/**
 * The graph as SVG: tasks as boxes (those with a location are links), edges as arrows. The drawing
 * keeps its natural size when the panel is wide enough and shrinks to the panel's width otherwise.
 */
export function renderSvg(p: Preview): string {
  const l = layout(p);
  const parts: string[] = [];
  for (const e of l.edges) {
    const d = e.points.map((pt, i) => `${i ? 'L' : 'M'}${num(pt.x)},${num(pt.y)}`).join(' ');
    parts.push(`<path class="edge" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}" d="${d}" marker-end="url(#arrow)"/>`);
    if (e.label && e.labelAt) {
      parts.push(`<text class="edge-label" x="${num(e.labelAt.x)}" y="${num(e.labelAt.y + 4)}" text-anchor="middle">${escapeHtml(e.label)}</text>`);
    }
  }
  for (const n of p.nodes) {
    const b = l.nodes.get(n.id)!;
    const [x, y] = [b.x - b.width / 2, b.y - b.height / 2];
    const link = (n.location ? ' link' : '') + (n.state ? ` state-${n.state}` : '');
    parts.push(
      `<g class="node${link}" data-id="${escapeHtml(n.id)}" tabindex="0"><title>${escapeHtml(n.entry ?? n.label)}</title>` +
        `<rect x="${num(x)}" y="${num(y)}" width="${num(b.width)}" height="${num(b.height)}" rx="6"/>` +
        `<text x="${num(b.x)}" y="${num(y + (n.entry ? 20 : 29))}" text-anchor="middle">${escapeHtml(n.label)}</text>` +
        (n.entry ? `<text class="entry" x="${num(b.x)}" y="${num(y + 38)}" text-anchor="middle">${escapeHtml(n.entry)}</text>` : '') +
        `</g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">` +
    `<path d="M0,0 L10,5 L0,10 z"/></marker></defs>${parts.join('')}</svg>`
  );
}

/** The webview's whole page: CSP without network, the SVG, the Mermaid text, a click handler. */
export function renderHtml(p: Preview, title: string, nonce: string, cspSource: string): string {
  const run = p.lastRun
    ? `<p class="last-run">Last run ${escapeHtml(p.lastRun.runId)} (stage ${escapeHtml(p.lastRun.stage)}): ${escapeHtml(p.lastRun.state.replace('_', ' '))}</p>`
    : '';
  const body = p.available
    ? `${run}${renderSvg(p)}${p.mermaid ? `<details><summary>Mermaid</summary><pre>${escapeHtml(p.mermaid)}</pre></details>` : ''}`
    : `<p class="empty">${escapeHtml(p.message ?? 'No preview for this file.')}</p>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
.node rect { fill: var(--vscode-editor-background); stroke: var(--vscode-foreground); }
.node.link { cursor: pointer; } .node.link:hover rect, .node.link:focus rect { stroke: var(--vscode-focusBorder); stroke-width: 2; }
.node text { fill: var(--vscode-foreground); font-size: ${LABEL_PX}px; } .node text.entry { font-size: ${ENTRY_PX}px; opacity: .8; }
.edge { stroke: var(--vscode-foreground); fill: none; } marker path { fill: var(--vscode-foreground); }
svg { display: block; max-width: 100%; height: auto; } pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.edge-label { fill: var(--vscode-descriptionForeground); font-size: ${EDGE_LABEL_PX}px; }
.node.state-success rect { stroke: var(--vscode-testing-iconPassed, #388a34); stroke-width: 2; }
.node.state-failed rect { stroke: var(--vscode-testing-iconFailed, #c72e0f); stroke-width: 2; }
.node.state-upstream_failed rect { stroke: var(--vscode-editorWarning-foreground, #bf8803); stroke-dasharray: 6 3; }
.node.state-skipped rect { stroke: var(--vscode-disabledForeground, #888); stroke-dasharray: 2 3; } .node.state-skipped text { opacity: .6; }
.last-run { color: var(--vscode-descriptionForeground); }
</style></head><body><h3>${escapeHtml(title)}</h3>${body}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const g of document.querySelectorAll('.node.link')) {
  const open = () => vscode.postMessage({ type: 'open', id: g.getAttribute('data-id') });
  g.addEventListener('click', open);
  g.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
}
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
}

/** What a webview message asks for. */
export type PreviewAction =
  | { kind: 'open'; file: string; line: number; col: number }
  | { kind: 'ready' }
  | { kind: 'ignore'; reason: string };

/** Turns a message from the webview into an action, checked against the graph it shows. */
export function handleMessage(msg: unknown, p: Preview): PreviewAction {
  const m = (msg ?? {}) as Record<string, unknown>;
  if (m.type === 'ready') return { kind: 'ready' };
  if (m.type !== 'open') return { kind: 'ignore', reason: `unknown message ${JSON.stringify(m.type ?? null)}` };
  const node = p.nodes.find((n) => n.id === m.id);
  if (!node) return { kind: 'ignore', reason: `no task ${JSON.stringify(m.id ?? null)}` };
  if (!node.location) return { kind: 'ignore', reason: `task ${node.id} calls no known entry` };
  return { kind: 'open', ...node.location };
}
