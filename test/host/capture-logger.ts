// Test helper: a real pino logger whose lines are kept in memory for assertions.
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
