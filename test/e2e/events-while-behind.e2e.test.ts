/**
 * A schedule behind its ticks still answers its events (#16 finding 4), on the embedded host with the virtual clock
 * and a real loopback sink that answers slowly: virtual time runs ahead of the deliveries, so every execution starts
 * with a tick already due. A pause raised then takes effect within the attempt under way; a trigger raised then is
 * sent once; the status shows no next fire time while paused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualEventId } from '../../src/eventsource/core/event.js';
import { newScheduleState } from '../../src/eventsource/core/schedule-state.js';
import type { ScheduleStatus } from '../../src/eventsource/core/schedule-status.js';
import { useAppEnvironment } from '../support/app-environment.js';
import type { RecordingSink } from '../support/recording-sink.js';
import { specOf } from '../support/specs.js';

const start = Date.UTC(2030, 0, 1, 0, 0, 0);
const API = '/runtime/webhooks/durabletask';
const app = useAppEnvironment({ taskHubName: 'EventsBehind', startTime: start, extraSinks: 1 });
const slow = app.sinks[1] as RecordingSink;

async function status(name: string): Promise<ScheduleStatus | undefined> {
  return (await app.env.getJson<{ customStatus?: ScheduleStatus }>(`${API}/instances/schedule-${name}`)).body.customStatus;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Moves virtual time 1 s every 25 ms of real time without waiting for the engine: the schedule falls behind. */
function runAhead(): { stop: () => Promise<void> } {
  const clock = app.env.virtualClock;
  assert.ok(clock);
  let running = true;
  const loop = (async () => {
    while (running) {
      await clock.advanceBy(1_000);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return { stop: async () => { running = false; await loop; } };
}

test('regression (#16 finding 4): a schedule behind a slow sink is paused within the attempt under way; a trigger raised then is sent once', { timeout: 90_000 }, async () => {
  const name = 'behind';
  const spec = specOf({ name, every: '1s', sink: slow.url, event: { source: `urn:test:${name}` }, catchUp: { window: '1h', policy: 'all' } });
  const state = newScheduleState(name, spec, new Date(app.env.clock.now()));
  assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-${name}`, state)).status, 202);
  slow.delayMs = 150;
  const ahead = runAhead();
  try {
    // Behind: the next fire time is well before the virtual now.
    await until('the schedule to fall behind', async () => {
      const s = await status(name);
      return s?.nextFireTime !== undefined && Date.parse(s.nextFireTime) < app.env.clock.now() - 10_000 && slow.events.length >= 3 ? true : undefined;
    });
    const requestId = 'while-behind';
    const raised = await app.env.postJson(`${API}/instances/schedule-${name}/raiseEvent/trigger`, { requestId });
    assert.equal(raised.status, 202);
    const paused = await app.env.postJson(`${API}/instances/schedule-${name}/raiseEvent/pause`, { note: 'behind' });
    assert.equal(paused.status, 202);
    const sentAtPause = slow.events.length;
    const shown = await until('the pause to show in the status', async () => {
      const s = await status(name);
      return s?.paused !== undefined ? s : undefined;
    });
    assert.equal(shown.paused?.note, 'behind');
    // Give it time: with virtual time running ahead, an unpaused schedule would send several more ticks.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const own = slow.events.slice(sentAtPause).filter((e) => e.extensions['trigger'] === undefined);
    assert.ok(own.length <= 1, `at most the attempt under way goes out after the pause: ${own.length}`);
    const after = await status(name);
    assert.equal(after?.nextFireTime, undefined, 'no next fire time while paused');
    assert.ok(after?.resumesFrom !== undefined, 'the tick the pause holds back');
    // The trigger still goes out while paused (the operator asked for it), once.
    const id = manualEventId({ scheduleName: name, generation: state.generation, requestId });
    await until('the trigger to go out', async () => (slow.events.some((e) => e.id === id) ? true : undefined));
    assert.equal(slow.events.filter((e) => e.id === id).length, 1);
  } finally {
    await ahead.stop();
    slow.delayMs = 0;
  }
});
