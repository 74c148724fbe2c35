/**
 * The "Limits at the edge" table of docs/security.md (once the README's) says what the code enforces: each row's numbers are read from the table and
 * compared with the constants the edge and the Durable API use. A limit changed in one place and not the other fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MAX_NAME_UNITS, MAX_PAYLOAD_UNITS } from '../../../src/durable/storage-limits.js';
import { MAX_INSTANCE_ID_LENGTH } from '../../../src/durable/names.js';
import { MAX_WAIT_MS, MIN_POLLING_MS } from '../../../src/host/durable-http-api/operations/start.js';
import { BODY_STALL_MS, CONCURRENT_BODIES, DEFAULT_EDGE_LIMITS, FUNCTIONS_DEFAULT_BODY_BYTES, KEYED_BODY_BYTES } from '../../../src/host/http/edge-limits.js';
import { REPO_ROOT } from '../../support/host-process.js';

/** The table after docs/security.md's "## Limits at the edge": first cell → second cell. */
function limitsTable(): Map<string, string> {
  const readme = readFileSync(path.join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
  const from = readme.indexOf('## Limits at the edge\n');
  assert.ok(from >= 0, 'docs/security.md has a "Limits at the edge" table');
  const rows = new Map<string, string>();
  let inTable = false;
  for (const line of readme.slice(from).split('\n')) {
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length === 2 && !/^-+$/.test(cells[0] ?? '') && cells[0] !== 'what') rows.set(cells[0] ?? '', cells[1] ?? '');
  }
  return rows;
}

/** The numbers a cell states, in order ("16,777,216 characters ... 50,331,648 bytes" → [16777216, 50331648]). */
function numbersIn(cell: string): number[] {
  return [...cell.replace(/`[A-Z_]+`|UTF-\d+/g, '').matchAll(/\d[\d,]*/g)].map((m) => Number(m[0].replaceAll(',', '')));
}

function row(rows: Map<string, string>, startsWith: string): number[] {
  const key = [...rows.keys()].find((k) => k.startsWith(startsWith));
  assert.ok(key !== undefined, `the table has a row "${startsWith}…" (rows: ${[...rows.keys()].join(' / ')})`);
  return numbersIn(rows.get(key) ?? '');
}

const seconds = (ms: number): number => ms / 1_000;

test('the docs\' limits table states the limits the code enforces', () => {
  const rows = limitsTable();
  // Durable payloads: characters, and the declared length refused unread (3 bytes of UTF-8 at most per unit).
  assert.deepEqual(row(rows, 'Durable API start input'), [MAX_PAYLOAD_UNITS, MAX_PAYLOAD_UNITS * 3]);
  assert.deepEqual(row(rows, 'body of a function- or admin-level'), [KEYED_BODY_BYTES]);
  assert.equal(DEFAULT_EDGE_LIMITS.functionBodyBytes, KEYED_BODY_BYTES);
  assert.deepEqual(row(rows, 'body of an anonymous'), [FUNCTIONS_DEFAULT_BODY_BYTES]);
  assert.equal(DEFAULT_EDGE_LIMITS.anonymousBodyBytes, FUNCTIONS_DEFAULT_BODY_BYTES);
  assert.equal(FUNCTIONS_DEFAULT_BODY_BYTES, 104_857_600, "the Functions host's default (100 MB)");
  assert.deepEqual(row(rows, 'request bodies being read at once'), [CONCURRENT_BODIES, CONCURRENT_BODIES, CONCURRENT_BODIES, 503, 1]);
  assert.equal(DEFAULT_EDGE_LIMITS.concurrentBodies, CONCURRENT_BODIES);
  assert.deepEqual(row(rows, 'a body that stalls'), [seconds(BODY_STALL_MS), 408]);
  assert.equal(DEFAULT_EDGE_LIMITS.bodyStallMs, BODY_STALL_MS);
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = DEFAULT_EDGE_LIMITS;
  assert.deepEqual(row(rows, 'headers / whole request / idle keep-alive'), [headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs].map(seconds));
  assert.deepEqual(row(rows, 'create-and-wait'), [seconds(MAX_WAIT_MS), MIN_POLLING_MS]);
  assert.deepEqual(row(rows, 'instance id'), [MAX_INSTANCE_ID_LENGTH, MAX_NAME_UNITS]);
});
