/**
 * Writes through the standby: two hosts on one hub, the second not the lease owner. A PUT, a trigger and a DELETE
 * sent to the standby take effect within seconds (its client writes leave wake marks the owner polls once its safety
 * scan has seen the standby's presence row), where they used to wait for the owner's 30 s safety scan (the DELETE
 * then failed with 500).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../src/host/storage/azurite.js';
import { HostProcess, scheduleSettings, until } from '../support/host-process.js';
import { startScheduledHost } from '../support/scheduled-host.js';

const HUB = 'StandbyWrites';

test('PUT, trigger and DELETE through the standby host take effect within seconds', { timeout: 150_000 }, async () => {
  const owner = await startScheduledHost(HUB);
  let standby: HostProcess | undefined;
  try {
    standby = await HostProcess.start({
      port: await freePort(),
      label: 'standby',
      env: { ...scheduleSettings(owner.azurite.connectionString, owner.sink.url, HUB), HOST: '127.0.0.1' },
    });
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${standby?.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    };
    const timed = async <T>(what: string, limitMs: number, work: () => Promise<T>): Promise<T> => {
      const started = Date.now();
      const result = await work();
      assert.ok(Date.now() - started < limitMs, `${what} took ${Date.now() - started} ms`);
      return result;
    };

    // The owner learns of the standby at its next safety scan (every 30 s); from then on it polls the wake marks.
    await until('the owner to see the standby', () => (owner.host.records().some((r) => r.msg === 'durable: a standby is there; polling wake marks') ? true : undefined), 40_000);
    const put = await timed('PUT', 10_000, () => call('PUT', '/api/schedules/via-standby', { every: '1h' }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
    // 409 "shows no schedule status yet" until the owner ran the new schedule's first step.
    const trigger = await timed('the schedule running and a trigger taken', 5_000, () =>
      until('a trigger taken (202)', async () => {
        const answer = await call('POST', '/api/schedules/via-standby/trigger', {});
        return answer.status === 202 ? answer : undefined;
      }, 5_000),
    );
    await timed('the triggered event', 5_000, () =>
      until('the triggered event at the sink', () => (owner.sink.events.some((e) => e.id === trigger.body['id']) ? true : undefined), 5_000),
    );
    const deleted = await timed('DELETE', 10_000, () => call('DELETE', '/api/schedules/via-standby'));
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal((await owner.host.getJson('/api/schedules/via-standby')).status, 404);
  } catch (error) {
    for (const host of [owner.host, standby]) if (host) process.stderr.write(`--- ${host.tail(20)}\n`);
    throw error;
  } finally {
    await standby?.dispose();
    await owner.stop();
  }
});
