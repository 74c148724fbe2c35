/**
 * The owner's memory of each instance's committed state: the instance record with its ETag, the current execution's
 * history and the stored inbox as this process last knew them. A step starts from here instead of re-reading the
 * partition, and each commit of this process is applied here. Anything that may have changed behind the cache's back
 * is refreshed: messages written by this process by a targeted inbox read, everything else (a conflict on commit, a
 * start that replaced the instance, a lost lease) by dropping the entry so that the next step reads the partition.
 */
import { partitionKeyOf } from '../keys.js';
import { EventType, sortInbox, type InboxEntry, type InstanceRecord } from '../instance-state.js';
import type { StepPlan } from '../planner/step-plan.js';
import type { PartitionSnapshot, PreparedStep } from '../store/hub-store.js';

/** The partition of an instance this process just created: its record and start message, nothing else. */
export function createdSnapshot(record: InstanceRecord, start: InboxEntry): PartitionSnapshot {
  return { partitionKey: partitionKeyOf(record.instanceId), record, history: [], historyRows: [], inbox: [start], outbox: [], staleHistory: [] };
}

/** ExecutionStarted opens an execution's history (after its OrchestratorStarted): only the first events are looked at. */
const EXECUTION_STARTED_WITHIN = 4;

/**
 * The history's ExecutionStarted keeps the record's input text, not a second copy of it: a read parses the two from
 * different rows, so each cached instance held its input twice (a schedule's is ~650 bytes of ~5 KB; issue #19).
 */
function shareInput(snap: PartitionSnapshot): PartitionSnapshot {
  const input = snap.record?.input;
  if (input === undefined) return snap;
  const head = Math.min(snap.history.length, EXECUTION_STARTED_WITHIN);
  for (let i = 0; i < head; i++) {
    const event = snap.history[i];
    if (event?.EventType === EventType.ExecutionStarted && event.Input === input) event.Input = input;
  }
  return snap;
}

/** What must be read again before the next step of an instance. */
export type Refresh = 'inbox' | 'all';

export class InstanceCache {
  private readonly entries = new Map<string, PartitionSnapshot>();
  private readonly refresh = new Map<string, { what: Refresh; mark: number }>();
  /** Counts marks, so that a read that began before a mark does not clear it (the message may have missed the read). */
  private marks = 0;

  get size(): number {
    return this.entries.size;
  }

  /** The cached state, unless a refresh is due (then the caller reads and puts it back). */
  get(instanceId: string): PartitionSnapshot | undefined {
    return this.refresh.has(instanceId) ? undefined : this.entries.get(instanceId);
  }

  /**
   * The cached state even if its inbox is due for a refresh, what is due, and the mark a read begun now must hand
   * back to put/replaceInbox.
   */
  peek(instanceId: string): { snap?: PartitionSnapshot; refresh?: Refresh; mark: number } {
    const snap = this.entries.get(instanceId);
    const refresh = this.refresh.get(instanceId);
    return { ...(snap ? { snap } : {}), ...(refresh ? { refresh: refresh.what } : {}), mark: this.marks };
  }

  /** The stored inbox row is known here (the safety net compares what it finds with this). */
  knowsInboxRow(instanceId: string, rowKey: string): boolean {
    return this.entries.get(instanceId)?.inbox.some((e) => e.rowKey === rowKey) ?? false;
  }

  markStale(instanceId: string, what: Refresh): void {
    this.touched?.add(instanceId);
    if (what === 'all') this.entries.delete(instanceId);
    const mark = ++this.marks;
    const was = this.refresh.get(instanceId)?.what;
    this.refresh.set(instanceId, { what: was === 'all' ? 'all' : what, mark });
  }

  /** A read begun at `mark` (see peek): stored, and the refresh cleared unless marked again since the read began. */
  put(instanceId: string, snap: PartitionSnapshot, mark = this.marks): void {
    this.touched?.add(instanceId);
    this.entries.set(instanceId, shareInput(snap));
    this.clearRefresh(instanceId, mark);
  }

  /** Instances this process read, wrote or was told about while a preload scan ran: the scan's copy may be older. */
  private touched: Set<string> | undefined;
  /** The preload scan whose snapshots are taken; a cleared cache (the lease was lost) takes none of an older one. */
  private preloading = 0;

  /** A preload scan begins (see recovery-scan.ts): from now on, what the process learns of an instance wins. */
  beginPreload(): number {
    this.touched = new Set();
    return ++this.preloading;
  }

  /** A snapshot preload scan `scan` read: kept only if the process learnt nothing of that instance since it began. */
  preload(instanceId: string, snap: PartitionSnapshot, scan: number): boolean {
    if (scan !== this.preloading || !this.touched || this.touched.has(instanceId) || this.entries.has(instanceId)) return false;
    this.entries.set(instanceId, shareInput(snap));
    return true;
  }

  endPreload(scan: number): void {
    if (scan === this.preloading) this.touched = undefined;
  }

  replaceInbox(instanceId: string, inbox: InboxEntry[], mark = this.marks): PartitionSnapshot | undefined {
    const snap = this.entries.get(instanceId);
    if (!snap) return undefined;
    snap.inbox = inbox;
    this.clearRefresh(instanceId, mark);
    return snap;
  }

  private clearRefresh(instanceId: string, mark: number): void {
    const due = this.refresh.get(instanceId);
    if (due && due.mark <= mark) this.refresh.delete(instanceId);
  }

  drop(instanceId: string): void {
    this.touched?.add(instanceId);
    this.entries.delete(instanceId);
    this.refresh.delete(instanceId);
  }

  clear(): void {
    this.entries.clear();
    this.refresh.clear();
    this.touched = undefined;
    this.preloading++;
  }

  /**
   * Applies a committed step: the written record with the ETag the service returned, the history of the record's
   * execution, the inbox without what was consumed and with what was inserted. Without a new ETag (the service did not
   * report one) the entry is dropped: the next step reads the partition.
   */
  applyCommit(instanceId: string, snap: PartitionSnapshot, plan: StepPlan, built: PreparedStep, etag: string | undefined): void {
    this.touched?.add(instanceId);
    if (!built.record || !snap.record || etag === undefined) {
      this.drop(instanceId);
      return;
    }
    const sameExecution = built.record.executionId === snap.record.executionId;
    const consumed = new Set(plan.consumed);
    const inserted: InboxEntry[] = plan.inboxInserts.map((i) => ({ rowKey: i.rowKey, at: i.at, message: i.message }));
    const deleted = new Set(built.deletedHistory);
    const next: PartitionSnapshot = {
      partitionKey: snap.partitionKey,
      record: { ...built.record, etag },
      history: sameExecution ? [...snap.history, ...plan.historyEvents] : [...plan.historyEvents],
      historyRows: sameExecution ? [...snap.historyRows, ...built.historyRows] : [...built.historyRows],
      inbox: sortInbox([...snap.inbox.filter((e) => !e.volatile && !consumed.has(e.rowKey)), ...inserted]),
      outbox: [],
      staleHistory: [...snap.staleHistory, ...(sameExecution ? [] : snap.historyRows)].filter((rk) => !deleted.has(rk)),
    };
    if (!sameExecution && plan.historyExecutionId !== built.record.executionId) next.history = [];
    this.entries.set(instanceId, sameExecution ? next : shareInput(next));
  }
}
