#!/usr/bin/env node
// The CLI's entry (package.json "bin"). From a clone it first runs the project's incremental build (a few
// milliseconds when dist/ is up to date); its lines go to stderr so that the CLI's output stays clean for programs.
// In the container image there is no src/ and dist/ is already built.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const build = path.join(root, 'src', 'launcher', 'build.mjs');
if (existsSync(build)) {
  const built = spawnSync(process.execPath, [build, '--quiet'], { stdio: ['ignore', process.stderr, process.stderr] });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
require(path.join(root, 'dist', 'src', 'cli', 'main.js'));
