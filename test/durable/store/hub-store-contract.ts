/**
 * The HubStore contract: one list of tests, run against every implementation (Azure Tables on Azurite, memory), so
 * that the memory store the fast planner tests use behaves as the production one where the engine relies on it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newExecution } from '../../../src/durable/instance-start.js';
import { externalMessageKey, startMessageKey } from '../../../src/durable/keys.js';
import type { LeaseWrite } from '../../../src/durable/lease/lease-row.js';
import { EventType, type InboxEntry, type InstanceRecord } from '../../../src/durable/instance-state.js';
import type { StepPlan } from '../../../src/durable/planner/step-plan.js';
import { ConflictError } from '../../../src/durable/errors.js';
import type { HubStore, PartitionSnapshot } from '../../../src/durable/store/hub-store.js';
import { purgeInstance } from '../../../src/durable/instance-purge.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';

/** A fresh, empty hub per test. */
export type OpenStore = () => Promise<HubStore>;

const clock = new VirtualClock();

async function started(store: HubStore, instanceId: string, name = 'Orch'): Promise<{ record: InstanceRecord; start: InboxEntry }> {
  const execution = newExecution(clock, instanceId, name, JSON.stringify({ n: 1 }), clock.now(), undefined);
  const etag = await store.startInstance(execution.record, execution.start);
  assert.ok(etag, 'a new ETag');
  return { record: { ...execution.record, etag }, start: execution.start };
}

function conflict(status: number): (err: unknown) => boolean {
  return (err: unknown) => err instanceof ConflictError && err.statusCode === status;
}

const leaseWrite = (owner: string): LeaseWrite => ({
  owner,
  holder: { host: 'h', pid: 1 },
  token: `t-${owner}`,
  durationMs: 30_000,
  renewals: 1,
  released: false,
  expiresAt: 0,
});

/** The first episode's commit of `record`: start message taken, history written, an event and an outbox message. */
function firstStep(record: InstanceRecord, start: InboxEntry): StepPlan {
  return {
    record: { ...record, status: 'Running', nextWakeAt: -1 },
    historyExecutionId: record.executionId,
    historyEvents: [{ EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: new Date(clock.now()).toISOString(), Name: record.name }],
    consumed: [start.rowKey],
    inputs: 1,
    inboxInserts: [{ rowKey: externalMessageKey(clock.now(), 'self'), at: clock.now(), message: { type: 'resume', reason: 'r' } }],
    outbox: [{ type: 'createSub', instanceId: 'child', name: 'Child', parent: { instanceId: record.instanceId, executionId: record.executionId, taskId: 0 } }],
    activities: [],
  };
}


/** An instance that ran one step and ended (Completed), with a late message left in its partition. */
async function ended(store: HubStore, instanceId: string): Promise<InstanceRecord> {
  const { record, start } = await started(store, instanceId);
  const snap = await store.loadInstance(instanceId);
  const etags = await store.commitStep(store.prepareStep(snap, { ...firstStep(record, start), outbox: [], record: { ...record, status: 'Completed', nextWakeAt: -1 } }));
  return { ...record, status: 'Completed', etag: etags.get('instance') ?? '' };
}

/** A start of `instanceId` (over the ended instance if its row is still there) and its first step: the new execution. */
async function restart(store: HubStore, instanceId: string): Promise<string> {
  const existing = await store.readInstance(instanceId);
  const execution = newExecution(clock, instanceId, 'Orch', '2', clock.now(), existing);
  const etag = await store.startInstance(execution.record, execution.start, existing);
  const snap = await store.loadInstance(instanceId);
  await store.commitStep(store.prepareStep(snap, firstStep({ ...execution.record, etag: etag ?? '' }, execution.start)));
  return execution.record.executionId;
}

const PURGE_CALLS = new Set(['readInstance', 'rowKeysOf', 'deleteRows', 'deleteInstanceRow', 'afterPurge']);

/** `store` as purge sees it, with `between` run right after its `at`-th call (1-based) returns. */
function interleaved(store: HubStore, at: number, between: () => Promise<unknown>): { store: HubStore; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !PURGE_CALLS.has(prop) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (++calls === at) await between();
        return result;
      };
    },
  });
  return { store: proxy, calls: () => calls };
}

export function hubStoreContract(kind: string, open: OpenStore): void {
  test(`${kind}: a start writes the record and its start message; the same id again is a 409, a stale replace a 412`, async () => {
    const store = await open();
    const { record, start } = await started(store, 'a/b#c');
    const read = await store.readInstance('a/b#c');
    assert.equal(read?.etag, record.etag);
    assert.equal(read?.status, 'Pending');
    assert.deepEqual((await store.readInbox('a/b#c')).map((e) => e.rowKey), [startMessageKey(record.executionId)]);
    assert.equal(start.rowKey, startMessageKey(record.executionId));
    const again = newExecution(clock, 'a/b#c', 'Orch', undefined, clock.now(), undefined);
    await assert.rejects(store.startInstance(again.record, again.start), conflict(409));
    const replace = newExecution(clock, 'a/b#c', 'Orch', undefined, clock.now(), { ...record, etag: 'W/"stale"' });
    await assert.rejects(store.startInstance(replace.record, replace.start, { ...record, etag: 'W/"stale"' }), (err: unknown) => err instanceof ConflictError);
    assert.equal((await store.readInstance('a/b#c'))?.executionId, record.executionId, 'nothing of the refused writes applied');
    assert.equal(await store.readInstance('missing'), undefined);
  });

  test(`${kind}: a committed step is read back as one snapshot; its ETag guards the next commit`, async () => {
    const store = await open();
    const { record, start } = await started(store, 'stepper');
    const snap = await store.loadInstance('stepper');
    assert.equal(snap.record?.etag, record.etag);
    const step = store.prepareStep(snap, firstStep(record, start));
    assert.equal(step.tooLarge, undefined);
    assert.equal(step.historyRows.length, 1);
    assert.ok(step.outbox, 'the outbox entry to deliver');
    const etags = await store.commitStep(step);
    const etag = etags.get('instance');
    assert.ok(etag && etag !== record.etag, 'a new ETag for the instance row');

    const after = await store.loadInstance('stepper');
    assert.equal(after.record?.etag, etag);
    assert.equal(after.record?.status, 'Running');
    assert.deepEqual(after.history.map((e) => e.EventType), [EventType.ExecutionStarted]);
    assert.deepEqual(after.historyRows, step.historyRows);
    assert.deepEqual(after.inbox.map((e) => e.message.type), ['resume'], 'the start message taken, the insert stored');
    assert.deepEqual(after.outbox.map((o) => ({ rowKey: o.rowKey, to: o.messages[0]?.type })), [{ rowKey: step.outbox.rowKey, to: 'createSub' }]);
    assert.deepEqual(await store.readHistory('stepper', record.executionId), after.history);

    // The same plan on the old snapshot: its ETag is stale, nothing of it is applied (not even the inbox insert).
    const stale = store.prepareStep(snap, { ...firstStep(record, start), consumed: [], inboxInserts: [{ rowKey: externalMessageKey(clock.now(), 'late'), at: clock.now(), message: { type: 'suspend', reason: 's' } }] });
    await assert.rejects(store.commitStep(stale), (err: unknown) => err instanceof ConflictError);
    assert.deepEqual((await store.loadInstance('stepper')).inbox.map((e) => e.message.type), ['resume']);
    assert.deepEqual(await store.readInbox('stepper'), after.inbox);
  });

  test(`${kind}: steps of many instances committed at once each get their own answer; a stale one alone is refused`, async () => {
    const store = await open();
    const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    const firsts = await Promise.all(ids.map((id) => started(store, id)));
    const snaps = await Promise.all(ids.map((id) => store.loadInstance(id)));
    // One instance moves on behind the others' backs: the step prepared on its old snapshot is stale.
    const moved = firsts[7] as { record: InstanceRecord; start: InboxEntry };
    await store.commitStep(store.prepareStep(snaps[7] as PartitionSnapshot, firstStep(moved.record, moved.start)));
    const outcomes = await Promise.allSettled(
      ids.map((_, i) => {
        const { record, start } = firsts[i] as { record: InstanceRecord; start: InboxEntry };
        return store.commitStep(store.prepareStep(snaps[i] as PartitionSnapshot, firstStep(record, start)));
      }),
    );
    outcomes.forEach((outcome, i) => {
      if (i === 7) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof ConflictError, 'the stale step is refused');
      else assert.ok(outcome.status === 'fulfilled' && outcome.value.get('instance'), `step ${i} committed with its ETag`);
    });
    const after = await Promise.all(ids.map((id) => store.loadInstance(id)));
    after.forEach((snap, i) => {
      const outcome = outcomes[i];
      if (outcome?.status === 'fulfilled') assert.equal(snap.record?.etag, outcome.value.get('instance'), `instance ${i}: its own ETag`);
      assert.deepEqual(snap.inbox.map((e) => e.message.type), ['resume'], `instance ${i}: its step applied once, whole`);
      assert.equal(snap.history.length, 1);
    });
  });

  test(`${kind}: one scan hands over every instance's snapshot, each as loadInstance reads it`, async () => {
    const store = await open();
    const ids = ['s1', "s'2", 's 3', 'stepper'];
    for (const id of ids) await started(store, id);
    const snap = await store.loadInstance('stepper');
    const { record, start } = { record: snap.record as InstanceRecord, start: snap.inbox[0] as InboxEntry };
    await store.commitStep(store.prepareStep(snap, firstStep(record, start)));
    assert.equal(await store.deleteInstanceRow('s1', (await store.readInstance('s1'))?.etag ?? ''), true); // its start message stays: rows without a record
    const seen: PartitionSnapshot[] = [];
    await store.scanInstances({
      whole: (s) => void seen.push(s),
      partial: (w) => assert.fail(`${w.instanceId}: a hub this small is read in one page, every instance whole`),
    });
    const expected = await Promise.all(["s'2", 's 3', 'stepper'].map((id) => store.loadInstance(id)));
    assert.deepEqual(
      seen.map((s) => s.record?.instanceId).sort(),
      expected.map((s) => s.record?.instanceId).sort(),
      'every partition with a record, once',
    );
    for (const s of seen) assert.deepEqual(s, expected.find((e) => e.partitionKey === s.partitionKey));
  });

  test(`${kind}: a message is inserted once (409 for the same key) and the inbox reads in send order`, async () => {
    const store = await open();
    await started(store, 'inbox');
    const at = clock.now() + 5;
    await store.insertMessage('inbox', { rowKey: externalMessageKey(at, 'b'), at, message: { type: 'resume', reason: '2' } });
    const a = externalMessageKey(at, 'a'); // keys carry a per-process counter: this one sorts after 'b'
    await store.insertMessage('inbox', { rowKey: a, at, message: { type: 'suspend', reason: '1' } });
    await assert.rejects(store.insertMessage('inbox', { rowKey: a, at, message: { type: 'suspend', reason: 'x' } }), conflict(409));
    const inbox = await store.readInbox('inbox');
    assert.deepEqual(inbox.map((e) => e.message.type), ['start', 'resume', 'suspend'], 'by time, then in send order');
    const refs = (await store.messageRefs()).filter((r) => r.instanceId === 'inbox').map((r) => r.rowKey).sort();
    assert.deepEqual(refs, inbox.map((e) => e.rowKey).sort());
  });

  test(`${kind}: wake times, queries, pages and purge steps`, async () => {
    const store = await open();
    for (const id of ['q1', 'q2', 'q3', 'other']) await started(store, id);
    const wakes = await store.wakeTimes();
    assert.deepEqual(wakes.map((w) => w.instanceId).sort(), ['other', 'q1', 'q2', 'q3']);
    assert.ok(wakes.every((w) => w.status === 'Pending' && w.nextWakeAt === clock.now()));
    assert.deepEqual((await store.listInstances({ instanceIdPrefix: 'q' })).map((r) => r.instanceId), ['q1', 'q2', 'q3']);
    assert.deepEqual(await store.listInstanceIds({ runtimeStatus: ['Completed'] }), []);
    const first = await store.pageInstances({ instanceIdPrefix: 'q' }, 2);
    assert.equal(first.records.length, 2);
    assert.ok(first.continuationToken);
    const second = await store.pageInstances({ instanceIdPrefix: 'q' }, 2, first.continuationToken);
    assert.deepEqual([...first.records, ...second.records].map((r) => r.instanceId), ['q1', 'q2', 'q3']);

    const q1 = await store.readInstance('q1');
    assert.ok(q1);
    assert.equal(await store.deleteInstanceRow('q1', 'W/"stale"'), false);
    assert.equal(await store.deleteInstanceRow('q1', q1.etag), true);
    assert.equal(await store.readInstance('q1'), undefined);
    const rest = await store.rowKeysOf('q1');
    assert.deepEqual(rest, [startMessageKey(q1.executionId)]);
    await store.deleteRows('q1', [...rest, 'i~e~missing']);
    assert.deepEqual(await store.rowKeysOf('q1'), []);
  });

  test(`${kind}: purge with a start of the same id forced after each of its calls: the new instance keeps every row`, async () => {
    const store = await open();
    for (let at = 1; ; at++) {
      const id = `purged-${at}`;
      const old = await ended(store, id);
      let executionId: string | undefined;
      let written: string[] = [];
      const view = interleaved(store, at, async () => {
        const before = await store.rowKeysOf(id);
        executionId = await restart(store, id);
        written = (await store.rowKeysOf(id)).filter((rk) => !before.includes(rk)); // what the start and its step wrote
      });
      const purged = await purgeInstance(view.store, id);
      if (executionId === undefined) {
        // Purge made fewer calls than `at`: every point was tried. Undisturbed, it removed everything.
        assert.equal(purged, true);
        assert.deepEqual(await store.rowKeysOf(id), []);
        assert.equal(await store.readInstance(id), undefined);
        assert.ok(at > 3, 'purge reads, lists and deletes');
        break;
      }
      const snap = await store.loadInstance(id);
      assert.equal(snap.record?.executionId, executionId, `after call ${at}: the new instance's row`);
      assert.deepEqual(snap.history.map((e) => e.EventType), [EventType.ExecutionStarted], `after call ${at}: its history`);
      const left = await store.rowKeysOf(id);
      assert.equal(written.length, 3, 'history, message and outbox rows of the new execution');
      assert.deepEqual(written.filter((rk) => !left.includes(rk)), [], `after call ${at}: every row the new execution wrote is kept`);
      if (purged) assert.deepEqual(await store.readHistory(id, old.executionId), [], `after call ${at}: purged means the ended history is gone`);
    }
  });

  test(`${kind}: wake marks (marked once however often, taken once, marked again after a take) and standby presence rows`, async () => {
    const store = await open();
    assert.deepEqual(await store.takeWakes(), []);
    await store.markWake('w/1#x');
    await store.markWake('w/1#x');
    await store.markWake('w2');
    assert.deepEqual((await store.takeWakes()).sort(), ['w/1#x', 'w2']);
    assert.deepEqual(await store.takeWakes(), []);
    await store.markWake('w2');
    assert.equal((await store.scanMessages()).signals.wakes, 1, 'the message scan counts the marks');
    assert.deepEqual(await store.takeWakes(), ['w2']);
    assert.deepEqual(await store.wakeTimes(), [], 'marks are no instances');

    // Presence rows: each rewrite a new ETag; a clear with a stale ETag leaves the row.
    await store.markPresence('host-a.1');
    const first = (await store.scanMessages()).signals.standbys.get('host-a.1');
    assert.ok(first);
    await store.markPresence('host-a.1');
    const second = (await store.scanMessages()).signals.standbys.get('host-a.1');
    assert.ok(second && second !== first, 'rewritten: a new ETag');
    await store.clearPresence('host-a.1', first);
    assert.ok((await store.scanMessages()).signals.standbys.has('host-a.1'), 'a stale clear leaves it');
    await store.clearPresence('host-a.1', second);
    const after = await store.scanMessages();
    assert.deepEqual([after.signals.standbys.size, after.messages], [0, []], 'cleared; hub rows are no messages');
  });

  test(`${kind}: the lease row: create once (409), replace If-Match (stale: conflict), read back`, async () => {
    const store = await open();
    assert.equal(await store.lease.read(), undefined);
    const etag = await store.lease.create(leaseWrite('a'));
    assert.ok(etag);
    await assert.rejects(store.lease.create(leaseWrite('b')), conflict(409));
    const row = await store.lease.read();
    assert.equal(row?.owner, 'a');
    assert.equal(row?.token, 't-a');
    assert.equal(row?.durationMs, 30_000);
    const next = await store.lease.replace(leaseWrite('b'), etag);
    assert.ok(next && next !== etag);
    await assert.rejects(store.lease.replace(leaseWrite('c'), etag), (err: unknown) => err instanceof ConflictError);
    assert.equal((await store.lease.read())?.owner, 'b');
  });
}
