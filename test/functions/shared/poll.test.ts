/**
 * pollUntil (src/functions/shared/poll.ts), on real timers with pauses of a few ms: it returns what the probe found
 * as soon as it finds it, pauses by the doubling back-off between looks, and begins no pause once the deadline passed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffMs } from '../../../src/eventsource/core/backoff.js';
import { pollUntil } from '../../../src/functions/shared/poll.js';
import { fuzzParameters } from '../../support/fuzz.js';

const pauses = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 12 }))
  .map(([firstMs, extra]) => ({ firstMs, maxMs: firstMs + extra }));

/** A probe that finds `value` at its `findAt`-th look (never when undefined), recording when each look ended. */
function probeFinding<T>(value: T, findAt: number | undefined): { probe: () => Promise<T | undefined>; looks: number[] } {
  const looks: number[] = [];
  const probe = async (): Promise<T | undefined> => {
    looks.push(Date.now());
    return looks.length === findAt ? value : undefined;
  };
  return { probe, looks };
}

describe('pollUntil', () => {
  it('looks at once only when asked to; with the deadline passed it begins no pause', async () => {
    const atOnce = probeFinding('found', 1);
    assert.equal(await pollUntil(atOnce.probe, { firstMs: 10_000, maxMs: 10_000, deadline: Date.now() - 1, lookAtOnce: true }), 'found');
    const passed = probeFinding('found', 1);
    assert.equal(await pollUntil(passed.probe, { firstMs: 10_000, maxMs: 10_000, deadline: Date.now() - 1 }), undefined);
    assert.equal(passed.looks.length, 0, 'no look without lookAtOnce once the deadline passed');
  });

  it('property: returns what the probe found at the look it found it, after the doubling pauses', async () => {
    await fc.assert(
      fc.asyncProperty(pauses, fc.integer({ min: 1, max: 6 }), fc.boolean(), async (bounds, findAt, lookAtOnce) => {
        const { probe, looks } = probeFinding({ findAt }, findAt);
        const started = Date.now();
        const found = await pollUntil(probe, { ...bounds, lookAtOnce, deadline: started + 60_000 });
        assert.deepEqual(found, { findAt });
        assert.equal(looks.length, findAt, 'no look after the probe found it');
        // Look i (1-based) follows pause i - (lookAtOnce ? 1 : 0); timers may round down by 1 ms.
        let before = started;
        looks.forEach((at, index) => {
          const pause = index + (lookAtOnce ? 0 : 1);
          if (pause > 0) assert.ok(at - before >= backoffMs(pause, bounds) - 1, `pause ${pause} of ${at - before} ms is at least ${backoffMs(pause, bounds)} ms`);
          before = at;
        });
      }),
      fuzzParameters({ numRuns: 20 }, 'pollUntil finds'),
    );
  });

  it('property: keeps the deadline; no pause begins after it, and undefined when the probe never finds', async () => {
    await fc.assert(
      fc.asyncProperty(pauses, fc.integer({ min: 0, max: 40 }), fc.boolean(), async (bounds, withinMs, lookAtOnce) => {
        const { probe, looks } = probeFinding('never', undefined);
        const deadline = Date.now() + withinMs;
        assert.equal(await pollUntil(probe, { ...bounds, lookAtOnce, deadline }), undefined);
        assert.ok(Date.now() >= deadline, 'gave up only once the deadline passed');
        // A look followed by another means a pause began after it: that look ended before the deadline.
        for (const at of looks.slice(0, -1)) assert.ok(at < deadline, `a pause began ${at - deadline} ms after the deadline`);
      }),
      fuzzParameters({ numRuns: 20 }, 'pollUntil deadline'),
    );
  });
});
