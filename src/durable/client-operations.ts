/**
 * The engine's client operations (start, status, query, raise event, terminate, suspend, resume, purge): they work
 * on any process, owner of the lease or not, through a table client that retries for a bounded time.
 */
import { randomUUID } from 'node:crypto';
import { parseJson, toJsonText } from './chunked-text.js';
import type { EngineContext } from './engine-context.js';
import { newExecution } from './instance-start.js';
import { DurableConfigError } from './errors.js';
import { externalMessageKey } from './keys.js';
import { validateInstanceId } from './names.js';
import { purgeInstance } from './instance-purge.js';
import { EventType, isTerminal, TERMINAL_STATUSES, type InboxEntry, type InboxMessage, type InstanceRecord } from './instance-state.js';
import { rewindable, rewindChanges } from './planner/rewind.js';
import { MAX_NAME_UNITS, MAX_PAYLOAD_UNITS } from './storage-limits.js';
import { ConflictError } from './errors.js';
import { describe } from './store/storage-failures.js';
import type { HubStore } from './store/hub-store.js';
import { InstanceAlreadyExistsError, InstanceNotFailedError, InstanceNotFoundError, PayloadTooLargeError, RewindNotSupportedError } from './errors.js';
import type { DurableEngine, InstanceQuery, InstanceStatus, StartOptions } from './engine-api.js';

export class ClientOperations implements Omit<DurableEngine, 'taskHubName'> {
  constructor(
    private readonly store: HubStore,
    private readonly ctx: EngineContext,
  ) {}

  async start(orchestratorName: string, options: StartOptions): Promise<string> {
    const instanceId = validateInstanceId(options.instanceId ?? randomUUID().replace(/-/g, ''));
    if (!orchestratorName) throw new DurableConfigError('INVALID_NAME', 'orchestratorName', 'orchestratorName must not be empty');
    const input = checked('input', toJsonText(options.input), MAX_PAYLOAD_UNITS);
    const at = options.startAt ?? this.ctx.clock.now();
    // A new id is created without a read first; only when the id is taken is the existing instance read.
    let existing: InstanceRecord | undefined;
    let created: { record: InstanceRecord; start: InboxEntry } | undefined;
    for (let attempt = 0; ; attempt++) {
      const policy = this.ctx.options.overridableExistingInstanceStates ?? 'NonRunningStates';
      if (existing && policy === 'NonRunningStates' && !isTerminal(existing.status)) throw new InstanceAlreadyExistsError(instanceId);
      const execution = newExecution(this.ctx.clock, instanceId, orchestratorName, input, at, existing);
      try {
        const etag = await this.store.startInstance(execution.record, execution.start, existing);
        if (!existing && etag) created = { record: { ...execution.record, etag }, start: execution.start };
        break;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
        existing = await this.store.readInstance(instanceId);
        // The write landed and only its answer was lost (the retry met the row): this is our own start.
        if (existing?.startToken !== undefined && existing.startToken === execution.record.startToken) break;
      }
    }
    this.ctx.log.info({ instanceId, name: orchestratorName, ...(options.startAt ? { startAt: new Date(at).toISOString() } : {}) }, 'durable: instance scheduled');
    if (at > this.ctx.clock.now()) this.ctx.timers.add(at, instanceId);
    // A new partition holds exactly what was just written: the owner starts from that instead of reading it back.
    if (created) this.ctx.instanceCreated(instanceId, created.record, created.start);
    else this.ctx.requestStep(instanceId, 'all');
    await this.wakeOwner(instanceId);
    return instanceId;
  }

  async getStatus(instanceId: string, opts: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {}): Promise<InstanceStatus | undefined> {
    const record = await this.store.readInstance(instanceId);
    if (!record) return undefined;
    const status = statusOf(record, opts.showInput ?? true);
    if (opts.showHistory) {
      const events = await this.store.readHistory(instanceId, record.executionId);
      status.history = opts.showHistoryOutput ? events : events.map(({ Result: _r, ...rest }) => rest);
    }
    return status;
  }

  async query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }> {
    const showInput = query.showInput ?? false;
    if (query.top !== undefined) {
      const page = await this.store.pageInstances(query, Math.max(1, query.top), query.continuationToken);
      const instances = page.records.map((r) => statusOf(r, showInput));
      return page.continuationToken ? { instances, continuationToken: page.continuationToken } : { instances };
    }
    const records = await this.store.listInstances(query);
    return { instances: records.map((r) => statusOf(r, showInput)) };
  }

  private async enqueue(instanceId: string, message: InboxMessage): Promise<void> {
    if (!(await this.store.readInstance(instanceId))) throw new InstanceNotFoundError(instanceId);
    const at = this.ctx.clock.now();
    await this.insertOwn(instanceId, { rowKey: externalMessageKey(at, randomUUID()), at, message });
    this.ctx.requestStep(instanceId, 'inbox');
    await this.wakeOwner(instanceId);
  }

  /**
   * A client message under a fresh unique key: a 409 can only be this very write, landed with its answer lost and
   * met by the retry, so it counts as delivered (not an error the caller would retry, sending the message twice).
   */
  private async insertOwn(instanceId: string, entry: InboxEntry): Promise<void> {
    try {
      await this.store.insertMessage(instanceId, entry);
    } catch (err) {
      if (!(err instanceof ConflictError && err.statusCode === 409)) throw err;
    }
  }

  /**
   * A write through a process that is not the lease owner marks the instance for the owner's wake poll (within a
   * second), instead of waiting for its safety scan. A mark the client could not write within its retry budget is
   * handed to background work, which retries it until it lands (or shutdown): the write then reaches the owner within
   * a second of the storage answering again, not at a safety scan up to 30 s later (the caller was told 202 already).
   */
  private async wakeOwner(instanceId: string): Promise<void> {
    if (this.ctx.processing) return;
    try {
      await this.store.markWake(instanceId);
    } catch (err) {
      this.ctx.log.warn({ instanceId, error: describe(err) }, 'durable: the lease owner could not be woken yet; marking it again in the background');
      this.ctx.track(this.ctx.store.markWake(instanceId));
    }
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    checked('eventName', eventName, MAX_NAME_UNITS);
    const input = checked('data', toJsonText(data), MAX_PAYLOAD_UNITS);
    await this.enqueue(instanceId, { type: 'event', event: { EventType: EventType.EventRaised, Name: eventName, Input: input } });
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    await this.enqueue(instanceId, { type: 'terminate', reason: checked('reason', reason, MAX_PAYLOAD_UNITS) ?? '' });
  }

  async suspend(instanceId: string, reason: string): Promise<void> {
    await this.enqueue(instanceId, { type: 'suspend', reason: checked('reason', reason, MAX_PAYLOAD_UNITS) ?? '' });
  }

  async resume(instanceId: string, reason: string): Promise<void> {
    await this.enqueue(instanceId, { type: 'resume', reason: checked('reason', reason, MAX_PAYLOAD_UNITS) ?? '' });
  }

  async rewind(instanceId: string, reason: string): Promise<void> {
    const text = checked('reason', reason, MAX_PAYLOAD_UNITS) ?? '';
    const record = await this.store.readInstance(instanceId);
    if (!record) throw new InstanceNotFoundError(instanceId);
    if (record.status !== 'Failed') throw new InstanceNotFailedError(instanceId, record.status);
    // The whole tree is read and checked before anything is written: a rewind happens whole or not at all.
    const tree: RewindNode[] = [];
    await this.collectRewind(record, undefined, 0, tree);
    for (const node of tree) {
      const at = this.ctx.clock.now();
      await this.insertOwn(node.instanceId, { rowKey: externalMessageKey(at, randomUUID()), at, message: { ...node.message, reason: text } });
      this.ctx.requestStep(node.instanceId, 'inbox');
      await this.wakeOwner(node.instanceId);
    }
    this.ctx.log.info({ instanceId, instances: tree.length }, 'durable: rewind requested');
  }

  /**
   * The instance, then its failed sub-orchestrations (told the parent's new execution id), depth first: written in
   * this order, a child's new result always finds the parent's rewind before it in the parent's inbox.
   */
  private async collectRewind(record: InstanceRecord, parentExecutionId: string | undefined, depth: number, tree: RewindNode[]): Promise<void> {
    const history = await this.store.readHistory(record.instanceId, record.executionId);
    if (!rewindable(record, history)) {
      throw new RewindNotSupportedError(record.instanceId, 'its history was not kept, holds a retry of an earlier version, or its failed with-retry task was not the last task it scheduled');
    }
    const executionId = randomUUID().replace(/-/g, '');
    const message: RewindMessage = parentExecutionId === undefined ? { type: 'rewind', reason: '', executionId } : { type: 'rewind', reason: '', executionId, parentExecutionId };
    tree.push({ instanceId: record.instanceId, message });
    const rewound: string[] = [];
    for (const childId of depth < MAX_REWIND_DEPTH ? rewindChanges(history).children : []) {
      const child = await this.store.readInstance(childId);
      if (child?.status !== 'Failed' || child.parent?.instanceId !== record.instanceId) continue;
      await this.collectRewind(child, executionId, depth + 1, tree);
      rewound.push(childId);
    }
    message.subOrchestrations = rewound;
  }

  async purge(instanceId: string): Promise<number> {
    if (!(await purgeInstance(this.store, instanceId))) return 0;
    this.ctx.requestStep(instanceId, 'all'); // the owner forgets what it cached of it
    this.ctx.log.info({ instanceId }, 'durable: instance purged');
    return 1;
  }

  async purgeMany(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo'>): Promise<number> {
    const statuses = (query.runtimeStatus ?? [...TERMINAL_STATUSES]).filter((s) => isTerminal(s));
    if (statuses.length === 0) return 0;
    const ids = await this.store.listInstanceIds({ ...query, runtimeStatus: statuses });
    let count = 0;
    for (const instanceId of ids) count += await this.purge(instanceId);
    return count;
  }
}

type RewindMessage = Extract<InboxMessage, { type: 'rewind' }>;

interface RewindNode {
  instanceId: string;
  message: RewindMessage;
}

/** Sub-orchestrations nest this deep at most in a rewind (a guard against a cycle of parent references). */
const MAX_REWIND_DEPTH = 16;

/** Text the task hub could not store in one step is refused before anything is written. */
function checked<T extends string | undefined>(field: string, text: T, limit: number): T {
  if (text !== undefined && text.length > limit) throw new PayloadTooLargeError(field, text.length, limit);
  return text;
}

function statusOf(record: InstanceRecord, showInput: boolean): InstanceStatus {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.status,
    input: showInput ? parseJson(record.input) : undefined,
    output: parseJson(record.output),
    customStatus: parseJson(record.customStatus),
    createdTime: new Date(record.createdTime).toISOString(),
    lastUpdatedTime: new Date(record.lastUpdatedTime).toISOString(),
  };
}
