/**
 * The hub lease against a real Azurite. Each lease gets a VirtualClock as its monotonic time source, so the tests
 * walk through exact instants (the boundary at duration − margin, a row standing still for the duration); storage
 * round trips are real and awaited between instants. Holders name a made-up machine, so the same-machine fast
 * takeover (holderIsGone) never applies here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import fc from 'fast-check';
import { HubLease, type LeaseTiming } from '../../../src/durable/lease/hub-lease.js';
import { readLeaseRow } from '../../../src/durable/store/azure-tables/lease-codec.js';
import { createAzureTablesStore } from '../../../src/durable/store/azure-tables/azure-tables-store.js';
import { connectionStringFor } from '../../../src/host/storage/azurite.js';
import { useAzurite } from '../../support/azurite.js';
import type { Clock } from '../../../src/durable/clock/clock.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';
import { captureLogger } from '../../host/capture-logger.js';
import { startStorageProxy } from '../../support/storage-proxy.js';
import { uniqueHub } from '../harness.js';

const azurite = useAzurite();

const TIMING: Required<LeaseTiming> = { durationMs: 3_000, renewEveryMs: 1_000, safetyMarginMs: 500 };
const DAY = 86_400_000;

interface TestLease {
  lease: HubLease;
  /** onAcquired / onLost calls in order. */
  events: string[];
  messages(): string[];
}

function makeLease(opts: { hub: string; workerId: string; mono: VirtualClock; wall?: Clock; port?: number; timing?: LeaseTiming }): TestLease {
  const log = captureLogger('info');
  const events: string[] = [];
  const connection = connectionStringFor(opts.port ?? azurite.tablePort);
  const lease = new HubLease({
    store: createAzureTablesStore(connection, opts.hub, log.logger, { stopping: () => false }).lease,
    workerId: opts.workerId,
    timing: opts.timing ?? TIMING,
    logger: log.logger,
    onAcquired: () => events.push('acquired'),
    onLost: () => events.push('lost'),
    monotonic: opts.mono,
    ...(opts.wall ? { wallClock: opts.wall } : {}),
    holder: { host: `machine-of-${opts.workerId}`, pid: 4242 },
  });
  return { lease, events, messages: () => log.lines.map((l) => String(l.msg)) };
}

/** Moves monotonic time to `target`, letting every lease round that falls due finish its storage calls. */
async function advanceTo(mono: VirtualClock, target: number, leases: HubLease[]): Promise<void> {
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    for (const l of leases) await l.idle();
  };
  await mono.advanceTo(target, settle);
}

function leaseTable(hub: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, hub, { allowInsecureConnection: true });
}

async function leaseRow(hub: string): Promise<Record<string, unknown> & { etag: string }> {
  return leaseTable(hub).getEntity<Record<string, unknown>>('~hub', 'lease');
}

test('wall clocks a day apart do not matter: the standby never takes a renewed lease, and takes a released one at once', async () => {
  const hub = uniqueHub('skew');
  const mono = new VirtualClock(0);
  // Today's defect: expiry judged by each host's wall clock; a standby a day ahead saw every lease as expired.
  const a = makeLease({ hub, workerId: 'a', mono, wall: new VirtualClock(Date.now() - DAY) });
  const b = makeLease({ hub, workerId: 'b', mono, wall: new VirtualClock(Date.now() + DAY) });
  try {
    await a.lease.start();
    await b.lease.start();
    assert.ok(a.lease.isOwner);
    for (let t = 250; t <= 5 * TIMING.durationMs; t += 250) {
      await advanceTo(mono, t, [a.lease, b.lease]);
      assert.ok(a.lease.isOwner, `the renewing owner keeps the lease at ${t} ms`);
      assert.ok(!b.lease.isOwner, `the standby waits at ${t} ms`);
    }
    assert.equal((await leaseRow(hub)).Owner, 'a');
    assert.deepEqual(b.events, []);

    await a.lease.release();
    assert.ok(!a.lease.isOwner);
    await advanceTo(mono, mono.now() + TIMING.renewEveryMs, [b.lease]);
    assert.ok(b.lease.isOwner, 'a released lease is taken at the next look');
    assert.equal((await leaseRow(hub)).Owner, 'b');
    assert.deepEqual(a.events, ['acquired']);
    assert.deepEqual(b.events, ['acquired']);
  } finally {
    await a.lease.release();
    await b.lease.release();
  }
});

test('failed renewals do not keep ownership: the owner stops at duration − margin after its last successful write', async () => {
  const hub = uniqueHub('failrenew');
  const proxy = await startStorageProxy(azurite.tablePort);
  const mono = new VirtualClock(0);
  const a = makeLease({ hub, workerId: 'a', mono, port: proxy.port });
  try {
    await a.lease.start(); // the acquiring write is sent at 0
    assert.ok(a.lease.isOwner);
    proxy.cut();
    const lastGood = TIMING.durationMs - TIMING.safetyMarginMs; // 2,500
    await advanceTo(mono, lastGood - 1, [a.lease]);
    assert.ok(a.messages().filter((m) => m.includes('renewal failed')).length >= 2, 'renewals were tried and failed');
    assert.ok(a.lease.isOwner, 'still owner just before duration − margin');
    assert.deepEqual(a.events, ['acquired']);
    await advanceTo(mono, lastGood, [a.lease]);
    assert.ok(!a.lease.isOwner, 'not owner at duration − margin');
    assert.deepEqual(a.events, ['acquired', 'lost'], 'the engine is told');
    await advanceTo(mono, 2 * TIMING.durationMs, [a.lease]);
    assert.ok(!a.lease.isOwner, 'more failed renewals change nothing');

    // Storage back and nobody took the row: the next renewal (If-Match our last write) makes us owner again.
    proxy.restore();
    await advanceTo(mono, mono.now() + TIMING.renewEveryMs, [a.lease]);
    assert.ok(a.lease.isOwner);
    assert.deepEqual(a.events, ['acquired', 'lost', 'acquired']);
  } finally {
    await a.lease.release();
    await proxy.close();
  }
});

test('a renewal whose answer was lost: the retry gets 412, re-reads, finds its own token and stays owner', async () => {
  const hub = uniqueHub('lost412');
  const proxy = await startStorageProxy(azurite.tablePort);
  const mono = new VirtualClock(0);
  const a = makeLease({ hub, workerId: 'a', mono, port: proxy.port });
  try {
    await a.lease.start();
    const before = await leaseRow(hub);
    proxy.loseResponses(true);
    await advanceTo(mono, TIMING.renewEveryMs, [a.lease]); // renewal at 1,000: it commits, its answer is lost
    const committed = await leaseRow(hub);
    assert.notEqual(committed.etag, before.etag, 'the renewal did commit');
    assert.equal(readLeaseRow({ ...committed, partitionKey: '~hub', rowKey: 'lease' }).owner, 'a');
    assert.ok(a.messages().some((m) => m.includes('renewal failed')), 'the renewal looked failed to its sender');
    proxy.loseResponses(false);

    // Past the point where the acquisition alone would have run out (2,500): the retry at 1,250 must keep us.
    await advanceTo(mono, 2 * TIMING.durationMs, [a.lease]);
    assert.ok(a.messages().some((m) => m.includes('the row is ours')), 'the 412 was answered by a re-read');
    assert.ok(a.lease.isOwner, 'still owner');
    assert.deepEqual(a.events, ['acquired'], 'ownership was never dropped');
    assert.equal((await leaseRow(hub)).Owner, 'a');
  } finally {
    await a.lease.release();
    await proxy.close();
  }
});

test('a standby takes a lease only after the row stood still for the holder\u2019s duration by the standby\u2019s own clock', async () => {
  const hub = uniqueHub('still');
  const table = leaseTable(hub);
  await table.createTable();
  // A holder on another machine that declares 2 s, with a wall-clock expiry long past (which must not matter).
  const holderRow = { partitionKey: '~hub', rowKey: 'lease', Owner: 'far', Host: 'far-machine', Pid: 7, Token: 'far-token', DurationMs: 2_000, Renewals: 1, Released: false, ExpiresAt: Date.now() - DAY };
  await table.createEntity(holderRow);
  const mono = new VirtualClock(0);
  // The standby's own duration is shorter: the holder's declared one counts.
  const b = makeLease({ hub, workerId: 'b', mono, timing: { durationMs: 1_000, renewEveryMs: 250, safetyMarginMs: 100 } });
  try {
    await b.lease.start(); // sees the row at 0
    await advanceTo(mono, 1_000, [b.lease]);
    assert.ok(!b.lease.isOwner);
    await table.updateEntity({ ...holderRow, Renewals: 2 }, 'Replace'); // the holder renews (between looks at 1,000 and 1,250)
    await advanceTo(mono, 3_249, [b.lease]);
    assert.ok(!b.lease.isOwner, '2,000 ms after 0 but not after the renewal seen at 1,250');
    assert.equal((await leaseRow(hub)).Owner, 'far');
    await advanceTo(mono, 3_250, [b.lease]);
    assert.ok(b.lease.isOwner, 'taken once the row stood still 2,000 ms by the standby\u2019s clock');
    assert.equal((await leaseRow(hub)).Owner, 'b');
    assert.ok(b.messages().some((m) => m.includes('taking over')));
  } finally {
    await b.lease.release();
  }
});

test('readLeaseRow accepts any property values without throwing; only Released (or an old release) frees a lease', () => {
  const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined), fc.constant(null));
  fc.assert(
    fc.property(fc.record({ Owner: value, Host: value, Pid: value, Token: value, DurationMs: value, ExpiresAt: value, Released: value }), (props) => {
      const row = readLeaseRow({ ...props, partitionKey: '~hub', rowKey: 'lease', etag: 'W/"x"' });
      if (props.Released === true) assert.ok(row.released);
      // Rows of this version carry a duration: then only Released frees them, whatever ExpiresAt says.
      if (typeof props.DurationMs === 'number' && props.DurationMs > 0 && Number.isFinite(props.DurationMs)) assert.equal(row.released, props.Released === true);
      if (row.durationMs !== undefined) assert.ok(row.durationMs > 0 && Number.isFinite(row.durationMs));
      if (row.pid !== undefined) assert.ok(Number.isInteger(row.pid));
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
  );
});

test('an engine on a VirtualClock keeps its lease through a 24-hour jump of virtual time (the lease runs on real monotonic time)', async () => {
  const { createDurableEngine } = await import('../../../src/durable/engine.js');
  const { DirectInvoker } = await import('../../support/direct-invoker.js');
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const log = captureLogger('info');
  const invoker = new DirectInvoker()
    .activity('Stamp', () => 'stamped')
    .orchestration('Daily', function* (ctx) {
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + DAY));
      return (yield ctx.df.callActivity('Stamp', null)) as unknown;
    });
  const hub = uniqueHub('vday');
  const engine = createDurableEngine({ connectionString: azurite.connectionString, taskHubName: hub, invoker, clock, logger: log.logger, workerId: 'virtual' }, { leaseDurationMs: 3_000, leaseRenewEveryMs: 1_000 });
  try {
    await engine.run();
    const id = await engine.start('Daily', {});
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
      await engine.idle?.();
    };
    await settle();
    await clock.advanceTo(clock.now() + DAY + 1_000, settle);
    let status = await engine.getStatus(id);
    for (let i = 0; i < 100 && status?.runtimeStatus !== 'Completed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await engine.getStatus(id);
    }
    assert.equal(status?.runtimeStatus, 'Completed');
    assert.equal(status?.output, 'stamped');
    const lines = log.lines.map((l) => String(l.msg));
    assert.ok(!lines.some((m) => m.includes('lease lost') || m.includes('not renewed in time')), 'the lease was never lost');
    assert.equal(lines.filter((m) => m.includes('hub lease acquired')).length, 1);
  } finally {
    await engine.shutdown();
  }
});
