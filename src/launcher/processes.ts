import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { formatLine } from './log-lines.js';

export interface Component {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  stop(graceMs: number): Promise<void>;
}

/** Starts a Node entry point as a child and relays its output, one readable line per log record. */
export function startComponent(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  options: { cwd: string; raw: boolean },
): Component {
  // Own process group: a terminal's Ctrl-C reaches only the launcher, which stops the components one by one
  // (host first) with a single SIGTERM each. The IPC channel ties them to the launcher: if it dies, even by
  // kill -9, they see the channel close and stop cleanly instead of lingering on their ports.
  const child = spawn(process.execPath, [entry], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`${options.raw ? line : formatLine(name, line)}\n`);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    name,
    child,
    exited,
    async stop(graceMs: number) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        process.stdout.write(`[start] ${name} did not stop within ${graceMs / 1000} s of SIGTERM; killing it\n`);
        child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls an HTTP URL until it answers 2xx, the component exits, or time runs out. */
export async function waitUntilReady(url: string, component: Component, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void component.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${component.name} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${component.name} was not ready at ${url} within ${timeoutMs / 1000} s`);
}

/** The message the host process sends over its IPC channel once it listens (src/host/main.ts). */
export interface HostListening {
  listening: string;
}

function isListening(message: unknown): message is HostListening {
  return typeof message === 'object' && message !== null && typeof (message as { listening?: unknown }).listening === 'string';
}

/**
 * Ready means this launch's own host answered: its process says it listens (so no other program on the port can be
 * mistaken for it), then its health endpoint answers 2xx.
 */
export async function waitUntilHostReady(host: Component, healthUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${host.name} did not report listening within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if (!isListening(message)) return;
      clearTimeout(timer);
      host.child.off('message', onMessage);
      resolve();
    };
    host.child.on('message', onMessage);
    void host.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${host.name} exited before it was ready (its last lines say why)`));
    });
  });
  await waitUntilReady(healthUrl, host, Math.max(1_000, deadline - Date.now()));
}
