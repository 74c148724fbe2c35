/**
 * The simulated world of one seed: the real app on the embedded host (test-environment.ts, time skipping, no
 * Azurite), its engine on ONE memory store that outlives the hosts (behind a fault wrapper per host), a real
 * loopback sink whose answers the seed draws, and the virtual clock all hosts share. Restarts and crashes replace
 * the host; the store and the clock go on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDurableEngine } from '../../src/durable/engine.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import { createHostLogger } from '../../src/host/log-safety.js';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { VirtualClock } from '../../src/durable/clock/virtual-clock.js';
import { shareAppFiles, shareAppPackages } from '../../src/host/worker/load-app.js';
import { RecordingSink } from '../support/recording-sink.js';
import { replaceFile } from '../support/replace-file.js';
import { FaultyStores, type FaultRates } from './faulty-store.js';
import type { Prng } from './prng.js';

export const APP_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Virtual start of every history. */
export const SIM_START = Date.UTC(2030, 0, 1, 0, 0, 0);
/** Settings of the app in every history (real-time ones short, so faults cost little real time). */
export const SIM_SETTINGS = {
  SCHEDULE: '30s',
  SCHEDULE_NAME: 'env',
  DELIVERY_TIMEOUT: '300ms',
  DELIVERY_BACKOFF_DELAY: '1s',
  DELIVERY_MAX_BACKOFF: '5s',
  // Long enough that no tick of a history is ever too old to catch up: every due tick of a running schedule is owed.
  CATCH_UP_WINDOW: '1h',
};

/** The app's and the host's log level: SIM_LOG_LEVEL, else `warn` with --verbose (main.ts sets it), else silent. */
const simLogLevel = (): string => process.env.SIM_LOG_LEVEL ?? 'silent';

export type Log = (line: string) => void;

/**
 * Real time the world waits, at most, for the owner to take a write through the standby (README: within a second) or
 * for some host to hold the lease again, before virtual time may move. Only a hang guard: on a loaded machine these
 * take what the load makes them take, and virtual time waits for them, so that the history does not depend on the
 * machine's load (a pause applied late in virtual time would look like the app ignoring it). Past it, the history
 * fails naming what never came.
 */
const REAL_WAIT_GUARD_MS = 20_000;
/**
 * Every host loads the app afresh (its own files: config read at import, the sink breaker, the connection pool, the
 * sequences it saw, the file watcher: a restarted host knows nothing its predecessor knew, as a new process would),
 * and with it its own `@azure/functions` and `durable-functions` (where its functions and hooks are registered).
 * The other packages it uses (zod, undici, axios, yaml, cloudevents, pino, OpenTelemetry, ...) keep no state one
 * host's run could leave to the next (undici's global dispatcher and OpenTelemetry's globals live on globalThis,
 * shared in any case): they are loaded once per process, which saves most of a host's start-up.
 */
const PER_APP_PACKAGES = new Set(['@azure/functions', '@azure/functions-extensions-base', 'durable-functions']);
shareAppPackages((name) => !PER_APP_PACKAGES.has(name));
/**
 * The event source's pure core (schedules, fire times, ids, events, schemas: no I/O, no state but memo caches of pure
 * functions) is loaded once per process too: evaluating its schemas was about a quarter of a host's app load.
 */
const PURE_CORE = path.join(APP_ROOT, 'dist', 'src', 'eventsource', 'core') + path.sep;
shareAppFiles((file) => file.startsWith(PURE_CORE));

/**
 * A graceful stop that takes longer (the app's start-up retries sleep in real time, up to 15 s) gives up after this
 * long: the host is then gone as a killed process would be (see restart). 10 s in production; here it is real time
 * that no history uses, as virtual time stands still while a host stops.
 */
const STOP_DEADLINE_MS = 2_000;

export class World {
  readonly clock = new VirtualClock(SIM_START);
  readonly store = new MemoryStore();
  /**
   * Idle connections kept 5 s (node's default, as a real sink keeps them): deliveries reuse their connections, as they
   * do in production; with the sink's 1 s default (under undici's 2 s threshold) every attempt opened a new one.
   */
  readonly sink = new RecordingSink({ keepAliveTimeoutMs: 5_000 });
  env: TestEnvironment | undefined;
  stores: FaultyStores | undefined;
  /** A second host on the same store (it waits for the lease; calls through it reach the owner by the store). */
  standby: TestEnvironment | undefined;
  private standbyStores: FaultyStores | undefined;
  /** No more storage faults, on this host and the next ones. */
  calm = false;
  private hosts = 0;
  /** The schedules file (SCHEDULES_FILE) of every host of this world. */
  private readonly fileDir = mkdtempSync(path.join(tmpdir(), 'sim-schedules-'));
  readonly schedulesFile = path.join(this.fileDir, 'schedules.yaml');

  constructor(
    private readonly prng: Prng,
    private readonly faults: FaultRates,
    private readonly log: Log,
  ) {
    this.sink.now = () => this.clock.now();
    this.writeSchedulesFile(undefined);
  }

  /** The file holds one entry `filed` with this interval, or none. */
  writeSchedulesFile(every: string | undefined): void {
    const entries = every === undefined ? '[]' : `\n  - name: filed\n    every: ${every}\n    catchUp: { window: 1h, policy: all }`;
    replaceFile(this.schedulesFile, `schedules: ${entries}\n`);
  }

  get url(): string {
    if (!this.env) throw new Error('no host is running');
    return this.env.url;
  }

  /** The URL a call goes to: the standby's now and then, when there is one. */
  urlFor(prng: Prng): string {
    return this.standby && prng.chance(0.3) ? this.standby.url : this.url;
  }

  async start(withStandby: boolean): Promise<void> {
    await this.sink.start();
    const first = await this.startHost();
    this.env = first.env;
    this.stores = first.stores;
    if (withStandby) {
      const second = await this.startHost();
      this.standby = second.env;
      this.standbyStores = second.stores;
    }
  }

  /** A host on the shared store; one that crashes while starting is replaced by the next. */
  private async startHost(): Promise<{ env: TestEnvironment; stores: FaultyStores }> {
    for (;;) {
      const n = ++this.hosts;
      const stores = new FaultyStores(this.store, this.prng.fork(`host-${n}`), this.faults, (line) => this.log(`host ${n}: ${line}`));
      try {
        return { env: await this.startHostOn(n, stores), stores };
      } catch (error) {
        if (!stores.dead) throw error;
      }
    }
  }

  private async startHostOn(n: number, stores: FaultyStores): Promise<TestEnvironment> {
    stores.calm = this.calm;
    return createTestEnvironment({
      appDir: APP_ROOT,
      timeSkipping: true,
      virtualClock: this.clock,
      withoutAzurite: true,
      taskHubName: 'SimHub',
      logger: createHostLogger({ level: simLogLevel() }),
      stopDeadlineMs: STOP_DEADLINE_MS,
      // SIM_ORCHESTRATOR_THREADS=1: every host runs its orchestrator episodes in a worker thread.
      orchestratorThreads: Number(process.env.SIM_ORCHESTRATOR_THREADS ?? 0),
      env: { ...SIM_SETTINGS, LOG_LEVEL: simLogLevel(), K_SINK: this.sink.url, SCHEDULES_FILE: this.schedulesFile },
      engineFactory: (options) =>
        createDurableEngine(
          { ...options, workerId: `sim-host-${n}` },
          { leaseDurationMs: 600, leaseRenewEveryMs: 100, safetyScanIntervalMs: 1_000, wakePollIntervalMs: 100, shutdownGraceMs: 200, clientRetryBudgetMs: 200 },
          (control) => stores.open(control),
        ),
    });
  }

  becomeCalm(): void {
    this.calm = true;
    for (const stores of [this.stores, this.standbyStores]) if (stores) stores.calm = true;
  }

  /** The (first) host crashed (its store said so). A crashed standby stays down: the owner goes on. */
  crashed(): boolean {
    return this.stores?.dead === true;
  }

  /**
   * Stops the host and starts another on the same store. `crash`: the old host writes nothing more (its store refuses
   * everything, so it cannot release the lease either: the new one waits the lease out, in real time).
   */
  async restart(why: string, crash: boolean): Promise<void> {
    this.log(`${crash ? 'crash' : 'restart'} (${why})`);
    const old = this.env;
    this.env = undefined;
    const oldStores = this.stores;
    if (crash && oldStores) oldStores.dead = true;
    await old?.teardown();
    // A host that did not stop in time (stop() gives up after STOP_DEADLINE_MS) is gone as a killed process would be: nothing it
    // still runs reaches the store.
    if (oldStores) oldStores.dead = true;
    const next = await this.startHost();
    this.env = next.env;
    this.stores = next.stores;
  }

  /**
   * Virtual time moves by `ms`, every host idle at every due timer (as TestEnvironment.advanceTime does for one host:
   * with a standby, the owner may be either).
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await this.settle();
    await this.clock.advanceTo(target, () => this.settle());
  }

  /**
   * Until the world is still at this virtual time: the hosts idle, no wake mark left for the owner to take, and a host
   * holding the lease (else no timer would fire a step: time must not pass by unowned).
   */
  async settle(): Promise<void> {
    const hosts = [this.env, this.standby].filter((e): e is TestEnvironment => e !== undefined);
    do {
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      // Held steps wait as they would in production (for the next step or HOLD_MS of virtual time).
      await Promise.all(hosts.map((h) => h.host.engine.idle?.({ commitHeld: false }) ?? Promise.resolve()));
    } while ((await this.untilWakesTaken()) || (await this.untilLeaseHeld()));
  }

  /**
   * A write through a process that is not the owner leaves a wake mark that the owner takes within a second of REAL
   * time (its wake poll or safety scan): virtual time must not skip past it, as the real clock would not. Waits until
   * no mark is left; true when it waited, so the hosts are settled again. Not once the host crashed (as for the
   * lease): a mark it wrote while not yet the owner has no owner to take it until the driver replaces the host, and
   * the next host's settle waits for that one to take it.
   */
  private async untilWakesTaken(): Promise<boolean> {
    return this.waitReal('the owner to take a wake mark (a write through the standby)', async () => this.crashed() || (await this.store.scanMessages()).signals.wakes === 0);
  }

  /**
   * Waits (real time) until a running host holds the lease (see FaultyStores.holdsLease); true when it waited. Not
   * once the host crashed: the driver replaces it when this advance is over (time passes while it is down).
   */
  private untilLeaseHeld(): Promise<boolean> {
    const held = (): boolean => this.crashed() || this.stores?.holdsLease === true || this.standbyStores?.holdsLease === true;
    return this.waitReal('a host to hold the lease', () => Promise.resolve(held()));
  }

  private async waitReal(what: string, done: () => Promise<boolean>): Promise<boolean> {
    const deadline = Date.now() + REAL_WAIT_GUARD_MS;
    let waited = false;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`waited ${REAL_WAIT_GUARD_MS} ms of real time for ${what}`);
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return waited;
  }

  async stop(): Promise<void> {
    await this.standby?.teardown();
    await this.env?.teardown();
    await this.sink.stop();
    rmSync(this.fileDir, { recursive: true, force: true });
  }
}
