import type { AddressInfo } from 'node:net';
import { ConfigError, readConfig } from './config.js';
import { createLogger } from './logger.js';
import { createServer } from './server.js';
import { DedupWindow } from './dedup-window.js';
import { createTracerProvider } from './tracing-setup.js';

/** Requests still running this long after SIGTERM are cut off (Kubernetes' grace period is 30 s). */
const SHUTDOWN_GRACE_MS = 10_000;

const logger = createLogger();

function main(): void {
  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal({ code: error.code, field: error.field }, error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  }

  const { provider, exporting } = createTracerProvider(process.env);
  const tracer = provider.getTracer('hello-events');
  const server = createServer({ logger, dedupWindow: new DedupWindow(config.dedup), tracer });
  server.on('error', (error: NodeJS.ErrnoException) => {
    logger.fatal({ code: error.code }, `cannot listen on ${config.host}:${config.port}: ${error.message}`);
    process.exitCode = 1;
  });
  server.listen(config.port, config.host, () => {
    const address = server.address() as AddressInfo;
    const { maxEntries, maxAgeMs } = config.dedup;
    logger.info({ host: address.address, port: address.port, dedup: { maxEntries, seconds: maxAgeMs / 1000 }, exportingTraces: exporting }, 'hello-events listening');
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // close() stops accepting and waits for in-flight requests; idle keep-alive sockets are closed now.
    server.close((error) => {
      if (error) logger.error({ err: error }, 'server close failed');
      process.exitCode = error ? 1 : 0;
      // The last spans are exported before the process goes (with no exporter this resolves at once).
      provider
        .shutdown()
        .catch((flushError: unknown) => logger.warn({ err: flushError }, 'exporting the last spans failed'))
        .finally(() => {
          // An IPC channel to a supervisor would keep the process alive after the server is done.
          if (process.connected) process.disconnect();
        });
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by a supervisor over an IPC channel (npm start): when it goes away, even by kill -9, stop cleanly.
  process.once('disconnect', () => stop('SIGTERM'));
}

main();
