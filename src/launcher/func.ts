/**
 * `npm run func`: runs the real Functions host (`func start`) where Azure Functions Core Tools are installed.
 * Core Tools download `func` at install time, which fails without internet; then this says so and points at
 * `npm start` (the embedded host) instead of failing obscurely.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const local = path.join(root, 'node_modules', '.bin', 'func');

function findFunc(): string | undefined {
  if (existsSync(local) && spawnSync(local, ['--version'], { stdio: 'ignore' }).status === 0) return local;
  const onPath = spawnSync('func', ['--version'], { stdio: 'ignore' });
  return onPath.status === 0 ? 'func' : undefined;
}

const func = findFunc();
if (!func) {
  process.stderr.write(
    'func (Azure Functions Core Tools) is not installed: it is an optional dependency whose installer downloads ' +
      'the host and needs internet. Install it (npm i -g azure-functions-core-tools@4) and start Azurite, or run ' +
      '`npm start` for the embedded host.\n',
  );
  process.exit(1);
}
const child = spawn(func, ['start', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
