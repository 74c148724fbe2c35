import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudEvent, HTTP } from 'cloudevents';
import fc from 'fast-check';
import { EventSourceError } from '../../../src/eventsource/core/errors.js';
import { parseCeOverrides } from '../../../src/eventsource/core/ce-overrides.js';
import { buildEvent, eventId, formatSequence, manualEventId, type Tick } from '../../../src/eventsource/core/event.js';
import { DNS_NAMESPACE, URL_NAMESPACE, uuidV5 } from '../../../src/eventsource/core/uuid-v5.js';
import { fuzzParameters } from '../../support/fuzz.js';

const tick: Tick = {
  scheduleName: 'default',
  generation: '2025-01-01T00:00:00.000Z',
  sequence: 42,
  scheduledTime: '2025-01-01T00:07:00.000Z',
};
const options = { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} };

function isCode(code: string, pattern?: RegExp) {
  return (error: unknown): boolean =>
    error instanceof EventSourceError && error.code === code && (pattern === undefined || pattern.test(error.message));
}

describe('uuidV5', () => {
  it('matches the published RFC 4122 version-5 vectors', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com'), uuid.uuid5(uuid.NAMESPACE_URL, 'https://www.example.com')
    assert.equal(uuidV5('www.example.com', DNS_NAMESPACE), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.equal(uuidV5('python.org', DNS_NAMESPACE), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
    assert.match(uuidV5('x', URL_NAMESPACE), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('formatSequence', () => {
  it('pads to 16 digits', () => {
    assert.equal(formatSequence(1), '0000000000000001');
    assert.equal(formatSequence(Number.MAX_SAFE_INTEGER), '9007199254740991');
  });

  it('orders lexicographically like numbers for 1..10000', () => {
    const numbers = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const shuffled = numbers.map((n) => formatSequence(n)).reverse();
    shuffled.push(...shuffled.splice(0, 5_000)); // mix the order up
    assert.deepEqual(shuffled.sort().map(Number), numbers);
  });

  it('refuses negative, fractional and unsafe numbers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      assert.throws(() => formatSequence(bad), isCode('EVENT_INVALID'));
    }
  });
});

describe('eventId', () => {
  it('is the same for the same tick every time', () => {
    const id = eventId(tick);
    assert.equal(eventId({ ...tick }), id);
    assert.equal(buildEvent(tick, options).id, id);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is pinned: a v5 UUID of <schedule>/<generation>/<scheduled time> (receivers may rely on it across versions)', () => {
    const namespace = uuidV5('urn:durable-event-source:event-id', URL_NAMESPACE);
    assert.equal(eventId(tick), uuidV5('default/2025-01-01T00:00:00.000Z/2025-01-01T00:07:00.000Z', namespace));
  });

  it('depends on the scheduled time, not the sequence: a redelivery or backfill of the same time has the same id', () => {
    const sameTime: Tick = { ...tick, sequence: 7 };
    assert.equal(eventId(sameTime), eventId(tick));
    assert.equal(buildEvent({ ...tick, sequence: 7 }, options).id, eventId(tick));
    // Another spelling of the same instant is the same tick.
    assert.equal(eventId({ ...tick, scheduledTime: '2025-01-01T00:07:00Z' }), eventId(tick));
  });

  it('differs when the scheduled time, schedule or generation differ', () => {
    const ids = new Set<string>();
    const start = Date.parse(tick.scheduledTime);
    for (let n = 0; n < 10_000; n++) ids.add(eventId({ ...tick, scheduledTime: new Date(start + n).toISOString() }));
    assert.equal(ids.size, 10_000);
    assert.notEqual(eventId({ ...tick, scheduleName: 'other' }), eventId(tick));
    assert.notEqual(eventId({ ...tick, generation: '2025-01-02T00:00:00.000Z' }), eventId(tick));
  });

  it('refuses names that would make the id ambiguous, and times that are not dates', () => {
    assert.throws(() => eventId({ ...tick, scheduleName: 'a/b' }), isCode('EVENT_INVALID'));
    assert.throws(() => eventId({ ...tick, generation: 'x/1' }), isCode('EVENT_INVALID'));
    assert.throws(() => eventId({ ...tick, scheduledTime: 'soon' }), isCode('EVENT_INVALID'));
  });
});

describe('eventId: properties', () => {
  const generation = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }).map((ms) => new Date(ms).toISOString());
  const key = fc.record({
    scheduleName: fc.constantFrom('a', 'b', 'nightly', 'every-5s'),
    generation: fc.oneof(fc.constant('2025-01-01T00:00:00.000Z'), generation),
    scheduledMs: fc.oneof(fc.constant(Date.UTC(2030, 0, 1)), fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) })),
  });

  it('equal for equal (schedule, generation, scheduled time), different otherwise', () => {
    fc.assert(
      fc.property(key, key, (x, y) => {
        const id = (k: typeof x): string => eventId({ scheduleName: k.scheduleName, generation: k.generation, scheduledTime: new Date(k.scheduledMs).toISOString() });
        const same = x.scheduleName === y.scheduleName && x.generation === y.generation && x.scheduledMs === y.scheduledMs;
        assert.equal(id(x) === id(y), same);
      }),
      fuzzParameters({ numRuns: 1_000 }, 'event ids'),
    );
  });
});

describe('manualEventId', () => {
  const trigger = { scheduleName: tick.scheduleName, generation: tick.generation, requestId: '5b7c0e3a-1f2d-4c59-9a0e-4a1b2c3d4e5f' };

  it('is the same for the same request, different for another request', () => {
    assert.equal(manualEventId({ ...trigger }), manualEventId(trigger));
    assert.notEqual(manualEventId({ ...trigger, requestId: 'other-request' }), manualEventId(trigger));
    assert.notEqual(manualEventId({ ...trigger, generation: '2025-01-02T00:00:00.000Z' }), manualEventId(trigger));
  });

  it('never equals a tick id, even when the request id is a scheduled time', () => {
    const asTime = { ...trigger, requestId: tick.scheduledTime };
    assert.notEqual(manualEventId(asTime), eventId(tick));
  });

  it('refuses request ids that could make the id ambiguous', () => {
    for (const requestId of ['', 'a/b', 'x'.repeat(129), 'has space']) {
      assert.throws(() => manualEventId({ ...trigger, requestId }), isCode('EVENT_INVALID'));
    }
  });
});

describe('buildEvent', () => {
  it('builds a valid CloudEvent with the tick in it', () => {
    const event = buildEvent(tick, options);
    assert.ok(event instanceof CloudEvent);
    assert.equal(event.validate(), true);
    assert.equal(event.specversion, '1.0');
    assert.equal(event.type, options.type);
    assert.equal(event.source, options.source);
    assert.equal(event.time, tick.scheduledTime);
    assert.equal(event.datacontenttype, 'application/json');
    assert.equal(event['sequence'], '0000000000000042');
    assert.deepEqual(event.data, { schedule: 'default', sequence: 42, scheduledTime: tick.scheduledTime });
  });

  it('is deterministic (same tick, equal event)', () => {
    assert.deepEqual(buildEvent(tick, options).toJSON(), buildEvent(tick, options).toJSON());
  });

  it('adds the override extensions', () => {
    const event = buildEvent(tick, { ...options, overrides: { extra: 'this is an extra attribute', additional: '42' } });
    assert.equal(event['extra'], 'this is an extra attribute');
    assert.equal(event['additional'], '42');
    const received = HTTP.toEvent(HTTP.binary(event)) as CloudEvent<unknown>;
    assert.equal(received['extra'], 'this is an extra attribute');
  });

  it('refuses to override a spec attribute, naming it', () => {
    for (const name of ['id', 'source', 'specversion', 'type', 'datacontenttype', 'dataschema', 'subject', 'time', 'data', 'data_base64']) {
      assert.throws(
        () => buildEvent(tick, { ...options, overrides: { [name]: 'x' } }),
        isCode('CE_OVERRIDES_INVALID', new RegExp(`"${name}"`)),
        name,
      );
    }
    assert.throws(() => buildEvent(tick, { ...options, overrides: { sequence: '1' } }), isCode('CE_OVERRIDES_INVALID', /sequence/));
  });

  it('refuses invalid extension names and invalid attributes', () => {
    assert.throws(() => buildEvent(tick, { ...options, overrides: { 'Bad-Name': 'x' } }), isCode('CE_OVERRIDES_INVALID', /Bad-Name/));
    assert.throws(() => buildEvent(tick, { ...options, type: '' }), isCode('EVENT_INVALID'));
    assert.throws(() => buildEvent({ ...tick, scheduledTime: 'yesterday' }, options), isCode('EVENT_INVALID', /yesterday/));
  });
});

describe('parseCeOverrides', () => {
  it('reads Knative K_CE_OVERRIDES', () => {
    assert.deepEqual(parseCeOverrides('{"extensions":{"extra":"this is an extra attribute","additional":"42"}}'), {
      extra: 'this is an extra attribute',
      additional: '42',
    });
  });

  it('treats empty text and empty objects as no overrides', () => {
    assert.deepEqual(parseCeOverrides(''), {});
    assert.deepEqual(parseCeOverrides('  '), {});
    assert.deepEqual(parseCeOverrides('{}'), {});
    assert.deepEqual(parseCeOverrides('{"extensions":{}}'), {});
  });

  it('stringifies numbers and booleans', () => {
    assert.deepEqual(parseCeOverrides('{"extensions":{"n":42,"b":true}}'), { n: '42', b: 'true' });
  });

  const refused: Array<[string, RegExp]> = [
    ['{"extensions":', /not valid JSON/],
    ['not json', /not valid JSON/],
    ['[]', /JSON object/],
    ['"x"', /JSON object/],
    ['{"extensions":[]}', /"extensions" must be a JSON object/],
    ['{"type":"x"}', /unknown key "type"/],
    ['{"extensions":{"id":"x"}}', /spec attribute "id"/],
    ['{"extensions":{"time":"x"}}', /spec attribute "time"/],
    ['{"extensions":{"UPPER":"x"}}', /"UPPER" is invalid/],
    ['{"extensions":{"with-dash":"x"}}', /"with-dash" is invalid/],
    ['{"extensions":{"obj":{"a":1}}}', /"obj" must have a string/],
    ['{"extensions":{"nul":null}}', /"nul" must have a string/],
  ];
  for (const [json, why] of refused) {
    it(`refuses ${json}`, () => {
      assert.throws(() => parseCeOverrides(json), isCode('CE_OVERRIDES_INVALID', why));
    });
  }

  it('never quotes the raw JSON in its message', () => {
    assert.throws(
      () => parseCeOverrides('{"extensions":{"a":"s3cr3t-value"'),
      (error: unknown) => error instanceof Error && !error.message.includes('s3cr3t'),
    );
  });
});
