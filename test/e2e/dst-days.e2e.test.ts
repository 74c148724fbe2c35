/**
 * Days of schedule time across both daylight-saving changes of 2030 in two zones, on the embedded host's virtual
 * clock: a daily cron at a local time that falls in the spring gap (02:30 Europe/Berlin) and one in the autumn's
 * repeated hour (01:30 America/New_York) each fire exactly once on every local day, the change days included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newScheduleState } from '../../src/eventsource/core/schedule-state.js';
import type { RecordingSink } from '../support/recording-sink.js';
import { useAppEnvironment } from '../support/app-environment.js';
import { specOf } from '../support/specs.js';

const start = Date.UTC(2030, 2, 1, 12, 0, 0); // before the spring change in both zones (New York 10 March, Berlin 31 March)
const end = Date.UTC(2030, 10, 8, 12, 0, 0); // after the autumn change in both zones
const API = '/runtime/webhooks/durabletask';

const zones = [
  { name: 'berlin', timezone: 'Europe/Berlin', cron: '0 30 2 * * *', local: '02:30' },
  { name: 'new-york', timezone: 'America/New_York', cron: '0 30 1 * * *', local: '01:30' },
];

const app = useAppEnvironment({ taskHubName: 'DstDays', startTime: start, schedule: '0 0 0 1 1 *' });
const sink = app.sinks[0] as RecordingSink;

function localDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

test('a daily cron fires once on every local day across both DST changes, in two zones', async () => {
  const from = app.env.clock.now();
  for (const zone of zones) {
    const spec = specOf({ name: zone.name, cron: zone.cron, timezone: zone.timezone, event: { source: `urn:test:${zone.name}` } });
    const started = await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-${zone.name}`, newScheduleState(zone.name, spec, new Date(from)));
    assert.equal(started.status, 202);
  }
  await app.env.advanceTime(end - from);

  for (const zone of zones) {
    const times = sink.events.filter((e) => e.source === `urn:test:${zone.name}`).map((e) => e.time);
    const days = times.map((t) => localDay(t, zone.timezone));
    assert.equal(new Set(days).size, days.length, `${zone.name}: at most one tick per local day`);
    const expectedDays = Math.round((end - from) / 86_400_000);
    assert.ok(Math.abs(days.length - expectedDays) <= 1, `${zone.name}: ${days.length} ticks for ${expectedDays} days`);
    // Every local day in the range has its tick: no day is skipped, the change days included.
    for (let i = 1; i < days.length; i++) {
      const gap = (Date.parse(`${days[i]}T00:00:00Z`) - Date.parse(`${days[i - 1]}T00:00:00Z`)) / 86_400_000;
      assert.equal(gap, 1, `${zone.name}: ${days[i - 1]} → ${days[i]}`);
    }
    const off = times.filter((t) => localTime(t, zone.timezone) !== zone.local);
    // Berlin's spring gap has no 02:30: that day's tick fires at 03:30 local (the Vixie-cron rule); no other.
    assert.ok(off.length <= 1, `${zone.name}: ticks not at ${zone.local}: ${off.join(' ')}`);
    const ids = sink.events.filter((e) => e.source === `urn:test:${zone.name}`).map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
  }
});
