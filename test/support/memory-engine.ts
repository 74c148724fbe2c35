/**
 * A TEST DOUBLE of the durable engine's client side, on plain Maps: no orchestrations run. It lets the Durable HTTP
 * API tests check the HTTP contract with the stock client; tests move instances along with the `set*` helpers.
 * It is not the engine (src/durable/engine.ts) and says nothing about it.
 */
import { randomUUID } from 'node:crypto';
import { InstanceAlreadyExistsError, InstanceNotFailedError, InstanceNotFoundError } from '../../src/durable/errors.js';
import type { DurableEngine, InstanceQuery, InstanceStatus, StartOptions } from '../../src/durable/engine-api.js';
import type { RuntimeStatus } from '../../src/durable/wire-types.js';

interface MemoryInstance {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: number;
  lastUpdatedTime: number;
  history: Array<Record<string, unknown>>;
}

export interface RecordedCall {
  operation: 'raiseEvent' | 'terminate' | 'suspend' | 'resume' | 'rewind';
  instanceId: string;
  eventName?: string;
  data?: unknown;
  reason?: string;
}

const TERMINAL: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Canceled', 'Terminated'];

export class MemoryEngine implements DurableEngine {
  readonly calls: RecordedCall[] = [];
  private readonly instances = new Map<string, MemoryInstance>();
  /** Test-controlled time, so created-time filters are exact. */
  now = Date.parse('2024-05-01T10:00:00Z');

  constructor(readonly taskHubName = 'TestHub') {}

  async start(orchestratorName: string, options: StartOptions): Promise<string> {
    const instanceId = options.instanceId ?? randomUUID().replaceAll('-', '');
    const existing = this.instances.get(instanceId);
    if (existing && !TERMINAL.includes(existing.runtimeStatus)) throw new InstanceAlreadyExistsError(instanceId);
    const at = this.tick();
    this.instances.set(instanceId, {
      name: orchestratorName,
      instanceId,
      runtimeStatus: 'Pending',
      input: options.input,
      output: undefined,
      customStatus: undefined,
      createdTime: at,
      lastUpdatedTime: at,
      history: [{ EventType: 'ExecutionStarted', FunctionName: orchestratorName, Timestamp: new Date(at).toISOString() }],
    });
    return instanceId;
  }

  async getStatus(
    instanceId: string,
    options: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {},
  ): Promise<InstanceStatus | undefined> {
    const instance = this.instances.get(instanceId);
    return instance ? this.view(instance, options.showInput ?? true, options.showHistory ?? false) : undefined;
  }

  /**
   * Pages in id order; the continuation token has the table SDK's shape (base64 of {"nextPartitionKey"}), keyed by
   * the next page's first id, so the HTTP edge's shape check sees what it sees with real storage.
   */
  async query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }> {
    const matching = [...this.instances.values()]
      .filter((i) => matches(i, query))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    let start = 0;
    if (query.continuationToken !== undefined) {
      const { nextPartitionKey } = JSON.parse(Buffer.from(query.continuationToken, 'base64').toString('utf8')) as { nextPartitionKey: string };
      start = matching.findIndex((i) => i.instanceId.localeCompare(nextPartitionKey) >= 0);
      if (start < 0) start = matching.length;
    }
    const top = query.top ?? matching.length;
    const page = matching.slice(start, start + top).map((i) => this.view(i, query.showInput ?? true, false));
    const next = matching[start + top];
    if (next === undefined) return { instances: page };
    const continuationToken = Buffer.from(JSON.stringify({ nextPartitionKey: next.instanceId })).toString('base64');
    return { instances: page, continuationToken };
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    this.require(instanceId);
    this.calls.push({ operation: 'raiseEvent', instanceId, eventName, data });
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    this.calls.push({ operation: 'terminate', instanceId, reason });
    this.set(instanceId, { runtimeStatus: 'Terminated', output: reason });
  }

  async suspend(instanceId: string, reason: string): Promise<void> {
    this.calls.push({ operation: 'suspend', instanceId, reason });
    this.set(instanceId, { runtimeStatus: 'Suspended' });
  }

  async resume(instanceId: string, reason: string): Promise<void> {
    this.calls.push({ operation: 'resume', instanceId, reason });
    this.set(instanceId, { runtimeStatus: 'Running' });
  }

  /** As the engine: only a Failed instance, which runs again. */
  async rewind(instanceId: string, reason: string): Promise<void> {
    const instance = this.require(instanceId);
    if (instance.runtimeStatus !== 'Failed') throw new InstanceNotFailedError(instanceId, instance.runtimeStatus);
    this.calls.push({ operation: 'rewind', instanceId, reason });
    this.set(instanceId, { runtimeStatus: 'Running', output: undefined });
  }

  /** As the engine: only a finished instance is purged. */
  async purge(instanceId: string): Promise<number> {
    const instance = this.instances.get(instanceId);
    if (!instance || !TERMINAL.includes(instance.runtimeStatus)) return 0;
    return this.instances.delete(instanceId) ? 1 : 0;
  }

  async purgeMany(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo'>): Promise<number> {
    let deleted = 0;
    for (const instance of [...this.instances.values()]) {
      if (matches(instance, query) && this.instances.delete(instance.instanceId)) deleted += 1;
    }
    return deleted;
  }

  /** Test helper: moves an instance along (status, output, custom status), as running orchestrations would. */
  set(instanceId: string, change: Partial<Pick<MemoryInstance, 'runtimeStatus' | 'output' | 'customStatus'>>): void {
    const instance = this.require(instanceId);
    Object.assign(instance, change);
    instance.lastUpdatedTime = this.tick();
  }

  has(instanceId: string): boolean {
    return this.instances.has(instanceId);
  }

  private require(instanceId: string): MemoryInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new InstanceNotFoundError(instanceId);
    return instance;
  }

  /** Each change happens one second after the previous, so created times differ at the extension's precision. */
  private tick(): number {
    this.now += 1000;
    return this.now;
  }

  private view(instance: MemoryInstance, showInput: boolean, showHistory: boolean): InstanceStatus {
    const status: InstanceStatus = {
      name: instance.name,
      instanceId: instance.instanceId,
      runtimeStatus: instance.runtimeStatus,
      input: showInput ? instance.input : undefined,
      output: instance.output,
      customStatus: instance.customStatus,
      createdTime: new Date(instance.createdTime).toISOString(),
      lastUpdatedTime: new Date(instance.lastUpdatedTime).toISOString(),
    };
    if (showHistory) status.history = instance.history.map((event) => ({ ...event }));
    return status;
  }
}

function matches(instance: MemoryInstance, query: InstanceQuery): boolean {
  if (query.runtimeStatus && !query.runtimeStatus.includes(instance.runtimeStatus)) return false;
  if (query.createdTimeFrom && instance.createdTime < query.createdTimeFrom.getTime()) return false;
  if (query.createdTimeTo && instance.createdTime > query.createdTimeTo.getTime()) return false;
  if (query.instanceIdPrefix !== undefined && !instance.instanceId.startsWith(query.instanceIdPrefix)) return false;
  return true;
}
