/** The sample app (test/host/fixtures/sample-app) loaded for a test file, with an AppInvoker on it; released after. */
import { after, before } from 'node:test';
import { AppInvoker } from '../../../src/host/worker/app-invoker.js';
import { loadApp, releaseApp } from '../../../src/host/worker/load-app.js';
import type { WorkerApp } from '../../../src/host/worker/worker-app.js';
import { late } from '../../support/late.js';
import { captureLogger, fixtureDir } from '../capture-logger.js';

export function useSampleApp(): { readonly app: WorkerApp; readonly invoker: AppInvoker } {
  let loaded: { app: WorkerApp; invoker: AppInvoker } | undefined;
  before(async () => {
    const app = await loadApp(fixtureDir('sample-app'), { logger: captureLogger().logger });
    loaded = { app, invoker: new AppInvoker(app) };
  });
  after(() => (loaded ? releaseApp(loaded.app) : undefined));
  return late('the sample app', () => loaded);
}
