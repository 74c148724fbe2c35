/**
 * The layer and determinism rules of eslint.config.mjs catch what they are for: a planted import or call in each
 * layer is reported, and the same line where it is allowed is not. Type information is off here (the planted files do
 * not exist), so only the three rules under test run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'no-restricted-globals']);

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

const CASES: { file: string; code: string; rule: string | undefined }[] = [
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
  // (e) replayed code: the orchestrator
  { file: 'src/functions/schedule-orchestrator.ts', code: 'export const t = Date.now();', rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: 'export const t = new Date();', rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: 'export const r = Math.random();', rule: 'no-restricted-syntax' },
  { file: 'src/functions/schedule-orchestrator.ts', code: "export const t = new Date('2026-01-01T00:00:00Z');", rule: undefined },
  { file: 'src/functions/deliver-tick.ts', code: 'export const t = Date.now();', rule: undefined },
];

for (const { file, code, rule } of CASES) {
  test(`${file}: ${code.split('\n')[0]} ${rule ? `breaks ${rule}` : 'is allowed'}`, async () => {
    const messages = await broken(file, code);
    if (rule === undefined) assert.deepEqual(messages, []);
    else assert.ok(messages.length === 1 && messages[0]!.startsWith(`${rule}:`), messages.join('\n') || 'nothing reported');
  });
}
