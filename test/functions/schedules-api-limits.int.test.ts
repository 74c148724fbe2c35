/**
 * What the management API accepts, and what a caller's change leaves in the log (issue #16, findings 3 and 5 and the
 * operator items), on the embedded host as a child process (real Azurite, real loopback sink, the real orchestration):
 * no interval below MIN_INTERVAL, no duration that breaks a date, no jitter over the interval; a backfill only of
 * ticks already due, within MAX_BACKFILL_TICKS; at most MAX_SCHEDULES schedules; one info line per change (API and
 * schedules file) naming the schedule, the operation and the note, never a secret.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { until, type HostProcess, type LogRecord } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';
import { replaceFile } from '../support/replace-file.js';
import { launchScheduledHost, type HostRun } from '../support/scheduled-host.js';

const dir = mkdtempSync(path.join(tmpdir(), 'schedules-api-limits-'));
const file = path.join(dir, 'schedules.yaml');
const sink = new RecordingSink();
let run: HostRun | undefined;
let host: HostProcess | undefined;

interface Answer {
  error?: string;
  problems?: Array<{ field: string; why: string }>;
  [key: string]: unknown;
}

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${host?.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Answer };
}

const fieldsOf = (answer: { body: Answer }): string[] => (answer.body.problems ?? []).map((p) => p.field);
const iso = (ms: number): string => new Date(ms).toISOString();

function changeLines(): LogRecord[] {
  return (host?.records() ?? []).filter((r) => typeof r['operation'] === 'string' && typeof r['by'] === 'string');
}

before(async () => {
  writeFileSync(file, 'schedules:\n  - name: from-file\n    every: 1h\n');
  const settings = { SCHEDULE: '2s', SCHEDULES_FILE: file, MIN_INTERVAL: '2s', MAX_BACKFILL_TICKS: '30', MAX_SCHEDULES: '4' };
  run = await launchScheduledHost({ label: 'api-limits', taskHubName: 'ApiLimits', sinks: [sink], settings: () => settings });
  host = run.host;
  await until('the file schedule to run', async () => ((await call('GET', '/api/schedules/from-file')).body['origin'] === 'file' ? true : undefined), 30_000);
});

after(async () => {
  if (host && process.exitCode) console.error(host.tail(60));
  await run?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('PUT: no interval below MIN_INTERVAL, no duration past its bound, jitter below the interval (400 naming the field, nothing created)', async () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['every', { every: '1ms' }, /^every: 1ms is shorter than the minimum interval 2s \(MIN_INTERVAL\)$/],
    ['every', { every: '100000001d' }, /^every: "100000001d" is longer than 3650d, the longest allowed$/],
    ['cron', { cron: '* * * * * *' }, /^cron: can fire 1s apart, which is shorter than the minimum interval 2s \(MIN_INTERVAL\)$/],
    ['jitter', { every: '10s', jitter: '1m' }, /^jitter: 1m is not shorter than every \(10s\)$/],
    ['delivery.timeout', { every: '10s', delivery: { timeout: '30d' } }, /^delivery\.timeout: .*longer than 1h/],
  ];
  for (const [field, body, message] of cases) {
    const answer = await call('PUT', '/api/schedules/too-much', body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.deepEqual(fieldsOf(answer), [field], JSON.stringify(body));
    assert.match(answer.body.error ?? '', message);
    assert.equal((await call('GET', '/api/schedules/too-much')).status, 404, 'nothing was created');
  }
});

test('backfill: only ticks already due (a future `to` is a 400 naming it, nothing sent), within MAX_BACKFILL_TICKS', async () => {
  const now = Date.now();
  const future = await call('POST', '/api/schedules/default/backfill', { from: iso(now + 10_000), to: iso(now + 20_000) });
  assert.equal(future.status, 400, JSON.stringify(future.body));
  assert.deepEqual(fieldsOf(future), ['to']);
  assert.match(future.body.error ?? '', /^to: is in the future \(now is .*\); a backfill covers only ticks already due$/);

  // Ticks from before the schedule existed: due, and never the schedule's own to send.
  const past = await call('POST', '/api/schedules/default/backfill', { from: iso(now - 3_600_000), to: iso(now - 3_600_000 + 10_000) });
  assert.equal(past.status, 202, JSON.stringify(past.body));
  assert.equal(past.body['ticks'], 5);
  const backfilled = await until('the 5 backfilled ticks', async () => {
    const events = sink.events.filter((e) => e.extensions['trigger'] === 'backfill' && e.data.schedule === 'default');
    return events.length >= 5 ? events : undefined;
  }, 30_000);
  assert.ok(backfilled.every((e) => Date.parse(e.time) < now), 'none of them from the future');

  const tooMany = await call('POST', '/api/schedules/default/backfill', { from: iso(now - 3_600_000), to: iso(now - 3_600_000 + 62_000) });
  assert.equal(tooMany.status, 400);
  assert.deepEqual(fieldsOf(tooMany), ['to']);
  assert.match(tooMany.body.error ?? '', /more than 30 ticks, the most MAX_BACKFILL_TICKS allows at once; split it/);

  // A slow sink keeps 25 ticks queued; 10 more would pass the cap of 30.
  sink.delayMs = 400;
  try {
    const slow = await call('POST', '/api/schedules/default/backfill', { from: iso(now - 7_200_000), to: iso(now - 7_200_000 + 50_000) });
    assert.equal(slow.body['ticks'], 25);
    await until('the queue to show in the status', async () => (Number((await call('GET', '/api/schedules/default')).body['queued']) > 0 ? true : undefined), 20_000);
    const over = await call('POST', '/api/schedules/default/backfill', { from: iso(now - 9_000_000), to: iso(now - 9_000_000 + 20_000) });
    assert.equal(over.status, 429, JSON.stringify(over.body));
    assert.match(over.body.error ?? '', /^schedule default has \d+ backfilled ticks queued; 10 more would pass MAX_BACKFILL_TICKS \(30\)/);
  } finally {
    sink.delayMs = 0;
  }
});

test('MAX_SCHEDULES: a create beyond it is a 409 naming the limit; a replace still works, and a delete makes room', async () => {
  // The environment's schedule and the file's hold two of the four places.
  assert.equal((await call('PUT', '/api/schedules/first', { every: '1h' })).status, 201);
  assert.equal((await call('PUT', '/api/schedules/second', { every: '1h' })).status, 201);
  const refused = await call('PUT', '/api/schedules/third', { every: '1h' });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.match(refused.body.error ?? '', /^this host holds 4 schedules, the most MAX_SCHEDULES \(4\) allows; delete one first/);
  assert.equal((await call('GET', '/api/schedules/third')).status, 404);
  assert.equal((await call('PUT', '/api/schedules/first', { every: '2h', note: 'slower' })).status, 200, 'a replace is not a create');
  assert.equal((await call('DELETE', '/api/schedules/second')).status, 204);
  assert.equal((await call('PUT', '/api/schedules/third', { every: '1h' })).status, 201);
  assert.equal((await call('DELETE', '/api/schedules/third')).status, 204);
});

test('one info line per change, through the API and the schedules file: schedule, operation, note; never a secret', async () => {
  const secretSink = new URL(sink.url);
  secretSink.username = 'user';
  secretSink.password = 'sink-s3cret';
  assert.equal((await call('PUT', '/api/schedules/logged', { every: '1h', sink: secretSink.href, note: 'made for https://u:note-s3cret@example.com/x' })).status, 201);
  assert.equal((await call('PUT', '/api/schedules/logged', { every: '2h', sink: secretSink.href })).status, 200);
  assert.equal((await call('POST', '/api/schedules/logged/pause', { note: 'maintenance window' })).status, 202);
  assert.equal((await call('POST', '/api/schedules/logged/resume')).status, 202);
  const triggered = await call('POST', '/api/schedules/logged/trigger');
  assert.equal(triggered.status, 202);
  assert.equal((await call('POST', '/api/schedules/logged/backfill', { from: iso(Date.now() - 86_400_000), to: iso(Date.now() - 86_400_000 + 7_200_000) })).status, 202);
  assert.equal((await call('DELETE', '/api/schedules/logged')).status, 204);
  replaceFile(file, 'schedules:\n  - name: from-file\n    every: 1h\n  - name: filed\n    every: 1h\n    note: added by the file\n');
  await until('the file\'s new entry', async () => (changeLines().some((r) => r['schedule'] === 'filed') ? true : undefined), 30_000);
  replaceFile(file, 'schedules:\n  - name: from-file\n    every: 1h\n');
  await until('the file\'s removed entry', async () => (changeLines().some((r) => r['schedule'] === 'filed' && r['operation'] === 'delete') ? true : undefined), 30_000);

  const of = (name: string): Array<[unknown, unknown, unknown]> => changeLines().filter((r) => r['schedule'] === name).map((r) => [r['operation'], r['by'], r['note']]);
  assert.deepEqual(of('logged'), [
    ['create', 'api', 'made for https://example.com/x (credentials/query redacted)'],
    ['replace', 'api', undefined],
    ['pause', 'api', 'maintenance window'],
    ['resume', 'api', undefined],
    ['trigger', 'api', undefined],
    ['backfill', 'api', undefined],
    ['delete', 'api', undefined],
  ]);
  assert.deepEqual(of('filed'), [['create', 'file', 'added by the file'], ['delete', 'file', undefined]]);
  const lines = changeLines();
  assert.ok(lines.every((r) => r['level'] === 30), 'every change line at info (pino level 30: the event source logs numeric levels like the host)');
  assert.equal(lines.find((r) => r['operation'] === 'trigger' && r['schedule'] === 'logged')?.['id'], triggered.body['id']);
  assert.match(String(lines.find((r) => r['operation'] === 'pause' && r['schedule'] === 'logged')?.msg), /^schedule logged: pause through the management API \(note: maintenance window\)$/);
  const all = host?.lines.join('\n') ?? '';
  assert.ok(!all.includes('sink-s3cret') && !all.includes('note-s3cret'), 'no credential of a sink or a note in the log');
});
