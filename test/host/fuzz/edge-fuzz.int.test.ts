/**
 * Fuzzing the HTTP edge of a real host (the app, a 1 s schedule, Azurite, a recording sink) with fast-check: instance
 * ids, query parameters, Durable API bodies and management API requests. Properties: never a 5xx (501 is "not
 * implemented", on purpose) and never a dropped connection for bad input; a 400 names the field; the schedule keeps
 * ticking with no gap; memory stays bounded. `FUZZ_RUNS=N` runs longer, `FUZZ_SEED=S` replays a failure (fast-check
 * prints the seed and the shrunk counterexample).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { checkStream } from '../../support/delivery-checks.js';
import { startScheduledHost, type ScheduledHost } from '../../support/scheduled-host.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const MASTER_KEY = 'fuzz-master-key-0123456789abcdef';
const HOOK = '/runtime/webhooks/durabletask';
/** Fields a 400 may name (query parameters, path parts, headers, bodies). */
const FIELDS = new Set([
  'instanceId', 'eventName', 'reason', 'functionName', 'input', 'eventData', 'runtimeStatus', 'createdTimeFrom',
  'createdTimeTo', 'top', 'showInput', 'showHistory', 'showHistoryOutput', 'returnInternalServerErrorOnFailure',
  'instanceIdPrefix', 'x-ms-continuation-token', 'continuationToken', 'timeout', 'pollingInterval', 'path', 'taskHub',
  'connection', 'name', 'Host', 'Content-Type', 'body',
]);

interface FuzzRequest {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: string;
}

/** Percent-encodes like encodeURIComponent; a lone surrogate becomes bytes that are not UTF-8 (the server must 400). */
function encodeLoose(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text.split('').map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return '%ED%A0%80';
      }
    }).join('');
  }
}

/** Text of every kind, but never the schedule's own id or name (the fuzz must not pause or end it on purpose). */
const text = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '%', '..', '.', 'schedule-', 'SCHEDULE-default-x', '\u0000', 'a'.repeat(300), 'é'.repeat(2000), '{}', '[]'),
  )
  .filter((s) => !['schedule-default', 'default'].includes(s.toLowerCase()));
const printable = fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789+/=-_.:%{}" '.split('')), maxLength: 60 });
const token = fc.oneof(
  printable,
  fc.base64String({ maxLength: 80 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64')),
  fc.record({ nextPartitionKey: fc.string({ maxLength: 20 }) }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
);
const boolish = fc.constantFrom('true', 'false', 'TRUE', 'yes', '', '1', 'null');
const dateish = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('', 'yesterday', '+275760-09-13T00:00:00Z', '0000-01-01T00:00:00Z', '2024-13-45', '1e20'),
  fc.string({ maxLength: 20 }),
);
const status = fc.oneof(
  fc.constantFrom('Running', 'completed', 'Failed,Terminated', 'Sleeping', '', ',,', 'Pending, Suspended'),
  fc.string({ maxLength: 20 }),
);
const secondsish = fc.constantFrom('', '0', '0.2', '0.5', 'abc', '-1', 'NaN', 'Infinity', '1e400');
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 100 }),
  fc.constantFrom('', '{', 'null', '"x"', '[1,2', '\u0000'),
);
const query = (entries: Array<fc.Arbitrary<[string, string] | undefined>>): fc.Arbitrary<Array<[string, string]>> =>
  fc.tuple(...entries).map((list) => list.filter((e): e is [string, string] => e !== undefined));
const opt = (name: string, value: fc.Arbitrary<string>): fc.Arbitrary<[string, string] | undefined> =>
  fc.option(value.map((v): [string, string] => [name, v]), { nil: undefined });

const requests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // Status of one instance, with every flag.
  fc.record({
    id: text,
    query: query([opt('showHistory', boolish), opt('showHistoryOutput', boolish), opt('showInput', boolish), opt('returnInternalServerErrorOnFailure', boolish)]),
  }).map(({ id, query: q }) => ({ method: 'GET', path: `${HOOK}/instances/${encodeLoose(id)}`, query: q, headers: {} })),
  // Status of the schedule itself, history included (read-only).
  fc.record({ query: query([opt('showHistory', boolish), opt('showHistoryOutput', boolish), opt('showInput', boolish)]) })
    .map(({ query: q }) => ({ method: 'GET', path: `${HOOK}/instances/schedule-default`, query: q, headers: {} })),
  // Listing with filters and continuation tokens.
  fc.record({
    query: query([opt('runtimeStatus', status), opt('createdTimeFrom', dateish), opt('createdTimeTo', dateish), opt('top', fc.oneof(fc.integer().map(String), fc.string({ maxLength: 8 }))),
      opt('showInput', boolish), opt('instanceIdPrefix', text), opt('continuationToken', token), opt('taskHub', text)]),
    token: fc.option(token, { nil: undefined }),
  }).map(({ query: q, token: t }): FuzzRequest => {
    const headers: Record<string, string> = t === undefined ? {} : { 'x-ms-continuation-token': t };
    return { method: 'GET', path: `${HOOK}/instances`, query: q, headers };
  }),
  // Raising events with any name and body.
  fc.record({ id: text, name: text, body: jsonBody }).map(({ id, name, body }) => ({
    method: 'POST', path: `${HOOK}/instances/${encodeLoose(id)}/raiseEvent/${encodeLoose(name)}`, query: [], headers: { 'content-type': 'application/json' }, body,
  })),
  // Commands and purges of instances that are not the schedule.
  fc.record({ id: text, op: fc.constantFrom('terminate', 'suspend', 'resume', 'Terminate'), reason: fc.option(text, { nil: undefined }) }).map(({ id, op, reason }) => ({
    method: 'POST', path: `${HOOK}/instances/${encodeLoose(id)}/${op}`, query: reason === undefined ? [] : [['reason', reason] as [string, string]], headers: {},
  })),
  fc.record({ id: text }).map(({ id }) => ({ method: 'DELETE', path: `${HOOK}/instances/${encodeLoose(id)}`, query: [], headers: {} })),
  fc.record({ from: dateish, status: fc.constantFrom('Completed', 'Failed', 'Terminated', 'Canceled', 'Completed,Failed', 'bogus') }).map(({ from, status: s }) => ({
    method: 'DELETE', path: `${HOOK}/instances`, query: [['createdTimeFrom', from], ['runtimeStatus', s]] as Array<[string, string]>, headers: {},
  })),
  // Starts (never the schedule's orchestrator: forged schedule states are the schedule's own check), create-and-wait.
  fc.record({
    fn: fc.oneof(fc.constant('noSuchOrchestrator'), text).filter((f) => f.toLowerCase() !== 'scheduleorchestrator'),
    id: fc.option(text, { nil: undefined }),
    body: jsonBody,
    query: query([opt('timeout', secondsish), opt('pollingInterval', secondsish)]),
  }).map(({ fn, id, body, query: q }) => ({
    method: 'POST', path: `${HOOK}/orchestrators/${encodeLoose(fn)}${id === undefined ? '' : `/${encodeLoose(id)}`}`, query: q, headers: { 'content-type': 'application/json' }, body,
  })),
  // Anything under the webhooks, with any method.
  fc.record({ rest: fc.array(text, { maxLength: 4 }), method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH') }).map(({ rest, method }) => ({
    method, path: `${HOOK}/${rest.map(encodeLoose).join('/')}`, query: [], headers: {},
  })),
  // The management API with any name (not the schedule's: pausing it on purpose is no bug).
  fc.record({ name: text, action: fc.constantFrom('', '/pause', '/resume'), body: fc.option(jsonBody, { nil: undefined }) }).map(({ name, action, body }): FuzzRequest => {
    const path = `/api/schedules/${encodeLoose(name)}${action}`;
    if (action === '' || body === undefined) return { method: action === '' ? 'GET' : 'POST', path, query: [], headers: {} };
    return { method: 'POST', path, query: [], headers: { 'content-type': 'application/json' }, body };
  }),
);

function describeRequest(r: FuzzRequest): string {
  return `${r.method} ${r.path}?${new URLSearchParams(r.query).toString()} ${JSON.stringify(r.headers)} ${r.body === undefined ? '' : JSON.stringify(r.body).slice(0, 200)}`;
}

describe('fuzzing the HTTP edge of a running host', () => {
  let target: ScheduledHost;
  let baselineRss = 0;
  let began = 0;
  before(async () => {
    target = await startScheduledHost('EdgeFuzz', { FUNCTIONS_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'warn' });
    baselineRss = target.rssMb();
    began = Date.now();
  });
  after(() => target?.stop());

  test(`${RUNS} random requests: never a 5xx or a dropped connection, a 400 names the field`, { timeout: 600_000 }, async (t) => {
    const tally = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const url = new URL(`${target.host.url}${r.path}`);
        for (const [k, v] of r.query) url.searchParams.append(k, v);
        const res = await fetch(url, {
          method: r.method,
          headers: { 'x-functions-key': MASTER_KEY, ...r.headers },
          ...(r.body === undefined ? {} : { body: r.body }),
          signal: AbortSignal.timeout(20_000),
        });
        const bodyText = await res.text();
        tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
        const where = `${describeRequest(r)} -> ${res.status} ${bodyText.slice(0, 300)}`;
        assert.ok(res.status < 500 || res.status === 501, where);
        if (res.status === 400) {
          const parsed = JSON.parse(bodyText) as { message?: string; error?: string };
          const message = parsed.message ?? parsed.error ?? '';
          const field = /^([A-Za-z][\w-]*): /.exec(message)?.[1];
          assert.ok(field !== undefined && FIELDS.has(field), `the 400 names no known field: ${where}`);
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
    t.diagnostic(`statuses: ${[...tally].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    assert.ok(target.host.running, 'the host is still running');
  });

  test('the schedule kept ticking through it all, and memory stayed bounded', async () => {
    await target.sink.waitFor(target.sink.events.length + 2, 15_000);
    const summary = checkStream(target.sink.events, 1_000);
    assert.ok(target.sink.events.some((e) => e.receivedAt >= began), 'events arrived while fuzzing');
    assert.ok(summary.distinct >= 3);
    const grown = target.rssMb() - baselineRss;
    assert.ok(grown < 150, `host RSS grew by ${grown.toFixed(0)} MB during the fuzz run`);
    const res = await fetch(`${target.host.url}/api/schedules/default`, { headers: { 'x-functions-key': MASTER_KEY } });
    assert.equal(((await res.json()) as { status: string }).status, 'running');
  });
});
