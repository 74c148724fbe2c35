/** The min-heap under the step queue and the timer queue: it gives back what a sorted array would, and tells moves. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MinHeap } from '../../../src/durable/runtime/min-heap.js';
import { fuzzParameters } from '../../support/fuzz.js';

interface Item {
  key: number;
  seq: number;
}

const before = (a: Item, b: Item): boolean => a.key < b.key || (a.key === b.key && a.seq < b.seq);

/** Operations: push a key, pop, or lower the key of the item at some position. */
const operation = fc.oneof(
  fc.record({ op: fc.constant('push' as const), key: fc.integer({ min: -50, max: 50 }) }),
  fc.record({ op: fc.constant('pop' as const) }),
  fc.record({ op: fc.constant('lower' as const), pick: fc.nat(), by: fc.integer({ min: 1, max: 30 }) }),
);

test('pushes, pops and lowered keys come out as from a sorted array; every position told is the true one', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 200 }), (ops) => {
      const where = new Map<Item, number>();
      const heap = new MinHeap<Item>(before, (item, at) => where.set(item, at));
      const model: Item[] = [];
      let seq = 0;
      for (const o of ops) {
        if (o.op === 'push') {
          const item = { key: o.key, seq: seq++ };
          heap.push(item);
          model.push(item);
        } else if (o.op === 'pop') {
          model.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
          const expected = model.shift();
          const got = heap.pop();
          assert.equal(got, expected);
          if (got) where.delete(got);
        } else if (model.length > 0) {
          const item = model[o.pick % model.length] as Item;
          item.key -= o.by;
          heap.up(where.get(item) as number);
        }
        assert.equal(heap.size, model.length);
        for (const [item, at] of where) assert.equal(heap.at(at), item);
      }
      model.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
      assert.deepEqual(Array.from({ length: model.length }, () => heap.pop()), model);
      assert.equal(heap.pop(), undefined);
    }),
    fuzzParameters({ numRuns: 300 }, 'min-heap against a sorted array'),
  );
});

test('peek leaves the first item in place; clear empties the heap', () => {
  const heap = new MinHeap<Item>(before);
  heap.push({ key: 3, seq: 0 });
  heap.push({ key: 1, seq: 1 });
  assert.deepEqual(heap.peek(), { key: 1, seq: 1 });
  assert.equal(heap.size, 2);
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(heap.peek(), undefined);
  assert.equal(heap.pop(), undefined);
});
