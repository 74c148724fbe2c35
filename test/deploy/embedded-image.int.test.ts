/**
 * The embedded image's app folder, laid out from the Dockerfile's COPY lines of the `embedded` target, run the way its
 * CMD runs it (working directory = WORKDIR, the image's ENV, PORT, a host key) against a real Azurite and a real
 * sink. Docker cannot run here; this shows the layout is complete and the entry point works from it. node_modules is
 * this machine's (it has dev packages too): dockerfile.int.test.ts checks that the image's production set is enough.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startAzurite } from '../../src/host/storage/azurite.js';
import { RecordingSink } from '../support/recording-sink.js';
import { until } from '../support/host-process.js';
import { REPO_ROOT } from './manifests.js';
import { args, envOf, localSourceOf, parseDockerfile, stage } from './dockerfile.js';

const stages = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const embedded = stage(stages, 'embedded');
const workdir = args(embedded, 'WORKDIR').at(-1) ?? '/';

/** Copies what the stage's COPY lines put under WORKDIR into `root`; node_modules becomes a link to this machine's. */
function layOut(root: string): void {
  for (const copy of args(embedded, 'COPY')) {
    const paths = copy.split(/\s+/).filter((p) => !p.startsWith('--'));
    const rawDestination = paths.at(-1) ?? '';
    const destination = path.posix.resolve(workdir, rawDestination);
    const sources = paths.slice(0, -1);
    for (const source of sources) {
      const landed = sources.length > 1 || rawDestination.endsWith('/') ? path.posix.join(destination, path.posix.basename(source)) : destination;
      const inRoot = path.join(root, path.posix.relative(workdir, landed));
      mkdirSync(path.dirname(inRoot), { recursive: true });
      if (path.posix.basename(landed) === 'node_modules') {
        symlinkSync(path.join(REPO_ROOT, 'node_modules'), inRoot);
        continue;
      }
      const local = localSourceOf(stages, embedded, landed);
      assert.ok(local, `COPY ${copy}: no local source for ${landed}`);
      cpSync(local, inRoot, { recursive: true });
    }
  }
}

/** Every file under `root` with its size and mtime, node_modules (a link to this machine's) left out. */
function snapshot(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((name) => !name.startsWith('node_modules'))
    .map((name) => {
      const stat = statSync(path.join(root, name));
      return `${name} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

test('the embedded image layout starts as its CMD runs it, ticks to the sink, keeps the API keyed, stops on SIGTERM', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'embedded-image-'));
  const azurite = await startAzurite();
  const sink = await new RecordingSink().start();
  const lines: string[] = [];
  let exited: number | null | undefined;
  const [command, ...cmdArgs] = JSON.parse(args(embedded, 'CMD').at(-1) ?? '[]') as string[];
  assert.equal(command, 'node');
  layOut(root);
  const before = snapshot(root);
  const port = await freePort();
  const key = randomBytes(24).toString('hex');
  const child = spawn(process.execPath, cmdArgs, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...Object.fromEntries(envOf(embedded)),
      // What k8s/embedded sets, with loopback and a free port for a test (the image default is 0.0.0.0:8080).
      PORT: String(port),
      HOST: '127.0.0.1',
      AzureWebJobsStorage: azurite.connectionString,
      TaskHubName: 'EmbeddedImageLayout',
      FUNCTIONS_HOST_KEY: key,
      K_SINK: sink.url,
      SCHEDULE: '1s',
      SCHEDULE_NAME: 'default',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exited = code))));
  try {
    const url = `http://127.0.0.1:${port}`;
    await until(
      'healthz',
      async () => {
        if (exited !== undefined) throw new Error(`host exited ${exited}\n${lines.join('')}`);
        const response = await fetch(`${url}/api/healthz`).catch(() => undefined);
        await response?.arrayBuffer();
        return response?.status === 200 ? true : undefined;
      },
      30_000,
    );
    await sink.waitFor(1, 20_000);
    const anonymous = await fetch(`${url}/api/schedules`);
    await anonymous.arrayBuffer();
    assert.equal(anonymous.status, 401);
    const keyed = await fetch(`${url}/api/schedules`, { headers: { 'x-functions-key': key } });
    assert.equal(keyed.status, 200, await keyed.text());
    child.kill('SIGTERM');
    assert.equal(await exit, 0, lines.join(''));
    // k8s/embedded mounts the root filesystem read-only: the host must not write into its app folder.
    assert.deepEqual(snapshot(root), before);
  } finally {
    if (exited === undefined) child.kill('SIGKILL');
    await sink.stop();
    await azurite.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
