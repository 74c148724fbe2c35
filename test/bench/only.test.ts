/** `npm run bench -- --only <figure id prefixes>`: which scenarios run, which figures show, which levels run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelCounts, selectionFrom, selects, shows, unmatched } from '../../bench/only.js';

const LEVEL_IDS = ['lateness.azurite.', 'largestOnTime.azurite', 'ticksPerSecond', 'rawPostCeiling', 'ticksToCeiling', 'callsPerTick'];
const MANY_IDS = ['many.start', 'many.rss', 'many.peakRss', 'many.recovery', 'many.idleCalls'];
const LARGE_IDS = MANY_IDS.map((id) => id.replace('many.', 'many.100000.'));

test('--only takes comma-separated prefixes, as one argument or after =; BENCH_ONLY is the same; none: everything; --quick passes', () => {
  assert.deepEqual(selectionFrom(['--only', 'many.100000, engine.memory'], {}), ['many.100000', 'engine.memory']);
  assert.deepEqual(selectionFrom(['--only=tickCost'], {}), ['tickCost']);
  assert.deepEqual(selectionFrom([], { BENCH_ONLY: 'many' }), ['many']);
  assert.deepEqual(selectionFrom(['--only', 'file'], { BENCH_ONLY: 'many' }), ['file'], 'the argument wins');
  assert.equal(selectionFrom([], {}), undefined);
  assert.throws(() => selectionFrom(['--only'], {}), /--only needs figure id prefixes/);
  assert.throws(() => selectionFrom(['--fast'], {}), /unknown argument "--fast"/);
  assert.deepEqual(selectionFrom(['--quick', '--only', 'listing'], {}), ['listing'], '--quick is the smoke run, read by main');
});

test('a prefix runs the scenarios with a figure it begins, and shows only those figures', () => {
  const only = ['many.100000'];
  assert.equal(selects(only, LARGE_IDS), true);
  assert.equal(selects(only, MANY_IDS), false, 'the 10,000 run is not many.100000');
  assert.equal(selects(['many'], MANY_IDS) && selects(['many'], LARGE_IDS), true, '`many` is both');
  assert.equal(selects(['lateness.azurite.1000'], LEVEL_IDS), true, 'a level id selects its levels');
  assert.equal(selects(['lateness'], LEVEL_IDS), true);
  assert.equal(selects(['lateness.proxy10ms'], LEVEL_IDS), false);
  assert.equal(selects(undefined, MANY_IDS), true, 'no selection: everything');
  assert.equal(shows(only, 'many.100000.rss'), true);
  assert.equal(shows(only, 'many.rss'), false);
  assert.equal(shows(['lateness.azurite.1000'], 'lateness.azurite.100'), false);
});

test('single levels named alone run just those, without probes; anything broader runs the plan', () => {
  assert.deepEqual(levelCounts(['lateness.azurite.1000', 'lateness.azurite.10'], 'azurite', [1, 100, 1000], LEVEL_IDS), { counts: [10, 1000], probe: false });
  assert.deepEqual(levelCounts(['lateness.azurite.1000', 'ticksPerSecond'], 'azurite', [1, 100], LEVEL_IDS), { counts: [1, 100], probe: true });
  assert.deepEqual(levelCounts(['lateness.proxy10ms.100'], 'azurite', [1, 100], LEVEL_IDS), { counts: [1, 100], probe: true });
  assert.deepEqual(levelCounts(undefined, 'azurite', [1, 100], LEVEL_IDS), { counts: [1, 100], probe: true });
});

test('a prefix that names no figure is reported', () => {
  assert.deepEqual(unmatched(['many.1000000', 'many.100000', 'engine'], [...LARGE_IDS, 'engine.memory']), ['many.1000000']);
  assert.deepEqual(unmatched(undefined, LARGE_IDS), []);
});
