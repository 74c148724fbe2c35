import { AsyncLocalStorage } from 'node:async_hooks';
import Module from 'node:module';
import pino, { type Logger } from 'pino';
import { Disposable } from './disposable.js';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './core-types.js';
import type { WorkerApp } from './worker-app.js';

/** Worker version we claim to be (the v4 worker line that supports log hooks and worker indexing). */
export const WORKER_VERSION = '3.12.0';
/** Functions host version we claim to be (v4.34+ unlocks every feature `@azure/functions` 4.x checks for). */
export const HOST_VERSION = '4.1037.0';

const activeApp = new AsyncLocalStorage<WorkerApp>();
/** The app being loaded right now, for code that escapes the async context (rare). */
let loadingApp: WorkerApp | undefined;
let fallbackLogger: Logger = pino({ level: 'info' });
/** The last programming model any app set: an ES module app shares `@azure/functions` across loads (the ESM
 * cache cannot be cleared), and that instance sets its model only once. */
let lastProgrammingModel: ProgrammingModel | undefined;

export function lastSetProgrammingModel(): ProgrammingModel | undefined {
  return lastProgrammingModel;
}

/** Runs `fn` with `app` as the app that core API calls (registerFunction, registerHook, log...) refer to. */
export function runInApp<T>(app: WorkerApp, fn: () => T): T {
  return activeApp.run(app, fn);
}

export function setLoadingApp(app: WorkerApp | undefined): void {
  loadingApp = app;
}

function currentApp(): WorkerApp | undefined {
  return activeApp.getStore() ?? loadingApp;
}

const pinoLevel: Record<RpcLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | undefined> = {
  trace: 'trace',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  none: undefined,
};

/** Writes one worker/app log line through the active app's logger. */
export function writeLog(logger: Logger, level: RpcLogLevel, category: RpcLogCategory, message: string, fields: Record<string, unknown> = {}): void {
  const method = pinoLevel[level];
  if (!method) return;
  logger[method]({ category, ...fields }, message);
}

function outsideApp(what: string): Disposable {
  fallbackLogger.debug(`${what} registered outside an app loaded by the embedded host; ignored`);
  return new Disposable(() => undefined);
}

/** The object `require('@azure/functions-core')` returns inside apps the host runs. */
export const coreApi = {
  version: WORKER_VERSION,
  get hostVersion(): string {
    return HOST_VERSION;
  },
  // Outside an app the host loads (e.g. a test importing app modules after a host ran in the same process)
  // registrations go nowhere, like `@azure/functions` in its own test mode.
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    const app = currentApp();
    if (!app) return outsideApp(`function "${metadata.name}"`);
    return app.registerFunction(metadata, callback);
  },
  registerHook(hookName: string, callback: HookCallback): Disposable {
    const app = currentApp();
    if (!app) return outsideApp(`${hookName} hook`);
    return app.registerHook(hookName, callback);
  },
  setProgrammingModel(model: ProgrammingModel): void {
    lastProgrammingModel = model;
    const app = currentApp();
    if (!app) return;
    if (app.programmingModel && app.programmingModel !== model) {
      app.logger.info(`Setting Node.js programming model to "${model.name}" version "${model.version}"`);
    }
    app.programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return currentApp()?.programmingModel;
  },
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    writeLog(currentApp()?.logger ?? fallbackLogger, level, category, message);
  },
  Disposable,
};

let installed = false;

/**
 * Makes `require('@azure/functions-core')` resolve to {@link coreApi} in this process, the way the Node worker
 * does: by intercepting Module.prototype.require (the module is "built in" to the worker, not an npm package).
 * Idempotent.
 */
export function installCoreModule(logger?: Logger): void {
  if (logger) fallbackLogger = logger;
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg: unknown, args: [string]) {
      if (args[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, args);
    },
  });
}
