import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEV_KEY, freePort, startAzurite } from '../../src/host/storage/azurite.js';
import { fixtureDir } from './capture-logger.js';

const MAIN = path.resolve(__dirname, '../../src/host/main.js');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(appDir: string, env: Record<string, string>): Run {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const child = spawn(process.execPath, [MAIN, appDir], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

async function waitFor(r: Run, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(r.output())) {
    if (r.child.exitCode !== null) throw new Error(`host exited (${r.child.exitCode}) before ${pattern}:\n${r.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${r.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('main: starts with env settings, logs milestones without secrets, SIGTERM exits 0 within 10 s', async () => {
  const azurite = await startAzurite();
  const port = await freePort();
  const r = run(fixtureDir('sample-app'), { AzureWebJobsStorage: azurite.connectionString, FUNCTIONS_PORT: String(port), TaskHubName: 'MainTestHub' });
  try {
    await waitFor(r, /host listening on http:\/\/127\.0\.0\.1:\d+/, 30_000);
    assert.match(r.output(), new RegExp(`host listening on http://127\\.0\\.0\\.1:${port}`));
    assert.match(r.output(), /17 functions loaded: .*helloSequence \(orchestrationTrigger\)/);
    assert.match(r.output(), /task hub: MainTestHub/);
    assert.match(r.output(), /storage: account devstoreaccount1 at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    const res = await fetch(`http://127.0.0.1:${port}/api/hello/main`);
    assert.equal(res.status, 200);
    await res.body?.cancel();

    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const { code } = await r.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(!r.output().includes(DEV_KEY), 'the account key never appears in the log');
    assert.ok(!r.output().includes('AccountKey'), 'no connection string in the log');
  } finally {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await azurite.stop();
  }
});

test('main: local.settings.json Values fill unset settings; real environment variables win', async () => {
  const azurite = await startAzurite();
  const dir = mkdtempSync(path.join(tmpdir(), 'host-main-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: path.resolve(__dirname, 'fixtures/sample-app/functions/http.js') }));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'local.settings.json'),
    JSON.stringify({ IsEncrypted: false, Values: { AzureWebJobsStorage: azurite.connectionString, TaskHubName: 'FromLocalSettings', FUNCTIONS_PORT: '1' } }),
  );
  const r = run(dir, { FUNCTIONS_PORT: String(port) });
  try {
    await waitFor(r, /host listening on/, 30_000);
    assert.match(r.output(), /task hub: FromLocalSettings/);
    assert.match(r.output(), new RegExp(`host listening on http://127\\.0\\.0\\.1:${port}`));
    r.child.kill('SIGINT');
    assert.equal((await r.exited).code, 0);
  } finally {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await azurite.stop();
  }
});

test('main: a missing or bad setting is one clear line naming it, exit 1', async () => {
  const missing = run(fixtureDir('sample-app'), {});
  assert.equal((await missing.exited).code, 1);
  assert.match(missing.output(), /AzureWebJobsStorage is not set/);
  assert.equal(missing.output().trim().split('\n').length, 1);

  const badPort = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'UseDevelopmentStorage=true', FUNCTIONS_PORT: 'abc' });
  assert.equal((await badPort.exited).code, 1);
  assert.match(badPort.output(), /FUNCTIONS_PORT must be a port number/);

  const badConn = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x' });
  assert.equal((await badConn.exited).code, 1);
  assert.match(badConn.output(), /AzureWebJobsStorage must be a storage connection string/);
  assert.ok(!badConn.output().includes('DefaultEndpointsProtocol'), 'the value itself is not echoed');

  const wideOpen = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'UseDevelopmentStorage=true', HOST: '0.0.0.0', FUNCTIONS_PORT: '0' });
  assert.equal((await wideOpen.exited).code, 1);
  assert.match(wideOpen.output(), /needs a host key \(FUNCTIONS_HOST_KEY\)/);

  const badHub = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'UseDevelopmentStorage=true', TaskHubName: 'bad-hub!' });
  assert.equal((await badHub.exited).code, 1);
  assert.match(badHub.output(), /TaskHubName: task hub name \\?"bad-hub!\\?" must be 3-45 letters or digits/);
  assert.doesNotMatch(badHub.output(), /task hub name: task hub name/);

  const blankKey = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'UseDevelopmentStorage=true', FUNCTIONS_HOST_KEY: '   ' });
  assert.equal((await blankKey.exited).code, 1);
  assert.match(blankKey.output(), /FUNCTIONS_HOST_KEY is empty or whitespace only/);
  assert.equal(blankKey.output().trim().split('\n').length, 1);

  const shortKey = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'UseDevelopmentStorage=true', FUNCTIONS_SYSTEM_KEY: 'tooShort1' });
  assert.equal((await shortKey.exited).code, 1);
  assert.match(shortKey.output(), /FUNCTIONS_SYSTEM_KEY must be at least 16/);
  assert.ok(!shortKey.output().includes('tooShort1'), 'the key itself is not echoed');

  const badThreads = run(fixtureDir('sample-app'), { AzureWebJobsStorage: 'UseDevelopmentStorage=true', EMBEDDED_HOST_ORCHESTRATOR_THREADS: 'auto' });
  assert.equal((await badThreads.exited).code, 1);
  assert.match(badThreads.output(), /host failed to start: EMBEDDED_HOST_ORCHESTRATOR_THREADS must be a whole number from 0 to 16, not \\?"auto\\?" \[BAD_SETTING\]/);
  assert.equal(badThreads.output().trim().split('\n').length, 1);
});

test('regression: a wrong AccountKey stops the host with one line naming AzureWebJobsStorage, not the storage\'s XML', { timeout: 60_000 }, async () => {
  const azurite = await startAzurite();
  const wrongKey = Buffer.alloc(64, 7).toString('base64');
  const connectionString = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`);
  const r = run(fixtureDir('sample-app'), { AzureWebJobsStorage: connectionString, FUNCTIONS_PORT: String(await freePort()), TaskHubName: 'WrongKeyHub' });
  try {
    const { code } = await r.exited;
    assert.equal(code, 1);
    const fatal = r.output().split('\n').filter((line) => line.includes('host failed to start'));
    assert.equal(fatal.length, 1, r.output());
    assert.match(fatal[0] ?? '', /AzureWebJobsStorage: the storage account refused its credentials \(HTTP 403/);
    assert.ok(!r.output().includes('<?xml'), 'no XML document in the log');
    assert.ok(!r.output().includes(wrongKey), 'the key never appears in the log');
  } finally {
    r.child.kill('SIGKILL');
    await azurite.stop();
  }
});
