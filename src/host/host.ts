import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SystemClock, createDurableEngine, type Clock, type DurableEngineOptions, type DurableEngineRuntime, type EngineTuning } from '../durable/index.js';
import { createDurableHttpApi } from './durable-http-api/index.js';
import type { DurableHttpApi } from './durable-http-api/http-api-types.js';
import { HostError } from './host-error.js';
import { createHostLogger } from './log-safety.js';
import { readHostJson, taskHubNameOf, type HostJsonSettings } from './host-json.js';
import { buildHttpRoutes, type HttpRoute } from './http/http-functions.js';
import { edgeLimitsFromSettings, type EdgeLimits } from './http/edge-limits.js';
import { buildHostKeys, checkKey, isKeyless, NO_KEYS, type HostKeys } from './http/host-keys.js';
import { createHostHttpServer, type HostHttpServer } from './http/http-server.js';
import { isLoopbackName } from './http/request-guard.js';
import { TimerScheduler } from './timer/timer-scheduler.js';
import { AppInvoker } from './worker/app-invoker.js';
import { EpisodeThreads } from './worker/episode-threads.js';
import { runInApp } from './worker/core-module.js';
import type { AppStartContext, HookContext } from './worker/core-types.js';
import { ignoreUnsupportedSetting, loadApp, releaseApp } from './worker/load-app.js';
import type { WorkerApp } from './worker/worker-app.js';

/** stop() gives up waiting after this long. */
export const STOP_DEADLINE_MS = 10_000;
/** stop() waits this long for running timer functions before it shuts the engine down. */
const TIMERS_GRACE_MS = 3_000;

/** Resolves when `work` settles or after `ms`, whichever is first. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([work.then(() => undefined, () => undefined), late]);
  clearTimeout(timer);
}

/** Builds the engine; `tuning` carries host.json's settings for it (its concurrency). */
export type EngineFactory = (options: DurableEngineOptions, tuning: EngineTuning) => DurableEngineRuntime;

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
  /** For tests: replaces createDurableEngine (src/durable/engine.ts). */
  engineFactory?: EngineFactory;
  /** stop() gives up waiting after this long; default STOP_DEADLINE_MS (a simulation that restarts hosts uses less). */
  stopDeadlineMs?: number;
  /** Worker threads that run orchestrator episodes (worker/episode-threads.ts); default 0: in the host's thread. */
  orchestratorThreads?: number;
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

/** The settings a run of the host is made of, each read and validated once, before anything starts. */
interface HostSettings {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  keys: HostKeys;
  hostname: string;
  hostJson: HostJsonSettings;
  httpLimits: Partial<EdgeLimits>;
  taskHubName: string;
}

function hostSettings(options: StartHostOptions): HostSettings {
  const logger = options.logger ?? createHostLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  const env = options.env ?? process.env;
  const keys = hostKeysOf(options);
  const hostname = options.hostname ?? '127.0.0.1';
  if (isKeyless(keys) && !isLoopbackName(hostname)) {
    throw new HostError('KEY_REQUIRED', `listening on ${hostname} needs a host key (FUNCTIONS_HOST_KEY); without one the host stays on 127.0.0.1`);
  }
  const hostJson = readHostJson(options.appDir, env);
  const taskHubName = taskHubNameOf(options.taskHubName, hostJson);
  const httpLimits = { ...edgeLimitsFromSettings(env), ...options.httpLimits };
  return { logger, env, clock: options.clock ?? new SystemClock(), keys, hostname, hostJson, httpLimits, taskHubName };
}

/** Steps that undo a start, run last first; a failing step is logged and the rest still run. */
function cleanupList(logger: Logger): { push(step: () => Promise<void> | void): void; run(): Promise<void> } {
  const steps: (() => Promise<void> | void)[] = [];
  return {
    push: (step) => void steps.push(step),
    async run() {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (err) {
          logger.warn({ err }, 'host cleanup step failed');
        }
      }
      steps.length = 0;
    },
  };
}

/** The HTTP server on its port; its base URL (durable-functions builds client URLs from WEBSITE_HOSTNAME). */
async function serveHttp(settings: HostSettings & { port: number }, invoker: AppInvoker, routes: HttpRoute[]): Promise<{ http: HostHttpServer; url: string }> {
  const { hostname, logger } = settings;
  const http = createHostHttpServer({
    invoker,
    routes,
    routePrefix: settings.hostJson.routePrefix,
    keys: settings.keys,
    logger: logger.child({ component: 'http' }),
    limits: settings.httpLimits,
  });
  const port = await listen(http, settings.port, hostname);
  const urlHost = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname.includes(':') ? `[${hostname}]` : hostname;
  // durable-functions rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME names the host (func sets it).
  // eslint-disable-next-line no-restricted-syntax -- durable-functions reads it from process.env, where func puts it for its worker
  if (!process.env.WEBSITE_HOSTNAME) process.env.WEBSITE_HOSTNAME = `${urlHost}:${port}`;
  return { http, url: `http://${urlHost}:${port}` };
}

/** The Durable webhooks over the engine, served by `http` and handed to durableClient bindings. */
function attachDurableApi(settings: HostSettings, engine: DurableEngineRuntime, invoker: AppInvoker, http: HostHttpServer, url: string): DurableHttpApi {
  const { keys } = settings;
  const durableApi = createDurableHttpApi(engine, {
    baseUrl: url,
    taskHubName: settings.taskHubName,
    connectionName: 'AzureWebJobsStorage',
    systemKey: keys.system,
    alsoAcceptedKeys: keys.master !== undefined ? [keys.master] : [],
    logger: settings.logger.child({ component: 'durable-http' }),
    clock: settings.clock,
    hasOrchestration: (name) => invoker.hasOrchestration(name),
    admitBody: (req, res) => http.admitDurableBody(req, res),
  });
  http.durableApi = durableApi;
  invoker.durableClientData = () => durableApi.clientBindingData();
  return durableApi;
}

/** stop(): intake first (HTTP, timers), then the engine, then appTerminate hooks; gives up waiting after 10 s. */
function stopperOf(parts: { app: WorkerApp; http: HostHttpServer; timers: TimerScheduler; engine: DurableEngineRuntime; threads: EpisodeThreads | undefined; logger: Logger; deadlineMs: number }): () => Promise<void> {
  const { app, http, timers, engine, threads, logger, deadlineMs } = parts;
  const steps = async (): Promise<void> => {
    http.ready = false;
    // A timer function still running (the schedule starter retrying at start-up) is not waited for past
    // TIMERS_GRACE_MS: the engine must still shut down (release its lease) before the stop deadline.
    await Promise.allSettled([settledWithin(timers.stop(), TIMERS_GRACE_MS), http.close(5_000)]);
    try {
      await engine.shutdown();
    } catch (err) {
      logger.warn({ err }, 'durable engine shutdown failed');
    }
    await threads?.close();
    try {
      await runInApp(app, () => app.runHooks('appTerminate', hookContext(app, {})));
    } catch (err) {
      logger.warn({ err }, 'appTerminate hook failed');
    }
    releaseApp(app);
  };
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn(`host did not stop within ${deadlineMs} ms; giving up waiting`);
          resolve();
        }, deadlineMs);
        timer.unref();
      });
      await Promise.race([steps(), deadline]);
      if (timer) clearTimeout(timer);
    })();
    return stopping;
  };
}

/** What host.json says of the engine. */
function engineTuning(hostJson: HostJsonSettings): EngineTuning {
  return { ...hostJson.concurrency, ...(hostJson.partitionCount !== undefined ? { partitionCount: hostJson.partitionCount } : {}) };
}

/** The orchestrator threads, when asked for: episodes go to them from the start (each takes them once loaded). */
function openEpisodeThreads(options: StartHostOptions, settings: HostSettings, invoker: AppInvoker, appLogger: Logger, ignoreUnsupported: boolean): EpisodeThreads | undefined {
  const count = options.orchestratorThreads ?? 0;
  if (count <= 0) return undefined;
  const inHostThread = invoker.episodes;
  const threads = EpisodeThreads.open({ count, appDir: options.appDir, env: settings.env, ignoreUnsupported, logger: appLogger, fallback: inHostThread });
  invoker.episodes = threads;
  settings.logger.info(`orchestrator episodes run in ${count} worker thread(s)`);
  return threads;
}

/**
 * Starts the embedded Functions host for an app written in the Node v4 programming model: loads the app,
 * runs the durable engine, serves HTTP triggers and the Durable webhooks, runs appStart hooks, starts timers.
 */
export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const settings = hostSettings(options);
  const { logger, clock, taskHubName } = settings;
  const appLogger = logger.child({ component: 'app' });
  const ignoreUnsupported = ignoreUnsupportedSetting(settings.env);
  const app = await loadApp(options.appDir, { logger: appLogger, ignoreUnsupported });
  const cleanups = cleanupList(logger);
  cleanups.push(() => releaseApp(app));
  try {
    const invoker = new AppInvoker(app);
    const threads = openEpisodeThreads(options, settings, invoker, appLogger, ignoreUnsupported);
    if (threads) cleanups.push(() => threads.close());
    const routes = buildHttpRoutes(invoker.functionsOfType('httpTrigger'), settings.env);
    const timerLogger = logger.child({ component: 'timer' });
    const timers = new TimerScheduler(invoker.functionsOfType('timerTrigger'), { invoker, clock, logger: timerLogger, env: settings.env });
    const engine = (options.engineFactory ?? createDurableEngine)({
      connectionString: options.connectionString,
      taskHubName,
      invoker,
      clock,
      logger,
      workerId: options.workerId ?? osHostname(),
      overridableExistingInstanceStates: settings.hostJson.overridableExistingInstanceStates,
    }, engineTuning(settings.hostJson));
    await engine.run();
    cleanups.push(() => engine.shutdown());
    await threads?.ready();
    const { http, url } = await serveHttp({ ...settings, port: options.port ?? 7071 }, invoker, routes);
    cleanups.push(() => http.close(2_000));
    const durableApi = attachDurableApi(settings, engine, invoker, http, url);
    http.ready = true;

    await runInApp(app, () => app.runHooks('appStart', hookContext(app, { functionAppDirectory: app.appDir }) satisfies AppStartContext));
    timers.start();
    cleanups.push(() => timers.stop());
    const functions = [...app.functions.values()].map((f) => ({ name: f.name, trigger: f.trigger.type }));
    const stop = stopperOf({ app, http, timers, engine, threads, logger, deadlineMs: options.stopDeadlineMs ?? STOP_DEADLINE_MS });
    return { url, engine, durableApi, taskHubName, functions, stop };
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}
