/**
 * `npm start`: the main job on one machine, without `func`. Checks its ports and the event source's configuration
 * first, then starts Azurite (data under .data/, unless AzureWebJobsStorage names another account), hello-events
 * on 8080 (unless K_SINK or SINK names a sink), and the embedded Functions host on 7071, prints a line per
 * component as it becomes ready, then the events flowing. "Ready" is said only once the host process itself
 * reported that it listens, and its health endpoint answered. Ctrl-C stops everything cleanly, host first so that
 * no tick is cut off mid-way.
 */
import path from 'node:path';
import { freePort, startAzurite, type RunningAzurite } from '../host/storage/azurite.js';
import { checkConfiguration } from './preflight.js';
import { portIsFree, portOf, requireFreePorts, type PortSetting } from './ports.js';
import { startComponent, waitUntilHostReady, waitUntilReady, type Component } from './processes.js';

const root = path.resolve(__dirname, '..', '..', '..');
const raw = process.env.LOG_FORMAT === 'json';

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [start] ${message}\n`);
}

/** What the launcher started, and how it stops it: the host first (so that no tick is cut off), Azurite last. */
class Launch {
  readonly components: Component[] = [];
  azurite: RunningAzurite | undefined;
  stopping = false;

  async stopAll(code: number): Promise<never> {
    if (!this.stopping) {
      this.stopping = true;
      say('stopping');
      for (const component of [...this.components]) await component.stop(10_000);
      await this.azurite?.stop();
      say('stopped');
    }
    process.exit(code);
  }

  /** Whatever ends the launcher, its detached children must not outlive it. */
  killAll(): void {
    for (const component of this.components) component.child.kill('SIGKILL');
    this.azurite?.process.kill('SIGKILL');
    this.azurite?.blobProcess.kill('SIGKILL');
  }
}

/** Azurite on its preferred ports when free (else any free port), unless AzureWebJobsStorage names an account. */
async function startStorage(env: NodeJS.ProcessEnv, launch: Launch): Promise<void> {
  if (env.AzureWebJobsStorage) {
    say('using the storage account named by AzureWebJobsStorage');
    return;
  }
  const preferred = portOf(env, 'AZURITE_TABLE_PORT', 10002).port;
  const preferredBlob = portOf(env, 'AZURITE_BLOB_PORT', 10000).port;
  const [tablePort, blobPort] = await Promise.all([
    portIsFree(preferred).then((free) => (free ? preferred : freePort())),
    portIsFree(preferredBlob).then((free) => (free ? preferredBlob : freePort())),
  ]);
  const location = path.join(env.DATA_DIR ?? path.join(root, '.data'), 'azurite');
  launch.azurite = await startAzurite({ tablePort, blobPort, location, detached: true });
  env.AzureWebJobsStorage = launch.azurite.connectionString;
  say(`azurite ready: table service on http://127.0.0.1:${tablePort}, blob service on http://127.0.0.1:${blobPort}, data in ${path.relative(root, location) || location}`);
}

/** hello-events on its port (checked free before), unless K_SINK or SINK names the sink. */
async function startSink(env: NodeJS.ProcessEnv, launch: Launch, hello: PortSetting | undefined): Promise<void> {
  if (hello === undefined) {
    say(`sending events to the sink named by ${env.K_SINK ? 'K_SINK' : 'SINK'}`);
    return;
  }
  const component = startComponent('hello-events', path.join(root, 'dist/src/hello-events/main.js'), { ...env, PORT: String(hello.port), HOST: '127.0.0.1' }, { cwd: root, raw });
  launch.components.push(component);
  await waitUntilReady(`http://127.0.0.1:${hello.port}/`, component, 15_000);
  env.K_SINK = helloUrl(hello);
  say(`hello-events ready on http://127.0.0.1:${hello.port}`);
}

function helloUrl(hello: PortSetting): string {
  return `http://127.0.0.1:${hello.port}/`;
}

/**
 * The host process, restarted like a container runtime would when it crashes after it was ready (at most 5 times a
 * minute). It is spawned first and loads its modules while storage and sink start; its go message carries the
 * settings only known once they run. A host that never became ready is not restarted: its error line says why.
 */
class HostSupervisor {
  ready = false;
  private restarts: number[] = [];
  private goEnv: NodeJS.ProcessEnv | undefined;

  constructor(private readonly launch: Launch, private readonly hostPort: number) {}

  /** Spawns the host process; it waits for its go unless the settings are known already (a restart). */
  start(): Component {
    const env = { ...process.env, ...this.goEnv, FUNCTIONS_PORT: String(this.hostPort) };
    const host = startComponent('host', path.join(root, 'dist/src/launcher/host-entry.js'), env, { cwd: root, raw });
    this.launch.components.unshift(host);
    if (this.goEnv) host.child.send({ go: env });
    void host.exited.then((code) => this.onExit(host, code));
    return host;
  }

  /** Tells the waiting host the settings known once storage and sink run; a restarted host gets them at once. */
  go(host: Component, env: NodeJS.ProcessEnv): void {
    this.goEnv = { ...env, FUNCTIONS_PORT: String(this.hostPort) };
    host.child.send({ go: this.goEnv });
  }

  private onExit(host: Component, code: number | string): void {
    if (this.launch.stopping || !this.ready) return;
    this.launch.components.splice(this.launch.components.indexOf(host), 1);
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= 5) {
      say(`host exited (${code}) 5 times within a minute; stopping`);
      void this.launch.stopAll(1);
      return;
    }
    this.restarts.push(now);
    say(`host exited (${code}); starting it again`);
    this.start();
  }
}

/** The ports this launch will listen on, and the sink it will start (none when K_SINK or SINK names one). */
function plan(env: NodeJS.ProcessEnv): { host: PortSetting; hello: PortSetting | undefined } {
  const host = portOf(env, 'FUNCTIONS_PORT', 7071);
  const hello = env.K_SINK || env.SINK ? undefined : portOf(env, 'HELLO_EVENTS_PORT', 8080);
  if (hello !== undefined && hello.port === host.port) throw new Error(`HELLO_EVENTS_PORT and FUNCTIONS_PORT are both ${host.port}: give them different ports`);
  return { host, hello };
}

async function run(launch: Launch): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const ports = plan(env);
  await requireFreePorts([ports.host, ...(ports.hello ? [ports.hello] : [])]);
  checkConfiguration(root, env, ports.hello ? helloUrl(ports.hello) : undefined);

  const supervisor = new HostSupervisor(launch, ports.host.port);
  const host = supervisor.start();
  // Both settle before a failure is reported, so that stopAll knows every process that was started.
  const settled = await Promise.allSettled([startStorage(env, launch), startSink(env, launch, ports.hello)]);
  for (const done of settled) if (done.status === 'rejected') throw done.reason;

  supervisor.go(host, env);
  const url = `http://127.0.0.1:${ports.host.port}`;
  await waitUntilHostReady(host, `${url}/api/healthz`, 60_000);
  supervisor.ready = true;
  say(`functions host ready on ${url} (try: curl ${url}/api/schedules)`);
  say(`dashboard: ${url}/api/dashboard`);
  // From the launcher's own start (after the build step, which prints its own time).
  say(`ready in ${(performance.now() / 1000).toFixed(1)} s`);
  say('events flowing; Ctrl-C stops everything');
  for (const component of launch.components.filter((c) => c.name !== 'host')) {
    void component.exited.then((code) => {
      if (launch.stopping) return;
      say(`${component.name} exited (${code}); stopping the rest`);
      void launch.stopAll(1);
    });
  }
}

async function main(): Promise<void> {
  const launch = new Launch();
  process.on('SIGINT', () => void launch.stopAll(0));
  process.on('SIGTERM', () => void launch.stopAll(0));
  process.on('exit', () => launch.killAll());
  try {
    await run(launch);
  } catch (error) {
    say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
    await launch.stopAll(1);
  }
}

void main();
