import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as st from '../src/logic/stage';

const told = {
  root: '/p',
  active: 'dev',
  stages: [
    { name: 'dev', production: false },
    { name: 'prod', production: true },
  ],
};

test('the stage asked for reaches the server as initialization options', () => {
  assert.deepEqual(st.initializationOptions('prod'), { stage: 'prod', debugLens: true });
  assert.deepEqual(st.initializationOptions(undefined), { debugLens: true });
});

test("what the server says is read; anything else is not", () => {
  assert.deepEqual(st.parseStages(told), told);
  assert.deepEqual(st.parseStages({ ...told, stages: [{ name: 'x' }, 'y', null] })?.stages, [{ name: 'x', production: false }]);
  assert.equal(st.parseStages({ active: 'dev', stages: [] }), undefined, 'no root');
  assert.equal(st.parseStages(null), undefined);
});

test('the status bar shows the server’s stage; the one asked for only until the server speaks', () => {
  const s = new st.Stages('prod');
  assert.equal(s.current, 'prod');
  assert.equal(s.label(), '$(cloud) prod');
  assert.deepEqual(s.list(), []);
  // The server does not have `prod` as the active stage (say it started on its first stage).
  s.update(told);
  assert.equal(s.current, 'dev', 'the server owns the stage');
  assert.equal(s.label(), '$(cloud) dev');
  s.update({ ...told, active: 'prod' });
  assert.equal(s.label(), '$(cloud) prod (production)');
  assert.ok(s.isProduction('prod') && !s.isProduction('dev') && !s.isProduction('qa'));
  assert.equal(new st.Stages(undefined).label(), '$(cloud) default stage');
});
