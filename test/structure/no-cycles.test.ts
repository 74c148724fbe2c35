/**
 * No import cycles in src: arrows between modules point one way, so each room can be read (and tested) after the
 * rooms it uses. A failure names every cycle as a path of files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importGraph } from './source-imports.js';

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
export function cyclicComponents(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** One cycle through `start` inside its component, as `a → b → … → a` (breadth-first: the shortest). */
export function cycleThrough(graph: Map<string, string[]>, component: string[]): string {
  const inside = new Set(component);
  const start = component[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const to of graph.get(node) ?? []) {
      if (!inside.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = cameFrom.get(at)) path.splice(1, 0, at);
        return [...path, start].join(' → ');
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
  }
  return component.join(', ');
}

test('the cycle finder finds a planted cycle and names it, and passes a graph without one', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts', 'd.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', []],
  ]);
  const components = cyclicComponents(graph);
  assert.deepEqual(components, [['a.ts', 'b.ts', 'c.ts']]);
  assert.equal(cycleThrough(graph, components[0]!), 'a.ts → b.ts → c.ts → a.ts');
  graph.set('c.ts', []);
  assert.deepEqual(cyclicComponents(graph), []);
});

test('no import cycle in src', () => {
  const graph = importGraph('src');
  assert.ok(graph.size > 100, `read ${graph.size} sources`);
  const cycles = cyclicComponents(graph).map((component) => cycleThrough(graph, component));
  assert.deepEqual(cycles, [], `import cycles in src:\n${cycles.join('\n')}`);
});
