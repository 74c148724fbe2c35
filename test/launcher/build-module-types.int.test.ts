/**
 * build.mjs copies the package.json of a folder under src/ next to its compiled files: the dashboard's browser
 * modules (src/functions/dashboard/, `"type": "module"`) compile to ES modules, and Node must load them as such
 * (the unit tests import them) without guessing. Test fixtures' package.json files (apps) are not copied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

test('build.mjs: a src folder declaring "type": "module" gets its package.json in dist, and Node loads its files as ES modules', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'des-build-types-'));
  try {
    mkdirSync(path.join(dir, 'src', 'launcher'), { recursive: true });
    mkdirSync(path.join(dir, 'src', 'web'), { recursive: true });
    mkdirSync(path.join(dir, 'test', 'fixture-app'), { recursive: true });
    copyFileSync(path.join(root, 'src', 'launcher', 'build.mjs'), path.join(dir, 'src', 'launcher', 'build.mjs'));
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', target: 'ES2022', outDir: 'dist', rootDir: '.', strict: true, types: [] }, include: ['src/**/*.ts', 'test/**/*.ts'] }),
    );
    writeFileSync(path.join(dir, 'src', 'web', 'package.json'), '{ "type": "module" }\n');
    writeFileSync(path.join(dir, 'src', 'web', 'm.ts'), 'export const m: number = 1;\n');
    writeFileSync(path.join(dir, 'test', 'fixture-app', 'package.json'), '{ "main": "index.js" }\n');
    writeFileSync(path.join(dir, 'test', 'fixture-app', 'index.ts'), 'export const f = 1;\n');

    for (const args of [[], []]) {
      // The second run finds dist/ up to date and still puts the package.json in place.
      rmSync(path.join(dir, 'dist', 'src', 'web', 'package.json'), { force: true });
      const build = spawnSync(process.execPath, [path.join(dir, 'src', 'launcher', 'build.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
      assert.equal(build.status, 0, `${build.stdout}${build.stderr}`);
      assert.equal(readFileSync(path.join(dir, 'dist', 'src', 'web', 'package.json'), 'utf8'), '{ "type": "module" }\n');
    }
    assert.match(readFileSync(path.join(dir, 'dist', 'src', 'web', 'm.js'), 'utf8'), /^export const m = 1;/m, 'compiled as an ES module');
    assert.equal(existsSync(path.join(dir, 'dist', 'test', 'fixture-app', 'package.json')), false, 'a fixture app keeps its package.json to itself');

    const load = spawnSync(process.execPath, ['-e', "import('./dist/src/web/m.js').then((mod) => console.log(mod.m))"], { cwd: dir, encoding: 'utf8' });
    assert.equal(load.stdout.trim(), '1');
    assert.equal(load.stderr, '', 'no warning about a module type Node had to guess');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
