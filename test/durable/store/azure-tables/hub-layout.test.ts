/** The hub layouts' key maps, as properties over any instance id (hub-layout.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { groupedLayout, HASHED_LAYOUT, LEGACY_LAYOUT, type HubLayout } from '../../../../src/durable/store/azure-tables/hub-layout.js';
import { externalMessageKey, historyRowKey, INSTANCE_ROW, outboxRowKey, startMessageKey, taskResultKey } from '../../../../src/durable/keys.js';
import { fuzzParameters } from '../../../support/fuzz.js';

const ids = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'b', '0', ' ', '/', '%', '~', '#', '?', '\\', '\u0007', 'é', '😀', '-', '!') });
const logicalKeys = fc.constantFrom(INSTANCE_ROW, historyRowKey('e1', 3, 0), startMessageKey('e1'), taskResultKey('e1', 7), externalMessageKey(5, 'u'), outboxRowKey(2));
const layouts = fc.constantFrom<HubLayout>(groupedLayout(1), groupedLayout(4), groupedLayout(16), HASHED_LAYOUT, LEGACY_LAYOUT);

test('every layout maps an instance row key there and back, and knows its instance row', () => {
  fc.assert(
    fc.property(layouts, ids, logicalKeys, (layout, id, key) => {
      const pk = layout.partitionOf(id);
      const rk = layout.rowKeyOf(id, key);
      assert.deepEqual(layout.logicalOf(pk, rk), { instanceId: id, rowKey: key });
      assert.equal(layout.isInstanceRow(rk), key === INSTANCE_ROW);
      assert.equal(layout.partitionOf(id), pk, 'the same partition every time');
    }),
    fuzzParameters({ numRuns: 300 }, 'hub layout keys'),
  );
});

test('a grouped hub: the partition is one of its own; rows of two instances never interleave and sort in id order', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), ids, ids, logicalKeys, logicalKeys, (count, a, b, ka, kb) => {
      fc.pre(a !== b);
      const layout = groupedLayout(count);
      assert.ok(layout.sharedPartitions.includes(layout.partitionOf(a)));
      const before = layout.idKey(a) < layout.idKey(b);
      assert.equal(layout.rowKeyOf(a, ka) < layout.rowKeyOf(b, kb), before, `${JSON.stringify(a)} and ${JSON.stringify(b)}`);
      // The range `rowsOf` reads ([id + ' ', id + ' ~')) holds every row of the instance and none of another.
      const lower = layout.rowKeyOf(a, '');
      const upper = layout.rowKeyOf(a, '~');
      const inRange = (rk: string): boolean => rk >= lower && rk < upper;
      assert.ok(inRange(layout.rowKeyOf(a, ka)));
      assert.ok(!inRange(layout.rowKeyOf(b, kb)));
    }),
    fuzzParameters({ numRuns: 300 }, 'grouped hub order'),
  );
});

test('a grouped hub spreads instances over its partitions', () => {
  const layout = groupedLayout(4);
  const counts = new Map<string, number>();
  for (let i = 0; i < 4_000; i++) {
    const pk = layout.partitionOf(`schedule-${i}`);
    counts.set(pk, (counts.get(pk) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), layout.sharedPartitions);
  for (const [pk, n] of counts) assert.ok(n > 800 && n < 1_200, `${pk}: ${n} of 4,000`);
});

test('a partition count outside 1-16 is refused, naming the setting', () => {
  for (const bad of [0, 17, 2.5, Number.NaN]) assert.throws(() => groupedLayout(bad), /partitionCount must be an integer from 1 to 16/);
});
