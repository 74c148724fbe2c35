/**
 * The arrows between the big rooms: the durable engine (src/durable) is a package of its own and imports nothing
 * of the rest of the project; the embedded host (src/host) runs any Durable Functions app, so it imports nothing of
 * this app (src/eventsource, src/functions). A failure names each file and the import that crosses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importGraph } from './source-imports.js';

/** Imports from files under `from` into any of the folders `forbidden`, as `file → imported`. */
export function crossings(graph: Map<string, string[]>, from: string, forbidden: string[]): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    if (!file.startsWith(`${from}/`)) continue;
    for (const target of imports) if (forbidden.some((dir) => target.startsWith(`${dir}/`))) out.push(`${file} → ${target}`);
  }
  return out;
}

const graph = importGraph('src');

test('the boundary check sees a planted crossing', () => {
  const planted = new Map([['src/durable/engine.ts', ['src/host/host.ts', 'src/durable/keys.ts']]]);
  assert.deepEqual(crossings(planted, 'src/durable', ['src/host']), ['src/durable/engine.ts → src/host/host.ts']);
});

test('src/durable imports nothing of the host, the app, the launcher, the CLI or hello-events', () => {
  assert.ok([...graph.keys()].some((f) => f.startsWith('src/durable/')), 'src/durable has sources');
  const bad = crossings(graph, 'src/durable', ['src/host', 'src/eventsource', 'src/functions', 'src/launcher', 'src/cli', 'src/hello-events']);
  assert.deepEqual(bad, [], `the engine reaches out of its package:\n${bad.join('\n')}`);
});

test('src/host imports nothing of the Functions app (src/eventsource, src/functions)', () => {
  const bad = crossings(graph, 'src/host', ['src/eventsource', 'src/functions']);
  assert.deepEqual(bad, [], `the host depends on the app:\n${bad.join('\n')}`);
});

test('src/host reaches the engine through its public entry only (src/durable/index.ts)', () => {
  const deep = crossings(graph, 'src/host', ['src/durable']).filter((line) => !line.endsWith('→ src/durable/index.ts'));
  assert.deepEqual(deep, [], `deep imports into the engine:\n${deep.join('\n')}`);
});
