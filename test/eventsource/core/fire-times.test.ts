/**
 * Fire times of a normalised spec: every with an epoch-aligned offset, cron in a time zone (across both DST changes
 * in two zones), at; bounded by startAt, endAt and maxCount; upcoming; bounded backfill. Examples, then properties
 * over generated definitions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EventSourceError } from '../../../src/eventsource/core/errors.js';
import {
  firstTick,
  BACKFILL_TICKS_CEILING,
  nextTick,
  ticksBetween,
  timeline,
  upcoming,
  type Timeline,
} from '../../../src/eventsource/core/fire-times.js';
import { checkDefinition, type NormalizedSpec } from '../../../src/eventsource/core/normalized-spec.js';
import { instantMs, validDefinition } from '../../support/definitions.js';
import { fuzzParameters } from '../../support/fuzz.js';

function specOf(value: Record<string, unknown>): NormalizedSpec {
  const checked = checkDefinition({ name: 'test', ...value });
  assert.ok(checked.ok, checked.ok ? '' : JSON.stringify(checked.problems));
  return checked.spec;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = (text: string): number => Date.parse(text);

/** The ticks the schedule fires, in order: firstTick, then nextTick until it ends or `limit` ticks. */
function fired(tl: Timeline, limit: number): number[] {
  const ticks: number[] = [];
  for (let t = firstTick(tl); t !== undefined && ticks.length < limit; t = nextTick(tl, t)) ticks.push(t);
  return ticks;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock time "YYYY-MM-DD HH:MM:SS" of an instant in a time zone (one formatter per zone: thousands of calls). */
function local(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, format);
  }
  return format.format(new Date(ms));
}

function isCode(code: string) {
  return (error: unknown): boolean => error instanceof EventSourceError && error.code === code;
}

describe('every with offset', () => {
  it('fires at the epoch-aligned phase: t ≡ offset (mod every), whenever the schedule was created', () => {
    const tl = timeline(specOf({ every: '1h', offset: '15m' }), at('2030-01-01T10:20:00Z'));
    assert.deepEqual(upcoming(tl, at('2030-01-01T10:20:00Z'), 3).map(iso), [
      '2030-01-01T11:15:00.000Z', '2030-01-01T12:15:00.000Z', '2030-01-01T13:15:00.000Z',
    ]);
    assert.equal(iso(firstTick(tl)), '2030-01-01T11:15:00.000Z');
    const daily = timeline(specOf({ every: '1d' }), at('2030-01-01T10:20:00Z'));
    assert.equal(iso(firstTick(daily)), '2030-01-02T00:00:00.000Z', 'every 1d fires at midnight UTC');
  });

  it('a tick exactly at the creation instant is the first', () => {
    const tl = timeline(specOf({ every: '5s', offset: '2s' }), at('2030-01-01T00:00:07Z'));
    assert.equal(iso(firstTick(tl)), '2030-01-01T00:00:07.000Z');
    assert.equal(iso(nextTick(tl, at('2030-01-01T00:00:07Z'))), '2030-01-01T00:00:12.000Z');
  });
});

describe('startAt, endAt, maxCount, at', () => {
  it('starts at startAt and stops before endAt', () => {
    const tl = timeline(specOf({ every: '10m', startAt: '2030-01-01T09:00:00Z', endAt: '2030-01-01T09:30:00Z' }), at('2029-06-01T00:00:00Z'));
    assert.deepEqual(fired(tl, 100).map(iso), ['2030-01-01T09:00:00.000Z', '2030-01-01T09:10:00.000Z', '2030-01-01T09:20:00.000Z']);
  });

  it('maxCount counts from the creation without startAt, and from startAt with one', () => {
    const created = at('2030-01-01T00:00:03Z');
    assert.deepEqual(fired(timeline(specOf({ every: '10s', maxCount: 3 }), created), 100).map(iso), [
      '2030-01-01T00:00:10.000Z', '2030-01-01T00:00:20.000Z', '2030-01-01T00:00:30.000Z',
    ]);
    const fromStart = timeline(specOf({ every: '10s', maxCount: 2, startAt: '2029-12-31T23:59:00Z' }), created);
    assert.deepEqual(fired(fromStart, 100).map(iso), ['2029-12-31T23:59:00.000Z', '2029-12-31T23:59:10.000Z']);
    const cron = timeline(specOf({ cron: '0 0 * * * *', maxCount: 5 }), created);
    assert.deepEqual(fired(cron, 100).map(iso), [1, 2, 3, 4, 5].map((h) => `2030-01-01T0${h}:00:00.000Z`));
    assert.equal(nextTick(cron, at('2030-01-01T05:00:00Z')), undefined, 'complete after the 5th');
  });

  it('at fires once, even when the schedule is created after it (the catch-up policy decides then)', () => {
    const spec = specOf({ at: '2030-01-01T00:00:00Z' });
    assert.deepEqual(fired(timeline(spec, at('2029-01-01T00:00:00Z')), 10).map(iso), ['2030-01-01T00:00:00.000Z']);
    assert.deepEqual(fired(timeline(spec, at('2031-01-01T00:00:00Z')), 10).map(iso), ['2030-01-01T00:00:00.000Z']);
    assert.equal(nextTick(timeline(spec, 0), at('2030-01-01T00:00:00Z')), undefined);
  });
});

describe('backfill (ticksBetween)', () => {
  it('returns the ticks of [from, to), and an empty list for an empty range', () => {
    const tl = timeline(specOf({ every: '1m', offset: '30s' }), at('2030-01-01T00:00:00Z'));
    assert.deepEqual(ticksBetween(tl, at('2029-12-31T23:58:30Z'), at('2030-01-01T00:00:30Z')).map(iso), [
      '2029-12-31T23:58:30.000Z', '2029-12-31T23:59:30.000Z',
    ], 'from is included, to is not; before the creation is fine (the ids it would have had)');
    assert.deepEqual(ticksBetween(tl, at('2030-01-01T00:00:00Z'), at('2030-01-01T00:00:00Z')), []);
  });

  it(`refuses more than ${BACKFILL_TICKS_CEILING} ticks, and a range that ends before it starts`, () => {
    const tl = timeline(specOf({ every: '1s' }), 0);
    assert.equal(ticksBetween(tl, 0, BACKFILL_TICKS_CEILING * 1_000).length, BACKFILL_TICKS_CEILING);
    assert.throws(() => ticksBetween(tl, 0, BACKFILL_TICKS_CEILING * 1_000 + 1), (error: unknown) =>
      isCode('BACKFILL_TOO_LARGE')(error) && /more than 10000 ticks; backfill at most 10000 at a time/.test((error as Error).message));
    assert.throws(() => ticksBetween(tl, 1_000, 0), isCode('BACKFILL_INVALID'));
    assert.throws(() => ticksBetween(timeline(specOf({ every: '1d' }), 0), 0, 1e15), isCode('BACKFILL_TOO_LARGE'));
  });
});

describe('cron across daylight saving changes (fire-times over schedule.ts)', () => {
  const zones = [
    { zone: 'Europe/Berlin', spring: '2025-03-30', fall: '2025-10-26', repeatedHour: '02' },
    { zone: 'America/New_York', spring: '2025-03-09', fall: '2025-11-02', repeatedHour: '01' },
  ];
  const year: [number, number] = [at('2025-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z')];

  for (const { zone, spring, fall, repeatedHour } of zones) {
    it(`daily 02:30 in ${zone}: 365 ticks, one per local day, 03:00 on the spring-forward day`, () => {
      const tl = timeline(specOf({ cron: '0 30 2 * * *', timezone: zone }), 0);
      const ticks = ticksBetween(tl, ...year);
      assert.equal(ticks.length, 365);
      assert.equal(new Set(ticks.map((t) => local(t, zone).slice(0, 10))).size, 365);
      for (const t of ticks) {
        const wall = local(t, zone);
        assert.equal(wall.slice(11), wall.startsWith(spring) ? '03:00:00' : '02:30:00', wall);
      }
    });

    it(`daily ${repeatedHour}:30 in ${zone}: the repeated time on the fall-back day fires once, at its first occurrence`, () => {
      const tl = timeline(specOf({ cron: `0 30 ${Number(repeatedHour)} * * *`, timezone: zone }), 0);
      const fallTicks = ticksBetween(tl, ...year).filter((t) => local(t, zone).startsWith(fall));
      assert.equal(fallTicks.length, 1);
      assert.equal(local(fallTicks[0]! + 3_600_000, zone), `${fall} ${repeatedHour}:30:00`, 'the first of two occurrences');
    });

    it(`hourly in ${zone}: every real hour of 2025 (8,760), 23 on the spring day, 25 on the fall day`, () => {
      const tl = timeline(specOf({ cron: '@hourly', timezone: zone }), 0);
      const ticks = ticksBetween(tl, ...year);
      assert.equal(ticks.length, 8_760);
      ticks.forEach((t, i) => assert.ok(i === 0 || t - ticks[i - 1]! === 3_600_000));
      assert.equal(ticks.filter((t) => local(t, zone).startsWith(spring)).length, 23);
      assert.equal(ticks.filter((t) => local(t, zone).startsWith(fall)).length, 25);
      // upcoming and backfill agree across the change.
      const from = at(`${fall}T00:00:00Z`);
      assert.deepEqual(upcoming(tl, from - 1, 30), ticks.filter((t) => t >= from).slice(0, 30));
    });
  }
});

describe('fire times: properties', () => {
  const cases = fc.tuple(validDefinition, instantMs).map(([definition, created]) => {
    const checked = checkDefinition(definition);
    if (!checked.ok) throw new Error(`generator made an invalid definition: ${JSON.stringify(checked.problems)}`);
    return { spec: checked.spec, created };
  });

  it('strictly increasing, inside [startAt, endAt), at most maxCount, at once, offset phase held', () => {
    fc.assert(
      fc.property(cases, ({ spec, created }) => {
        const tl = timeline(spec, created);
        const ticks = fired(tl, 300);
        ticks.forEach((t, i) => {
          assert.ok(i === 0 || t > ticks[i - 1]!, `not increasing at ${i}`);
          assert.ok(spec.startAtMs === undefined || t >= spec.startAtMs, `${iso(t)} before startAt`);
          assert.ok(spec.endAtMs === undefined || t < spec.endAtMs, `${iso(t)} not before endAt`);
          if (spec.trigger.kind === 'every') assert.equal((t - spec.trigger.offsetMs) % spec.trigger.everyMs, 0, `${iso(t)} off phase`);
        });
        if (spec.trigger.kind === 'at') assert.deepEqual(ticks, [spec.trigger.atMs]);
        else if (spec.maxCount !== undefined) assert.ok(ticks.length <= spec.maxCount);
        if (spec.trigger.kind === 'every' && spec.endAtMs === undefined) {
          assert.equal(ticks.length, Math.min(spec.maxCount ?? 300, 300), 'an unbounded every ends only by maxCount');
        }
      }),
      fuzzParameters({ numRuns: 200 }, 'fire times'),
    );
  });

  it('upcoming(n) equals n successive nextTick calls', () => {
    fc.assert(
      fc.property(cases, instantMs, fc.integer({ min: 0, max: 20 }), ({ spec, created }, after, n) => {
        const tl = timeline(spec, created);
        const expected: number[] = [];
        for (let t = nextTick(tl, after); t !== undefined && expected.length < n; t = nextTick(tl, t)) expected.push(t);
        assert.deepEqual(upcoming(tl, after, n), expected);
      }),
      fuzzParameters({ numRuns: 200 }, 'upcoming'),
    );
  });

  it('backfill of [from, to) gives exactly the ticks the schedule fires there', () => {
    fc.assert(
      fc.property(cases, fc.nat(), fc.nat(), fc.integer({ min: -5_000, max: 5_000 }), ({ spec, created }, a, b, nudge) => {
        const tl = timeline(spec, created);
        const ticks = fired(tl, 200);
        if (ticks.length === 0) return;
        const i = a % ticks.length;
        const j = i + (b % (ticks.length - i + 1));
        const complete = ticks.length < 200;
        // From a tick (or just after the previous one) to a tick (or, past the last, to where the schedule is over).
        const from = i > 0 && nudge < 0 ? Math.max(ticks[i - 1]! + 1, ticks[i]! + nudge) : ticks[i]!;
        const to = j < ticks.length ? ticks[j]! : complete ? ticks[ticks.length - 1]! + 1 + Math.abs(nudge) : ticks[ticks.length - 1]! + 1;
        assert.deepEqual(ticksBetween(tl, from, to), ticks.slice(i, j));
      }),
      fuzzParameters({ numRuns: 200 }, 'backfill'),
    );
  });
});
