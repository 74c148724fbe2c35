/**
 * SCHEDULES_FILE through the real starter on the embedded host (real Azurite, real files, a real loopback sink):
 * entries added, changed and removed while the host runs; a bad edit and a removed file leave the running schedules
 * as they are; a name held by an API schedule is left to the API; a removed entry that comes back is a new
 * generation. And at start, a bad entry stops the host with one line naming the file, the entry and the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startAzurite } from '../../src/host/storage/azurite.js';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { HostProcess, until } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';
import { replaceFile } from '../support/replace-file.js';

const root = path.resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'schedules-file-'));
const file = path.join(dir, 'schedules.yaml');
const sink = new RecordingSink();
let env: TestEnvironment;

interface Shown {
  status?: string;
  nextSequence?: number;
  generation?: string;
  origin?: string;
}

/** Writes the file at once (a new file renamed over it): the watcher never reads a half-written file. */
function writeSchedules(entries: string): void {
  replaceFile(file, `schedules:\n${entries}`);
}

/** The interval a schedule's describe view shows (`spec.every`). */
function everyOf(body: Record<string, unknown>): unknown {
  return (body['spec'] as { every?: unknown } | undefined)?.every;
}

async function show(name: string): Promise<{ status: number; body: Shown }> {
  return env.getJson<Shown>(`/api/schedules/${name}`);
}

const eventsOf = (name: string): number => sink.events.filter((e) => e.data.schedule === name).length;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

before(async () => {
  await sink.start();
  writeSchedules('  - name: a\n    every: 1s\n  - name: b\n    every: 1s\n');
  env = await createTestEnvironment({
    appDir: root,
    taskHubName: 'SchedulesFile',
    // No SCHEDULE: with a schedules file, the environment's schedule does not run.
    env: { K_SINK: sink.url, SCHEDULES_FILE: file, LOG_LEVEL: 'silent' },
  });
});

after(async () => {
  await env?.teardown();
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the file\'s schedules start, and only they (no environment schedule without SCHEDULE)', async () => {
  await until('events of a and b', () => (eventsOf('a') >= 2 && eventsOf('b') >= 2 ? true : undefined), 30_000);
  assert.equal((await show('a')).body.origin, 'file');
  assert.equal((await show('default')).status, 404);
});

test('an added entry starts; a changed one takes its new spec and keeps its sequence; a removed one stops', async () => {
  writeSchedules('  - name: a\n    every: 1s\n  - name: b\n    every: 1s\n  - name: c\n    every: 1s\n');
  await until('events of c', () => (eventsOf('c') >= 2 ? true : undefined), 30_000);

  const before = (await show('b')).body;
  writeSchedules('  - name: a\n    every: 1s\n  - name: b\n    every: 2s\n  - name: c\n    every: 1s\n');
  const changed = await until('b on its new spec', async () => {
    const shown = (await show('b')).body;
    return everyOf({ ...shown }) === '2s' ? shown : undefined;
  }, 30_000);
  assert.equal(changed.generation, before.generation, 'same generation');
  assert.ok((changed.nextSequence ?? 0) >= (before.nextSequence ?? Infinity), 'the sequence went on');

  writeSchedules('  - name: b\n    every: 2s\n  - name: c\n    every: 1s\n');
  await until('a gone', async () => ((await show('a')).status === 404 ? true : undefined), 30_000);
  const aEvents = eventsOf('a');
  await sleep(2_500);
  assert.equal(eventsOf('a'), aEvents, 'no event of a after it was removed');
});

test('a bad edit and a removed file leave the running schedules as they are; the file back reconciles again', async () => {
  const cBefore = eventsOf('c');
  replaceFile(file, 'schedules:\n  - name: b\n    every: soon\n');
  await sleep(1_500);
  replaceFile(file, 'schedules: [unclosed\n');
  await sleep(1_500);
  rmSync(file);
  await sleep(1_500);
  for (const name of ['b', 'c']) {
    const shown = await show(name);
    assert.equal(shown.body.status, 'running', name);
  }
  assert.equal(everyOf({ ...(await show('b')).body }), '2s', 'b kept its spec');
  assert.equal((await show('a')).status, 404, 'nothing came back');
  assert.ok(eventsOf('c') > cBefore, 'c kept delivering');

  const aFirstIds = new Set(sink.events.filter((e) => e.data.schedule === 'a').map((e) => e.id));
  writeSchedules('  - name: a\n    every: 1s\n  - name: b\n    every: 2s\n  - name: c\n    every: 1s\n');
  await until('a again', () => (eventsOf('a') >= aFirstIds.size + 2 ? true : undefined), 30_000);
  const again = sink.events.filter((e) => e.data.schedule === 'a' && !aFirstIds.has(e.id));
  assert.ok(again.length >= 2, 'the new generation of a has ids of its own');
  assert.equal(Number(again[0]?.sequence), 1, 'counted from 1 again');
});

test('a name the API holds is left to the API by the file', async () => {
  const put = await env.fetch('/api/schedules/api-one', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ every: '1h' }) });
  assert.equal(put.status, 201, await put.text());
  writeSchedules('  - name: b\n    every: 2s\n  - name: c\n    every: 1s\n  - name: api-one\n    every: 1s\n');
  await sleep(2_000);
  const shown = (await show('api-one')).body;
  assert.equal(shown.origin, 'api');
  assert.equal(everyOf({ ...shown }), '1h', 'the file did not change it');
  writeSchedules('  - name: b\n    every: 2s\n  - name: c\n    every: 1s\n');
  await sleep(2_000);
  assert.equal((await show('api-one')).status, 200, 'nor remove it');
});

test('at start, a bad entry stops the host with one line naming the file, the entry and the field', { timeout: 60_000 }, async () => {
  const azurite = await startAzurite();
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'schedules:\n  - name: ok\n    every: 1s\n  - name: nightly\n    cron: "0 61 * * *"\n');
  const host = HostProcess.spawn({
    port: await freePort(),
    env: { AzureWebJobsStorage: azurite.connectionString, K_SINK: sink.url, SCHEDULES_FILE: bad, TaskHubName: 'SchedulesFileBad', HOST: '127.0.0.1' },
  });
  try {
    const exit = await until('the host to exit', () => host.exit, 45_000);
    assert.equal(exit.code, 1, host.lines.join('\n'));
    const lines = host.lines.filter((line) => line.includes('SCHEDULES_FILE'));
    assert.equal(lines.length, 1, host.lines.join('\n'));
    assert.match(lines[0] ?? '', new RegExp(`SCHEDULES_FILE: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: schedules\\[1\\] \\(nightly\\)\\.cron: `));
  } finally {
    await host.dispose();
    await azurite.stop();
  }
});

test('later, a bad edit is one log line naming the file, the entry and the field; the schedule keeps running', { timeout: 90_000 }, async () => {
  const azurite = await startAzurite();
  const later = path.join(dir, 'later', 'schedules.json');
  mkdirSync(path.dirname(later));
  writeFileSync(later, JSON.stringify({ schedules: [{ name: 'solo', every: '1h' }] }));
  const host = await HostProcess.start({
    port: await freePort(),
    env: { AzureWebJobsStorage: azurite.connectionString, K_SINK: sink.url, SCHEDULES_FILE: later, TaskHubName: 'SchedulesFileLater', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
  });
  try {
    await until('the first reconcile', () => host.records().find((r) => r.msg === 'schedules file reconciled'), 30_000);
    // At once: a half-written file read under load would be logged first, as "not valid YAML or JSON".
    replaceFile(later, JSON.stringify({ schedules: [{ name: 'solo', every: 'soon' }] }));
    const logged = await until('the bad edit logged', () => host.records().find((r) => String(r.msg).startsWith('schedules file not applied')), 30_000);
    assert.match(String(logged.msg), /the running schedules stay as they are: .*schedules\.json: schedules\[0\] \(solo\)\.every: /);
    await sleep(1_500);
    assert.equal(host.records().filter((r) => String(r.msg).startsWith('schedules file not applied')).length, 1, 'one line for one bad edit');
    const solo = await fetch(`${host.url}/api/schedules/solo`);
    assert.equal(((await solo.json()) as Shown).status, 'running');
  } finally {
    await host.stop().catch(() => undefined);
    await host.dispose();
    await azurite.stop();
  }
});
