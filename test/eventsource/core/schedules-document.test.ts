/**
 * Schedules documents (`{defaults, schedules: [...]}`): defaults merged under each entry, every bad entry reported
 * with its index, name and field, duplicate names refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkDefinition } from '../../../src/eventsource/core/normalized-spec.js';
import { MAX_SCHEDULES, parseSchedulesDocument, withDefaults, type DocumentCheck } from '../../../src/eventsource/core/schedules-document.js';
import { validDefinition } from '../../support/definitions.js';
import { fuzzParameters } from '../../support/fuzz.js';

function entriesOf(check: DocumentCheck) {
  assert.ok(check.ok, check.ok ? '' : check.problems.join('\n'));
  return check.entries;
}

function problemsOf(check: DocumentCheck): string[] {
  assert.ok(!check.ok, 'accepted');
  return check.problems;
}

describe('schedules document', () => {
  it("reads the issue's example: defaults applied to every entry", () => {
    const entries = entriesOf(parseSchedulesDocument({
      defaults: { delivery: { retry: 5, backoffPolicy: 'exponential', backoffDelay: '1s', maxBackoff: '30s', timeout: '10s' } },
      schedules: [
        { name: 'every-5s', every: '5s', offset: '2s' },
        { name: 'nightly', cron: '0 30 2 * * *', timezone: 'Europe/Berlin' },
        { name: 'launch', at: '2030-01-01T00:00:00Z' },
      ],
    }));
    assert.deepEqual(entries.map((e) => e.name), ['every-5s', 'nightly', 'launch']);
    for (const e of entries) assert.equal(e.spec.delivery.retry, 5);
    assert.deepEqual(entries.map((e) => e.spec.trigger.kind), ['every', 'cron', 'at']);
  });

  it('merges event, catchUp and delivery field by field; the entry wins', () => {
    const [entry] = entriesOf(parseSchedulesDocument({
      defaults: { overlap: 'skip', event: { type: 'com.example.default', extensions: { team: 'a' } }, delivery: { retry: 1, timeout: '2s' } },
      schedules: [{ name: 'a', every: '1s', event: { source: 'urn:x', extensions: { owner: 'b' } }, delivery: { retry: 9 } }],
    }));
    assert.equal(entry?.spec.overlap, 'skip');
    assert.equal(entry?.spec.event.type, 'com.example.default');
    assert.equal(entry?.spec.event.source, 'urn:x');
    assert.deepEqual(entry?.spec.event.extensions, { owner: 'b' }, 'extensions are replaced whole');
    assert.equal(entry?.spec.delivery.retry, 9);
    assert.equal(entry?.spec.delivery.timeoutMs, 2_000);
  });

  it("an entry's own trigger replaces the defaults'; a default timezone applies to cron entries only", () => {
    const entries = entriesOf(parseSchedulesDocument({
      defaults: { every: '1m', offset: '10s', timezone: 'Europe/Berlin' },
      schedules: [{ name: 'inherits' }, { name: 'cron', cron: '@daily' }, { name: 'own', every: '5s' }, { name: 'once', at: '2030-01-01T00:00:00Z' }],
    }));
    assert.deepEqual(entries.map((e) => e.spec.trigger), [
      { kind: 'every', everyMs: 60_000, offsetMs: 10_000 },
      { kind: 'cron', expression: '@daily', timeZone: 'Europe/Berlin' },
      { kind: 'every', everyMs: 5_000, offsetMs: 0 },
      { kind: 'at', atMs: Date.UTC(2030, 0, 1) },
    ]);
  });

  it('reports every bad entry with its index, name and field, and the bad defaults', () => {
    const problems = problemsOf(parseSchedulesDocument({
      defaults: { delivery: { retry: 'many' } },
      schedules: [
        { name: 'good', every: '1s' },
        { name: 'a', every: 5 },
        { name: 'nightly', cron: '0 61 * * *' },
        { every: '1s' },
        'just a string',
        { name: 'BAD', every: '1s' },
        { name: 'launch', at: 'tomorrow', note: 1 },
      ],
    }));
    assert.deepEqual(problems, [
      'defaults.delivery.retry: must be a whole number from 0 to 1000, not string "many"',
      'schedules[1] (a).every: 5 has no unit; write a duration such as 5s, 5ms or PT5S',
      'schedules[2] (nightly).cron: "0 61 * * *" is not a cron expression: Invalid value for hour: 61',
      'schedules[3].name: is required',
      'schedules[4]: must be an object with a name and one of every, cron or at',
      'schedules[5].name: "BAD" must be 1-63 characters of a-z, 0-9 and \'-\', starting with a letter or digit',
      'schedules[6] (launch).at: "tomorrow" is not an ISO-8601 instant with Z or an offset (e.g. 2030-01-01T00:00:00Z)',
      'schedules[6] (launch).note: must be text, not number 1',
    ]);
  });

  it('reports an entry that is bad only with the defaults merged in', () => {
    const problems = problemsOf(parseSchedulesDocument({
      defaults: { delivery: { maxBackoff: '5s' } },
      schedules: [{ name: 'slow', every: '1s', delivery: { backoffDelay: '10s' } }],
    }));
    assert.deepEqual(problems, ['schedules[0] (slow).delivery.backoffDelay: 10s is longer than delivery.maxBackoff (5s)']);
  });

  it('refuses duplicate names, naming the first', () => {
    const problems = problemsOf(parseSchedulesDocument({
      schedules: [{ name: 'a', every: '1s' }, { name: 'b', every: '1s' }, { name: 'a', cron: '@hourly' }],
    }));
    assert.deepEqual(problems, ['schedules[2] (a).name: duplicate of schedules[0]; names must be unique']);
  });

  it('refuses a document of the wrong shape', () => {
    assert.deepEqual(problemsOf(parseSchedulesDocument([])), ['the document must be an object with a schedules list ({defaults?, schedules: [...]})']);
    assert.deepEqual(problemsOf(parseSchedulesDocument({})), ['schedules: is required (a list, possibly empty)']);
    assert.deepEqual(problemsOf(parseSchedulesDocument({ schedules: {}, extra: 1 })), ['extra: unknown field (a document has defaults and schedules)', 'schedules: must be a list']);
    assert.deepEqual(problemsOf(parseSchedulesDocument({ defaults: { name: 'x' }, schedules: [] })), ['defaults.name: not allowed (defaults apply to every entry; each entry has its own name)']);
    assert.deepEqual(problemsOf(parseSchedulesDocument({ defaults: 'x', schedules: [] })), ['defaults: must be an object']);
    const tooMany = Array.from({ length: MAX_SCHEDULES + 1 }, (_, i) => ({ name: `s${i}`, every: '1s' }));
    assert.deepEqual(problemsOf(parseSchedulesDocument({ schedules: tooMany })), [`schedules: has ${MAX_SCHEDULES + 1} entries; at most ${MAX_SCHEDULES}`]);
    assert.deepEqual(entriesOf(parseSchedulesDocument({ schedules: [] })), []);
  });

  it('takes 1,000 entries at once', () => {
    const schedules = Array.from({ length: 1_000 }, (_, i) => ({ name: `s-${i}`, every: `${(i % 60) + 1}s`, offset: `${i % 1000}ms` }));
    assert.equal(entriesOf(parseSchedulesDocument({ defaults: { jitter: '1s' }, schedules })).length, 1_000);
  });

  it('property: a document of valid entries with unique names gives each entry the spec it has alone', () => {
    fc.assert(
      fc.property(fc.uniqueArray(validDefinition, { selector: (d) => d['name'], maxLength: 8 }), (list) => {
        const entries = entriesOf(parseSchedulesDocument({ schedules: list }));
        assert.deepEqual(entries.map((e) => e.name), list.map((d) => d['name']));
        entries.forEach((entry, i) => {
          const alone = checkDefinition(list[i]);
          assert.ok(alone.ok);
          assert.deepEqual(entry.spec, alone.spec);
        });
      }),
      fuzzParameters({ numRuns: 100 }, 'documents'),
    );
  });

  it('property: each bad entry is reported by index, whatever else the document holds', () => {
    fc.assert(
      fc.property(fc.uniqueArray(validDefinition, { selector: (d) => d['name'], minLength: 1, maxLength: 6 }), fc.array(fc.nat()), (list, picks) => {
        const bad = new Set(picks.map((p) => p % list.length));
        const schedules = list.map((d, i) => (bad.has(i) ? { ...d, overlap: 'sometimes' } : d));
        const check = parseSchedulesDocument({ schedules });
        if (bad.size === 0) return void entriesOf(check);
        const problems = problemsOf(check);
        assert.deepEqual(problems, [...bad].sort((a, b) => a - b).map((i) => `schedules[${i}] (${String(list[i]!['name'])}).overlap: must be one of bufferAll, bufferOne, skip, not string "sometimes"`));
      }),
      fuzzParameters({ numRuns: 100 }, 'documents with bad entries'),
    );
  });

  it('withDefaults does not change its inputs', () => {
    const defaults = { delivery: { retry: 1 } };
    const entry = { name: 'a', every: '1s', delivery: { timeout: '1s' } };
    withDefaults(entry, defaults);
    assert.deepEqual(defaults, { delivery: { retry: 1 } });
    assert.deepEqual(entry, { name: 'a', every: '1s', delivery: { timeout: '1s' } });
  });
});
