/**
 * Every command of README.md and docs/*.md, run against one real `npm start` (Azurite, hello-events, the embedded
 * host) that this test starts on free ports, so that the docs cannot rot. The conventions (how a block is marked not
 * run, how a command states its expected output) are in doc-blocks.ts and docs/README.md's "Writing these pages".
 *
 * Pages run in order (README.md first, then docs/ by name), blocks and commands in document order, each command in
 * its own `bash` with the repository as its working directory. The documented default addresses are replaced by the
 * test's: 127.0.0.1:7071 (the host; also EVENT_SOURCE_URL, the CLI's default) and 127.0.0.1:8080 (hello-events).
 * `npx durable-event-source` runs the package's bin directly (npx's own start-up costs seconds a call on these
 * shared cores); one test checks that npx resolves it. Files a page writes go to $TMPDIR, the test's own folder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/host/storage/azurite.js';
import { LauncherRun } from '../support/launcher-run.js';
import { mustNotRun, shellBlocks, type DocCommand } from './doc-blocks.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ALL_PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
// DOC_PAGES=docs/api.md,docs/cli.md runs just those pages (while writing them).
const PAGES = process.env.DOC_PAGES ? ALL_PAGES.filter((page) => process.env.DOC_PAGES!.split(',').includes(page)) : ALL_PAGES;
const COMMAND_TIMEOUT_MS = 60_000;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Ports {
  functions: number;
  hello: number;
}

/** The command as it runs here: the documented default addresses replaced by the test's ports. */
function localized(text: string, ports: Ports): string {
  return text
    .replace(/\b(127\.0\.0\.1|localhost):7071\b/g, `127.0.0.1:${ports.functions}`)
    .replace(/\b(127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${ports.hello}`);
}

// The CLI as `npx durable-event-source` runs it (the bin, on the project's Node), without npm's start-up.
const PRELUDE = `set -o pipefail
npx() { if [ "$1" = durable-event-source ]; then shift; node "${path.join(ROOT, 'bin', 'durable-event-source.js')}" "$@"; else command npx "$@"; fi; }
`;

function shell(command: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  const child = spawn('bash', ['-c', PRELUDE + command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function check(page: string, command: DocCommand, ran: Ran, run: LauncherRun): void {
  const where = `${page}:${command.line}: \`${command.text}\``;
  const said = `\n--- stdout ---\n${ran.stdout.slice(-2000)}\n--- stderr ---\n${ran.stderr.slice(-2000)}\n${run.tail(15)}`;
  assert.equal(ran.code, command.expect.exit ?? 0, `${where} exited ${ran.code}${said}`);
  if (command.expect.output !== undefined) assert.ok(ran.stdout.includes(command.expect.output), `${where}: its output lacks "${command.expect.output}"${said}`);
}

describe('every command of README.md and docs/*.md against npm start', () => {
  let run: LauncherRun;
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let ports: Ports = { functions: 0, hello: 0 };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'des-docs-'));
    ports = { functions: await freePort(), hello: await freePort() };
    const launcherEnv: NodeJS.ProcessEnv = {
      ...process.env,
      K_SINK: '',
      SINK: '',
      AzureWebJobsStorage: '',
      LOG_LEVEL: 'info',
      DATA_DIR: path.join(dir, 'data'),
      FUNCTIONS_PORT: String(ports.functions),
      HELLO_EVENTS_PORT: String(ports.hello),
      AZURITE_TABLE_PORT: String(await freePort()),
      AZURITE_BLOB_PORT: String(await freePort()),
      TaskHubName: 'DocsTest',
      // The pages' `health` must say ok: a loaded test machine's late ticks are not what they are about.
      LATE_TICK_THRESHOLD: '60s',
    };
    // As a reader's fresh shell: none of these set, so the documented defaults apply.
    for (const name of ['SCHEDULE', 'SCHEDULES_FILE', 'FUNCTIONS_HOST_KEY', 'FUNCTIONS_MASTER_KEY', 'FUNCTIONS_SYSTEM_KEY', 'FUNCTIONS_SECRETS_DIR', 'LOG_FORMAT', 'EVENT_SOURCE_KEY']) delete launcherEnv[name];
    run = new LauncherRun(launcherEnv);
    await run.waitForLine(/\[start\] events flowing/, 90_000);
    const nodeDir = path.dirname(process.execPath);
    env = { ...launcherEnv, PATH: `${nodeDir}:${process.env.PATH ?? ''}`, TMPDIR: dir, EVENT_SOURCE_URL: `http://127.0.0.1:${ports.functions}` };
  });
  after(async () => {
    await run?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every shell block is ```sh, and a block not run says why', () => {
    const problems = PAGES.flatMap((page) => shellBlocks(readFileSync(path.join(ROOT, page), 'utf8'), page).problems);
    assert.deepEqual(problems, []);
  });

  test('npx resolves durable-event-source to this package from a clone', async () => {
    const ran = await shell('command npx --no-install durable-event-source --help', env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^usage: durable-event-source <command>/);
  });

  for (const page of PAGES) {
    const { blocks } = shellBlocks(readFileSync(path.join(ROOT, page), 'utf8'), page);
    for (const block of blocks) {
      const title = `${page}:${block.line} (${block.commands.length} command${block.commands.length === 1 ? '' : 's'})`;
      if (block.notRun !== undefined) {
        test(`${title}, not run: ${block.notRun}`, { skip: block.notRun || 'no reason' }, () => undefined);
        continue;
      }
      test(title, async () => {
        const refused = block.commands.filter((c) => mustNotRun(c.text)).map((c) => `${page}:${c.line}: ${c.text}`);
        assert.deepEqual(refused, [], 'commands that must not run here, in a block not marked <!-- not run: why -->');
        for (const command of block.commands) check(page, command, await shell(localized(command.text, ports), env), run);
      });
    }
  }

  // The tour says its events show in npm start's terminal as hello-events logs them: they must have.
  const tourType = /--type (\S+)/.exec(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))?.[1];
  test(`the README tour's events (${tourType ?? 'none'}) appear in npm start's output, logged by hello-events`, { skip: !PAGES.includes('README.md') || tourType === undefined }, () => {
    assert.ok(run.lines.some((line) => line.includes('[hello-events] event received') && line.includes(`"type":"${tourType}"`)), run.tail());
  });
});
