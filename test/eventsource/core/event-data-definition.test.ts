/**
 * `event.contentType`, `event.data` and `event.dataBase64` in a schedule definition, as PingSource has them: the media
 * type checked and written one way, data or dataBase64 (not both), text for a type that is not JSON; and what the
 * definition says reaches the normalised spec, the describe view and a spec read back, unchanged. The properties
 * run on any input (the API and the schedules file take them from outside).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkDefinition, describeSpec, problemLine, type NormalizedSpec } from '../../../src/eventsource/core/normalized-spec.js';
import { checkNormalizedSpec } from '../../../src/eventsource/core/normalized-spec-schema.js';
import { parseSchedulesDocument } from '../../../src/eventsource/core/schedules-document.js';
import { mediaTypeText } from '../../support/definitions.js';
import { fuzzParameters } from '../../support/fuzz.js';

const withEvent = (event: Record<string, unknown>): Record<string, unknown> => ({ name: 'pings', every: '1m', event });

function specOf(event: Record<string, unknown>): NormalizedSpec {
  const checked = checkDefinition(withEvent(event));
  assert.ok(checked.ok, checked.ok ? '' : checked.problems.map((p) => problemLine(p)).join('; '));
  return checked.spec;
}

function problemsOf(event: Record<string, unknown>): string[] {
  const checked = checkDefinition(withEvent(event));
  assert.ok(!checked.ok, `accepted ${JSON.stringify(event)}`);
  return checked.problems.map((p) => problemLine(p));
}

describe('event.contentType, event.data, event.dataBase64', () => {
  it('a media type is written one way; application/json is the default and a spec without it reads the same', () => {
    assert.equal(specOf({ contentType: 'Text/Plain;Charset=UTF-8', data: 'hi' }).event.contentType, 'text/plain; charset=UTF-8');
    assert.equal(specOf({ contentType: 'application/xml; profile="a b"', data: '<a/>' }).event.contentType, 'application/xml; profile="a b"');
    assert.equal(specOf({ contentType: 'application/json', data: { a: 1 } }).event.contentType, undefined, 'the default is not stored');
    assert.equal(describeSpec(specOf({ data: 1 }))['event'] !== undefined && (describeSpec(specOf({ data: 1 }))['event'] as { contentType: string }).contentType, 'application/json', 'describe shows it');
  });

  it('refuses what is not a media type, naming the field and why', () => {
    assert.match(problemsOf({ contentType: 'plain', data: 'x' })[0] ?? '', /^event\.contentType: "plain" is not a media type/);
    assert.match(problemsOf({ contentType: 'text/plain\r\nx-evil: 1', data: 'x' })[0] ?? '', /^event\.contentType: must be printable ASCII/);
    assert.match(problemsOf({ contentType: 'application/cloudevents+json', data: {} })[0] ?? '', /^event\.contentType: application\/cloudevents\+json is the CloudEvents envelope's own type/);
    assert.match(problemsOf({ contentType: 7 })[0] ?? '', /^event\.contentType: must be a media type such as text\/plain/);
    assert.match(problemsOf({ contentType: `text/${'a'.repeat(300)}`, data: 'x' })[0] ?? '', /^event\.contentType: is 305 characters long; at most 256/);
  });

  it('data or dataBase64, not both; base64 that is base64, at most 65536 characters', () => {
    assert.deepEqual(problemsOf({ data: 'x', dataBase64: 'eA==' }), ['event.dataBase64: cannot be combined with event.data; give the data as one or the other']);
    for (const bad of ['eA=', 'e A==', 'eB==', 'ä', 'eA==\n']) assert.match(problemsOf({ dataBase64: bad })[0] ?? '', /^event\.dataBase64: is not base64/, bad);
    assert.match(problemsOf({ dataBase64: 'A'.repeat(65_540) })[0] ?? '', /^event\.dataBase64: is 65540 characters of base64; at most 65536/);
    assert.equal(specOf({ dataBase64: 'A'.repeat(65_536) }).event.dataBase64?.length, 65_536);
    assert.equal(specOf({ dataBase64: '' }).event.dataBase64, '', 'empty bytes are data too');
  });

  it('a type that is not JSON takes text or bytes, and text only as UTF-8', () => {
    assert.deepEqual(problemsOf({ contentType: 'text/plain', data: { a: 1 } }), ['event.data: must be text for event.contentType text/plain (only JSON types take any JSON value); give bytes as event.dataBase64']);
    assert.match(problemsOf({ contentType: 'text/plain' })[0] ?? '', /^event\.contentType: text\/plain is not JSON, so it needs event\.data \(text\) or event\.dataBase64 \(bytes\)/);
    assert.match(problemsOf({ contentType: 'text/plain; charset=iso-8859-1', data: 'x' })[0] ?? '', /^event\.contentType: charset "iso-8859-1" does not fit: event\.data is sent as UTF-8/);
    assert.equal(specOf({ contentType: 'text/plain; charset=iso-8859-1', dataBase64: '6Q==' }).event.dataBase64, '6Q==', 'bytes in any charset');
    assert.equal(specOf({ contentType: 'application/vnd.x+json', data: { a: 1 } }).event.contentType, 'application/vnd.x+json');
  });

  it('a file entry\'s data, in either form, replaces the defaults\' data in either form', () => {
    const doc = (entry: Record<string, unknown>) => parseSchedulesDocument({ defaults: { event: { contentType: 'text/plain', data: 'default text' } }, schedules: [{ name: 'a', every: '1m', ...entry }] });
    const bytes = doc({ event: { dataBase64: 'AAE=' } });
    assert.ok(bytes.ok, bytes.ok ? '' : bytes.problems.join('; '));
    assert.deepEqual([bytes.entries[0]?.spec.event.contentType, bytes.entries[0]?.spec.event.data, bytes.entries[0]?.spec.event.dataBase64], ['text/plain', undefined, 'AAE=']);
    const inherited = doc({});
    assert.ok(inherited.ok);
    assert.equal(inherited.entries[0]?.spec.event.data, 'default text');
  });

  it('any definition of the three: normalised, described, checked again and read back unchanged (property)', () => {
    const data = fc.oneof(
      fc.record({ data: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({ contentType: mediaTypeText, data: fc.string({ maxLength: 30 }) }),
      fc.record({ contentType: mediaTypeText, dataBase64: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')) }),
    );
    fc.assert(
      fc.property(data, (event) => {
        const spec = specOf(event);
        const again = checkDefinition(describeSpec(spec, { redact: false }));
        assert.ok(again.ok);
        assert.deepEqual(again.spec, spec);
        assert.deepEqual(checkNormalizedSpec(JSON.parse(JSON.stringify(spec))), { ok: true, spec });
        if ('dataBase64' in event) assert.equal(spec.event.dataBase64, event.dataBase64);
      }),
      fuzzParameters({ numRuns: 300 }, 'event data round trip'),
    );
  });

  it('any value in the three fields is accepted or refused with one line per problem naming an event field, never a crash (property)', () => {
    const anything = fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9+/=]{0,12}$/), fc.stringMatching(/^[a-zA-Z]{1,6}\/[a-zA-Z+.-]{1,8}(;\s?[a-z]{1,4}=("[^"\r\n]{0,6}"|[^;\r\n]{0,6}))?$/), fc.jsonValue({ maxDepth: 2 }));
    fc.assert(
      fc.property(fc.record({ contentType: anything, data: anything, dataBase64: anything }, { requiredKeys: [] }), (event) => {
        const checked = checkDefinition(withEvent(event));
        if (checked.ok) return;
        for (const p of checked.problems) {
          assert.match(p.field, /^event\.(contentType|data|dataBase64)$/, problemLine(p));
          assert.doesNotMatch(p.why, /[\r\n]/);
        }
      }),
      fuzzParameters({ numRuns: 500 }, 'event data fields'),
    );
  });
});
