import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as h from '../src/logic/hints';
import * as lens from '../src/logic/lens';

test('inlay hints are on unless the setting turns them off', () => {
  assert.deepEqual(h.hintsOption(true), {});
  assert.deepEqual(h.hintsOption(false), { inlayHints: false });
  assert.deepEqual(h.hintsChange(false), { settings: { coworks: { inlayHints: { enabled: false } } } });
});

test('a references lens carries the document, the position and the locations', () => {
  const loc = { uri: 'file:///p/workflows/w.cws.yml', range: { start: { line: 3, character: 10 }, end: { line: 3, character: 23 } } };
  const args = ['file:///p/src/main.rs', { line: 32, character: 13 }, [loc]];
  assert.deepEqual(lens.referencesOf(args), { uri: args[0], position: args[1], locations: [loc] });
  assert.equal(typeof lens.referencesOf([]), 'string');
  assert.equal(typeof lens.referencesOf(['u', { line: 1 }, []]), 'string');
  assert.equal(typeof lens.referencesOf(['u', { line: 1, character: 2 }, [{ uri: 'x' }]]), 'string');
});
