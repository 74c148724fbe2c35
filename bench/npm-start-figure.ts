/**
 * `npm start` as a newcomer runs it on a built tree: time from the command to "events flowing" (ready) and to the
 * first event hello-events logs. Its own data folder, free ports and a 1 s schedule; stopped with SIGINT after.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../src/host/storage/azurite.js';
import { REPO_ROOT } from './host-runner.js';
import { round } from './stats.js';

export interface NpmStartResult {
  readyS: number | null;
  firstEventS: number | null;
  /** The ready time the launcher itself printed, if it did. */
  printedReady: string | null;
}

function npmCommand(): { command: string; args: string[] } {
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js') ? { command: process.execPath, args: [cli, 'start'] } : { command: 'npm', args: ['start'] };
}

export async function measureNpmStart(timeoutMs: number): Promise<NpmStartResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'des-bench-start-'));
  const { command, args } = npmCommand();
  const began = Date.now();
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      FUNCTIONS_PORT: String(await freePort()),
      HELLO_EVENTS_PORT: String(await freePort()),
      AZURITE_TABLE_PORT: String(await freePort()),
      SCHEDULE: '1s',
      K_SINK: '',
      SINK: '',
      AzureWebJobsStorage: '',
      TaskHubName: 'BenchNpmStart',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that SIGINT reaches npm and the launcher as a terminal's Ctrl-C would.
    detached: true,
  });
  const result: NpmStartResult = { readyS: null, firstEventS: null, printedReady: null };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const done = new Promise<void>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        const seconds = round((Date.now() - began) / 1000);
        if (/\[start\] events flowing/.test(line) && result.readyS === null) result.readyS = seconds;
        const printed = /\[start\] ready in ([\d.]+ s)/.exec(line);
        if (printed) result.printedReady = printed[1]!;
        if (/\[hello-events\] event received/.test(line) && result.firstEventS === null) {
          result.firstEventS = seconds;
          resolve();
        }
      });
    }
    void exited.then(() => resolve());
    setTimeout(resolve, timeoutMs).unref();
  });
  try {
    await done;
  } finally {
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}
