import type { InstanceStatus, RuntimeStatus } from '../../durable/index.js';

/** The extension's status payload (StatusResponsePayload): every field present, `historyEvents` only when asked. */
export interface StatusJson {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: unknown[];
}

/** The extension prints times to the second, UTC, with a literal Z (e.g. 2024-05-01T10:00:00Z). */
export function extensionTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * Missing values become null: the stock client's DurableOrchestrationStatus refuses a payload without `input` or
 * `output`. History goes out as `historyEvents` only, as the extension names it. The stock JS client reads `history`
 * (azure-functions-durable-js#620), so its `getStatus(..., {showHistory})` sees none, here as on the real extension:
 * an app that read it here would break under func.
 */
export function toStatusJson(status: InstanceStatus, options: { showInput: boolean }): StatusJson {
  const json: StatusJson = {
    name: status.name,
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    input: options.showInput ? (status.input ?? null) : null,
    customStatus: status.customStatus ?? null,
    output: status.output ?? null,
    createdTime: extensionTime(status.createdTime),
    lastUpdatedTime: extensionTime(status.lastUpdatedTime),
  };
  if (status.history !== undefined) json.historyEvents = status.history;
  return json;
}
