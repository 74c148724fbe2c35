import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyNetworkError,
  classifyResponse,
  isRetryableStatus,
  parseRetryAfter,
} from '../../../src/eventsource/delivery/classify.js';

const now = new Date('2025-01-01T12:00:00.000Z');

describe('classifyResponse', () => {
  it('follows Knative: 2xx success; 404, 408, 409, 429, 5xx retryable; every other status (1xx, 3xx, other 4xx) final', () => {
    for (let status = 100; status <= 599; status++) {
      const verdict = classifyResponse(status, undefined, now);
      if (status >= 200 && status <= 299) {
        assert.deepEqual(verdict, { ok: true, status });
      } else {
        const retryable = [404, 408, 409, 429].includes(status) || status >= 500;
        assert.deepEqual(verdict, { ok: false, status, reason: `HTTP ${status}`, retryable }, String(status));
        assert.equal(isRetryableStatus(status), retryable);
      }
    }
  });

  it('carries Retry-After on 429 and 503, the statuses it belongs to, and on no other', () => {
    assert.deepEqual(classifyResponse(503, '120', now), { ok: false, status: 503, reason: 'HTTP 503', retryable: true, retryAfterMs: 120_000 });
    assert.deepEqual(classifyResponse(429, '2', now), { ok: false, status: 429, reason: 'HTTP 429', retryable: true, retryAfterMs: 2_000 });
    for (const status of [500, 502, 404, 408, 409, 400, 301]) {
      assert.equal(classifyResponse(status, '120', now).ok === false && 'retryAfterMs' in classifyResponse(status, '120', now), false, String(status));
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('7', now), 7_000);
    assert.equal(parseRetryAfter(' 30 ', now), 30_000);
  });

  it('reads an HTTP date relative to now, past dates as 0', () => {
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 12:01:30 GMT', now), 90_000);
    assert.equal(parseRetryAfter(new Date(now.getTime() + 5_000).toUTCString(), now), 5_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 12:00:00 GMT', now), 0);
  });

  it('ignores absent and malformed values', () => {
    for (const bad of [undefined, '', 'soon', '-5', '1.5', '2025-01-01T12:01:00Z', 'Foo, 99 Bar 2025 99:99:99 GMT']) {
      assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
    }
  });
});

describe('classifyNetworkError', () => {
  const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

  it('names common socket errors by code, all retryable', () => {
    assert.deepEqual(classifyNetworkError(withCode('ECONNREFUSED'), 1_000), { ok: false, reason: 'connection refused (ECONNREFUSED)', retryable: true });
    assert.equal(classifyNetworkError(withCode('ECONNRESET'), 1_000).reason, 'connection reset (ECONNRESET)');
    assert.equal(classifyNetworkError(withCode('ENOTFOUND'), 1_000).reason, 'host not found (ENOTFOUND)');
    assert.equal(classifyNetworkError(withCode('EWHATEVER'), 1_000).reason, 'network error (EWHATEVER)');
  });

  it('finds the code inside causes and aggregate errors', () => {
    const wrapped = new Error('fetch failed', { cause: new AggregateError([withCode('ECONNREFUSED')], 'all failed') });
    assert.equal(classifyNetworkError(wrapped, 1_000).reason, 'connection refused (ECONNREFUSED)');
  });

  it('reports timeouts with the configured deadline', () => {
    assert.equal(classifyNetworkError(withCode('UND_ERR_HEADERS_TIMEOUT'), 2_500).reason, 'timeout after 2500 ms');
    assert.equal(classifyNetworkError(withCode('UND_ERR_ABORTED', 'aborted'), 2_500, true).reason, 'timeout after 2500 ms');
    assert.equal(classifyNetworkError(new DOMException('signal timed out', 'TimeoutError'), 100).reason, 'timeout after 100 ms');
  });

  it('names TLS trust failures', () => {
    assert.equal(classifyNetworkError(withCode('SELF_SIGNED_CERT_IN_CHAIN'), 1_000).reason, 'TLS certificate of the sink not trusted (SELF_SIGNED_CERT_IN_CHAIN)');
  });

  it('redacts URLs in messages of errors without a code', () => {
    const reason = classifyNetworkError(new Error('cannot reach https://user:pw@sink.example/x?sig=abc now'), 1_000).reason;
    assert.equal(reason, 'network error: cannot reach https://sink.example/x (credentials/query redacted) now');
  });
});
