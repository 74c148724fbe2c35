/**
 * Property-based runs over schedule specs (intervals, ISO durations, cron in time zones), reschedule specs and
 * schedule states as they arrive from outside: parsed or refused with an error that says why, never another
 * exception; what parses yields strictly increasing fire times; a state the schema accepts can be planned.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EventSourceError } from '../../../src/eventsource/core/errors.js';
import { nextFireTime, parseSchedule } from '../../../src/eventsource/core/schedule.js';
import { checkScheduleState } from '../../../src/eventsource/core/schedule-schema.js';
import { newScheduleState, nextStep } from '../../../src/eventsource/core/schedule-state.js';
import { statusOf } from '../../../src/eventsource/core/schedule-status.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { TEN_SECONDS } from '../../support/specs.js';

const cronField = fc.constantFrom('*', '0', '5', '59', '23', '*/5', '*/13', '1-5', '5-1', 'MON', 'SUN-SAT', 'JAN', 'L', '5L', '1#2', '?', '60', '*/0', '1,2', 'W', '15W', '-1', '31', '29', '2', '0/5');
const cron = fc.array(cronField, { minLength: 1, maxLength: 7 }).map((fields) => fields.join(' '));
const duration = fc
  .tuple(fc.oneof(fc.nat({ max: 1_000_000 }), fc.double({ min: -1, max: 1e7, noNaN: true })), fc.constantFrom('ms', 's', 'm', 'h', 'd', '', 'x'))
  .map(([n, unit]) => `${n}${unit}`);
const isoDuration = fc
  .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('PT%S', 'PT%M', 'PT%H', 'P%D', 'PT%.5S', 'P%W', 'PT%M%S', 'P%DT%H', 'P%Y', '-PT%S'))
  .map(([n, shape]) => shape.replaceAll('%', String(n)));
const scheduleText = fc.oneof(cron, duration, isoDuration, fc.string(), fc.constantFrom('@hourly', '@daily', '@yearly', ' 10s ', ''));
const zone = fc.oneof(fc.constantFrom(...Intl.supportedValuesOf('timeZone'), 'utc', 'Mars/Olympus', '+01:00', ''), fc.string());
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }).map((ms) => new Date(ms));

const spec = TEN_SECONDS;

describe('schedule fuzz', () => {
  it('parseSchedule: a schedule with strictly increasing fire times, or an EventSourceError on one line', () => {
    fc.assert(
      fc.property(scheduleText, zone, instant, (text, timeZone, from) => {
        let schedule;
        try {
          schedule = parseSchedule(text, timeZone);
        } catch (error) {
          assert.ok(error instanceof EventSourceError, `${JSON.stringify(text)} in ${JSON.stringify(timeZone)} → ${String(error)}`);
          assert.equal(error.code, 'SCHEDULE_INVALID');
          assert.doesNotMatch(error.message, /[\r\n]/);
          return;
        }
        try {
          const first = nextFireTime(schedule, from);
          const second = nextFireTime(schedule, first);
          assert.ok(first > from && second > first, `${text}: ${from.toISOString()} → ${first.toISOString()} → ${second.toISOString()}`);
        } catch (error) {
          // A cron pattern may run out of matches (a date that never comes again): that is the one allowed failure.
          assert.ok(error instanceof EventSourceError && error.code === 'SCHEDULE_EXHAUSTED', String(error));
        }
      }),
      fuzzParameters({ numRuns: 300 }, 'schedule specs'),
    );
  });

  it('checkScheduleState: what the schema accepts can be planned at any time; what it refuses is named', () => {
    const base = { ...newScheduleState('default', spec, new Date('2030-01-01T00:00:00Z')), nextFireTime: '2030-01-01T00:00:10.000Z' };
    const mutation = fc.record(
      {
        name: fc.oneof(fc.constantFrom('default', 'other', 'Default', '', 'a/b'), fc.jsonValue()),
        generation: fc.oneof(instant.map((d) => d.toISOString()), fc.string(), fc.jsonValue()),
        sequence: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
        nextFireTime: fc.oneof(instant.map((d) => d.toISOString()), fc.string()),
        retryNotBefore: fc.oneof(instant.map((d) => d.toISOString()), fc.string()),
        counters: fc.oneof(fc.constant(spec && base.counters), fc.record({ delivered: fc.integer(), skipped: fc.jsonValue() }), fc.jsonValue()),
        queue: fc.oneof(fc.constant([]), fc.array(fc.record({ kind: fc.constantFrom('manual', 'backfill', 'x'), requestId: fc.string(), time: instant.map((d) => d.toISOString()), from: instant.map((d) => d.toISOString()), to: instant.map((d) => d.toISOString()) }, { requiredKeys: ['kind'] }), { maxLength: 3 }), fc.jsonValue()),
        paused: fc.oneof(fc.constant(undefined), fc.record({ note: fc.string(), since: instant.map((d) => d.toISOString()) }), fc.jsonValue()),
        spec: fc.oneof(
          fc.constant(spec),
          fc.record({ cron: fc.oneof(fc.constantFrom('0 30 2 * * *', '@hourly', '*/5 * * * *'), scheduleText), timeZone: zone }).map((s) => ({ ...spec, trigger: { kind: 'cron', expression: s.cron, timeZone: s.timeZone } })),
          fc.record({ everyMs: fc.integer(), offsetMs: fc.integer() }).map((t) => ({ ...spec, trigger: { kind: 'every', ...t } })),
          fc.jsonValue(),
        ),
        lastDelivery: fc.oneof(fc.constant(undefined), fc.jsonValue(), fc.record({ sequence: fc.integer(), id: fc.uuid(), scheduledTime: instant.map((d) => d.toISOString()), outcome: fc.constantFrom('delivered', 'failed', 'rejected', 'lost'), attempts: fc.integer() })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(mutation.map((m) => ({ ...base, ...m })), fc.jsonValue()), instant, (value, now) => {
        const checked = checkScheduleState(value, 'default', 'schedule-default');
        if (!checked.ok) {
          assert.match(checked.problem, /^[\w.()\s]+: \S/, checked.problem);
          return;
        }
        try {
          nextStep(checked.value, now);
        } catch (error) {
          assert.ok(error instanceof EventSourceError && error.code === 'SCHEDULE_EXHAUSTED', String(error));
        }
        statusOf(checked.value);
      }),
      fuzzParameters({ numRuns: 300 }, 'schedule states'),
    );
  });
});
