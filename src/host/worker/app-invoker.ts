import { PayloadText, type FunctionInvoker, type OrchestrationTriggerPayload, type OrchestratorStateJson } from '../../durable/index.js';
import { HostError } from '../host-error.js';
import type { RpcHttpData, RpcParameterBinding, RpcTypedData } from './core-types.js';
import { invokeFunction } from './invoke.js';
import { fromTypedData, jsonTypedData, metadataStringTypedData, stringTypedData } from './typed-data.js';
import type { RegisteredFunction, WorkerApp } from './worker-app.js';

/** The label `durable-functions` puts before the orchestrator state in a failed episode's error message. */
const OUT_OF_PROC_DATA = '\n\n$OutOfProcData$:';

/** Runs orchestrator episodes: the trigger's JSON text in, the orchestrator state's JSON text out. */
export interface EpisodeRunner {
  run(name: string, text: string, instanceId: string): Promise<string>;
}

/** The orchestrator state's JSON text from an episode's return value (durable-functions returns it as JSON). */
function stateText(name: string, returned: RpcTypedData | null | undefined): string {
  // An object's JSON passes through as it is; a JSON string (a state returned as text) is unwrapped below.
  if (typeof returned?.json === 'string' && returned.json.trimStart().startsWith('{')) return returned.json;
  const state = fromTypedData(returned);
  if (typeof state === 'string') return state;
  if (!state || typeof state !== 'object') {
    throw new HostError('BAD_ORCHESTRATOR_STATE', `Orchestrator "${name}" returned no orchestrator state`);
  }
  return JSON.stringify(state);
}

/** The timer payload the Functions host sends (PascalCase; `@azure/functions` camel-cases it). */
export interface TimerInfo {
  isPastDue: boolean;
  last: Date | undefined;
  next: Date;
  lastUpdated: Date;
}

/**
 * Drives the app's registered functions with the payloads the Functions host would send them. Implements the
 * durable engine's FunctionInvoker, and serves the HTTP and timer triggers.
 */
export class AppInvoker implements FunctionInvoker {
  /** Supplies the durableClient input binding's data (set once the Durable HTTP API exists). */
  durableClientData: (() => Record<string, unknown>) | undefined;

  constructor(readonly app: WorkerApp) {}

  functionsOfType(triggerType: string): RegisteredFunction[] {
    const wanted = triggerType.toLowerCase();
    return [...this.app.functions.values()].filter((f) => f.trigger.type.toLowerCase() === wanted);
  }

  hasOrchestration(name: string): boolean {
    return this.app.get(name)?.trigger.type.toLowerCase() === 'orchestrationtrigger';
  }

  hasActivity(name: string): boolean {
    return this.app.get(name)?.trigger.type.toLowerCase() === 'activitytrigger';
  }

  /**
   * Where orchestrator episodes run: in this thread (default), or in worker threads that loaded the same app
   * (episode-threads.ts). Either way an episode is text in, text out, as on the worker protocol.
   */
  episodes: EpisodeRunner = { run: (name, text, instanceId) => this.runEpisode(name, text, instanceId) };

  /** `payload` as text (PayloadText) is sent as it is: the trigger's data is that text either way. */
  async invokeOrchestration(name: string, payload: OrchestrationTriggerPayload | PayloadText): Promise<OrchestratorStateJson> {
    const text = payload instanceof PayloadText ? payload.json : JSON.stringify(payload);
    return JSON.parse(await this.episodes.run(name, text, payload.instanceId)) as OrchestratorStateJson;
  }

  /**
   * One orchestrator episode in this thread: the trigger's text in, the orchestrator state's JSON text out. A failed
   * episode answers its state too (with `error`); only the host's own errors (no such function) reject.
   */
  async runEpisode(name: string, text: string, instanceId: string): Promise<string> {
    const fn = this.require(name, 'orchestrationTrigger');
    const inputData = [{ name: fn.triggerName, data: stringTypedData(text) }, ...this.extraInputs(fn)];
    try {
      const response = await invokeFunction(this.app, fn, {
        inputData,
        triggerMetadata: { instanceId: metadataStringTypedData(instanceId) },
      });
      return stateText(name, response.returnValue);
    } catch (err) {
      if (err instanceof HostError) throw err;
      // As the Durable extension does: a failed episode carries its state (with `error`) after a label.
      const message = err instanceof Error ? err.message : String(err);
      const at = message.indexOf(OUT_OF_PROC_DATA);
      if (at >= 0) return message.slice(at + OUT_OF_PROC_DATA.length);
      return JSON.stringify({ isDone: false, actions: [], error: message } satisfies OrchestratorStateJson);
    }
  }

  async invokeActivity(name: string, input: unknown, meta: { instanceId: string; taskId: number }): Promise<unknown> {
    const fn = this.require(name, 'activityTrigger');
    const data = jsonTypedData(input);
    const inputData: RpcParameterBinding[] = [...(data ? [{ name: fn.triggerName, data }] : []), ...this.extraInputs(fn)];
    const response = await invokeFunction(this.app, fn, {
      inputData,
      triggerMetadata: { instanceId: metadataStringTypedData(meta.instanceId) },
    });
    return fromTypedData(response.returnValue);
  }

  /** Runs an HTTP-triggered function; resolves with its RpcHttp response (undefined when it returned none). */
  async invokeHttp(fn: RegisteredFunction, request: RpcHttpData): Promise<RpcHttpData | undefined> {
    const inputData = [{ name: fn.triggerName, data: { http: request } }, ...this.extraInputs(fn)];
    const triggerMetadata: Record<string, RpcTypedData> = {};
    if (request.query) triggerMetadata.Query = jsonTypedData(request.query) as RpcTypedData;
    if (request.headers) triggerMetadata.Headers = jsonTypedData(request.headers) as RpcTypedData;
    for (const [key, value] of Object.entries(request.params ?? {})) triggerMetadata[key] = stringTypedData(value);
    const response = await invokeFunction(this.app, fn, { inputData, triggerMetadata });
    const outputName = Object.entries(fn.metadata.bindings).find(
      ([, b]) => b.direction === 'out' && String(b.type).toLowerCase() === 'http',
    )?.[0];
    const out =
      outputName === '$return' || outputName === undefined
        ? response.returnValue
        : response.outputData?.find((o) => o.name === outputName)?.data;
    return out?.http ?? undefined;
  }

  /** Runs a timer-triggered function with the payload the host sends. */
  async invokeTimer(fn: RegisteredFunction, timer: TimerInfo): Promise<void> {
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (timer.last ?? new Date(0)).toISOString(),
        Next: timer.next.toISOString(),
        LastUpdated: timer.lastUpdated.toISOString(),
      },
      IsPastDue: timer.isPastDue,
    };
    await invokeFunction(this.app, fn, {
      inputData: [{ name: fn.triggerName, data: jsonTypedData(payload) }, ...this.extraInputs(fn)],
    });
  }

  private require(name: string, triggerType: string): RegisteredFunction {
    const fn = this.app.get(name);
    if (!fn || fn.trigger.type.toLowerCase() !== triggerType.toLowerCase()) {
      throw new HostError('FUNCTION_NOT_FOUND', `The app has no ${triggerType} function named "${name}"`);
    }
    return fn;
  }

  /** Input bindings other than the trigger the host can fill (the durable client). */
  private extraInputs(fn: RegisteredFunction): RpcParameterBinding[] {
    const result: RpcParameterBinding[] = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (name === fn.triggerName || binding.direction !== 'in') continue;
      const type = String(binding.type).toLowerCase();
      if (type === 'durableclient' || type === 'orchestrationclient') {
        if (!this.durableClientData) {
          throw new HostError('NO_DURABLE_CLIENT', `Function "${fn.name}" needs a durable client, but the host has no Durable HTTP API`);
        }
        result.push({ name, data: stringTypedData(JSON.stringify(this.durableClientData())) });
      }
    }
    return result;
  }
}
