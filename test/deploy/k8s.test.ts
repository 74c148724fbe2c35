import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  K8S_DIR,
  REPO_ROOT,
  asArray,
  asRecord,
  at,
  buildKustomization,
  find,
  isRecord,
  kustomizationDirs,
  loadYaml,
  nameOf,
  overrideImage,
  readKustomization,
  setImages,
  splitImage,
  yamlFilesUnder,
  type Doc,
  type Manifest,
} from './manifests.js';
import { parse as parseYaml } from 'yaml';
import fc from 'fast-check';
import { fuzzParameters } from '../support/fuzz.js';
import { DEV_KEY } from '../../src/host/storage/azurite.js';
import { parseSchedulesDocument } from '../../src/eventsource/core/schedules-document.js';

const BASE = K8S_DIR;
const SINKBINDING = path.join(K8S_DIR, 'sinkbinding');
const DEV_AZURITE = path.join(K8S_DIR, 'dev-azurite');
const SCALE_OUT = path.join(K8S_DIR, 'scale-out');
const EMBEDDED = path.join(K8S_DIR, 'embedded');
const SCHEDULER = path.join(SCALE_OUT, 'durable-task-scheduler');

const KNOWN_KINDS = new Set([
  'v1/Namespace',
  'v1/Secret',
  'v1/ConfigMap',
  'v1/Service',
  'v1/PersistentVolumeClaim',
  'apps/v1/Deployment',
  'serving.knative.dev/v1/Service',
  'sources.knative.dev/v1/ContainerSource',
  'sources.knative.dev/v1/SinkBinding',
  'kustomize.config.k8s.io/v1beta1/Kustomization',
  'monitoring.coreos.com/v1/PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
]);

const HELLO_EVENTS_REF = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'hello-events' };

/** Secrets the user creates with kubectl (never shipped, so an apply cannot overwrite them): name -> keys. */
const OUT_OF_BAND_SECRETS: ReadonlyMap<string, readonly string[]> = new Map([
  ['event-source-storage', ['AzureWebJobsStorage']],
  ['event-source-keys', ['FUNCTIONS_HOST_KEY']],
  ['event-source-dts', ['DURABLE_TASK_SCHEDULER_CONNECTION_STRING']],
  // The Functions host's keys, one file each (AzureWebJobsSecretStorageType=kubernetes reads them where it is mounted).
  ['event-source-functions-keys', ['host.master', 'host.function.default', 'host.systemKey.durabletask_extension']],
]);

/** Where the Functions host reads its keys when AzureWebJobsSecretStorageType is kubernetes and no Secret name is set. */
const FUNCTIONS_KEYS_DIR = '/run/secrets/functions-keys';

const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The section on images and Knative (docs/knative.md, once the README's), its shell continuation lines joined. */
function knativeSection(): string {
  const page = readFileSync(path.join(REPO_ROOT, 'docs', 'knative.md'), 'utf8');
  const start = page.indexOf('## Container images and Knative\n');
  assert.ok(start >= 0, 'docs/knative.md has a "Container images and Knative" section');
  const next = page.indexOf('\n## ', start + 1);
  return page.slice(start, next < 0 ? undefined : next).replace(/\\\n\s*/g, ' ');
}

/** The deploy page (docs/deploy.md), its shell continuation lines joined. */
function deployPage(): string {
  return readFileSync(path.join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8').replace(/\\\n\s*/g, ' ');
}

/** Every `image` value in a document, wherever it sits (containers, init containers, templates). */
function imagesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(imagesIn);
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'image' && typeof inner === 'string' ? [inner] : imagesIn(inner)));
}

/** The tag of an image reference (`registry[:port]/path[:tag][@digest]`), if it has one. */
function tagOf(image: string): string | undefined {
  return splitImage(image).tag;
}

/** The pod template of whatever runs the event source in a variant (ContainerSource or Deployment). */
function eventSourceTemplate(manifests: readonly Manifest[]): Doc {
  const runners = manifests.filter(
    ({ doc }) =>
      (doc['kind'] === 'ContainerSource' || doc['kind'] === 'Deployment') &&
      isRecord(doc['metadata']) &&
      doc['metadata']['name'] === 'event-source',
  );
  assert.equal(runners.length, 1, 'exactly one ContainerSource or Deployment named event-source');
  return asRecord(at((runners[0] as Manifest).doc, 'spec.template'));
}

function containersOf(template: Doc): Doc[] {
  return asArray(at(template, 'spec.containers')).map(asRecord);
}

function envOf(container: Doc): Map<string, Doc> {
  return new Map(asArray(container['env']).map((entry) => [String(asRecord(entry)['name']), asRecord(entry)]));
}

function selectorMatches(selector: Doc, labels: Doc): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe('every manifest', () => {
  const files = yamlFilesUnder(K8S_DIR);

  test('there are manifests, and every file parses (all documents)', () => {
    assert.ok(files.length >= 10, `found only ${files.length} YAML files under k8s/`);
    for (const file of files) assert.ok(loadYaml(file).length >= 1, `${file} holds no document`);
  });

  test('every document has a known apiVersion and kind', () => {
    for (const file of files) {
      for (const { doc } of loadYaml(file)) {
        const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
        assert.ok(KNOWN_KINDS.has(key), `${path.relative(REPO_ROOT, file)}: unexpected ${key}`);
        if (doc['kind'] !== 'Kustomization') assert.ok(typeof at(doc, 'metadata.name') === 'string');
      }
    }
  });

  test('no real-looking account key or credential anywhere; the dev key only in dev-azurite', () => {
    const checked = [...files, ...['Dockerfile', 'host.json', 'local.settings.json'].map((f) => path.join(REPO_ROOT, f))];
    for (const file of checked) {
      const text = readFileSync(file, 'utf8');
      const relative = path.relative(REPO_ROOT, file);
      const inDevAzurite = relative.startsWith(`k8s${path.sep}dev-azurite${path.sep}`);
      for (const match of text.matchAll(/AccountKey=([^;"'\s]+)/g)) {
        assert.ok(inDevAzurite && match[1] === DEV_KEY, `${relative}: account key outside the dev overlay`);
      }
      for (const match of text.matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)) {
        assert.ok(inDevAzurite && match[0] === DEV_KEY, `${relative}: a long base64-like string: ${match[0].slice(0, 12)}…`);
      }
      assert.doesNotMatch(text, /SharedAccessSignature=|[?&]sig=|-----BEGIN [A-Z ]*PRIVATE KEY/, relative);
    }
  });
});

describe('kustomizations', () => {
  const dirs = kustomizationDirs(K8S_DIR);

  test('the base, shared, sinkbinding, dev-azurite, scale-out and embedded kustomizations exist', () => {
    const names = dirs.map((dir) => path.relative(K8S_DIR, dir) || '.').sort();
    assert.deepEqual(names, ['.', 'containersource', 'dev-azurite', 'embedded', 'scale-out', 'scale-out/azure-storage', 'scale-out/durable-task-scheduler', 'shared', 'sinkbinding']);
  });

  test('each lists every manifest in its folder, and everything it lists exists', () => {
    for (const dir of dirs) {
      const kustomization = readKustomization(dir);
      const listed = [...(kustomization.resources ?? []), ...(kustomization.patches ?? []).map((p) => p.path ?? '')];
      for (const entry of listed) {
        const full = path.resolve(dir, entry);
        assert.ok(existsSync(full), `${dir}: lists ${entry}, which does not exist`);
        if (statSync(full).isDirectory()) {
          assert.ok(existsSync(path.join(full, 'kustomization.yaml')), `${dir}: ${entry} has no kustomization.yaml`);
        }
      }
      const local = new Set(listed.filter((entry) => !entry.includes('/')));
      const present = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml');
      for (const name of present) assert.ok(local.has(name), `${dir}: ${name} is not listed`);
      assert.equal(kustomization.namespace, 'durable-events', `${dir}: namespace`);
    }
  });

  test('the SinkBinding variant uses the shared parts but no ContainerSource', () => {
    const resources = readKustomization(SINKBINDING).resources ?? [];
    assert.ok(resources.includes('../shared'));
    assert.ok(!resources.some((r) => r === '..' || r === '../' || /container-?source/.test(r)));
  });

  test('the scale-out variant builds on the SinkBinding variant; the embedded one on the shared parts only', () => {
    assert.deepEqual(readKustomization(SCALE_OUT).resources, ['azure-storage']);
    assert.deepEqual(readKustomization(path.join(SCALE_OUT, 'azure-storage')).resources, ['../../sinkbinding']);
    const embedded = readKustomization(EMBEDDED).resources ?? [];
    assert.ok(embedded.includes('../shared'));
    assert.ok(!embedded.some((r) => r === '..' || r === '../' || r.startsWith('../sinkbinding') || /container-?source/.test(r)));
  });

  test('the dev-azurite overlay builds on the ContainerSource variant', () => {
    const resources = readKustomization(DEV_AZURITE).resources ?? [];
    assert.ok(resources.includes('../containersource'));
    assert.deepEqual(readKustomization(BASE).resources, ['containersource']);
  });

  test('like kustomize, the build refuses an overlay inside its base folder and a file outside the kustomization', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'kustomize-rules-'));
    try {
      const write = (file: string, text: string): void => {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      };
      write('base/kustomization.yaml', 'resources:\n  - cm.yaml\n');
      write('base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n');
      write('base/overlay/kustomization.yaml', 'resources:\n  - ../\n');
      write('base/outside/kustomization.yaml', 'resources:\n  - ../cm.yaml\n');
      write('sibling/kustomization.yaml', 'resources:\n  - ../base\n');
      assert.throws(() => buildKustomization(path.join(root, 'base/overlay')), /cycle detected/);
      assert.throws(() => buildKustomization(path.join(root, 'base/outside')), /not in or below the kustomization's folder/);
      assert.equal(buildKustomization(path.join(root, 'sibling')).length, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

type HostKind = 'functions' | 'embedded';

/** Each variant: its folder, what runs the event source, the Secrets it expects to be created out of band, and which host. */
const VARIANTS: readonly (readonly [string, string, 'ContainerSource' | 'Deployment', readonly string[], HostKind])[] = [
  ['ContainerSource variant (k8s/)', BASE, 'ContainerSource', ['event-source-storage'], 'functions'],
  ['SinkBinding variant (k8s/sinkbinding/)', SINKBINDING, 'Deployment', ['event-source-storage'], 'functions'],
  ['dev-azurite overlay', DEV_AZURITE, 'ContainerSource', [], 'functions'],
  ['scale-out variant (k8s/scale-out/)', SCALE_OUT, 'Deployment', ['event-source-storage'], 'functions'],
  ['embedded host variant (k8s/embedded/)', EMBEDDED, 'Deployment', ['event-source-storage', 'event-source-keys'], 'embedded'],
  ['Durable Task Scheduler variant (k8s/scale-out/durable-task-scheduler/)', SCHEDULER, 'Deployment', ['event-source-storage', 'event-source-dts'], 'functions'],
];

/** The port each host listens on inside its container (the functions image's ASPNETCORE_URLS, the embedded image's PORT). */
const HOST_PORT: Readonly<Record<HostKind, number>> = { functions: 8080, embedded: 8080 };

for (const [label, dir, runnerKind, outOfBand, hostKind] of VARIANTS) {
  describe(label, () => {
    const manifests = buildKustomization(dir);

    test('holds the namespace (SinkBinding-enabled), hello-events and the api Service', () => {
      const namespace = find(manifests, 'v1', 'Namespace', 'durable-events');
      assert.equal(asRecord(at(namespace, 'metadata.labels'))['bindings.knative.dev/include'], 'true');
      find(manifests, 'serving.knative.dev/v1', 'Service', 'hello-events');
      find(manifests, 'v1', 'Service', 'event-source-api');
      const kinds = manifests.map(({ doc }) => doc['kind']);
      assert.equal(kinds.includes('ContainerSource'), runnerKind === 'ContainerSource');
      assert.equal(kinds.includes('SinkBinding'), runnerKind === 'Deployment');
      for (const { doc } of manifests) {
        if (doc['kind'] !== 'Namespace') assert.equal(at(doc, 'metadata.namespace'), 'durable-events');
      }
    });

    test(`the api Service selects the event source pod template, on port 80 to the host's port ${HOST_PORT[hostKind]}`, () => {
      const api = find(manifests, 'v1', 'Service', 'event-source-api');
      const selector = asRecord(at(api, 'spec.selector'));
      assert.ok(Object.keys(selector).length > 0);
      const template = eventSourceTemplate(manifests);
      const labels = asRecord(at(template, 'metadata.labels'));
      assert.ok(selectorMatches(selector, labels), `selector ${JSON.stringify(selector)} vs ${JSON.stringify(labels)}`);
      const ports = asArray(at(api, 'spec.ports')).map(asRecord);
      assert.deepEqual(
        ports.map((p) => p['port']),
        [80],
      );
      // A named targetPort resolves to the container port of that name; it must be the one the host listens on.
      const target = ports[0]?.['targetPort'];
      const containerPorts = containersOf(template).flatMap((c) => asArray(c['ports']).map(asRecord));
      const resolved = typeof target === 'string' ? containerPorts.find((p) => p['name'] === target)?.['containerPort'] : target;
      assert.equal(resolved, HOST_PORT[hostKind], `targetPort ${String(target)}`);
    });

    test('the pod template carries the Prometheus scrape annotations for /api/metrics on the host port', () => {
      const annotations = asRecord(at(eventSourceTemplate(manifests), 'metadata.annotations'));
      assert.equal(annotations['prometheus.io/scrape'], 'true');
      assert.equal(annotations['prometheus.io/port'], String(HOST_PORT[hostKind]));
      assert.equal(annotations['prometheus.io/path'], '/api/metrics');
    });

    test(`every secretKeyRef names a Secret the variant ships, or one the deploy page has created out of band`, () => {
      const readme = deployPage();
      let refs = 0;
      for (const { doc } of manifests) {
        const text = JSON.stringify(doc);
        for (const match of text.matchAll(/"secretKeyRef":\{"name":"([^"]+)","key":"([^"]+)"\}/g)) {
          refs += 1;
          const [name, key] = [String(match[1]), String(match[2])];
          const shipped = manifests.filter((m) => m.doc['kind'] === 'Secret' && isRecord(m.doc['metadata']) && m.doc['metadata']['name'] === name);
          if (outOfBand.includes(name)) {
            assert.equal(shipped.length, 0, `${name} is created out of band: shipping it would overwrite the real one on apply`);
            assert.ok(OUT_OF_BAND_SECRETS.get(name)?.includes(key), `out-of-band Secret ${name} is not known to have key ${key}`);
            const create = new RegExp(`kubectl (?:-n |--namespace[= ])durable-events create secret generic ${name} [^\\n]*--from-literal=${key}=`);
            assert.match(readme, create, `docs/deploy.md creates Secret ${name} with key ${key} in durable-events`);
            continue;
          }
          const secret = find(manifests, 'v1', 'Secret', name);
          const keys = new Set([
            ...Object.keys(isRecord(secret['stringData']) ? secret['stringData'] : {}),
            ...Object.keys(isRecord(secret['data']) ? secret['data'] : {}),
          ]);
          assert.ok(keys.has(key), `Secret ${name} has no key ${key}`);
        }
      }
      assert.ok(refs >= 1, 'the event source reads its storage connection from the Secret');
    });

    test('every Secret volume is one created out of band, with every key the container reads from it', () => {
      const template = eventSourceTemplate(manifests);
      const [container] = containersOf(template);
      assert.ok(container);
      const page = deployPage();
      const secretVolumes = asArray(at(template, 'spec.volumes')).map(asRecord).filter((v) => 'secret' in v);
      assert.equal(secretVolumes.length, hostKind === 'functions' ? 1 : 0);
      for (const volume of secretVolumes) {
        const name = String(at(volume, 'secret.secretName'));
        const keys = OUT_OF_BAND_SECRETS.get(name);
        assert.ok(keys, `${name} is created out of band`);
        assert.ok(!manifests.some((m) => m.doc['kind'] === 'Secret' && nameOf(m.doc) === name), `${name} is not shipped`);
        for (const key of keys) {
          assert.match(page, new RegExp(`kubectl -n durable-events create secret generic ${name} [^\\n]*--from-literal=${key.replace(/\./g, '\\.')}=`), `docs/deploy.md: ${name} ${key}`);
        }
        const mount: Doc | undefined = asArray(container['volumeMounts']).map(asRecord).find((m) => m['name'] === volume['name']);
        assert.equal(mount?.['mountPath'], FUNCTIONS_KEYS_DIR);
        assert.equal(mount?.['readOnly'], true);
        assert.equal(envOf(container).get('AzureWebJobsSecretStorageType')?.['value'], 'kubernetes');
        assert.ok(!envOf(container).has('AzureWebJobsKubernetesSecretName'), 'with a Secret name the host would call the API server instead');
      }
    });

    test(`the event source container: image, env, probes on /api/healthz:${HOST_PORT[hostKind]}`, () => {
      const [container, ...others] = containersOf(eventSourceTemplate(manifests));
      assert.ok(container);
      assert.equal(others.length, 0);
      assert.match(String(container['image']), new RegExp(`durable-event-source-${hostKind}:`));
      const env = envOf(container);
      assert.deepEqual(at(env.get('AzureWebJobsStorage'), 'valueFrom.secretKeyRef'), {
        name: 'event-source-storage',
        key: 'AzureWebJobsStorage',
      });
      for (const name of ['TaskHubName', 'SCHEDULE', 'SCHEDULE_NAME']) {
        assert.equal(typeof env.get(name)?.['value'], 'string', `env ${name}`);
      }
      // Azure Storage task hub names: 3 to 45 letters and digits, starting with a letter.
      assert.match(String(env.get('TaskHubName')?.['value']), /^[A-Za-z][A-Za-z0-9]{2,44}$/);
      assert.ok(!env.has('K_SINK'), 'K_SINK is injected by Knative, not set by hand');
      if (hostKind === 'functions') {
        assert.equal(env.get('FUNCTIONS_WORKER_RUNTIME')?.['value'], 'node');
        // A fixed host id, so the function keys (kept per host id) survive pod restarts; the host accepts at most
        // 32 characters of lowercase letters, digits and single inner dashes.
        const hostId = env.get('AzureFunctionsWebHost__hostid')?.['value'];
        assert.equal(typeof hostId, 'string', 'env AzureFunctionsWebHost__hostid is a literal value');
        assert.match(String(hostId), /^[a-z0-9](?:-?[a-z0-9])*$/);
        assert.ok(String(hostId).length <= 32, 'host id length');
      } else {
        // Without a key the embedded host listens on loopback only and the probes below could never pass.
        assert.deepEqual(at(env.get('FUNCTIONS_HOST_KEY'), 'valueFrom.secretKeyRef'), { name: 'event-source-keys', key: 'FUNCTIONS_HOST_KEY' });
        assert.ok(!env.has('HOST') || env.get('HOST')?.['value'] === '0.0.0.0', 'HOST is all interfaces');
        assert.ok(!env.has('FUNCTIONS_PORT'), 'FUNCTIONS_PORT would override the image PORT');
      }
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        if (probe === 'startupProbe' && !(probe in container)) continue;
        assert.deepEqual(at(container, `${probe}.httpGet`), { path: '/api/healthz', port: HOST_PORT[hostKind] }, probe);
      }
      assert.ok('readinessProbe' in container && 'livenessProbe' in container);
      assert.deepEqual(asArray(container['ports']).map((p) => asRecord(p)['containerPort']), [HOST_PORT[hostKind]]);
    });

    test('SCHEDULES_FILE names a file of the mounted schedules ConfigMap, and that file passes the schedule schema', () => {
      const template = eventSourceTemplate(manifests);
      const [container] = containersOf(template);
      assert.ok(container);
      const file = String(envOf(container).get('SCHEDULES_FILE')?.['value']);
      const mount = asArray(container['volumeMounts']).map(asRecord).find((m) => file.startsWith(`${String(m['mountPath'])}/`));
      assert.ok(mount, `SCHEDULES_FILE ${file} lies in a mounted volume`);
      assert.equal(mount['readOnly'], true);
      const volume = asArray(at(template, 'spec.volumes')).map(asRecord).find((v) => v['name'] === mount['name']);
      const configMapName = String(at(volume, 'configMap.name'));
      const configMap = find(manifests, 'v1', 'ConfigMap', configMapName);
      const text = asRecord(at(configMap, 'data'))[path.posix.basename(file)];
      assert.equal(typeof text, 'string', `the ConfigMap ${configMapName} holds ${path.posix.basename(file)}`);
      const checked = parseSchedulesDocument(parseYaml(String(text)) as unknown);
      assert.ok(checked.ok, `the shipped schedules are valid: ${JSON.stringify(checked)}`);
      assert.ok(checked.entries.length > 0);
    });

    test('the sink is the hello-events Knative Service, with ceOverrides extensions', () => {
      const bindingKind = runnerKind === 'ContainerSource' ? 'ContainerSource' : 'SinkBinding';
      const binding = find(manifests, 'sources.knative.dev/v1', bindingKind, 'event-source');
      assert.deepEqual(at(binding, 'spec.sink.ref'), HELLO_EVENTS_REF);
      const extensions = asRecord(at(binding, 'spec.ceOverrides.extensions'));
      assert.ok(Object.keys(extensions).length > 0);
      for (const name of Object.keys(extensions)) assert.match(name, /^[a-z0-9]+$/, 'CloudEvents extension name');
      const hello = find(manifests, HELLO_EVENTS_REF.apiVersion, HELLO_EVENTS_REF.kind, HELLO_EVENTS_REF.name);
      assert.ok(hello);
    });

    if (runnerKind === 'Deployment') {
      test('the SinkBinding subject is the event-source Deployment, whose selector matches its pods', () => {
        const binding = find(manifests, 'sources.knative.dev/v1', 'SinkBinding', 'event-source');
        assert.deepEqual(at(binding, 'spec.subject'), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'event-source' });
        const deployment = find(manifests, 'apps/v1', 'Deployment', 'event-source');
        const selector = asRecord(at(deployment, 'spec.selector.matchLabels'));
        assert.ok(selectorMatches(selector, asRecord(at(deployment, 'spec.template.metadata.labels'))));
      });
    }
  });
}

describe('the two variants run the same container', () => {
  test('ContainerSource template and SinkBinding Deployment template: same containers, labels and annotations', () => {
    const containerSource = eventSourceTemplate(buildKustomization(BASE));
    const deployment = eventSourceTemplate(buildKustomization(SINKBINDING));
    assert.deepEqual(containersOf(deployment), containersOf(containerSource));
    assert.deepEqual(at(deployment, 'metadata.labels'), at(containerSource, 'metadata.labels'));
    assert.deepEqual(at(deployment, 'metadata.annotations'), at(containerSource, 'metadata.annotations'));
  });
});

describe('scale-out variant', () => {
  const PARTITION_COUNT = 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount';
  const manifests = buildKustomization(SCALE_OUT);
  const deployment = find(manifests, 'apps/v1', 'Deployment', 'event-source');
  const [container] = containersOf(eventSourceTemplate(manifests));
  const env = envOf(container ?? {});

  test('several replicas, no more than the partitions that spread the orchestrations over them (1 to 16)', () => {
    const replicas = Number(at(deployment, 'spec.replicas'));
    const partitions = Number(env.get(PARTITION_COUNT)?.['value']);
    assert.equal(typeof env.get(PARTITION_COUNT)?.['value'], 'string', 'an env value is a string');
    assert.ok(Number.isInteger(partitions) && partitions >= 1 && partitions <= 16, `partitionCount ${partitions}`);
    assert.ok(replicas > 1 && replicas <= partitions, `replicas ${replicas}, partitions ${partitions}`);
  });

  test('the override names a setting host.json has (a misspelt one would change nothing), with another value', () => {
    const host = JSON.parse(readFileSync(path.join(REPO_ROOT, 'host.json'), 'utf8')) as Doc;
    const [prefix, ...pathInHost] = PARTITION_COUNT.split('__');
    assert.equal(prefix, 'AzureFunctionsJobHost');
    const inHost = at(host, pathInHost.join('.'));
    assert.equal(typeof inHost, 'number');
    assert.notEqual(Number(env.get(PARTITION_COUNT)?.['value']), inHost);
  });

  test('its own task hub (the partition count is fixed when a hub is created); otherwise the SinkBinding container', () => {
    const sinkbinding = containersOf(eventSourceTemplate(buildKustomization(SINKBINDING)))[0] ?? {};
    const base = envOf(sinkbinding);
    assert.notEqual(env.get('TaskHubName')?.['value'], base.get('TaskHubName')?.['value']);
    // The patch merges env by name (as kustomize does): every setting of the SinkBinding container is still there.
    assert.deepEqual([...env.keys()].sort(), [...base.keys(), PARTITION_COUNT].sort());
    const changed = [...env.keys()].filter((name) => JSON.stringify(env.get(name)) !== JSON.stringify(base.get(name)));
    assert.deepEqual(changed.sort(), [PARTITION_COUNT, 'TaskHubName'].sort());
    assert.deepEqual({ ...container, env: [] }, { ...sinkbinding, env: [] });
    find(manifests, 'sources.knative.dev/v1', 'SinkBinding', 'event-source');
  });
});

describe('Durable Task Scheduler variant', () => {
  const PROVIDER = 'AzureFunctionsJobHost__extensions__durableTask__storageProvider';
  const BUNDLE = 'AzureFunctionsJobHost__extensionBundle__version';
  const manifests = buildKustomization(SCHEDULER);
  const [container] = containersOf(eventSourceTemplate(manifests));
  const env = envOf(container ?? {});
  const scaleOut = containersOf(eventSourceTemplate(buildKustomization(SCALE_OUT)))[0] ?? {};
  const host = JSON.parse(readFileSync(path.join(REPO_ROOT, 'host.json'), 'utf8')) as Doc;

  test('an overlay of the scale-out variant that changes only the durable backend', () => {
    assert.deepEqual(readKustomization(SCHEDULER).resources, ['../azure-storage']);
    const base = envOf(scaleOut);
    const changed = [...new Set([...env.keys(), ...base.keys()])].filter((name) => JSON.stringify(env.get(name)) !== JSON.stringify(base.get(name)));
    assert.deepEqual(changed.sort(), [
      BUNDLE,
      'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      `${PROVIDER}__connectionStringName`,
      `${PROVIDER}__partitionCount`,
      `${PROVIDER}__type`,
      'TaskHubName',
    ].sort());
    assert.ok(!env.has(`${PROVIDER}__partitionCount`), 'partitionCount belongs to the Azure Storage provider');
    assert.deepEqual({ ...container, env: [] }, { ...scaleOut, env: [] });
    const deployment = find(manifests, 'apps/v1', 'Deployment', 'event-source');
    const scaleOutDeployment = find(buildKustomization(SCALE_OUT), 'apps/v1', 'Deployment', 'event-source');
    assert.deepEqual({ ...asRecord(deployment['spec']), template: {} }, { ...asRecord(scaleOutDeployment['spec']), template: {} });
  });

  test('the provider is azureManaged, its connection string setting comes from the event-source-dts Secret', () => {
    assert.equal(env.get(`${PROVIDER}__type`)?.['value'], 'azureManaged');
    const settingName = String(env.get(`${PROVIDER}__connectionStringName`)?.['value']);
    assert.deepEqual(at(env.get(settingName), 'valueFrom.secretKeyRef'), { name: 'event-source-dts', key: settingName });
    // The overrides name settings host.json has (a misspelt path would change nothing).
    for (const name of [`${PROVIDER}__type`, `${PROVIDER}__connectionStringName`, BUNDLE]) {
      const inHost = name.split('__').slice(1, -1).join('.');
      assert.doesNotThrow(() => asRecord(at(host, inHost)), `${name}: host.json has ${inHost}`);
    }
    // The host still keeps keys, leases and timers in AzureWebJobsStorage, and the app derives its origin key from it.
    assert.deepEqual(at(env.get('AzureWebJobsStorage'), 'valueFrom.secretKeyRef'), { name: 'event-source-storage', key: 'AzureWebJobsStorage' });
  });

  test('the extension bundle range starts at 4.32.0 (the first with the scheduler) and stays within host.json\'s major', () => {
    const range = /^\[(\d+)\.(\d+)\.(\d+), (\d+)\.0\.0\)$/.exec(String(env.get(BUNDLE)?.['value']));
    assert.ok(range, String(env.get(BUNDLE)?.['value']));
    const [major, minor] = [Number(range[1]), Number(range[2])];
    assert.ok(major === 4 && minor >= 32, 'at least 4.32.0');
    assert.equal(String(at(host, 'extensionBundle.version')), `[${major}.*, ${range[4]}.0.0)`);
  });

  test('its README says what it needs in Azure: scheduler, task hub, identity and role, the connection string Secret', () => {
    const readme = readFileSync(path.join(SCHEDULER, 'README.md'), 'utf8');
    const hub = String(env.get('TaskHubName')?.['value']);
    assert.match(readme, new RegExp(`az durabletask taskhub create [^\\n]*--name ${hub}\\b`));
    assert.match(readme, /az durabletask scheduler create /);
    assert.match(readme, /Durable Task Data Contributor/);
    assert.match(readme, /Authentication=ManagedIdentity;ClientID=/);
    assert.match(readme, /create secret generic event-source-dts [^\n]*\\?\s*--from-literal=DURABLE_TASK_SCHEDULER_CONNECTION_STRING=/);
    assert.match(readme, /event-source-storage/);
  });
});

describe('embedded host variant', () => {
  const manifests = buildKustomization(EMBEDDED);
  const deployment = find(manifests, 'apps/v1', 'Deployment', 'event-source');
  const [container] = containersOf(eventSourceTemplate(manifests));

  test('one replica, replaced by Recreate: the embedded host holds the hub under a lease', () => {
    assert.equal(at(deployment, 'spec.replicas'), 1);
    assert.equal(at(deployment, 'spec.strategy.type'), 'Recreate');
  });

  test('its own task hub, apart from the Functions host variants', () => {
    const embeddedHub = envOf(container ?? {}).get('TaskHubName')?.['value'];
    for (const dir of [BASE, SINKBINDING, SCALE_OUT]) {
      const [other] = containersOf(eventSourceTemplate(buildKustomization(dir)));
      assert.notEqual(envOf(other ?? {}).get('TaskHubName')?.['value'], embeddedHub, path.relative(REPO_ROOT, dir));
    }
  });

  test('runs as the image user, non-root, on a read-only root filesystem', () => {
    assert.equal(at(container, 'securityContext.runAsNonRoot'), true);
    assert.equal(at(container, 'securityContext.runAsUser'), 1000);
    assert.equal(at(container, 'securityContext.readOnlyRootFilesystem'), true);
    assert.equal(at(container, 'securityContext.allowPrivilegeEscalation'), false);
  });
});

describe('hello-events Knative Service', () => {
  const hello = find(buildKustomization(BASE), 'serving.knative.dev/v1', 'Service', 'hello-events');
  const [container] = asArray(at(hello, 'spec.template.spec.containers')).map(asRecord);

  test('listens on 8080, probed on /healthz, runs as non-root', () => {
    assert.ok(container);
    assert.match(String(container['image']), /durable-event-source-hello-events/);
    assert.deepEqual(asArray(container['ports']).map((p) => asRecord(p)['containerPort']), [8080]);
    assert.equal(at(container, 'readinessProbe.httpGet.path'), '/healthz');
    assert.equal(at(container, 'livenessProbe.httpGet.path'), '/healthz');
    assert.equal(at(container, 'securityContext.runAsNonRoot'), true);
    assert.notEqual(at(container, 'securityContext.runAsUser'), 0);
  });
});

describe('storage Secret', () => {
  test('only the dev-azurite overlay ships it; no Secret anywhere holds a placeholder', () => {
    for (const dir of [BASE, SINKBINDING, SCALE_OUT, SCHEDULER, EMBEDDED, path.join(K8S_DIR, 'shared')]) {
      const secrets = buildKustomization(dir).filter(({ doc }) => doc['kind'] === 'Secret');
      assert.deepEqual(secrets.map(({ file }) => path.relative(REPO_ROOT, file)), [], `${path.relative(REPO_ROOT, dir)} ships a Secret`);
    }
    find(buildKustomization(DEV_AZURITE), 'v1', 'Secret', 'event-source-storage');
    for (const file of yamlFilesUnder(K8S_DIR)) {
      for (const { doc } of loadYaml(file)) {
        if (doc['kind'] === 'Secret') assert.doesNotMatch(JSON.stringify(doc), /REPLACE_ME|changeme|<[^>]*>/i, file);
      }
    }
  });

  test('the deploy page applies the manifests first (creating the namespace), then creates the Secrets', () => {
    for (const [where, text] of [['docs/knative.md', knativeSection()], ['docs/deploy.md', deployPage()]] as const) {
      const apply = text.indexOf('kubectl apply -k k8s/ ');
      assert.ok(apply >= 0, `${where} applies k8s/`);
      const names = where === 'docs/knative.md' ? ['event-source-storage', 'event-source-keys'] : [...OUT_OF_BAND_SECRETS.keys()];
      for (const name of names) {
        const create = text.search(new RegExp(`kubectl [^\\n]*create secret generic ${name}`));
        assert.ok(create > apply, `${where} creates ${name} after \`kubectl apply -k k8s/\``);
      }
    }
  });

  test('dev-azurite points it at the in-cluster Azurite Service, on the ports that Service exposes', () => {
    const manifests = buildKustomization(DEV_AZURITE);
    const secret = find(manifests, 'v1', 'Secret', 'event-source-storage');
    const connection = String(at(secret, 'stringData.AzureWebJobsStorage'));
    const service = find(manifests, 'v1', 'Service', 'azurite');
    const ports = new Map(asArray(at(service, 'spec.ports')).map((p) => [asRecord(p)['name'], asRecord(p)['port']]));
    for (const [endpoint, portName] of [
      ['BlobEndpoint', 'blob'],
      ['QueueEndpoint', 'queue'],
      ['TableEndpoint', 'table'],
    ] as const) {
      const url = new RegExp(`${endpoint}=http://([^:/;]+):(\\d+)/devstoreaccount1;`).exec(connection);
      assert.ok(url, `${endpoint} missing`);
      assert.equal(url[1], 'azurite');
      assert.equal(Number(url[2]), ports.get(portName), `${endpoint} port`);
    }
    assert.match(connection, /AccountName=devstoreaccount1;/);
    const deployment = find(manifests, 'apps/v1', 'Deployment', 'azurite');
    const [azurite] = asArray(at(deployment, 'spec.template.spec.containers')).map(asRecord);
    assert.match(String(azurite?.['image']), /^mcr\.microsoft\.com\/azure-storage\/azurite:3\.\d+\.\d+$/, 'a released 3.x tag');
    assert.ok(selectorMatches(asRecord(at(service, 'spec.selector')), asRecord(at(deployment, 'spec.template.metadata.labels'))));
    const [volume] = asArray(at(deployment, 'spec.template.spec.volumes'));
    find(manifests, 'v1', 'PersistentVolumeClaim', String(at(volume, 'persistentVolumeClaim.claimName')));
  });
});

const OUR_IMAGES = ['durable-event-source-embedded', 'durable-event-source-functions', 'durable-event-source-hello-events'];

/** Every image a variant renders (after its kustomizations' images: entries), with the file it came from. */
function renderedImages(dir: string): { file: string; image: string }[] {
  return buildKustomization(dir).flatMap(({ file, doc }) => imagesIn(doc).map((image) => ({ file: path.relative(REPO_ROOT, file), image })));
}

describe('the deploy page', () => {
  test('names the Knative API version of every Knative kind the variants use, under Prerequisites', () => {
    const page = deployPage();
    const prerequisites = page.slice(page.indexOf('## Prerequisites'), page.indexOf('\n## ', page.indexOf('## Prerequisites') + 1));
    const used = new Set(
      kustomizationDirs(K8S_DIR).flatMap((dir) => buildKustomization(dir).map(({ doc }) => String(doc['apiVersion']))).filter((v) => v.includes('knative.dev')),
    );
    assert.deepEqual([...used].sort(), ['serving.knative.dev/v1', 'sources.knative.dev/v1']);
    for (const apiVersion of used) assert.ok(prerequisites.includes(`\`${apiVersion}\``), `Prerequisites name ${apiVersion}`);
    assert.match(prerequisites, /Knative Serving \d+\.\d+ or later/);
    assert.match(prerequisites, /Knative Eventing \d+\.\d+ or later/);
  });

  test('reaches the API through a Service every variant has, on a port it exposes, with a key the Secret holds', () => {
    const page = deployPage();
    const forward = /kubectl -n durable-events port-forward svc\/(\S+) (\d+):(\d+)/.exec(page);
    assert.ok(forward, 'a port-forward to a Service');
    for (const dir of VARIANTS.map(([, variantDir]) => variantDir)) {
      const service = find(buildKustomization(dir), 'v1', 'Service', String(forward[1]));
      assert.ok(asArray(at(service, 'spec.ports')).some((p) => asRecord(p)['port'] === Number(forward[3])), `${path.relative(REPO_ROOT, dir)}: port ${forward[3]}`);
    }
    const localPort = forward[2];
    assert.match(page, new RegExp(`curl [^\\n]*-H "x-functions-key: \\$KEY" http://127\\.0\\.0\\.1:${localPort}/api/schedules`));
    const key = /get secret (\S+) -o jsonpath='\{\.data\.([^}]+)\}'/.exec(page);
    assert.ok(key, 'the key read from a Secret');
    assert.ok(OUT_OF_BAND_SECRETS.get(String(key[1]))?.includes(String(key[2]).replace(/\\\./g, '.')), `${key[1]} holds ${key[2]}`);
  });
});

describe('images', () => {
  const images = yamlFilesUnder(K8S_DIR).flatMap((file) =>
    loadYaml(file).flatMap(({ doc }) => imagesIn(doc).map((image) => ({ file: path.relative(REPO_ROOT, file), image }))),
  );
  const dirs = kustomizationDirs(K8S_DIR);

  test('our images appear in the manifests by their neutral names only: no registry, no tag, no placeholder', () => {
    const ours = images.filter(({ image }) => /durable-event-source-/.test(image));
    assert.deepEqual([...new Set(ours.map(({ image }) => image))].sort(), OUR_IMAGES);
    for (const file of yamlFilesUnder(K8S_DIR)) assert.doesNotMatch(readFileSync(file, 'utf8'), /REPLACE_ME/, file);
  });

  test('every kustomization sets each of our images it renders (and no other) to the package version', () => {
    for (const dir of dirs) {
      const where = path.relative(REPO_ROOT, dir);
      const rendered = new Set(renderedImages(dir).map(({ image }) => splitImage(image).name).filter((name) => OUR_IMAGES.includes(name)));
      const entries = readKustomization(dir).images ?? [];
      assert.deepEqual(entries.map((e) => e.name).sort(), [...rendered].sort(), `${where}: images: entries`);
      for (const entry of entries) {
        assert.equal(entry.newTag, PACKAGE_VERSION, `${where}: ${entry.name}`);
        assert.equal(entry.newName, undefined, `${where}: ${entry.name} keeps its neutral name (the user sets the registry)`);
      }
    }
  });

  test('every rendered image of every variant has an explicit tag (or digest), never latest; ours the package version', () => {
    for (const dir of dirs) {
      for (const { file, image } of renderedImages(dir)) {
        const tag = tagOf(image);
        assert.ok(tag !== undefined || image.includes('@sha256:'), `${file}: ${image} is untagged`);
        assert.notEqual(tag, 'latest', `${file}: ${image}`);
        if (OUR_IMAGES.includes(splitImage(image).name)) assert.equal(tag, PACKAGE_VERSION, `${file}: ${image}`);
      }
    }
  });

  test('`kustomize edit set image` in the folder you apply reaches every container of ours, through the nested kustomizations', () => {
    const page = deployPage();
    for (const name of OUR_IMAGES) {
      assert.match(page, new RegExp(`kustomize edit set image [^\\n]*\\b${name}=\\S+/${name}:${PACKAGE_VERSION.replace(/\./g, '\\.')}\\b`), `docs/deploy.md sets ${name}`);
    }
    for (const dir of dirs.filter((d) => path.basename(d) !== 'shared')) {
      // What the edit leaves in that folder's kustomization: an entry with the registry's name, applied after the inner ones.
      const edited = (readKustomization(dir).images ?? []).map((e) => ({ ...e, newName: `registry.example.com/team/${e.name}` }));
      const manifests = buildKustomization(dir);
      for (const { doc } of manifests) setImages(doc, edited);
      for (const { image } of manifests.flatMap(({ doc }) => imagesIn(doc).map((i) => ({ image: i })))) {
        if (!/durable-event-source-/.test(image)) continue;
        assert.match(image, new RegExp(`^registry\\.example\\.com/team/durable-event-source-[a-z-]+:${PACKAGE_VERSION.replace(/\./g, '\\.')}$`), `${path.relative(REPO_ROOT, dir)}: ${image}`);
      }
    }
  });

  test('the knative page and the deploy page build the three images with the package version', () => {
    for (const [where, text] of [['docs/knative.md', knativeSection()], ['docs/deploy.md', deployPage()]] as const) {
      const builds = [...text.matchAll(/docker build [^\n]*-t \S+\/(durable-event-source-[a-z-]+):(\S+)/g)];
      assert.deepEqual(builds.map((b) => b[1]).sort(), OUR_IMAGES, `${where} builds the three images`);
      for (const build of builds) assert.equal(build[2], PACKAGE_VERSION, `${where} tags ${build[1]}`);
    }
  });

  test('the image parsers read tags, registry ports and digests as kustomize does', () => {
    assert.equal(tagOf('mcr.microsoft.com/azure-storage/azurite'), undefined);
    assert.equal(tagOf('localhost:5000/x/y'), undefined);
    assert.equal(tagOf('localhost:5000/x/y:1.2.3'), '1.2.3');
    assert.equal(tagOf('y:latest@sha256:abc'), 'latest');
    assert.deepEqual(splitImage('localhost:5000/x/y:1.2.3'), { name: 'localhost:5000/x/y', tag: '1.2.3' });
    assert.equal(overrideImage('durable-event-source-functions', { name: 'durable-event-source-functions', newTag: '1.0.0' }), 'durable-event-source-functions:1.0.0');
    assert.equal(overrideImage('a/b:1', { name: 'b', newName: 'c' }), 'a/b:1', 'the whole name must match');
    assert.equal(overrideImage('b:1', { name: 'b', newName: 'r/b' }), 'r/b:1', 'a new name keeps the tag');
    assert.equal(overrideImage('b:1', { name: 'b', digest: 'sha256:0' }), 'b@sha256:0');
  });

  test('property: any reference splits into the parts it was made of, and an entry for another name leaves it alone', () => {
    const segment = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?$/);
    const reference = fc.record({
      registry: fc.option(fc.tuple(fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?$/), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })), { nil: undefined }),
      path: fc.array(segment, { minLength: 1, maxLength: 3 }),
      tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
      digest: fc.option(fc.stringMatching(/^sha256:[a-f0-9]{8}$/), { nil: undefined }),
    });
    fc.assert(
      fc.property(reference, segment, ({ registry, path: parts, tag, digest }, other) => {
        const host = registry === undefined ? '' : `${registry[0]}${registry[1] === undefined ? '' : `:${registry[1]}`}/`;
        const name = `${host}${parts.join('/')}`;
        const image = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
        assert.deepEqual(splitImage(image), { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) });
        if (other !== name) assert.equal(overrideImage(image, { name: other, newName: 'x/y', newTag: '9' }), image);
        assert.equal(overrideImage(image, { name, newTag: '9' }), `${name}:9`);
      }),
      fuzzParameters({ numRuns: 300 }, 'image references'),
    );
  });
});
