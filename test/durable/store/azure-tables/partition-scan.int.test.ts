/**
 * The scan that preloads a new owner's cache, on a real Azurite: every partition read within one page is handed over
 * whole and exactly as a partition read gives it; one that straddles two pages comes as the wake time of its instance
 * row (its first step reads it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pino from 'pino';
import { readPartition, scanPartitions } from '../../../../src/durable/store/azure-tables/partition-snapshot.js';
import { HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import { rowFromRecord } from '../../../../src/durable/store/azure-tables/instance-row.js';
import { groupedLayout, HASHED_LAYOUT, type HubLayout } from '../../../../src/durable/store/azure-tables/hub-layout.js';
import { newExecution } from '../../../../src/durable/instance-start.js';
import { instanceIdOf } from '../../../../src/durable/keys.js';
import type { PartitionSnapshot, ScanAnswer, WakeTime } from '../../../../src/durable/store/hub-store.js';
import { useAzurite } from '../../../support/azurite.js';
import { VirtualClock } from '../../../../src/durable/clock/virtual-clock.js';
import { fuzzParameters } from '../../../support/fuzz.js';

const azurite = useAzurite();

const clock = new VirtualClock();
let tables = 0;

/** Instance i holds its instance row and `extra[i]` inbox rows; with `withRecord[i]` false, no instance row. */
async function fill(table: HubTable, layout: HubLayout, extra: number[], withRecord: boolean[]): Promise<string[]> {
  const ids = extra.map((_, i) => `inst-${String(i).padStart(3, '0')}`);
  for (const [i, id] of ids.entries()) {
    const pk = layout.partitionOf(id);
    const rows = Array.from({ length: extra[i] ?? 0 }, (_, r) => ['create', { partitionKey: pk, rowKey: layout.rowKeyOf(id, `i~${String(r).padStart(4, '0')}`), At: r, Msg: '{"type":"resume"}' }] as const);
    if (withRecord[i]) rows.unshift(['create', rowFromRecord(newExecution(clock, id, 'Orch', '1', clock.now(), undefined).record, layout)] as never);
    for (let k = 0; k < rows.length; k += 100) await table.transact(rows.slice(k, k + 100).map((r) => [...r]) as never);
  }
  return ids;
}

// One partition per instance (hashed), or all instances in one shared partition (grouped): either way an instance's
// rows are contiguous in key order, in the order of the ids.
test('every instance within one page is handed over as a read of it gives it; a straddling one as its wake time; a stop ends the scan', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: 6 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom(HASHED_LAYOUT, groupedLayout(1)),
      fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      async (parts, pageRows, layout, stopAfter) => {
        const table = new HubTable(azurite.connectionString, `Scan${tables++}`, pino({ level: 'silent' }), { stopping: () => false, budgetMs: 10_000 });
        const ids = await fill(table, layout, parts.map(([n]) => n), parts.map(([, r]) => r));
        const seen: (PartitionSnapshot | WakeTime)[] = [];
        const answer = (): ScanAnswer => (seen.length === stopAfter ? 'stop' : undefined);
        await scanPartitions(table, { whole: (s) => (seen.push(s), answer()), partial: (w) => (seen.push(w), answer()) }, layout, pageRows);

        // Where the pages break, from the row counts: partition i holds rows [start, end) of the table.
        let start = 0;
        const expected: { id: string; whole: boolean }[] = [];
        for (const [i, [n, withRecord]] of parts.entries()) {
          const rows = n + (withRecord ? 1 : 0);
          const end = start + rows;
          const onePage = rows > 0 && Math.floor(start / pageRows) === Math.floor((end - 1) / pageRows);
          if (withRecord) expected.push({ id: ids[i] as string, whole: onePage });
          start = end;
        }
        const handedOn = expected.slice(0, stopAfter);
        const what = (v: PartitionSnapshot | WakeTime): { id: string; whole: boolean } =>
          'partitionKey' in v ? { id: instanceIdOf(v.partitionKey), whole: true } : { id: v.instanceId, whole: false };
        assert.deepEqual(seen.map(what), handedOn, `pages of ${pageRows}, ${layout.name}, stop after ${stopAfter}`);
        for (const v of seen) {
          if ('partitionKey' in v) assert.deepEqual(v, await readPartition(table, instanceIdOf(v.partitionKey), layout));
          else assert.deepEqual(v, { instanceId: v.instanceId, status: 'Pending', nextWakeAt: clock.now() }, 'the wake time its instance row records');
        }
        await table.client.deleteTable();
      },
    ),
    fuzzParameters({ numRuns: 16 }, 'partition scan pages'),
  );
});
