/** The instance cache never forgets a refresh that was asked for while a read was under way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EventType, type InstanceRecord } from '../../../src/durable/instance-state.js';
import { InstanceCache } from '../../../src/durable/runtime/instance-cache.js';
import type { PartitionSnapshot } from '../../../src/durable/store/hub-store.js';

const empty = (): PartitionSnapshot => ({ partitionKey: 'a', history: [], historyRows: [], inbox: [], outbox: [], staleHistory: [] });

test('a message marked while the partition was being read is read again by the next load', () => {
  const cache = new InstanceCache();
  cache.markStale('a', 'all');
  const { mark } = cache.peek('a'); // the read begins
  cache.markStale('a', 'inbox'); // a client writes a message meanwhile; the read may have missed it
  cache.put('a', empty(), mark); // the read ends
  assert.equal(cache.get('a'), undefined, 'still due for a refresh');
  assert.equal(cache.peek('a').refresh, 'all', 'the stronger refresh is kept');
  const again = cache.peek('a').mark;
  cache.put('a', empty(), again);
  assert.ok(cache.get('a'), 'a read begun after the mark clears it');
});

test('an inbox refresh marked during a targeted inbox read is kept too', () => {
  const cache = new InstanceCache();
  cache.put('a', empty());
  cache.markStale('a', 'inbox');
  const { mark } = cache.peek('a');
  cache.markStale('a', 'inbox');
  cache.replaceInbox('a', [], mark);
  assert.equal(cache.peek('a').refresh, 'inbox');
  cache.replaceInbox('a', [], cache.peek('a').mark);
  assert.equal(cache.peek('a').refresh, undefined);
});

/** The heap in use after a full collection (the test process's own gc, made available for this measurement). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

test('a cached instance holds its input text once, not once more in its ExecutionStarted', () => {
  const count = 1_000;
  const inputBytes = 40_000;
  const cache = new InstanceCache();
  const before = heapAfterGc();
  for (let i = 0; i < count; i++) {
    const input = JSON.stringify({ name: `s-${i}`, pad: 'x'.repeat(inputBytes) });
    // As a read makes them: the record's input and the history's event each parsed from their own row.
    const history = JSON.parse(JSON.stringify([{ EventType: EventType.OrchestratorStarted }, { EventType: EventType.ExecutionStarted, Input: input }])) as PartitionSnapshot['history'];
    const record = JSON.parse(JSON.stringify({ instanceId: `s-${i}`, input })) as InstanceRecord;
    if (i % 2 === 0) cache.put(`s-${i}`, { ...empty(), partitionKey: `s-${i}`, record, history });
    else {
      const scan = cache.beginPreload();
      cache.preload(`s-${i}`, { ...empty(), partitionKey: `s-${i}`, record, history }, scan);
      cache.endPreload(scan);
    }
  }
  const held = heapAfterGc() - before;
  assert.equal(cache.size, count);
  assert.ok(held < count * inputBytes * 1.5, `${Math.round(held / 2 ** 20)} MB held for ${Math.round((count * inputBytes) / 2 ** 20)} MB of inputs`);
});

test('a preload scan begun before the cache was cleared (the lease lost and taken again) fills nothing', () => {
  const cache = new InstanceCache();
  const old = cache.beginPreload();
  cache.clear();
  const current = cache.beginPreload();
  assert.equal(cache.preload('a', empty(), old), false, 'the old scan\'s copy may be older than what the new owner reads');
  cache.endPreload(old);
  assert.equal(cache.preload('b', empty(), current), true, 'the old scan ending does not end the new one');
  cache.endPreload(current);
  assert.equal(cache.preload('c', empty(), current), false, 'after its end');
});
