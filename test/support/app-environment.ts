/**
 * The app on the embedded host with a virtual clock and real loopback sinks, for one test file: started before its
 * tests, torn down after them. `sinks[0]` is K_SINK; the others are allowed as schedules' own sinks.
 */
import { after, before } from 'node:test';
import path from 'node:path';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { allowlistOf, RecordingSink } from './recording-sink.js';

export const APP_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface AppEnvironmentOptions {
  taskHubName: string;
  startTime: number;
  /** The environment's own schedule (default `1m`). */
  schedule?: string;
  /** Extra sinks besides K_SINK (allowed as schedules' own sinks). */
  extraSinks?: number;
  /** More app settings. */
  env?: Record<string, string>;
}

export interface AppEnvironment {
  /** The running environment (set once `before` ran). */
  readonly env: TestEnvironment;
  readonly sinks: RecordingSink[];
  /** The default schedule's first fire time (epoch ms), once the starter has started it (the host runs it at start). */
  firstFireTime(): Promise<number>;
}

async function firstFireTimeOf(env: TestEnvironment): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { body } = await env.getJson<{ nextFireTime?: string }>('/api/schedules/default');
    if (body && typeof body === 'object' && body.nextFireTime) return Date.parse(body.nextFireTime);
    if (Date.now() > deadline) throw new Error('the schedule did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function useAppEnvironment(options: AppEnvironmentOptions): AppEnvironment {
  const sinks = Array.from({ length: 1 + (options.extraSinks ?? 0) }, () => new RecordingSink());
  let env: TestEnvironment | undefined;
  before(async () => {
    for (const sink of sinks) await sink.start();
    const main = sinks[0] as RecordingSink;
    env = await createTestEnvironment({
      appDir: APP_ROOT,
      timeSkipping: true,
      startTime: options.startTime,
      taskHubName: options.taskHubName,
      env: {
        K_SINK: main.url,
        SCHEDULE: options.schedule ?? '1m',
        SCHEDULE_NAME: 'default',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...(sinks.length > 1 ? { SINK_ALLOWLIST: allowlistOf(sinks) } : {}),
        ...options.env,
      },
    });
  });
  after(async () => {
    await env?.teardown();
    for (const sink of sinks) await sink.stop();
  });
  const running = (): TestEnvironment => {
    if (!env) throw new Error('the app environment is not started yet (use it inside a test)');
    return env;
  };
  return {
    get env(): TestEnvironment {
      return running();
    },
    sinks,
    firstFireTime: () => firstFireTimeOf(running()),
  };
}
