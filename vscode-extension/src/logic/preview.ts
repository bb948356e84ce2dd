/**
 * Preview workflow: the server's `coworks/workflowPreview` answer drawn as an SVG graph in a webview
 * (no Mermaid runtime, no network), its Mermaid text shown below, and the webview's messages turned
 * into actions (a click on a task opens its entry).
 *
 * Expected answer: `{available, message?, mermaid?, graph?: {nodes: [{id, label?, service?, method?,
 * path?, location?}], edges: [{from, to, label?}]}}`; `location` is a core location (`{file, span}`)
 * or `{file, line, col}` (0-based line, column in characters). Unknown fields are ignored.
 */

import type { CoreLocation } from './routes';

/** A task of the graph. */
export interface PreviewNode {
  id: string;
  label: string;
  /** `service METHOD /path` of the entry the task calls, when it calls one. */
  entry?: string;
  location?: { file: string; line: number; col: number };
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
}

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
    const entry = service && method && path ? `${service} ${method} ${path}` : undefined;
    nodes.push({ id, label: str(o.label) ?? id, entry, location: locationOf(o.location) });
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
  return { available, message: str(a.message), mermaid: str(a.mermaid), nodes, edges };
}

/** Layers of a graph by longest path from the sources (a cycle's remaining nodes go last). */
export function layers(p: Preview): string[][] {
  const depth = new Map<string, number>();
  const incoming = new Map(p.nodes.map((n) => [n.id, 0]));
  for (const e of p.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  let frontier = p.nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  for (const id of frontier) depth.set(id, 0);
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of p.edges.filter((x) => x.from === id)) {
        depth.set(e.to, Math.max(depth.get(e.to) ?? 0, (depth.get(id) ?? 0) + 1));
        const left = (incoming.get(e.to) ?? 1) - 1;
        incoming.set(e.to, left);
        if (left === 0) next.push(e.to);
      }
    }
    frontier = next;
  }
  const max = Math.max(-1, ...depth.values());
  const out: string[][] = [];
  for (const n of p.nodes) {
    const d = depth.get(n.id) ?? max + 1;
    (out[d] ??= []).push(n.id);
  }
  return out.filter((l) => l && l.length);
}

/** HTML-escapes text. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 220;
const H = 48;
const GX = 40;
const GY = 50;

/** The graph as SVG: tasks as boxes (those with a location are links), edges as arrows. */
export function renderSvg(p: Preview): string {
  const ls = layers(p);
  const pos = new Map<string, { x: number; y: number }>();
  const widest = Math.max(1, ...ls.map((l) => l.length));
  const width = widest * (W + GX) + GX;
  ls.forEach((l, row) => {
    const offset = (width - l.length * (W + GX) + GX) / 2;
    l.forEach((id, i) => pos.set(id, { x: offset + i * (W + GX), y: GY / 2 + row * (H + GY) }));
  });
  const height = ls.length * (H + GY);
  const parts: string[] = [];
  for (const e of p.edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const [x1, y1, x2, y2] = [a.x + W / 2, a.y + H, b.x + W / 2, b.y];
    parts.push(`<line class="edge" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"/>`);
    if (e.label) {
      parts.push(`<text class="edge-label" x="${(x1 + x2) / 2 + 4}" y="${(y1 + y2) / 2}">${escapeHtml(e.label)}</text>`);
    }
  }
  for (const n of p.nodes) {
    const { x, y } = pos.get(n.id)!;
    const link = n.location ? ' link' : '';
    parts.push(
      `<g class="node${link}" data-id="${escapeHtml(n.id)}" tabindex="0"><title>${escapeHtml(n.entry ?? n.label)}</title>` +
        `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6"/>` +
        `<text x="${x + W / 2}" y="${y + 20}" text-anchor="middle">${escapeHtml(n.label)}</text>` +
        (n.entry ? `<text class="entry" x="${x + W / 2}" y="${y + 38}" text-anchor="middle">${escapeHtml(n.entry)}</text>` : '') +
        `</g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">` +
    `<path d="M0,0 L10,5 L0,10 z"/></marker></defs>${parts.join('')}</svg>`
  );
}

/** The webview's whole page: CSP without network, the SVG, the Mermaid text, a click handler. */
export function renderHtml(p: Preview, title: string, nonce: string, cspSource: string): string {
  const body = p.available
    ? `${renderSvg(p)}${p.mermaid ? `<details><summary>Mermaid</summary><pre>${escapeHtml(p.mermaid)}</pre></details>` : ''}`
    : `<p class="empty">${escapeHtml(p.message ?? 'No preview for this file.')}</p>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
.node rect { fill: var(--vscode-editor-background); stroke: var(--vscode-foreground); }
.node.link { cursor: pointer; } .node.link:hover rect, .node.link:focus rect { stroke: var(--vscode-focusBorder); stroke-width: 2; }
.node text { fill: var(--vscode-foreground); font-size: 13px; } .node text.entry { font-size: 11px; opacity: .8; }
.edge { stroke: var(--vscode-foreground); } marker path { fill: var(--vscode-foreground); }
.edge-label { fill: var(--vscode-descriptionForeground); font-size: 11px; }
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
