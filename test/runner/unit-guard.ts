// Preloaded (`node --import`) into every unit test file: a unit test runs no process and opens no socket. Starting a
// child process, listening on a socket or connecting to one throws here, and the file fails even when the test
// swallows the error, with a line saying how to move the test to its tier (docs/testing.md).
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const violations: string[] = [];

function refuse(what: string): never {
  const message =
    `unit tests run no processes and no servers, but this test ${what}. ` +
    'Name its file *.int.test.ts (real servers, processes, Azurite) or *.e2e.test.ts (the whole system); see docs/testing.md';
  violations.push(message);
  throw new Error(message);
}

const spawning = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const name of spawning) {
  Object.defineProperty(childProcess, name, {
    value: (command: unknown) => refuse(`started a child process (child_process.${name} ${String(command)})`),
  });
}
net.Server.prototype.listen = function listen(): never {
  return refuse('listened on a socket (net.Server.listen)');
};
net.Socket.prototype.connect = function connect(): never {
  return refuse('opened a connection (net.Socket.connect)');
};
dgram.Socket.prototype.bind = function bind(): never {
  return refuse('bound a UDP socket (dgram.Socket.bind)');
};
// The ESM named exports of node:child_process (`import { spawn } ...`) follow the replaced functions only after this.
syncBuiltinESMExports();

process.on('exit', () => {
  if (violations.length === 0) return;
  process.stderr.write(`\n${violations.join('\n')}\n`);
  process.exitCode = 1;
});
