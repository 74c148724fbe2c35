/**
 * The doubling back-offs: the app's (src/eventsource/core/backoff.ts) and the engine's (src/durable/backoff.ts, its
 * own package, so its own copy) hold the same properties: the first is `firstMs`, each doubles the one before, none
 * exceeds `maxMs`, never NaN or infinite however many attempts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffMs as appBackoff } from '../../../src/eventsource/core/backoff.js';
import { backoffMs as engineBackoff } from '../../../src/durable/backoff.js';
import { fuzzParameters } from '../../support/fuzz.js';

const bounds = fc
  .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 100_000_000 }))
  .map(([firstMs, extra]) => ({ firstMs, maxMs: firstMs + extra }));

for (const [label, backoffMs] of [['app', appBackoff], ['engine', engineBackoff]] as const) {
  describe(`backoffMs (${label})`, () => {
    it('gives the callers their pauses: 1 s doubling to a minute; 100 ms doubling to 5 s', () => {
      assert.deepEqual([1, 2, 3, 6, 7, 8, 100].map((n) => backoffMs(n, { firstMs: 1_000, maxMs: 60_000 })), [1_000, 2_000, 4_000, 32_000, 60_000, 60_000, 60_000]);
      assert.deepEqual([1, 2, 6, 7].map((n) => backoffMs(n, { firstMs: 100, maxMs: 5_000 })), [100, 200, 3_200, 5_000]);
      assert.equal(backoffMs(0, { firstMs: 50, maxMs: 500 }), 50, 'attempts below 1 count as the first');
      assert.equal(backoffMs(5_000, { firstMs: 0, maxMs: 500 }), 0, 'no NaN from 0 × 2^5000');
    });

    it('property: the first is firstMs, each doubles the one before, none exceeds maxMs', () => {
      fc.assert(
        fc.property(bounds, fc.integer({ min: 1, max: 3_000 }), (b, attempt) => {
          const pause = backoffMs(attempt, b);
          const next = backoffMs(attempt + 1, b);
          assert.ok(Number.isFinite(pause) && Number.isFinite(next), 'finite');
          assert.equal(backoffMs(1, b), Math.min(b.firstMs, b.maxMs), 'the first is firstMs');
          assert.ok(pause <= b.maxMs && next <= b.maxMs, 'never over the cap');
          assert.ok(next >= pause, 'non-decreasing');
          assert.equal(next, Math.min(b.maxMs, pause * 2), 'doubling, at most maxMs');
        }),
        fuzzParameters({ numRuns: 500 }, `backoffMs ${label}`),
      );
    });
  });
}
