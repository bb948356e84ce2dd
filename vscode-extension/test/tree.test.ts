// The CoWorks view's logic: reading the server's tree, joining deployed URLs, what each item shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as tr from '../src/logic/tree';

const inv = (action: Record<string, unknown>, argv: string[]) => ({ action, argv, command: argv.join(' '), cwd: '/p', production: false });
const range = { start: { line: 3, character: 4 }, end: { line: 3, character: 10 } };
const answer = {
  root: '/p',
  active: 'dev',
  deployed: inv({ action: 'deployed', stage: null }, ['cws', 'deployed', '--json']),
  nodes: [
    {
      kind: 'stage',
      id: 'stage:dev',
      label: 'dev',
      description: 'active',
      stage: 'dev',
      expanded: true,
      actions: [{ title: 'Check', command: 'coworks.check', invocation: inv({ action: 'check', stage: 'dev', short: true }, ['cws', 'check', '-s', 'dev', '--message-format', 'short']) }],
      children: [
        {
          kind: 'service',
          id: 'stage:dev/service:billing',
          label: 'billing',
          description: '512 MB · 29 s',
          tooltip: 'Service billing',
          location: { uri: 'file:///p/services/billing/src/main.rs', range },
          stage: 'dev',
          service: 'billing',
          expanded: false,
          actions: [
            { title: 'Run', command: 'coworks.run', invocation: inv({ action: 'run', service: 'billing', stage: 'dev' }, ['cws', 'run', '-s', 'dev', '--', 'billing']) },
            { title: 'Deploy', command: 'coworks.deploy', invocation: inv({ action: 'deploy', service: 'billing', stage: 'dev' }, ['cws', 'deploy', '-s', 'dev', '--', 'billing']) },
          ],
          children: [
            {
              kind: 'entry',
              id: 'stage:dev/service:billing/entry:GET /health',
              label: 'GET /health',
              description: 'no auth',
              location: { uri: 'file:///p/services/billing/src/main.rs', range },
              expanded: false,
              actions: [],
              children: [],
            },
          ],
        },
      ],
    },
    { kind: 'stage', id: 'stage:prod', label: 'prod', description: 'production', stage: 'prod', expanded: false, actions: [], children: [] },
  ],
};

function parsed(): tr.ProjectTree {
  const t = tr.parseTree(answer);
  assert.equal(typeof t, 'object', String(t));
  return t as tr.ProjectTree;
}

test("the server's tree is read as it is", () => {
  const t = parsed();
  assert.equal(t.active, 'dev');
  assert.deepEqual([...tr.walk(t.nodes)].map((n) => n.label), ['dev', 'billing', 'GET /health', 'prod']);
  const billing = t.nodes[0].children[0];
  assert.deepEqual(tr.verbs(billing), ['run', 'deploy']);
  assert.deepEqual(tr.actionOf(billing, 'deploy')?.argv, ['cws', 'deploy', '-s', 'dev', '--', 'billing']);
  assert.equal(tr.actionOf(billing, 'invoke'), undefined);
  assert.deepEqual(billing.location, { uri: 'file:///p/services/billing/src/main.rs', range });
  assert.deepEqual(t.deployed?.argv, ['cws', 'deployed', '--json']);
});

test('what is not a tree is refused with a message', () => {
  assert.match(tr.parseTree(null) as string, /no tree/);
  assert.match(tr.parseTree({ root: '/p', active: 'dev' }) as string, /no tree/);
  assert.match(tr.parseTree({ ...answer, nodes: [{ kind: 'galaxy', id: 'x', label: 'x' }] }) as string, /unknown kind "galaxy"/);
  const badAction = { ...answer.nodes[1], actions: [{ title: 'Run', invocation: { action: { action: 'run' } } }] };
  assert.match(tr.parseTree({ ...answer, nodes: [badAction] }) as string, /stage:prod: the invocation has no argument vector/);
  // A location that is not one is dropped, not trusted.
  const t = tr.parseTree({ ...answer, nodes: [{ ...answer.nodes[1], location: { uri: 'file:///x', range: { start: 1 } } }] }) as tr.ProjectTree;
  assert.equal(t.nodes[0].location, undefined);
});

test('each item: collapsible state, icon, and a context value naming what it offers', () => {
  const t = parsed();
  const none: tr.DeployedUrls = new Map();
  const [dev, prod] = t.nodes;
  const billing = dev.children[0];
  assert.deepEqual(tr.itemView(dev, none), {
    label: 'dev',
    description: 'active',
    tooltip: '',
    collapsible: 2,
    icon: 'layers',
    contextValue: 'coworks.stage check',
  });
  assert.equal(tr.itemView(prod, none).collapsible, 0, 'no services: nothing to expand');
  assert.equal(tr.itemView(prod, none).icon, 'warning', 'production stands out');
  assert.equal(tr.itemView(billing, none).collapsible, 1);
  assert.equal(tr.itemView(billing, none).contextValue, 'coworks.service run deploy open');
  assert.equal(tr.itemView(billing.children[0], none).contextValue, 'coworks.entry open');
});

test('deployed URLs: read from `cws deployed --json`, shown on their service in their stage', () => {
  const printed = JSON.stringify({
    stages: [
      { stage: 'dev', deployed: true, services: [{ name: 'billing', url: 'https://abc.execute-api.eu-west-1.amazonaws.com/dev', function: 'f', arn: 'a' }] },
      { stage: 'prod', deployed: false, services: [] },
      { stage: 'test', deployed: true, services: [{ name: 'billing', url: '-' }] },
    ],
  });
  const urls = tr.parseDeployed(printed) as tr.DeployedUrls;
  assert.deepEqual([...urls.keys()], ['dev'], 'a stage without a URL adds nothing');
  const billing = parsed().nodes[0].children[0];
  assert.equal(tr.deployedUrl(billing, urls), 'https://abc.execute-api.eu-west-1.amazonaws.com/dev');
  const v = tr.itemView(billing, urls);
  assert.equal(v.description, '512 MB · 29 s · https://abc.execute-api.eu-west-1.amazonaws.com/dev');
  assert.match(v.tooltip, /\n\nDeployed: https:\/\/abc/);
  assert.equal(v.contextValue, 'coworks.service run deploy open url');
  const prodBilling = { ...billing, stage: 'prod' };
  assert.equal(tr.itemView(prodBilling, urls).description, '512 MB · 29 s', 'not deployed in prod');
  assert.match(tr.parseDeployed('terraform: error') as string, /no JSON/);
  assert.match(tr.parseDeployed('{}') as string, /no `stages`/);
});
