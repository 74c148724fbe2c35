/**
 * hello-events against the CloudEvents HTTP protocol binding (structured, binary and batched modes) and the core
 * spec's attribute rules for 1.0 and 0.3, as a table run against the real server on a free loopback port. The cases
 * follow the binding's text and the categories of the cloudevents/conformance suite, written afresh. Every case
 * asserts the status; an accepted one also what was logged (every attribute and the data), a refused one the problem.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { startReceiver, type Receiver } from './support/receiver.js';

type Logged = Record<string, unknown>;

interface Case {
  readonly name: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: string | Uint8Array;
  /** Accepted: the events logged, in order (attributes, and data or data_base64). Refused: the problem's pattern. */
  readonly expect: { readonly logged: readonly Logged[] } | { readonly refused: RegExp };
}

let counter = 0;
/** Each event gets its own id so that the dedup window never turns a case into a duplicate. */
const nextId = (): string => `case-${++counter}`;
const SOURCE = '/mycontext/subcontext';
const TYPE = 'com.example.someevent';
const TIME = '2018-04-05T03:56:24Z';

/** A binary-mode case: the four required ce-* headers (1.0) plus `extra`; `logged` lists what the event adds. */
function binary(name: string, extra: OutgoingHttpHeaders, body: string | Uint8Array, expect: Logged | RegExp): Case {
  const id = nextId();
  const headers = { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': SOURCE, 'ce-type': TYPE, ...extra };
  const base = { specversion: headers['ce-specversion'], id, source: SOURCE, type: TYPE };
  return { name, headers, body, expect: expect instanceof RegExp ? { refused: expect } : { logged: [{ ...base, ...expect }] } };
}

/** A structured-mode case: `event` is merged over the four required attributes (1.0); undefined removes one. */
function structured(name: string, contentType: string, event: Record<string, unknown>, expect: Logged | RegExp): Case {
  const document = withoutUndefined({ specversion: '1.0', id: nextId(), source: SOURCE, type: TYPE, ...event });
  const logged = expect instanceof RegExp ? expect : { ...attributesOf(document), ...expect };
  return {
    name,
    headers: { 'content-type': contentType },
    body: JSON.stringify(document),
    expect: logged instanceof RegExp ? { refused: logged } : { logged: [logged] },
  };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** What a JSON event logs besides its data: every member but data and data_base64, nulls left out. */
function attributesOf(document: Record<string, unknown>): Logged {
  return Object.fromEntries(Object.entries(document).filter(([name, value]) => name !== 'data' && name !== 'data_base64' && value !== null));
}

const JSON_DATA = { message: 'Hello World!' };
const JSON_BODY = JSON.stringify(JSON_DATA);
const CE_JSON = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

const contentTypeCases: Case[] = [
  // Binary mode: Content-Type is datacontenttype, whatever its case and parameters.
  ...['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'APPLICATION/JSON', 'application/vnd.example+json'].map((type) =>
    binary(`binary, content-type ${type}`, { 'ce-time': TIME, 'content-type': type }, JSON_BODY, { time: TIME, datacontenttype: type, data: JSON_DATA }),
  ),
  binary('binary, text/plain; charset=us-ascii', { 'content-type': 'text/plain; charset=us-ascii' }, 'Hello, World!\n', { datacontenttype: 'text/plain; charset=us-ascii', data: 'Hello, World!\n' }),
  binary('binary, text/plain; charset=utf-8', { 'content-type': 'text/plain; charset=utf-8' }, 'Hello, 🌎!', { datacontenttype: 'text/plain; charset=utf-8', data: 'Hello, 🌎!' }),
  binary('binary, JSON string data', { 'content-type': 'application/json; charset=utf-8' }, '"Hello, 🌎!"', { datacontenttype: 'application/json; charset=utf-8', data: 'Hello, 🌎!' }),
  binary('binary, JSON array data', { 'content-type': 'application/json; charset=utf-8' }, '["Hello","🌎!"]', { datacontenttype: 'application/json; charset=utf-8', data: ['Hello', '🌎!'] }),
  binary('binary, application/xml', { 'content-type': 'application/xml; charset=utf-8' }, '<msg>Hello, 🌎!</msg>', { datacontenttype: 'application/xml; charset=utf-8', data: '<msg>Hello, 🌎!</msg>' }),
  binary('binary, octet-stream is logged as base64', { 'content-type': 'application/octet-stream' }, Uint8Array.from([0, 1, 254, 255]), { datacontenttype: 'application/octet-stream', data_base64: 'AAH+/w==' }),
  binary('binary, no content-type and no body', {}, '', {}),
  binary('binary, JSON content-type with a body that is no JSON', { 'content-type': 'application/json' }, '{nope', /^data is not valid JSON for content-type "application\/json"/),
  binary('binary, ce-datacontenttype is not allowed', { 'content-type': 'application/json', 'ce-datacontenttype': 'application/json' }, JSON_BODY, /^ce-datacontenttype must not be sent/),
  binary('binary, a content-type that is no media type', { 'content-type': 'json' }, JSON_BODY, /^content-type: "json" is not a media type/),
  // Structured mode: the CloudEvents media type, matched case-insensitively, with or without parameters and spaces.
  ...[CE_JSON, `${CE_JSON}; charset=utf-8`, `${CE_JSON}; charset=UTF-8`, `${CE_JSON};charset=utf-8`, 'APPLICATION/CLOUDEVENTS+JSON', 'Application/CloudEvents+Json ;  Charset="UTF-8"'].map((type) =>
    structured(`structured, content-type ${type}`, type, { time: TIME, datacontenttype: 'application/json', data: JSON_DATA }, { data: JSON_DATA }),
  ),
  structured('structured, text data', CE_JSON, { datacontenttype: 'text/plain; charset=utf-8', data: 'Hello, 🌎!' }, { data: 'Hello, 🌎!' }),
  structured('structured, data_base64', CE_JSON, { datacontenttype: 'application/octet-stream', data_base64: 'AAH+/w==' }, { data_base64: 'AAH+/w==' }),
  structured('structured, no data', CE_JSON, {}, {}),
  structured('structured, explicit null data', CE_JSON, { data: null }, { data: null }),
  structured('structured, a null attribute is absent', CE_JSON, { subject: null, data: 1 }, { data: 1 }),
  structured('structured, a charset that is not UTF-8', `${CE_JSON}; charset=iso-8859-1`, {}, /^charset "iso-8859-1" is not supported/),
  structured('structured, an XML event format', 'application/cloudevents+xml', {}, /^unsupported event format "application\/cloudevents\+xml"/),
  structured('structured, the bare CloudEvents media type', 'application/cloudevents', {}, /^unsupported event format "application\/cloudevents"/),
  { name: 'structured, a body that is not JSON', headers: { 'content-type': CE_JSON }, body: '{"specversion":', expect: { refused: /^body is not valid JSON/ } },
  { name: 'structured, a JSON array in single mode', headers: { 'content-type': CE_JSON }, body: '[]', expect: { refused: /^an event must be a JSON object/ } },
  { name: 'structured, a body that is not UTF-8', headers: { 'content-type': CE_JSON }, body: Uint8Array.from([0x7b, 0xc0, 0xa0, 0x7d]), expect: { refused: /^body is not valid UTF-8/ } },
  { name: 'no CloudEvent at all', headers: { 'content-type': 'application/json' }, body: JSON_BODY, expect: { refused: /^not a CloudEvent/ } },
];

const headerValueCases: Case[] = [
  // §3.1.3.2: one round of percent-decoding, any hex case, unnecessary encoding accepted, the bytes valid UTF-8.
  binary('percent-encoded UTF-8 (the binding\'s example)', { 'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80' }, '', { subject: 'Euro € 😀' }),
  binary('lower-case percent-encoding', { 'ce-subject': 'Euro%20%e2%82%ac' }, '', { subject: 'Euro €' }),
  binary('unnecessary percent-encoding', { 'ce-subject': '%41%42%2F' }, '', { subject: 'AB/' }),
  binary('a percent-encoded percent is decoded once only', { 'ce-subject': '100%2541' }, '', { subject: '100%41' }),
  binary('a percent-encoded source', { 'ce-source': '/a%20b' }, '', /^ce-source: "\/a b" is not a URI reference/),
  binary('an encoded extension', { 'ce-comexampleextension': 'caf%C3%A9' }, '', { comexampleextension: 'café' }),
  binary('an overlong encoding (%C0%A0)', { 'ce-subject': 'a%C0%A0b' }, '', /^ce-subject: percent-decodes to bytes that are not valid UTF-8/),
  binary('an overlong encoding of "/" (%E0%80%AF)', { 'ce-subject': '%E0%80%AF' }, '', /^ce-subject: percent-decodes to bytes that are not valid UTF-8/),
  binary('an encoded surrogate (%ED%A0%80)', { 'ce-subject': '%ED%A0%80' }, '', /^ce-subject: percent-decodes to bytes that are not valid UTF-8/),
  binary('a lone continuation byte', { 'ce-subject': '%80' }, '', /^ce-subject: percent-decodes to bytes that are not valid UTF-8/),
  binary('a truncated sequence', { 'ce-subject': '%E2%82' }, '', /^ce-subject: percent-decodes to bytes that are not valid UTF-8/),
  binary('a percent not followed by two hex digits', { 'ce-subject': '50%zz' }, '', /^ce-subject: has "%" not followed by two hex digits/),
  binary('a percent at the end', { 'ce-subject': '50%' }, '', /^ce-subject: has "%" not followed by two hex digits/),
  binary('an encoded control character', { 'ce-subject': 'a%0Ab' }, '', /^ce-subject: holds a control character/),
  binary('a raw non-ASCII byte', { 'ce-subject': 'caf\u00e9' }, '', /^ce-subject: holds a character outside printable US-ASCII/),
  // Quoted-string values (RFC 7230 §3.2.6), as older senders wrote them: unquoted, backslash escapes, then decoded.
  binary('a quoted value', { 'ce-subject': '"hello world"' }, '', { subject: 'hello world' }),
  binary('a quoted value with escapes', { 'ce-subject': '"say \\"hi\\" \\\\ bye"' }, '', { subject: 'say "hi" \\ bye' }),
  binary('a quoted value is percent-decoded after unquoting', { 'ce-subject': '"50%25 off"' }, '', { subject: '50% off' }),
  binary('a quoted required attribute', { 'ce-type': `"${TYPE}"` }, '', {}),
  binary('a quoted empty id', { 'ce-id': '""' }, '', /^missing required attribute\(s\): ce-id/),
  binary('an unterminated quote', { 'ce-subject': '"abc' }, '', /^ce-subject: has an opening double quote without a closing one/),
  binary('text after the closing quote', { 'ce-subject': '"abc"def' }, '', /^ce-subject: has text after its closing double quote/),
  binary('surrounding whitespace is not part of the value', { 'ce-subject': '  padded\t' }, '', { subject: 'padded' }),
];

const specversionCases: Case[] = [
  binary('0.3 binary', { 'ce-specversion': '0.3', 'ce-time': TIME, 'content-type': 'application/json', 'ce-comexampleextension1': 'value' }, JSON_BODY, { time: TIME, datacontenttype: 'application/json', comexampleextension1: 'value', data: JSON_DATA }),
  binary('0.3 binary, an extension holding JSON with raw quotes and a space', { 'ce-specversion': '0.3', 'ce-comexampleextension2': '{"othervalue": 5}' }, '', { comexampleextension2: '{"othervalue": 5}' }),
  binary('0.3 binary with schemaurl', { 'ce-specversion': '0.3', 'ce-schemaurl': 'https://example.com/schema' }, '', { schemaurl: 'https://example.com/schema' }),
  structured('0.3 structured, with extensions', CE_JSON, { specversion: '0.3', time: TIME, comexampleextension1: 'value', comexampleextension2: '{"othervalue": 5}', data: { world: 'hello' } }, { data: { world: 'hello' } }),
  structured('0.3 structured, base64 data', CE_JSON, { specversion: '0.3', datacontentencoding: 'base64', data: 'aGVsbG8=' }, { data_base64: 'aGVsbG8=' }),
  structured('0.3 structured, an unknown encoding', CE_JSON, { specversion: '0.3', datacontentencoding: 'gzip', data: 'x' }, /^datacontentencoding: "gzip" is not supported/),
  structured('0.3 structured, base64 data that is not base64', CE_JSON, { specversion: '0.3', datacontentencoding: 'base64', data: '***' }, /^data: is not valid base64/),
  structured('1.0 dataschema, an absolute URI', CE_JSON, { dataschema: 'https://example.com/s.json' }, {}),
  structured('1.0 dataschema, a relative reference', CE_JSON, { dataschema: '/s.json' }, /^dataschema: "\/s.json" is not an absolute URI/),
  structured('1.0 empty subject', CE_JSON, { subject: '' }, /^subject: must not be empty/),
  structured('0.3 empty subject', CE_JSON, { specversion: '0.3', subject: '' }, /^subject: must not be empty/),
  structured('0.3 empty schemaurl', CE_JSON, { specversion: '0.3', schemaurl: '' }, /^schemaurl: must not be empty/),
  structured('an unknown specversion', CE_JSON, { specversion: '2.0' }, /^unsupported specversion "2.0" \(supported: "1.0", "0.3"\)/),
  structured('a numeric specversion', CE_JSON, { specversion: 1 }, /^unsupported specversion 1/),
  binary('an unknown specversion (binary)', { 'ce-specversion': '0.2' }, '', /^unsupported ce-specversion "0.2"/),
];

const timeCases: Case[] = [
  ...['2018-04-05T03:56:24Z', '2018-04-05t03:56:24z', '2018-04-05T03:56:24.123456789+05:30', '2016-12-31T23:59:60Z', '2018-04-05T03:56:24-00:00'].map((time) =>
    structured(`valid time ${time}`, CE_JSON, { time }, {}),
  ),
  ...['2018-04-05', '2018-04-05T03:56:24', '2018-04-05 03:56:24Z', '2018-02-30T00:00:00Z', '2018-04-05T24:00:00Z', '2018-04-05T03:56:24+25:00', 'yesterday', ''].map((time) =>
    structured(`invalid time "${time}"`, CE_JSON, { time }, /^time: ".*" is not an RFC 3339 timestamp/),
  ),
  binary('invalid ce-time', { 'ce-time': '2018-04-05T03:56' }, '', /^ce-time: "2018-04-05T03:56" is not an RFC 3339 timestamp/),
  binary('valid percent-encoded ce-time', { 'ce-time': '2018-04-05T03%3A56%3A24Z' }, '', { time: TIME }),
];

const requiredCases: Case[] = [
  ...(['id', 'source', 'type', 'specversion'] as const).flatMap((name) => [
    structured(`structured without ${name}`, CE_JSON, { [name]: undefined }, new RegExp(`^missing required attribute\\(s\\): ${name}$`)),
    binary(`binary without ce-${name}`, { [`ce-${name}`]: undefined }, '', new RegExp(`^missing required attribute\\(s\\): ce-${name}$`)),
  ]),
  structured('an empty source', CE_JSON, { source: '' }, /^missing required attribute\(s\): source/),
  structured('a numeric id', CE_JSON, { id: 5 }, /^id: must be a string, not 5/),
  structured('an upper-case extension name', CE_JSON, { Upper: 'x' }, /^"Upper" is not a valid attribute name/),
  binary('a header attribute name with a dash', { 'ce-my-ext': 'x' }, '', /^"ce-my-ext" is not a valid attribute name/),
  { name: 'a __proto__ member is an attribute name like any other, and refused', headers: { 'content-type': CE_JSON }, body: '{"specversion":"1.0","id":"p","source":"/s","type":"t","__proto__":"x"}', expect: { refused: /^"__proto__" is not a valid attribute name/ } },
  binary('a ce-__proto__ header is refused by name', { 'ce-__proto__': 'x' }, '', /^"ce-__proto__" is not a valid attribute name/),
  structured('an object extension value', CE_JSON, { ext: { a: 1 } }, /^ext: must be a string, number or boolean/),
  structured('an integer extension out of 32 bits', CE_JSON, { ext: 2 ** 31 }, /^ext: 2147483648 is not a 32-bit integer/),
  structured('integer and boolean extensions', CE_JSON, { count: -2147483648, flag: true }, {}),
  structured('an unpaired surrogate in a string', CE_JSON, { subject: '\ud800x' }, /^subject: holds an unpaired surrogate/),
  structured('a noncharacter in a string', CE_JSON, { subject: 'a\ufffeb' }, /^subject: holds a Unicode noncharacter/),
  structured('data together with data_base64', CE_JSON, { data: 1, data_base64: 'AA==' }, /^data_base64: must not be present together with data/),
];

function batchCase(name: string, events: readonly Record<string, unknown>[], expect: RegExp | 'all'): Case {
  const documents = events.map((event) => withoutUndefined({ specversion: '1.0', id: nextId(), source: SOURCE, type: TYPE, ...event }));
  return {
    name,
    headers: { 'content-type': `${BATCH}; charset=utf-8` },
    body: JSON.stringify(documents),
    expect: expect === 'all' ? { logged: documents.map((document) => ({ ...attributesOf(document), ...('data' in document ? { data: document['data'] } : {}) })) } : { refused: expect },
  };
}

const batchCases: Case[] = [
  batchCase('a batch of two (1.0 and 0.3)', [{ data: { n: 1 } }, { specversion: '0.3', time: TIME }], 'all'),
  batchCase('an empty batch', [], 'all'),
  batchCase('a batch with one invalid event is refused whole', [{ data: 1 }, { time: 'soon' }], /^event \[1\] of the batch: time: "soon"/),
  { name: 'a batch that is no array', headers: { 'content-type': BATCH }, body: '{}', expect: { refused: /^a batch must be a JSON array/ } },
  { name: 'a batch content type in upper case', headers: { 'content-type': 'APPLICATION/CLOUDEVENTS-BATCH+JSON' }, body: '[]', expect: { logged: [] } },
];

describe('hello-events: CloudEvents HTTP binding conformance', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  const all = [...contentTypeCases, ...headerValueCases, ...specversionCases, ...timeCases, ...requiredCases, ...batchCases];
  it(`covers at least the 69 cases of the issue (${all.length})`, () => assert.ok(all.length >= 69));

  for (const testCase of all) {
    it(testCase.name, async () => {
      const before = receiver.records().length;
      const reply = await receiver.post(withoutUndefinedHeaders(testCase.headers), testCase.body);
      const lines = receiver.records().slice(before);
      if ('refused' in testCase.expect) {
        assert.equal(reply.status, 400, reply.text);
        assert.match(reply.text, testCase.expect.refused);
        assert.equal(lines.filter((line) => line['msg'] === 'event received').length, 0);
        return;
      }
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.text, 'Processed');
      const logged = lines.filter((line) => line['msg'] === 'event received').map((line) => line['event']);
      assert.deepEqual(logged, testCase.expect.logged);
    });
  }
});

function withoutUndefinedHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined));
}
