/**
 * A target for attack and fuzz tests: the real app in the embedded host (a child process) on a real Azurite, running
 * a 1 s schedule that posts to a recording sink. `rssMb()` reads the host's resident memory from /proc.
 */
import { readFileSync } from 'node:fs';
import { freePort, startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { HostProcess, scheduleSettings } from './host-process.js';
import { RecordingSink } from './recording-sink.js';

export interface ScheduledHost {
  azurite: RunningAzurite;
  sink: RecordingSink;
  host: HostProcess;
  /** Resident memory of the host process (MB). */
  rssMb(): number;
  /** Stops the host (SIGTERM, exit 0 expected), the sink and Azurite. */
  stop(): Promise<void>;
}

export function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function startScheduledHost(taskHubName: string, env: Record<string, string> = {}): Promise<ScheduledHost> {
  const azurite = await startAzurite();
  const sink = new RecordingSink();
  let host: HostProcess | undefined;
  try {
    await sink.start();
    host = await HostProcess.start({
      port: await freePort(),
      label: taskHubName,
      env: { ...scheduleSettings(azurite.connectionString, sink.url, taskHubName), HOST: '127.0.0.1', ...env },
    });
    await sink.waitFor(2, 30_000);
  } catch (error) {
    await host?.dispose();
    await sink.stop();
    await azurite.stop();
    throw error;
  }
  const running = host;
  return {
    azurite,
    sink,
    host: running,
    rssMb: () => rssMbOf(running.child.pid as number),
    async stop() {
      try {
        if (running.running) await running.stop();
      } finally {
        await running.dispose();
        await sink.stop();
        await azurite.stop();
      }
    },
  };
}
