/**
 * An install a newcomer can trust: npm's output is not hidden (.npmrc sets no log level), and the postinstall note
 * explains what npm may still warn about (engines on an older machine Node) and says when func is absent. That the
 * install prints no peer-dependency warning is checked where the install runs: .ci/run fails on one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

test('.npmrc hides none of npm\'s output', () => {
  const settings = readFileSync(path.join(ROOT, '.npmrc'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  assert.deepEqual(settings.filter((line) => /loglevel|silent|quiet/i.test(line)), []);
});

test('the postinstall note explains the engine warnings of an older machine Node, and an absent func', () => {
  const note = spawnSync(process.execPath, [path.join(ROOT, 'src', 'launcher', 'install-note.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false' },
  });
  assert.equal(note.status, 0, note.stderr);
  assert.match(note.stdout, /the machine's Node is v20\.20\.2; the project brings its own Node v22\./);
  assert.match(note.stdout, /EBADENGINE warnings above name the packages that want Node 22/);
  const func = existsSync(path.join(ROOT, 'node_modules', 'azure-functions-core-tools', 'package.json'));
  assert.equal(/func \(optional package azure-functions-core-tools\) is not installed/.test(note.stdout), !func);
});
