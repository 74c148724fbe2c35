/**
 * A small Dockerfile reader for the deployment tests (Docker cannot run here): stages, their instructions, ENV, and
 * where a path inside an image comes from on this machine after `npm run build`.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO_ROOT } from './manifests.js';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  if (pending !== '') logical.push(pending.trim());
  const stages: Stage[] = [];
  for (const line of logical.filter((l) => l !== '')) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(match, `bad FROM: ${line}`);
      stages.push({ base: String(match[1]), name: match[2], instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    assert.ok(current, `instruction before FROM: ${line}`);
    current.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

export function stage(stages: readonly Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  assert.ok(found, `no stage named ${name}`);
  return found;
}

export function args(s: Stage, keyword: string): string[] {
  return s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** ENV in both forms: `ENV A=1 B=2` and the legacy `ENV A 1`. */
export function envOf(s: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const text of args(s, 'ENV')) {
    if (/^\S+=/.test(text)) {
      for (const match of text.matchAll(/(\S+?)=("[^"]*"|\S+)/g)) env.set(String(match[1]), String(match[2]).replace(/^"|"$/g, ''));
    } else {
      const [key = '', ...value] = text.split(/\s+/);
      env.set(key, value.join(' '));
    }
  }
  return env;
}

/** Where a path inside the image comes from on this machine after `npm run build`, following the stage's COPY lines. */
export function localSourceOf(stages: readonly Stage[], s: Stage, imagePath: string): string | undefined {
  const workdir = args(s, 'WORKDIR').at(-1) ?? '/';
  for (const copy of args(s, 'COPY')) {
    const parts = copy.split(/\s+/);
    const from = /^--from=(\S+)$/.exec(parts[0] ?? '')?.[1];
    const paths = parts.filter((p) => !p.startsWith('--'));
    const rawDestination = paths.at(-1) ?? '';
    const sources = paths.slice(0, -1);
    const intoFolder = sources.length > 1 || rawDestination.endsWith('/');
    for (const source of sources) {
      // Several sources, or a destination ending in "/": each lands in that folder under its own name; else at it.
      const destination = path.posix.resolve(workdir, rawDestination);
      const landed = intoFolder ? path.posix.join(destination, path.posix.basename(source)) : destination;
      if (imagePath !== landed && !imagePath.startsWith(`${landed}/`)) continue;
      const rest = imagePath.slice(landed.length);
      if (from === undefined) return path.join(REPO_ROOT, source, rest);
      // The stage copied from built the repository in its WORKDIR, as `npm run build` does here.
      const fromWorkdir = args(stage(stages, from), 'WORKDIR').at(-1) ?? '/';
      return path.join(REPO_ROOT, path.posix.relative(fromWorkdir, path.posix.resolve(fromWorkdir, source)), rest);
    }
  }
  return undefined;
}
