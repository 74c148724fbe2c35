/**
 * The task hub in memory, for fast tests of the planner and the engine without Azurite. Same semantics as the Azure
 * Tables store where the engine relies on them: every write of one instance commits atomically or not at all, the
 * instance's ETag changes on every write, a stale ETag is a 412 ConflictError, an existing row a 409 one, a delete of
 * a missing row in a commit a 404 one (nothing applied). Not modelled: size limits (only the 100-operation one) and
 * paging by bytes. Values are copied in and out, so callers never share objects with the store.
 */
import { executionOfHistoryRow, historyPrefix, historyRowKey, HISTORY_PREFIX, INBOX_PREFIX, INSTANCE_ROW, instanceIdOf, outboxRowKey, partitionKeyOf } from '../../keys.js';
import type { LeaseRow, LeaseWrite } from '../../lease/lease-row.js';
import { sortInbox, type InboxEntry, type InstanceRecord, type OutboxMessage } from '../../instance-state.js';
import type { StepPlan } from '../../planner/step-plan.js';
import { MAX_TRANSACTION_OPS } from '../../storage-limits.js';
import type { HistoryEventJson } from '../../wire-types.js';
import { ConflictError } from '../../errors.js';
import type { HubSignals, HubStore, InstanceFilter, InstanceVisitor, LeaseStore, MessageRef, PartitionSnapshot, PreparedStep, WakeTime } from '../hub-store.js';

/** One instance's rows: the record, history rows, inbox and outbox, each by row key. */
interface Partition {
  record?: InstanceRecord;
  history: Map<string, HistoryEventJson[]>;
  inbox: Map<string, InboxEntry>;
  outbox: Map<string, OutboxMessage[]>;
}

/** One write of a commit, checked against the partition before any is applied. */
type Write =
  | { kind: 'record'; record: InstanceRecord; ifMatch?: string; create?: boolean }
  | { kind: 'history'; rowKey: string; events: HistoryEventJson[] }
  | { kind: 'outbox'; rowKey: string; messages: OutboxMessage[] }
  | { kind: 'inbox'; entry: InboxEntry }
  | { kind: 'delete'; rowKey: string };

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryStore implements HubStore {
  private readonly partitions = new Map<string, Partition>();
  private readonly prepared = new WeakMap<PreparedStep, { instanceId: string; writes: Write[] }>();
  private etagCounter = 0;
  readonly lease: LeaseStore = new MemoryLease(() => this.nextEtag());

  async ensureReady(): Promise<void> {}

  private nextEtag(): string {
    return `W/"m${++this.etagCounter}"`;
  }

  private partition(instanceId: string): Partition {
    let p = this.partitions.get(instanceId);
    if (!p) this.partitions.set(instanceId, (p = { history: new Map(), inbox: new Map(), outbox: new Map() }));
    return p;
  }

  async loadInstance(instanceId: string): Promise<PartitionSnapshot> {
    const p = this.partition(instanceId);
    const snap: PartitionSnapshot = { partitionKey: partitionKeyOf(instanceId), history: [], historyRows: [], inbox: [], outbox: [], staleHistory: [] };
    if (p.record) snap.record = copy(p.record);
    for (const rowKey of [...p.history.keys()].sort()) {
      if (snap.record && executionOfHistoryRow(rowKey) === snap.record.executionId) {
        snap.history.push(...copy(p.history.get(rowKey) ?? []));
        snap.historyRows.push(rowKey);
      } else {
        snap.staleHistory.push(rowKey);
      }
    }
    snap.inbox = await this.readInbox(instanceId);
    for (const rowKey of [...p.outbox.keys()].sort()) snap.outbox.push({ instanceId, rowKey, messages: copy(p.outbox.get(rowKey) ?? []) });
    return snap;
  }

  /** Every instance is read whole here: nothing straddles pages. */
  async scanInstances(visit: InstanceVisitor): Promise<void> {
    for (const instanceId of [...this.partitions.keys()].sort()) {
      const snap = await this.loadInstance(instanceId);
      if (snap.record && visit.whole(snap) === 'stop') return;
    }
  }

  async readInbox(instanceId: string): Promise<InboxEntry[]> {
    return sortInbox([...this.partition(instanceId).inbox.values()].map(copy));
  }

  prepareStep(snap: PartitionSnapshot, plan: StepPlan): PreparedStep {
    const instanceId = instanceIdOf(snap.partitionKey);
    const writes: Write[] = [];
    const step: PreparedStep = { historyRows: [], deletedHistory: [], operations: 0 };
    let stale = snap.staleHistory;
    if (plan.record && snap.record) {
      const rec: InstanceRecord = copy(plan.record);
      step.record = rec;
      if (rec.executionId !== snap.record.executionId) stale = [...snap.historyRows, ...stale];
      const execution = plan.historyExecutionId ?? snap.record.executionId;
      if (plan.historyEvents.length > 0 && execution === rec.executionId) {
        const rowKey = historyRowKey(execution, rec.historySeq++, 0);
        step.historyRows.push(rowKey);
        writes.push({ kind: 'history', rowKey, events: copy(plan.historyEvents) });
      }
      if (plan.outbox.length > 0) {
        const rowKey = outboxRowKey(rec.outboxSeq++);
        writes.push({ kind: 'outbox', rowKey, messages: copy(plan.outbox) });
        step.outbox = { instanceId, rowKey, messages: copy(plan.outbox) };
      }
      writes.unshift({ kind: 'record', record: rec, ifMatch: snap.record.etag });
    }
    for (const insert of plan.inboxInserts) writes.push({ kind: 'inbox', entry: copy(insert) });
    const stored = new Set(snap.inbox.filter((e) => !e.volatile).map((e) => e.rowKey));
    for (const rowKey of plan.consumed) if (stored.has(rowKey)) writes.push({ kind: 'delete', rowKey });
    for (const rowKey of stale) {
      if (writes.length >= MAX_TRANSACTION_OPS) break;
      writes.push({ kind: 'delete', rowKey });
      step.deletedHistory.push(rowKey);
    }
    step.operations = writes.length;
    if (writes.length > MAX_TRANSACTION_OPS) {
      step.tooLarge = `${writes.length} operations`;
      step.tooManyOps = true;
    }
    this.prepared.set(step, { instanceId, writes });
    return step;
  }

  async commitStep(step: PreparedStep): Promise<Map<string, string>> {
    const prepared = this.prepared.get(step);
    if (!prepared) throw new Error('commitStep: a step this store did not prepare');
    return this.commit(prepared.instanceId, prepared.writes);
  }

  /** Checks every write first, then applies them all: one instance's writes are atomic. */
  private commit(instanceId: string, writes: Write[]): Map<string, string> {
    const p = this.partition(instanceId);
    for (const w of writes) {
      if (w.kind === 'record') {
        if (w.create && p.record) throw new ConflictError(409, 'the instance row exists');
        if (w.ifMatch !== undefined && p.record?.etag !== w.ifMatch) throw new ConflictError(p.record ? 412 : 404, 'the instance row changed');
      } else if (w.kind === 'history' && p.history.has(w.rowKey)) throw new ConflictError(409, `row ${w.rowKey} exists`);
      else if (w.kind === 'outbox' && p.outbox.has(w.rowKey)) throw new ConflictError(409, `row ${w.rowKey} exists`);
      else if (w.kind === 'inbox' && p.inbox.has(w.entry.rowKey)) throw new ConflictError(409, `row ${w.entry.rowKey} exists`);
      else if (w.kind === 'delete' && !hasRow(p, w.rowKey)) throw new ConflictError(404, `row ${w.rowKey} is gone`);
    }
    const etags = new Map<string, string>();
    for (const w of writes) {
      if (w.kind === 'record') {
        const etag = this.nextEtag();
        p.record = { ...copy(w.record), etag };
        etags.set(INSTANCE_ROW, etag);
      } else if (w.kind === 'history') p.history.set(w.rowKey, copy(w.events));
      else if (w.kind === 'outbox') p.outbox.set(w.rowKey, copy(w.messages));
      else if (w.kind === 'inbox') p.inbox.set(w.entry.rowKey, copy(w.entry));
      else deleteRow(p, w.rowKey);
    }
    return etags;
  }

  async deleteRows(instanceId: string, rowKeys: string[]): Promise<void> {
    const p = this.partition(instanceId);
    for (const rowKey of rowKeys) deleteRow(p, rowKey);
  }

  async wakeTimes(): Promise<WakeTime[]> {
    const out: WakeTime[] = [];
    for (const [instanceId, p] of this.partitions) {
      if (p.record) out.push({ instanceId, status: p.record.status, ...(p.record.nextWakeAt !== undefined ? { nextWakeAt: p.record.nextWakeAt } : {}) });
    }
    return out;
  }

  async messageRefs(): Promise<MessageRef[]> {
    const out: MessageRef[] = [];
    for (const [instanceId, p] of this.partitions) {
      for (const rowKey of [...p.inbox.keys(), ...p.outbox.keys()]) out.push({ instanceId, rowKey });
    }
    return out;
  }

  async readInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = this.partitions.get(instanceId)?.record;
    return record ? copy(record) : undefined;
  }

  async readHistory(instanceId: string, executionId: string): Promise<HistoryEventJson[]> {
    const p = this.partitions.get(instanceId);
    if (!p) return [];
    const prefix = historyPrefix(executionId);
    return [...p.history.keys()].filter((k) => k.startsWith(prefix)).sort().flatMap((k) => copy(p.history.get(k) ?? []));
  }

  async startInstance(record: InstanceRecord, start: InboxEntry, replacing?: InstanceRecord): Promise<string | undefined> {
    const write: Write = replacing ? { kind: 'record', record, ifMatch: replacing.etag } : { kind: 'record', record, create: true };
    return this.commit(record.instanceId, [write, { kind: 'inbox', entry: start }]).get(INSTANCE_ROW);
  }

  async insertMessage(instanceId: string, entry: InboxEntry): Promise<void> {
    this.commit(instanceId, [{ kind: 'inbox', entry }]);
  }

  async listInstances(filter: InstanceFilter): Promise<InstanceRecord[]> {
    return this.matching(filter).map(copy);
  }

  async pageInstances(filter: InstanceFilter, top: number, continuationToken?: string): Promise<{ records: InstanceRecord[]; continuationToken?: string }> {
    const all = this.matching(filter);
    const from = continuationToken === undefined ? 0 : Number(continuationToken);
    if (!Number.isSafeInteger(from) || from < 0) throw new Error('invalid continuation token');
    const records = all.slice(from, from + top).map(copy);
    return from + top < all.length ? { records, continuationToken: String(from + top) } : { records };
  }

  async listInstanceIds(filter: InstanceFilter): Promise<string[]> {
    return this.matching(filter).map((r) => r.instanceId);
  }

  async deleteInstanceRow(instanceId: string, etag: string): Promise<boolean> {
    const p = this.partitions.get(instanceId);
    if (!p?.record || p.record.etag !== etag) return false;
    delete p.record;
    return true;
  }

  private readonly wakes = new Set<string>();
  private readonly standbys = new Map<string, string>();

  async markPresence(presenceId: string): Promise<void> {
    this.standbys.set(presenceId, this.nextEtag());
  }

  async clearPresence(presenceId: string, etag: string): Promise<void> {
    if (this.standbys.get(presenceId) === etag) this.standbys.delete(presenceId);
  }

  async scanMessages(): Promise<{ messages: MessageRef[]; signals: HubSignals }> {
    return { messages: await this.messageRefs(), signals: { wakes: this.wakes.size, standbys: new Map(this.standbys) } };
  }

  async markWake(instanceId: string): Promise<void> {
    this.wakes.add(instanceId);
  }

  async takeWakes(): Promise<string[]> {
    const taken = [...this.wakes];
    this.wakes.clear();
    return taken;
  }

  /** Nothing is kept outside the partitions here: payloads of any size stay in memory with their rows. */
  async afterPurge(): Promise<void> {}

  async rowKeysOf(instanceId: string): Promise<string[]> {
    const p = this.partitions.get(instanceId);
    if (!p) return [];
    return [...p.history.keys(), ...p.inbox.keys(), ...p.outbox.keys()].sort();
  }

  /** Instance records matching the filter, in partition-key order (as the table service returns them). */
  private matching(filter: InstanceFilter): InstanceRecord[] {
    const prefix = filter.instanceIdPrefix === undefined ? undefined : partitionKeyOf(filter.instanceIdPrefix);
    return [...this.partitions.values()]
      .flatMap((p) => (p.record ? [p.record] : []))
      .filter((r) => !filter.runtimeStatus || filter.runtimeStatus.length === 0 || filter.runtimeStatus.includes(r.status))
      .filter((r) => !filter.createdTimeFrom || r.createdTime >= filter.createdTimeFrom.getTime())
      .filter((r) => !filter.createdTimeTo || r.createdTime <= filter.createdTimeTo.getTime())
      .filter((r) => prefix === undefined || partitionKeyOf(r.instanceId).startsWith(prefix))
      .sort((a, b) => (partitionKeyOf(a.instanceId) < partitionKeyOf(b.instanceId) ? -1 : 1));
  }
}

function hasRow(p: Partition, rowKey: string): boolean {
  if (rowKey === INSTANCE_ROW) return p.record !== undefined;
  if (rowKey.startsWith(HISTORY_PREFIX)) return p.history.has(rowKey);
  if (rowKey.startsWith(INBOX_PREFIX)) return p.inbox.has(rowKey);
  return p.outbox.has(rowKey);
}

function deleteRow(p: Partition, rowKey: string): void {
  if (rowKey === INSTANCE_ROW) delete p.record;
  else if (rowKey.startsWith(HISTORY_PREFIX)) p.history.delete(rowKey);
  else if (rowKey.startsWith(INBOX_PREFIX)) p.inbox.delete(rowKey);
  else p.outbox.delete(rowKey);
}

/** The lease row in memory: create (409 if it exists), replace If-Match (412 on a stale ETag, 404 if missing). */
class MemoryLease implements LeaseStore {
  private row: LeaseRow | undefined;

  constructor(private readonly nextEtag: () => string) {}

  async read(): Promise<LeaseRow | undefined> {
    return this.row ? { ...this.row } : undefined;
  }

  async create(write: LeaseWrite): Promise<string | undefined> {
    if (this.row) throw new ConflictError(409, 'lease create: the row exists');
    return this.write(write);
  }

  async replace(write: LeaseWrite, etag: string): Promise<string | undefined> {
    if (!this.row) throw new ConflictError(404, 'lease replace: no row');
    if (etag !== '*' && this.row.etag !== etag) throw new ConflictError(412, 'lease replace: the row changed');
    return this.write(write);
  }

  private write(w: LeaseWrite): string {
    const etag = this.nextEtag();
    this.row = { etag, owner: w.owner, host: w.holder.host, pid: w.holder.pid, token: w.token, durationMs: w.durationMs, released: w.released };
    return etag;
  }
}
