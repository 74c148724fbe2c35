/**
 * Which OIDC token goes where (#16): K_SINK's token only to K_SINK's origin, none to another sink a schedule names,
 * and the schedule's own token file (a name in SINK_OIDC_TOKENS_DIR) when it names one. Real loopback sinks, real
 * token files; plus the `oidcTokenFile` field of a schedule definition.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TOKEN_FILE_NAME } from '../../../src/eventsource/core/definition-fields.js';
import { createDelivery } from '../../../src/eventsource/delivery/deliver.js';
import { sendTick } from '../../../src/eventsource/delivery/send-tick.js';
import { createSinkTokens } from '../../../src/eventsource/delivery/sink-token.js';
import { createLogger } from '../../../src/eventsource/observability/logger.js';
import { checkDefinition } from '../../../src/eventsource/core/normalized-spec.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { type RecordingSink, useAnsweringSink } from '../../support/recording-sink.js';

const EVENT = { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} };
const K_SINK_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJrLXNpbmsifQ.k-sink-signature';
const OWN_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJvdGhlciJ9.own-signature';
const TICK = { scheduleName: 'tokens', generation: '2025-01-01T00:00:00.000Z', sequence: 1, scheduledTime: '2025-01-01T00:00:10.000Z' };

const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, callback) => callback() }) });

describe('the OIDC token of each sink', () => {
  const kSink = useAnsweringSink();
  const other = useAnsweringSink();
  let dir: string;
  let tokenFor: ReturnType<typeof createSinkTokens>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sink-tokens-'));
    writeFileSync(path.join(dir, 'token'), `${K_SINK_TOKEN}\n`);
    mkdirSync(path.join(dir, 'sinks'));
    writeFileSync(path.join(dir, 'sinks', 'other-audience'), OWN_TOKEN);
    tokenFor = createSinkTokens({ sink: kSink.at(), tokenFile: path.join(dir, 'token'), tokensDir: path.join(dir, 'sinks') });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Posts one tick to `sink` with the token chosen for it; the Authorization header the sink saw (absent: none). */
  async function authorizationAt(target: RecordingSink, sink: URL, ownFile?: string): Promise<{ ok: boolean; reason?: string; authorization?: string | undefined }> {
    const delivery = createDelivery({ sink, mode: 'binary', timeoutMs: 5_000 });
    const before = target.requests.length;
    try {
      const result = await sendTick(TICK, { delivery, oidcToken: tokenFor(sink, ownFile), event: EVENT, logger: quiet });
      const request = target.requests[before];
      return { ok: result.ok, ...(result.ok ? {} : { reason: result.reason }), ...(request ? { authorization: request.headers.authorization } : {}) };
    } finally {
      await delivery.close();
    }
  }

  it('K_SINK gets its token, on any path of its origin', async () => {
    assert.deepEqual(await authorizationAt(kSink, kSink.at()), { ok: true, authorization: `Bearer ${K_SINK_TOKEN}` });
    assert.deepEqual(await authorizationAt(kSink, new URL('/other/path?x=1', kSink.at())), { ok: true, authorization: `Bearer ${K_SINK_TOKEN}` });
  });

  it('another sink a schedule names gets no Authorization header', async () => {
    const seen = await authorizationAt(other, other.at());
    assert.equal(seen.ok, true);
    assert.equal('authorization' in seen && seen.authorization !== undefined, false, `the other sink saw ${String(seen.authorization)}`);
  });

  it('a schedule naming its own token file sends that one (to its sink, whichever it is)', async () => {
    assert.deepEqual(await authorizationAt(other, other.at(), 'other-audience'), { ok: true, authorization: `Bearer ${OWN_TOKEN}` });
    assert.deepEqual(await authorizationAt(kSink, kSink.at(), 'other-audience'), { ok: true, authorization: `Bearer ${OWN_TOKEN}` });
  });

  it('a named token file that does not exist, or a name that is not a plain file name, fails the attempt before anything is sent', async () => {
    const before = other.requests.length;
    const missing = await authorizationAt(other, other.at(), 'no-such-audience');
    assert.equal(missing.ok, false);
    assert.match(missing.reason ?? '', /OIDC token file .*no-such-audience does not exist/);
    for (const name of ['../token', '.hidden', 'a/b']) {
      const refused = await authorizationAt(other, other.at(), name);
      assert.equal(refused.ok, false, name);
      assert.match(refused.reason ?? '', /oidcTokenFile is not a plain file name/);
    }
    assert.equal(other.requests.length, before, 'nothing was sent');
  });
});

describe('oidcTokenFile in a schedule definition', () => {
  it('takes a plain file name and refuses a path, a hidden name or a non-string, naming the field', () => {
    const ok = checkDefinition({ name: 'a', every: '1m', sink: 'https://sink.example/', oidcTokenFile: 'sink.example-audience_1' });
    assert.equal(ok.ok && ok.spec.oidcTokenFile, 'sink.example-audience_1');
    for (const bad of ['../token', '/oidc/token', '.token', 'a/b', '', 'x'.repeat(256), 42]) {
      const checked = checkDefinition({ name: 'a', every: '1m', oidcTokenFile: bad });
      assert.equal(checked.ok, false, String(bad));
      assert.equal(!checked.ok && checked.problems[0]?.field, 'oidcTokenFile', String(bad));
    }
  });

  it('accepts exactly the plain file names, for any string (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9._/-]{0,12}$/)), (name) => {
        const checked = checkDefinition({ name: 'a', every: '1m', oidcTokenFile: name });
        assert.equal(checked.ok, TOKEN_FILE_NAME.test(name), JSON.stringify(name));
        if (checked.ok) assert.ok(!name.includes('/') && !name.startsWith('.'));
      }),
      fuzzParameters({ numRuns: 300 }, 'oidcTokenFile'),
    );
  });
});
