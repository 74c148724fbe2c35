/**
 * The dashboard's pure logic (src/functions/dashboard/ticks.ts and chart-layout.ts, browser modules that Node
 * imports as they are): a tick's class and lateness, the durations the describe view writes, the skipped fire
 * times between recent ticks, and where the charts place things.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDuration as viewDuration } from '../../src/eventsource/core/duration.js';
import type { Tick } from '../../src/functions/dashboard/ticks.js' with { 'resolution-mode': 'import' };
import { fuzzParameters } from '../support/fuzz.js';

// ES modules (the page's own): loaded with import(), as the browser loads them.
const ticks = import('../../src/functions/dashboard/ticks.js');
const layout = import('../../src/functions/dashboard/chart-layout.js');
const paging = import('../../src/functions/dashboard/paging.js');


const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function tick(sequence: number, scheduledMs: number, lateMs: number, outcome: Tick['outcome'] = 'delivered', trigger?: Tick['trigger']): Tick {
  return {
    sequence,
    id: `id-${sequence}-${scheduledMs}`,
    scheduledTime: iso(scheduledMs),
    sentTime: iso(scheduledMs + lateMs),
    attempts: 1,
    status: outcome === 'delivered' ? 200 : 503,
    outcome,
    ...(trigger ? { trigger } : {}),
  };
}

describe('dashboard: ticks', () => {
  it('classifies a tick: its outcome, and a delivered one sent over 1 s late as late', async () => {
    const { classifyTick, latenessMs } = await ticks;
    assert.equal(classifyTick(tick(1, T0, 30)), 'onTime');
    assert.equal(classifyTick(tick(1, T0, 1_000)), 'onTime', 'exactly the threshold is on time');
    assert.equal(classifyTick(tick(1, T0, 1_001)), 'late');
    assert.equal(classifyTick(tick(1, T0, 5, 'failed')), 'failed');
    assert.equal(classifyTick(tick(1, T0, 5_000, 'rejected')), 'rejected', 'the outcome wins over lateness');
    assert.equal(classifyTick(tick(1, T0, 5, 'deadLettered')), 'deadLettered');
    assert.equal(classifyTick(tick(1, T0, 200), 100), 'late', 'the threshold is a parameter');
    assert.equal(latenessMs(tick(1, T0, 1_234)), 1_234);
  });

  it('a backfilled or triggered event is not late: it went out when it was asked for (no lateness, no bar)', async () => {
    const { classifyTick, lateByMs } = await ticks;
    const { latenessBars } = await layout;
    const hourAgo = tick(0, T0, 3_720_000, 'delivered', 'backfill');
    assert.equal(classifyTick(hourAgo), 'onTime', 'not "late (1 h 2 min)"');
    assert.equal(classifyTick(tick(0, T0, 5_000, 'delivered', 'manual')), 'onTime');
    assert.equal(classifyTick(tick(0, T0, 5_000, 'failed', 'backfill')), 'failed', 'its outcome still shows');
    assert.equal(lateByMs(hourAgo), undefined);
    assert.equal(lateByMs(tick(3, T0, 1_500)), 1_500, "the schedule's own tick keeps its lateness");
    assert.deepEqual(latenessBars([hourAgo]).map((b) => b.height), [0]);
  });

  it('reads every duration the describe view writes (eventsource formatDuration) back to the same milliseconds', async () => {
    const { parseDurationMs } = await ticks;
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('1d2h3m4.005s'), 93_784_005);
    assert.equal(parseDurationMs('PT10S'), undefined, 'not the view’s shape');
    assert.equal(parseDurationMs('10 s'), undefined);
    assert.equal(parseDurationMs(''), undefined);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => parseDurationMs(viewDuration(ms)) === ms),
      fuzzParameters({ numRuns: 500 }, 'dashboard duration round trip'),
    );
  });

  it('finds the fire times missing between the in-order ticks of an interval schedule', async () => {
    const { skippedTicks } = await ticks;
    const recent = [tick(3, T0 + 5_000, 10), tick(2, T0 + 1_000, 3_000), tick(1, T0, 10), tick(0, T0 + 2_500, 5, 'delivered', 'manual')];
    assert.deepEqual(
      skippedTicks(recent, { every: '1s' }).map((s) => s.scheduledTime - T0),
      [2_000, 3_000, 4_000],
      'the gap 1 s → 5 s misses 2, 3, 4; a manual tick is not on the grid',
    );
    assert.deepEqual(skippedTicks(recent, { cron: '* * * * *' }), [], 'a cron grid is not known here');
    assert.equal(skippedTicks([tick(2, T0 + 86_400_000, 0), tick(1, T0, 0)], { every: '1s' }, 50).length, 50, 'bounded');
  });

  it('says the spec in one line and formats durations and instants for people', async () => {
    const { specText, formatDuration, relativeTime, clockTime } = await ticks;
    // The trigger as the list's summary has it, and as describe's spec has it (the same field names).
    assert.equal(specText({ every: '5s', offset: '0ms' }), 'every 5s');
    assert.equal(specText({ every: '5s' }), 'every 5s', 'the summary leaves a zero offset out');
    assert.equal(specText({ every: '1m', offset: '10s' }), 'every 1m (offset 10s)');
    assert.equal(specText({ cron: '0 30 2 * * *', timezone: 'Europe/Berlin' }), 'cron 0 30 2 * * * Europe/Berlin');
    assert.equal(specText({ at: '2030-01-01T00:00:00.000Z' }), 'at 2030-01-01T00:00:00.000Z');
    assert.equal(specText({}), '—');
    assert.equal(specText(undefined), '—');
    assert.equal(formatDuration(12), '12 ms');
    assert.equal(formatDuration(1_250), '1.25 s');
    assert.equal(formatDuration(42_000), '42 s');
    assert.equal(formatDuration(185_000), '3 min 5 s');
    assert.equal(formatDuration(7_800_000), '2 h 10 min');
    assert.equal(formatDuration(-1_500), '−1.50 s');
    assert.equal(relativeTime(iso(T0 + 4_000), T0), 'in 4.00 s');
    assert.equal(relativeTime(iso(T0 - 12_000), T0), '12 s ago');
    assert.equal(relativeTime('not a time', T0), '—');
    assert.equal(clockTime(iso(T0 + 1_250), T0), '00:00:01.250');
    assert.equal(clockTime(iso(T0 + 86_400_000), T0), '2030-01-02 00:00:00.000', 'another day shows its date');
  });
});

describe('dashboard: chart layout', () => {
  it('places every tick inside the timeline, the send after the schedule, oldest left', async () => {
    const { timelineLayout, TIMELINE_PAD } = await layout;
    const recent = [tick(2, T0 + 2_000, 1_500, 'delivered'), tick(1, T0, 20, 'failed')];
    const l = timelineLayout(recent, [{ scheduledTime: T0 + 1_000 }], iso(T0 + 4_000), T0 + 3_600, 500);
    assert.deepEqual(l.marks.map((m) => [m.tick.sequence, m.cls]), [[1, 'failed'], [2, 'late']]);
    for (const m of l.marks) assert.ok(m.xSent >= m.xScheduled, 'sent is right of scheduled');
    assert.equal(l.marks[0]?.xScheduled, TIMELINE_PAD, 'the oldest time is at the left edge');
    assert.equal(l.next, 500 - TIMELINE_PAD, 'a near next fire time is drawn at the right edge');
    assert.ok(l.skipped[0] !== undefined && l.skipped[0] > (l.marks[0]?.xScheduled ?? 0) && l.skipped[0] < (l.marks[1]?.xScheduled ?? 0));
    const far = timelineLayout(recent, [], iso(T0 + 3_600_000), T0 + 3_600, 500);
    assert.equal(far.next, undefined, 'a far next fire time is not drawn (it would squash the ticks)');
  });

  it('keeps every mark inside the drawing whatever the times (property)', async () => {
    const { timelineLayout } = await layout;
    const arbTick = fc.record({ at: fc.integer({ min: 0, max: 10_000_000 }), late: fc.integer({ min: 0, max: 600_000 }) });
    fc.assert(
      fc.property(fc.array(arbTick, { maxLength: 10 }), fc.integer({ min: 0, max: 20_000_000 }), fc.integer({ min: 100, max: 2_000 }), (ts, now, width) => {
        const recent = ts.map((t, i) => tick(i + 1, T0 + t.at, t.late));
        const l = timelineLayout(recent, [], undefined, T0 + now, width);
        const xs = [...l.marks.flatMap((m) => [m.xScheduled, m.xSent]), l.now];
        return xs.every((x) => Number.isFinite(x) && x >= 0 && x <= width);
      }),
      fuzzParameters({ numRuns: 300 }, 'dashboard timeline bounds'),
    );
  });

  it('draws whatever it is given without a NaN: times that do not parse are left out (property)', async () => {
    const { timelineLayout, latenessBars } = await layout;
    const time = fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(''));
    const arbTick = fc.record({ scheduledTime: time, sentTime: time, sequence: fc.nat(), outcome: fc.constantFrom('delivered', 'rejected', 'failed', 'deadLettered') });
    fc.assert(
      fc.property(fc.array(arbTick, { maxLength: 10 }), fc.option(time, { nil: undefined }), (raw, next) => {
        const recent: Tick[] = raw.map((t) => ({ ...t, id: 'x', attempts: 1 }));
        const l = timelineLayout(recent, [], next, T0, 400);
        const xs = [...l.marks.flatMap((m) => [m.xScheduled, m.xSent]), l.now, ...(l.next === undefined ? [] : [l.next])];
        return xs.every(Number.isFinite) && latenessBars(recent).every((b) => Number.isFinite(b.ms) && Number.isFinite(b.height));
      }),
      fuzzParameters({ numRuns: 300 }, 'dashboard hostile times'),
    );
  });

  it('draws lateness on a log scale from 1 ms to 60 s, clamped at both ends', async () => {
    const { latenessHeight, latenessBars } = await layout;
    assert.equal(latenessHeight(1), 0);
    assert.equal(latenessHeight(0), 0, 'under 1 ms sits on the floor');
    assert.equal(latenessHeight(60_000), 1);
    assert.equal(latenessHeight(3_600_000), 1, 'over 60 s is clamped');
    assert.ok(Math.abs(latenessHeight(1_000) - Math.log10(1_000) / Math.log10(60_000)) < 1e-12);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.double({ min: 0, max: 1e7, noNaN: true }), (a, b) => (a <= b ? latenessHeight(a) <= latenessHeight(b) : latenessHeight(a) >= latenessHeight(b))),
      fuzzParameters({ numRuns: 300 }, 'dashboard lateness scale'),
    );
    const bars = latenessBars([tick(2, T0 + 1_000, 2_000), tick(1, T0, 5)]);
    assert.deepEqual(bars.map((b) => [b.tick.sequence, b.ms, b.cls]), [[1, 5, 'onTime'], [2, 2_000, 'late']]);
  });
});

describe('dashboard: paging', () => {
  /** The management API over `names`, `top` a page, its token the index the next page starts at. */
  const api = (names: string[], top: number) => (token: string | undefined) => {
    const from = token === undefined ? 0 : Number(token);
    const page = names.slice(from, from + top);
    return from + top < names.length ? { schedules: page, continuationToken: String(from + top) } : { schedules: page };
  };

  it('reads only the page on screen; Next and Previous move by the tokens the API gave', async () => {
    const { Pager } = await paging;
    const list = api(Array.from({ length: 250 }, (_, i) => `s-${i}`), 100);
    const pager = new Pager();
    const read = (): string[] => {
      let page = list(pager.current());
      while (pager.shown(page)) page = list(pager.current());
      return page.schedules;
    };
    assert.deepEqual([read()[0], pager.number, pager.hasPrevious(), pager.hasNext()], ['s-0', 1, false, true]);
    pager.next();
    assert.deepEqual([read()[0], pager.number, pager.hasPrevious(), pager.hasNext()], ['s-100', 2, true, true]);
    pager.next();
    assert.deepEqual([read().length, pager.hasNext()], [50, false]);
    pager.next(); // nothing after the last page
    assert.equal(pager.number, 3);
    pager.previous();
    assert.deepEqual([read()[0], pager.number], ['s-100', 2]);
  });

  it('a page that emptied (its schedules deleted) shows the one before it', async () => {
    const { Pager } = await paging;
    const pager = new Pager();
    pager.shown({ schedules: ['a'], continuationToken: 'x' });
    pager.next();
    assert.equal(pager.current(), 'x');
    assert.equal(pager.shown({ schedules: [] }), true, 'read again');
    assert.deepEqual([pager.current(), pager.number], [undefined, 1]);
    assert.equal(pager.shown({ schedules: [] }), false, 'the first page stays, empty or not');
  });
});
