import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { K8S_DIR, REPO_ROOT, asArray, asRecord, at, loadYaml, type Doc } from './manifests.js';
import { prometheusRuleSchema, type AlertingRule } from './prometheusrule-schema.js';
import { bracketsBalance, groupingsIn, matchersIn, metricNamesIn, templateLabelsIn } from './promql.js';
import fc from 'fast-check';
import { LATENESS_BUCKETS, TICK_OUTCOMES } from '../../src/eventsource/observability/metrics.js';
import { fuzzParameters } from '../support/fuzz.js';

const RULES = path.join(K8S_DIR, 'monitoring', 'prometheusrule.yaml');
const PODMONITOR = path.join(K8S_DIR, 'monitoring', 'podmonitor.yaml');

type MetricType = 'Counter' | 'Gauge' | 'Histogram' | 'Summary';

/** Metrics being added by the sink-health work alongside this change (by name and type), not yet in src/. */
const COMING: ReadonlyMap<string, MetricType> = new Map([
  ['eventsource_sink_up', 'Gauge'],
  ['eventsource_sink_down_seconds_total', 'Counter'],
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every prom-client metric src/ declares (`new Counter({ name: '...' ...`), by name, with its type. */
function declaredMetrics(): Map<string, MetricType> {
  const metrics = new Map<string, MetricType>();
  for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g)) {
      metrics.set(String(match[2]), match[1] as MetricType);
    }
  }
  return metrics;
}

/** The metric a series name belongs to: a histogram's _bucket/_count/_sum series name their histogram. */
function metricOf(series: string, known: ReadonlyMap<string, MetricType>): string | undefined {
  if (known.has(series)) return series;
  const base = /^(.*)_(bucket|count|sum)$/.exec(series)?.[1];
  const type = base === undefined ? undefined : known.get(base);
  if (base !== undefined && (type === 'Histogram' || (type === 'Summary' && !series.endsWith('_bucket')))) return base;
  return undefined;
}

/** What is wrong with the rules' PromQL against the metrics the app exports: nothing when all is well. */
function ruleProblems(doc: Doc, known: ReadonlyMap<string, MetricType>): string[] {
  const parsed = prometheusRuleSchema.safeParse(doc);
  if (!parsed.success) return [`schema: ${parsed.error.message}`];
  const problems: string[] = [];
  for (const rule of parsed.data.spec.groups.flatMap((g) => g.rules)) {
    const name = 'alert' in rule ? rule.alert : rule.record;
    const expr = String(rule.expr);
    if (!bracketsBalance(expr)) problems.push(`${name}: unbalanced brackets`);
    const series = metricNamesIn(expr);
    if (series.length === 0) problems.push(`${name}: selects no metric`);
    for (const s of series) if (metricOf(s, known) === undefined) problems.push(`${name}: no metric ${s} in src/ or the coming list`);
    for (const { metric, label, value } of matchersIn(expr)) {
      if (metric === 'eventsource_ticks_total' && label === 'outcome' && !(TICK_OUTCOMES as readonly string[]).includes(value)) problems.push(`${name}: outcome "${value}" is never counted`);
      if (metric === 'eventsource_tick_lateness_seconds_bucket' && label === 'le' && !LATENESS_BUCKETS.includes(Number(value))) problems.push(`${name}: no bucket le="${value}"`);
    }
    if ('alert' in rule) {
      const kept = new Set(groupingsIn(expr).flat());
      for (const label of templateLabelsIn(JSON.stringify(rule.annotations ?? {}))) {
        if (!kept.has(label)) problems.push(`${name}: annotations use $labels.${label}, which the expression does not keep`);
      }
    }
  }
  return problems;
}

describe('the PrometheusRule (zod: no monitoring.coreos.com models are installed)', () => {
  const [rules, ...more] = loadYaml(RULES);
  const known = new Map([...declaredMetrics(), ...COMING]);

  test('is one PrometheusRule of the shape the operator accepts, in the PodMonitor\'s namespace', () => {
    assert.ok(rules);
    assert.equal(more.length, 0);
    const parsed = prometheusRuleSchema.safeParse(rules.doc);
    assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
    const [podMonitor] = loadYaml(PODMONITOR);
    assert.equal(at(rules.doc, 'metadata.namespace'), at(podMonitor?.doc, 'metadata.namespace'));
  });

  test('the metrics it reads are the app\'s: src/ declares the ticks and lateness metrics it names', () => {
    assert.equal(known.get('eventsource_ticks_total'), 'Counter');
    assert.equal(known.get('eventsource_tick_lateness_seconds'), 'Histogram');
    assert.deepEqual(ruleProblems(rules?.doc ?? {}, known), []);
  });

  test('alerts on late, skipped and dead-lettered ticks per schedule, and on a sink that is down per origin', () => {
    const alerts = prometheusRuleSchema.parse(rules?.doc).spec.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);
    const byMetric = (pattern: RegExp): AlertingRule[] => alerts.filter((a) => pattern.test(String(a.expr)));
    const perSchedule = (a: AlertingRule): boolean => groupingsIn(String(a.expr)).every((labels) => labels.includes('schedule')) && groupingsIn(String(a.expr)).length > 0;
    assert.ok(byMetric(/eventsource_tick_lateness_seconds_bucket\{le="5"\}/).some(perSchedule), 'late ticks (LATE_TICK_THRESHOLD, 5 s)');
    for (const outcome of ['skipped', 'dead_lettered']) {
      assert.ok(byMetric(new RegExp(`eventsource_ticks_total\\{outcome="${outcome}"\\}`)).some(perSchedule), `${outcome} ticks`);
    }
    const sink = byMetric(/eventsource_sink_up\b/);
    assert.ok(sink.some((a) => groupingsIn(String(a.expr)).flat().includes('origin') && /==\s*0\b/.test(String(a.expr))), 'a sink that is down');
    for (const alert of alerts) {
      assert.ok(alert.labels?.['severity'], `${alert.alert}: severity`);
      assert.ok(alert.annotations?.['summary'] && alert.annotations['description'], `${alert.alert}: summary and description`);
    }
    assert.equal(new Set(alerts.map((a) => a.alert)).size, alerts.length, 'alert names are unique');
  });

  test('a broken rule is caught: schema, a misspelt metric, an outcome never counted, a bucket that does not exist, a label dropped', () => {
    const broken = (mutate: (rule: Doc, doc: Doc) => void): string[] => {
      const doc = structuredClone(rules?.doc ?? {});
      const [group] = asArray(at(doc, 'spec.groups'));
      mutate(asRecord(asArray(asRecord(group)['rules'])[0]), doc);
      return ruleProblems(doc, known);
    };
    assert.deepEqual(broken(() => undefined), []);
    const expect = (problems: string[], pattern: RegExp): void => assert.ok(problems.some((p) => pattern.test(p)), problems.join('\n') || 'nothing caught');
    expect(broken((rule) => (rule['for'] = '10 minutes')), /^schema:/);
    expect(broken((rule) => (rule['severity'] = 'warning')), /^schema:/);
    expect(broken((_, doc) => delete asRecord(doc['spec'])['groups']), /^schema:/);
    expect(broken((rule) => (rule['alert'] = 'Ticks late')), /^schema:/);
    expect(broken((rule) => (rule['expr'] = String(rule['expr']).replace(/eventsource_tick_lateness_seconds_count/, 'eventsource_tick_latenes_seconds_count'))), /no metric eventsource_tick_latenes_seconds_count/);
    expect(broken((rule) => (rule['expr'] = 'sum by (schedule) (increase(eventsource_ticks_total{outcome="dead-lettered"}[15m])) > 0')), /outcome "dead-lettered" is never counted/);
    expect(broken((rule) => (rule['expr'] = String(rule['expr']).replace('le="5"', 'le="4"'))), /no bucket le="4"/);
    expect(broken((rule) => (rule['expr'] = 'sum(increase(eventsource_ticks_total{outcome="skipped"}[15m])) > 0')), /\$labels\.schedule, which the expression does not keep/);
    expect(broken((rule) => (rule['expr'] = 'sum by (schedule) (rate(eventsource_ticks_total_bucket[5m]) > 0')), /unbalanced brackets|no metric eventsource_ticks_total_bucket/);
    expect(broken((rule) => (rule['expr'] = 'eventsource_sink_down_seconds_total_count > 0')), /no metric eventsource_sink_down_seconds_total_count/);
  });

  test('the PromQL reader finds metric names, matchers and groupings, and leaves functions, labels and numbers out', () => {
    const expr = 'histogram_quantile(0.95, sum by (schedule, le) (rate(a_b_bucket{le="5", x=~"y"}[5m]))) > 1e3 and on (schedule) c_total offset 5m';
    assert.deepEqual(metricNamesIn(expr).sort(), ['a_b_bucket', 'c_total']);
    assert.deepEqual(matchersIn(expr).map((m) => `${m.metric}:${m.label}${m.op}${m.value}`), ['a_b_bucket:le=5', 'a_b_bucket:x=~y']);
    assert.deepEqual(groupingsIn(expr), [['schedule', 'le']]);
    assert.equal(bracketsBalance(expr), true);
    assert.equal(bracketsBalance('sum(rate(x[5m])'), false);
    assert.deepEqual(templateLabelsIn('{{ $labels.schedule }} at {{ $labels.origin }}'), ['schedule', 'origin']);
  });

  test('property: the reader finds exactly the metrics an expression is built from, whatever they and its labels are called', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/).filter((n) => !['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'].includes(n));
    fc.assert(
      fc.property(name, name, name, fc.string({ maxLength: 12 }).map((v) => v.replace(/["\\]/g, '')), (a, b, label, value) => {
        const expr = `sum by (${label}) (increase(${a}{${label}="${value}"}[5m])) / on (${label}) group_left max by (${label}) (${b}) > 1e3`;
        assert.deepEqual(metricNamesIn(expr).sort(), [...new Set([a, b])].sort());
        assert.deepEqual(matchersIn(expr), [{ metric: a, label, op: '=', value }]);
        assert.ok(bracketsBalance(expr));
      }),
      fuzzParameters({ numRuns: 300 }, 'PromQL reader'),
    );
  });
});
