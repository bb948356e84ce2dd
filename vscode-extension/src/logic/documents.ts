/** Which files the server is started for and told about. */

/** The document selector the client uses (patterns over file paths). */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'rust' },
  { scheme: 'file', pattern: '**/project.cws.yml' },
  { scheme: 'file', pattern: '**/.env*' },
  { scheme: 'file', pattern: '**/workflows/*.cws.yml' },
] as const;

/** The kind of a CoWorks file, from its path; `undefined` for others. */
export function fileKind(path: string, languageId?: string): 'rust' | 'project' | 'env' | 'workflow' | undefined {
  const parts = path.split(/[\\/]/);
  const name = parts[parts.length - 1] ?? '';
  if (name === 'project.cws.yml') return 'project';
  if (name.startsWith('.env')) return 'env';
  if (name.endsWith('.cws.yml') && parts[parts.length - 2] === 'workflows') return 'workflow';
  if (languageId === 'rust' || name.endsWith('.rs')) return 'rust';
  return undefined;
}

/** Whether opening this file should start the server (Rust files only inside a CoWorks project). */
export function startsServer(path: string, languageId: string | undefined, projectDirs: readonly string[]): boolean {
  const kind = fileKind(path, languageId);
  if (kind === undefined) return false;
  if (kind !== 'rust') return true;
  return projectDirs.some((d) => path.startsWith(d.replace(/\/*$/, '/')));
}
