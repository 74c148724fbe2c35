/**
 * Request/response over a child process's IPC channel, for the bench's helper processes (sink, delay proxy):
 * the parent sends `{ id, cmd, args }`, the child answers `{ id, result }` or `{ id, error }`.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

export class IpcChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: Reply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('helper process exited'));
      this.pending.clear();
    });
  }

  /** Forks a compiled module (a .js path) and waits for its first message, `{ ready: ... }`. */
  static async start<T>(modulePath: string, env: NodeJS.ProcessEnv = {}): Promise<{ ipc: IpcChild; ready: T }> {
    const child = fork(modulePath, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<T>((resolve, reject) => {
      child.once('message', (message: { ready: T }) => resolve(message.ready));
      child.once('exit', (code) => reject(new Error(`${modulePath} exited (${code}) before it was ready`)));
    });
    return { ipc: new IpcChild(child), ready };
  }

  request<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, cmd, args });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The child's side: answers requests with `handler` and announces itself with `{ ready }`. */
export function serveIpc(ready: unknown, handler: (cmd: string, args: Record<string, unknown>) => unknown): void {
  process.on('message', (message: { id: number; cmd: string; args: Record<string, unknown> }) => {
    try {
      process.send?.({ id: message.id, result: handler(message.cmd, message.args) });
    } catch (error) {
      process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // The bench went away (even by kill -9): so does the helper.
  process.once('disconnect', () => process.exit(0));
  process.send?.({ ready });
}
