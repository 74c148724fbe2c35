/**
 * Property tests of the large-payload marker and of the offload/resolve round trip (blobs in memory): any text of
 * any size comes back as it went in; only text past the threshold leaves its row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getText, putText, type EntityProps } from '../../../src/durable/chunked-text.js';
import { hasBlobService } from '../../../src/durable/store/azure-tables/blob-container.js';
import { LargePayloads } from '../../../src/durable/store/azure-tables/large-payloads.js';
import type { Row } from '../../../src/durable/store/azure-tables/table-store.js';
import { MemoryBlobStore } from '../../../src/durable/store/payloads/payload-blob-store.js';
import { containerName, decodeMarker, encodeMarker, instanceBlobPrefix, isLarge, LARGE_PAYLOAD_BYTES } from '../../../src/durable/store/payloads/payload-marker.js';
import { fuzzParameters } from '../../support/fuzz.js';

test('the marker codec round-trips, and no JSON text is ever taken for a marker', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (blob, units) => {
      assert.deepEqual(decodeMarker(encodeMarker({ blob, units: Math.min(units, 999_999_999_999_999) })), { blob, units: Math.min(units, 999_999_999_999_999) });
    }),
    fuzzParameters({ numRuns: 300 }, 'marker codec'),
  );
  fc.assert(
    fc.property(fc.json(), (text) => assert.equal(decodeMarker(text), undefined)),
    fuzzParameters({ numRuns: 300 }, 'JSON is no marker'),
  );
});

test('instance prefixes are distinct per id and free of characters URLs treat specially', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40, unit: 'binary' }), fc.string({ maxLength: 40, unit: 'binary' }), (a, b) => {
      assert.equal(instanceBlobPrefix(a) === instanceBlobPrefix(b), a === b);
      assert.match(instanceBlobPrefix(a), /^[A-Za-z0-9._:@!-]*\/$/);
    }),
    fuzzParameters({ numRuns: 300 }, 'instance prefixes'),
  );
});

/** Texts around the threshold and far past it: a random piece repeated (sizes up to ~1 MB, any UTF-16 content). */
const texts = fc.tuple(fc.string({ maxLength: 64, unit: 'binary' }), fc.integer({ min: 0, max: 4 * LARGE_PAYLOAD_BYTES })).map(([piece, size]) =>
  piece.length === 0 ? '' : piece.repeat(Math.ceil(size / piece.length)).slice(0, size).replace(/[\ud800-\udbff]$/, ''),
);

test('any payload round-trips through offload, blob write and resolve; only large ones leave the row', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }), fc.array(texts, { minLength: 1, maxLength: 3 }), async (instanceId, values) => {
      const blobs = new MemoryBlobStore();
      const payloads = new LargePayloads(blobs);
      const entity: EntityProps = { partitionKey: 'p', rowKey: 'r' };
      values.forEach((text, i) => putText(entity, `P${i}`, text));
      const offload = payloads.offload(instanceId, [entity]);
      assert.equal(offload.pending.length, values.filter(isLarge).length);
      await payloads.write(offload.pending);
      for (const name of blobs.blobs.keys()) assert.ok(name.startsWith(instanceBlobPrefix(instanceId)));
      const row = { ...entity, etag: 'e' } as Row;
      await payloads.resolve(() => instanceId, [row], () => false);
      values.forEach((text, i) => assert.equal(getText(row, `P${i}`), text));
      assert.equal((await payloads.listInstance(instanceId)).length, offload.pending.length);
    }),
    fuzzParameters({ numRuns: 40 }, 'offload round trip'),
  );
});

test('the blob service comes from the connection string as the SDK derives it; a table endpoint alone means none', () => {
  const key = 'AccountKey=a2V5';
  assert.equal(hasBlobService(`DefaultEndpointsProtocol=https;AccountName=prod;${key};EndpointSuffix=core.windows.net`), true);
  assert.equal(hasBlobService(`AccountName=dev;${key};BlobEndpoint=http://127.0.0.1:10000/dev;TableEndpoint=http://127.0.0.1:10002/dev;`), true);
  assert.equal(hasBlobService(`AccountName=dev;${key};TableEndpoint=http://127.0.0.1:10002/dev;`), false);
  assert.equal(containerName('MyHub1'), 'myhub1-largemessages');
});
