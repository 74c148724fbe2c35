import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Table service port; 0 picks a free one. */
  tablePort?: number;
  /** Blob service port (large payloads of the task hub); 0 picks a free one. */
  blobPort?: number;
  /** Folder for persistent data; omitted means in-memory (lost when the process ends). */
  location?: string;
  /** Where Azurite's own stdout/stderr go; default: discarded. */
  stdio?: 'ignore' | 'inherit';
  /**
   * Runs Azurite in its own process group, so a terminal's Ctrl-C reaches only the parent, which then stops
   * Azurite after the components that still write to it.
   */
  detached?: boolean;
}

export interface RunningAzurite {
  readonly tablePort: number;
  readonly blobPort: number;
  /** Connection string for the account, with explicit table and blob endpoints. */
  readonly connectionString: string;
  /** The table service's process. */
  readonly process: ChildProcess;
  /** The blob service's process (a second one, started in parallel: each service starts as fast as before). */
  readonly blobProcess: ChildProcess;
  /** Stops Azurite gracefully (its data is flushed; SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills Azurite at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

/**
 * The dev account's connection string. Without `blobPort` it names the table endpoint only: the task hub then has no
 * blob service and stores no large payloads (a proxy in front of the table service, in tests, is such a case).
 */
export function connectionStringFor(tablePort: number, host = '127.0.0.1', blobPort?: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    (blobPort !== undefined ? `BlobEndpoint=http://${host}:${blobPort}/${DEV_ACCOUNT};` : '') +
    `TableEndpoint=http://${host}:${tablePort}/${DEV_ACCOUNT};`
  );
}

/** Finds a free TCP port on loopback by binding port 0 and closing it again. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`azurite exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`azurite did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts Azurite's table and blob services from the `azurite` npm package (two processes, in parallel), on loopback. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const [tablePort, blobPort] = await Promise.all([options.tablePort || freePort(), options.blobPort || freePort()]);
  const common = ['--skipApiVersionCheck', '--disableTelemetry', '--loose', '--silent'];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    common.push('--location', path.resolve(options.location));
  } else {
    common.push('--inMemoryPersistence');
  }
  const table = spawnService(['--tableHost', '127.0.0.1', '--tablePort', String(tablePort), ...common], options);
  const blob = spawnService(['--blobHost', '127.0.0.1', '--blobPort', String(blobPort), ...common], options);
  try {
    await Promise.all([waitForPort(tablePort, table.child, 20_000), waitForPort(blobPort, blob.child, 20_000)]);
  } catch (err) {
    await Promise.all([table.kill(), blob.kill()]);
    throw err;
  }
  return {
    tablePort,
    blobPort,
    connectionString: connectionStringFor(tablePort, '127.0.0.1', blobPort),
    process: table.child,
    blobProcess: blob.child,
    async stop() {
      await Promise.all([table.stop(), blob.stop()]);
    },
    async kill() {
      await Promise.all([table.kill(), blob.kill()]);
    },
  };
}

interface ServiceProcess {
  child: ChildProcess;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** One Azurite service in its own process (azurite-process.ts picks the service from its arguments). */
function spawnService(args: string[], options: AzuriteOptions): ServiceProcess {
  const entry = require.resolve('./azurite-process.js');
  const output = options.stdio ?? 'ignore';
  const child = spawn(process.execPath, [entry, ...args], {
    stdio: ['ignore', output, output, 'ipc'],
    detached: options.detached ?? false,
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    async stop() {
      if (!running()) return;
      // Closing the IPC channel makes azurite-process close Azurite the graceful way.
      if (child.connected) child.disconnect();
      else child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}
