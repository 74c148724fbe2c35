/**
 * Dead letters through the whole app on the embedded host: with DEAD_LETTER_SINK set and a sink that answers 500,
 * each tick is tried DELIVERY_RETRY times, then goes to the dead-letter sink with Knative's extensions and the same
 * id, is counted, and the schedule moves on in order; when the sink heals, the sequence continues without a gap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingSink } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

interface ScheduleBody {
  nextSequence: number;
  counters: { rejected: number; deadLettered: number };
  lastDelivery?: { sequence: number; id: string; outcome: string; status?: number; attempts: number };
}

test('a tick whose attempts run out goes to DEAD_LETTER_SINK with the knativeerror* extensions, and the schedule moves on', { timeout: 120_000 }, async () => {
  const sink = new RecordingSink();
  const dead = new RecordingSink();
  sink.failWith = 500;
  const settings = (): Record<string, string> => ({
    DEAD_LETTER_SINK: `${dead.url}letters`,
    DELIVERY_RETRY: '2',
    DELIVERY_BACKOFF_DELAY: '100ms',
    DELIVERY_MAX_BACKOFF: '500ms',
  });
  await withScheduledHost({ label: 'host', taskHubName: 'DeadLetter', sinks: [sink, dead], settings, tailLines: 60 }, async (running) => {
    await dead.waitFor(3, 30_000);
    assert.equal(sink.events.length, 0, 'the sink accepted nothing');
    const letters = dead.events.slice(0, 3);
    assert.deepEqual(letters.map((e) => Number(e.sequence)), [1, 2, 3], 'in order, one per tick');
    for (const letter of letters) {
      assert.equal(letter.extensions['knativeerrordest'], sink.url);
      assert.equal(String(letter.extensions['knativeerrorcode']), '500');
      assert.equal(typeof letter.extensions['knativeerrordata'], 'string');
      assert.equal(letter.data.sequence, Number(letter.sequence));
    }
    assert.equal(new Set(letters.map((e) => e.id)).size, 3, 'each tick keeps its own id');

    // The status is committed with the activity's result, a moment after the dead-letter sink got the event.
    let status = await running.getJson<ScheduleBody>('/api/schedules/default');
    for (let i = 0; i < 100 && !(status.body.counters.deadLettered >= 3); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await running.getJson<ScheduleBody>('/api/schedules/default');
    }
    assert.ok(status.body.counters.deadLettered >= 3, JSON.stringify(status.body));
    assert.equal(status.body.counters.rejected, 0);
    assert.equal(status.body.lastDelivery?.outcome, 'deadLettered');
    assert.equal(status.body.lastDelivery?.attempts, 2, 'DELIVERY_RETRY attempts, then the dead-letter sink');
    assert.equal(status.body.lastDelivery?.status, 500);
    const reported = dead.events.find((e) => Number(e.sequence) === status.body.lastDelivery?.sequence);
    assert.equal(reported?.id, status.body.lastDelivery?.id, 'the dead letter carries the id of the tick the status reports');
    const logged = running.records().filter((r) => r.msg === 'event dead-lettered');
    assert.ok(logged.length >= 3);
    const first = logged.find((r) => r.sequence === 1);
    assert.equal(first?.id, letters[0]?.id, 'the dead letter carries the id the sink was offered');

    // The sink heals: the sequence continues right after the last dead-lettered tick.
    sink.failWith = undefined;
    await sink.waitFor(2, 20_000);
    const lastDead = Math.max(...dead.events.map((e) => Number(e.sequence)));
    const resumed = sink.events.map((e) => Number(e.sequence));
    assert.equal(resumed[0], lastDead + 1, `the sink gets sequence ${lastDead + 1} next (got ${resumed.join(',')})`);
    assert.equal(new Set([...dead.events, ...sink.events].map((e) => e.id)).size, new Set([...dead.events, ...sink.events].map((e) => e.sequence)).size);
    assert.ok(running.running, 'the host keeps running');
  });
});
