import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { K8S_DIR, REPO_ROOT, asArray, asRecord, at, buildKustomization, kustomizationDirs, splitImage, type Doc, type Manifest } from './manifests.js';
import { allContainers, podProblems, podSpecOf } from './pod-security.js';
import { args, envOf, parseDockerfile, stage } from './dockerfile.js';

const DIRS = kustomizationDirs(K8S_DIR);
const stages = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));

/** Our images by name, with the Dockerfile target that builds each. */
const TARGET_OF: Readonly<Record<string, string>> = {
  'durable-event-source-functions': 'functions',
  'durable-event-source-embedded': 'embedded',
  'durable-event-source-hello-events': 'hello-events',
};

/**
 * The paths each image writes at run time, which a read-only root filesystem needs mounted from a writable volume:
 * the Functions host's /tmp (its logs under /tmp/Functions, .NET's diagnostics socket, a downloaded extension bundle)
 * and its secrets folder (a sentinel file); Node's /tmp; Azurite's --location and /tmp. hello-events writes nothing.
 */
const WRITES: Readonly<Record<string, readonly string[]>> = {
  'durable-event-source-functions': ['/tmp', '/azure-functions-host/Secrets'],
  'durable-event-source-embedded': ['/tmp'],
  'durable-event-source-hello-events': [],
  'mcr.microsoft.com/azure-storage/azurite': ['/tmp', '/data'],
};

/** The uid of a Dockerfile USER: numeric as written, or the node images' `node` user (1000). */
function uidOf(user: string): number {
  const name = user.split(':')[0] ?? '';
  if (/^\d+$/.test(name)) return Number(name);
  assert.equal(name, 'node', `USER ${user}: only node (uid 1000) or a numeric user is known here`);
  return 1000;
}

function relative(dir: string): string {
  return path.relative(REPO_ROOT, dir) || '.';
}

/** Every object that makes pods, in every kustomization (the variants and the shared base). */
function podMakers(): { dir: string; manifest: Manifest; spec: Doc }[] {
  return DIRS.flatMap((dir) =>
    buildKustomization(dir).flatMap((manifest) => {
      const spec = podSpecOf(manifest.doc);
      return spec ? [{ dir, manifest, spec }] : [];
    }),
  );
}

function where(dir: string, doc: Doc): string {
  return `${relative(dir)}: ${String(doc['kind'])} ${String(at(doc, 'metadata.name'))}`;
}

describe('every pod of every variant meets the restricted pod security standard and the project rules', () => {
  test('each variant makes its pods (event source, hello-events, Azurite in dev-azurite), and every one passes', () => {
    const makers = podMakers();
    for (const dir of DIRS) {
      const names = makers.filter((m) => m.dir === dir).map((m) => String(at(m.manifest.doc, 'metadata.name'))).sort();
      const expected = path.basename(dir) === 'shared' ? ['hello-events'] : ['event-source', 'hello-events'];
      if (path.basename(dir) === 'dev-azurite') expected.unshift('azurite');
      assert.deepEqual(names, expected.sort(), relative(dir));
    }
    const problems = makers.flatMap(({ dir, manifest }) => podProblems(manifest.doc).map((p) => `${where(dir, manifest.doc)}: ${p}`));
    assert.deepEqual(problems, []);
  });

  test('the namespace enforces the restricted standard, so the cluster refuses any pod that breaks it', () => {
    for (const dir of DIRS) {
      const namespace = buildKustomization(dir).find(({ doc }) => doc['kind'] === 'Namespace');
      assert.ok(namespace, relative(dir));
      const labels = asRecord(at(namespace.doc, 'metadata.labels'));
      assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted', relative(dir));
    }
  });

  test('the Knative Service sets its security context per container: Knative refuses a pod-level one by default', () => {
    for (const { dir, manifest, spec } of podMakers()) {
      if (manifest.doc['kind'] === 'Service') assert.equal(spec['securityContext'], undefined, where(dir, manifest.doc));
    }
  });

  test("our containers run as their image's user, as a number the kubelet can check against runAsNonRoot", () => {
    let checked = 0;
    for (const { dir, manifest, spec } of podMakers()) {
      for (const { label, container } of allContainers(spec)) {
        const target = TARGET_OF[splitImage(String(container['image'])).name];
        if (!target) continue;
        const users = args(stage(stages, target), 'USER');
        assert.ok(users.length > 0, `${target} sets USER`);
        const runAs = at(container, 'securityContext.runAsUser');
        assert.equal(runAs, uidOf(users.at(-1) ?? ''), `${where(dir, manifest.doc)}: ${label}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 12, `checked ${checked} containers`);
  });

  test('with a read-only root, every path the image writes is a writable volume (emptyDir or a claim)', () => {
    for (const { dir, manifest, spec } of podMakers()) {
      const volumes = new Map(asArray(spec['volumes'] ?? []).map((v) => [asRecord(v)['name'], asRecord(v)]));
      for (const { label, container } of allContainers(spec)) {
        const writes = WRITES[splitImage(String(container['image'])).name];
        assert.ok(writes, `${where(dir, manifest.doc)}: ${label}: what does ${String(container['image'])} write?`);
        const mounts = asArray(container['volumeMounts'] ?? []).map(asRecord);
        for (const writable of writes) {
          const mount = mounts.find((m) => m['mountPath'] === writable);
          assert.ok(mount && mount['readOnly'] !== true, `${where(dir, manifest.doc)}: ${label}: ${writable} is not mounted writable`);
          const volume = volumes.get(mount['name']);
          assert.ok(volume && ('emptyDir' in volume || 'persistentVolumeClaim' in volume), `${label}: ${writable} is on ${JSON.stringify(volume)}`);
        }
      }
    }
  });
});

describe('the functions image: non-root, above 1024, where the manifests expect it', () => {
  const functions = stage(stages, 'functions');

  test('listens on the port of ASPNETCORE_URLS, exposes it, and runs as a numeric non-root USER', () => {
    const url = /^http:\/\/\+:(\d+)$/.exec(envOf(functions).get('ASPNETCORE_URLS') ?? '');
    assert.ok(url, 'ASPNETCORE_URLS=http://+:<port>');
    const port = Number(url[1]);
    assert.ok(port > 1024, `port ${port}`);
    assert.deepEqual(args(functions, 'EXPOSE'), [String(port)]);
    const user = args(functions, 'USER').at(-1) ?? '';
    assert.match(user, /^\d+(:\d+)?$/);
    assert.notEqual(uidOf(user), 0);
    for (const { manifest, spec } of podMakers()) {
      for (const { container } of allContainers(spec)) {
        if (splitImage(String(container['image'])).name !== 'durable-event-source-functions') continue;
        assert.deepEqual(asArray(container['ports']).map((p) => asRecord(p)['containerPort']), [port], String(manifest.file));
        // A manifest that set the host's URLs itself would move it off the port the probes and the Service use.
        const env = asArray(container['env'] ?? []).map((e) => String(asRecord(e)['name']));
        for (const name of ['ASPNETCORE_URLS', 'ASPNETCORE_HTTP_PORTS', 'ASPNETCORE_HTTPS_PORTS']) assert.ok(!env.includes(name), `${String(manifest.file)} sets ${name}`);
      }
    }
  });

  test("the host's secrets folder exists in the image and belongs to that user (a plain `docker run` writes there too)", () => {
    const user = args(functions, 'USER').at(-1) ?? '';
    const run = args(functions, 'RUN').join(' && ');
    for (const folder of WRITES['durable-event-source-functions'] ?? []) {
      if (folder === '/tmp') continue;
      assert.match(run, new RegExp(`mkdir -p ${folder}\\b`));
      assert.match(run, new RegExp(`chown ${user} ${folder}\\b`));
    }
    const order = functions.instructions.map((i) => i.keyword);
    assert.ok(order.lastIndexOf('RUN') < order.lastIndexOf('USER'), 'the RUN runs as root, before USER');
  });
});

describe('the checks catch a pod that breaks a rule', () => {
  const deployment = buildKustomization(path.join(K8S_DIR, 'sinkbinding')).find(({ doc }) => doc['kind'] === 'Deployment');
  assert.ok(deployment);

  /** The problems of the event source Deployment after `mutate` changed a copy of its pod spec. */
  function problemsAfter(mutate: (spec: Doc, container: Doc) => void): string[] {
    const doc = structuredClone(deployment?.doc ?? {});
    const spec = asRecord(at(doc, 'spec.template.spec'));
    mutate(spec, asRecord(asArray(spec['containers'])[0]));
    return podProblems(doc);
  }
  const context = (container: Doc): Doc => asRecord(container['securityContext']);

  const cases: readonly [string, (spec: Doc, container: Doc) => void, RegExp][] = [
    ['runAsNonRoot false', (_, c) => (context(c)['runAsNonRoot'] = false), /runAsNonRoot != true/],
    ['runAsNonRoot unset everywhere', (_, c) => delete context(c)['runAsNonRoot'], /runAsNonRoot != true/],
    ['runAsUser 0', (_, c) => (context(c)['runAsUser'] = 0), /runAsUser=0/],
    ['no runAsUser', (_, c) => delete context(c)['runAsUser'], /no numeric non-root runAsUser/],
    ['privilege escalation allowed', (_, c) => delete context(c)['allowPrivilegeEscalation'], /allowPrivilegeEscalation != false/],
    ['capabilities kept', (_, c) => delete context(c)['capabilities'], /capabilities\.drop must include ALL/],
    ['a capability added', (_, c) => (asRecord(context(c)['capabilities'])['add'] = ['SYS_ADMIN']), /capabilities\.add SYS_ADMIN/],
    ['no seccomp profile', (_, c) => delete context(c)['seccompProfile'], /seccompProfile\.type must be RuntimeDefault/],
    ['seccomp Unconfined', (_, c) => (context(c)['seccompProfile'] = { type: 'Unconfined' }), /seccompProfile\.type Unconfined/],
    ['privileged', (_, c) => (context(c)['privileged'] = true), /privileged/],
    ['host network', (spec) => (spec['hostNetwork'] = true), /host namespaces: hostNetwork/],
    ['a hostPath volume', (spec) => asArray(spec['volumes']).push({ name: 'host', hostPath: { path: '/' } }), /hostPath volume "host"/],
    ['a hostPort', (_, c) => (asRecord(asArray(c['ports'])[0])['hostPort'] = 8080), /hostPort 8080/],
    ['a writable root', (_, c) => (context(c)['readOnlyRootFilesystem'] = false), /readOnlyRootFilesystem != true/],
    ['port 80', (_, c) => (asRecord(asArray(c['ports'])[0])['containerPort'] = 80), /containerPort 80 is not above 1024/],
    ['probe on port 80', (_, c) => (asRecord(at(c, 'livenessProbe.httpGet'))['port'] = 80), /livenessProbe port 80/],
    ['no liveness probe', (_, c) => delete c['livenessProbe'], /no livenessProbe/],
    ['no readiness probe', (_, c) => delete c['readinessProbe'], /no readinessProbe/],
    ['no memory limit', (_, c) => delete asRecord(at(c, 'resources.limits'))['memory'], /no resources\.limits\.memory/],
    ['no resources', (_, c) => delete c['resources'], /no resources\.requests\.cpu/],
    ['an init container without a security context', (spec) => (spec['initContainers'] = [{ name: 'init', image: 'busybox:1.36' }]), /initContainer "init": allowPrivilegeEscalation/],
  ];

  test('the shipped Deployment has no problem: every case below starts from a passing pod', () => {
    assert.deepEqual(problemsAfter(() => undefined), []);
  });

  for (const [name, mutate, expected] of cases) {
    test(`caught: ${name}`, () => {
      const problems = problemsAfter(mutate);
      assert.ok(problems.some((p) => expected.test(p)), problems.join('\n') || 'no problem found');
    });
  }

  test('pod-level settings count for every container: seccomp and runAsNonRoot on the pod pass', () => {
    const problems = problemsAfter((spec, c) => {
      delete context(c)['seccompProfile'];
      delete context(c)['runAsNonRoot'];
      spec['securityContext'] = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    });
    assert.deepEqual(problems, []);
  });

  test('an object that makes no pods has no pod problems; one with no containers is a problem', () => {
    assert.deepEqual(podProblems({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), []);
    assert.deepEqual(podProblems({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: {} } } }), ['no containers']);
  });
});
