/**
 * Time skipping: a 1-minute schedule on the embedded host's virtual clock, advanced through 24 hours, delivers
 * 1,440 events to a real sink with the right `time` values, in seconds of real time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordingSink } from '../support/recording-sink.js';
import { useAppEnvironment } from '../support/app-environment.js';

const start = Date.UTC(2030, 0, 1, 0, 0, 0);
const MINUTE = 60_000;

const app = useAppEnvironment({ taskHubName: 'VirtualTime', startTime: start });
const sink = app.sinks[0] as RecordingSink;

test('a 1-minute schedule advanced through 24 hours delivers 1,440 events with the right times', async () => {
  const first = await app.firstFireTime();
  const ticks = 24 * 60;
  // One call: the environment moves from due timer to due timer and lets the host go idle at each.
  await app.env.advanceTime(first - start + (ticks - 1) * MINUTE);
  await sink.waitFor(ticks, 20_000);
  const events = sink.events;
  assert.equal(events.length, ticks, 'one event per minute, no duplicate');
  events.forEach((event, i) => {
    const expected = new Date(first + i * MINUTE).toISOString();
    assert.equal(event.time, expected, `event ${i + 1} time`);
    assert.equal(event.data.scheduledTime, expected);
    assert.equal(Number(event.sequence), i + 1);
  });
  assert.equal(first, start + MINUTE, 'the first tick is the first whole minute (the every grid) after the schedule started');
  assert.equal(Date.parse(events[ticks - 1]!.time) - Date.parse(events[0]!.time), (ticks - 1) * MINUTE);
});
