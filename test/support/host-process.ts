/**
 * The embedded host as a real child process (`node dist/src/host/main.js <appDir>`), for end-to-end tests that kill
 * it, stop it or let it ride out outages. Its stdout (JSON log lines) is kept for assertions and diagnostics.
 * The child gets a clean environment (PATH, HOME and the given settings): the host fills unset variables from the
 * app's local.settings.json, so a test sets every value it relies on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root: the app directory (package.json main = dist/src/functions/*.js). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(REPO_ROOT, 'dist', 'src', 'host', 'main.js');

/**
 * The settings of a 1 s schedule for resilience tests: storage, sink and hub from the caller, quick back-off so that
 * recovery shows within seconds, and the default 60 s catch-up window. `overrides` wins.
 */
export function scheduleSettings(
  storage: string,
  sink: string,
  taskHubName: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AzureWebJobsStorage: storage,
    K_SINK: sink,
    SCHEDULE: '1s',
    SCHEDULE_NAME: 'default',
    TaskHubName: taskHubName,
    CATCH_UP_WINDOW: '60s',
    DELIVERY_BACKOFF_DELAY: '500ms',
    DELIVERY_MAX_BACKOFF: '2s',
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

export interface HostProcessOptions {
  /** Settings of the host and the app; FUNCTIONS_PORT is set from `port`. */
  env: Record<string, string>;
  port: number;
  appDir?: string;
  /** Shown in diagnostics, e.g. `run 3`. */
  label?: string;
}

export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A parsed log line (pino JSON); lines that are not JSON come back as `{ msg: <the line> }`. */
export type LogRecord = Record<string, unknown> & { msg?: string };

const live = new Set<ChildProcess>();
// Safety net: a test that dies without its `finally` must not leave a host behind writing to a shared Azurite.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `everyMs` until it returns something other than undefined; rejects after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export class HostProcess {
  /** Every stdout line and (prefixed `stderr: `) stderr line, in arrival order. */
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  readonly port: number;
  readonly label: string;
  readonly startedAt = Date.now();
  /** When /api/healthz first answered (epoch ms), once waitReady() saw it. */
  readyAt: number | undefined;
  private readonly exitPromise: Promise<HostExit>;
  private exitInfo: HostExit | undefined;

  private constructor(options: HostProcessOptions) {
    this.port = options.port;
    this.label = options.label ?? `host :${options.port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...options.env,
      FUNCTIONS_PORT: String(options.port),
    };
    this.child = spawn(process.execPath, [MAIN, options.appDir ?? REPO_ROOT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.exitPromise = new Promise<HostExit>((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.lines.push(`stderr: ${line}`));
  }

  /** Spawns the host; it is not ready yet (see waitReady). */
  static spawn(options: HostProcessOptions): HostProcess {
    return new HostProcess(options);
  }

  /** Spawns the host and waits until /api/healthz answers 200. */
  static async start(options: HostProcessOptions, readyTimeoutMs = 30_000): Promise<HostProcess> {
    const host = HostProcess.spawn(options);
    try {
      await host.waitReady(readyTimeoutMs);
    } catch (error) {
      await host.kill9();
      throw error;
    }
    return host;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Exit code and signal, once the process has exited. */
  get exit(): HostExit | undefined {
    return this.exitInfo;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves when /api/healthz answers 200; rejects if the process exits first or after `timeoutMs`. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo) throw new Error(`${this.label} exited (${JSON.stringify(this.exitInfo)}) before it was ready\n${this.tail()}`);
      try {
        const response = await fetch(`${this.url}/api/healthz`, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        if (response.status === 200) {
          this.readyAt = Date.now();
          return;
        }
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${this.label} not ready within ${timeoutMs} ms\n${this.tail()}`);
      await sleep(50);
    }
  }

  /** Kills the process at once (SIGKILL), as a crash or an OOM kill would, and waits for it to be gone. */
  async kill9(): Promise<HostExit> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill('SIGKILL');
    return this.exitPromise;
  }

  /**
   * Graceful stop: SIGTERM, and the host must exit with code 0 within `timeoutMs` (10 s, the host's own limit).
   * If it does not, it is killed and this rejects with the log tail.
   */
  async stop(timeoutMs = 10_000): Promise<HostExit> {
    if (this.exitInfo) throw new Error(`${this.label} had already exited (${JSON.stringify(this.exitInfo)})\n${this.tail()}`);
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const result = await Promise.race([this.exitPromise, late]);
    clearTimeout(timer);
    if (result === 'late') {
      await this.kill9();
      throw new Error(`${this.label} did not exit within ${timeoutMs} ms of SIGTERM\n${this.tail()}`);
    }
    if (result.code !== 0) throw new Error(`${this.label} exited with ${JSON.stringify(result)} after SIGTERM, not code 0\n${this.tail()}`);
    return result;
  }

  /** Kills the process if it still runs (for `finally`): never throws. */
  async dispose(): Promise<void> {
    await this.kill9();
  }

  /** The log lines, parsed. */
  records(): LogRecord[] {
    return this.lines.map((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object') return parsed as LogRecord;
      } catch {
        // Not JSON: keep the text.
      }
      return { msg: line };
    });
  }

  /** The last `count` log lines, labelled, for failure messages. */
  tail(count = 40): string {
    const last = this.lines.slice(-count);
    return `--- last ${last.length} of ${this.lines.length} log lines of ${this.label} ---\n${last.join('\n')}`;
  }

  /** GET a JSON document from the host. */
  async getJson<T = unknown>(route: string, timeoutMs = 5_000): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${route}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the text itself.
    }
    return { status: response.status, body: body as T };
  }
}
