/**
 * The embedded host with the same app, settings and HTTP surface as `node dist/src/host/main.js <appDir>`, but its
 * durable engine on the engine's memory store (src/durable/store/memory) instead of Azure Tables: the bench's
 * `engine.memory` figure, which tells the host's own cost per tick from Azurite's. A bench tool, not a product mode:
 * everything is lost when the process ends. SIGUSR2 prints the line HOST_STORAGE_METRICS=1 makes the real host print
 * (no storage calls here), so that BenchHost measures it the same way; SIGTERM stops it cleanly (a profiled run).
 */
import { writeSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createDurableEngine } from '../src/durable/index.js';
import { MemoryStore } from '../src/durable/store/memory/memory-store.js';
import { startHost } from '../src/host/host.js';
import { applyLocalSettings, readLocalSettings } from '../src/host/local-settings.js';
import { createHostLogger } from '../src/host/log-safety.js';
import { orchestratorThreadsSetting } from '../src/host/worker/episode-threads.js';

function report(): void {
  const line = { storageMetrics: { calls: {}, total: 0 }, rssBytes: process.memoryUsage().rss, cpuMicros: process.cpuUsage(), at: Date.now() };
  writeSync(1, `${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const appDir = path.resolve(process.argv[2] ?? process.cwd());
  applyLocalSettings(readLocalSettings(appDir).values);
  const env = process.env;
  // As the host's main.ts: asynchronous stdout, so that the log line per tick costs what it costs there.
  const logger = createHostLogger({ level: env.LOG_LEVEL ?? 'info', name: 'host', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: false }));
  const store = new MemoryStore();
  const host = await startHost({
    appDir,
    port: Number(env.FUNCTIONS_PORT ?? 0),
    connectionString: env.AzureWebJobsStorage ?? '',
    taskHubName: env.TaskHubName || undefined,
    logger,
    orchestratorThreads: orchestratorThreadsSetting(env),
    // The engine's own calls and the app's client calls share the one store, as they share one task hub.
    engineFactory: (options) => createDurableEngine(options, {}, () => store),
  });
  process.on('SIGUSR2', report);
  process.once('SIGTERM', () => void host.stop().then(() => process.exit(0)));
  logger.info(`host on the memory store listening on ${host.url}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`memory-store host failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
