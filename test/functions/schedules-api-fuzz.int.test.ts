/**
 * Property-based runs against the management API on the embedded host (real HTTP on loopback, real Azurite):
 * whatever schedule name, action or body a caller sends, the answer is never a 5xx; a bad name is a 400 naming
 * `name`, an unknown schedule a 404, a 400 for a valid name names some field, and the schedule keeps running.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { isValidScheduleName } from '../../src/eventsource/core/schedule-name.js';
import { fuzzParameters } from '../support/fuzz.js';

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const root = path.resolve(__dirname, '..', '..', '..');
let env: TestEnvironment;

before(async () => {
  env = await createTestEnvironment({
    appDir: root,
    taskHubName: 'SchedulesApiFuzz',
    env: { K_SINK: 'http://127.0.0.1:9/', SCHEDULE: '1h', SCHEDULE_NAME: 'default', LOG_LEVEL: 'silent' },
  });
});

after(async () => {
  await env?.teardown();
});

test('management API fuzz: never a 5xx; a bad name is a 400 naming it', async () => {
  const segment = fc.oneof(
    fc.stringMatching(/^[a-z0-9-]{1,70}$/),
    fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
    fc.constantFrom('default', 'Default', '-x', '%2e%2e', '..', '%00', 'a%2Fb', '%E0%A4%A', '%zz', 'x'.repeat(300)),
  );
  const action = fc.constantFrom('', '/pause', '/resume', '/unknown');
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE');
  const body = fc.oneof(fc.constant(undefined), fc.json(), fc.string({ maxLength: 200 }));
  await fc.assert(
    fc.asyncProperty(segment, action, method, body, async (name, suffix, verb, payload) => {
      // Only the schedule's own actions would change it: pause/resume of `default` are left out so it keeps running.
      if (name === 'default' && suffix !== '' && suffix !== '/unknown') return;
      const response = await env.fetch(`/api/schedules/${name}${suffix}`, {
        method: verb,
        ...(payload !== undefined && verb !== 'GET' ? { body: payload, headers: { 'content-type': 'application/json' } } : {}),
      });
      const text = await response.text();
      assert.ok(response.status < 500, `${verb} /api/schedules/${name}${suffix} → ${response.status} ${text.slice(0, 200)}`);
      if (response.status === 400 && text.includes('"error"')) {
        const named = decoded(name);
        // A bad name is refused first, naming it; with a good name, a body's problem names its field.
        if (named === undefined || !isValidScheduleName(named)) assert.match(text, /name/);
        else assert.match(text, /"field":/);
      }
    }),
    fuzzParameters({ numRuns: 120 }, 'management API'),
  );
  const { status, body: schedule } = await env.getJson<{ status: string }>('/api/schedules/default');
  assert.equal(status, 200);
  assert.equal(schedule.status, 'running');
});
