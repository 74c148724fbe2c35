/**
 * The real app in the embedded host (a child process) on a real Azurite, running a 1 s schedule that posts to
 * recording sinks: `withScheduledHost` for one test's run, `startScheduledHost` for a target that attack and fuzz
 * tests share (`rssMb()` reads the host's resident memory from /proc).
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

export interface HostRunOptions {
  /** Shown in diagnostics. */
  label: string;
  taskHubName: string;
  /** Started here, stopped afterwards; `sinks[0]` is K_SINK. A test sets their failures before or during the run. */
  sinks: RecordingSink[];
  /** Settings over scheduleSettings (a 1 s schedule), once the sinks have their URLs. */
  settings?: () => Record<string, string>;
  /** Instead of scheduleSettings and `settings`: the whole environment, given Azurite's connection string. */
  env?: (connectionString: string) => Record<string, string>;
  /** Log lines shown when the run fails (default 40). */
  tailLines?: number;
}

export interface HostRun {
  azurite: RunningAzurite;
  host: HostProcess;
  /** Kills the host if it still runs, then stops the sinks and Azurite. */
  stop(): Promise<void>;
}

/** Azurite, the sinks and the host, started in that order; if the host does not start, the others are stopped. */
export async function launchScheduledHost(options: HostRunOptions): Promise<HostRun> {
  const azurite = await startAzurite();
  const stopSinks = async (): Promise<void> => {
    for (const sink of options.sinks) await sink.stop();
  };
  try {
    for (const sink of options.sinks) await sink.start();
    const main = options.sinks[0];
    if (!main) throw new Error('a scheduled host needs a sink for K_SINK');
    const env = options.env?.(azurite.connectionString) ?? scheduleSettings(azurite.connectionString, main.url, options.taskHubName, options.settings?.());
    const host = await HostProcess.start({ port: await freePort(), label: options.label, env });
    return {
      azurite,
      host,
      async stop() {
        try {
          await host.dispose();
        } finally {
          await stopSinks();
          await azurite.stop();
        }
      },
    };
  } catch (error) {
    await stopSinks();
    await azurite.stop();
    throw error;
  }
}

/**
 * Runs `body` against the app on the embedded host (a child process) on a real Azurite, posting to loopback sinks;
 * shows the host's log tail if it fails, and stops everything afterwards.
 */
export async function withScheduledHost(options: HostRunOptions, body: (host: HostProcess, azurite: RunningAzurite) => Promise<void>): Promise<void> {
  const run = await launchScheduledHost(options);
  try {
    await body(run.host, run.azurite);
  } catch (error) {
    console.error(run.host.tail(options.tailLines ?? 40));
    throw error;
  } finally {
    await run.stop();
  }
}

/** A target for attack and fuzz tests: the host listening on 127.0.0.1, once it has delivered two events. */
export async function startScheduledHost(taskHubName: string, env: Record<string, string> = {}): Promise<ScheduledHost> {
  const sink = new RecordingSink();
  const run = await launchScheduledHost({ label: taskHubName, taskHubName, sinks: [sink], settings: () => ({ HOST: '127.0.0.1', ...env }) });
  try {
    await sink.waitFor(2, 30_000);
  } catch (error) {
    await run.stop();
    throw error;
  }
  const { host, azurite } = run;
  return {
    azurite,
    sink,
    host,
    rssMb: () => rssMbOf(host.child.pid as number),
    async stop() {
      try {
        if (host.running) await host.stop();
      } finally {
        await run.stop();
      }
    },
  };
}

/** Starts one host of a series, with these settings over scheduleSettings; it is stopped with the others. */
export type StartHost = (label: string, settings?: Record<string, string>) => Promise<HostProcess>;

/**
 * Several hosts, one after another, on one Azurite and one sink (a restart with other settings, a second start):
 * `body` starts each with `startHost`; on failure every host's log tail is shown; all are stopped afterwards.
 */
export async function withSuccessiveHosts(
  options: { taskHubName: string; sink: RecordingSink },
  body: (startHost: StartHost, azurite: RunningAzurite) => Promise<void>,
): Promise<void> {
  const hosts: HostProcess[] = [];
  const azurite = await startAzurite();
  try {
    await options.sink.start();
    const startHost: StartHost = async (label, settings) => {
      const env = scheduleSettings(azurite.connectionString, options.sink.url, options.taskHubName, settings);
      const host = await HostProcess.start({ port: await freePort(), label, env });
      hosts.push(host);
      return host;
    };
    await body(startHost, azurite);
  } catch (error) {
    for (const host of hosts) process.stderr.write(`--- ${host.tail(20)}\n`);
    throw error;
  } finally {
    for (const host of hosts) await host.dispose();
    await options.sink.stop();
    await azurite.stop();
  }
}
