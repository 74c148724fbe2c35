/**
 * The orchestrator reports ALL actions of the current execution on every episode (replayed ones included), as
 * durable-functions' OrchestratorState: a list of lists (schema V1) or a list whose entries may nest WhenAll/WhenAny
 * compound actions (V2+). Flattened in order, the actions that consume a task id appear in exactly the order the
 * orchestrator assigned its ids (WaitForExternalEvent and ContinueAsNew consume none).
 */
import type { RetryOptionsJson } from '../instance-state.js';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export type ParsedAction =
  | { kind: 'activity'; name: string; input?: string; retry?: RetryOptionsJson }
  | { kind: 'sub'; name: string; input?: string; instanceId?: string; retry?: RetryOptionsJson }
  | { kind: 'timer'; fireAt: number }
  | { kind: 'unsupported'; what: string };

export interface ParsedActions {
  /** Actions that consume a task id, in id order. */
  tasks: ParsedAction[];
  /** Set when the orchestrator called continueAsNew: the new input as JSON text. */
  continueAsNew?: { input?: string };
  /** Names of all waitForExternalEvent calls (for carrying unprocessed events over a continue-as-new). */
  waitedEvents: string[];
}

type RawAction = Record<string, unknown>;

function isRecord(value: unknown): value is RawAction {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Activity and continue-as-new inputs pass durable-functions' processInput: a string input arrives JSON-encoded,
 * anything else as the value itself. Returns JSON text of the value.
 */
function processedInputText(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'string') {
    try {
      JSON.parse(input);
      return input;
    } catch {
      return JSON.stringify(input);
    }
  }
  return JSON.stringify(input);
}

/** Sub-orchestration inputs are not pre-processed: the value as given. */
function rawInputText(input: unknown): string | undefined {
  return input === undefined ? undefined : JSON.stringify(input);
}

function retryOptionsOf(raw: unknown): RetryOptionsJson {
  const r = isRecord(raw) ? raw : {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const options: RetryOptionsJson = {
    firstRetryIntervalInMilliseconds: num(r.firstRetryIntervalInMilliseconds) ?? 1000,
    maxNumberOfAttempts: num(r.maxNumberOfAttempts) ?? 1,
  };
  const coefficient = num(r.backoffCoefficient);
  const maxInterval = num(r.maxRetryIntervalInMilliseconds);
  const timeout = num(r.retryTimeoutInMilliseconds);
  if (coefficient !== undefined) options.backoffCoefficient = coefficient;
  if (maxInterval !== undefined) options.maxRetryIntervalInMilliseconds = maxInterval;
  if (timeout !== undefined) options.retryTimeoutInMilliseconds = timeout;
  return options;
}

export function parseActions(actions: unknown): ParsedActions {
  const result: ParsedActions = { tasks: [], waitedEvents: [] };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!isRecord(node)) return;
    const type = node.actionType;
    const name = typeof node.functionName === 'string' ? node.functionName : '';
    switch (type) {
      case ActionType.WhenAll:
      case ActionType.WhenAny:
        visit(node.compoundActions);
        return;
      case ActionType.CallActivity:
        result.tasks.push({ kind: 'activity', name, input: processedInputText(node.input) });
        return;
      case ActionType.CallActivityWithRetry:
        result.tasks.push({ kind: 'activity', name, input: processedInputText(node.input), retry: retryOptionsOf(node.retryOptions) });
        return;
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const action: ParsedAction = { kind: 'sub', name, input: rawInputText(node.input) };
        if (typeof node.instanceId === 'string' && node.instanceId) action.instanceId = node.instanceId;
        if (type === ActionType.CallSubOrchestratorWithRetry) action.retry = retryOptionsOf(node.retryOptions);
        result.tasks.push(action);
        return;
      }
      case ActionType.CreateTimer: {
        const fireAt = Date.parse(String(node.fireAt));
        result.tasks.push(Number.isFinite(fireAt) ? { kind: 'timer', fireAt } : { kind: 'unsupported', what: 'CreateTimer without a valid fireAt' });
        return;
      }
      case ActionType.WaitForExternalEvent:
        if (typeof node.externalEventName === 'string') result.waitedEvents.push(node.externalEventName);
        return;
      case ActionType.ContinueAsNew:
        result.continueAsNew = { input: processedInputText(node.input) };
        return;
      case ActionType.CallHttp:
        result.tasks.push({ kind: 'unsupported', what: 'callHttp (durable HTTP)' });
        return;
      case ActionType.CallEntity:
      case ActionType.SignalEntity:
      case ActionType.LockEntities:
      case ActionType.ReleaseEntities:
        result.tasks.push({ kind: 'unsupported', what: 'durable entities' });
        return;
      default:
        result.tasks.push({ kind: 'unsupported', what: `action type ${String(type)}` });
    }
  };
  visit(actions);
  return result;
}
