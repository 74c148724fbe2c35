import type { Logger } from 'pino';
import { isTerminal, SystemClock, VirtualClock, type Clock, type RuntimeStatus } from '../../durable/index.js';
import { createHostLogger } from '../log-safety.js';
import { startHost, type EngineFactory, type RunningHost } from '../host.js';
import { DEV_ACCOUNT, DEV_KEY, startAzurite, type RunningAzurite } from '../storage/azurite.js';

export interface TestEnvironmentOptions {
  appDir: string;
  /** Use a VirtualClock the test advances (durable timers, timer triggers); default false (system clock). */
  timeSkipping?: boolean;
  /** Start time of the virtual clock (epoch ms or Date); default the VirtualClock's own default. */
  startTime?: number | Date;
  /** With time skipping: this virtual clock instead of a new one (a restarted host goes on at the same time). */
  virtualClock?: VirtualClock;
  /**
   * No Azurite: the `engineFactory` brings its own store (e.g. the memory store); the app still gets a well-formed
   * development connection string that nothing connects to. Default false.
   */
  withoutAzurite?: boolean;
  /** App settings, set in process.env while the environment lives (restored by teardown). */
  env?: Record<string, string>;
  taskHubName?: string;
  /** Host key; default none (all functions anonymous). */
  key?: string;
  /** Default: pino at LOG_LEVEL or `warn`. */
  logger?: Logger;
  /** For tests of the host itself: replaces the durable engine factory. */
  engineFactory?: EngineFactory;
  /** Passed to startHost: how long the host's stop() waits before giving up (default 10 s). */
  stopDeadlineMs?: number;
  /** Passed to startHost: worker threads for orchestrator episodes (default 0). */
  orchestratorThreads?: number;
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestEnvironment {
  /** Undefined with `withoutAzurite`. */
  readonly azurite: RunningAzurite | undefined;
  readonly host: RunningHost;
  /** The host's clock: a VirtualClock when time skipping, else the system clock. */
  readonly clock: Clock;
  /** The VirtualClock when time skipping. */
  readonly virtualClock: VirtualClock | undefined;
  /** Base URL of the host, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /**
   * Moves virtual time forward (time skipping only): waits until the engine is idle, then jumps to the next due
   * timer, fires it, waits until the engine is idle again, and so on up to `now + ms`. Work started by a timer
   * (storage I/O, activities, the timers it schedules) is done before time moves past it.
   */
  advanceTime(ms: number): Promise<void>;
  /** fetch() against the host; `path` may be absolute (`/api/x`) or a full URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  getJson<T = unknown>(path: string, init?: RequestInit): Promise<JsonResponse<T>>;
  postJson<T = unknown>(path: string, body: unknown, init?: RequestInit): Promise<JsonResponse<T>>;
  /**
   * Polls a durable status URL (e.g. statusQueryGetUri) until runtimeStatus is terminal. When time skipping,
   * virtual time jumps to the next due timer between polls (like Temporal's automatic time skipping).
   * Rejects after `timeoutMs` (default 30 s) of real time.
   */
  waitForCompletion<T = Record<string, unknown>>(statusUrl: string, options?: { timeoutMs?: number }): Promise<T>;
  /** Stops the host, then Azurite; restores process.env. Safe to call twice. */
  teardown(): Promise<void>;
}

/** The development account on a port nothing listens on: for an app whose engine brings its own store. */
const UNUSED_STORAGE = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:9/${DEV_ACCOUNT};BlobEndpoint=http://127.0.0.1:9/${DEV_ACCOUNT}`;

async function readJson<T>(response: Response): Promise<JsonResponse<T>> {
  const text = await response.text();
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/* eslint-disable no-restricted-syntax -- the app under test runs in this process and reads its settings from process.env */
/** Sets app settings in process.env; the returned function puts the old values back. */
function overrideEnv(vars: Record<string, string>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(vars)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    saved.clear();
  };
}
/* eslint-enable no-restricted-syntax */

/** Azurite (unless `withoutAzurite`), then the host on it; if the host does not start, Azurite is stopped again. */
async function startStack(options: TestEnvironmentOptions, clock: Clock, logger: Logger): Promise<{ azurite: RunningAzurite | undefined; host: RunningHost }> {
  const azurite = options.withoutAzurite ? undefined : await startAzurite();
  try {
    const host = await startHost({
      appDir: options.appDir,
      port: 0,
      hostname: '127.0.0.1',
      connectionString: azurite?.connectionString ?? UNUSED_STORAGE,
      taskHubName: options.taskHubName,
      clock,
      key: options.key,
      logger,
      workerId: 'test-host',
      engineFactory: options.engineFactory,
      stopDeadlineMs: options.stopDeadlineMs,
      orchestratorThreads: options.orchestratorThreads,
    });
    return { azurite, host };
  } catch (err) {
    await azurite?.stop();
    throw err;
  }
}

/** Between due timers: let callbacks run, then wait until the engine has finished what they started. */
function settlerOf(host: RunningHost): () => Promise<void> {
  return async () => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    await host.engine.idle?.();
  };
}

/** TestEnvironment.waitForCompletion: polls, and under time skipping jumps to the next due timer between polls. */
async function pollUntilTerminal<T>(url: string, virtualClock: VirtualClock | undefined, settle: () => Promise<void>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await readJson<Record<string, unknown>>(await fetch(url));
    if (status >= 400 && status !== 404) throw new Error(`status query answered ${status}: ${JSON.stringify(body)}`);
    if (typeof body === 'object' && body && isTerminal(body.runtimeStatus as RuntimeStatus)) return body as T;
    if (Date.now() > deadline) throw new Error(`instance not finished in time; last status ${JSON.stringify(body)}`);
    const next = virtualClock?.nextDue();
    if (virtualClock && next !== undefined) {
      await settle();
      await virtualClock.advanceTo(Math.max(next, virtualClock.now()), settle);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A real Azurite (in memory, free port) and the embedded host running the app (free port), like Temporal's
 * TestWorkflowEnvironment: with `timeSkipping`, hours of timers run in as long as the work takes.
 */
export async function createTestEnvironment(options: TestEnvironmentOptions): Promise<TestEnvironment> {
  const logger = options.logger ?? createHostLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const virtualClock = options.timeSkipping ? (options.virtualClock ?? new VirtualClock(options.startTime)) : undefined;
  if (options.withoutAzurite && !options.engineFactory) throw new Error('withoutAzurite needs an engineFactory that brings its own store');
  const clock: Clock = virtualClock ?? new SystemClock();
  const restoreEnv = overrideEnv(options.env ?? {});
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack(options, clock, logger);
  } catch (err) {
    restoreEnv();
    throw err;
  }
  const { azurite, host } = stack;
  const settle = settlerOf(host);
  const toUrl = (path: string): string => (/^https?:\/\//.test(path) ? path : `${host.url}${path}`);
  let tornDown: Promise<void> | undefined;
  return {
    azurite,
    host,
    clock,
    virtualClock,
    url: host.url,
    async advanceTime(ms: number) {
      if (!virtualClock) throw new Error('advanceTime needs createTestEnvironment({ timeSkipping: true })');
      const target = virtualClock.now() + ms;
      await settle();
      await virtualClock.advanceTo(target, settle);
    },
    fetch: (path, init) => fetch(toUrl(path), init),
    getJson: async <T>(path: string, init?: RequestInit) => readJson<T>(await fetch(toUrl(path), { ...init, method: init?.method ?? 'GET' })),
    async postJson<T>(path: string, body: unknown, init?: RequestInit) {
      const headers = new Headers(init?.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return readJson<T>(await fetch(toUrl(path), { ...init, method: 'POST', headers, body: JSON.stringify(body) }));
    },
    waitForCompletion: (statusUrl, opts = {}) => pollUntilTerminal(toUrl(statusUrl), virtualClock, settle, opts.timeoutMs ?? 30_000),
    teardown() {
      tornDown ??= (async () => {
        try {
          await host.stop();
        } finally {
          await azurite?.stop();
          restoreEnv();
        }
      })();
      return tornDown;
    },
  };
}
