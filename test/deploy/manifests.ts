/**
 * Test helpers for the deployment files: multi-document YAML loading and a small kustomize stand-in
 * (resources, strategic-merge patches on maps, images, namespace), enough to check each variant as a whole.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root, seen from dist/test/deploy/. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const K8S_DIR = path.join(REPO_ROOT, 'k8s');

export type Doc = Record<string, unknown>;

export interface Manifest {
  readonly file: string;
  readonly doc: Doc;
}

/** A kustomize `images:` entry: the image `name` (no tag) gets `newName` and/or `newTag` (or `digest`). */
export interface ImageOverride {
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
}

export interface Kustomization {
  readonly namespace?: string;
  readonly resources?: string[];
  readonly patches?: { path?: string }[];
  readonly images?: ImageOverride[];
}

/** Every document of a YAML file; throws (naming the file) on any parse error. */
export function loadYaml(file: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  const manifests: Manifest[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new Error(`${path.relative(REPO_ROOT, file)}: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${path.relative(REPO_ROOT, file)}: a document is not a mapping`);
    }
    manifests.push({ file, doc: value as Doc });
  }
  return manifests;
}

/** All *.yaml / *.yml files under a folder, recursively. */
export function yamlFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...yamlFilesUnder(full));
    else if (/\.ya?ml$/.test(entry.name)) files.push(full);
  }
  return files.sort();
}

/** Folders (under and including `dir`) that hold a kustomization.yaml. */
export function kustomizationDirs(dir: string): string[] {
  return yamlFilesUnder(dir)
    .filter((file) => path.basename(file) === 'kustomization.yaml')
    .map((file) => path.dirname(file));
}

export function readKustomization(dir: string): Kustomization {
  const [first] = loadYaml(path.join(dir, 'kustomization.yaml'));
  if (!first) throw new Error(`${dir}/kustomization.yaml is empty`);
  return first.doc;
}

/** Whether `inner` is `outer` or lies below it. */
function within(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * What `kustomize build dir` would emit, for the features our kustomizations use. Like kustomize it refuses a
 * resource folder that contains a kustomization being built (an overlay in a subfolder of its base: "cycle
 * detected") and a file outside the kustomization's folder (its default load restriction).
 */
export function buildKustomization(dir: string, visited: readonly string[] = []): Manifest[] {
  const roots = [...visited, path.resolve(dir)];
  const kustomization = readKustomization(dir);
  const manifests: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) {
    const full = path.resolve(dir, resource);
    if (!existsSync(full)) throw new Error(`${dir}: resource ${resource} does not exist`);
    if (statSync(full).isDirectory()) {
      const cycle = roots.find((root) => within(root, full));
      if (cycle) throw new Error(`${dir}: resource ${resource}: cycle detected: ${full} contains ${cycle}, a kustomization being built`);
      manifests.push(...buildKustomization(full, roots));
    } else {
      if (!within(full, path.resolve(dir))) throw new Error(`${dir}: resource ${resource} is not in or below the kustomization's folder`);
      manifests.push(...loadYaml(full));
    }
  }
  const patched = manifests.map((manifest) => ({ file: manifest.file, doc: structuredClone(manifest.doc) }));
  for (const patch of kustomization.patches ?? []) {
    if (!patch.path) throw new Error(`${dir}: only file patches are supported here`);
    for (const { doc: patchDoc } of loadYaml(path.resolve(dir, patch.path))) {
      const target = patched.find(
        (candidate) => candidate.doc['kind'] === patchDoc['kind'] && nameOf(candidate.doc) === nameOf(patchDoc),
      );
      if (!target) throw new Error(`${dir}: patch ${patch.path} matches no resource`);
      mergeInto(target.doc, patchDoc);
    }
  }
  for (const { doc } of patched) setImages(doc, kustomization.images ?? []);
  if (kustomization.namespace) {
    for (const { doc } of patched) {
      if (doc['kind'] !== 'Namespace') asRecord(doc['metadata'])['namespace'] = kustomization.namespace;
    }
  }
  return patched;
}

/**
 * A strategic merge as far as our patches need it: maps merge key by key; lists whose items are all maps with a
 * `name` (containers, env, volumes: the lists whose merge key is `name` in the Kubernetes API) merge item by item,
 * unmatched patch items appended; any other list or scalar is replaced.
 */
function mergeInto(target: Doc, patch: Doc): void {
  for (const [key, value] of Object.entries(patch)) {
    const existing = target[key];
    if (isRecord(existing) && isRecord(value)) mergeInto(existing, value);
    else if (isNamedList(existing) && isNamedList(value)) mergeNamedLists(existing, value);
    else target[key] = structuredClone(value);
  }
}

/** An image reference split as kustomize matches it: the name (registry and path), then tag and digest. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest = '', digest] = image.split('@');
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', slash + 1);
  const name = colon < 0 ? withoutDigest : withoutDigest.slice(0, colon);
  return { name, ...(colon < 0 ? {} : { tag: withoutDigest.slice(colon + 1) }), ...(digest ? { digest } : {}) };
}

/** One `images:` entry applied to one reference: unchanged unless the name matches. */
export function overrideImage(image: string, override: ImageOverride): string {
  const { name, tag, digest } = splitImage(image);
  if (name !== override.name) return image;
  const newName = override.newName ?? name;
  if (override.digest) return `${newName}@${override.digest}`;
  if (override.newTag) return `${newName}:${override.newTag}`;
  return `${newName}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
}

/**
 * kustomize's images transformer: the `image` of every item of a `containers` or `initContainers` list anywhere in
 * the object (so a ContainerSource's and a Knative Service's templates too), each entry in order.
 */
export function setImages(value: unknown, overrides: readonly ImageOverride[], inContainers = false): void {
  if (Array.isArray(value)) {
    for (const item of value) setImages(item, overrides, inContainers);
    return;
  }
  if (!isRecord(value)) return;
  if (inContainers && typeof value['image'] === 'string') {
    value['image'] = overrides.reduce((image, override) => overrideImage(image, override), value['image']);
  }
  for (const [key, inner] of Object.entries(value)) setImages(inner, overrides, key === 'containers' || key === 'initContainers');
}

function isNamedList(value: unknown): value is Doc[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => isRecord(item) && typeof item['name'] === 'string');
}

function mergeNamedLists(target: Doc[], patch: readonly Doc[]): void {
  for (const item of patch) {
    const index = target.findIndex((candidate) => candidate['name'] === item['name']);
    // The strategic-merge directive `$patch: delete` removes the item of that name.
    if (item['$patch'] === 'delete') {
      if (index < 0) throw new Error(`$patch: delete of ${String(item['name'])}, which is not there`);
      target.splice(index, 1);
    } else if (index >= 0) mergeInto(target[index] as Doc, item);
    else target.push(structuredClone(item));
  }
}

export function isRecord(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Doc {
  if (!isRecord(value)) throw new Error(`expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function asArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected a list, got ${JSON.stringify(value)}`);
  return value;
}

export function nameOf(doc: Doc): unknown {
  return isRecord(doc['metadata']) ? doc['metadata']['name'] : undefined;
}

export function find(manifests: readonly Manifest[], apiVersion: string, kind: string, name: string): Doc {
  const found = manifests.filter(
    ({ doc }) => doc['apiVersion'] === apiVersion && doc['kind'] === kind && nameOf(doc) === name,
  );
  if (found.length !== 1) throw new Error(`expected one ${apiVersion} ${kind} ${name}, found ${found.length}`);
  return (found[0] as Manifest).doc;
}

/** Walks a dotted path through nested maps, failing with the path when a step is missing. */
export function at(doc: unknown, dotted: string): unknown {
  let current: unknown = doc;
  for (const step of dotted.split('.')) {
    if (!isRecord(current) || !(step in current)) throw new Error(`missing ${dotted} (at "${step}")`);
    current = current[step];
  }
  return current;
}
