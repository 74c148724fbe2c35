/**
 * The CLI against a real `npm start` (Azurite, hello-events, the embedded host with a host key): every command does
 * what it says through the management API, prints for a person or for a program, and fails with one line and a
 * non-zero exit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../../src/host/storage/azurite.js';
import { LauncherRun } from '../support/launcher-run.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'durable-event-source.js');
const KEY = 'cli-test-host-key-0123456789abcdef';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('durable-event-source CLI against npm start', () => {
  let run: LauncherRun;
  let dir = '';
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'des-cli-'));
    const port = await freePort();
    run = new LauncherRun({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: path.join(dir, 'data'),
      FUNCTIONS_PORT: String(port),
      HELLO_EVENTS_PORT: String(await freePort()),
      AZURITE_TABLE_PORT: String(await freePort()),
      AZURITE_BLOB_PORT: String(await freePort()),
      FUNCTIONS_HOST_KEY: KEY,
      HOST: '127.0.0.1',
      SCHEDULE: '1s',
      TaskHubName: 'CliTest',
    });
    await run.waitForLine(/\[start\] events flowing/, 90_000);
    env = { EVENT_SOURCE_URL: `http://127.0.0.1:${port}`, EVENT_SOURCE_KEY: KEY };
  });
  after(async () => {
    await run.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('health and list', async () => {
    const health = await cli(['health'], env);
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stdout, /^ok$/m);
    const list = await cli(['schedules', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+STATUS\s+ORIGIN\s+SCHEDULE\s+NEXT FIRE\s+LAST$/m);
    assert.match(list.stdout, /^default\s+running\s+env\s+every 1s\s/m);
    // -o json: the API's summary per schedule, under the names describe gives them (describe has the rest).
    const json = await cli(['schedules', 'list', '-o', 'json'], env);
    const [summary] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(summary ?? {}).filter((k) => ['spec', 'recent', 'upcoming', 'runtimeStatus', 'schedule', 'timeZone', 'skippedTicks'].includes(k)), []);
    assert.equal(summary?.['every'], '1s');
  });

  test('create, describe, trigger, pause, resume, backfill, delete', async () => {
    const created = await cli(['schedules', 'create', 'cli-fast', '--every', '1s', '--type', 'dev.cli.test', '--data', '{"a":1}'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /schedule cli-fast (created|accepted)/);
    const described = await eventually('cli-fast shows its spec', async () => {
      const ran = await cli(['schedules', 'describe', 'cli-fast', '-o', 'json'], env);
      const body = JSON.parse(ran.stdout || '{}') as { spec?: { every?: string; event?: { type?: string } }; nextSequence?: number };
      return body.spec?.every === '1s' ? body : undefined;
    });
    assert.equal(described.spec?.event?.type, 'dev.cli.test');

    // A text event, as PingSource's --data: the text itself for a --content-type that is not JSON.
    const text = await cli(['schedules', 'create', 'cli-text', '--every', '1h', '--content-type', 'text/plain', '--data', 'hello'], env);
    assert.equal(text.code, 0, text.stderr);
    const shown = await eventually('cli-text shows its event', async () => {
      const ran = await cli(['schedules', 'describe', 'cli-text', '-o', 'json'], env);
      return (JSON.parse(ran.stdout || '{}') as { spec?: { event?: { contentType?: string; data?: unknown } } }).spec?.event;
    });
    assert.deepEqual([shown.contentType, shown.data], ['text/plain', 'hello']);
    assert.equal((await cli(['schedules', 'delete', 'cli-text'], env)).code, 0);

    const triggered = await cli(['schedules', 'trigger', 'cli-fast'], env);
    assert.equal(triggered.code, 0, triggered.stderr);
    assert.match(triggered.stdout, /schedule cli-fast triggered: event id \S+/);

    const paused = await cli(['schedules', 'pause', 'cli-fast', '--note', 'maintenance window'], env);
    assert.equal(paused.code, 0, paused.stderr);
    await eventually('the list shows cli-fast paused', async () => {
      const ran = await cli(['schedules', 'list', '--status', 'paused', '-o', 'yaml'], env);
      const rows = parseYaml(ran.stdout) as Array<{ name: string }>;
      return rows.some((row) => row.name === 'cli-fast') ? true : undefined;
    });
    const resumed = await cli(['schedules', 'resume', 'cli-fast'], env);
    assert.equal(resumed.code, 0, resumed.stderr);

    const from = new Date(Date.now() - 10_000).toISOString();
    const to = new Date(Date.now() - 5_000).toISOString();
    const backfilled = await cli(['schedules', 'backfill', 'cli-fast', '--from', from, '--to', to, '-o', 'json'], env);
    assert.equal(backfilled.code, 0, backfilled.stderr);
    assert.ok((JSON.parse(backfilled.stdout) as { ticks: number }).ticks >= 4);

    const deleted = await cli(['schedules', 'delete', 'cli-fast'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), 'schedule cli-fast deleted');
    const gone = await cli(['schedules', 'describe', 'cli-fast'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^durable-event-source: 404: /);
  });

  test('apply -f: the SCHEDULES_FILE format, defaults merged, each schedule PUT', async () => {
    const file = path.join(dir, 'schedules.yaml');
    writeFileSync(file, 'defaults:\n  event: { type: dev.cli.applied }\nschedules:\n  - name: applied-a\n    every: 5s\n  - name: applied-b\n    cron: "0 30 2 * * *"\n    timezone: Europe/Berlin\n');
    const applied = await cli(['schedules', 'apply', '-f', file], env);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    assert.match(applied.stdout, /^schedule applied-a (created|accepted)/m);
    assert.match(applied.stdout, /^schedule applied-b (created|accepted)/m);
    const b = await eventually('applied-b shows its spec', async () => {
      const ran = await cli(['schedules', 'describe', 'applied-b', '-o', 'json'], env);
      const body = JSON.parse(ran.stdout || '{}') as { spec?: { cron?: string; event?: { type?: string } } };
      return body.spec?.cron !== undefined ? body : undefined;
    });
    assert.equal(b.spec?.event?.type, 'dev.cli.applied');

    writeFileSync(file, 'schedules:\n  - name: bad\n    every: 10x\n');
    const refused = await cli(['schedules', 'apply', '-f', file], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /durable-event-source: .*schedules\.yaml: schedules\[0\] \(bad\)\.every: /);
  });

  test('failures: one line, non-zero exit', async () => {
    const noKey = await cli(['schedules', 'list'], { EVENT_SOURCE_URL: env.EVENT_SOURCE_URL });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /^durable-event-source: 401: .*--key or set EVENT_SOURCE_KEY/);
    const badField = await cli(['schedules', 'create', 'x', '--every', '1s', '--sink', 'http://169.254.169.254/'], env);
    assert.equal(badField.code, 1);
    assert.match(badField.stderr, /^durable-event-source: 400: sink: /);
    const closed = await cli(['health', '--url', `http://127.0.0.1:${await freePort()}`], env);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /cannot reach the event source at .*connection refused/);
    const usage = await cli(['schedules', 'create', 'x'], env);
    assert.equal(usage.code, 2);
    for (const ran of [noKey, badField, closed, usage]) assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr);
  });
});
