/**
 * `npm start` tells the truth: a port it needs that another program holds stops it at once with one line naming the
 * variable (never "ready" first); a bad setting is reported as a configuration error; with SCHEDULES_FILE set and
 * SCHEDULE unset only the file's schedules run, with the committed local.settings.json; warnings and errors of every
 * component carry their level on the terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/host/storage/azurite.js';
import { LauncherRun } from '../support/launcher-run.js';
import { listenLoopback, type Loopback } from '../support/loopback.js';
import { replaceFile } from '../support/replace-file.js';

/** The launcher's environment without what the caller's shell would add; `settings` on top. */
function launch(settings: Record<string, string>): LauncherRun {
  const env: NodeJS.ProcessEnv = { ...process.env, K_SINK: '', SINK: '', AzureWebJobsStorage: '', LOG_LEVEL: 'info', ...settings };
  for (const name of ['SCHEDULE', 'SCHEDULES_FILE', 'FUNCTIONS_HOST_KEY', 'FUNCTIONS_MASTER_KEY', 'LOG_FORMAT']) {
    if (!(name in settings)) delete env[name];
  }
  return new LauncherRun(env);
}

/** A port something listens on already. */
function occupied(): Promise<Loopback> {
  return listenLoopback(createServer());
}

async function ports(): Promise<Record<string, string>> {
  return {
    FUNCTIONS_PORT: String(await freePort()),
    HELLO_EVENTS_PORT: String(await freePort()),
    AZURITE_TABLE_PORT: String(await freePort()),
    AZURITE_BLOB_PORT: String(await freePort()),
  };
}

for (const variable of ['FUNCTIONS_PORT', 'HELLO_EVENTS_PORT'] as const) {
  test(`a taken ${variable} stops npm start with one line naming it, before anything claims readiness`, async () => {
    const taken = await occupied();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'des-port-'));
    const run = launch({ ...(await ports()), [variable]: String(taken.port), DATA_DIR: dataDir, TaskHubName: 'PortTaken' });
    try {
      assert.equal(await run.exited, 1, run.tail());
      const refusal = run.lines.filter((line) => line.includes(`${variable}=${taken.port}`));
      assert.equal(refusal.length, 1, run.tail());
      assert.match(refusal[0] ?? '', new RegExp(`cannot start: ${variable}=${taken.port}: port ${taken.port} is already in use`));
      assert.equal(run.lines.filter((line) => /\] (azurite|hello-events|functions host) ready |\] ready in |events flowing|EADDRINUSE/.test(line)).length, 0, run.tail());
    } finally {
      await run.stop();
      await taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test('a bad SCHEDULE is reported as a configuration error and nothing is started', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'des-config-'));
  const run = launch({ ...(await ports()), SCHEDULE: '10x', DATA_DIR: dataDir });
  try {
    assert.equal(await run.exited, 1, run.tail());
    assert.ok(run.lines.some((line) => /\[start\] cannot start: configuration: SCHEDULE: "10x"/.test(line)), run.tail());
    assert.equal(run.lines.filter((line) => /azurite ready|hello-events ready|entry point/.test(line)).length, 0, run.tail());
  } finally {
    await run.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('SCHEDULES_FILE alone runs only its schedules; an invalid edit shows as ERROR on the terminal', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'des-file-'));
  const file = path.join(dir, 'schedules.yaml');
  writeFileSync(file, 'schedules:\n  - name: first\n    every: 1s\n  - name: second\n    every: 2s\n');
  const settings = await ports();
  const run = launch({ ...settings, SCHEDULES_FILE: file, DATA_DIR: path.join(dir, 'data'), TaskHubName: 'FileAlone' });
  try {
    await run.waitForLine(/\[start\] events flowing/, 60_000);
    // The starter starts the file's schedules (and would start the environment's) in its first run, just after ready:
    // once the file's two are there, every schedule that run starts is.
    await run.waitForLine(/\[host\] schedule started schedule=second/, 30_000);
    await run.waitForLine(/\[host\] schedule started schedule=first/, 30_000);
    const answer = await fetch(`http://127.0.0.1:${settings.FUNCTIONS_PORT}/api/schedules`);
    const body = (await answer.json()) as { schedules: Array<{ name: string }> };
    assert.deepEqual(body.schedules.map((s) => s.name).sort(), ['first', 'second'], 'no environment schedule beside the file\'s');
    assert.equal(run.lines.filter((line) => /\[host\] schedule started schedule=default/.test(line)).length, 0, 'the environment\'s schedule never started');
    replaceFile(file, 'schedules:\n  - name: first\n    every: 10x\n');
    await run.waitForLine(/\[host\] ERROR schedules file not applied/, 10_000);
  } finally {
    await run.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
