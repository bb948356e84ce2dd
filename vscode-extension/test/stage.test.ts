import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as st from '../src/logic/stage';

test('the stage reaches the server as initialization options and as a configuration change', () => {
  assert.deepEqual(st.initializationOptions('prod'), { stage: 'prod' });
  assert.deepEqual(st.initializationOptions(undefined), {});
  assert.deepEqual(st.configurationChange('test'), { settings: { coworks: { stage: 'test' } } });
});

test('a switch restarts the server unless it announces it applies configuration changes', () => {
  assert.equal(st.switchAction(undefined), 'restart');
  assert.equal(st.switchAction({ experimental: { coworks: { customRequests: ['coworks/routes'] } } }), 'restart');
  assert.equal(st.switchAction({ experimental: { coworks: { stageChange: 'didChangeConfiguration' } } }), 'notify');
});

test('stages announced by the server replace what was learnt; production is read from them', () => {
  const s = new st.Stages(undefined);
  s.learn('dev');
  s.learn('test');
  assert.deepEqual(s.list().map((x) => x.name), ['dev', 'test']);
  assert.equal(s.isProduction('prod'), undefined);
  const caps = { experimental: { coworks: { stages: [{ name: 'dev', production: false }, 'test', { name: 'prod', production: true }, 7] } } };
  s.announce(st.announcedStages(caps)!);
  assert.deepEqual(s.list(), [{ name: 'dev', production: false }, { name: 'test' }, { name: 'prod', production: true }]);
  assert.equal(s.isProduction('prod'), true);
  assert.equal(s.isProduction('test'), undefined);
  s.learn('qa');
  assert.ok(!s.list().some((x) => x.name === 'qa'), 'an announced list is complete');
  assert.ok(s.complete && !new st.Stages('dev').complete);
  assert.equal(st.announcedStages({}), undefined);
});

test('switching changes the active stage and the status bar text', () => {
  const s = new st.Stages('dev');
  assert.equal(s.label(), '$(cloud) dev');
  assert.equal(s.switchTo('dev'), false, 'no change, no restart');
  s.learn('prod', true);
  assert.equal(s.switchTo('prod'), true);
  assert.equal(s.current, 'prod');
  assert.equal(s.label(), '$(cloud) prod (production)');
  assert.equal(new st.Stages(undefined).label(), '$(cloud) default stage');
});

test('stages are learnt from lenses and from the routes answer', () => {
  const s = new st.Stages('test');
  s.learnFromRoutes({ services: [{ entries: [{ stages: ['dev'] }, { stages: [] }, { stages: ['dev', 'test'] }] }] });
  assert.deepEqual(s.list().map((x) => x.name), ['dev', 'test']);
  s.learn('prod', true);
  s.learn('prod');
  assert.equal(s.isProduction('prod'), true, 'learning again without saying keeps what was said');
  assert.equal(st.checkStageName('pre-prod_2'), undefined);
  assert.ok(st.checkStageName('pre prod'));
});

test('coworks/stages is used when the server lists it; its answer gives stages, production and the active one', () => {
  const caps = { experimental: { coworks: { customRequests: ['coworks/routes', 'coworks/stages'] } } };
  assert.ok(st.hasCustomRequest(caps, st.STAGES_REQUEST));
  assert.ok(!st.hasCustomRequest({ experimental: { coworks: { customRequests: ['coworks/routes'] } } }, st.STAGES_REQUEST));
  assert.ok(!st.hasCustomRequest(undefined, st.STAGES_REQUEST));
  const answer = st.stagesAnswer({ active: 'dev', stages: [{ name: 'dev', production: false }, { name: 'prod', production: true }] });
  assert.deepEqual(answer, { active: 'dev', stages: [{ name: 'dev', production: false }, { name: 'prod', production: true }] });
  assert.equal(st.stagesAnswer({ stages: 'dev' }), undefined);
  assert.equal(st.stagesAnswer(null), undefined);
  const s = new st.Stages(undefined);
  s.announce(answer!.stages);
  s.current ??= answer!.active;
  assert.equal(s.label(), '$(cloud) dev');
  assert.equal(s.isProduction('prod'), true);
});
