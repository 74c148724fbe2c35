/**
 * Chaos: the host process is killed with SIGKILL at random moments (sometimes before it is even ready, sometimes
 * just after the sink received an event, before the delivery can be recorded) and started again on the same storage,
 * at least 10 times, while a 1 s schedule runs. Afterwards the sink's stream has no gap, every copy of a sequence
 * carries the same id and scheduled time, scheduled times are exactly 1 s apart, and there was never more than one
 * schedule instance. Copies (redeliveries) are allowed: delivery is at least once. Every other run has its
 * orchestrator episodes in a worker thread (EMBEDDED_HOST_ORCHESTRATOR_THREADS=1), so the guarantees are checked with
 * and without one, and across a change from one to the other.
 *
 * The random choices come from a seeded generator; the seed is printed, and CHAOS_SEED=<n> replays a run's choices.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { checkStream } from '../support/delivery-checks.js';
import { HostProcess, until, scheduleSettings } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';

/** At least 10; CHAOS_KILLS=<n> for a longer soak. */
const KILLS = Math.max(10, Number(process.env.CHAOS_KILLS ?? 12));
/** Share of kills that land while the host is still starting (before /api/healthz answers). */
const EARLY_SHARE = 0.25;
/** Share of the other kills that land 0-10 ms after the sink received an event (mid-commit of the delivery). */
const AFTER_DELIVERY_SHARE = 0.4;

/** mulberry32: small, seedable, good enough to spread kill moments. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
}

async function orchestrations(host: HostProcess): Promise<InstanceStatus[]> {
  const { status, body } = await host.getJson<InstanceStatus[]>('/runtime/webhooks/durabletask/instances');
  assert.equal(status, 200, `Durable HTTP API instance query answered ${status}: ${JSON.stringify(body)}`);
  assert.ok(Array.isArray(body), `instance query did not answer a list: ${JSON.stringify(body)}`);
  return body;
}

interface Kill {
  run: number;
  when: 'starting' | 'running' | 'delivering';
  /** ms after spawn (starting), after ready (running) or after the sink received an event (delivering). */
  afterMs: number;
  /** Whether the host had logged that it listens when it was killed. */
  listening: boolean;
}

test(`kill -9 the host ${KILLS} times at random moments: no gap, one id per sequence, fixed rate, one instance`, { timeout: 180_000 + KILLS * 5_000 }, async (t) => {
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = seeded(seed);
  t.diagnostic(`chaos seed ${seed} (CHAOS_SEED=${seed} replays these choices)`);

  const began = Date.now();
  let azurite: RunningAzurite | undefined;
  const sink = new RecordingSink();
  const runs: HostProcess[] = [];
  const kills: Kill[] = [];
  const instanceCounts: number[] = [];
  try {
    azurite = await startAzurite();
    await sink.start();
    const port = await freePort();
    const env = scheduleSettings(azurite.connectionString, sink.url, `ChaosKill${seed}`);
    const spawn = (threads = String((runs.length + 1) % 2)): HostProcess => {
      const host = HostProcess.spawn({ env: { ...env, EMBEDDED_HOST_ORCHESTRATOR_THREADS: threads }, port, label: `run ${runs.length + 1}, ${threads} orchestrator thread(s)` });
      runs.push(host);
      return host;
    };

    // At least one kill while starting and most while running, in an order the seed decides.
    for (let i = 0; i < KILLS; i++) {
      const host = spawn();
      const early = i === 1 || (i > 1 && random() < EARLY_SHARE);
      if (early) {
        const afterMs = Math.round(50 + random() * 450);
        await sleep(afterMs);
        kills.push({ run: runs.length, when: 'starting', afterMs, listening: host.lines.some((l) => l.includes('host listening on')) });
        const exit = await host.kill9();
        assert.equal(exit.signal, 'SIGKILL', `run ${runs.length} should have died of SIGKILL, not ${JSON.stringify(exit)}\n${host.tail()}`);
        continue;
      }
      await host.waitReady(30_000);
      // Never more than one schedule, whatever moment the previous run died at.
      const found = (await orchestrations(host)).filter((s) => s.name === 'scheduleOrchestrator');
      instanceCounts.push(found.length);
      assert.ok(found.length <= 1, `run ${runs.length}: ${found.length} schedule instances: ${JSON.stringify(found)}`);
      if (random() < AFTER_DELIVERY_SHARE) {
        // Right after the sink got an event: the window where the delivery happened but may not be recorded yet.
        const count = sink.events.length;
        await sink.waitFor(count + 1, 10_000);
        const afterMs = Math.round(random() * 10);
        await sleep(afterMs);
        kills.push({ run: runs.length, when: 'delivering', afterMs, listening: true });
      } else {
        const afterMs = Math.round(300 + random() * 2_700);
        await sleep(afterMs);
        kills.push({ run: runs.length, when: 'running', afterMs, listening: true });
      }
      const exit = await host.kill9();
      assert.equal(exit.signal, 'SIGKILL', `run ${runs.length} should have died of SIGKILL, not ${JSON.stringify(exit)}\n${host.tail()}`);
    }
    const chaosEnded = Date.now();

    // A clean run (with an orchestrator thread): it catches up, then delivers a few ticks on time before it is stopped.
    const final = spawn('1');
    await final.waitReady(30_000);
    assert.ok(final.lines.some((l) => l.includes('orchestrator episodes run in 1 worker thread(s)')), 'the final run has its orchestrator thread');
    const readyAt = final.readyAt as number;
    await until(
      'the schedule to catch up and deliver ticks scheduled 4 s after the last restart',
      () => (sink.events.some((e) => Date.parse(e.time) >= readyAt + 4_000) ? true : undefined),
      30_000,
    );
    const all = await orchestrations(final);
    assert.equal(all.length, 1, `exactly one orchestration instance in the task hub, found ${all.length}: ${JSON.stringify(all)}`);
    const only = all[0] as InstanceStatus;
    assert.deepEqual([only.name, only.instanceId], ['scheduleOrchestrator', 'schedule-default']);
    // Between two ticks the instance is briefly ContinuedAsNew; both mean the schedule is alive.
    assert.ok(['Running', 'ContinuedAsNew'].includes(String(only.runtimeStatus)), `the schedule is alive, not ${String(only.runtimeStatus)}`);
    const schedule = await final.getJson<{ counters: { skipped: number; rejected: number }; nextSequence: number }>('/api/schedules/default');
    assert.equal(schedule.status, 200);
    assert.equal(schedule.body.counters.skipped, 0, 'no tick was older than the catch-up window, so none may be skipped');
    assert.equal(schedule.body.counters.rejected, 0, 'the sink never refused an event');
    await final.stop();

    const summary = checkStream(sink.events, 1_000);
    assert.ok(summary.lastTime >= readyAt + 4_000, 'the schedule caught up after the last restart');
    const duringChaos = sink.events.filter((e) => e.receivedAt < chaosEnded).length;
    assert.ok(duringChaos >= 5, `ticks were delivered between the kills, not only after them (${duringChaos} during the chaos)`);

    // Every delivery a host logged as done was received with a 2xx, with that id.
    const received = new Set(sink.events.map((e) => `${e.data.sequence}/${e.id}`));
    for (const [index, run] of runs.entries()) {
      for (const record of run.records()) {
        if (record.msg !== 'event delivered') continue;
        assert.ok(received.has(`${String(record.sequence)}/${String(record.id)}`), `run ${index + 1} logged sequence ${String(record.sequence)} (${String(record.id)}) as delivered, but the sink never got it`);
      }
    }

    const kinds = (when: Kill['when']): number => kills.filter((k) => k.when === when).length;
    t.diagnostic(
      `kills: ${kills.length} (${kinds('starting')} 50-500 ms after spawn, ${kills.filter((k) => !k.listening).length} of them before the host listened; ` +
        `${kinds('running')} at random while running, ` +
        `${kinds('delivering')} just after a delivery; s/r/d + ms: ${kills.map((k) => `${k.when[0]}${k.afterMs}`).join(' ')})`,
    );
    t.diagnostic(
      `events received: ${summary.received}, distinct sequences: ${summary.distinct}, duplicates (redeliveries): ${summary.duplicates}` +
        ` of sequences [${summary.redelivered.join(', ')}]`,
    );
    t.diagnostic(`events received during the chaos phase: ${duringChaos}`);
    t.diagnostic(`schedule instances seen after each ready restart: [${instanceCounts.join(', ')}]`);
    t.diagnostic(`chaos phase ${((chaosEnded - began) / 1000).toFixed(1)} s, whole test ${((Date.now() - began) / 1000).toFixed(1)} s`);
  } catch (error) {
    const last = runs.at(-1);
    if (last) console.error(last.tail(60));
    console.error(`sink received: ${sink.events.map((e) => `${e.data.sequence}@${e.time.slice(11)}`).join(' ')}`);
    throw error;
  } finally {
    for (const run of runs) await run.dispose();
    await sink.stop();
    await azurite?.stop();
  }
});
