/**
 * Show routes: the answer of `coworks/routes` (the JSON of `cws routes --json`) as quick-pick items,
 * each jumping to its entry. Positions in that JSON: `line` 0-based, `col` in characters (Unicode
 * code points); VS Code counts UTF-16 code units, so the column is converted with the line's text.
 */

/** A position of the core: byte offset, 0-based line, column in characters. */
export interface CorePos {
  offset: number;
  line: number;
  col: number;
}

/** A location of the core: a file relative to the project root and a span. */
export interface CoreLocation {
  file: string;
  span: { start: CorePos; end: CorePos };
}

/** One entry of `cws routes --json`. */
export interface RouteEntry {
  rust_name: string;
  route: { method: string; path: string };
  params: { name: string; type: string; source: string }[];
  auth: string;
  stages: string[];
  is_async: boolean;
  docs?: string | null;
  location: CoreLocation;
  item?: CoreLocation;
}

/** One service of `cws routes --json`. */
export interface RouteService {
  name: string;
  type_name?: string;
  crate_dir?: string;
  docs?: string | null;
  locations?: CoreLocation[];
  entries: RouteEntry[];
}

/** The answer of `coworks/routes`. */
export interface RoutesAnswer {
  stage: string | null;
  services: RouteService[];
}

/** A quick-pick item of Show routes. */
export interface RouteItem {
  label: string;
  description: string;
  detail: string;
  service: string;
  entry: RouteEntry;
  location: CoreLocation;
}

/** Checks the shape of a `coworks/routes` answer; an error message when it is not one. */
export function parseRoutes(answer: unknown): RoutesAnswer | string {
  const a = answer as RoutesAnswer | null;
  if (!a || typeof a !== 'object' || !Array.isArray(a.services)) {
    return 'coworks/routes: the answer has no `services` list';
  }
  for (const s of a.services) {
    if (typeof s?.name !== 'string' || !Array.isArray(s.entries)) return 'coworks/routes: a service without name or entries';
    for (const e of s.entries) {
      if (typeof e?.route?.method !== 'string' || typeof e.route.path !== 'string' || typeof e.location?.file !== 'string') {
        return `coworks/routes: an entry of ${s.name} without route or location`;
      }
    }
  }
  return a;
}

/** The route as shown: `GET /invoices?page=&customer=`. */
export function routeText(e: RouteEntry): string {
  const query = e.params.filter((p) => p.source === 'query').map((p) => `${p.name}=`);
  return `${e.route.method} ${e.route.path}${query.length ? `?${query.join('&')}` : ''}`;
}

/** Every entry as an item, sorted by service, then path, then method. */
export function routeItems(routes: RoutesAnswer): RouteItem[] {
  const items: RouteItem[] = [];
  for (const s of routes.services) {
    for (const e of s.entries) {
      const tags = [
        e.auth === 'none' ? 'no auth' : undefined,
        e.stages.length ? `stages: ${e.stages.join(', ')}` : undefined,
        e.is_async ? 'async' : undefined,
      ].filter(Boolean);
      const firstDoc = (e.docs ?? '').split('\n')[0];
      items.push({
        label: routeText(e),
        description: `${s.name} · ${e.rust_name}${tags.length ? ` · ${tags.join(' · ')}` : ''}`,
        detail: `${firstDoc ? `${firstDoc} — ` : ''}${e.location.file}:${e.location.span.start.line + 1}`,
        service: s.name,
        entry: e,
        location: e.location,
      });
    }
  }
  const order = (x: RouteItem) => `${x.service}\u0000${x.entry.route.path}\u0000${x.entry.route.method}`;
  return items.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** The UTF-16 column of the `col`-th character of a line. */
export function utf16Col(lineText: string, col: number): number {
  let units = 0;
  let chars = 0;
  for (const ch of lineText) {
    if (chars >= col) break;
    units += ch.length;
    chars += 1;
  }
  return units + Math.max(0, col - chars);
}

/** The absolute path of a project-relative file. */
export function resolveFile(root: string, file: string): string {
  if (file.startsWith('/')) return file;
  return `${root.replace(/\/+$/, '')}/${file}`;
}
