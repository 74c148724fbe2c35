import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { createDurableHttpApi } from './durable/http-api/index.js';
import { createDurableEngine } from './durable/engine.js';
import type { DurableEngineOptions, DurableEngineRuntime, DurableHttpApi } from './durable/types.js';
import { HostError } from './host-error.js';
import { createHostLogger } from './log-safety.js';
import { readHostJson, validateTaskHubName } from './host-json.js';
import { buildHttpRoutes } from './http/http-functions.js';
import { edgeLimitsFromSettings, type EdgeLimits } from './http/edge-limits.js';
import { buildHostKeys, checkKey, isKeyless, NO_KEYS, type HostKeys } from './http/host-keys.js';
import { createHostHttpServer, type HostHttpServer } from './http/http-server.js';
import { isLoopbackName } from './http/request-guard.js';
import { SystemClock } from './system-clock.js';
import { TimerScheduler } from './timer/timer-scheduler.js';
import { AppInvoker } from './worker/app-invoker.js';
import { runInApp } from './worker/core-module.js';
import type { AppStartContext, HookContext } from './worker/core-types.js';
import { ignoreUnsupportedSetting, loadApp, releaseApp } from './worker/load-app.js';
import type { WorkerApp } from './worker/worker-app.js';

/** Default task hub name when neither the caller nor host.json names one (as `func start` uses locally). */
export const DEFAULT_TASK_HUB = 'TestHubName';
/** stop() gives up waiting after this long. */
export const STOP_DEADLINE_MS = 10_000;

export type EngineFactory = (options: DurableEngineOptions) => DurableEngineRuntime;

export interface StartHostOptions {
  /** Folder of the Functions app (holds package.json and host.json). */
  appDir: string;
  /** Default 7071; 0 picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. Anything but loopback needs `key`. */
  hostname?: string;
  /** Azure Storage connection string (never logged). */
  connectionString: string;
  /** Overrides host.json's extensions.durableTask.hubName. */
  taskHubName?: string;
  clock?: Clock;
  /** The host's keys (master, host, function and the Durable system key); see http/host-keys.ts. */
  keys?: HostKeys;
  /** Shorthand for `keys` with this one host key (a system key is then generated for the run). */
  key?: string;
  logger?: Logger;
  /** Name of this host in the engine's lease row and logs; default the machine's hostname (the lease also records the pid). */
  workerId?: string;
  /** App settings for %NAME% references in host.json and bindings; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Overrides of the HTTP edge's limits (http/edge-limits.ts); tests use small ones. */
  httpLimits?: Partial<EdgeLimits>;
  /** For tests: replaces createDurableEngine (src/host/durable/engine.ts). */
  engineFactory?: EngineFactory;
  /** stop() gives up waiting after this long; default STOP_DEADLINE_MS (a simulation that restarts hosts uses less). */
  stopDeadlineMs?: number;
}

export interface RunningHost {
  /** Base URL, e.g. http://127.0.0.1:7071 */
  readonly url: string;
  readonly engine: DurableEngineRuntime;
  /** The Durable extension's HTTP surface; its clientBindingData() is what a durableClient input receives. */
  readonly durableApi: DurableHttpApi;
  readonly taskHubName: string;
  /** Names and trigger types of the loaded functions. */
  readonly functions: { name: string; trigger: string }[];
  /** Stops intake (HTTP, timers), shuts the engine down, runs appTerminate hooks; settles within 10 s. */
  stop(): Promise<void>;
}


function hookContext<T extends object>(app: WorkerApp, extra: T): HookContext & T {
  return {
    get hookData() {
      return app.appLevelOnlyHookData;
    },
    get appHookData() {
      return app.appHookData;
    },
    ...extra,
  };
}

async function listen(http: HostHttpServer, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    http.server.once('error', onError);
    http.server.listen(port, host, () => {
      http.server.off('error', onError);
      resolve();
    });
  });
  return (http.server.address() as AddressInfo).port;
}

function hostKeysOf(options: StartHostOptions): HostKeys {
  if (options.keys) return options.keys;
  if (options.key === undefined || options.key === '') return NO_KEYS;
  return buildHostKeys({ host: [checkKey(options.key, 'key')] });
}

/**
 * Starts the embedded Functions host for an app written in the Node v4 programming model: loads the app,
 * runs the durable engine, serves HTTP triggers and the Durable webhooks, runs appStart hooks, starts timers.
 */
export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const logger = options.logger ?? createHostLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  const env = options.env ?? process.env;
  const clock = options.clock ?? new SystemClock();
  const keys = hostKeysOf(options);
  const hostname = options.hostname ?? '127.0.0.1';
  if (isKeyless(keys) && !isLoopbackName(hostname)) {
    throw new HostError('KEY_REQUIRED', `listening on ${hostname} needs a host key (FUNCTIONS_HOST_KEY); without one the host stays on 127.0.0.1`);
  }
  const hostJson = readHostJson(options.appDir, env);
  const httpLimits = { ...edgeLimitsFromSettings(env), ...options.httpLimits };
  // Named by where it came from (host.json names its own field when it reads it).
  const taskHubName = options.taskHubName !== undefined
    ? validateTaskHubName(options.taskHubName, 'TaskHubName')
    : validateTaskHubName(hostJson.hubName() ?? DEFAULT_TASK_HUB, 'host.json extensions.durableTask.hubName');

  const app = await loadApp(options.appDir, { logger: logger.child({ component: 'app' }), ignoreUnsupported: ignoreUnsupportedSetting(env) });
  const cleanups: (() => Promise<void> | void)[] = [() => releaseApp(app)];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (err) {
        logger.warn({ err }, 'host cleanup step failed');
      }
    }
    cleanups.length = 0;
  };

  try {
    const invoker = new AppInvoker(app);
    const routes = buildHttpRoutes(invoker.functionsOfType('httpTrigger'), env);
    const timers = new TimerScheduler(invoker.functionsOfType('timerTrigger'), {
      invoker,
      clock,
      logger: logger.child({ component: 'timer' }),
      env,
    });

    const engine = (options.engineFactory ?? createDurableEngine)({
      connectionString: options.connectionString,
      taskHubName,
      invoker,
      clock,
      logger,
      workerId: options.workerId ?? osHostname(),
      overridableExistingInstanceStates: hostJson.overridableExistingInstanceStates,
    });
    await engine.run();
    cleanups.push(() => engine.shutdown());

    const http = createHostHttpServer({
      invoker,
      routes,
      routePrefix: hostJson.routePrefix,
      keys,
      logger: logger.child({ component: 'http' }),
      limits: httpLimits,
    });
    const port = await listen(http, options.port ?? 7071, hostname);
    cleanups.push(() => http.close(2_000));
    const urlHost = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname.includes(':') ? `[${hostname}]` : hostname;
    const url = `http://${urlHost}:${port}`;
    // durable-functions rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME names the host (func sets it).
    if (!process.env.WEBSITE_HOSTNAME) process.env.WEBSITE_HOSTNAME = `${urlHost}:${port}`;

    const durableApi = createDurableHttpApi(engine, {
      baseUrl: url,
      taskHubName,
      connectionName: 'AzureWebJobsStorage',
      systemKey: keys.system,
      alsoAcceptedKeys: keys.master !== undefined ? [keys.master] : [],
      logger: logger.child({ component: 'durable-http' }),
      clock,
      hasOrchestration: (name) => invoker.hasOrchestration(name),
      admitBody: (req, res) => http.admitDurableBody(req, res),
    });
    http.durableApi = durableApi;
    invoker.durableClientData = () => durableApi.clientBindingData();
    http.ready = true;

    const startContext: AppStartContext = hookContext(app, { functionAppDirectory: app.appDir });
    await runInApp(app, () => app.runHooks('appStart', startContext));

    timers.start();
    cleanups.push(() => timers.stop());

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        const steps = (async () => {
          http.ready = false;
          await Promise.allSettled([timers.stop(), http.close(5_000)]);
          try {
            await engine.shutdown();
          } catch (err) {
            logger.warn({ err }, 'durable engine shutdown failed');
          }
          try {
            await runInApp(app, () => app.runHooks('appTerminate', hookContext(app, {})));
          } catch (err) {
            logger.warn({ err }, 'appTerminate hook failed');
          }
          releaseApp(app);
        })();
        let timer: NodeJS.Timeout | undefined;
        const deadlineMs = options.stopDeadlineMs ?? STOP_DEADLINE_MS;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            logger.warn(`host did not stop within ${deadlineMs} ms; giving up waiting`);
            resolve();
          }, deadlineMs);
          timer.unref();
        });
        await Promise.race([steps, deadline]);
        if (timer) clearTimeout(timer);
      })();
      return stopping;
    };

    return {
      url,
      engine,
      durableApi,
      taskHubName,
      functions: [...app.functions.values()].map((f) => ({ name: f.name, trigger: f.trigger.type })),
      stop,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
