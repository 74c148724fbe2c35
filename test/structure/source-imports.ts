/**
 * The import graph of src, read from the TypeScript sources themselves (the compiler's own pre-processor: static
 * imports, re-exports, `import type` and dynamic `import()`), for the structure tests. Only relative imports are
 * edges; packages and node: modules are left out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../support/host-process.js';

/** Repo-relative paths (`src/...ts`) of every TypeScript source under `dir`. */
export function sourceFiles(dir = 'src'): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(REPO_ROOT, rel))) {
      const child = `${rel}/${entry}`;
      if (statSync(path.join(REPO_ROOT, child)).isDirectory()) walk(child);
      else if (child.endsWith('.ts') && !child.endsWith('.d.ts')) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/** The repo-relative sources `file` imports (relative specifiers only, `.js` mapped back to `.ts`). */
export function importsOf(file: string): string[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('./') || spec.startsWith('../'))
    .map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

/** The import graph of every source under `dir`: file → the files it imports. */
export function importGraph(dir = 'src'): Map<string, string[]> {
  return new Map(sourceFiles(dir).map((file) => [file, importsOf(file)]));
}
