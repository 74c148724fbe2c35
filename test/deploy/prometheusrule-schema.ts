/**
 * The Prometheus Operator's PrometheusRule (monitoring.coreos.com/v1), as far as k8s/monitoring/ uses it: a zod schema
 * written from the operator's API reference (no model package for the operator's CRDs is installed here), strict like
 * podmonitor-schema.ts, so a misspelt or misplaced field is refused rather than pruned by the API server.
 */
import { z } from 'zod';
import { duration, labelMap, resourceName } from './podmonitor-schema.js';

/** Prometheus label names (and alert names): letters, digits and underscores, not starting with a digit. */
const promName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/);

const alertingRule = z.strictObject({
  alert: promName,
  /** PromQL; the CRD types it int-or-string. */
  expr: z.union([z.string().min(1), z.number().int()]),
  for: duration.optional(),
  keep_firing_for: duration.optional(),
  labels: z.record(promName, z.string()).optional(),
  annotations: z.record(z.string().min(1), z.string()).optional(),
});

const recordingRule = z.strictObject({
  record: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  expr: z.union([z.string().min(1), z.number().int()]),
  labels: z.record(promName, z.string()).optional(),
});

const ruleGroup = z.strictObject({
  name: z.string().min(1),
  interval: duration.optional(),
  query_offset: duration.optional(),
  limit: z.number().int().nonnegative().optional(),
  labels: z.record(promName, z.string()).optional(),
  partial_response_strategy: z.enum(['abort', 'warn']).optional(),
  rules: z.array(z.union([alertingRule, recordingRule])).min(1),
});

export const prometheusRuleSchema = z.strictObject({
  apiVersion: z.literal('monitoring.coreos.com/v1'),
  kind: z.literal('PrometheusRule'),
  metadata: z.strictObject({
    name: resourceName,
    namespace: z.string().optional(),
    labels: labelMap.optional(),
  }),
  spec: z.strictObject({
    groups: z
      .array(ruleGroup)
      .min(1)
      .refine((groups) => new Set(groups.map((g) => g.name)).size === groups.length, 'group names must be unique'),
  }),
});

export type AlertingRule = z.infer<typeof alertingRule>;
