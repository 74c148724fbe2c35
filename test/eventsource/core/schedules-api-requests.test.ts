/**
 * The management API's query and bodies besides a definition: every accepted input is what the rules say, every
 * refused one names its field (fast-check over what a caller can send).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkBackfillBody,
  checkListQuery,
  checkNoteBody,
  continuationTokenFor,
  LIST_STATUSES,
  LIST_TOP_DEFAULT,
  LIST_TOP_MAX,
} from '../../../src/eventsource/core/schedules-api-requests.js';
import { fuzzParameters } from '../../support/fuzz.js';

const fields = (checked: { ok: boolean; problems?: Array<{ field: string }> }): string[] => (checked.problems ?? []).map((p) => p.field);

test('list query: defaults, each status, top bounds, a token round trip', () => {
  assert.deepEqual(checkListQuery([]), { ok: true, value: { top: LIST_TOP_DEFAULT } });
  for (const status of LIST_STATUSES) assert.deepEqual(checkListQuery([['status', status]]), { ok: true, value: { status, top: LIST_TOP_DEFAULT } });
  assert.deepEqual(checkListQuery([['top', '1']]), { ok: true, value: { top: 1 } });
  assert.deepEqual(checkListQuery([['top', String(LIST_TOP_MAX)]]), { ok: true, value: { top: LIST_TOP_MAX } });
  for (const bad of ['0', String(LIST_TOP_MAX + 1), '-1', '1.5', 'ten', '', '1e3']) assert.deepEqual(fields(checkListQuery([['top', bad]])), ['top'], bad);
  const routeToken = Buffer.from(JSON.stringify({ nextPartitionKey: 'schedule-nightly-2', nextRowKey: 'instance~0123456789abcdef' })).toString('base64');
  assert.deepEqual(checkListQuery([['continuationToken', continuationTokenFor(routeToken)]]), { ok: true, value: { top: LIST_TOP_DEFAULT, page: routeToken } });
  assert.deepEqual(fields(checkListQuery([['continuationToken', continuationTokenFor('a b')]])), ['continuationToken']);
  assert.deepEqual(fields(checkListQuery([['status', 'Running']])), ['status']);
  assert.deepEqual(fields(checkListQuery([['continuationToken', 'abc']])), ['continuationToken']);
  assert.deepEqual(fields(checkListQuery([['top', '5'], ['top', '6']])), ['top']);
  assert.deepEqual(fields(checkListQuery([['page', '2']])), ['page']);
});

test('list query: `code` (the Functions key parameter) is accepted beside anything, even repeated (was: 400 unknown field)', () => {
  assert.deepEqual(checkListQuery([['code', 'some-function-key-0123456789']]), { ok: true, value: { top: LIST_TOP_DEFAULT } });
  assert.deepEqual(checkListQuery([['code', 'a'], ['top', '1'], ['code', 'b']]), { ok: true, value: { top: 1 } });
  assert.deepEqual(fields(checkListQuery([['code', 'a'], ['top', '0']])), ['top']);
});

test('list query fuzz: accepted exactly when every parameter is valid; a refusal names a parameter that was sent', () => {
  const key = fc.oneof(fc.constantFrom('status', 'top', 'continuationToken', 'code'), fc.string({ maxLength: 12 }));
  const value = fc.oneof(
    fc.constantFrom(...LIST_STATUSES, 'RUNNING', '0', '1', '1000', '1001', ''),
    fc.integer({ min: -5, max: 2_000 }).map(String),
    fc.stringMatching(/^[A-Za-z0-9+/=]{1,200}$/).map(continuationTokenFor),
    fc.string({ maxLength: 40 }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(key, value), { maxLength: 4 }), (pairs) => {
      const checked = checkListQuery(pairs);
      const sent = new Set(pairs.map(([k]) => k));
      const checkedPairs = pairs.filter(([k]) => k !== 'code'); // The key parameter: never a problem, never a value.
      if (!checked.ok) {
        assert.ok(checked.problems.length > 0);
        for (const problem of checked.problems) assert.ok(sent.has(problem.field), `${problem.field} was sent`);
        return;
      }
      const v = checked.value;
      assert.ok(v.top >= 1 && v.top <= LIST_TOP_MAX);
      assert.equal(new Set(checkedPairs.map(([k]) => k)).size, checkedPairs.length, 'no repeated parameter was accepted');
      for (const [k, raw] of checkedPairs) {
        if (k === 'status') assert.equal(v.status, raw);
        else if (k === 'top') assert.equal(v.top, Number(raw));
        else if (k === 'continuationToken') assert.equal(continuationTokenFor(v.page ?? ''), raw);
        else assert.fail(`unknown parameter ${JSON.stringify(k)} accepted`);
      }
    }),
    fuzzParameters({ numRuns: 500 }, 'list query'),
  );
});

test('pause/resume body: none, {} or a note; anything else names the field', () => {
  assert.deepEqual(checkNoteBody(undefined), { ok: true, value: {} });
  assert.deepEqual(checkNoteBody({}), { ok: true, value: {} });
  assert.deepEqual(checkNoteBody({ note: 'deploy\nfreeze' }), { ok: true, value: { note: 'deploy\nfreeze' } });
  assert.deepEqual(fields(checkNoteBody({ note: 5 })), ['note']);
  assert.deepEqual(fields(checkNoteBody({ note: 'x'.repeat(1_025) })), ['note']);
  assert.deepEqual(fields(checkNoteBody({ note: 'a\u0000b' })), ['note']);
  assert.deepEqual(fields(checkNoteBody({ why: 'x' })), ['why']);
  assert.deepEqual(fields(checkNoteBody('pause')), ['']);
  fc.assert(
    fc.property(fc.jsonValue(), (body) => {
      const checked = checkNoteBody(body);
      const isNote = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).every((k) => k === 'note');
      if (checked.ok) assert.ok(isNote, `accepted ${JSON.stringify(body)}`);
      else assert.ok(checked.problems.every((p) => p.field === '' || p.field === 'note' || (typeof body === 'object' && body !== null && p.field in body)));
    }),
    fuzzParameters({ numRuns: 300 }, 'note body'),
  );
});

test('backfill body: {from, to} ISO instants with from <= to; each mistake names its field', () => {
  assert.deepEqual(checkBackfillBody({ from: '2030-01-01T00:00:00Z', to: '2030-01-01T01:00:00+01:00' }), { ok: true, value: { fromMs: Date.parse('2030-01-01T00:00:00Z'), toMs: Date.parse('2030-01-01T00:00:00Z') } });
  assert.deepEqual(fields(checkBackfillBody({ from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' })), ['to']);
  assert.deepEqual(fields(checkBackfillBody({ to: '2030-01-01T00:00:00Z' })), ['from']);
  assert.deepEqual(fields(checkBackfillBody({ from: '2030-01-01T00:00:00', to: '2030-01-01T00:00:00Z' })), ['from']);
  assert.deepEqual(fields(checkBackfillBody({ from: '2030-01-01T00:00:00Z', to: 'tomorrow' })), ['to']);
  assert.deepEqual(fields(checkBackfillBody({ from: '2030-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z', by: 1 })), ['by']);
  assert.deepEqual(fields(checkBackfillBody(undefined)), ['']);
  const iso = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  fc.assert(
    fc.property(iso, iso, (from, to) => {
      const checked = checkBackfillBody({ from, to });
      assert.equal(checked.ok, Date.parse(from) <= Date.parse(to));
      if (!checked.ok) assert.deepEqual(fields(checked), ['to']);
    }),
    fuzzParameters({ numRuns: 300 }, 'backfill body'),
  );
});
