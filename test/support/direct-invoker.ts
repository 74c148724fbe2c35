/**
 * A FunctionInvoker for engine tests that runs generator orchestrators through durable-functions' REAL Orchestrator
 * (the same code an app's orchestration trigger runs) and plain functions as activities, without the worker.
 * Payloads and results go through JSON, as they would over the Functions wire.
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import type { OrchestrationContext } from 'durable-functions';
import type { FunctionInvoker } from '../../src/durable/engine-api.js';
import { PayloadText, type OrchestrationTriggerPayload, type OrchestratorStateJson } from '../../src/durable/wire-types.js';

// What the SDK passes back into the generator is untyped, as in durable-functions' own OrchestrationHandler.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type TestOrchestrator = (context: OrchestrationContext) => Generator<unknown, unknown, any>;
/** An activity of any input type (`never`: every parameter type accepts it); its input arrives as JSON. */
export type TestActivity = (input: never, meta: { instanceId: string; taskId: number }) => unknown;

interface OrchestratorClass {
  new (fn: TestOrchestrator): { handle(trigger: unknown, context: InvocationContext): Promise<unknown> };
}

// Internal class of durable-functions (no typings): the orchestration trigger handler.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, not in the package's exports' types
const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator') as { Orchestrator: OrchestratorClass };

export class DirectInvoker implements FunctionInvoker {
  private readonly orchestrations = new Map<string, TestOrchestrator>();
  private readonly activities = new Map<string, TestActivity>();
  /** Every orchestrator episode, in order (for assertions). */
  readonly episodes: { name: string; instanceId: string; historyLength: number }[] = [];

  orchestration(name: string, fn: TestOrchestrator): this {
    this.orchestrations.set(name, fn);
    return this;
  }

  activity(name: string, fn: TestActivity): this {
    this.activities.set(name, fn);
    return this;
  }

  hasOrchestration(name: string): boolean {
    return this.orchestrations.has(name);
  }

  hasActivity(name: string): boolean {
    return this.activities.has(name);
  }

  async invokeOrchestration(name: string, payload: OrchestrationTriggerPayload | PayloadText): Promise<OrchestratorStateJson> {
    const fn = this.orchestrations.get(name);
    if (!fn) throw new Error(`no orchestration ${name}`);
    const text = payload instanceof PayloadText ? payload.json : JSON.stringify(payload);
    const historyLength = payload instanceof PayloadText ? payload.historyLength : payload.history.length;
    this.episodes.push({ name, instanceId: payload.instanceId, historyLength });
    const context = new InvocationContext({ functionName: name, invocationId: randomUUID(), logHandler: () => undefined });
    const wire = JSON.parse(text) as unknown;
    const state = await new Orchestrator(fn).handle(wire, context);
    return JSON.parse(JSON.stringify(state)) as OrchestratorStateJson;
  }

  async invokeActivity(name: string, input: unknown, meta: { instanceId: string; taskId: number }): Promise<unknown> {
    const fn = this.activities.get(name);
    if (!fn) throw new Error(`no activity ${name}`);
    const result = await fn(input as never, meta);
    return result === undefined ? undefined : (JSON.parse(JSON.stringify(result)) as unknown);
  }
}
