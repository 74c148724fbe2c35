/** The step queue: instances come out in order of the time their work became due, one entry per instance. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WorkQueue } from '../../../src/durable/runtime/work-queue.js';
import { fuzzParameters } from '../../support/fuzz.js';

test('a timer due earlier is taken before work that became due after it, whatever the order of the requests', () => {
  const q = new WorkQueue();
  q.offer('scanned', 5_000);
  q.offer('message', 4_000);
  q.offer('late-timer', 1_000);
  q.offer('scanned', 6_000); // asked again later: keeps its earlier due time, one entry
  assert.equal(q.size, 3);
  assert.deepEqual([q.take(), q.take(), q.take(), q.take()], [
    { key: 'late-timer', dueAt: 1_000 },
    { key: 'message', dueAt: 4_000 },
    { key: 'scanned', dueAt: 5_000 },
    undefined,
  ]);
});

test('asked again with an earlier due time, an instance moves up; equal due times keep the order of the requests', () => {
  const q = new WorkQueue();
  for (const key of ['a', 'b', 'c', 'd']) q.offer(key, 100);
  q.offer('d', 50);
  assert.deepEqual(
    Array.from({ length: 4 }, () => q.take()?.key),
    ['d', 'a', 'b', 'c'],
  );
});

type Op = { kind: 'offer'; key: string; dueAt: number } | { kind: 'take' };

test('property: the queue takes what a sorted list of (earliest due time, first request) would, one entry per key', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('offer' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), dueAt: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ kind: fc.constant('take' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const q = new WorkQueue();
      // The model: per queued key its earliest due time and the order of its first request since it was last taken.
      const model = new Map<string, { dueAt: number; seq: number }>();
      let seq = 0;
      for (const o of ops) {
        if (o.kind === 'offer') {
          q.offer(o.key, o.dueAt);
          const had = model.get(o.key);
          model.set(o.key, had ? { dueAt: Math.min(had.dueAt, o.dueAt), seq: had.seq } : { dueAt: o.dueAt, seq: seq++ });
        } else {
          const expected = [...model.entries()].sort((x, y) => x[1].dueAt - y[1].dueAt || x[1].seq - y[1].seq)[0];
          const got = q.take();
          if (!expected) {
            assert.equal(got, undefined);
            continue;
          }
          assert.deepEqual(got, { key: expected[0], dueAt: expected[1].dueAt });
          model.delete(expected[0]);
        }
        assert.equal(q.size, model.size);
      }
    }),
    fuzzParameters({ numRuns: 300 }, 'work queue order'),
  );
});
