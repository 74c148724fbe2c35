import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl, redactUrlsIn } from '../../../src/eventsource/core/redact.js';

describe('redactUrl', () => {
  it('keeps scheme, host, port and path only', () => {
    assert.equal(redactUrl('http://sink.default.svc.cluster.local/'), 'http://sink.default.svc.cluster.local/');
    assert.equal(redactUrl(new URL('https://u:p@h:8443/a/b?sig=x#f')), 'https://h:8443/a/b (credentials/query redacted)');
    assert.equal(redactUrl('https://h/?code=secret'), 'https://h/ (credentials/query redacted)');
    assert.equal(redactUrl('not a url'), '<invalid URL>');
  });

  it('redacts every URL inside text', () => {
    assert.equal(redactUrlsIn('a http://u:p@x/y?z=1 b https://q/'), 'a http://x/y (credentials/query redacted) b https://q/');
  });
});
