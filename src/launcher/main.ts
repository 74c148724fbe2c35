/**
 * `npm start`: the main job on one machine, without `func`. Starts Azurite (data under .data/, unless
 * AzureWebJobsStorage names another account), hello-events on 8080 (unless K_SINK or SINK names a sink), and the
 * embedded Functions host on 7071, prints a line per component as it becomes ready, then the events flowing.
 * Ctrl-C stops everything cleanly, host first so that no tick is cut off mid-way.
 */
import path from 'node:path';
import { createServer } from 'node:net';
import { freePort, startAzurite, type RunningAzurite } from '../host/storage/azurite.js';
import { startComponent, waitUntilReady, type Component } from './processes.js';

const root = path.resolve(__dirname, '..', '..', '..');
const raw = process.env.LOG_FORMAT === 'json';

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [start] ${message}\n`);
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const components: Component[] = [];
  let azurite: RunningAzurite | undefined;
  let stopping = false;

  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('stopping');
      // In list order: the host is always first (see startHostProcess).
      for (const component of [...components]) await component.stop(10_000);
      await azurite?.stop();
      say('stopped');
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // Whatever ends the launcher, its detached children must not outlive it.
  process.on('exit', () => {
    for (const component of components) component.child.kill('SIGKILL');
    azurite?.process.kill('SIGKILL');
    azurite?.blobProcess.kill('SIGKILL');
  });

  try {
    const hostPort = Number(env.FUNCTIONS_PORT ?? 7071);
    let restarts: number[] = [];
    let hostReady = false;
    // The host process is spawned first and loads its modules while storage and sink start; once they run it is
    // told where they are (the go message) and starts for real. A restarted host gets its go at once.
    const startHostProcess = (go?: NodeJS.ProcessEnv): Component => {
      const host = startComponent('host', path.join(root, 'dist/src/launcher/host-entry.js'), { ...env, FUNCTIONS_PORT: String(hostPort) }, { cwd: root, raw });
      // First in the list: stopAll stops the host before the others, so that no tick is cut off.
      components.unshift(host);
      if (go) host.child.send({ go });
      void host.exited.then((code) => {
        // A host that never became ready (a bad setting, say) is not restarted: its error line says why.
        if (stopping || !hostReady) return;
        components.splice(components.indexOf(host), 1);
        // Like a container runtime: a crashed host is started again and picks up where the task hub says.
        const now = Date.now();
        restarts = restarts.filter((t) => now - t < 60_000);
        if (restarts.length >= 5) {
          say(`host exited (${code}) 5 times within a minute; stopping`);
          void stopAll(1);
          return;
        }
        restarts.push(now);
        say(`host exited (${code}); starting it again`);
        startHostProcess({ ...env, FUNCTIONS_PORT: String(hostPort) });
      });
      return host;
    };
    const host = startHostProcess();

    const storage = (async () => {
      if (env.AzureWebJobsStorage) {
        say('using the storage account named by AzureWebJobsStorage');
        return;
      }
      const preferred = Number(env.AZURITE_TABLE_PORT ?? 10002);
      const preferredBlob = Number(env.AZURITE_BLOB_PORT ?? 10000);
      const [tablePort, blobPort] = await Promise.all([
        portIsFree(preferred).then((free) => (free ? preferred : freePort())),
        portIsFree(preferredBlob).then((free) => (free ? preferredBlob : freePort())),
      ]);
      const location = path.join(env.DATA_DIR ?? path.join(root, '.data'), 'azurite');
      azurite = await startAzurite({ tablePort, blobPort, location, detached: true });
      env.AzureWebJobsStorage = azurite.connectionString;
      say(`azurite ready: table service on http://127.0.0.1:${tablePort}, blob service on http://127.0.0.1:${blobPort}, data in ${path.relative(root, location) || location}`);
    })();
    const sink = (async () => {
      if (env.K_SINK || env.SINK) {
        say(`sending events to the sink named by ${env.K_SINK ? 'K_SINK' : 'SINK'}`);
        return;
      }
      const port = Number(env.HELLO_EVENTS_PORT ?? 8080);
      if (!(await portIsFree(port))) throw new Error(`port ${port} is in use: free it, or set K_SINK to the sink you want`);
      const hello = startComponent('hello-events', path.join(root, 'dist/src/hello-events/main.js'), { ...env, PORT: String(port), HOST: '127.0.0.1' }, { cwd: root, raw });
      components.push(hello);
      await waitUntilReady(`http://127.0.0.1:${port}/`, hello, 15_000);
      env.K_SINK = `http://127.0.0.1:${port}/`;
      say(`hello-events ready on http://127.0.0.1:${port}`);
    })();
    // Both settle before a failure is reported, so that stopAll knows every process that was started.
    const [storageDone, sinkDone] = await Promise.allSettled([storage, sink]);
    for (const done of [storageDone, sinkDone]) if (done.status === 'rejected') throw done.reason;

    host.child.send({ go: { ...env, FUNCTIONS_PORT: String(hostPort) } });
    await waitUntilReady(`http://127.0.0.1:${hostPort}/api/healthz`, host, 60_000);
    hostReady = true;
    say(`functions host ready on http://127.0.0.1:${hostPort} (try: curl http://127.0.0.1:${hostPort}/api/schedules)`);
    say(`dashboard: http://127.0.0.1:${hostPort}/api/dashboard`);
    // From the launcher's own start (after the build step, which prints its own time).
    say(`ready in ${(performance.now() / 1000).toFixed(1)} s`);
    say('events flowing; Ctrl-C stops everything');

    for (const component of components.filter((c) => c !== host)) {
      void component.exited.then((code) => {
        if (stopping) return;
        say(`${component.name} exited (${code}); stopping the rest`);
        void stopAll(1);
      });
    }
  } catch (error) {
    say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll(1);
  }
}

void main();
