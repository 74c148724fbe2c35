/**
 * The docs hold together: the README stays a front page (at most ~200 lines) that links every page of docs/, and every
 * relative link of README.md, CHANGELOG.md and docs/*.md names a file that exists and, with a #fragment, a heading
 * that page has (as GitHub makes anchors of headings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DOC_PAGES = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort();
const PAGES = ['README.md', 'CHANGELOG.md', ...DOC_PAGES.map((f) => `docs/${f}`)];

/** The text outside fenced code blocks, so that a `](x)` inside an example is not read as a link. */
function prose(markdown: string): string {
  return markdown.replace(/^\s*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\1\s*$/gm, '');
}

/** GitHub's anchor of a heading: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  return new Set([...prose(markdown).matchAll(/^#{1,6}\s+(.*)$/gm)].map((m) => anchorOf(m[1] ?? '')));
}

test('anchors as GitHub makes them', () => {
  assert.equal(anchorOf('Running it with `func` and Azurite'), 'running-it-with-func-and-azurite');
  assert.equal(anchorOf('Relative calendars (cron)'), 'relative-calendars-cron');
  assert.equal(anchorOf('What the 2020 demo got wrong, and what this does instead'), 'what-the-2020-demo-got-wrong-and-what-this-does-instead');
});

test('the README is a front page of at most ~200 lines that links every page of docs/', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 210, `README.md has ${readme.split('\n').length} lines`);
  const unlinked = DOC_PAGES.filter((page) => page !== 'README.md' && !readme.includes(`](docs/${page}`));
  assert.deepEqual(unlinked, [], 'docs pages the README does not link');
});

test('every relative link names a file that exists, and a heading it has', () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    for (const match of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z]+:/i.test(target)) continue;
      const [file = '', fragment] = target.split('#');
      const resolved = file === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
      if (!existsSync(resolved)) {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (fragment !== undefined && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(fragment)) {
        broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
