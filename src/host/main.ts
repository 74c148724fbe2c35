/**
 * Process entry of the embedded Functions host: `node dist/src/host/main.js [appDir]`.
 * Reads settings like `func start` (local.settings.json Values fill unset environment variables), starts the
 * host, and stops it cleanly on SIGTERM/SIGINT.
 */
import pino, { type Logger } from 'pino';
import { describeConnectionString, describeStorageAuthFailure } from './connection-string.js';
import { startHost, type RunningHost } from './host.js';
import { HostError } from './host-error.js';
import { isKeyless, loadHostKeys, type HostKeys } from './http/host-keys.js';
import { createHostLogger } from './log-safety.js';
import { limitHeapGrowth } from './heap-growth.js';
import { orchestratorThreadsSetting } from './worker/episode-threads.js';
import { loadAppFolder, logLevel } from './process-settings.js';
import { resolveStorageConnection } from './storage-settings.js';

/**
 * Asynchronous stdout: lines written while a write is in flight go out together in the next one (fewer system calls
 * under load; a line per tick cost about 5 % of the host's CPU written one by one). pino flushes it on exit; a kill -9
 * loses at most the write in flight.
 */
function createLogger(level: string): Logger {
  return createHostLogger({ level, name: 'host', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: false }));
}

// Replaced once the app's settings (local.settings.json included) have been read.
let logger: Logger = createLogger('info');

function portSetting(env: NodeJS.ProcessEnv, fallback: number | undefined): number {
  for (const name of ['FUNCTIONS_PORT', 'PORT'] as const) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new HostError('BAD_SETTING', `${name} must be a port number (0-65535), not "${raw}"`);
    }
    return port;
  }
  return fallback ?? 7071;
}

/** Which keys are in use, never a key itself. */
function describeKeys(keys: HostKeys): string {
  const functionKeys = [...keys.functions.values()].reduce((n, list) => n + list.length, 0);
  return [
    `keys: master ${keys.master !== undefined ? 'set' : 'not set (admin endpoints closed)'}`,
    `${keys.host.length} host key(s)`,
    `${functionKeys} function key(s)`,
    `system key ${keys.systemGenerated ? 'generated for this run (set FUNCTIONS_SYSTEM_KEY to call the Durable webhooks from outside)' : 'set'}`,
  ].join(', ');
}

async function main(): Promise<void> {
  // First, before the app and the engine allocate anything (heap-growth.ts).
  limitHeapGrowth();
  const env = process.env;
  const { appDir, local } = loadAppFolder(process.argv, env);
  logger = createLogger(logLevel(env));

  const connectionString = resolveStorageConnection(env.AzureWebJobsStorage);
  const port = portSetting(env, local.localHttpPort);
  const keys = loadHostKeys(env);
  const keyless = isKeyless(keys);
  const hostname = env.HOST || (keyless ? '127.0.0.1' : '0.0.0.0');
  const taskHubName = env.TaskHubName || undefined;
  const orchestratorThreads = orchestratorThreadsSetting(env);
  logger.info(`storage: ${describeConnectionString(connectionString)}`);

  // eslint-disable-next-line prefer-const -- a signal while the host starts reads it before it is assigned
  let host: RunningHost | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn(`${signal} again: exiting at once`);
      process.exit(1);
    }
    if (!host) {
      logger.info(`${signal}: stopping once started`);
      // Starting can wait on storage that is not there; a stop request must not wait with it for ever.
      setTimeout(() => {
        logger.warn('still starting 10 s after the stop request; exiting');
        process.exit(0);
      }, 10_000).unref();
      return;
    }
    logger.info(`${signal}: stopping`);
    const running = host;
    const timer = setTimeout(() => {
      logger.error('stop took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    running.stop().then(
      () => {
        logger.info('host stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'host stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Started by a supervisor over an IPC channel (npm start): when it goes away, even by kill -9, stop cleanly.
  process.once('disconnect', () => onSignal('SIGTERM'));

  host = await startHost({ appDir, port, hostname, connectionString, taskHubName, keys, logger, orchestratorThreads });
  if (signals > 0) {
    // A signal arrived while starting: honour it now.
    signals = 0;
    onSignal('SIGTERM');
    return;
  }
  logger.info(`${host.functions.length} functions loaded: ${host.functions.map((f) => `${f.name} (${f.trigger})`).join(', ')}`);
  logger.info(`task hub: ${host.taskHubName}`);
  logger.info(`host listening on ${host.url}${keyless ? ' (no keys: development mode, loopback callers only)' : ''}`);
  if (!keyless) logger.info(describeKeys(keys));
  // Under a supervisor (npm start): the proof that this process, not another program on the port, is listening.
  process.send?.({ listening: host.url });
}

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE';
}

main().catch((err: unknown) => {
  const message =
    isAddressInUse(err)
      ? `port ${(err as { port?: number }).port ?? portSetting(process.env, undefined)} is already in use by another program: stop it or set FUNCTIONS_PORT to a free port`
      : err instanceof HostError
      ? `${err.message} [${err.code}]`
      : (describeStorageAuthFailure(err) ?? (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)));
  logger.fatal(`host failed to start: ${message}`);
  process.exit(1);
});
