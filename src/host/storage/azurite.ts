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
  /** Connection string for the account, with an explicit table endpoint. */
  readonly connectionString: string;
  readonly process: ChildProcess;
  /** Stops Azurite gracefully (its data is flushed; SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills Azurite at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

export function connectionStringFor(tablePort: number, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
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

/** Starts Azurite's table service from the `azurite` npm package, on loopback only. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const tablePort = options.tablePort || (await freePort());
  const entry = require.resolve('./azurite-process.js');
  const args = [
    entry,
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(tablePort),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
    '--silent',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', path.resolve(options.location));
  } else {
    args.push('--inMemoryPersistence');
  }
  const output = options.stdio ?? 'ignore';
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', output, output, 'ipc'],
    detached: options.detached ?? false,
  });
  await waitForPort(tablePort, child, 20_000);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    tablePort,
    connectionString: connectionStringFor(tablePort),
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // Closing the IPC channel makes azurite-process close Azurite the graceful way.
        if (child.connected) child.disconnect();
        else child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
