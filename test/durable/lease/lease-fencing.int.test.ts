/**
 * Two engine processes on one hub, the owner frozen (SIGSTOP) past its lease: the standby takes over and runs the
 * schedules; the old owner, thawed (SIGCONT), runs nothing more. Each activity reports its process and start time
 * to a loopback sink.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { createDurableEngine } from '../../../src/durable/engine.js';
import { startAzurite, type RunningAzurite } from '../../../src/host/storage/azurite.js';
import { SystemClock } from '../../../src/durable/clock/system-clock.js';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { testLogger, uniqueHub, waitFor } from '../harness.js';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'ticker-process.js');

interface Delivery {
  pid: number;
  instanceId: string;
  n: number;
  startedAt: number;
}

let azurite: RunningAzurite;
let sink: RecordingSink;
const children = new Set<ChildProcess>();

before(async () => {
  azurite = await startAzurite();
  sink = await RecordingSink.answering();
});

/** What the activities reported so far. */
function deliveries(): Delivery[] {
  return sink.requests.map((request) => JSON.parse(request.body) as Delivery);
}

after(async () => {
  for (const child of children) child.kill('SIGKILL'); // also ends a stopped process
  await sink.stop();
  await azurite.stop();
});

function spawnTicker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, CONN: azurite.connectionString, SINK_URL: sink.url, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`ticker process exited early (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

function countBy(pid: number | undefined, instanceId: string, since = 0): number {
  return deliveries().filter((d) => d.pid === pid && d.instanceId === instanceId && d.startedAt >= since).length;
}

test('the owner frozen past its lease: the standby takes over, the thawed old owner runs no activity', async () => {
  const hub = uniqueHub('fence');
  const leaseMs = 3_000;
  const renewMs = leaseMs / 4;
  const common = { HUB: hub, LEASE_MS: String(leaseMs), SCAN_MS: '500', TICK_MS: '200' };
  const a = spawnTicker({ ...common, WORKER_ID: 'host-a' });
  await a.ready;
  const b = spawnTicker({ ...common, WORKER_ID: 'host-b' });
  await b.ready;
  const client = createDurableEngine({ connectionString: azurite.connectionString, taskHubName: hub, invoker: new DirectInvoker(), clock: new SystemClock(), logger: testLogger(), workerId: 'client' });
  const ids = Array.from({ length: 8 }, (_, i) => `tick-${i + 1}`);
  const pidA = a.child.pid;
  const pidB = b.child.pid;
  try {
    for (const id of ids) await client.start('Ticker', { instanceId: id, input: 0 });
    await waitFor(async () => (ids.every((id) => countBy(pidA, id) >= 3) ? true : undefined), 'three ticks of each schedule from the owner', 30_000);
    const table = TableClient.fromConnectionString(azurite.connectionString, hub, { allowInsecureConnection: true });
    assert.equal((await table.getEntity('~hub', 'lease')).Pid, pidA, 'the first process holds the lease');
    assert.equal(deliveries().filter((d) => d.pid === pidB).length, 0, 'the standby ran nothing');

    // Freeze the owner past its lease, then thaw it; then the same the other way round (the thawed one, now the
    // standby, takes over from the second frozen owner).
    for (const [owner, standby] of [[a.child, b.child], [b.child, a.child]] as const) {
      owner.kill('SIGSTOP');
      const frozenAt = Date.now();
      await waitFor(async () => (ids.every((id) => countBy(standby.pid, id, frozenAt) >= 3) ? true : undefined), `three ticks of each schedule from ${standby.pid}`, 30_000);
      const firstOfStandby = Math.min(...deliveries().filter((d) => d.pid === standby.pid && d.startedAt >= frozenAt).map((d) => d.startedAt));
      // The row last changed at the owner's last renewal (at most one renewal period before the freeze); the standby
      // waits a full lease from when it saw that change.
      assert.ok(firstOfStandby >= frozenAt + leaseMs - renewMs - 100, `the standby waited out the lease (took over ${firstOfStandby - frozenAt} ms after the freeze)`);

      owner.kill('SIGCONT');
      const thawedAt = Date.now();
      // Long enough for the thawed process's overdue timers, its lease round and several ticks of the new owner.
      await new Promise((r) => setTimeout(r, 2 * leaseMs));
      assert.equal(owner.exitCode, null, 'the old owner is still running');
      const late = deliveries().filter((d) => d.pid === owner.pid && d.startedAt >= thawedAt);
      assert.deepEqual(late, [], `no activity started in the old owner (${owner.pid}) after the thaw`);
      for (const id of ids) assert.ok(countBy(standby.pid, id, thawedAt) >= 3, `${id}: the new owner keeps running it after the thaw`);
      assert.equal((await table.getEntity('~hub', 'lease')).Pid, standby.pid, 'the lease stays with the new owner');
    }

    // Per schedule, ticks were dispatched in order: no tick N started after tick N+1 (no stale duplicate).
    for (const id of ids) {
      const byStart = deliveries().filter((d) => d.instanceId === id).sort((x, y) => x.startedAt - y.startedAt);
      for (let i = 1; i < byStart.length; i++) {
        assert.ok((byStart[i]?.n ?? 0) >= (byStart[i - 1]?.n ?? 0), `${id}: tick ${byStart[i]?.n} (pid ${byStart[i]?.pid}) started after tick ${byStart[i - 1]?.n} (pid ${byStart[i - 1]?.pid})`);
      }
    }
  } finally {
    for (const child of [a.child, b.child]) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
});
