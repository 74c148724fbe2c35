/**
 * Jitter: deterministic per tick (replays agree), inside [0, jitter), different across ticks, schedules and
 * generations, and spread over the window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jitterDelay } from '../../../src/eventsource/core/jitter.js';
import { instantMs, scheduleName } from '../../support/definitions.js';
import { fuzzParameters } from '../../support/fuzz.js';

const generation = '2030-01-01T00:00:00.000Z';

describe('jitterDelay', () => {
  it('is 0 without jitter', () => {
    assert.equal(jitterDelay(0, 'a', generation, 0), 0);
    assert.equal(jitterDelay(1, 'a', generation, 0), 0, 'a 1 ms window holds only 0');
  });

  it('property: deterministic and inside [0, jitter)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), scheduleName, instantMs, (jitter, name, scheduled) => {
        const delay = jitterDelay(jitter, name, generation, scheduled);
        assert.equal(jitterDelay(jitter, name, generation, scheduled), delay, 'a replay computes the same delay');
        assert.ok(Number.isSafeInteger(delay) && delay >= 0 && (jitter === 0 ? delay === 0 : delay < jitter), `${delay} of ${jitter}`);
      }),
      fuzzParameters({ numRuns: 1_000 }, 'jitter bounds'),
    );
  });

  it('differs across ticks, schedules and generations, and spreads over the window', () => {
    const jitter = 60_000;
    const delays = Array.from({ length: 1_000 }, (_, i) => jitterDelay(jitter, 'hourly', generation, Date.UTC(2030, 0, 1, i)));
    assert.ok(new Set(delays).size > 950, `only ${new Set(delays).size} distinct delays in 1,000 ticks`);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    assert.ok(Math.abs(mean - jitter / 2) < jitter * 0.05, `mean ${mean} is not near ${jitter / 2}`);
    // Ten equal buckets each get 10% ± 4%.
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const d of delays) buckets[Math.floor(d / (jitter / 10))]! += 1;
    for (const count of buckets) assert.ok(count > 60 && count < 140, `buckets ${buckets.join(', ')}`);
    const t = Date.UTC(2030, 0, 1);
    const others = [jitterDelay(jitter, 'daily', generation, t), jitterDelay(jitter, 'hourly', '2031-01-01T00:00:00.000Z', t)];
    assert.ok(others.some((d) => d !== jitterDelay(jitter, 'hourly', generation, t)));
  });
});
