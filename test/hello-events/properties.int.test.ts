/**
 * Properties of hello-events' input handling (fast-check; FUZZ_RUNS=N runs longer, FUZZ_SEED=S replays):
 * any string survives the binding's percent-encoding (§3.1.3.2) and, when printable ASCII, its quoted-string form,
 * both in the decoder and over real HTTP; and arbitrary bytes, as a whole request or as the parts of one, never get
 * a 5xx or a hang.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { decodeHeaderValue } from '../../src/hello-events/header-value.js';
import { fuzzParameters } from '../support/fuzz.js';
import { startReceiver, type Receiver } from './support/receiver.js';

/** The binding's encoder: space, double quote, percent and everything outside U+0021-U+007E as %XY of its UTF-8. */
function percentEncode(value: string, upperCase: boolean): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x21 && code <= 0x7e && char !== '"' && char !== '%') {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      const hex = byte.toString(16).padStart(2, '0');
      out += `%${upperCase ? hex.toUpperCase() : hex}`;
    }
  }
  return out;
}

/** RFC 7230 quoted-string: backslash before `"` and `\`. */
const quote = (value: string): string => `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;

/** The core spec's String: no control characters, no Unicode noncharacters (fast-check's 'binary' unit makes no lone surrogates). */
function isCloudEventsString(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if ((code >= 0xfdd0 && code <= 0xfdef) || code % 0x10000 >= 0xfffe) return false;
  }
  return true;
}

const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const printableAscii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 });

describe('hello-events: properties', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxBodyBytes: 64 * 1024 });
  });
  after(() => receiver.close());

  it('decoder: percent-encoding round-trips any string, in either hex case', () => {
    fc.assert(
      fc.property(anyString, fc.boolean(), (value, upperCase) => {
        assert.deepEqual(decodeHeaderValue(percentEncode(value, upperCase)), { ok: true, value });
      }),
      fuzzParameters({ numRuns: 2_000 }, 'percent-encoding round trip'),
    );
  });

  it('decoder: a quoted-string of printable ASCII without "%" round-trips', () => {
    fc.assert(
      fc.property(printableAscii.filter((value) => !value.includes('%')), (value) => {
        assert.deepEqual(decodeHeaderValue(quote(value)), { ok: true, value });
      }),
      fuzzParameters({ numRuns: 1_000 }, 'quoted-string round trip'),
    );
  });

  it('over HTTP: a percent-encoded extension value arrives as it was sent, or is refused for what the String type forbids', async () => {
    let id = 0;
    await fc.assert(
      fc.asyncProperty(anyString, fc.boolean(), async (value, upperCase) => {
        const headers = { 'ce-specversion': '1.0', 'ce-id': `pct-${++id}`, 'ce-source': '/p', 'ce-type': 't', 'ce-comexamplevalue': percentEncode(value, upperCase) };
        const before = receiver.records().length;
        const reply = await receiver.post(headers);
        if (!isCloudEventsString(value)) {
          assert.equal(reply.status, 400);
          assert.match(reply.text, /^ce-comexamplevalue: holds a (control character|Unicode noncharacter)/);
          return;
        }
        assert.equal(reply.status, 200, reply.text);
        const [line] = receiver.records().slice(before);
        assert.equal((line?.['event'] as Record<string, unknown>)['comexamplevalue'], value);
      }),
      fuzzParameters({ numRuns: 200 }, 'percent-encoding over HTTP'),
    );
  });

  it('arbitrary bytes as a whole request never get a 5xx or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const status = await rawExchange(receiver.port, Buffer.from(bytes));
        assert.ok(status === undefined || (status >= 200 && status < 500), `status ${status}`);
      }),
      fuzzParameters({ numRuns: 100 }, 'raw request bytes'),
    );
  });

  it('arbitrary header values and body bytes in a well-formed POST get a 2xx or 4xx, never a 5xx', async () => {
    const headerByte = fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code));
    const headerText = fc.string({ unit: headerByte, maxLength: 30 });
    const names = fc.constantFrom('ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time', 'ce-subject', 'ce-dataschema', 'ce-x', 'content-type', 'traceparent', 'ce-traceparent');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(names, headerText, { maxKeys: 8 }), fc.uint8Array({ maxLength: 1024 }), async (headers, body) => {
        const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
        const request = Buffer.concat([
          Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 'latin1'),
          body,
        ]);
        const status = await rawExchange(receiver.port, request);
        assert.ok(status !== undefined && status >= 200 && status < 500, `status ${status} for ${JSON.stringify(headers)}`);
      }),
      fuzzParameters({ numRuns: 300 }, 'header and body bytes'),
    );
    assert.equal((await receiver.post({ 'ce-specversion': '1.0', 'ce-id': 'after-fuzz', 'ce-source': '/s', 'ce-type': 't' })).status, 200);
  });
});

/**
 * Writes the bytes, half-closes, and reads what comes back until the server closes: the status of the first
 * response, or undefined when the server closed without one. Fails if the server has not closed within 5 s.
 */
async function rawExchange(port: number, request: Buffer): Promise<number | undefined> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the exchange within 5 s for ${JSON.stringify(request.toString('latin1').slice(0, 200))}`));
    }, 5_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => undefined); // a reset after a refusal is an answer too
  });
  socket.end(request);
  await closed;
  const match = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'));
  return match ? Number(match[1]) : undefined;
}
