// The extension's protocol, against the real coworks-lsp on examples/eshop: what the extension
// sends (initialization options, lens commands, custom requests, stage switches) and what it does
// with the answers (its logic modules), through vscode-languageclient's protocol layer over stdio.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { type CodeLens, DidChangeConfigurationNotification, ExecuteCommandRequest } from 'vscode-languageserver-protocol/node';

import * as dbg from '../src/logic/debug';
import * as inv from '../src/logic/invoke';
import * as lens from '../src/logic/lens';
import * as oa from '../src/logic/openapi';
import * as pv from '../src/logic/preview';
import * as rt from '../src/logic/routes';
import * as st from '../src/logic/stage';
import * as tk from '../src/logic/tasks';
import * as tr from '../src/logic/tree';
import { binaries, eshop, type Session, startServer, uriOf } from './support';

const billing = path.join(eshop, 'services', 'billing', 'src', 'main.rs');
let s: Session;

async function open(file: string, languageId: string): Promise<void> {
  await s.conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri: uriOf(file), languageId, version: 1, text: fs.readFileSync(file, 'utf8') },
  });
}

async function lenses(file: string): Promise<CodeLens[]> {
  return ((await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: uriOf(file) } })) ?? []) as CodeLens[];
}

before(async () => {
  binaries();
  s = await startServer(eshop, st.initializationOptions('dev'));
});

after(async () => {
  await s?.close();
});

test('the server announces what the extension uses', () => {
  const caps = s.init.capabilities;
  assert.ok(caps.codeLensProvider, 'code lenses');
  const commands = caps.executeCommandProvider?.commands ?? [];
  for (const c of lens.LENS_COMMANDS) assert.ok(commands.includes(c), `executeCommand ${c} (server has ${commands})`);
  const coworks = (caps.experimental as { coworks?: { customRequests?: string[]; stageNotification?: string } })?.coworks;
  const custom = coworks?.customRequests ?? [];
  for (const r of ['coworks/routes', 'coworks/workflowPreview', st.STAGES_REQUEST, st.SET_STAGE_REQUEST, tr.TREE_REQUEST]) assert.ok(custom.includes(r), `custom requests: ${custom}`);
  assert.equal(coworks?.stageNotification, st.STAGE_NOTIFICATION);
  assert.equal((coworks as { projectNotification?: string })?.projectNotification, tr.TREE_NOTIFICATION);
  // Where `cws workflow run` keeps each workflow's last run: the extension watches what the server says.
  assert.equal(pv.lastRunsGlob(caps), '**/target/.cws/workflow-runs/*.json');
});

test('Show OpenAPI: the service of the active file, its document from the server, as YAML and JSON', async () => {
  const routes = rt.parseRoutes(await s.conn.sendRequest('coworks/routes', { stage: null }));
  assert.notEqual(typeof routes, 'string');
  const told = st.parseStages(await s.conn.sendRequest(st.STAGES_REQUEST, {}));
  const service = oa.serviceOfFile(routes as rt.RoutesAnswer, told!.root, billing);
  assert.equal(service, 'billing');
  const doc = oa.checkDocument(await s.conn.sendRequest(oa.OPENAPI_REQUEST, oa.openApiParams(service!, null)));
  assert.notEqual(typeof doc, 'string', String(doc));
  const d = doc as { info: { title: string; version: string }; paths: Record<string, unknown> };
  assert.deepEqual([d.info.title, d.info.version], ['billing', 'dev']);
  assert.ok('/invoice/{id}' in d.paths, Object.keys(d.paths).join(' '));
  const yaml = oa.documentText(doc, 'yaml');
  assert.match(yaml, /^openapi: "3\.1\.0"$/m);
  assert.match(yaml, /^info:\n(  .*\n)*  title: billing$/m);
  assert.match(yaml, /^paths:\n(  .*\n)*  \/invoice\/\{id\}:\n(    .*\n)*    get:$/m);
  assert.deepEqual(JSON.parse(oa.documentText(doc, 'json')), doc);
  await assert.rejects(s.conn.sendRequest(oa.OPENAPI_REQUEST, oa.openApiParams('billnig', null)), /unknown service `billnig`; did you mean `billing`\?/);
});

test('the stage list, production marks and the project root come from the server', async () => {
  const told = st.parseStages(await s.conn.sendRequest(st.STAGES_REQUEST, {}));
  assert.ok(told);
  assert.equal(fs.realpathSync(told.root), fs.realpathSync(eshop));
  assert.equal(told.active, 'dev');
  assert.deepEqual(told.stages, [
    { name: 'dev', production: false },
    { name: 'test', production: false },
    { name: 'prod', production: true },
  ]);
  const stages = new st.Stages(undefined);
  stages.update(told);
  assert.equal(stages.label(), '$(cloud) dev');
});

test('opening a Rust file brings its diagnostics (eshop is clean)', async () => {
  const diags = s.nextDiagnostics(uriOf(billing));
  await open(billing, 'rust');
  const d = await diags;
  assert.deepEqual(d.diagnostics.filter((x) => x.severity === 1), [], 'no errors in billing');
});

test('each lens carries the cws line the server resolved; executeCommand answers the same; invokes are filled in and re-checked', async () => {
  const ls = await lenses(billing);
  const titles = ls.map((l) => l.command!.title);
  assert.deepEqual(titles.slice(0, 4), ['▶ Run', 'Debug', 'Deploy (dev)', '8 routes'], 'the extension asks for the Debug lens');
  assert.ok(titles.includes('Invoke GET /invoice/{id}'), titles.join(' | '));
  // `used by N workflow tasks` lenses carry the locations to show (a client command).
  const used = ls.filter((l) => l.command!.command === lens.SHOW_REFERENCES);
  assert.equal(used.length, 3, titles.join(' | '));
  const refs = lens.referencesOf(used[0].command!.arguments);
  assert.equal(typeof refs, 'object', String(refs));
  assert.ok((refs as lens.References).locations[0].uri.endsWith('workflows/invoicing.cws.yml'));
  for (const l of ls.filter((x) => x.command!.command !== lens.SHOW_REFERENCES)) {
    const id = l.command!.command;
    assert.ok(lens.isLensCommand(id), id);
    const i = lens.invocationOf(l.command!.arguments?.[0]);
    assert.equal(typeof i, 'object', `${id}: ${i}`);
    const carried = i as lens.Invocation;
    assert.equal(carried.argv[0], id === lens.DEBUG ? 'cargo' : 'cws', 'a debug builds with cargo; the rest is cws');
    assert.equal(fs.realpathSync(carried.cwd), fs.realpathSync(eshop));
    const answer = lens.invocationOf(await s.conn.sendRequest(ExecuteCommandRequest.type, { command: id, arguments: l.command!.arguments }));
    assert.deepEqual(answer, carried, `${l.command!.title}: executeCommand answers what the lens carries`);
  }
  const run = lens.invocationOf(ls[0].command!.arguments![0]) as lens.Invocation;
  assert.deepEqual(run.argv, ['cws', 'run', '-s', 'dev', '--', 'billing']);
  assert.equal(lens.terminalName(run), 'CoWorks: run billing');
  const deploy = lens.invocationOf(ls[2].command!.arguments![0]) as lens.Invocation;
  assert.equal(deploy.production, false, 'the deploy lens says dev is not production');
  assert.equal(lens.deployConfirmation(deploy), undefined, 'no question for dev');
  const invoke = lens.invocationOf(ls.find((l) => l.command!.title === 'Invoke GET /invoice/{id}')!.command!.arguments![0]) as lens.Invocation;
  assert.deepEqual(invoke.route, { method: 'GET', path: '/invoice/{id}', path_params: ['id'], query: [], body: false });
  const filled = inv.filledAction(invoke, { path: '/invoice/42', query: 'x=1', body: '' });
  const i = lens.invocationOf(await s.conn.sendRequest(ExecuteCommandRequest.type, { command: lens.INVOKE, arguments: [{ action: filled }] })) as lens.Invocation;
  assert.deepEqual(i.argv, ['cws', 'invoke', '-s', 'dev', '--query', 'x=1', '--', 'billing', 'GET', '/invoice/42']);
  const check = lens.invocationOf(await s.conn.sendRequest(ExecuteCommandRequest.type, { command: lens.CHECK, arguments: [{ action: { action: 'check', stage: 'dev' } }] }));
  assert.deepEqual((check as lens.Invocation).argv, ['cws', 'check', '-s', 'dev']);
});

test('an action the server does not accept is refused with a message', async () => {
  await assert.rejects(
    s.conn.sendRequest(ExecuteCommandRequest.type, { command: lens.RUN, arguments: [{ action: { action: 'run', service: 'nope', stage: 'dev' } }] }),
    /unknown service `nope`/,
  );
  await assert.rejects(
    s.conn.sendRequest(ExecuteCommandRequest.type, {
      command: lens.INVOKE,
      arguments: [{ action: { action: 'invoke', service: 'billing', method: 'GET', path: '/nope', stage: 'dev' } }],
    }),
    /no entry `GET \/nope`/,
  );
});

test('Show routes: coworks/routes is the JSON of cws routes --json, and every item jumps to its entry', async () => {
  const answer = await s.conn.sendRequest('coworks/routes', { stage: null });
  const cli = JSON.parse(execFileSync(binaries().cws, ['routes', '-p', eshop, '--json'], { encoding: 'utf8' }));
  assert.deepEqual((answer as rt.RoutesAnswer).services, cli.services, 'same services and entries as the CLI');
  const routes = rt.parseRoutes(answer);
  assert.notEqual(typeof routes, 'string', String(routes));
  const items = rt.routeItems(routes as rt.RoutesAnswer);
  assert.equal(items.length, cli.services.reduce((n: number, x: { entries: unknown[] }) => n + x.entries.length, 0));
  for (const item of items) {
    const text = fs.readFileSync(rt.resolveFile(eshop, item.location.file), 'utf8').split('\n')[item.location.span.start.line];
    const col = rt.utf16Col(text, item.location.span.start.col);
    assert.ok(text.slice(col).startsWith(item.entry.rust_name), `${item.label} → ${item.location.file}:${item.location.span.start.line + 1}: ${text}`);
  }
  assert.ok(items.some((x) => x.label === 'GET /invoices?page=&customer=' && x.description.startsWith('billing · get_invoices')));
  const devOnly = await s.conn.sendRequest('coworks/routes', { stage: 'prod' });
  const prodItems = rt.routeItems(devOnly as rt.RoutesAnswer);
  assert.ok(!prodItems.some((x) => x.entry.rust_name === 'get_debug_state'), 'a dev-only entry is not in prod');
});

test('the CoWorks view: coworks/projectTree is the project as the CLI sees it, every action the line its lens carries', async () => {
  const t = tr.parseTree(await s.conn.sendRequest(tr.TREE_REQUEST, {}));
  assert.equal(typeof t, 'object', String(t));
  const tree = t as tr.ProjectTree;
  assert.equal(fs.realpathSync(tree.root), fs.realpathSync(eshop));
  assert.deepEqual(tree.nodes.map((n) => n.label), ['dev', 'test', 'prod', 'Workflows']);
  // Each stage's services and entries are those of `cws routes -s <stage> --json`.
  for (const stage of ['dev', 'test', 'prod']) {
    const cli = JSON.parse(execFileSync(binaries().cws, ['routes', '-p', eshop, '-s', stage, '--json'], { encoding: 'utf8' }));
    const node = tree.nodes.find((n) => n.label === stage)!;
    const shown = node.children.map((svc) => [svc.label, svc.children.map((e) => e.label)]);
    const routes = cli.services.map((svc: { name: string; entries: { route: { method: string; path: string } }[] }) => [svc.name, svc.entries.map((e) => `${e.route.method} ${e.route.path}`)]);
    assert.deepEqual(shown, routes, `stage ${stage}`);
  }
  const dev = tree.nodes[0];
  assert.equal(tr.itemView(dev, new Map()).collapsible, 2, 'the active stage is expanded');
  const service = dev.children.find((n) => n.label === 'billing')!;
  assert.equal(tr.itemView(service, new Map()).contextValue, 'coworks.service run debug deploy build open');
  // Each action is what a lens of billing's main.rs carries.
  const ls = await lenses(billing);
  const carried = (title: string) => lens.invocationOf(ls.find((l) => l.command!.title === title)!.command!.arguments![0]);
  assert.deepEqual(tr.actionOf(service, 'run'), carried('▶ Run'));
  assert.deepEqual(tr.actionOf(service, 'debug'), carried('Debug'));
  const get = service.children.find((n) => n.label === 'GET /invoice/{id}')!;
  assert.deepEqual(tr.actionOf(get, 'invoke'), carried('Invoke GET /invoice/{id}'));
  assert.equal(get.location?.uri, uriOf(billing));
  const line = fs.readFileSync(billing, 'utf8').split('\n')[get.location!.range.start.line];
  assert.ok(line.slice(get.location!.range.start.character).startsWith('get_invoice('), line);
  const workflows = tree.nodes[3];
  assert.deepEqual(workflows.children.map((w) => w.label).sort(), ['catalog_update', 'invoicing', 'promotion', 'restock']);

  // The tasks the project offers, with the server's lines.
  const tasks = tk.tasksOfTree(tree);
  assert.ok(tasks.some((x) => x.name === 'check (prod)' && x.invocation.command === 'cws check -s prod --message-format short'));
  assert.ok(tasks.some((x) => x.name === 'deploy billing (prod)' && x.invocation.production));
  assert.equal(tasks.filter((x) => x.definition.action === 'run').length, 3 * 3, 'run per service and stage');
  const resolved = lens.invocationOf(
    await s.conn.sendRequest(ExecuteCommandRequest.type, { command: lens.CHECK, arguments: [{ action: tk.actionOfDefinition({ type: 'coworks', action: 'check' }, 'test') }] }),
  );
  assert.deepEqual((resolved as lens.Invocation).argv, ['cws', 'check', '-s', 'test', '--message-format', 'short'], 'a tasks.json task resolved by the server');

  // The deployed URLs: the tree's invocation of `cws deployed --json`, run for real (nothing deployed).
  assert.deepEqual(tree.deployed?.argv, ['cws', 'deployed', '--json']);
  const argv = lens.withCli(tree.deployed!.argv, binaries().cws);
  const urls = tr.parseDeployed(execFileSync(argv[0], argv.slice(1), { cwd: tree.deployed!.cwd, encoding: 'utf8' }));
  assert.deepEqual(urls, new Map(), 'nothing deployed from the example');
});

test('Debug: the server answers the build and the launch; the build gives the executable the debugger starts', async () => {
  const answer = await s.conn.sendRequest(ExecuteCommandRequest.type, { command: lens.DEBUG, arguments: [{ action: { action: 'debug', service: 'billing', stage: 'dev' } }] });
  const launch = dbg.launchOf(answer);
  assert.equal(typeof launch, 'object', String(launch));
  const l = launch as dbg.DebugLaunch;
  assert.equal(l.env.CWS_STAGE, 'dev');
  assert.equal(l.env.TOKEN, 'dev-token', 'the env files of the stage');
  assert.deepEqual(l.args, ['--host', '127.0.0.1', '--port', '8001']);
  // Build as the extension does (cargo's JSON messages on stdout), then find the executable.
  const out = execFileSync(l.build[0], l.build.slice(1), { cwd: l.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const exe = dbg.executableOf(out, fs.realpathSync(l.manifest));
  assert.ok(exe && fs.existsSync(exe), `cargo built ${exe}`);
  const config = dbg.launchConfiguration('lldb', dbg.sessionName('billing', 'dev'), exe!, l);
  assert.equal(config.program, exe);
  assert.deepEqual(config.env, l.env);
});

test('an edit that changes the project: the server says so, and the tree follows', async () => {
  const file = path.join(eshop, 'services', 'catalog', 'src', 'tree_probe.rs');
  const changed = s.nextNotification(tr.TREE_NOTIFICATION);
  await s.conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri: uriOf(file), languageId: 'rust', version: 1, text: '#[coworks::service]\nimpl Catalog {\n    #[entry]\n    fn get_probe(&self) -> String { String::new() }\n}\n' },
  });
  await changed;
  const tree = tr.parseTree(await s.conn.sendRequest(tr.TREE_REQUEST, {})) as tr.ProjectTree;
  const catalog = tree.nodes[0].children.find((n) => n.label === 'catalog')!;
  assert.ok(catalog.children.some((e) => e.label === 'GET /probe'), catalog.children.map((e) => e.label).join(', '));
  const gone = s.nextNotification(tr.TREE_NOTIFICATION);
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri: uriOf(file) } });
  await gone;
  const after = tr.parseTree(await s.conn.sendRequest(tr.TREE_REQUEST, {})) as tr.ProjectTree;
  assert.ok(!after.nodes[0].children.find((n) => n.label === 'catalog')!.children.some((e) => e.label === 'GET /probe'), 'closed unsaved: gone');
});

test('Preview workflow: the answer renders; clicks on tasks open existing entries', async () => {
  const file = path.join(eshop, 'workflows', 'invoicing.cws.yml');
  const answer = await s.conn.sendRequest('coworks/workflowPreview', { textDocument: { uri: uriOf(file) } });
  const p = pv.parsePreview(answer);
  const html = pv.renderHtml(p, 'invoicing.cws.yml', 'n', 'csp');
  assert.ok(p.available, `the server previews the example workflow: ${p.message}`);
  assert.ok(p.mermaid?.startsWith('flowchart'), p.mermaid);
  assert.ok(p.nodes.some((n) => n.id === 'create_invoice' && n.entry === 'billing POST /invoice'), JSON.stringify(p.nodes));
  assert.ok(p.edges.length > 0);
  assert.ok(html.includes('create_invoice'), 'the rendered graph shows the tasks');
  let opened = 0;
  for (const n of p.nodes) {
    const action = pv.handleMessage({ type: 'open', id: n.id }, p);
    if (action.kind === 'open') {
      assert.ok(fs.existsSync(rt.resolveFile(eshop, action.file)), action.file);
      opened += 1;
    }
  }
  assert.ok(opened > 0, 'clicks on tasks open their entries');
});

test('switching stage (coworks/setStage) re-computes lenses for the new stage, and the server says so', async () => {
  const before = (await lenses(billing)).map((l) => l.command!.title);
  assert.ok(before.includes('Deploy (dev)'));
  // What the extension does: ask the server to switch, take its answer and notification, and ask
  // for lenses again when the server says so (workspace/codeLens/refresh).
  const refresh = s.nextServerRequest('workspace/codeLens/refresh');
  const notified = s.nextNotification(st.STAGE_NOTIFICATION);
  await assert.rejects(s.conn.sendRequest(st.SET_STAGE_REQUEST, { stage: 'qa' }), /unknown stage `qa`/);
  const answer = st.parseStages(await s.conn.sendRequest(st.SET_STAGE_REQUEST, { stage: 'prod' }));
  assert.equal(answer?.active, 'prod');
  await refresh;
  assert.equal(st.parseStages(await notified)?.active, 'prod');
  const titles = (await lenses(billing)).map((l) => l.command!.title);
  assert.ok(titles.includes('Deploy (prod)'), titles.join(' | '));
  assert.ok(titles.includes('6 routes'), `the dev-only entry is not counted in prod: ${titles.join(' | ')}`);
  assert.ok(titles.includes('Invoke GET /debug/state (dev)'), `a dev-only entry is invoked in dev: ${titles.join(' | ')}`);
  const deploy = (await lenses(billing)).find((l) => l.command!.command === lens.DEPLOY)!;
  const i = lens.invocationOf(deploy.command!.arguments![0]) as lens.Invocation;
  assert.equal(i.production, true, 'the deploy lens says prod is production');
  assert.equal(lens.deployConfirmation(i), "Deploy billing to the production stage 'prod'?");
  assert.equal(st.parseStages(await s.conn.sendRequest(st.STAGES_REQUEST, {}))?.active, 'prod');
  // Clients without the request switch with a configuration change.
  await s.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: { coworks: { stage: 'dev' } } });
  await s.nextServerRequest('workspace/codeLens/refresh');
});

test('a server started with a stage: lenses and diagnostics of that stage, as `cws check -s <stage>`', async () => {
  // A copy of eshop without .env.prod: stage prod needs it (CWS015 at its env_files item). The
  // server's contract (lsp/README.md) is the diagnostics of the active stage, as `cws check -s`;
  // so the problem shows while prod is active and not while dev is.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'coworks-eshop-'));
  fs.cpSync(eshop, copy, { recursive: true });
  fs.rmSync(path.join(copy, '.env.prod'));
  const config = path.join(copy, 'project.cws.yml');
  const openConfig = (t: Session) =>
    t.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: uriOf(config), languageId: 'yaml', version: 1, text: fs.readFileSync(config, 'utf8') },
    });
  const cli = (...stage: string[]) => {
    let out: string;
    try {
      out = execFileSync(binaries().cws, ['check', '-p', copy, ...stage, '--json'], { encoding: 'utf8' });
    } catch (e) {
      out = (e as { stdout: string }).stdout; // exit code 1: there is an error
    }
    return JSON.parse(out)
      .diagnostics.filter((d: { file: string }) => d.file === 'project.cws.yml')
      .map((d: { code: string; span: { start: { line: number } } }) => `${d.code}@${d.span.start.line}`);
  };
  const editor = (p: { diagnostics: { code?: string | number; range: { start: { line: number } } }[] }) =>
    p.diagnostics.map((d) => `${d.code}@${d.range.start.line}`);
  assert.deepEqual(cli(), ['CWS055@34', 'CWS015@36'], 'prod keeps its state locally (a warning) and misses .env.prod');
  assert.deepEqual(cli('-s', 'dev'), [], '(dev alone does not need .env.prod)');
  let t = await startServer(copy, st.initializationOptions('dev'));
  try {
    const first = t.nextDiagnostics(uriOf(config));
    await openConfig(t);
    assert.deepEqual(editor(await first), cli('-s', 'dev'), 'stage dev: the diagnostics of `cws check -s dev`');
    // Starting with a stage (the one last picked in the workspace).
    await t.close();
    t = await startServer(copy, st.initializationOptions('prod'));
    const next = t.nextDiagnostics(uriOf(config));
    await openConfig(t);
    assert.deepEqual(editor(await next), cli('-s', 'prod'), 'stage prod: the diagnostics of `cws check -s prod`');
    assert.deepEqual(cli('-s', 'prod'), ['CWS055@34', 'CWS015@36']);
    const billingCopy = path.join(copy, 'services', 'billing', 'src', 'main.rs');
    await t.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: uriOf(billingCopy), languageId: 'rust', version: 1, text: fs.readFileSync(billingCopy, 'utf8') },
    });
    const ls = (await t.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: uriOf(billingCopy) } })) as CodeLens[];
    assert.equal(ls[2].command!.title, 'Deploy (prod)', 'a restart with initializationOptions switches the lenses too');
  } finally {
    await t.close();
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
