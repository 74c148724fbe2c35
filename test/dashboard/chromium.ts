/**
 * Headless Chromium (the Debian `chromium` package) driven by playwright-core, with a fresh profile that is removed
 * afterwards. A missing browser fails the test with what to do (CI's .ci/run installs it); it never skips.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function startChromium(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is missing at ${CHROMIUM}: the dashboard test needs a real browser. Install it (Debian: apt-get install -y chromium; .ci/run does this) or set CHROMIUM_PATH`,
  );
  const profile = mkdtempSync(path.join(tmpdir(), 'des-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
