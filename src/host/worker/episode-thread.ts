/**
 * A worker thread that runs orchestrator episodes (episode-threads.ts starts it). It loads the same app the host
 * loaded, as each worker process of the Functions host does, and answers each episode's trigger text with the
 * orchestrator state's text. Its log lines go to the host's app logger (the thread has no logger of its own to
 * configure), so a line an orchestrator writes reads the same wherever its episode ran.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type pino from 'pino';
import { HostError } from '../host-error.js';
import { createHostLogger } from '../log-safety.js';
import { AppInvoker } from './app-invoker.js';
import { loadApp } from './load-app.js';
import type { EpisodeReply, EpisodeRequest, ThreadData, ThreadNotice } from './episode-protocol.js';

function post(message: ThreadNotice | EpisodeReply): void {
  parentPort?.postMessage(message);
}

/** A pino logger whose lines (JSON) are posted to the host, which writes them through its own app logger. */
function forwardingLogger(level: string): pino.Logger {
  return createHostLogger({ level, base: undefined, timestamp: false }, { write: (line: string) => post({ kind: 'log', line }) });
}

async function serve(data: ThreadData): Promise<void> {
  const app = await loadApp(data.appDir, { logger: forwardingLogger(data.logLevel), ignoreUnsupported: data.ignoreUnsupported });
  const invoker = new AppInvoker(app);
  parentPort?.on('message', (batch: EpisodeRequest[]) => {
    for (const request of batch) {
      invoker.runEpisode(request.name, request.text, request.instanceId).then(
        (text) => post({ kind: 'episode', id: request.id, text }),
        (err: unknown) => post({ kind: 'episode', id: request.id, error: err instanceof Error ? err.message : String(err), code: err instanceof HostError ? err.code : undefined }),
      );
    }
  });
  post({ kind: 'ready' });
}

serve(workerData as ThreadData).catch((err: unknown) => {
  post({ kind: 'failed', error: err instanceof Error ? err.message : String(err) });
});
