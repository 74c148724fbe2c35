import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { authLayer } from '../../../../src/eventsource/delivery/layers/auth.js';
import { createOidcTokenSource, NO_TOKEN } from '../../../../src/eventsource/delivery/oidc-token.js';
import { captureLogger } from '../../../host/capture-logger.js';
import { answering, attemptOf } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'auth-layer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('auth: the token file\'s token goes as the Authorization header of this attempt', async () => {
  const file = path.join(dir, 'token');
  writeFileSync(file, 'eyJ.t0ken.sig\n');
  const next = answering({ ok: true, status: 200 });
  const { logger } = captureLogger();
  await authLayer(createOidcTokenSource(file), logger)(next)(attemptOf({ headers: { traceparent: 'x' } }));
  assert.deepEqual(next.seen[0]?.headers, { traceparent: 'x', authorization: 'Bearer eyJ.t0ken.sig' });
});

test('auth: without a token file, no header', async () => {
  const next = answering({ ok: true, status: 200 });
  await authLayer(NO_TOKEN, captureLogger().logger)(next)(attemptOf());
  assert.deepEqual(next.seen[0]?.headers, {});
});

test('auth: a required token file that is missing is a retryable failure, nothing sent, the reason logged', async () => {
  const next = answering({ ok: true, status: 200 });
  const { logger, lines } = captureLogger();
  const outcome = await authLayer(createOidcTokenSource(path.join(dir, 'absent'), { required: true }), logger)(next)(attemptOf());
  assert.equal(next.seen.length, 0, 'nothing sent');
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.retryable, true);
  assert.match(!outcome.ok ? outcome.reason : '', /does not exist/);
  assert.equal(lines.find((line) => line.msg === 'event delivery failed')?.['schedule'], 'nightly');
});
