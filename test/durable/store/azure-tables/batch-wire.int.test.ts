/**
 * The `$batch` requests HubTable builds itself, against a real Azurite: any key and any text survive the trip, every
 * kind of operation does what the SDK's own would, and a failed change set is reported as the failing operation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pino from 'pino';
import { batchRequest, parseBatchResponse } from '../../../../src/durable/store/azure-tables/batch-wire.js';
import { ConflictError, HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import { startAzurite, type RunningAzurite } from '../../../../src/host/storage/azurite.js';
import { fuzzParameters } from '../../../support/fuzz.js';

let azurite: RunningAzurite;
let table: HubTable;

before(async () => {
  azurite = await startAzurite();
  table = new HubTable(azurite.connectionString, 'BatchWire', pino({ level: 'silent' }), { stopping: () => false, budgetMs: 10_000 });
  await table.ensureTable();
});
after(() => azurite.stop());

// Keys may hold anything but the characters the Table service forbids in keys (/ \ # ? and control characters), and
// a ',' here: Azurite 3.37 misreads a sub-request URL whose key holds `',` or `,=` (404; the SDK's own transactions
// fail the same way), though ',' alone works and is tested below. Nor U+2028 or U+2029 (line and paragraph
// separators): Azurite 3.37 answers any transaction whose key holds one 400 "An error occurred while processing this
// request", the SDK's own `submitTransaction` too, while a single `createEntity` with the same key works (found by
// FUZZ_SEED=1553495060).
const keyChar = fc.oneof(
  fc.constantFrom("'", '"', ' ', '%', '&', '+', '=', '(', ')', ':', '~', 'é', '漢', '😀', '-'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/[/\\#?,\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(c)),
);
const key = fc.array(keyChar, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
const text = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => s.replace(/[\ud800-\udfff]/g, 'x'));

test('any key and any text survive create, replace by ETag, merge and delete', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(key, key, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), async (pkBase, rowKey, s, i, d, b) => {
      const pk = `${pkBase}-${n++}`; // a fresh partition per run
      const etags = await table.transact([['create', { partitionKey: pk, rowKey, S: s, I: i, D: d, B: b }]]);
      const row = await table.get(pk, rowKey);
      assert.ok(row, 'created');
      assert.deepEqual([row.S, row.I, row.B], [s, i, b]);
      assert.equal(Number(row.D), d === 0 ? 0 : d); // -0 comes back as 0
      assert.equal(etags.get(rowKey), row.etag, 'the ETag reported is the stored one');

      const replaced = await table.transact([['update', { partitionKey: pk, rowKey, S: `${s}!` }, 'Replace', { etag: row.etag }]]);
      const again = await table.get(pk, rowKey);
      assert.equal(again?.S, `${s}!`);
      assert.equal(again?.I, undefined, 'Replace drops the other properties');
      assert.equal(replaced.get(rowKey), again?.etag);

      await table.transact([['update', { partitionKey: pk, rowKey, M: 1 }, 'Merge']]);
      assert.deepEqual([(await table.get(pk, rowKey))?.S, (await table.get(pk, rowKey))?.M], [`${s}!`, 1], 'Merge keeps the others');

      await table.transact([['delete', { partitionKey: pk, rowKey }]]);
      assert.equal(await table.get(pk, rowKey), undefined);
    }),
    fuzzParameters({ numRuns: 25 }, 'batch keys and texts'),
  );
});

test('a failed change set applies nothing and names the failing operation: 409 for an existing row, 412 for a stale ETag', async () => {
  await table.transact([['create', { partitionKey: 'f', rowKey: 'a', V: 1 }]]);
  const stale = (await table.get('f', 'a'))?.etag ?? '';
  await table.transact([['update', { partitionKey: 'f', rowKey: 'a', V: 2 }, 'Replace', { etag: stale }]]);

  const exists = await table.transact([['create', { partitionKey: 'f', rowKey: 'b', V: 1 }], ['create', { partitionKey: 'f', rowKey: 'a', V: 9 }]]).catch((e: unknown) => e);
  assert.ok(exists instanceof ConflictError && exists.statusCode === 409, String(exists));
  assert.equal(await table.get('f', 'b'), undefined, 'all or nothing');

  await table.transact([['create', { partitionKey: 'x,y', rowKey: 'a,b', V: 1 }]]);
  await table.transact([['update', { partitionKey: 'x,y', rowKey: 'a,b', V: 2 }, 'Merge'], ['create', { partitionKey: 'x,y', rowKey: 'c', V: 1 }]]);
  assert.equal((await table.get('x,y', 'a,b'))?.V, 2, 'a comma in a key');

  const staleReplace = await table.transact([['create', { partitionKey: 'f', rowKey: 'c', V: 1 }], ['update', { partitionKey: 'f', rowKey: 'a', V: 3 }, 'Replace', { etag: stale }]]).catch((e: unknown) => e);
  assert.ok(staleReplace instanceof ConflictError && staleReplace.statusCode === 412, String(staleReplace));
  assert.equal(await table.get('f', 'c'), undefined);
  assert.equal((await table.get('f', 'a'))?.V, 2);
});

test('the body carries each operation once, in order, and the answer is read in order with its ETags', () => {
  let i = 0;
  const { body, contentType } = batchRequest('http://h/acct/T', [
    ['create', { partitionKey: "a'b", rowKey: 'r', X: 1 }],
    ['update', { partitionKey: "a'b", rowKey: 's', X: 2 }, 'Replace', { etag: 'W/"e"' }],
    ['delete', { partitionKey: "a'b", rowKey: 't u' }],
  ], undefined, () => `id${i++}`);
  assert.equal(contentType, 'multipart/mixed; boundary=batch_id0');
  assert.equal(body.split('--changeset_id1\r\n').length - 1, 3);
  assert.ok(body.endsWith('--changeset_id1--\r\n--batch_id0--\r\n'));
  assert.match(body, /PUT http:\/\/h\/acct\/T\(PartitionKey='a''b',RowKey='s'\) HTTP\/1\.1\r\n[\s\S]*If-Match: W\/"e"\r\n\r\n\{"PartitionKey":"a'b","RowKey":"s","X":2\}/);
  assert.match(body, /DELETE http:\/\/h\/acct\/T\(PartitionKey='a''b',RowKey='t%20u'\) HTTP\/1\.1\r\n[\s\S]*If-Match: \*\r\n/);
  assert.throws(() => batchRequest('http://h/a/T', [['create', { partitionKey: 'p', rowKey: 'r', X: new Date() }]]), /X must be a string/);
  // An entity whose JSON the step's sizing made already is sent as that text, the others as they are serialised.
  const kept = { partitionKey: 'p', rowKey: 'k', X: 1 };
  const withTexts = batchRequest('http://h/a/T', [['create', kept], ['create', { partitionKey: 'p', rowKey: 'n', X: 2 }]], new Map([[kept, '{"PartitionKey":"p","RowKey":"k","X":1}']]));
  assert.match(withTexts.body, /\r\n\r\n\{"PartitionKey":"p","RowKey":"k","X":1\}\r\n[\s\S]*\r\n\r\n\{"PartitionKey":"p","RowKey":"n","X":2\}/);

  const answer = (status: string, extra: string): string => `--changesetresponse_c\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 ${status}\r\n${extra}\r\n`;
  const parsed = parseBatchResponse(`--batchresponse_b\r\n${answer('204 No Content', 'ETag: W/"1"\r\n')}${answer('204 No Content', 'ETag: W/"2"\r\n')}--changesetresponse_c--\r\n--batchresponse_b--\r\n`);
  assert.deepEqual(parsed, [{ status: 204, etag: 'W/"1"' }, { status: 204, etag: 'W/"2"' }]);
  const failed = parseBatchResponse(`${answer('409 Conflict', '\r\n{"odata.error":{"code":"EntityAlreadyExists","message":{"value":"exists"}}}\r\n')}--changesetresponse_c--`);
  assert.deepEqual(failed, [{ status: 409, code: 'EntityAlreadyExists', message: 'exists' }]);
});
