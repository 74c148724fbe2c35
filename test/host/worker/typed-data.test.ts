import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { invokeFunction } from '../../../src/host/worker/invoke.js';
import { fromTypedData, metadataStringTypedData, stringTypedData } from '../../../src/host/worker/typed-data.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { useSampleApp } from './sample-app.js';

const sample = useSampleApp();

/** What the function sees as triggerMetadata.instanceId when the host sends it as a plain `string` (the old way). */
async function seenWithString(instanceId: string): Promise<unknown> {
  const fn = sample.app.get('echoInstanceId')!;
  const response = await invokeFunction(sample.app, fn, {
    inputData: [{ name: fn.triggerName, data: { json: '0' } }],
    triggerMetadata: { instanceId: stringTypedData(instanceId) },
  });
  return fromTypedData(response.returnValue);
}

/** What it sees the way the host sends it now. */
const seenNow = (instanceId: string): Promise<unknown> => sample.invoker.invokeActivity('echoInstanceId', 0, { instanceId, taskId: 0 });

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
