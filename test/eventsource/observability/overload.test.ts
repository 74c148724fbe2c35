/**
 * The overload monitor on its own, with the times it is given (the orchestration's times of the ticks, a wall clock
 * the test moves): one warning line per schedule per interval however many ticks are late, degraded while a schedule
 * is behind, back to ok when its tick is on time again; and a property over any sequence of reports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OverloadMonitor, type TickObservation } from '../../../src/eventsource/observability/overload.js';
import { captureLogger } from '../../host/capture-logger.js';
import { fuzzParameters } from '../../support/fuzz.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const THRESHOLD = 5_000;
const INTERVAL = 60_000;

function monitor(wall = { now: T0 }) {
  const captured = captureLogger('info');
  const overload = new OverloadMonitor({ thresholdMs: THRESHOLD, intervalMs: INTERVAL, logger: captured.logger, wallNow: () => wall.now });
  const warnings = () => captured.lines.filter((line) => line.level === 40);
  return { overload, warnings, wall };
}

test('a schedule 1 s apart and 7 s late for 3 minutes logs one line per minute, with how many and how late', () => {
  const { overload, warnings } = monitor();
  for (let i = 0; i < 180; i++) overload.observe('every-1s', { lateMs: 7_000 + (i % 10) * 100, skipped: 0, at: T0 + i * 1_000 });
  const lines = warnings();
  assert.equal(lines.length, 3, lines.map((l) => l.msg).join('\n'));
  assert.equal(lines[0]?.lateTicks, 1, 'the first late tick is said at once');
  assert.equal(lines[1]?.lateTicks, 60, 'then what the minute brought');
  assert.equal(lines[1]?.maxLateMs, 7_900);
  assert.match(String(lines[1]?.msg), /^schedule every-1s is falling behind: 60 tick\(s\) sent late, up to 7\.9 s after their time \(threshold 5 s\) in the last 60 s$/);
  const health = overload.health();
  assert.equal(health.degraded, true);
  assert.match(health.reasons[0] ?? '', /^every-1s: 180 tick\(s\) late by up to 7\.9 s, 0 skipped, since 2030-01-01T00:00:00\.000Z$/);
});

test('skipped ticks count as falling behind; one tick on time again ends degraded, and what was not said yet is said once the interval is over', () => {
  const { overload, warnings } = monitor();
  overload.observe('nightly', { skipped: 4, at: T0 });
  overload.observe('nightly', { lateMs: 6_000, skipped: 2, at: T0 + 1_000 });
  assert.equal(warnings().length, 1);
  assert.match(String(warnings()[0]?.msg), /4 tick\(s\) skipped$/);
  assert.equal(overload.health().degraded, true);
  overload.observe('nightly', { lateMs: 20, skipped: 0, at: T0 + 2_000 });
  assert.deepEqual(overload.health(), { degraded: false, reasons: [] }, 'recovered');
  assert.equal(warnings().length, 1, 'nothing more inside the interval');
  overload.observe('nightly', { lateMs: 10, skipped: 0, at: T0 + INTERVAL + 1 });
  assert.equal(warnings().length, 2, 'the rest is said once the interval is over');
  assert.match(String(warnings()[1]?.msg), /1 tick\(s\) sent late, up to 6 s .*, 2 tick\(s\) skipped in the last 60 s; on time again$/);
  overload.observe('nightly', { lateMs: 10, skipped: 0, at: T0 + 3 * INTERVAL });
  assert.equal(warnings().length, 2, 'on time: silent');
});

test('each schedule has its own interval; on-time ticks say nothing; a schedule that stopped reporting ages out of degraded', () => {
  const { overload, warnings, wall } = monitor();
  overload.observe('a', { lateMs: 4_999, skipped: 0, at: T0 });
  assert.equal(warnings().length, 0, 'under the threshold');
  overload.observe('a', { lateMs: 9_000, skipped: 0, at: T0 });
  overload.observe('b', { lateMs: 9_000, skipped: 0, at: T0 });
  assert.deepEqual(warnings().map((l) => l.schedule), ['a', 'b']);
  assert.equal(overload.health().reasons.length, 2);
  wall.now += 6 * 60_000;
  assert.deepEqual(overload.health(), { degraded: false, reasons: [] });
});

test('property: at most one line per schedule per interval, and every late or skipped tick is in some line or still waiting for the next', () => {
  const report = fc.record({
    schedule: fc.constantFrom('a', 'b', 'c'),
    step: fc.integer({ min: 0, max: 30_000 }),
    lateMs: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
    skipped: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000 })),
  });
  fc.assert(
    fc.property(fc.array(report, { maxLength: 200 }), (reports) => {
      const { overload, warnings } = monitor();
      const times = new Map<string, number>();
      const lineTimes = new Map<string, number[]>();
      let lateTotal = 0;
      let skippedTotal = 0;
      for (const r of reports) {
        const at = (times.get(r.schedule) ?? T0) + r.step;
        times.set(r.schedule, at);
        const before = warnings().length;
        const first = !lineTimes.has(r.schedule);
        const behind = (r.lateMs !== undefined && r.lateMs > THRESHOLD) || r.skipped > 0;
        overload.observe(r.schedule, { skipped: r.skipped, at, ...(r.lateMs !== undefined ? { lateMs: r.lateMs } : {}) } satisfies TickObservation);
        const said = warnings().length - before;
        assert.ok(said <= 1, 'one report says at most one line');
        if (first && behind) assert.equal(said, 1, `${r.schedule}: the first time it falls behind is said at once`);
        if (said === 1) lineTimes.set(r.schedule, [...(lineTimes.get(r.schedule) ?? []), at]);
        if (r.lateMs !== undefined && r.lateMs > THRESHOLD) lateTotal += 1;
        skippedTotal += r.skipped;
      }
      for (const [schedule, at] of lineTimes) {
        for (let i = 1; i < at.length; i++) {
          assert.ok((at[i] as number) - (at[i - 1] as number) >= INTERVAL, `${schedule}: two lines within one interval`);
        }
      }
      const lines = warnings();
      assert.ok(lines.reduce((sum, l) => sum + Number(l.lateTicks), 0) <= lateTotal);
      assert.ok(lines.reduce((sum, l) => sum + Number(l.skippedTicks), 0) <= skippedTotal);
    }),
    fuzzParameters({ numRuns: 200 }, 'overload monitor'),
  );
});

test('a tick scheduled before the process started was late because of a restart: neither it nor its skips are said or make the host degraded', () => {
  const captured = captureLogger('info');
  const overload = new OverloadMonitor({ thresholdMs: THRESHOLD, intervalMs: INTERVAL, logger: captured.logger, wallNow: () => T0, startedAt: T0 + 60_000 });
  overload.observe('every-1s', { lateMs: 58_000, skipped: 0, at: T0 + 60_100, scheduledAt: T0 + 2_100 });
  overload.observe('nightly', { lateMs: 30_000, skipped: 3, at: T0 + 60_200, scheduledAt: T0 + 30_200 });
  assert.equal(captured.lines.filter((line) => line.level === 40).length, 0);
  assert.deepEqual(overload.health(), { degraded: false, reasons: [] });
  // A tick of this process's own time that is late is said as before.
  overload.observe('every-1s', { lateMs: 7_000, skipped: 0, at: T0 + 68_000, scheduledAt: T0 + 61_000 });
  assert.equal(captured.lines.filter((line) => line.level === 40).length, 1);
});
