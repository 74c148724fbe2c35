/** `npm run func` where Core Tools could not be installed: it says so in one message and points at npm start. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

test('without func on the machine, npm run func explains instead of failing obscurely', (t) => {
  const hasFunc = spawnSync('func', ['--version'], { stdio: 'ignore' }).status === 0 || existsSync(path.join(root, 'node_modules', '.bin', 'func'));
  if (hasFunc) {
    t.skip('func is installed here');
    return;
  }
  const run = spawnSync(process.execPath, [path.join(root, 'dist/src/launcher/func.js')], {
    env: { PATH: path.dirname(process.execPath) },
    encoding: 'utf8',
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /func \(Azure Functions Core Tools\) is not installed/);
  assert.match(run.stderr, /npm start/);
});
