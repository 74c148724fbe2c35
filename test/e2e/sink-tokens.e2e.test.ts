/**
 * The OIDC token goes only where it was issued for (#16), end to end on the embedded host with real loopback sinks:
 * K_SINK's token to K_SINK; no Authorization header to another allowlisted sink a schedule names; a schedule naming
 * its own token file (a name in SINK_OIDC_TOKENS_DIR) sends that one.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { until, type HostProcess } from '../support/host-process.js';
import { allowlistOf, RecordingSink } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

const K_SINK_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJrLXNpbmsifQ.k-sink-signature';
const OWN_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJvd24ifQ.own-signature';

async function put(host: HostProcess, name: string, body: unknown): Promise<number> {
  const response = await fetch(`${host.url}/api/schedules/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.text();
  return response.status;
}

test('K_SINK gets its OIDC token, another sink none, a schedule naming its own token file that one', { timeout: 120_000 }, async () => {
  const [kSink, other, own] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
  const dir = mkdtempSync(path.join(tmpdir(), 'sink-tokens-e2e-'));
  writeFileSync(path.join(dir, 'token'), K_SINK_TOKEN);
  mkdirSync(path.join(dir, 'sinks'));
  writeFileSync(path.join(dir, 'sinks', 'own-audience'), OWN_TOKEN);
  const settings = (): Record<string, string> => ({
    K_OIDC_TOKEN_FILE: path.join(dir, 'token'),
    SINK_OIDC_TOKENS_DIR: path.join(dir, 'sinks'),
    SINK_ALLOWLIST: allowlistOf([kSink, other, own]),
  });
  try {
    await withScheduledHost({ label: 'tokens', taskHubName: 'SinkTokens', sinks: [kSink, other, own], settings }, async (running) => {
      assert.equal(await put(running, 'elsewhere', { every: '1s', sink: other.url }), 201);
      assert.equal(await put(running, 'own', { every: '1s', sink: own.url, oidcTokenFile: 'own-audience' }), 201);
      await until('two events at each sink', () => ([kSink, other, own].every((s) => s.events.length >= 2) ? true : undefined), 30_000);

      assert.deepEqual([...new Set(kSink.attempts.map((a) => a.authorization))], [`Bearer ${K_SINK_TOKEN}`]);
      assert.deepEqual([...new Set(other.attempts.map((a) => a.authorization))], [undefined], 'no Authorization header to another sink');
      assert.deepEqual([...new Set(own.attempts.map((a) => a.authorization))], [`Bearer ${OWN_TOKEN}`]);
      const described = await running.getJson<{ spec: { oidcTokenFile?: string } }>('/api/schedules/own');
      assert.equal(described.body.spec.oidcTokenFile, 'own-audience');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
