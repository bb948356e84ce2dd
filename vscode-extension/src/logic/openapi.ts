/**
 * Show OpenAPI: the server's `coworks/openapi` answer (the document `cws openapi SERVICE -s STAGE`
 * prints) opened as an untitled JSON or YAML document. The service is the one whose crate holds
 * the active file; otherwise the user picks one.
 */

import * as path from 'path';

import type { RoutesAnswer } from './routes';

/** The server's request. */
export const OPENAPI_REQUEST = 'coworks/openapi';

/** The formats a document can be shown in. */
export type Format = 'json' | 'yaml';

/** The parameters of `coworks/openapi`. */
export function openApiParams(service: string, stage: string | null): { service: string; stage: string | null } {
  return { service, stage };
}

/**
 * The service whose crate directory (`crate_dir` of `coworks/routes`, relative to `root` or
 * absolute) holds `file`; the deepest one when crates nest. `undefined` when none does.
 */
export function serviceOfFile(routes: RoutesAnswer, root: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  let best: { name: string; depth: number } | undefined;
  for (const s of routes.services) {
    if (s.crate_dir === undefined) continue;
    const dir = path.resolve(root, s.crate_dir);
    const rel = path.relative(dir, path.resolve(file));
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const depth = dir.split(path.sep).length;
    if (!best || depth > best.depth) best = { name: s.name, depth };
  }
  return best?.name;
}

/** The project's service names, sorted (for the pick when the active file is in none). */
export function serviceNames(routes: RoutesAnswer): string[] {
  return [...new Set(routes.services.map((s) => s.name))].sort();
}

/** Checks the answer is a document; an error message when it is not one. */
export function checkDocument(answer: unknown): Record<string, unknown> | string {
  const a = answer as Record<string, unknown> | null;
  if (!a || typeof a !== 'object' || Array.isArray(a) || typeof a.openapi !== 'string' || typeof a.paths !== 'object') {
    return `${OPENAPI_REQUEST}: the answer is not an OpenAPI document`;
  }
  return a;
}

/** A document's text in a format: pretty JSON, or YAML (block style). */
export function documentText(doc: unknown, format: Format): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : toYaml(doc);
}

/** A key or text as YAML: plain when it reads back as the same text, else a double-quoted scalar. */
function scalarText(s: string): string {
  const plain =
    /^[A-Za-z_/$][A-Za-z0-9_./${}-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s) && !/^[0-9.+-]/.test(s);
  // A JSON string literal is a YAML double-quoted scalar with the same value.
  return plain ? s : JSON.stringify(s);
}

function inline(v: unknown): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return scalarText(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (typeof v === 'object' && Object.keys(v as object).length === 0) return '{}';
  return undefined;
}

/** A JSON value as YAML 1.2 (block mappings and sequences, every text quoted unless plain). */
export function toYaml(v: unknown): string {
  const lines: string[] = [];
  const write = (value: unknown, indent: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) {
        const one = inline(item);
        if (one !== undefined) {
          lines.push(`${indent}- ${one}`);
        } else {
          // The item's first line goes after `- `, the rest under it.
          const at = lines.length;
          write(item, `${indent}  `);
          lines[at] = `${indent}- ${lines[at].slice(indent.length + 2)}`;
        }
      }
      return;
    }
    for (const [k, item] of Object.entries(value as Record<string, unknown>)) {
      const one = inline(item);
      if (one !== undefined) {
        lines.push(`${indent}${scalarText(k)}: ${one}`);
      } else {
        lines.push(`${indent}${scalarText(k)}:`);
        write(item, `${indent}  `);
      }
    }
  };
  const one = inline(v);
  if (one !== undefined) return `${one}\n`;
  write(v, '');
  return `${lines.join('\n')}\n`;
}
