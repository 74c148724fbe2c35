/**
 * The deployment tests render the variants with a kustomize stand-in (manifests.ts). Where kubectl is installed (its
 * built-in kustomize needs no cluster), this checks the stand-in against the real thing, folder by folder: the same
 * objects, field for field. A layout kustomize refuses (e.g. an overlay inside its base's folder) fails here too.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { K8S_DIR, REPO_ROOT, buildKustomization, isRecord, kustomizationDirs, nameOf, type Doc } from './manifests.js';

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
const NO_KUBECTL = kubectl.status === 0 ? false : 'kubectl is not installed here';

/**
 * A document with its maps' keys sorted and env lists sorted by name: a strategic-merge patch puts the items it adds
 * or changes first in kustomize's output and last in the stand-in's; the order of env entries without $(VAR)
 * references (ours have none) changes nothing.
 */
function normalized(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => normalized(item));
    return key === 'env' ? items.sort((a, b) => String(isRecord(a) && a['name']).localeCompare(String(isRecord(b) && b['name']))) : items;
  }
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, normalized(value[k], k)]));
}

function byKey(docs: readonly Doc[]): Map<string, unknown> {
  return new Map(docs.map((doc) => [`${String(doc['apiVersion'])}/${String(doc['kind'])}/${String(nameOf(doc))}`, normalized(doc)]));
}

describe('the kustomize stand-in renders what `kubectl kustomize` renders', () => {
  for (const dir of kustomizationDirs(K8S_DIR)) {
    test(path.relative(REPO_ROOT, dir) || '.', { skip: NO_KUBECTL }, () => {
      const real = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(real.status, 0, real.stderr);
      const expected = byKey(parseAllDocuments(real.stdout).map((d) => d.toJS() as Doc));
      const actual = byKey(buildKustomization(dir).map(({ doc }) => doc));
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
      for (const [key, doc] of expected) assert.deepEqual(actual.get(key), doc, key);
    });
  }
});
