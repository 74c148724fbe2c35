/**
 * hello-events against bad and hostile input over real HTTP on loopback (issue #8): an invalid `time` or
 * `data_base64` is refused with 400 naming the attribute (the SDK used to replace a bad time by the current time and
 * a bad base64 by nothing), a client that sends its headers too slowly is cut off, and a fuzz run of binary and
 * structured CloudEvents never gets a 5xx or kills the server.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { createServer } from '../../src/hello-events/server.js';
import { listenDuringTests } from '../support/loopback.js';
import { fuzzParameters } from '../support/fuzz.js';

const silent = { write: (): void => undefined };
const binaryHeaders = { 'ce-specversion': '1.0', 'ce-id': 'e-1', 'ce-source': '/s', 'ce-type': 't', 'content-type': 'application/json' };
const structured = { specversion: '1.0', id: 'e-1', source: '/s', type: 't' };

describe('hello-events: hostile input', () => {
  const server = createServer({ logDestination: silent, headersTimeoutMs: 500, requestTimeoutMs: 1_000, maxBodyBytes: 64 * 1024 });
  const served = listenDuringTests(server);

  async function post(headers: Record<string, string>, body: string | Uint8Array): Promise<{ status: number; text: string }> {
    const response = await fetch(`${served.origin}/`, { method: 'POST', headers, body });
    return { status: response.status, text: await response.text() };
  }

  it('regression: an invalid ce-time (binary) or time (structured) is refused with 400 naming the attribute', async () => {
    for (const time of ['yesterday', '2024-13-45T00:00:00Z', '2024-01-01', '2024-02-30T00:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01 00:00:00Z']) {
      const binary = await post({ ...binaryHeaders, 'ce-time': time }, '{}');
      assert.equal(binary.status, 400, time);
      assert.match(binary.text, /^ce-time: .*RFC 3339/);
      const json = await post({ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ ...structured, time }));
      assert.equal(json.status, 400, time);
      assert.match(json.text, /^time: .*RFC 3339/);
    }
    for (const time of ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00.123456+05:30', '2016-12-31T23:59:60Z']) {
      assert.equal((await post({ ...binaryHeaders, 'ce-time': time }, '{}')).status, 200, time);
    }
  });

  it('regression: invalid base64 in data_base64 (or data_base64 with data) is refused with 400 naming data_base64', async () => {
    for (const extra of [{ data_base64: '!!!' }, { data_base64: 'aGVsbG8' }, { data_base64: 12 }, { data_base64: 'aGVsbG8=', data: 'x' }]) {
      const reply = await post({ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ ...structured, ...extra }));
      assert.equal(reply.status, 400, JSON.stringify(extra));
      assert.match(reply.text, /^data_base64: /);
    }
    const ok = await post({ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ ...structured, data_base64: 'aGVsbG8=' }));
    assert.equal(ok.status, 200);
  });

  it('a client that never finishes its headers is cut off after the headers timeout', async () => {
    const socket = net.connect(served.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nce-id: slow\r\n');
    const started = Date.now();
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await once(socket, 'close');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5_000, `closed after ${elapsed} ms`);
    assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 408/);
  });

  it('fuzz: binary and structured CloudEvents never get a 5xx; a 400 says what is wrong', async () => {
    const attribute = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '1.0', '0.3', 'yesterday', '2030-01-01T00:00:00Z', '%zz', 'a\u0000b'));
    const headerText = attribute.map((text) => text.replace(/[^\t\x20-\x7e]/g, '?')); // what an HTTP header can carry
    const contentType = fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/xml', '', 'application/cloudevents+json', 'application/cloudevents-batch+json', 'application/cloudevents+xml', 'multipart/form-data');
    const binaryCase = fc
      .tuple(
        fc.record({ 'ce-specversion': headerText, 'ce-id': headerText, 'ce-source': headerText, 'ce-type': headerText, 'ce-time': headerText, 'ce-sequence': headerText, 'ce-dataschema': headerText, 'ce-subject': headerText }, { requiredKeys: [] }),
        contentType,
        fc.oneof(fc.json(), fc.string(), fc.uint8Array({ maxLength: 256 })),
      )
      .map(([headers, type, body]) => ({ headers: { ...headers, ...(type ? { 'content-type': type } : {}) }, body }));
    const structuredCase = fc
      .tuple(
        fc.oneof(
          fc.record(
            { specversion: fc.oneof(attribute, fc.jsonValue()), id: fc.oneof(attribute, fc.jsonValue()), source: fc.oneof(attribute, fc.jsonValue()), type: fc.oneof(attribute, fc.jsonValue()), time: fc.oneof(attribute, fc.jsonValue()), data: fc.jsonValue(), data_base64: fc.oneof(fc.base64String(), attribute, fc.jsonValue()), datacontenttype: fc.oneof(contentType, fc.jsonValue()), dataschema: fc.oneof(attribute, fc.jsonValue()), ext1: fc.jsonValue() },
            { requiredKeys: [] },
          ).map((o) => JSON.stringify(o)),
          fc.json(),
          fc.string(),
        ),
        fc.constantFrom('application/cloudevents+json', 'application/cloudevents+json; charset=utf-8', 'application/cloudevents-batch+json'),
      )
      .map(([body, type]) => ({ headers: { 'content-type': type }, body }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(binaryCase, structuredCase), async ({ headers, body }) => {
        const reply = await post(headers, body);
        assert.ok([200, 400, 413].includes(reply.status), `${reply.status} ${reply.text} for ${JSON.stringify(headers)}`);
        if (reply.status === 400) assert.ok(reply.text.length > 0 && reply.text.length < 400, reply.text);
      }),
      fuzzParameters({ numRuns: 300 }, 'hello-events CloudEvents'),
    );
    // The server still answers after all of it.
    assert.equal((await fetch(`${served.origin}/`)).status, 200);
  });
});
