import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { K8S_DIR, REPO_ROOT, asArray, asRecord, at, buildKustomization, kustomizationDirs, loadYaml, yamlFilesUnder, type Doc } from './manifests.js';
import { STATUS_REQUIRED_BY_MODEL, kindKey, manifestProblems, schemaProblems, loadModelRegistry, type ModelRegistry } from './schemas.js';
import { podMonitorSchema } from './podmonitor-schema.js';

const PODMONITOR = path.join(K8S_DIR, 'monitoring', 'podmonitor.yaml');
const PROMETHEUSRULE = path.join(K8S_DIR, 'monitoring', 'prometheusrule.yaml');
const VARIANT_DIRS = kustomizationDirs(K8S_DIR).filter((dir) => path.basename(dir) !== 'shared');

function relative(dir: string): string {
  return path.relative(REPO_ROOT, dir) || '.';
}

/** A rendered object of a variant, cloned so a test may break it. */
function renderedObject(dir: string, kind: string, name: string): Doc {
  const found = buildKustomization(dir).find(({ doc }) => doc['kind'] === kind && asRecord(doc['metadata'])['name'] === name);
  assert.ok(found, `${relative(dir)} renders ${kind} ${name}`);
  return structuredClone(found.doc);
}

describe('every object of every variant, against the Kubernetes and Knative schemas', () => {
  let registry: ModelRegistry = new Map();
  before(async () => {
    registry = await loadModelRegistry();
  });

  test('the models are loaded: core, apps and the Knative sources and serving kinds', () => {
    for (const key of ['v1/Namespace', 'v1/ConfigMap', 'apps/v1/Deployment', 'sources.knative.dev/v1/ContainerSource', 'serving.knative.dev/v1/Service']) {
      assert.ok(registry.has(key), key);
    }
  });

  test('there are the six variants, and the folders two of them apply (k8s/ and k8s/scale-out/ apply a subfolder)', () => {
    assert.deepEqual(VARIANT_DIRS.map(relative).sort(), [
      'k8s',
      'k8s/containersource',
      'k8s/dev-azurite',
      'k8s/embedded',
      'k8s/scale-out',
      'k8s/scale-out/azure-storage',
      'k8s/scale-out/durable-task-scheduler',
      'k8s/sinkbinding',
    ]);
  });

  for (const dir of VARIANT_DIRS) {
    test(`${relative(dir)}: each rendered object is built by its model class and validates`, () => {
      const manifests = buildKustomization(dir);
      assert.ok(manifests.length >= 5, `${relative(dir)} renders ${manifests.length} objects`);
      assert.deepEqual(manifests.flatMap((manifest) => manifestProblems(registry, manifest)), []);
    });
  }

  test('every YAML file under k8s/ is checked: a kustomization, rendered by one, the PodMonitor or the PrometheusRule', () => {
    const rendered = new Set(VARIANT_DIRS.flatMap((dir) => buildKustomization(dir).map(({ file }) => file)));
    const patches = new Set(
      VARIANT_DIRS.flatMap((dir) => (loadYaml(path.join(dir, 'kustomization.yaml'))[0]?.doc['patches'] as { path: string }[] | undefined ?? []).map((p) => path.resolve(dir, p.path))),
    );
    for (const file of yamlFilesUnder(K8S_DIR)) {
      // The PrometheusRule is checked against its schema in monitoring.test.ts.
      const covered = path.basename(file) === 'kustomization.yaml' || rendered.has(file) || patches.has(file) || file === PODMONITOR || file === PROMETHEUSRULE;
      assert.ok(covered, `${path.relative(REPO_ROOT, file)} is checked by no schema`);
    }
  });

  test('a wrong field type is caught, naming the field', () => {
    const deployment = renderedObject(path.join(K8S_DIR, 'scale-out'), 'Deployment', 'event-source');
    asRecord(deployment['spec'])['replicas'] = 'three';
    const problems = schemaProblems(registry, deployment);
    assert.ok(problems.some((p) => p.startsWith('/spec/replicas must be integer')), problems.join('\n'));
  });

  test('a missing required field is caught, in a core object and in a Knative one', () => {
    const deployment = renderedObject(path.join(K8S_DIR, 'embedded'), 'Deployment', 'event-source');
    delete asRecord(asArray(at(deployment, 'spec.template.spec.containers'))[0])['name'];
    assert.ok(schemaProblems(registry, deployment).some((p) => /^\/spec\/template\/spec\/containers\/0 must have required property '?name'?/.test(p)));

    const source = renderedObject(K8S_DIR, 'ContainerSource', 'event-source');
    delete asRecord(at(source, 'spec.sink.ref'))['kind'];
    assert.ok(schemaProblems(registry, source).some((p) => /^\/spec\/sink\/ref must have required property '?kind'?/.test(p)));

    const service = renderedObject(K8S_DIR, 'Service', 'hello-events');
    const [container] = asArray(at(service, 'spec.template.spec.containers'));
    asRecord(at(container, 'readinessProbe.httpGet'))['port'] = { not: 'a port' };
    assert.notDeepEqual(schemaProblems(registry, service), []);
  });

  test('a kind no model knows fails, saying which', () => {
    const problems = schemaProblems(registry, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    assert.deepEqual(problems, ['no Kubernetes or Knative model knows example.com/v1/Widget']);
  });

  test('the status exception is still needed, and only for status', () => {
    const binding = renderedObject(path.join(K8S_DIR, 'sinkbinding'), 'SinkBinding', 'event-source');
    assert.ok(STATUS_REQUIRED_BY_MODEL.has(kindKey(binding)));
    assert.ok(!('status' in binding), 'a manifest carries no status');
    const model = registry.get(kindKey(binding));
    assert.ok(model);
    // Without the exception the model refuses the manifest for the missing status alone; drop the exception once it does not.
    assert.throws(() => new model(structuredClone(binding)).validate(), (err: { errors?: { params?: { missingProperty?: string } }[] }) => {
      assert.deepEqual(err.errors?.map((e) => e.params?.missingProperty), ['status']);
      return true;
    });
    // With it, the rest is still checked.
    asRecord(at(binding, 'spec.subject'))['apiVersion'] = 42;
    assert.notDeepEqual(schemaProblems(registry, binding), []);
  });
});

describe('the PodMonitor example (zod: no monitoring.coreos.com models are installed)', () => {
  const [podMonitor, ...more] = loadYaml(PODMONITOR);

  test('is one PodMonitor of the shape the operator accepts', () => {
    assert.ok(podMonitor);
    assert.equal(more.length, 0);
    const parsed = podMonitorSchema.safeParse(podMonitor.doc);
    assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
  });

  test('selects the event source pod of every variant, on a container port it names, at /api/metrics', () => {
    const spec = podMonitorSchema.parse(podMonitor?.doc).spec;
    for (const dir of VARIANT_DIRS) {
      const runner = buildKustomization(dir).find(
        ({ doc }) => (doc['kind'] === 'ContainerSource' || doc['kind'] === 'Deployment') && asRecord(doc['metadata'])['name'] === 'event-source',
      );
      assert.ok(runner, relative(dir));
      const template = asRecord(at(runner.doc, 'spec.template'));
      const labels = asRecord(at(template, 'metadata.labels'));
      for (const [key, value] of Object.entries(spec.selector.matchLabels)) assert.equal(labels[key], value, `${relative(dir)}: label ${key}`);
      assert.ok(spec.namespaceSelector?.matchNames.includes(String(at(runner.doc, 'metadata.namespace'))));
      const ports = asArray(at(template, 'spec.containers')).flatMap((c) => asArray(asRecord(c)['ports']).map((p) => asRecord(p)['name']));
      for (const endpoint of spec.podMetricsEndpoints) {
        assert.ok(ports.includes(endpoint.port), `${relative(dir)}: no container port named ${endpoint.port}`);
        assert.equal(endpoint.path, '/api/metrics');
      }
    }
  });

  test('the same schema refuses a broken PodMonitor: a port number, a missing selector, a misplaced field', () => {
    const broken = (mutate: (doc: Doc) => void): boolean => {
      const doc = structuredClone(podMonitor?.doc ?? {});
      mutate(doc);
      return podMonitorSchema.safeParse(doc).success;
    };
    assert.equal(broken(() => undefined), true);
    assert.equal(broken((doc) => (asRecord(asArray(at(doc, 'spec.podMetricsEndpoints'))[0])['port'] = 80)), false);
    assert.equal(broken((doc) => delete asRecord(doc['spec'])['selector']), false);
    assert.equal(broken((doc) => (asRecord(doc['spec'])['endpoints'] = [])), false);
    assert.equal(broken((doc) => (asRecord(asArray(at(doc, 'spec.podMetricsEndpoints'))[0])['interval'] = '30 seconds')), false);
  });
});
