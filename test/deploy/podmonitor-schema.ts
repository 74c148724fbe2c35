/**
 * The Prometheus Operator's PodMonitor (monitoring.coreos.com/v1), as far as k8s/monitoring/ uses it. No maintained
 * model package for the operator's CRDs is installed here, so this is a zod schema of the fields we use, written from
 * the operator's API reference; strict objects, so a misspelt or misplaced field is refused rather than pruned by the
 * API server without a word.
 */
import { z } from 'zod';

const labelValue = z.string().max(63);
export const labelMap = z.record(z.string().min(1), labelValue);
/** A Kubernetes object name (DNS-1123 label). */
export const resourceName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** The operator's Duration pattern (e.g. 30s, 1m, 1h30m). */
export const duration = z.string().regex(/^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/);

const podMetricsEndpoint = z.strictObject({
  /** The NAME of a container port (the operator matches pod ports by name). */
  port: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(15),
  path: z.string().startsWith('/').optional(),
  scheme: z.enum(['http', 'https']).optional(),
  interval: duration.optional(),
  scrapeTimeout: duration.optional(),
});

export const podMonitorSchema = z.strictObject({
  apiVersion: z.literal('monitoring.coreos.com/v1'),
  kind: z.literal('PodMonitor'),
  metadata: z.strictObject({
    name: resourceName,
    namespace: z.string().optional(),
    labels: labelMap.optional(),
  }),
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: labelMap.refine((labels) => Object.keys(labels).length > 0, 'selects nothing') }),
    namespaceSelector: z.strictObject({ matchNames: z.array(z.string()).min(1) }).optional(),
    podMetricsEndpoints: z.array(podMetricsEndpoint).min(1),
  }),
});
