/**
 * The layer and determinism rules of eslint.config.mjs catch what they are for: a planted import or call in each
 * layer is reported, and the same line where it is allowed is not. Type information is off here (the planted files do
 * not exist), so only the rules under test run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'no-restricted-globals', 'no-restricted-properties', 'max-lines-per-function']);

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { project: false, projectService: false } } },
  ruleFilter: ({ ruleId }) => RULES.has(ruleId),
});

/** The rules `code` breaks as the file `file`, each with its message. */
async function broken(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

/** `rule`: the one rule the code breaks (and `also`, a second one), or undefined when it is allowed. */
const CASES: { file: string; code: string; rule: string | undefined; also?: string }[] = [
  // (a) the event source's core: no I/O module, nothing outside core
  { file: 'src/eventsource/core/planted.ts', code: "import { request } from 'undici';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/core/planted.ts', code: "import { readFileSync } from 'node:fs';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/core/planted.ts', code: "import { trace } from '@opentelemetry/api';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/core/planted.ts', code: "import type { Logger } from '../observability/logger.js';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/core/planted.ts', code: "import { Cron } from 'croner';\nimport { x } from './schedule.js';", rule: undefined },
  { file: 'src/eventsource/core/planted.ts', code: "import { x } from '../../hello-events/server.js';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/core/planted.ts', code: "import { parseMediaType } from '../../hello-events/media-type.js';", rule: undefined },
  { file: 'src/eventsource/delivery/planted.ts', code: "import { request } from 'undici';", rule: undefined },
  // (b) the engine package
  { file: 'src/durable/planner/planted.ts', code: "import { x } from '../../host/host.js';", rule: 'no-restricted-imports' },
  { file: 'src/durable/planted.ts', code: "import { x } from '../eventsource/core/event.js';", rule: 'no-restricted-imports' },
  { file: 'src/durable/planted.ts', code: "import { x } from '../functions/app-root.js';", rule: 'no-restricted-imports' },
  { file: 'src/durable/planner/planted.ts', code: "import { x } from '../store/store.js';", rule: undefined },
  // (c) the host
  { file: 'src/host/http/planted.ts', code: "import { x } from '../../eventsource/core/event.js';", rule: 'no-restricted-imports' },
  { file: 'src/host/planted.ts', code: "import { x } from '../functions/healthz.js';", rule: 'no-restricted-imports' },
  { file: 'src/host/planted.ts', code: "import { x } from '../durable/planner/plan.js';", rule: 'no-restricted-imports' },
  { file: 'src/host/planted.ts', code: "import { x } from '../durable/index.js';", rule: undefined },
  // (d) hello-events
  { file: 'src/hello-events/planted.ts', code: "import { x } from '../eventsource/core/event.js';", rule: 'no-restricted-imports' },
  { file: 'src/hello-events/planted.ts', code: "import { x } from './server.js';", rule: undefined },
  // (e, f) the event source below the Functions app; one composition root, whose services only the registration files take
  { file: 'src/functions/shared/planted.ts', code: "import { appServices } from '../app-root.js';", rule: 'no-restricted-imports' },
  { file: 'src/functions/shared/planted.ts', code: "import type { AppServices } from '../app-root.js';", rule: 'no-restricted-imports' },
  { file: 'src/functions/shared/planted.ts', code: "import { x } from '../schedules-api.js';", rule: 'no-restricted-imports' },
  { file: 'src/functions/dashboard/planted.ts', code: "import { appServices } from '../app-root.js';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/delivery/planted.ts', code: "import { appServices } from '../../functions/app-root.js';", rule: 'no-restricted-imports' },
  { file: 'src/eventsource/planted.ts', code: "import { x } from '../functions/shared/names.js';", rule: 'no-restricted-imports' },
  { file: 'src/functions/shared/planted.ts', code: "import { x } from './names.js';\nimport { y } from '../../eventsource/core/event.js';", rule: undefined },
  { file: 'src/functions/healthz.ts', code: "import { appServices } from './app-root.js';", rule: undefined },
  // (g) replayed code: the orchestrator
  { file: 'src/functions/schedule-orchestrator.ts', code: 'export const t = Date.now();', rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: 'export const t = new Date();', rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: 'export const r = Math.random();', rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: "export const t = new Date('2026-01-01T00:00:00Z');", rule: undefined },
  { file: 'src/functions/deliver-tick.ts', code: 'export const t = Date.now();', rule: undefined },
  // (i) configuration read once: only app-root reads process.env in the app; nothing in src writes it (but the host's marked places)
  { file: 'src/eventsource/delivery/planted.ts', code: "export const sink = process.env['K_SINK'];", rule: 'no-restricted-properties' },
  { file: 'src/functions/shared/planted.ts', code: 'export const { K_SINK } = process.env;', rule: 'no-restricted-properties' },
  { file: 'src/functions/app-root.ts', code: 'export const env = process.env;', rule: undefined },
  { file: 'src/host/planted.ts', code: "process.env['WEBSITE_HOSTNAME'] = 'x';", rule: 'no-restricted-syntax' },
  { file: 'src/cli/planted.ts', code: "delete process.env['K_SINK'];", rule: 'no-restricted-syntax' },
  { file: 'src/launcher/planted.ts', code: 'Object.assign(process.env, {});', rule: 'no-restricted-syntax' },
  { file: 'src/functions/app-root.ts', code: "process.env.K_SINK = 'x';", rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: "process.env['K_SINK'] = 'x';", rule: 'no-restricted-syntax', also: 'no-restricted-properties' },
  { file: 'src/host/planted.ts', code: "export const hub = process.env['TASK_HUB'];", rule: undefined },
  // (h) functions about a screen at most in src: 81 lines (not counting blank and comment lines) are too many, 80 are not
  { file: 'src/eventsource/planted.ts', code: functionOf(81), rule: 'max-lines-per-function' },
  { file: 'src/eventsource/planted.ts', code: functionOf(80, '\n  // a comment\n\n  /* another */'), rule: undefined },
  { file: 'test/planted.test.ts', code: functionOf(81), rule: undefined },
];

/** A function of `lines` lines, `filler` (blank and comment lines) not counted. */
function functionOf(lines: number, filler = ''): string {
  return `export function planted(): number {\n  let x = 0;${filler}\n${'  x++;\n'.repeat(lines - 4)}  return x;\n}\n`;
}

for (const { file, code, rule, also } of CASES) {
  test(`${file}: ${code.split('\n')[0]} ${rule ? `breaks ${rule}` : 'is allowed'}`, async () => {
    const messages = await broken(file, code);
    const expected = rule === undefined ? [] : [rule, ...(also !== undefined ? [also] : [])];
    assert.deepEqual(messages.map((m) => m.slice(0, m.indexOf(':'))).sort(), expected.sort(), messages.join('\n') || 'nothing reported');
  });
}
