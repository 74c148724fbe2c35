/** The instance cache never forgets a refresh that was asked for while a read was under way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
