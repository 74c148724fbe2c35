/**
 * `npm start` (dist/src/launcher/main.js) as a child process, for every test of it: its output lines are kept,
 * a line can be waited for, and it is stopped with Ctrl-C (SIGINT) like a user stops it, killed if it lingers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class LauncherRun {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  /** The exit code once the launcher has exited (null after a signal). */
  readonly exited: Promise<number | null>;
  private waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [path.join(ROOT, 'dist/src/launcher/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        live.delete(this.child);
        resolve(code);
      }),
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        this.lines.push(line);
        for (const waiter of [...this.waiters]) {
          if (waiter.pattern.test(line)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      });
    }
  }

  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs).unref();
    });
  }

  tail(count = 40): string {
    return `--- last lines of npm start ---\n${this.lines.slice(-count).join('\n')}`;
  }

  /** Ctrl-C, as a user stops it; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
