/**
 * src/launcher/build.mjs, the build behind npm start (only when needed, incremental) and npm test (--clean), run on
 * a tiny project of its own: up to date → nothing compiled; a changed source → recompiled; a deleted source → its
 * compiled files removed, so a stale file is never picked up; --clean → dist/ emptied first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'des-build-'));
  mkdirSync(path.join(dir, 'src', 'launcher'), { recursive: true });
  copyFileSync(path.join(root, 'src', 'launcher', 'build.mjs'), path.join(dir, 'src', 'launcher', 'build.mjs'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'node16', target: 'ES2022', outDir: 'dist', rootDir: '.', strict: true, sourceMap: true, types: [] }, include: ['src/**/*.ts'] }),
  );
  writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a: number = 1;\n');
  writeFileSync(path.join(dir, 'src', 'b.ts'), "import { a } from './a.js';\nexport const b = a + 1;\n");
  return dir;
}

function build(dir: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [path.join(dir, 'src', 'launcher', 'build.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, `build exits 0\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** An edit of `file` some time after the last build: the build's stamp moves 10 s back, the file's time is now. */
function editAfterBuild(dir: string, file: string): void {
  const earlier = Date.now() / 1000 - 10;
  for (const input of ['tsconfig.json', 'src/a.ts', 'src/b.ts'].map((f) => path.join(dir, f))) {
    if (existsSync(input)) utimesSync(input, earlier - 10, earlier - 10);
  }
  utimesSync(path.join(dir, 'dist', '.sources'), earlier, earlier);
  const now = Date.now() / 1000;
  utimesSync(file, now, now);
}

test('build.mjs: builds when needed, incrementally, removes orphaned outputs, and --clean starts from an empty dist', () => {
  const dir = project();
  try {
    assert.match(build(dir), /compiling TypeScript \(2 files, no previous build/);
    assert.ok(existsSync(path.join(dir, 'dist', 'src', 'b.js')));

    assert.match(build(dir), /dist\/ is up to date \(2 sources/, 'nothing changed: nothing compiled');

    editAfterBuild(dir, path.join(dir, 'src', 'a.ts'));
    assert.match(build(dir), /compiling TypeScript incrementally \(changed: src\/a\.ts\)/);
    assert.match(build(dir), /up to date/);

    rmSync(path.join(dir, 'src', 'b.ts'));
    assert.match(build(dir), /sources added or removed[\s\S]*removed 2 compiled files whose source is gone/);
    assert.equal(existsSync(path.join(dir, 'dist', 'src', 'b.js')), false, 'the stale b.js is gone');
    assert.equal(existsSync(path.join(dir, 'dist', 'src', 'b.js.map')), false);
    assert.ok(existsSync(path.join(dir, 'dist', 'src', 'a.js')));

    writeFileSync(path.join(dir, 'dist', 'src', 'stray.js'), 'throw new Error("stale");\n');
    assert.match(build(dir, '--clean'), /clean build/);
    assert.equal(existsSync(path.join(dir, 'dist', 'src', 'stray.js')), false, '--clean empties dist/ first');
    assert.ok(existsSync(path.join(dir, 'dist', 'src', 'a.js')));

    writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a: number = "not a number";\n');
    editAfterBuild(dir, path.join(dir, 'src', 'a.ts'));
    const failed = spawnSync(process.execPath, [path.join(dir, 'src', 'launcher', 'build.mjs')], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(failed.status, 0, 'a type error fails the build');
    assert.match(failed.stdout, /compilation failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
