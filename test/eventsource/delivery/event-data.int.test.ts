/**
 * A schedule's own `event.contentType`, `event.data` and `event.dataBase64`, as PingSource has them, on the wire: a
 * real delivery (undici, the real encoder) to a recording sink on loopback, and to hello-events (which parses every
 * mode), in binary and structured mode. Binary mode: the data as the body (bytes raw, text as UTF-8, JSON as JSON
 * text) with its media type as Content-Type. Structured mode: `data_base64` for bytes, `data` for JSON and text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDelivery } from '../../../src/eventsource/delivery/deliver.js';
import type { EncodingMode } from '../../../src/eventsource/delivery/encode.js';
import { buildEvent, type EventOptions } from '../../../src/eventsource/core/event.js';
import { createServer } from '../../../src/hello-events/server.js';
import { listenDuringTests } from '../../support/loopback.js';
import { captureLogger } from '../../host/capture-logger.js';
import { useAnsweringSink } from '../../support/recording-sink.js';

const TICK = { scheduleName: 'pings', generation: '2030-01-01T00:00:00.000Z', sequence: 3, scheduledTime: '2030-01-01T00:00:30.000Z' };
const BASE = { type: 'dev.example.ping', source: 'urn:example:pings', overrides: {} };
/** Bytes that are not UTF-8 text (0xff, 0xfe) and hold a NUL: only base64 carries them through JSON. */
const BYTES = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7f, 0x80]);

interface Case {
  name: string;
  options: Partial<EventOptions>;
  /** Binary mode: Content-Type and the exact body. */
  contentType: string;
  body: Buffer;
  /** Structured mode: the data member and its value. */
  member: { data: unknown } | { data_base64: string };
}

const CASES: Case[] = [
  { name: 'text/plain text', options: { contentType: 'text/plain', data: 'hello, ünïcode' }, contentType: 'text/plain', body: Buffer.from('hello, ünïcode', 'utf8'), member: { data: 'hello, ünïcode' } },
  { name: 'bytes (dataBase64)', options: { contentType: 'application/octet-stream', dataBase64: BYTES.toString('base64') }, contentType: 'application/octet-stream', body: BYTES, member: { data_base64: BYTES.toString('base64') } },
  { name: 'empty bytes', options: { contentType: 'application/octet-stream', dataBase64: '' }, contentType: 'application/octet-stream', body: Buffer.alloc(0), member: { data_base64: '' } },
  { name: 'JSON given as bytes', options: { dataBase64: Buffer.from('{"a":1}').toString('base64') }, contentType: 'application/json', body: Buffer.from('{"a":1}'), member: { data_base64: Buffer.from('{"a":1}').toString('base64') } },
  { name: 'a JSON string', options: { data: 'just text' }, contentType: 'application/json', body: Buffer.from('"just text"'), member: { data: 'just text' } },
  { name: 'JSON null', options: { data: null }, contentType: 'application/json', body: Buffer.from('null'), member: { data: null } },
  { name: 'a +json type', options: { contentType: 'application/vnd.example+json', data: { n: 1 } }, contentType: 'application/vnd.example+json', body: Buffer.from('{"n":1}'), member: { data: { n: 1 } } },
];

/** The case's event; `generation` makes another id (hello-events logs a repeated id as a duplicate, without its data). */
function eventOf(c: Case, generation = TICK.generation) {
  return buildEvent({ ...TICK, generation }, { ...BASE, ...c.options });
}

describe('event data on the wire: a recording sink on loopback', () => {
  const sink = useAnsweringSink();

  async function send(c: Case, mode: EncodingMode) {
    const delivery = createDelivery({ sink: sink.at('/'), mode, timeoutMs: 5_000 });
    try {
      const before = sink.requests.length;
      const outcome = await delivery.deliver(eventOf(c));
      assert.equal(outcome.ok, true, c.name);
      const request = sink.requests[before];
      assert.ok(request);
      return request;
    } finally {
      await delivery.close();
    }
  }

  for (const c of CASES) {
    it(`binary mode, ${c.name}: the data as the body, its media type as Content-Type`, async () => {
      const request = await send(c, 'binary');
      assert.equal(request.headers['content-type'], c.contentType);
      assert.equal(request.headers['ce-datacontenttype'], undefined, 'Content-Type carries it');
      assert.deepEqual(request.bytes, c.body);
    });

    it(`structured mode, ${c.name}: datacontenttype, and ${'data' in c.member ? 'data' : 'data_base64'} alone`, async () => {
      const request = await send(c, 'structured');
      assert.match(request.headers['content-type'] ?? '', /^application\/cloudevents\+json/);
      const json = JSON.parse(request.body) as Record<string, unknown>;
      assert.equal(json['datacontenttype'], c.contentType);
      assert.equal(json['id'], eventOf(c).id);
      const member = 'data' in json ? { data: json['data'] } : 'data_base64' in json ? { data_base64: json['data_base64'] } : {};
      assert.deepEqual(member, c.member, 'exactly one of data and data_base64, as the JSON format says');
      assert.equal('data' in json && 'data_base64' in json, false);
    });
  }
});

describe('event data on the wire: hello-events reads what it was sent', () => {
  const captured = captureLogger('info');
  const server = createServer({ logger: captured.logger });
  const served = listenDuringTests(server);

  const received = [
    { c: CASES[0] as Case, logged: { data: 'hello, ünïcode' } },
    { c: CASES[1] as Case, logged: { data_base64: BYTES.toString('base64') } },
    { c: CASES[6] as Case, logged: { data: { n: 1 } } },
  ];
  for (const mode of ['binary', 'structured'] as const) {
    for (const [index, { c, logged }] of received.entries()) {
      it(`${mode} mode, ${c.name}: accepted, with its datacontenttype and data`, async () => {
        const delivery = createDelivery({ sink: new URL(`${served.origin}/`), mode, timeoutMs: 5_000 });
        try {
          const event = eventOf(c, new Date(Date.UTC(2030, 0, 1, mode === 'binary' ? 1 : 2, index)).toISOString());
          const outcome = await delivery.deliver(event);
          assert.equal(outcome.ok, true, JSON.stringify(outcome));
          const line = captured.lines.find((l) => l.msg === 'event received' && (l['event'] as { id?: string } | undefined)?.id === event.id);
          assert.ok(line, `hello-events logged the event: ${JSON.stringify(captured.lines.slice(-2))}`);
          const got = line['event'] as Record<string, unknown>;
          assert.equal(got['datacontenttype'], c.contentType);
          const member = 'data_base64' in got ? { data_base64: got['data_base64'] } : { data: got['data'] };
          assert.deepEqual(member, logged);
        } finally {
          await delivery.close();
        }
      });
    }
  }
});
