import type { Logger } from 'pino';
import { HostError } from '../host-error.js';
import { Disposable } from './disposable.js';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookData,
  ProgrammingModel,
  RpcBindingInfo,
  RpcFunctionMetadata,
} from './core-types.js';

/** A function the app registered through `@azure/functions-core`'s registerFunction. */
export interface RegisteredFunction {
  readonly name: string;
  readonly functionId: string;
  /** The metadata handed to the programming model at invocation, as the worker keeps it. */
  readonly metadata: RpcFunctionMetadata & { name: string; bindings: Record<string, RpcBindingInfo> };
  readonly callback: FunctionCallback;
  /** Name of the trigger binding and the binding itself. */
  readonly triggerName: string;
  readonly trigger: RpcBindingInfo & { type: string };
}

/**
 * What the Node worker keeps per app: registered functions, hooks, hook data and the programming model.
 * One instance per loaded app, so several hosts (e.g. in tests) can live in one process.
 */
export class WorkerApp {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  readonly appHookData: HookData = {};
  readonly appLevelOnlyHookData: HookData = {};
  programmingModel: ProgrammingModel | undefined;
  /** Set once loading is over: registering a function later is an error, as in the worker. */
  indexingLocked = false;
  currentEntryPoint: string | undefined;
  /** What the programming model answered to getCapabilities once the app was loaded. */
  capabilities: Record<string, string> = {};
  /** Files of this app that were loaded into the require cache (removed again when the app is released). */
  readonly ownedModules: string[] = [];

  constructor(
    readonly appDir: string,
    readonly logger: Logger,
  ) {}

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.indexingLocked) {
      throw new HostError('REGISTRATION_LOCKED', 'A function can only be registered during app startup.');
    }
    const functionId = metadata.functionId || metadata.name;
    const key = metadata.name.toLowerCase();
    if (this.functions.has(key) || [...this.functions.values()].some((f) => f.functionId === functionId)) {
      throw new HostError('DUPLICATE_FUNCTION', `A function named "${metadata.name}" has already been registered.`);
    }
    const entry = Object.entries(metadata.bindings).find(
      ([, b]) => typeof b.type === 'string' && /trigger$/i.test(b.type) && b.direction !== 'out',
    );
    if (!entry) {
      throw new HostError('NO_TRIGGER', `Function "${metadata.name}" has no trigger binding.`);
    }
    const [triggerName, trigger] = entry;
    const rawBindings = Object.entries(metadata.bindings).map(([name, b]) => JSON.stringify({ ...b, name }));
    const registered: RegisteredFunction = {
      name: metadata.name,
      functionId,
      metadata: {
        name: metadata.name,
        functionId,
        bindings: metadata.bindings,
        rawBindings,
        retryOptions: metadata.retryOptions,
        scriptFile: this.currentEntryPoint ?? 'unknown',
        directory: this.appDir,
      },
      callback,
      triggerName,
      trigger: trigger as RpcBindingInfo & { type: string },
    };
    this.functions.set(key, registered);
    return new Disposable(() => {
      if (this.indexingLocked) {
        throw new HostError('REGISTRATION_LOCKED', 'A function can only be disposed during app startup.');
      }
      this.functions.delete(key);
    });
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    let list = this.hooks.get(hookName);
    if (!list) {
      list = [];
      this.hooks.set(hookName, list);
    }
    list.push(callback);
    return new Disposable(() => {
      const current = this.hooks.get(hookName);
      const index = current ? current.indexOf(callback) : -1;
      if (current && index >= 0) current.splice(index, 1);
    });
  }

  /** Runs the hooks of one kind in registration order; the first failure propagates. */
  hasHooks(hookName: string): boolean {
    return (this.hooks.get(hookName)?.length ?? 0) > 0;
  }

  async runHooks(hookName: string, context: Parameters<HookCallback>[0]): Promise<void> {
    const list = [...(this.hooks.get(hookName) ?? [])];
    for (const callback of list) await callback(context);
  }

  /** Looks a function up by name (case-insensitive, as the Functions host does). */
  get(name: string): RegisteredFunction | undefined {
    return this.functions.get(name.toLowerCase());
  }
}
