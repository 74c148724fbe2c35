import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { createLogger, REDACT } from '../../../src/eventsource/observability/logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    stream,
    lines: () => chunks.join('').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with level label, name and ISO time', () => {
    const out = capture();
    const logger = createLogger({ name: 'event-source', destination: out.stream });
    logger.info({ sequence: 3 }, 'event delivered');
    const [line] = out.lines();
    assert.equal(line?.['level'], 30, 'the level as pino writes it by default, like the host and hello-events');
    assert.equal(line?.['name'], 'event-source');
    assert.equal(line?.['msg'], 'event delivered');
    assert.equal(line?.['sequence'], 3);
    assert.equal(typeof line?.['time'], 'number', 'epoch milliseconds, like the host and hello-events');
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', destination: out.stream });
    logger.info('hidden');
    logger.warn('shown');
    assert.deepEqual(out.lines().map((l) => l['msg']), ['shown']);
  });

  it('redacts secret keys at the top level and nested', () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream });
    logger.info({
      connectionString: 'DefaultEndpointsProtocol=https;AccountKey=abc',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true;AccountKey=def',
      headers: { authorization: 'Bearer xyz', accept: 'json' },
      storage: { accountKey: 'ghi', nested: { token: 'jkl' } },
      password: 'mno',
      key: 'pqr',
    }, 'config');
    const text = JSON.stringify(out.lines());
    for (const secret of ['abc', 'def', 'xyz', 'ghi', 'jkl', 'mno', 'pqr']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.ok(text.includes('"accept":"json"'), 'non-secret fields stay');
  });
});

describe('createLogger fast path for plain fields', () => {
  const secret = fc.constantFrom('connectionString', 'authorization', 'key', 'token', 'sig', 'password');
  const name = fc.oneof(secret, fc.constantFrom('schedule', 'sequence', 'id', 'status', 'headers', 'nested', 'a b', '"q"'));
  const leaf = fc.oneof(
    fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, '\u2028', '\ud800', 'é"\\\n'),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(name, tie('node'), { maxKeys: 4 })),
  })).node;
  const entry = fc.dictionary(name, value, { maxKeys: 6 });

  it('writes every line exactly as pino with the same redaction does', () => {
    const line = (write: (stream: Writable) => void): string => {
      const chunks: string[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk.toString('utf8'));
          callback();
        },
      });
      write(stream);
      return chunks.join('').replace(/"time":\d+,/, '');
    };
    fc.assert(
      fc.property(entry, fc.string(), (fields, msg) => {
        const ours = line((stream) => createLogger({ name: 'event-source', destination: stream }).info(fields, msg));
        const pinos = line((stream) => pino({ level: 'info', name: 'event-source', redact: REDACT }, stream).info(fields, msg));
        assert.equal(ours, pinos);
      }),
      { numRuns: 500 },
    );
  });
});
