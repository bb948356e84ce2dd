// The project.cws.yml JSON schema names exactly the keys and options of docs/config.md, which a core
// test keeps equal to the core's schema table (core/src/config/schema.rs): one source of truth.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas', 'project.cws.schema.json'), 'utf8'));
const docs = fs.readFileSync(path.join(root, '..', 'docs', 'config.md'), 'utf8');

/** The first-column keys of the table following a heading line matching `heading`. */
function tableKeys(heading: RegExp): string[] {
  const lines = docs.split('\n');
  const at = lines.findIndex((l) => heading.test(l));
  assert.ok(at >= 0, `docs/config.md has a heading ${heading}`);
  const keys: string[] = [];
  let inTable = false;
  for (const l of lines.slice(at + 1)) {
    if (l.startsWith('#')) break;
    const m = /^\| `([^`]+)` \|/.exec(l);
    if (m) keys.push(m[1]);
    if (l.startsWith('|')) inTable = true;
    else if (inTable) break;
  }
  return keys.sort();
}

const keys = (o: { properties: object }) => Object.keys(o.properties).sort();

test('top-level, service and stage keys match docs/config.md', () => {
  assert.deepEqual(keys(schema), tableKeys(/^## Top-level keys/));
  assert.deepEqual(keys(schema.properties.services.additionalProperties), tableKeys(/^### `services\.<name>`/));
  assert.deepEqual(keys(schema.properties.workspaces.additionalProperties), tableKeys(/^### `workspaces\.<stage>`/));
});

test('every command and option of docs/config.md is in the schema, and nothing else', () => {
  const commands = schema.definitions.commands.properties;
  const documented = [...docs.matchAll(/^### `([a-z_]+)` — /gm)].map((m) => m[1]).sort();
  assert.deepEqual(Object.keys(commands).sort(), documented);
  for (const c of documented) {
    assert.deepEqual(keys(commands[c]), tableKeys(new RegExp(`^### \`${c}\` — `)), `options of ${c}`);
  }
});

test('the schema is contributed to the YAML extension for project.cws.yml', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.yamlValidation, [
    { fileMatch: 'project.cws.yml', url: './schemas/project.cws.schema.json' },
    { fileMatch: 'workflows/*.cws.yml', url: './schemas/workflow.schema.json' },
  ]);
  // The workflow schema shipped is the repository's (schemas/workflow.schema.json, kept equal to the parser's keys by the core's tests).
  assert.equal(
    fs.readFileSync(path.join(root, 'schemas', 'workflow.schema.json'), 'utf8'),
    fs.readFileSync(path.join(root, '..', 'schemas', 'workflow.schema.json'), 'utf8'),
  );
});
