/**
 * The catch-up and overlap arithmetic against a plain walk of the timeline (fast-check): jumping over missed ticks
 * counts exactly what walking them one by one would, for `every` with any offset, window and maxCount.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextTick, timeline, type Timeline } from '../../../src/eventsource/core/fire-times.js';
import { jumpTo, lastAtOrBefore } from '../../../src/eventsource/core/schedule-policies.js';
import { specOf } from '../../support/specs.js';
import { fuzzParameters } from '../../support/fuzz.js';

const origin = Date.UTC(2030, 0, 1);

function walk(tl: Timeline, from: number, cutoff: number): { tick: number | undefined; skipped: number } {
  let tick: number | undefined = from;
  let skipped = 0;
  while (tick !== undefined && tick < cutoff) {
    tick = nextTick(tl, tick);
    skipped += 1;
  }
  return { tick, skipped };
}

test('jumpTo counts the ticks before the cutoff exactly as a walk does (every, offset, endAt, maxCount)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 120 }),
      fc.nat({ max: 119 }),
      fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }),
      fc.nat({ max: 10_000 }),
      fc.nat({ max: 20_000 }),
      (everyS, offsetS, maxCount, endS, startTicks, lengthS) => {
        const offset = offsetS % everyS;
        const spec = specOf({
          every: `${everyS}s`, ...(offset > 0 ? { offset: `${offset}s` } : {}),
          ...(maxCount !== undefined ? { maxCount } : {}),
          ...(endS !== undefined ? { endAt: new Date(origin + endS * 1_000).toISOString() } : {}),
        });
        const tl = timeline(spec, origin);
        let from = nextTick(tl, origin - 1);
        for (let i = 0; i < startTicks % 50 && from !== undefined; i++) from = nextTick(tl, from);
        if (from === undefined) return;
        const cutoff = from + lengthS * 1_000;
        assert.deepEqual(jumpTo(tl, from, cutoff), walk(tl, from, cutoff));
        // The newest tick at or before the cutoff: no tick of the timeline lies between it and the cutoff.
        const last = lastAtOrBefore(tl, from, cutoff);
        const after = nextTick(tl, last);
        assert.ok(last <= cutoff && (after === undefined || after > cutoff), `last ${last} <= ${cutoff} < ${after}`);
      },
    ),
    fuzzParameters({ numRuns: 300 }, 'catch-up arithmetic'),
  );
});

test('jumpTo over a cron timeline: exact for short gaps, an estimate (close) for long ones', () => {
  const tl = timeline(specOf({ cron: '*/5 * * * *' }), origin);
  assert.deepEqual(jumpTo(tl, origin, origin + 3 * 300_000), { tick: origin + 3 * 300_000, skipped: 3 });
  const far = jumpTo(tl, origin, origin + 1_000 * 300_000 + 1);
  assert.equal(far.tick, origin + 1_001 * 300_000);
  assert.equal(far.skipped, 1_001);
});
