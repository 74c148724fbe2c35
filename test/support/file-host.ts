/**
 * The app on the embedded host with SCHEDULES_FILE naming a temporary file that declares one schedule, `filed`
 * (every 1 h), and a loopback sink as K_SINK; the engine is the caller's (a memory store, with or without faults).
 * `options` may give the file's first text, and more environment. Everything is stopped and removed after `run`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EngineFactory } from '../../src/host/host.js';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { RecordingSink } from './recording-sink.js';

const root = path.resolve(__dirname, '..', '..', '..');

export const FILED = 'schedules:\n  - name: filed\n    every: 1h\n';

export interface FileHostOptions {
  readonly text?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export async function withFileHost(
  taskHubName: string,
  engineFactory: EngineFactory,
  run: (env: TestEnvironment, dir: string) => Promise<void>,
  options: FileHostOptions = {},
): Promise<void> {
  const sink = new RecordingSink();
  await sink.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'file-host-'));
  const file = path.join(dir, 'schedules.yaml');
  writeFileSync(file, options.text ?? FILED);
  try {
    const env = await createTestEnvironment({
      appDir: root,
      withoutAzurite: true,
      taskHubName,
      env: { K_SINK: sink.url, SCHEDULES_FILE: file, LOG_LEVEL: 'silent', ...options.env },
      engineFactory,
    });
    try {
      await run(env, dir);
    } finally {
      await env.teardown();
    }
  } finally {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
