import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { createDurableEngine } from '../../src/durable/engine.js';
import { EventType } from '../../src/durable/instance-state.js';
import type { DurableEngineRuntime } from '../../src/durable/engine-api.js';
import { SystemClock } from '../../src/durable/clock/system-clock.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { startStorageProxy } from '../support/storage-proxy.js';
import { settle, startEngine, testLogger, uniqueHub, waitFor, waitForStatus } from './harness.js';

const FIXTURE = path.join(__dirname, 'fixtures', 'engine-process.js');

let azurite: RunningAzurite;
let dir: string;
const children = new Set<ChildProcess>();

before(async () => {
  azurite = await startAzurite();
  dir = mkdtempSync(path.join(tmpdir(), 'durable-crash-'));
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await azurite.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Spawned {
  child: ChildProcess;
  ready: Promise<void>;
}

function spawnEngine(env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, CONN: azurite.connectionString, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`engine process exited early (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** An engine in this process that never runs (no lease): only reads status. */
function observer(hub: string): DurableEngineRuntime {
  return createDurableEngine({
    connectionString: azurite.connectionString,
    taskHubName: hub,
    invoker: new DirectInvoker(),
    clock: new SystemClock(),
    logger: testLogger(),
    workerId: 'observer',
  });
}

function execLines(file: string): { pid: string; instanceId: string; n: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, instanceId, n] = line.split(' ');
      return { pid: pid ?? '', instanceId: instanceId ?? '', n: Number(n) };
    });
}

test('kill -9 of the engine mid-chain, several times: the chain completes with every result recorded once', async () => {
  const hub = uniqueHub('crash');
  const execLog = path.join(dir, `${hub}.log`);
  const chainLength = 12;
  const env = { HUB: hub, WORKER_ID: 'host-1', EXEC_LOG: execLog, START_ID: 'chain-1', CHAIN_LENGTH: String(chainLength), ACTIVITY_DELAY_MS: '150' };
  const watcher = observer(hub);
  let kills = 0;
  for (let round = 0; round < 5; round++) {
    const { child, ready } = spawnEngine(env);
    await ready;
    await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 300)));
    await kill9(child);
    kills++;
    const status = await watcher.getStatus('chain-1');
    if (status?.runtimeStatus === 'Completed') break;
  }
  const last = spawnEngine(env);
  try {
    await last.ready;
    const status = await waitForStatus(watcher, 'chain-1', ['Completed', 'Failed'], 60_000);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status.output));
    assert.deepEqual(status.output, Array.from({ length: chainLength }, (_, i) => i * 10));
    const history = (await watcher.getStatus('chain-1', { showHistory: true }))?.history as { EventType: number; EventId: number; TaskScheduledId?: number }[];
    const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.EventId);
    const completed = history.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => e.TaskScheduledId);
    assert.equal(scheduled.length, chainLength);
    assert.deepEqual([...completed].sort(), [...scheduled].sort(), 'each scheduled activity has exactly one recorded result');
    assert.equal(new Set(completed).size, completed.length);
    const executions = execLines(execLog).filter((l) => l.instanceId === 'chain-1');
    assert.deepEqual([...new Set(executions.map((l) => l.n))].sort((a, b) => a - b), Array.from({ length: chainLength }, (_, i) => i));
    assert.ok(executions.length >= chainLength);
    // Informative: how often the at-least-once delivery re-ran an activity.
    console.log(`# kills: ${kills}, activity executions: ${executions.length}, recorded results: ${completed.length}`);
  } finally {
    last.child.kill('SIGTERM');
    await once(last.child, 'exit').catch(() => undefined);
  }
});

test('kill -9 of a schedule-like loop at random instants (timer commit, activity, result + continue-as-new commit): no tick lost, none out of order', async () => {
  const hub = uniqueHub('ticker');
  const execLog = path.join(dir, `${hub}.log`);
  const env = { HUB: hub, WORKER_ID: 'host-1', EXEC_LOG: execLog, START_TICKER: 'ticker-1', TICK_MS: '40', ACTIVITY_DELAY_MS: '15' };
  for (let round = 0; round < 8; round++) {
    const { child, ready } = spawnEngine(env);
    await ready;
    await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 350)));
    await kill9(child);
  }
  const last = spawnEngine(env);
  try {
    await last.ready;
    const before = Math.max(-1, ...execLines(execLog).map((l) => l.n));
    await waitFor(async () => (Math.max(-1, ...execLines(execLog).map((l) => l.n)) >= before + 10 ? true : undefined), '10 more ticks', 30_000);
    const ticks = execLines(execLog).filter((l) => l.instanceId === 'ticker-1').map((l) => l.n);
    const max = Math.max(...ticks);
    const distinct = [...new Set(ticks)];
    assert.deepEqual([...distinct].sort((a, b) => a - b), Array.from({ length: max + 1 }, (_, i) => i), 'every tick delivered, none skipped');
    assert.deepEqual(distinct, [...distinct].sort((a, b) => a - b), 'ticks first delivered in order');
    // Re-deliveries (at least once) only ever repeat the tick in progress, never an older one after a newer one.
    ticks.forEach((n, i) => assert.ok(n >= Math.max(...ticks.slice(0, i + 1)) - 1, `tick ${n} after ${Math.max(...ticks.slice(0, i))}`));
    console.log(`# ticker: ${distinct.length} ticks, ${ticks.length} deliveries`);
  } finally {
    last.child.kill('SIGTERM');
    await once(last.child, 'exit').catch(() => undefined);
  }
});

test('two engine processes with different worker ids on one hub: only the lease owner works; the other takes over when it dies', async () => {
  const hub = uniqueHub('lease');
  const execLog = path.join(dir, `${hub}.log`);
  const common = { HUB: hub, EXEC_LOG: execLog, CHAIN_LENGTH: '6', ACTIVITY_DELAY_MS: '30', LEASE_MS: '2000', SCAN_MS: '200' };
  const a = spawnEngine({ ...common, WORKER_ID: 'host-a' });
  await a.ready;
  const b = spawnEngine({ ...common, WORKER_ID: 'host-b' });
  await b.ready;
  const client = observer(hub);
  try {
    await client.start('CrashChain', { instanceId: 'lease-1', input: 6 });
    const first = await waitForStatus(client, 'lease-1', ['Completed', 'Failed'], 30_000);
    assert.equal(first.runtimeStatus, 'Completed');
    const firstRuns = execLines(execLog).filter((l) => l.instanceId === 'lease-1');
    assert.ok(firstRuns.length >= 6);
    assert.deepEqual([...new Set(firstRuns.map((l) => l.pid))], [String(a.child.pid)], 'only the lease owner ran activities');

    await kill9(a.child);
    await client.start('CrashChain', { instanceId: 'lease-2', input: 6 });
    const second = await waitForStatus(client, 'lease-2', ['Completed', 'Failed'], 30_000);
    assert.equal(second.runtimeStatus, 'Completed');
    const secondRuns = execLines(execLog).filter((l) => l.instanceId === 'lease-2');
    assert.deepEqual([...new Set(secondRuns.map((l) => l.pid))], [String(b.child.pid)], 'the waiting worker took over');
  } finally {
    await kill9(a.child);
    b.child.kill('SIGTERM');
    await once(b.child, 'exit').catch(() => undefined);
  }
});

async function leaseRow(hub: string): Promise<Record<string, unknown>> {
  const { TableClient } = await import('@azure/data-tables');
  const table = TableClient.fromConnectionString(azurite.connectionString, hub, { allowInsecureConnection: true });
  return table.getEntity<Record<string, unknown>>('~hub', 'lease');
}

test('the hub lease separates two host processes on one machine: the second waits while the first lives, takes over at once after kill -9', async () => {
  const hub = uniqueHub('samehost');
  const execLog = path.join(dir, `${hub}.log`);
  // Same worker id (the default is the hostname, the same for both); renewals every 3 s, expiry after 12 s.
  const common = { HUB: hub, EXEC_LOG: execLog, CHAIN_LENGTH: '4', ACTIVITY_DELAY_MS: '20', LEASE_MS: '12000', SCAN_MS: '200', WORKER_ID: 'same-machine' };
  const a = spawnEngine(common);
  await a.ready;
  const b = spawnEngine(common);
  await b.ready;
  const client = observer(hub);
  try {
    await client.start('CrashChain', { instanceId: 'first', input: 4 });
    assert.equal((await waitForStatus(client, 'first', ['Completed', 'Failed'], 30_000)).runtimeStatus, 'Completed');
    // Let B retry at least once (every 3 s) while A lives: it must still wait.
    await settle(3_500);
    const held = await leaseRow(hub);
    assert.equal(held.Pid, a.child.pid, 'the first process still holds the lease');
    assert.equal(held.Host, hostname());
    const firstRuns = execLines(execLog).filter((l) => l.instanceId === 'first');
    assert.deepEqual([...new Set(firstRuns.map((l) => l.pid))], [String(a.child.pid)], 'only the lease holder ran activities');

    const expiresAt = Number(held.ExpiresAt);
    await kill9(a.child);
    await client.start('CrashChain', { instanceId: 'second', input: 4 });
    const second = await waitForStatus(client, 'second', ['Completed', 'Failed'], 30_000);
    assert.equal(second.runtimeStatus, 'Completed');
    assert.ok(Date.now() < expiresAt, 'taken over because the holder died, before its lease expired');
    assert.equal((await leaseRow(hub)).Pid, b.child.pid);
    const secondRuns = execLines(execLog).filter((l) => l.instanceId === 'second');
    assert.deepEqual([...new Set(secondRuns.map((l) => l.pid))], [String(b.child.pid)]);
  } finally {
    await kill9(a.child);
    b.child.kill('SIGTERM');
    await once(b.child, 'exit').catch(() => undefined);
  }
});

test('the hub lease: a holder with our own pid (restarted container) is replaced at once; one on another machine is waited out', async () => {
  const { TableClient } = await import('@azure/data-tables');
  const invoker = new DirectInvoker().orchestration('Quick', function* () {
    return 'ran';
  });
  const cases = [
    { host: hostname(), pid: process.pid, takesOver: true },
    { host: 'another-machine', pid: process.pid, takesOver: false },
  ];
  for (const c of cases) {
    const hub = uniqueHub('pidone');
    const table = TableClient.fromConnectionString(azurite.connectionString, hub, { allowInsecureConnection: true });
    await table.createTable();
    await table.createEntity({ partitionKey: '~hub', rowKey: 'lease', Owner: 'previous', Host: c.host, Pid: c.pid, Token: 'earlier-incarnation', ExpiresAt: Date.now() + 600_000 });
    const engine = await startEngine({ connectionString: azurite.connectionString, invoker, hub, workerId: 'previous' });
    try {
      const id = await engine.start('Quick', {});
      if (c.takesOver) {
        assert.equal((await waitForStatus(engine, id, ['Completed'])).output, 'ran');
        assert.equal((await leaseRow(hub)).Pid, process.pid);
      } else {
        await settle(500);
        assert.equal((await engine.getStatus(id))?.runtimeStatus, 'Pending', 'a holder on another machine keeps its lease until it expires');
        assert.equal((await leaseRow(hub)).Host, 'another-machine');
      }
    } finally {
      await engine.shutdown();
    }
  }
});

test('the engine rides out a storage outage (8 s without storage) and finishes the work afterwards', async () => {
  const { connectionStringFor } = await import('../../src/host/storage/azurite.js');
  const proxy = await startStorageProxy(azurite.tablePort);
  let engine: DurableEngineRuntime | undefined;
  try {
    let runs = 0;
    const invoker = new DirectInvoker()
      .activity('Slow', async (n: number) => {
        runs++;
        await new Promise((r) => setTimeout(r, 100));
        return n + 1;
      })
      .orchestration('Outage', function* (ctx) {
        let n = 0;
        for (let i = 0; i < 8; i++) n = (yield ctx.df.callActivity('Slow', n)) as number;
        return n;
      });
    engine = createDurableEngine({
      connectionString: connectionStringFor(proxy.port),
      taskHubName: uniqueHub('outage'),
      invoker,
      clock: new SystemClock(),
      logger: testLogger(),
      workerId: 'outage-host',
    });
    await engine.run();
    const id = await engine.start('Outage', {});
    await waitFor(async () => (runs >= 2 ? true : undefined), 'two activities');
    proxy.cut();
    await new Promise((r) => setTimeout(r, 8_000));
    const runsDuringOutage = runs;
    proxy.restore();
    const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 60_000);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 8);
    assert.ok(runsDuringOutage <= 4, 'no progress is recorded without storage');
  } finally {
    await engine?.shutdown();
    await proxy.close();
  }
});

test('a clean shutdown records the activity that finishes during it: the next owner does not run it again', async () => {
  const hub = uniqueHub('drain');
  let runs = 0;
  let started!: () => void;
  const activityStarted = new Promise<void>((resolve) => (started = resolve));
  const app = new DirectInvoker()
    .activity('Slow', async () => {
      runs++;
      started();
      await new Promise((r) => setTimeout(r, 400));
      return 'done';
    })
    .orchestration('Once', function* (ctx) {
      return (yield ctx.df.callActivity('Slow')) as string;
    });
  const first = await startEngine({ connectionString: azurite.connectionString, invoker: app, hub, workerId: 'first' });
  await first.start('Once', { instanceId: 'once' });
  await activityStarted;
  await first.shutdown(); // the activity is still running: the shutdown waits for it, and commits its result
  const second = await startEngine({ connectionString: azurite.connectionString, invoker: app, hub, workerId: 'second' });
  try {
    const status = await waitForStatus(second, 'once', ['Completed']);
    assert.equal(status.output, 'done');
    assert.equal(runs, 1, 'the activity ran once: its result was recorded before the first owner stopped');
  } finally {
    await second.shutdown();
  }
});
