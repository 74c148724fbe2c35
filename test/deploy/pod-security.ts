/**
 * The Kubernetes pod security standards, "restricted" profile (which includes "baseline"), as the pod security
 * admission controller checks a pod spec (https://kubernetes.io/docs/concepts/security/pod-security-standards/), plus
 * the project's own rules for every container: read-only root, ports above 1024, probes, requests and limits, a
 * numeric user. Each problem names the container and the field, as the admission controller's message does.
 */
import { isRecord, type Doc } from './manifests.js';

/** Where a kind keeps its pod spec: every workload of ours has a pod template at spec.template. */
const POD_TEMPLATE_KINDS: ReadonlySet<string> = new Set([
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'sources.knative.dev/v1/ContainerSource',
  'serving.knative.dev/v1/Service',
]);

/** The pod spec of an object that makes pods, or undefined for one that makes none (Service, ConfigMap, ...). */
export function podSpecOf(doc: Doc): Doc | undefined {
  const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
  if (key === 'v1/Pod') return asDoc(doc['spec']);
  if (key === 'batch/v1/CronJob') return asDoc(at(doc, ['spec', 'jobTemplate', 'spec', 'template', 'spec']));
  if (!POD_TEMPLATE_KINDS.has(key)) return undefined;
  return asDoc(at(doc, ['spec', 'template', 'spec'])) ?? {};
}

/** Like manifests.ts's `at`, but undefined where a step is missing: an unset field is a finding here, not an error. */
function at(value: unknown, steps: readonly string[]): unknown {
  return steps.reduce<unknown>((current, step) => (isRecord(current) ? current[step] : undefined), value);
}

function asDoc(value: unknown): Doc | undefined {
  return isRecord(value) ? value : undefined;
}

/** A manifest's value in a problem's text: a scalar as written, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function list(value: unknown): Doc[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Containers, init containers and ephemeral containers, each with a label for messages. */
export function allContainers(spec: Doc): { label: string; container: Doc }[] {
  return (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((field) =>
    list(spec[field]).map((container) => ({ label: `${field === 'containers' ? 'container' : field.replace(/s$/, '')} "${String(container['name'])}"`, container })),
  );
}

const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set([undefined, '', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/** The baseline profile's checks on the pod and on each container. */
function baselineProblems(spec: Doc): string[] {
  const problems: string[] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[field] === true) problems.push(`host namespaces: ${field}=true`);
  const pod = asDoc(spec['securityContext']) ?? {};
  for (const sysctl of list(pod['sysctls'])) if (!SAFE_SYSCTLS.has(String(sysctl['name']))) problems.push(`forbidden sysctl ${String(sysctl['name'])}`);
  const contexts = [{ label: 'pod', context: pod }, ...allContainers(spec).map(({ label, container }) => ({ label, context: asDoc(container['securityContext']) ?? {} }))];
  for (const { label, context } of contexts) {
    if (at(context, ['windowsOptions', 'hostProcess']) === true) problems.push(`${label}: hostProcess`);
    if (context['privileged'] === true) problems.push(`${label}: privileged`);
    if (!SELINUX_TYPES.has(at(context, ['seLinuxOptions', 'type']) as string | undefined)) problems.push(`${label}: seLinuxOptions.type`);
    if (at(context, ['seLinuxOptions', 'user']) !== undefined || at(context, ['seLinuxOptions', 'role']) !== undefined) problems.push(`${label}: seLinuxOptions user/role`);
    if (context['procMount'] !== undefined && context['procMount'] !== 'Default') problems.push(`${label}: procMount ${shown(context['procMount'])}`);
    if (at(context, ['seccompProfile', 'type']) === 'Unconfined') problems.push(`${label}: seccompProfile.type Unconfined`);
    const appArmor = at(context, ['appArmorProfile', 'type']);
    if (appArmor !== undefined && appArmor !== 'RuntimeDefault' && appArmor !== 'Localhost') problems.push(`${label}: appArmorProfile.type ${shown(appArmor)}`);
  }
  for (const volume of list(spec['volumes'])) if ('hostPath' in volume) problems.push(`hostPath volume "${String(volume['name'])}"`);
  for (const { label, container } of allContainers(spec)) {
    for (const port of list(container['ports'])) if (port['hostPort'] !== undefined && port['hostPort'] !== 0) problems.push(`${label}: hostPort ${shown(port['hostPort'])}`);
  }
  return problems;
}

/** The restricted profile's checks on top of baseline's. */
export function restrictedProblems(spec: Doc): string[] {
  const problems = baselineProblems(spec);
  const pod = asDoc(spec['securityContext']) ?? {};
  for (const volume of list(spec['volumes'])) {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    if (!types.every((type) => RESTRICTED_VOLUME_TYPES.has(type))) problems.push(`volume "${String(volume['name'])}" of type ${types.join(',')}`);
  }
  if (pod['runAsUser'] === 0) problems.push('pod: runAsUser=0');
  for (const { label, container } of allContainers(spec)) {
    const context = asDoc(container['securityContext']) ?? {};
    if (context['allowPrivilegeEscalation'] !== false) problems.push(`${label}: allowPrivilegeEscalation != false`);
    const nonRoot = context['runAsNonRoot'] ?? pod['runAsNonRoot'];
    if (nonRoot !== true) problems.push(`${label}: runAsNonRoot != true (pod or container)`);
    if (context['runAsUser'] === 0) problems.push(`${label}: runAsUser=0`);
    const seccomp = at(context, ['seccompProfile', 'type']) ?? at(pod, ['seccompProfile', 'type']);
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${label}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container)`);
    const capabilities = asDoc(context['capabilities']) ?? {};
    const dropped = Array.isArray(capabilities['drop']) ? capabilities['drop'] : [];
    if (!dropped.includes('ALL')) problems.push(`${label}: capabilities.drop must include ALL`);
    const added = Array.isArray(capabilities['add']) ? capabilities['add'] : [];
    for (const capability of added) if (capability !== 'NET_BIND_SERVICE') problems.push(`${label}: capabilities.add ${String(capability)}`);
  }
  return problems;
}

/** The lowest port a container may listen on: ports up to 1024 need root or NET_BIND_SERVICE. */
export const LOWEST_PORT = 1025;

/** The project's rules for every (regular) container, beyond the standard. */
export function projectProblems(spec: Doc): string[] {
  const problems: string[] = [];
  const pod = asDoc(spec['securityContext']) ?? {};
  for (const { label, container } of allContainers(spec).filter(({ label: l }) => l.startsWith('container '))) {
    const context = asDoc(container['securityContext']) ?? {};
    if (context['readOnlyRootFilesystem'] !== true) problems.push(`${label}: readOnlyRootFilesystem != true`);
    const user = context['runAsUser'] ?? pod['runAsUser'];
    if (!Number.isInteger(user) || Number(user) <= 0) problems.push(`${label}: no numeric non-root runAsUser (pod or container)`);
    for (const port of list(container['ports'])) {
      if (Number(port['containerPort']) < LOWEST_PORT) problems.push(`${label}: containerPort ${String(port['containerPort'])} is not above 1024`);
    }
    for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
      if (!isRecord(container[probe])) problems.push(`${label}: no ${probe}`);
      const port = at(container, [probe, 'httpGet', 'port']) ?? at(container, [probe, 'tcpSocket', 'port']);
      if (typeof port === 'number' && port < LOWEST_PORT) problems.push(`${label}: ${probe} port ${port} is not above 1024`);
    }
    for (const [field, name] of [['requests', 'cpu'], ['requests', 'memory'], ['limits', 'memory']] as const) {
      if (at(container, ['resources', field, name]) === undefined) problems.push(`${label}: no resources.${field}.${name}`);
    }
  }
  return problems;
}

/** Every problem of a rendered object that makes pods; none for one that makes none. */
export function podProblems(doc: Doc): string[] {
  const spec = podSpecOf(doc);
  if (!spec) return [];
  if (allContainers(spec).length === 0) return ['no containers'];
  return [...restrictedProblems(spec), ...projectProblems(spec)];
}
