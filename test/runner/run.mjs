// The test runner behind `npm test` and `npm run test:unit|test:integration|test:e2e`, in plain JavaScript because
// it builds before anything is compiled. The tier of a test file is in its name (docs/testing.md):
//
//   name.test.ts       unit: pure, no process, no socket (enforced: unit-guard.ts is preloaded)
//   name.int.test.ts   integration: real servers on loopback, child processes, Azurite
//   name.e2e.test.ts   end to end: the whole system, as a user starts it
//
//   node test/runner/run.mjs [--tier unit|integration|e2e] [--list] [PATTERN...] [--test-name-pattern=... and other --test-* flags]
//
// --list prints the selected files by tier and runs nothing. A PATTERN selects the files whose path (test/....test.ts) contains it, or matches it as a glob when it holds a `*`.
// Without a tier and a pattern (CI) the build is clean, otherwise incremental. Tests run on the project's Node 22
// (node_modules/.bin/node), one `node --test` per tier, unit first; the exit code is non-zero if any tier failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIERS = ['unit', 'integration', 'e2e'];
const TIMEOUT_MS = 300_000;

/** The tier a test file belongs to, by its name. */
function tierOf(file) {
  if (file.endsWith('.e2e.test.ts')) return 'e2e';
  if (file.endsWith('.int.test.ts')) return 'integration';
  return 'unit';
}

function parseArgs(argv) {
  const options = { tier: undefined, list: false, patterns: [], testFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--tier') options.tier = argv[++i];
    else if (arg.startsWith('--tier=')) options.tier = arg.slice('--tier='.length);
    else if (arg === '--list') options.list = true;
    else if (arg.startsWith('--test-')) options.testFlags.push(arg);
    else if (arg.startsWith('-')) fail(`unknown option ${arg}: expected --tier, --list, --test-*=VALUE flags of node --test, or path patterns`);
    else options.patterns.push(arg);
  }
  if (options.tier !== undefined && !TIERS.includes(options.tier)) fail(`--tier ${options.tier}: expected one of ${TIERS.join(', ')}`);
  return options;
}

function fail(message) {
  process.stderr.write(`test runner: ${message}\n`);
  process.exit(2);
}

/** Every test file under test/, as a path relative to the root (test/a/b.test.ts), sorted. */
function testFiles(dir = 'test') {
  return readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((entry) => {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(rel);
      return entry.name.endsWith('.test.ts') ? [rel] : [];
    })
    .sort();
}

function matches(file, pattern) {
  const wanted = pattern.replace(/^\.\//, '').replace(/^dist\//, '').replace(/\.js$/, '.ts');
  return wanted.includes('*') ? path.matchesGlob(file, wanted) : file.includes(wanted);
}

function projectNode() {
  const local = path.join(root, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

function runTier(tier, files, testFlags) {
  const compiled = files.map((file) => path.join('dist', file.replace(/\.ts$/, '.js')));
  // Unit tests are pure, so they may use every core; the others share loopback ports, Azurite and the machine.
  const concurrency = tier === 'unit' ? Math.max(2, availableParallelism()) : 2;
  const guard = tier === 'unit' ? ['--import', './dist/test/runner/unit-guard.js'] : [];
  process.stdout.write(`\n# ${tier}: ${files.length} test file${files.length === 1 ? '' : 's'}\n`);
  return run(projectNode(), [...guard, '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${TIMEOUT_MS}`, ...testFlags, ...compiled]);
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const all = testFiles();
  const selected = all.filter(
    (file) => (options.tier === undefined || tierOf(file) === options.tier) && (options.patterns.length === 0 || options.patterns.some((p) => matches(file, p))),
  );
  if (selected.length === 0) fail(`no test file matches ${[options.tier, ...options.patterns].filter(Boolean).join(' ')} (test/**/*.test.ts)`);
  if (options.list) {
    process.stdout.write(selected.map((file) => `${tierOf(file).padEnd(12)}${file}\n`).join(''));
    return;
  }
  const clean = options.tier === undefined && options.patterns.length === 0;
  const built = run(projectNode(), [path.join('src', 'launcher', 'build.mjs'), ...(clean ? ['--clean'] : [])]);
  if (built !== 0) process.exit(built);
  const failed = TIERS.filter((tier) => {
    const files = selected.filter((file) => tierOf(file) === tier);
    return files.length > 0 && runTier(tier, files, options.testFlags) !== 0;
  });
  if (failed.length > 0) {
    process.stderr.write(`\ntest runner: failures in ${failed.join(', ')} (above)\n`);
    process.exit(1);
  }
}

main();
