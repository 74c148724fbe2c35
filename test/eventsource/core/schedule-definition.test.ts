/**
 * The one schema of a schedule definition, with its normalised spec and describe view: examples of each rule, and
 * property-based runs (every valid definition parses; each kind of mistake is refused naming its field; definition →
 * normalised → describe view → normalised again is the identity).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  checkDefinition,
  checkDefinitionFor,
  describeSpec,
  problemLine,
  SPEC_DEFAULTS,
  type DefinitionCheck,
  type NormalizedSpec,
} from '../../../src/eventsource/core/normalized-spec.js';
import { validDefinition } from '../../support/definitions.js';
import { fuzzParameters } from '../../support/fuzz.js';

function specOf(value: unknown): NormalizedSpec {
  const checked = checkDefinition(value);
  assert.ok(checked.ok, `refused: ${checked.ok ? '' : checked.problems.map((p) => problemLine(p)).join('; ')}`);
  return checked.spec;
}

function problemsOf(value: unknown): string[] {
  const checked: DefinitionCheck = checkDefinition(value);
  assert.ok(!checked.ok, `accepted ${JSON.stringify(value)}`);
  return checked.problems.map((p) => problemLine(p));
}

describe('schedule definition: the issue\'s examples', () => {
  it('every with offset, cron in a time zone, at: normalised with milliseconds and every default filled in', () => {
    assert.deepEqual(specOf({ name: 'every-5s', every: '5s', offset: '2s' }).trigger, { kind: 'every', everyMs: 5_000, offsetMs: 2_000 });
    assert.deepEqual(specOf({ name: 'nightly', cron: '0 30 2 * * *', timezone: 'Europe/Berlin' }).trigger, {
      kind: 'cron', expression: '0 30 2 * * *', timeZone: 'Europe/Berlin',
    });
    const launch = specOf({ name: 'launch', at: '2030-01-01T00:00:00Z' });
    assert.deepEqual(launch, {
      name: 'launch',
      trigger: { kind: 'at', atMs: Date.UTC(2030, 0, 1) },
      jitterMs: 0,
      paused: false,
      event: { ...SPEC_DEFAULTS.event, extensions: {} },
      catchUp: { ...SPEC_DEFAULTS.catchUp },
      overlap: 'bufferAll',
      delivery: { ...SPEC_DEFAULTS.delivery },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(launch)), launch, 'plain JSON');
  });

  it('reads durations as 10s, 1m30s or ISO-8601, and every field of the issue', () => {
    const spec = specOf({
      name: 'full',
      every: '1m30s',
      offset: 'PT10S',
      startAt: '2030-01-01T00:00:00+01:00',
      endAt: '2031-01-01T00:00:00Z',
      maxCount: 3,
      jitter: '5s',
      paused: true,
      note: 'waiting for the launch',
      event: { type: 't', source: 'urn:s', subject: 'sub', data: { any: ['json', 1, null] }, extensions: { team: 'a', n: 1 }, mode: 'structured' },
      sink: 'https://user:pw@sink.example.com/x',
      catchUp: { window: '10m', policy: 'latest' },
      overlap: 'skip',
      pauseOnFailure: 3,
      delivery: { retry: 0, backoffPolicy: 'linear', backoffDelay: '2s', maxBackoff: '1m', timeout: '3s', deadLetterSink: 'http://dls.example.com/' },
    });
    assert.deepEqual(spec.trigger, { kind: 'every', everyMs: 90_000, offsetMs: 10_000 });
    assert.equal(spec.startAtMs, Date.UTC(2029, 11, 31, 23));
    assert.equal(spec.jitterMs, 5_000);
    assert.deepEqual(spec.event.extensions, { team: 'a', n: '1' });
    assert.deepEqual(spec.catchUp, { windowMs: 600_000, policy: 'latest' });
    assert.deepEqual(spec.delivery, { retry: 0, backoffPolicy: 'linear', backoffDelayMs: 2_000, maxBackoffMs: 60_000, timeoutMs: 3_000, deadLetterSink: 'http://dls.example.com/' });
    assert.equal(spec.sink, 'https://user:pw@sink.example.com/x', 'the delivery needs the credentials');
    assert.equal(describeSpec(spec)['sink'], 'https://sink.example.com/x (credentials/query redacted)', 'the view hides them');
  });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no trigger', { name: 'a' }, /^needs one of every, cron or at$/],
    ['two triggers', { name: 'a', every: '1s', cron: '* * * * *' }, /^cron: cannot be combined with every/],
    ['a bare number as duration', { name: 'a', every: 5 }, /^every: 5 has no unit/],
    ['a zero interval', { name: 'a', every: '0s' }, /^every: .*zero/],
    ['an interval as cron', { name: 'a', cron: '10s' }, /^cron: "10s" is not a cron expression/],
    ['a cron that never fires', { name: 'a', cron: '0 0 30 2 *' }, /^cron: .*never fires/],
    ['an unknown zone', { name: 'a', cron: '@daily', timezone: 'Mars/Base' }, /^timezone: .*IANA/],
    ['timezone without cron', { name: 'a', every: '1s', timezone: 'UTC' }, /^timezone: applies to cron only/],
    ['offset without every', { name: 'a', at: '2030-01-01T00:00:00Z', offset: '1s' }, /^offset: is a phase of every/],
    ['offset not shorter than every', { name: 'a', every: '5s', offset: '5s' }, /^offset: 5s is not shorter than every \(5s\)/],
    ['a local time without offset', { name: 'a', at: '2030-01-01T00:00:00' }, /^at: .*with Z or an offset/],
    ['endAt before startAt', { name: 'a', every: '1s', startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }, /^endAt: is not after startAt/],
    ['at outside the window', { name: 'a', at: '2030-01-01T00:00:00Z', endAt: '2029-01-01T00:00:00Z' }, /^at: is not before endAt/],
    ['a bad name', { name: 'Nightly_Job', every: '1s' }, /^name: "Nightly_Job" must be 1-63 characters/],
    ['no name', { every: '1s' }, /^name: is required/],
    ['an unknown field', { name: 'a', evry: '1s', every: '1s' }, /^evry: unknown field/],
    ['an unknown nested field', { name: 'a', every: '1s', delivery: { retries: 3 } }, /^delivery\.retries: unknown field/],
    ['a negative retry', { name: 'a', every: '1s', delivery: { retry: -1 } }, /^delivery\.retry: must be a whole number from 0 to 1000/],
    ['backoffDelay over the default maxBackoff', { name: 'a', every: '1s', delivery: { backoffDelay: '1m' } }, /^delivery\.backoffDelay: 1m is longer than delivery\.maxBackoff \(30s\)/],
    ['a bad policy', { name: 'a', every: '1s', catchUp: { policy: 'some' } }, /^catchUp\.policy: must be one of all, latest, skip/],
    ['a bad overlap', { name: 'a', every: '1s', overlap: 'buffer' }, /^overlap: must be one of bufferAll, bufferOne, skip/],
    ['a bad mode', { name: 'a', every: '1s', event: { mode: 'xml' } }, /^event\.mode: must be one of binary, structured/],
    ['a reserved extension', { name: 'a', every: '1s', event: { extensions: { trigger: 'x' } } }, /^event\.extensions: extension "trigger" is set by this event source/],
    ['a spec attribute as extension', { name: 'a', every: '1s', event: { extensions: { id: 'x' } } }, /^event\.extensions: .*"id"/],
    ['a source that is no URI-reference', { name: 'a', every: '1s', event: { source: 'a b' } }, /^event\.source: .*URI-reference/],
    ['an empty type', { name: 'a', every: '1s', event: { type: ' ' } }, /^event\.type: must not be empty/],
    ['data too large', { name: 'a', every: '1s', event: { data: 'x'.repeat(70_000) } }, /^event\.data: is 70002 characters of JSON; at most 65536/],
    ['a cron maxCount over the walk limit', { name: 'a', cron: '@hourly', maxCount: 10_001 }, /^maxCount: at most 10000 for a cron schedule/],
    ['a zero maxCount', { name: 'a', every: '1s', maxCount: 0 }, /^maxCount: must be a whole number from 1/],
    ['a non-http sink', { name: 'a', every: '1s', sink: 'ftp://user:secret@x/' }, /^sink: must be an http or https URL, not ftp$/],
    ['a sink with a bad escape', { name: 'a', every: '1s', sink: 'http://us%zz:secret@x/' }, /^sink: has a user name or password with an invalid percent-escape/],
    ['a dead-letter sink that is no URL', { name: 'a', every: '1s', delivery: { deadLetterSink: 'nowhere' } }, /^delivery\.deadLetterSink: is not a valid absolute URL/],
    ['not an object', [] as unknown as Record<string, unknown>, /^must be an object$/],
  ];
  for (const [what, value, expected] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      const problems = problemsOf(value);
      assert.ok(problems.some((line) => expected.test(line)), `${JSON.stringify(problems)} has no line matching ${expected}`);
      for (const line of problems) assert.doesNotMatch(line, /[\r\n]|secret/);
    });
  }

  it('reports every bad field of a definition, not just the first', () => {
    const problems = problemsOf({ name: 'a', every: '1s', jitter: 'x', overlap: 'y', delivery: { timeout: 0 } });
    assert.deepEqual(problems.map((line) => line.split(':')[0]), ['jitter', 'overlap', 'delivery.timeout']);
    // The trigger rules are reported alongside a bad value too.
    const both = problemsOf({ name: 'a', every: '1s', cron: '@daily', offset: '1s', timezone: 'UTC', jitter: 'x' });
    assert.deepEqual(both.map((line) => line.split(':')[0]), ['jitter', 'cron']);
    assert.deepEqual(problemsOf({ name: 'a', jitter: 'x' }), [
      'jitter: "x" is not a duration (e.g. 500ms, 10s, 5m, 1h, 1d, 1m30s, PT10S, PT0.2S)',
      'needs one of every, cron or at',
    ]);
  });

  it('asks the allow-list seam about both sinks, and reports its answer at the field', () => {
    const asked: string[] = [];
    const checked = checkDefinition(
      { name: 'a', every: '1s', sink: 'http://a.example/', delivery: { deadLetterSink: 'http://169.254.169.254/' } },
      {
        checkSink: (url, where) => {
          asked.push(`${where} ${url.origin}`);
          return url.hostname.startsWith('169.254.') ? 'is a link-local address' : undefined;
        },
      },
    );
    assert.deepEqual(asked, ['sink http://a.example', 'delivery.deadLetterSink http://169.254.169.254']);
    assert.ok(!checked.ok);
    assert.deepEqual(checked.problems.map((p) => problemLine(p)), ['delivery.deadLetterSink: is a link-local address']);
  });
});

describe('checkDefinitionFor (PUT /schedules/{name})', () => {
  it('takes the name from the path when the body leaves it out, and refuses a different one', () => {
    const ok = checkDefinitionFor('nightly', { cron: '@daily' });
    assert.ok(ok.ok);
    assert.equal(ok.spec.name, 'nightly');
    assert.ok(checkDefinitionFor('nightly', { name: 'nightly', cron: '@daily' }).ok);
    const other = checkDefinitionFor('nightly', { name: 'daily', cron: '@daily' });
    assert.ok(!other.ok);
    assert.deepEqual(other.problems.map((p) => problemLine(p)), [
      'name: "daily" does not match the schedule\'s name in the path ("nightly"); leave it out or make it equal',
    ]);
    const badPath = checkDefinitionFor('Bad Name', { cron: '@daily' });
    assert.ok(!badPath.ok && badPath.problems[0]?.field === 'name');
    assert.ok(!checkDefinitionFor('a', 'text').ok);
  });
});

describe('schedule definition: properties', () => {
  it('every valid definition parses', () => {
    fc.assert(
      fc.property(validDefinition, (definition) => {
        specOf(definition);
      }),
      fuzzParameters({ numRuns: 300 }, 'valid definitions'),
    );
  });

  it('round trip: definition → normalised → describe view → normalised is the same spec', () => {
    fc.assert(
      fc.property(validDefinition, (definition) => {
        const spec = specOf(definition);
        const view = describeSpec(spec, { redact: false });
        assert.deepEqual(specOf(JSON.parse(JSON.stringify(view))), spec);
        assert.equal(view.name, definition['name']);
      }),
      fuzzParameters({ numRuns: 300 }, 'definition round trips'),
    );
  });

  // Each mutation breaks one field of an otherwise valid definition; the refusal must name that field.
  const mutations: Array<[string, (d: Record<string, unknown>) => Record<string, unknown>]> = [
    ['name', (d) => ({ ...d, name: 'Bad Name' })],
    ['startAt', (d) => ({ ...d, startAt: 'yesterday' })],
    ['endAt', (d) => ({ ...d, endAt: 42 })],
    ['maxCount', (d) => ({ ...d, maxCount: 1.5 })],
    ['jitter', (d) => ({ ...d, jitter: '-1s' })],
    ['paused', (d) => ({ ...d, paused: 'yes' })],
    ['note', (d) => ({ ...d, note: 'x'.repeat(2_000) })],
    ['event', (d) => ({ ...d, event: 'tick' })],
    ['event.mode', (d) => ({ ...d, event: { mode: 'json' } })],
    ['event.data', (d) => ({ ...d, event: { data: { when: new Date(0) } } })],
    ['sink', (d) => ({ ...d, sink: 'mailto:a@b' })],
    ['catchUp.window', (d) => ({ ...d, catchUp: { window: '1 minute' } })],
    ['overlap', (d) => ({ ...d, overlap: null })],
    ['pauseOnFailure', (d) => ({ ...d, pauseOnFailure: 0 })],
    ['delivery.backoffPolicy', (d) => ({ ...d, delivery: { backoffPolicy: 'random' } })],
    ['delivery.timeout', (d) => ({ ...d, delivery: { timeout: 'P1M' } })],
    ['surprise', (d) => ({ ...d, surprise: true })],
  ];
  it('each kind of mistake is refused, naming the field', () => {
    fc.assert(
      fc.property(validDefinition, fc.constantFrom(...mutations), (definition, [field, mutate]) => {
        const checked = checkDefinition(mutate(definition));
        assert.ok(!checked.ok, `accepted a bad ${field}`);
        assert.ok(checked.problems.some((p) => p.field === field), `${field}: ${JSON.stringify(checked.problems)}`);
      }),
      fuzzParameters({ numRuns: 300 }, 'broken definitions'),
    );
  });

  it('any JSON value in any field: a spec, or problems that each name a field and fit on one line; never a throw', () => {
    const fields = ['name', 'every', 'offset', 'cron', 'timezone', 'at', 'startAt', 'endAt', 'maxCount', 'jitter', 'paused', 'note', 'event', 'sink', 'catchUp', 'overlap', 'pauseOnFailure', 'delivery'];
    fc.assert(
      fc.property(validDefinition, fc.constantFrom(...fields), fc.jsonValue(), (definition, field, value) => {
        const checked = checkDefinition({ ...definition, [field]: value });
        if (checked.ok) return;
        for (const p of checked.problems) {
          assert.doesNotMatch(problemLine(p), /[\r\n]/);
          assert.ok(p.field !== '' || /^needs one of/.test(p.why) || p.why === 'must be an object', JSON.stringify(p));
        }
      }),
      fuzzParameters({ numRuns: 300 }, 'definitions with any field value'),
    );
  });
});
