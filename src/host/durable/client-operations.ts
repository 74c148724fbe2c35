/**
 * The engine's client operations (start, status, query, raise event, terminate, suspend, resume, purge): they work
 * on any process, owner of the lease or not, through a table client that retries for a bounded time.
 */
import { randomUUID } from 'node:crypto';
import { getText, parseJson, toJsonText } from './chunked-text.js';
import type { EngineContext } from './engine-context.js';
import { startRows, inboxEntity } from './inbox-rows.js';
import { recordFromRow } from './instance-row.js';
import {
  DurableConfigError,
  externalMessageKey,
  historyPrefix,
  INBOX_PREFIX,
  INSTANCE_ROW,
  instanceIdOf,
  partitionKeyOf,
  startMessageKey,
  validateInstanceId,
} from './keys.js';
import { EventType, isTerminal, TERMINAL_STATUSES, type InboxEntry, type InboxMessage, type InstanceRecord } from './model.js';
import { quote } from './partition-snapshot.js';
import { MAX_NAME_UNITS, MAX_PAYLOAD_UNITS } from './storage-limits.js';
import { ConflictError, type HubTable } from './table-store.js';
import {
  InstanceAlreadyExistsError,
  InstanceNotFoundError,
  PayloadTooLargeError,
  type DurableEngine,
  type HistoryEventJson,
  type InstanceQuery,
  type InstanceStatus,
  type RuntimeStatus,
  type StartOptions,
} from './types.js';

export class ClientOperations implements Omit<DurableEngine, 'taskHubName'> {
  constructor(
    private readonly client: HubTable,
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
      const rows = startRows(this.ctx.clock, instanceId, orchestratorName, input, at, existing);
      try {
        const etags = await this.client.transact(rows.actions);
        const etag = etags.get(INSTANCE_ROW);
        if (!existing && etag) created = { record: { ...rows.record, etag }, start: rows.start };
        break;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
        const row = await this.client.get(partitionKeyOf(instanceId), INSTANCE_ROW);
        existing = row ? recordFromRow(row) : undefined;
      }
    }
    this.ctx.log.info({ instanceId, name: orchestratorName, ...(options.startAt ? { startAt: new Date(at).toISOString() } : {}) }, 'durable: instance scheduled');
    if (at > this.ctx.clock.now()) this.ctx.timers.add(at, instanceId);
    // A new partition holds exactly what was just written: the owner starts from that instead of reading it back.
    if (created) this.ctx.instanceCreated(instanceId, created.record, created.start);
    else this.ctx.requestStep(instanceId, 'all');
    return instanceId;
  }

  async getStatus(instanceId: string, opts: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {}): Promise<InstanceStatus | undefined> {
    const row = await this.client.get(partitionKeyOf(instanceId), INSTANCE_ROW);
    if (!row) return undefined;
    const record = recordFromRow(row);
    const status = statusOf(record, opts.showInput ?? true);
    if (opts.showHistory) {
      const prefix = historyPrefix(record.executionId);
      const rows = await this.client.list(
        `PartitionKey eq ${quote(partitionKeyOf(instanceId))} and RowKey ge ${quote(prefix)} and RowKey lt ${quote(`${prefix}~`)}`,
      );
      const events = rows.flatMap((r) => JSON.parse(getText(r, 'Events') ?? '[]') as HistoryEventJson[]);
      status.history = opts.showHistoryOutput ? events : events.map(({ Result: _r, ...rest }) => rest);
    }
    return status;
  }

  async query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }> {
    const filter = instanceFilter(query);
    const showInput = query.showInput ?? false;
    if (query.top !== undefined) {
      const page = await this.client.page(filter, Math.max(1, query.top), query.continuationToken);
      const instances = page.rows.map((r) => statusOf(recordFromRow(r), showInput));
      return page.continuationToken ? { instances, continuationToken: page.continuationToken } : { instances };
    }
    const rows = await this.client.list(filter);
    return { instances: rows.map((r) => statusOf(recordFromRow(r), showInput)) };
  }

  private async enqueue(instanceId: string, message: InboxMessage): Promise<void> {
    const pk = partitionKeyOf(instanceId);
    const row = await this.client.get(pk, INSTANCE_ROW);
    if (!row) throw new InstanceNotFoundError(instanceId);
    const at = this.ctx.clock.now();
    await this.client.transact([['create', inboxEntity(pk, externalMessageKey(at, randomUUID()), at, message)]]);
    this.ctx.requestStep(instanceId, 'inbox');
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

  async purge(instanceId: string): Promise<number> {
    const pk = partitionKeyOf(instanceId);
    const row = await this.client.get(pk, INSTANCE_ROW);
    if (!row || !isTerminal(String(row.RuntimeStatus) as RuntimeStatus)) return 0;
    const executionId = String(row.ExecutionId);
    try {
      await this.client.retrying('deleteEntity', () => this.client.client.deleteEntity(pk, INSTANCE_ROW, { etag: row.etag }));
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 412 || status === 404) return 0; // changed or gone meanwhile
      throw err;
    }
    // The rest of the partition; a new instance started meanwhile under the same id keeps its own rows.
    const rows = await this.client.list(`PartitionKey eq ${quote(pk)}`, ['PartitionKey', 'RowKey']);
    const doomed = rows
      .map((r) => r.rowKey)
      .filter((rk) => rk !== INSTANCE_ROW && !(rk.startsWith(`${INBOX_PREFIX}x~`) && rk !== startMessageKey(executionId)));
    await this.client.deleteRows(pk, doomed);
    this.ctx.requestStep(instanceId, 'all'); // the owner forgets what it cached of it
    this.ctx.log.info({ instanceId }, 'durable: instance purged');
    return 1;
  }

  async purgeMany(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo'>): Promise<number> {
    const statuses = (query.runtimeStatus ?? [...TERMINAL_STATUSES]).filter((s) => isTerminal(s));
    if (statuses.length === 0) return 0;
    const rows = await this.client.list(instanceFilter({ ...query, runtimeStatus: statuses }), ['PartitionKey', 'RowKey']);
    let count = 0;
    for (const row of rows) count += await this.purge(instanceIdOf(row.partitionKey));
    return count;
  }
}

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

function instanceFilter(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo' | 'instanceIdPrefix'>): string {
  const parts = [`RowKey eq ${quote(INSTANCE_ROW)}`];
  if (query.runtimeStatus && query.runtimeStatus.length > 0) {
    parts.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${quote(s)}`).join(' or ')})`);
  }
  if (query.createdTimeFrom) parts.push(`CreatedTime ge ${quote(query.createdTimeFrom.toISOString())}`);
  if (query.createdTimeTo) parts.push(`CreatedTime le ${quote(query.createdTimeTo.toISOString())}`);
  if (query.instanceIdPrefix) {
    const prefix = partitionKeyOf(query.instanceIdPrefix);
    parts.push(`PartitionKey ge ${quote(prefix)} and PartitionKey lt ${quote(`${prefix}\uffff`)}`);
  }
  return parts.join(' and ');
}
