import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createOidcTokenSource } from '../../../src/eventsource/delivery/oidc-token.js';

const TOKEN_A = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzaW5rIn0.c2lnbmF0dXJlLWE';
const TOKEN_B = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzaW5rIn0.c2lnbmF0dXJlLWI'; // same length as TOKEN_A

describe('createOidcTokenSource', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventsource-oidc-'));
    file = path.join(dir, 'token');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives no header while the file does not exist, and again once it is removed', async () => {
    const source = createOidcTokenSource(file);
    assert.deepEqual(await source.read(), { ok: true, headers: {} });
    writeFileSync(file, TOKEN_A);
    assert.deepEqual(await source.read(), { ok: true, headers: { authorization: `Bearer ${TOKEN_A}` } });
    rmSync(file);
    assert.deepEqual(await source.read(), { ok: true, headers: {} });
  });

  it('trims the token', async () => {
    writeFileSync(file, `  ${TOKEN_A}\n\n`);
    assert.deepEqual(await createOidcTokenSource(file).read(), { ok: true, headers: { authorization: `Bearer ${TOKEN_A}` } });
  });

  it('sees a token rewritten in place, even with the same length right after a read', async () => {
    const source = createOidcTokenSource(file);
    for (const token of [TOKEN_A, TOKEN_B, TOKEN_A, TOKEN_B]) {
      writeFileSync(file, token);
      assert.deepEqual(await source.read(), { ok: true, headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual(await source.read(), { ok: true, headers: { authorization: `Bearer ${token}` } }, 'read again unchanged');
    }
  });

  it('sees a token swapped the way kubelet updates a projected volume (..data symlink)', async () => {
    mkdirSync(path.join(dir, '..v1'));
    writeFileSync(path.join(dir, '..v1', 'token'), TOKEN_A);
    symlinkSync('..v1', path.join(dir, '..data'));
    symlinkSync(path.join('..data', 'token'), file);
    const source = createOidcTokenSource(file);
    assert.deepEqual(await source.read(), { ok: true, headers: { authorization: `Bearer ${TOKEN_A}` } });

    mkdirSync(path.join(dir, '..v2'));
    writeFileSync(path.join(dir, '..v2', 'token'), TOKEN_B);
    symlinkSync('..v2', path.join(dir, '..data_tmp'));
    renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    rmSync(path.join(dir, '..v1'), { recursive: true });
    assert.deepEqual(await source.read(), { ok: true, headers: { authorization: `Bearer ${TOKEN_B}` } });
  });

  it('fails (retryable) on an empty or blank file, naming the file', async () => {
    const source = createOidcTokenSource(file);
    for (const content of ['', ' \n\t\n']) {
      writeFileSync(file, content);
      assert.deepEqual(await source.read(), { ok: false, reason: `OIDC token file ${file} is empty`, retryable: true });
    }
    writeFileSync(file, TOKEN_A);
    assert.equal((await source.read()).ok, true, 'recovers once the token is back');
  });

  it('fails (retryable) when the path cannot be read as a file, naming it', async () => {
    mkdirSync(file);
    assert.deepEqual(await createOidcTokenSource(file).read(), {
      ok: false,
      reason: `OIDC token file ${file} cannot be read (EISDIR)`,
      retryable: true,
    });
  });

  it('refuses a token a header cannot carry, without quoting it', async () => {
    writeFileSync(file, 'abc.def secret-part\nmore');
    const result = await createOidcTokenSource(file).read();
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.retryable);
    assert.match(!result.ok ? result.reason : '', /^OIDC token file .* holds characters not allowed in a bearer token$/);
    assert.doesNotMatch(JSON.stringify(result), /secret-part|abc\.def/);
  });
});
