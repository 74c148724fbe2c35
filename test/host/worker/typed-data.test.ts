import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { AppInvoker } from '../../../src/host/worker/app-invoker.js';
import { invokeFunction } from '../../../src/host/worker/invoke.js';
import { loadApp, releaseApp } from '../../../src/host/worker/load-app.js';
import { fromTypedData, metadataStringTypedData, stringTypedData } from '../../../src/host/worker/typed-data.js';
import type { WorkerApp } from '../../../src/host/worker/worker-app.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { captureLogger, fixtureDir } from '../capture-logger.js';

let app: WorkerApp;
let invoker: AppInvoker;

before(async () => {
  app = await loadApp(fixtureDir('sample-app'), { logger: captureLogger().logger });
  invoker = new AppInvoker(app);
});
after(() => releaseApp(app));

/** What the function sees as triggerMetadata.instanceId when the host sends it as a plain `string` (the old way). */
async function seenWithString(instanceId: string): Promise<unknown> {
  const fn = app.get('echoInstanceId')!;
  const response = await invokeFunction(app, fn, {
    inputData: [{ name: fn.triggerName, data: { json: '0' } }],
    triggerMetadata: { instanceId: stringTypedData(instanceId) },
  });
  return fromTypedData(response.returnValue);
}

/** What it sees the way the host sends it now. */
const seenNow = (instanceId: string): Promise<unknown> => invoker.invokeActivity('echoInstanceId', 0, { instanceId, taskId: 0 });

test('an instance id reaches the function exactly as it did when sent as a plain string', async () => {
  const ids = ['schedule-a', 'schedule-x/y', '', ' ', '42', '-1', ' 7 ', 'true', 'null', 'false', '"q"', '{"A":1}', '[1,2]', 'tru', '\u00e9t\u00e9', '\ud800'];
  for (const id of ids) {
    assert.deepEqual(await seenNow(id), await seenWithString(id), JSON.stringify(id));
  }
});

test('property: any instance id is seen the same either way', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), async (id) => {
      assert.deepEqual(await seenNow(id), await seenWithString(id));
    }),
    fuzzParameters({ numRuns: 300 }, 'metadata string typed data'),
  );
});

test('text that cannot be JSON goes as json of the string (no parse failure in the worker)', () => {
  assert.deepEqual(metadataStringTypedData('schedule-a'), { json: '"schedule-a"' });
  assert.deepEqual(metadataStringTypedData('42'), { string: '42' });
});
