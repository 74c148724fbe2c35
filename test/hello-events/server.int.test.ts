import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { CloudEvent, HTTP } from 'cloudevents';
import { createServer } from '../../src/hello-events/server.js';
import { listenDuringTests } from '../support/loopback.js';
import { freePort } from '../../src/host/storage/azurite.js';

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

interface Outgoing {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  /** A single body, or chunks written one by one (sent chunked unless content-length is set). */
  readonly body?: string | Buffer | readonly Buffer[];
}

/** One HTTP exchange on loopback. Errors after the reply (EPIPE when the server refuses a body) are ignored. */
function send(port: number, outgoing: Outgoing = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    let replied = false;
    const req = http.request(
      { host: '127.0.0.1', port, method: outgoing.method ?? 'GET', path: outgoing.path ?? '/', headers: outgoing.headers },
      (res) => {
        replied = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!replied) reject(error);
    });
    const body = outgoing.body;
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else {
      req.end(body as string | Buffer | undefined);
    }
  });
}

/** A pino destination that keeps every JSON line. */
function captureLines(): { write(line: string): void; records(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    write: (line: string) => void lines.push(line),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function sampleEvent(sequence: string, data: unknown): CloudEvent<unknown> {
  return new CloudEvent<unknown>({
    id: `evt-${sequence}`,
    source: '/durable-event-source/test',
    type: 'dev.example.hello',
    sequence,
    datacontenttype: 'application/json',
    data,
  });
}

describe('hello-events server', () => {
  const logs = captureLines();
  const server = createServer({ logDestination: logs });
  const served = listenDuringTests(server);

  test('GET / answers Hello World! as text', async () => {
    const reply = await send(served.port);
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'Hello World!');
    assert.match(String(reply.headers['content-type']), /^text\/plain/);
  });

  test('a binary-mode POST is processed and logged once with all its attributes and data', async () => {
    const message = HTTP.binary(sampleEvent('41', { greeting: 'binary' }));
    const reply = await send(served.port, {
      method: 'POST',
      headers: message.headers,
      body: String(message.body),
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'Processed');
    const logged = logs.records().filter((record) => {
      const event = record['event'] as Record<string, unknown> | undefined;
      return event?.['id'] === 'evt-41';
    });
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0]?.['event'], {
      specversion: '1.0',
      time: message.headers['ce-time'],
      datacontenttype: 'application/json',
      type: 'dev.example.hello',
      id: 'evt-41',
      source: '/durable-event-source/test',
      sequence: '41',
      data: { greeting: 'binary' },
    });
  });

  test('a structured-mode POST is processed and logged', async () => {
    const message = HTTP.structured(sampleEvent('42', { greeting: 'structured' }));
    assert.match(String(message.headers['content-type']), /^application\/cloudevents\+json/);
    const reply = await send(served.port, {
      method: 'POST',
      headers: message.headers,
      body: String(message.body),
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'Processed');
    const event = logs
      .records()
      .map((record) => record['event'] as Record<string, unknown> | undefined)
      .find((candidate) => candidate?.['id'] === 'evt-42');
    assert.equal(event?.['sequence'], '42');
    assert.deepEqual(event?.['data'], { greeting: 'structured' });
  });

  test('a binary POST without ce-id is refused with 400 naming ce-id', async () => {
    const message = HTTP.binary(sampleEvent('43', { n: 1 }));
    const headers = { ...(message.headers as http.OutgoingHttpHeaders) };
    delete headers['ce-id'];
    const reply = await send(served.port, { method: 'POST', headers, body: String(message.body) });
    assert.equal(reply.status, 400);
    assert.match(reply.text, /ce-id/);
  });

  test('a structured POST without id is refused with 400 naming id', async () => {
    const body = JSON.stringify({ specversion: '1.0', source: '/s', type: 't' });
    const reply = await send(served.port, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body,
    });
    assert.equal(reply.status, 400);
    assert.match(reply.text, /\bid\b/);
  });

  test('a bad specversion is refused with 400 naming it', async () => {
    const body = JSON.stringify({ specversion: '9.9', id: '1', source: '/s', type: 't' });
    const reply = await send(served.port, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body,
    });
    assert.equal(reply.status, 400);
    assert.match(reply.text, /specversion "9\.9"/);
  });

  test('a body that is no CloudEvent at all is refused with 400', async () => {
    const reply = await send(served.port, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(reply.status, 400);
    assert.match(reply.text, /not a CloudEvent/);
  });

  test('a declared Content-Length over 1 MiB is refused with 413', async () => {
    const body = Buffer.alloc(1024 * 1024 + 1, 0x61);
    const reply = await send(served.port, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', 'content-length': body.length },
      body,
    });
    assert.equal(reply.status, 413);
    assert.equal(reply.headers['connection'], 'close');
  });

  test('a chunked body that grows past 1 MiB is refused with 413', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = Array.from({ length: 20 }, () => chunk); // 1.25 MiB, no Content-Length
    const reply = await send(served.port, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: chunks,
    });
    assert.equal(reply.status, 413);
  });

  test('a body of exactly 1 MiB is read (and then judged on its content)', async () => {
    const body = Buffer.alloc(1024 * 1024, 0x20); // whitespace only: readable, but no CloudEvent
    const reply = await send(served.port, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', 'content-length': body.length },
      body,
    });
    assert.equal(reply.status, 400);
  });

  test('other methods get 405 and other paths 404', async () => {
    const put = await send(served.port, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 405);
    assert.match(String(put.headers['allow']), /POST/);
    const other = await send(served.port, { path: '/elsewhere' });
    assert.equal(other.status, 404);
  });
});

test('main.js listens on PORT/HOST, finishes an in-flight request on SIGTERM and exits 0', { timeout: 30_000 }, async () => {
  const mainJs = path.resolve(__dirname, '../../src/hello-events/main.js');
  const port = await freePort();
  const child = spawn(process.execPath, [mainJs], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stdout = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (stdout.includes('hello-events listening')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`main.js exited early with ${code}: ${stdout}`)));
    });
    const listening = JSON.parse(stdout.split('\n')[0] ?? '') as Record<string, unknown>;
    assert.equal(listening['port'], port);
    assert.equal((await send(port)).text, 'Hello World!');

    // Open a POST, send half of it, then ask the process to stop: the request must still complete.
    const message = HTTP.structured(sampleEvent('99', { last: true }));
    const body = Buffer.from(String(message.body));
    const inFlight = new Promise<Reply>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          agent: false, // a fresh connection: a reused keep-alive socket never emits 'connect'
          headers: { 'content-type': 'application/cloudevents+json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 10));
      req.once('socket', (socket) => {
        socket.once('connect', () => {
          // Give the server time to start the request before the signal arrives.
          setTimeout(() => {
            child.kill('SIGTERM');
            setTimeout(() => req.end(body.subarray(10)), 200);
          }, 200);
        });
      });
      req.flushHeaders();
    });
    const reply = await inFlight;
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'Processed');
    const [code, signal] = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
    // The signal really arrived while the request was still open.
    const stopAt = stdout.indexOf('shutting down');
    const eventAt = stdout.indexOf('"id":"evt-99"');
    assert.ok(stopAt >= 0 && eventAt > stopAt, `expected shutdown before the event in:\n${stdout}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
