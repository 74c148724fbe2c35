/**
 * Checks rendered manifests against the published schemas: `kubernetes-models` (the API server's OpenAPI) and
 * `@kubernetes-models/knative` (the Knative CRDs), each compiled to a validator per kind. Both packages are ES modules
 * only, so they are loaded with a dynamic import.
 */
import path from 'node:path';
import { REPO_ROOT, nameOf, type Doc, type Manifest } from './manifests.js';

interface Model {
  validate(): void;
}

export interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: Doc): Model;
}

/** Model classes by `apiVersion/kind`. */
export type ModelRegistry = ReadonlyMap<string, ModelClass>;

/**
 * Kinds whose generated model requires `status`: the generator took the Go struct's `json:"status"` (no omitempty) as
 * required, while the CRD the cluster serves does not require it and a manifest never carries it. Validated with an
 * empty status added; schemas.test.ts fails once the models stop requiring it, so the exception cannot outlive its reason.
 */
export const STATUS_REQUIRED_BY_MODEL: ReadonlySet<string> = new Set(['sources.knative.dev/v1/SinkBinding']);

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const statics = value as unknown as Record<string, unknown>;
  return typeof statics['apiVersion'] === 'string' && typeof statics['kind'] === 'string' && 'validate' in value.prototype;
}

/** Walks module namespaces (package → group → version → class; the core group is package → v1 → class). */
function collect(value: unknown, depth: number, into: Map<string, ModelClass>): void {
  if (isModelClass(value)) {
    into.set(`${value.apiVersion}/${value.kind}`, value);
    return;
  }
  if (depth === 0 || typeof value !== 'object' || value === null) return;
  for (const inner of Object.values(value)) collect(inner, depth - 1, into);
}

export async function loadModelRegistry(): Promise<ModelRegistry> {
  const registry = new Map<string, ModelClass>();
  collect(await import('kubernetes-models'), 3, registry);
  collect(await import('@kubernetes-models/knative'), 3, registry);
  return registry;
}

export function kindKey(doc: Doc): string {
  return `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
}

/** What the schema of its kind says about one object: nothing when it is valid. */
export function schemaProblems(registry: ModelRegistry, doc: Doc): string[] {
  const key = kindKey(doc);
  const model = registry.get(key);
  if (!model) return [`no Kubernetes or Knative model knows ${key}`];
  const data = STATUS_REQUIRED_BY_MODEL.has(key) && !('status' in doc) ? { ...doc, status: {} } : doc;
  try {
    new model(structuredClone(data)).validate();
    return [];
  } catch (err: unknown) {
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors.map((e: { instancePath?: string; message?: string; params?: unknown }) =>
        `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params ?? {})}`,
      );
    }
    return [err instanceof Error ? err.message : String(err)];
  }
}

/** Problems of a manifest, each prefixed with where it comes from (file, kind, name). */
export function manifestProblems(registry: ModelRegistry, manifest: Manifest): string[] {
  const where = `${path.relative(REPO_ROOT, manifest.file)}: ${kindKey(manifest.doc)} ${String(nameOf(manifest.doc))}`;
  return schemaProblems(registry, manifest.doc).map((problem) => `${where}: ${problem}`);
}
