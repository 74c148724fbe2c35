/**
 * The layering rules of the event source, checked on the source text until lint takes them over:
 * - src/eventsource/core is pure: it imports no I/O module (files, network, DNS, TLS, HTTP, undici, logging, metrics,
 *   tracing, Azure), reads no process.env, and imports nothing outside core;
 * import cycles anywhere in src are test/structure/no-cycles.test.ts's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The repository: this file runs from dist/test/eventsource. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CORE = path.join(ROOT, 'src/eventsource/core');

/** Packages the core may import: each computes and does no I/O. Add one only if that stays true. */
const PURE_PACKAGES = new Set(['zod', 'croner', 'cloudevents', 'node:crypto', 'node:util']);
/**
 * Pure modules outside core that core may import. The media-type parser is hello-events' (its image holds only its
 * own folder, so the one copy lives there); it imports nothing.
 */
const PURE_NEIGHBOURS = new Set([path.resolve(CORE, '..', '..', 'hello-events', 'media-type.js')]);
const FORBIDDEN = /^(node:)?(fs|fs\/promises|net|dns|dns\/promises|tls|http|https|http2|child_process|worker_threads|perf_hooks)$|^(undici|pino|prom-client|yaml|durable-functions)$|^@opentelemetry\/|^@azure\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every module specifier a file imports or re-exports, static or dynamic, type-only included. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);
}

/** The problems of one core file: a forbidden or unknown package, a path leaving core, a read of process.env. */
export function corePurityProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const specifier of importsOf(text)) {
    if (specifier.startsWith('.')) {
      const target = path.resolve(path.dirname(file), specifier);
      if (path.relative(CORE, target).startsWith('..') && !PURE_NEIGHBOURS.has(target)) problems.push(`imports ${specifier}, outside core`);
    } else if (FORBIDDEN.test(specifier)) {
      problems.push(`imports ${specifier}, an I/O module`);
    } else if (!PURE_PACKAGES.has(specifier)) {
      problems.push(`imports ${specifier}, not in the core's list of pure packages`);
    }
  }
  if (/\bprocess\s*\.\s*env\b/.test(text)) problems.push('reads process.env');
  return problems;
}

test('the checks themselves catch what they guard against', () => {
  const file = path.join(CORE, 'example.ts');
  assert.deepEqual(corePurityProblems(file, "import { fetch } from 'undici';\nimport x from '../delivery/deliver.js';"), [
    'imports undici, an I/O module',
    'imports ../delivery/deliver.js, outside core',
  ]);
  assert.deepEqual(corePurityProblems(file, "import type { X } from 'node:fs';"), ['imports node:fs, an I/O module']);
  assert.deepEqual(corePurityProblems(file, "const s = await import('left-pad');"), ['imports left-pad, not in the core\'s list of pure packages']);
  assert.deepEqual(corePurityProblems(file, 'const sink = process.env.K_SINK;'), ['reads process.env']);
  assert.deepEqual(corePurityProblems(file, "export { y } from './schedule.js';\nimport { z } from 'zod';"), []);
});

test('src/eventsource/core imports no I/O module, reads no process.env and imports nothing outside core', () => {
  const files = sourceFiles(CORE);
  assert.ok(files.length > 20, `core has ${files.length} files`);
  const problems = files.flatMap((file) =>
    corePurityProblems(file, readFileSync(file, 'utf8')).map((problem) => `${path.relative(ROOT, file)}: ${problem}`));
  assert.deepEqual(problems, []);
});
