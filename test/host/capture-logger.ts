// Test helpers: a real pino logger whose lines are kept in memory for assertions; the fixture apps' folders.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown> & { msg?: string; level: number }>;
}

export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim()) lines.push(JSON.parse(text) as CapturedLogger['lines'][number]);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** Folder of a fixture app (the source folder: package.json main points into dist). */
export function fixtureDir(name: string): string {
  return `${__dirname.replace(/\/dist\/test\/host.*$/, '')}/test/host/fixtures/${name}`;
}

/**
 * A temporary app folder with this host.json whose package.json names one compiled fixture file (`entry`, relative to
 * the compiled fixtures folder, e.g. `sample-app/functions/http.js`).
 */
export function tempFixtureApp(entry: string, hostJson: unknown, prefix = 'host-app-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: path.resolve(__dirname, 'fixtures', entry) }));
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify(hostJson));
  return dir;
}
