// The project's build, in plain JavaScript because it runs before anything is compiled.
//
//   node src/launcher/build.mjs           build only if needed (npm start, npm run func/hello-events/bench)
//   node src/launcher/build.mjs --clean   empty dist/ first, then build (npm test, CI, the Docker image)
//   node src/launcher/build.mjs --quiet   as the first, silent when dist/ is up to date (the CLI)
//
// "If needed": dist/.sources lists the sources of the last successful build; when the list is the same and no
// source (or tsconfig.json) is newer than it, nothing is compiled and start-up costs a few milliseconds. Otherwise
// tsc compiles incrementally (dist/.tsbuildinfo: only what changed), and compiled files whose source is gone are
// removed, so a stale file is never picked up, just as after a clean build. It says what it does while it does it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');
const sourcesFile = path.join(dist, '.sources');
const buildInfo = path.join(dist, '.tsbuildinfo');
const SOURCE_DIRS = ['src', 'test', 'bench'];
const clean = process.argv.includes('--clean');
// --quiet: say nothing when there is nothing to do (the CLI builds before every command).
const quiet = process.argv.includes('--quiet');

function say(message) {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [build] ${message}\n`);
}

/** Paths relative to `base` of every file under `base/dir` (none when the folder does not exist). */
function filesUnder(base, dir) {
  let entries;
  try {
    entries = readdirSync(path.join(base, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(base, rel) : [rel];
  });
}

/** Relative paths and modification times of every TypeScript source under `dir`. */
function walk(dir) {
  return filesUnder(root, dir)
    .filter((rel) => rel.endsWith('.ts') && !rel.endsWith('.d.ts'))
    .map((rel) => ({ rel, mtime: statSync(path.join(root, rel)).mtimeMs }));
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Which sources changed since the last build (all of them when there was none). */
function changedSources(sources) {
  const builtAt = mtime(sourcesFile);
  if (builtAt === undefined || !existsSync(buildInfo)) return { reason: 'no previous build', full: true };
  const listed = readFileSync(sourcesFile, 'utf8');
  if (listed !== sources.map((s) => s.rel).join('\n')) return { reason: 'sources added or removed', full: false };
  const newer = sources.filter((s) => s.mtime > builtAt);
  if ((mtime(path.join(root, 'tsconfig.json')) ?? 0) > builtAt) return { reason: 'tsconfig.json changed', full: true };
  if (newer.length === 0) return undefined;
  const names = newer.slice(0, 3).map((s) => s.rel).join(', ');
  return { reason: `changed: ${names}${newer.length > 3 ? ` and ${newer.length - 3} more` : ''}`, full: false };
}

/** Removes compiled files (.js, .js.map) under dist/ whose TypeScript source no longer exists. */
function pruneOrphans() {
  let removed = 0;
  for (const rel of SOURCE_DIRS.flatMap((dir) => filesUnder(dist, dir))) {
    const match = /^(.*)\.js(\.map)?$/.exec(rel);
    if (match && !existsSync(path.join(root, `${match[1]}.ts`))) {
      rmSync(path.join(dist, rel));
      removed++;
    }
  }
  return removed;
}

/**
 * Copies the package.json of a folder under src/ (e.g. src/functions/dashboard/, `"type": "module"`: the
 * dashboard's browser modules) next to its compiled files, so that Node loads them as tsc compiled them. Only src/:
 * the test fixtures' package.json files describe apps and stay where they are.
 */
function copyModuleTypes() {
  for (const rel of filesUnder(root, 'src').filter((f) => path.basename(f) === 'package.json')) {
    mkdirSync(path.join(dist, path.dirname(rel)), { recursive: true });
    copyFileSync(path.join(root, rel), path.join(dist, rel));
  }
}

const started = Date.now();
if (clean) rmSync(dist, { recursive: true, force: true });
const sources = SOURCE_DIRS.flatMap((dir) => walk(dir)).sort((a, b) => (a.rel < b.rel ? -1 : 1));
const change = clean ? { reason: 'clean build', full: true } : changedSources(sources);
if (!change) {
  copyModuleTypes();
  if (!quiet) say(`dist/ is up to date (${sources.length} sources unchanged since the last build)`);
  process.exit(0);
}
say(`compiling TypeScript${change.full ? ` (${sources.length} files, ${change.reason}; a full compile takes 10-30 s)` : ` incrementally (${change.reason})`}...`);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', buildInfo], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  say('compilation failed (errors above)');
  process.exit(result.status ?? 1);
}
const removed = pruneOrphans();
copyModuleTypes();
writeFileSync(sourcesFile, sources.map((s) => s.rel).join('\n'));
// Stamped with the time the build began: a source saved while tsc ran counts as changed next time.
utimesSync(sourcesFile, started / 1000, started / 1000);
say(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s${removed ? `; removed ${removed} compiled files whose source is gone` : ''}`);
