/**
 * The dashboard in a real browser against a running `npm start` (its own Azurite, the embedded host, schedules
 * from a file posting to a loopback sink that fails, refuses, delays and dead-letters some ticks): the page shows
 * every schedule and the kinds of ticks, pause, resume and trigger work from its buttons (and the API sees it),
 * what the API says is shown as text, never as markup; with a key configured the page asks for it once. It saves a
 * screenshot: to docs/dashboard.png with UPDATE_SCREENSHOT=1 (after letting the schedules run a while), else to a
 * temporary folder, so `npm test` leaves the tree clean.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { connectionStringFor, freePort } from '../../src/host/storage/azurite.js';
import { startChromium, type Browser } from './chromium.js';
import { RecordingSink } from '../support/recording-sink.js';
import { faultAnswers } from './fault-answers.js';
import { LauncherRun } from '../support/launcher-run.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const UPDATE_SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1';
const HOST_KEY = 'dashboard-test-host-key-0123456789';

/** `npm start`'s environment without whatever the caller's shell or local.settings.json would add. */
function launcherEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, K_SINK: '', SINK: '', SCHEDULE: '', AzureWebJobsStorage: '', LOG_LEVEL: 'info', ...settings };
  for (const name of ['FUNCTIONS_HOST_KEY', 'FUNCTIONS_MASTER_KEY', 'FUNCTIONS_SYSTEM_KEY', 'FUNCTIONS_SECRETS_DIR', 'LOG_FORMAT']) {
    if (!(name in settings)) delete env[name];
  }
  return env;
}

function schedulesFile(dir: string, sink: string): string {
  const file = path.join(dir, 'schedules.json');
  const schedules = [
    { name: 'orders-sync', every: '1s' },
    { name: 'flaky-partner', every: '2s', sink: `${sink}/flaky`, delivery: { retry: 0, maxBackoff: '1s' } },
    { name: 'slow-consumer', every: '3s', sink: `${sink}/slow`, catchUp: { window: '60s', policy: 'skip' } },
    { name: 'partner-webhook', every: '2s', sink: `${sink}/refuse` },
    { name: 'billing-export', every: '3s', sink: `${sink}/gone`, delivery: { deadLetterSink: `${sink}/dlq` } },
    { name: 'nightly-report', cron: '0 30 2 * * *', timezone: 'Europe/Berlin' },
  ];
  writeFileSync(file, JSON.stringify({ schedules }, null, 2));
  return file;
}

const row = (page: Page, name: string) => page.locator(`tr.schedule[data-name="${name}"]`);
const detail = (page: Page, name: string) => page.locator(`tr.detail-row[data-detail-of="${name}"]`);

async function stateShown(page: Page, name: string, state: string, timeoutMs = 20_000): Promise<void> {
  await row(page, name).locator('[data-field="state"] .state').filter({ hasText: new RegExp(`^${state}$`) }).waitFor({ timeout: timeoutMs });
}

async function apiStatus(base: string, name: string, key?: string): Promise<string | undefined> {
  const response = await fetch(`${base}/api/schedules/${name}`, { headers: key ? { 'x-functions-key': key } : {} });
  const body = (await response.json()) as { status?: string };
  return body.status;
}

describe('dashboard in a real browser', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'des-dashboard-'));
  const sink = new RecordingSink();
  let launcher: LauncherRun | undefined;
  let keyed: LauncherRun | undefined;
  let browser: Browser | undefined;
  let base = '';
  let azuritePort = 0;
  const pageErrors: string[] = [];

  before(async () => {
    // First the browser: without one the test fails at once, saying what to install.
    browser = await startChromium();
    await sink.start();
    sink.answer = faultAnswers(sink);
    azuritePort = await freePort();
    launcher = new LauncherRun(
      launcherEnv({
        DATA_DIR: path.join(dir, 'data'),
        FUNCTIONS_PORT: String(await freePort()),
        AZURITE_TABLE_PORT: String(azuritePort),
        K_SINK: sink.url,
        SCHEDULES_FILE: schedulesFile(dir, sink.at().origin),
        TaskHubName: 'DashboardTest',
        CATCH_UP_WINDOW: '60s',
      }),
    );
    const line = await launcher.waitForLine(/\[start\] dashboard: http:\/\/\S+/, 90_000);
    base = (/dashboard: (http:\/\/\S+)\/api\/dashboard$/.exec(line) ?? [])[1] ?? '';
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, `npm start prints the dashboard URL: ${line}`);
  });

  after(async () => {
    await browser?.close();
    await keyed?.stop();
    await launcher?.stop();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Page> {
    assert.ok(browser);
    const page = await browser.context.newPage();
    page.on('console', (m) => {
      // A 401 is how the page learns that a key is needed (Chromium logs every failed request).
      if (m.type() === 'error' && !/status of 401/.test(m.text())) pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }

  it('serves the page, its stylesheet and scripts with strict types, nosniff and a self-only CSP', async () => {
    const page = await fetch(`${base}/api/dashboard`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe|\*|https?:|data:/, 'nothing but self: no inline code, no other origin');
    const html = await page.text();
    assert.match(html, /src="\/api\/dashboard\/app\.js"/, 'the script hangs off the page’s own path');
    const slashed = await fetch(`${base}/api/dashboard/`);
    assert.match(await slashed.text(), /src="\/api\/dashboard\/app\.js"/, 'a trailing slash changes no URL in the page');
    assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/, 'no inline script, style or handler');
    const files: Array<[string, string]> = [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['ticks.js', 'text/javascript; charset=utf-8'],
      ['dashboard.css', 'text/css; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml'],
    ];
    for (const [file, type] of files) {
      const response = await fetch(`${base}/api/dashboard/${file}`);
      assert.equal(response.status, 200, file);
      assert.equal(response.headers.get('content-type'), type, file);
      await response.arrayBuffer();
    }
    for (const file of ['nope.js', 'app.js.map', 'package.json', '..%2Fdashboard.js', '%2e%2e%2fhealthz.js']) {
      const response = await fetch(`${base}/api/dashboard/${file}`);
      assert.equal(response.status, 404, file);
      await response.arrayBuffer();
    }
  });

  it('shows every schedule and its ticks, each kind in its colour', async () => {
    const page = await open();
    await page.goto(`${base}/api/dashboard`);
    for (const name of ['orders-sync', 'flaky-partner', 'slow-consumer', 'partner-webhook', 'billing-export', 'nightly-report']) {
      await row(page, name).waitFor({ timeout: 20_000 });
    }
    assert.equal(await row(page, 'nightly-report').locator('[data-field="spec"]').textContent(), 'cron 0 30 2 * * * Europe/Berlin');
    assert.equal(await row(page, 'orders-sync').locator('[data-field="spec"]').textContent(), 'every 1s');
    const seen = (name: string, cls: string) => detail(page, name).locator(`svg.timeline g.tick[data-class="${cls}"]`).first().waitFor({ timeout: 45_000 });
    await Promise.all([
      seen('orders-sync', 'onTime'),
      seen('flaky-partner', 'failed'),
      seen('slow-consumer', 'late'),
      seen('partner-webhook', 'rejected'),
      seen('billing-export', 'deadLettered'),
    ]);
    // The lateness chart has a bar per tick; the recent table says the same in words.
    assert.ok((await detail(page, 'orders-sync').locator('svg.lateness rect.bar').count()) > 0);
    await detail(page, 'billing-export').locator('tr.recent td', { hasText: 'dead-lettered' }).first().waitFor({ timeout: 5_000 });
    assert.match((await row(page, 'orders-sync').locator('[data-field="counters"]').textContent()) ?? '', /delivered \d+/);
    await page.close();
  });

  it('refreshes by itself and keeps the user\'s place: the same rows, the scroll position, a closed detail', async () => {
    const page = await open();
    await page.setViewportSize({ width: 1280, height: 500 });
    await page.goto(`${base}/api/dashboard`);
    await detail(page, 'nightly-report').waitFor({ timeout: 20_000 });
    await row(page, 'nightly-report').locator('button[data-action="toggle"]').click();
    await detail(page, 'nightly-report').waitFor({ state: 'hidden', timeout: 5_000 });
    await page.evaluate('document.querySelector(\'tr.schedule[data-name="orders-sync"]\').dataset.marker = "kept"; window.scrollTo(0, 700)');
    const before = await page.locator('#updated').textContent();
    await page.locator('#updated').filter({ hasNotText: before ?? '' }).waitFor({ timeout: 12_000 });
    assert.equal(await page.evaluate('document.querySelector(\'tr.schedule[data-name="orders-sync"]\').dataset.marker'), 'kept', 'the row was updated, not rebuilt');
    assert.equal(await page.evaluate('window.scrollY'), 700, 'the scroll position is kept');
    assert.equal(await detail(page, 'nightly-report').isVisible(), false, 'the closed detail stays closed');
    await row(page, 'nightly-report').locator('button[data-action="toggle"]').click();
    await detail(page, 'nightly-report').waitFor({ timeout: 5_000 });
    await page.close();
  });

  it('pauses, resumes and triggers from its buttons, and the API sees the same', async () => {
    const page = await open();
    await page.goto(`${base}/api/dashboard`);
    await stateShown(page, 'orders-sync', 'running');
    await row(page, 'orders-sync').locator('button[data-action="pause"]').click();
    await stateShown(page, 'orders-sync', 'paused');
    assert.equal(await apiStatus(base, 'orders-sync'), 'paused');
    assert.equal(await row(page, 'orders-sync').locator('.note').textContent(), 'paused from the dashboard');

    await row(page, 'orders-sync').locator('button[data-action="resume"]').click();
    await stateShown(page, 'orders-sync', 'running');
    assert.equal(await apiStatus(base, 'orders-sync'), 'running');

    await row(page, 'orders-sync').locator('button[data-action="trigger"]').click();
    await detail(page, 'orders-sync').locator('svg.timeline g.tick[data-trigger="manual"]').first().waitFor({ timeout: 20_000 });
    await detail(page, 'orders-sync').locator('tr.recent[data-trigger="manual"]').first().waitFor({ timeout: 5_000 });
    await page.close();
  });

  it('shows what the API says as text, never as markup', async () => {
    const note = '<img src=x onerror="window.__dashboardXss=1"><b>bold</b>';
    const response = await fetch(`${base}/api/schedules/partner-webhook/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note }),
    });
    assert.equal(response.status, 202);
    const page = await open();
    await page.goto(`${base}/api/dashboard`);
    await stateShown(page, 'partner-webhook', 'paused');
    assert.equal(await row(page, 'partner-webhook').locator('.note').textContent(), note);
    assert.equal(await page.locator('img, b').count(), 0, 'no element was made from the note');
    assert.equal(await page.evaluate('window.__dashboardXss'), undefined);
    await row(page, 'partner-webhook').locator('button[data-action="resume"]').click();
    await stateShown(page, 'partner-webhook', 'running');
    await page.close();
  });

  it('with a key configured, asks for it, refuses a wrong one, then works and keeps it for the tab', async () => {
    keyed = new LauncherRun(
      launcherEnv({
        DATA_DIR: path.join(dir, 'keyed'),
        FUNCTIONS_PORT: String(await freePort()),
        AzureWebJobsStorage: connectionStringFor(azuritePort),
        K_SINK: sink.url,
        SCHEDULE: '2s',
        SCHEDULE_NAME: 'keyed',
        TaskHubName: 'DashboardKeyed',
        FUNCTIONS_HOST_KEY: HOST_KEY,
      }),
    );
    const line = await keyed.waitForLine(/\[start\] dashboard: http:\/\/\S+/, 60_000);
    const keyedBase = (/dashboard: (http:\/\/\S+)\/api\/dashboard$/.exec(line) ?? [])[1] ?? '';
    const unkeyed = await fetch(`${keyedBase}/api/schedules`);
    assert.equal(unkeyed.status, 401, 'the API demands the key');
    await unkeyed.arrayBuffer();

    const page = await open();
    await page.goto(`${keyedBase}/api/dashboard`);
    const form = page.locator('#key-form');
    await form.waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('#key').fill('not-the-key-not-the-key-0000');
    await form.locator('button[type="submit"]').click();
    await page.locator('#key-message', { hasText: 'the key was refused' }).waitFor({ timeout: 10_000 });
    await page.locator('#key').fill(HOST_KEY);
    await form.locator('button[type="submit"]').click();
    await row(page, 'keyed').waitFor({ timeout: 20_000 });
    assert.equal(await form.isVisible(), false);
    await stateShown(page, 'keyed', 'running');

    // The key lasts as long as the tab: a reload does not ask again.
    await page.reload();
    await row(page, 'keyed').waitFor({ timeout: 20_000 });
    assert.equal(await form.isVisible(), false, 'no second question');
    await row(page, 'keyed').locator('button[data-action="pause"]').click();
    await stateShown(page, 'keyed', 'paused');
    assert.equal(await apiStatus(keyedBase, 'keyed', HOST_KEY), 'paused');
    await page.close();
  });

  it('saves a screenshot, and the page logged no error (a CSP violation would be one)', async () => {
    const page = await open();
    await page.goto(`${base}/api/dashboard`);
    await row(page, 'orders-sync').waitFor({ timeout: 20_000 });
    if (UPDATE_SCREENSHOT) {
      // Let the schedules run a while, with a paused stretch on a skip-policy schedule (skipped ticks), so the picture
      // shows every kind of tick.
      await row(page, 'slow-consumer').locator('button[data-action="pause"]').click();
      await stateShown(page, 'slow-consumer', 'paused');
      await page.waitForTimeout(10_000);
      await row(page, 'slow-consumer').locator('button[data-action="resume"]').click();
      await page.waitForTimeout(17_000);
      await row(page, 'orders-sync').locator('button[data-action="trigger"]').click();
      await detail(page, 'orders-sync').locator('svg.timeline g.tick[data-trigger="manual"]').first().waitFor({ timeout: 10_000 });
    }
    await detail(page, 'orders-sync').locator('svg.timeline g.tick').first().waitFor({ timeout: 10_000 });
    const file = UPDATE_SCREENSHOT ? path.join(ROOT, 'docs', 'dashboard.png') : path.join(dir, 'dashboard.png');
    mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
    await page.close();
    assert.deepEqual(pageErrors, [], 'no console error or uncaught exception in the page');
  });
});
