import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HostError } from '../../../src/host/host-error.js';
import { MAX_ORCHESTRATOR_THREADS, ORCHESTRATOR_THREADS_SETTING, orchestratorThreadsSetting } from '../../../src/host/worker/episode-threads.js';

const setting = (raw: string | undefined): number => orchestratorThreadsSetting(raw === undefined ? {} : { [ORCHESTRATOR_THREADS_SETTING]: raw });

test('unset or blank: no orchestrator thread (episodes run in the host thread)', () => {
  for (const raw of [undefined, '', ' ', '\t']) assert.equal(setting(raw), 0);
});

test('a whole number from 0 to the maximum is taken as it is', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_ORCHESTRATOR_THREADS }), (n) => {
      assert.equal(setting(String(n)), n);
      assert.equal(setting(` 0${n} `), n);
    }),
  );
});

test('anything else stops the host with a line naming the setting, what it accepts and the bad value', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string().filter((s) => s.trim() !== '' && !/^\d+$/.test(s.trim())),
        fc.constantFrom('auto', '-1', '1.5', '2e1', '0x2', 'one'),
        fc.integer({ min: MAX_ORCHESTRATOR_THREADS + 1, max: 1_000_000 }).map(String),
      ),
      (raw) => {
        assert.throws(
          () => setting(raw),
          (err: unknown) =>
            err instanceof HostError &&
            err.code === 'BAD_SETTING' &&
            err.message === `${ORCHESTRATOR_THREADS_SETTING} must be a whole number from 0 to ${MAX_ORCHESTRATOR_THREADS}, not ${JSON.stringify(raw.trim())}`,
        );
      },
    ),
  );
});
