import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ignoreUnsupportedSetting, loadApp, releaseApp, shareAppFiles, shareAppPackages } from '../../../src/host/worker/load-app.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { HostError } from '../../../src/host/host-error.js';
import { captureLogger, fixtureDir } from '../capture-logger.js';

test('loads every function the sample app registers through @azure/functions and durable-functions', async () => {
  const { logger } = captureLogger();
  const app = await loadApp(fixtureDir('sample-app'), { logger });
  try {
    const byName = Object.fromEntries([...app.functions.values()].map((f) => [f.name, f]));
    assert.deepEqual(
      Object.keys(byName).sort(),
      ['awaitApproval', 'createItem', 'echoInstanceId', 'failActivity', 'fails', 'hello', 'helloSequence', 'hooks', 'itemByName', 'noContent', 'optionalName', 'sayHello', 'secret', 'sleepALongTime', 'startOrchestration', 'tick', 'ticks'],
    );
    assert.equal(byName.helloSequence?.trigger.type, 'orchestrationTrigger');
    assert.equal(byName.sayHello?.trigger.type, 'activityTrigger');
    assert.equal(byName.tick?.trigger.type, 'timerTrigger');
    assert.equal(byName.tick?.trigger.schedule, '* * * * * *');
    assert.equal(byName.tick?.trigger.runOnStartup, true);
    assert.equal(byName.hello?.trigger.route, 'hello/{name}');
    assert.deepEqual(byName.hello?.trigger.methods, ['GET']);
    assert.equal(byName.secret?.trigger.authLevel, 'function');
    // df.input.durableClient() arrives as an input binding of type durableClient.
    const starterInputs = Object.values(byName.startOrchestration?.metadata.bindings ?? {}).filter((b) => b.direction === 'in');
    assert.ok(starterInputs.some((b) => b.type === 'durableClient'));
    assert.equal(app.programmingModel?.name, '@azure/functions');
    assert.ok(byName.hello?.metadata.scriptFile?.endsWith('http.js'));
    // Registration is over once the app is loaded, as in the worker.
    assert.throws(() => app.registerFunction({ name: 'late', bindings: { t: { type: 'httpTrigger', direction: 'in' } } }, () => 1), {
      code: 'REGISTRATION_LOCKED',
    });
  } finally {
    releaseApp(app);
  }
});

test('loading the same app twice in one process registers its functions again (each load is isolated)', async () => {
  const { logger } = captureLogger();
  // The process itself has loaded a fixture module and @azure/functions (in "test mode") before the host does.
  await import('../fixtures/unsupported-app/index.js');
  const first = await loadApp(fixtureDir('unsupported-app'), { logger, ignoreUnsupported: true });
  const second = await loadApp(fixtureDir('unsupported-app'), { logger, ignoreUnsupported: true });
  try {
    assert.deepEqual([...first.functions.keys()], ['archiveitem', 'ping']);
    assert.deepEqual([...second.functions.keys()], ['archiveitem', 'ping']);
    assert.notEqual(first.get('ping')?.callback, second.get('ping')?.callback);
  } finally {
    releaseApp(first);
    releaseApp(second);
  }
});

test('shareAppPackages: a shared package is loaded once for every app of the process, the app\'s own files still afresh', async () => {
  const { logger } = captureLogger();
  const isMoment = (file: string): boolean => file.includes(`${path.sep}node_modules${path.sep}moment${path.sep}`);
  // Without it, each load has its own moment (durable-functions requires it).
  const own = await loadApp(fixtureDir('sample-app'), { logger });
  const ownedBefore = [...own.ownedModules];
  releaseApp(own);
  assert.ok(ownedBefore.some(isMoment), 'moment is the app\'s own without sharing');
  shareAppPackages((name) => name === 'moment');
  try {
    const first = await loadApp(fixtureDir('sample-app'), { logger });
    const momentFile = Object.keys(require.cache).find(isMoment);
    const momentModule = momentFile === undefined ? undefined : require.cache[momentFile];
    const firstOwned = [...first.ownedModules];
    const firstHello = first.get('hello')?.callback;
    releaseApp(first);
    const second = await loadApp(fixtureDir('sample-app'), { logger });
    try {
      assert.ok(momentFile !== undefined && momentModule !== undefined, 'moment stays loaded in the process');
      assert.equal(require.cache[momentFile], momentModule, 'the second app got the same moment');
      assert.ok(!firstOwned.some(isMoment) && !second.ownedModules.some(isMoment));
      // durable-functions and the app's own files are still loaded for each app.
      assert.ok(second.ownedModules.some((f) => f.includes(`${path.sep}durable-functions${path.sep}`)));
      assert.notEqual(firstHello, second.get('hello')?.callback);
    } finally {
      releaseApp(second);
    }
  } finally {
    shareAppPackages(() => false);
  }
});

test('shareAppFiles: a shared file of the app is evaluated once for every app of the process, its other files afresh', async () => {
  const { logger } = captureLogger();
  // An entry file stands in for a pure module of an app here (the sample app has no other files): shared, it is not
  // evaluated again, so the second app has no timer function of its own.
  const isTimer = (file: string): boolean => file.endsWith(`${path.sep}sample-app${path.sep}functions${path.sep}timer.js`);
  shareAppFiles(isTimer);
  try {
    const first = await loadApp(fixtureDir('sample-app'), { logger });
    const timerFile = Object.keys(require.cache).find(isTimer);
    const firstOwned = [...first.ownedModules];
    releaseApp(first);
    assert.ok(timerFile !== undefined && require.cache[timerFile] !== undefined, 'the shared file stays loaded in the process');
    assert.ok(!firstOwned.some(isTimer) && firstOwned.some((f) => f.endsWith(`${path.sep}http.js`)), 'the app owns its other files');
    const second = await loadApp(fixtureDir('sample-app'), { logger });
    try {
      assert.equal(second.get('tick'), undefined, 'timer.js was not evaluated again');
      assert.ok(second.get('hello') !== undefined && second.ownedModules.some((f) => f.endsWith(`${path.sep}http.js`)));
    } finally {
      releaseApp(second);
    }
  } finally {
    shareAppFiles(() => false);
    for (const file of Object.keys(require.cache)) if (isTimer(file)) delete require.cache[file];
    for (const mod of Object.values(require.cache)) if (mod) mod.children = mod.children.filter((child) => !isTimer(child.id));
  }
});

test('regression: a released app is not kept in memory by the modules of the process (their `children`), also when two apps of the same files were loaded at once', async () => {
  const { logger } = captureLogger();
  const isSampleApp = (mod: NodeJS.Module): boolean => mod.id.includes(`${path.sep}sample-app${path.sep}`);
  const first = await loadApp(fixtureDir('sample-app'), { logger });
  const second = await loadApp(fixtureDir('sample-app'), { logger }); // as a standby host's, while the first still runs
  releaseApp(second);
  releaseApp(first);
  const holders = Object.values(require.cache).filter((mod) => mod?.children.some(isSampleApp));
  assert.deepEqual(holders.map((mod) => mod?.id), [], 'modules of the process still list the released apps\' files as children');
});

test('an app with a trigger or binding the host does not run is refused with one line naming each', async () => {
  const { logger } = captureLogger();
  await assert.rejects(loadApp(fixtureDir('unsupported-app'), { logger }), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.equal(err.code, 'UNSUPPORTED_BINDING');
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, /function "queueWorker" \(trigger type "queueTrigger"\)/);
    assert.match(err.message, /function "archiveItem" binding "\w+" \(type "blob"\)/);
    assert.doesNotMatch(err.message, /ping/);
    assert.match(err.message, /EMBEDDED_HOST_IGNORE_UNSUPPORTED=true/);
    return true;
  });
});

test('with EMBEDDED_HOST_IGNORE_UNSUPPORTED the function is skipped and the binding ignored, each with a warning', async () => {
  const { logger, lines } = captureLogger();
  const app = await loadApp(fixtureDir('unsupported-app'), { logger, ignoreUnsupported: true });
  try {
    assert.equal(app.get('queueWorker'), undefined);
    assert.ok(app.get('ping'));
    assert.ok(app.get('archiveItem'), 'the function runs; only its blob output is dropped');
    const warnings = lines.filter((l) => l.level === 40).map((l) => String(l.msg));
    assert.ok(warnings.some((w) => /queueWorker.*queueTrigger.*skipped/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /archiveItem.*blob.*output is dropped/.test(w)), warnings.join('\n'));
  } finally {
    releaseApp(app);
  }
});

test('EMBEDDED_HOST_IGNORE_UNSUPPORTED takes true or false only, and names itself otherwise', () => {
  assert.equal(ignoreUnsupportedSetting({}), false);
  assert.equal(ignoreUnsupportedSetting({ EMBEDDED_HOST_IGNORE_UNSUPPORTED: ' TRUE ' }), true);
  assert.equal(ignoreUnsupportedSetting({ EMBEDDED_HOST_IGNORE_UNSUPPORTED: 'false' }), false);
  fc.assert(
    fc.property(fc.string().filter((v) => !['', 'true', 'false'].includes(v.trim().toLowerCase())), (value) => {
      assert.throws(() => ignoreUnsupportedSetting({ EMBEDDED_HOST_IGNORE_UNSUPPORTED: value }), (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.match(err.message, /^EMBEDDED_HOST_IGNORE_UNSUPPORTED must be true or false/);
        return true;
      });
    }),
    fuzzParameters({ numRuns: 200 }, 'ignore-unsupported setting'),
  );
});

test('an app that registers nothing fails with "No job functions found"', async () => {
  const { logger } = captureLogger();
  await assert.rejects(loadApp(fixtureDir('empty-app'), { logger }), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.equal(err.code, 'NO_FUNCTIONS');
    assert.match(err.message, /No job functions found: check package.json main/);
    return true;
  });
});

test('package.json main that matches no file, or no main at all, is a clear error', async () => {
  const { logger } = captureLogger();
  const dir = mkdtempSync(path.join(tmpdir(), 'host-app-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'dist/functions/*.js' }));
  await assert.rejects(loadApp(dir, { logger }), /No job functions found: check package.json main "dist\/functions\/\*\.js"/);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x' }));
  await assert.rejects(loadApp(dir, { logger }), /No job functions found: check package.json main/);
});

test('an entry point that throws while loading names the file', async () => {
  const { logger } = captureLogger();
  const dir = mkdtempSync(path.join(tmpdir(), 'host-app-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'index.js' }));
  writeFileSync(path.join(dir, 'index.js'), 'throw new Error("broken app");');
  await assert.rejects(loadApp(dir, { logger }), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.equal(err.code, 'ENTRY_POINT_FAILED');
    assert.match(err.message, /"index\.js": broken app/);
    return true;
  });
});

test('an ES module app ("type": "module") loads, and loads again in the same process', async () => {
  const { logger } = captureLogger();
  for (let i = 0; i < 2; i++) {
    const app = await loadApp(fixtureDir('esm-app'), { logger });
    try {
      assert.deepEqual([...app.functions.values()].map((f) => f.name), ['esmHello']);
      assert.equal(app.programmingModel?.name, '@azure/functions');
    } finally {
      releaseApp(app);
    }
  }
});
