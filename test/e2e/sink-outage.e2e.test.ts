/**
 * The sink goes away for 30 s while a 1 s schedule runs: 15 s with its port closed (connection refused), then 15 s
 * answering 503, then it is healthy again on the same port. The retries deliver every tick of the outage, late and in
 * order, with no gap; and while it lasts the schedule never reports as delivered a sequence the sink did not accept
 * with a 2xx, and shows the failure (outcome `failed` with a reason).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStream } from '../support/delivery-checks.js';
import { until } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

const REFUSED_MS = 15_000;
const UNAVAILABLE_MS = 15_000;

type Phase = 'before' | 'refused' | '503' | 'after';

interface LastDelivery {
  sequence: number;
  id: string;
  outcome: 'delivered' | 'rejected' | 'failed';
  status?: number;
  attempts: number;
  reason?: string;
}

interface ScheduleBody {
  nextSequence: number;
  counters: { skipped: number; rejected: number };
  lastDelivery?: LastDelivery;
}

interface Poll {
  at: number;
  phase: Phase;
  nextSequence: number;
  lastDelivery: LastDelivery | undefined;
  /** Highest sequence the sink had accepted (2xx) when the status answer arrived. */
  accepted: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('sink down 30 s (15 s refused, 15 s 503): every tick is delivered afterwards, none reported before a 2xx', { timeout: 150_000 }, async (t) => {
  const began = Date.now();
  const sink = new RecordingSink();
  const polls: Poll[] = [];
  const pollErrors: string[] = [];
  let phase: Phase = 'before';
  let polling = true;
  let poller: Promise<void> | undefined;
  const settings = (): Record<string, string> => ({ DELIVERY_TIMEOUT: '2s' });
  await withScheduledHost({ label: 'host', taskHubName: 'SinkOutage', sinks: [sink], settings, tailLines: 60 }, async (running) => {
    try {
      const sinkPort = new URL(sink.url).port;
      await sink.waitFor(3, 20_000);

      // Watch the schedule's status the whole time: it may never claim more than the sink accepted.
      poller = (async () => {
        while (polling) {
          try {
            const { status, body } = await running.getJson<ScheduleBody>('/api/schedules/default');
            const accepted = Math.max(0, ...sink.events.map((e) => e.data.sequence));
            if (status === 200) polls.push({ at: Date.now(), phase, nextSequence: body.nextSequence, lastDelivery: body.lastDelivery, accepted });
            else pollErrors.push(`${phase}: status ${status}`);
          } catch (error) {
            pollErrors.push(`${phase}: ${error instanceof Error ? error.message : String(error)}`);
          }
          await sleep(250);
        }
      })();

      const outageStart = Date.now();
      const acceptedBefore = sink.events.length;
      const highestBefore = Math.max(...sink.events.map((e) => e.data.sequence));
      phase = 'refused';
      await sink.stop();
      await sleep(REFUSED_MS);
      phase = '503';
      sink.failWith = 503;
      await sink.start(Number(sinkPort));
      await sleep(UNAVAILABLE_MS);
      assert.equal(sink.events.length, acceptedBefore, 'nothing is accepted while the sink is down or answers 503');
      sink.failWith = undefined;
      const outageEnd = Date.now();
      phase = 'after';

      await until(
        'the retries to deliver the outage and the schedule to deliver ticks scheduled 3 s after it',
        () => (sink.events.some((e) => Date.parse(e.time) >= outageEnd + 3_000) ? true : undefined),
        40_000,
      );
      const caughtUp = sink.events.find((e) => Date.parse(e.time) >= outageEnd)?.receivedAt ?? Date.now();
      polling = false;
      await poller;

      const schedule = await running.getJson<ScheduleBody>('/api/schedules/default');
      assert.equal(schedule.status, 200);
      assert.equal(schedule.body.counters.skipped, 0, 'the outage (30 s) is shorter than the catch-up window (60 s): no tick may be skipped');
      assert.equal(schedule.body.counters.rejected, 0, 'refused connections and 503 are retryable: no tick may be rejected');
      assert.ok(running.running, `the host must still run\n${running.tail()}`);
      await running.stop();

      // The stream: no gap, one id per sequence, 1 s apart, and it covers every second of the outage.
      const summary = checkStream(sink.events, 1_000);
      assert.ok(summary.firstTime < outageStart, 'ticks before the outage were delivered');
      assert.ok(summary.lastTime > outageEnd, 'ticks after the outage were delivered');
      const outageTicks = sink.events.filter((e) => Date.parse(e.time) >= outageStart && Date.parse(e.time) < outageEnd);
      const outageSeconds = Math.floor((outageEnd - outageStart) / 1000);
      assert.ok(
        new Set(outageTicks.map((e) => e.data.sequence)).size >= outageSeconds,
        `every second of the ${outageSeconds} s outage has its tick: ${new Set(outageTicks.map((e) => e.data.sequence)).size} distinct`,
      );
      for (const e of outageTicks) {
        assert.ok(e.receivedAt >= outageEnd, `sequence ${e.data.sequence} (scheduled ${e.time}) cannot have been accepted during the outage`);
      }

      // The status never ran ahead of the sink, and it showed the failure in both phases.
      assert.ok(polls.length > 60, `the status was polled throughout (${polls.length} answers; errors: ${pollErrors.slice(0, 5).join('; ')})`);
      for (const p of polls) {
        const claimed = p.lastDelivery?.outcome === 'delivered' ? p.lastDelivery.sequence : 0;
        assert.ok(claimed <= p.accepted, `${p.phase}: status says sequence ${claimed} was delivered, but the sink had accepted only up to ${p.accepted}`);
        assert.ok(p.nextSequence - 1 <= p.accepted, `${p.phase}: status says next sequence ${p.nextSequence}, but the sink had accepted only up to ${p.accepted}`);
      }
      const refusedFailure = polls.find((p) => p.phase === 'refused' && p.lastDelivery?.outcome === 'failed');
      assert.ok(refusedFailure, `while the port was closed the status showed outcome failed (outcomes seen: ${[...new Set(polls.filter((p) => p.phase === 'refused').map((p) => p.lastDelivery?.outcome))].join(', ')})`);
      assert.ok(refusedFailure.lastDelivery?.reason, 'a failed outcome carries a reason');
      assert.equal(refusedFailure.lastDelivery?.status, undefined, 'a refused connection has no HTTP status');
      const unavailableFailure = polls.find((p) => p.phase === '503' && p.lastDelivery?.outcome === 'failed' && p.lastDelivery.status === 503);
      assert.ok(unavailableFailure, `while the sink answered 503 the status showed outcome failed with status 503 (seen: ${JSON.stringify(polls.filter((p) => p.phase === '503').map((p) => p.lastDelivery).at(-1))})`);
      assert.ok(unavailableFailure.lastDelivery?.reason, 'a failed outcome carries a reason');
      const stuck = refusedFailure.lastDelivery?.sequence;
      // The next one, or (if the port closed mid-request) the one whose 200 never reached the host.
      assert.ok(stuck === highestBefore + 1 || stuck === highestBefore, `the failing tick ${stuck} follows the last accepted ${highestBefore}`);

      // Every delivery the host logged as done was accepted by the sink with that id.
      const accepted = new Set(sink.events.map((e) => `${e.data.sequence}/${e.id}`));
      for (const record of running.records()) {
        if (record.msg !== 'event delivered') continue;
        assert.ok(accepted.has(`${String(record.sequence)}/${String(record.id)}`), `the host logged sequence ${String(record.sequence)} as delivered, but the sink never accepted it`);
      }
      const failedAttempts = running.records().filter((r) => r.msg === 'event delivery failed').length;

      t.diagnostic(`outage ${((outageEnd - outageStart) / 1000).toFixed(1)} s: ${outageTicks.length} ticks scheduled in it, all delivered after it`);
      t.diagnostic(`failed attempts logged: ${failedAttempts}; reason while refused: "${refusedFailure.lastDelivery?.reason}", while 503: "${unavailableFailure.lastDelivery?.reason}"`);
      t.diagnostic(`backlog delivered ${((caughtUp - outageEnd) / 1000).toFixed(1)} s after the sink came back`);
      t.diagnostic(`events received: ${summary.received}, distinct: ${summary.distinct}, duplicates: ${summary.duplicates}; status polls: ${polls.length}, poll errors: ${pollErrors.length}`);
      t.diagnostic(`whole test ${((Date.now() - began) / 1000).toFixed(1)} s`);
    } catch (error) {
      console.error(`sink received: ${sink.events.map((e) => `${e.data.sequence}@${e.time.slice(11)}`).join(' ')}`);
      throw error;
    } finally {
      polling = false;
      await poller?.catch(() => undefined);
    }
  });
});
