/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests that scrape `/api/metrics` as a
 * Prometheus server would. The npm parser tried first (parse-prometheus-text-format) merged every labelled histogram of
 * a family into one bucket map and dropped their counts and sums, so it could not check per-schedule histograms; this one groups a
 * histogram's `_bucket`, `_sum` and `_count` series by their labels (without `le`) and refuses any line that is not
 * in the format, so a malformed exposition fails the test instead of being read loosely.
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSeries {
  labels: Record<string, string>;
  /** Counters, gauges, untyped. */
  value?: number;
  /** Histograms: cumulative counts by upper bound (`+Inf` included). */
  buckets?: Map<number, number>;
  count?: number;
  sum?: number;
}

export interface PromFamily {
  name: string;
  help: string;
  type: PromType;
  series: PromSeries[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?[ \t]+(\S+)([ \t]+-?\d+)?$/s;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"\s*(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m || m.index !== at) throw new Error(`bad labels in line: ${line}`);
    const [, name = '', raw = ''] = m;
    if (name in labels) throw new Error(`label ${name} repeated in line: ${line}`);
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new Error(`bad value in line: ${line}`);
  return value;
}

/** The family a sample belongs to, by its name (a histogram's suffixes map to the family). */
function familyOf(families: Map<string, PromFamily>, name: string): { family: PromFamily; suffix: string } | undefined {
  for (const suffix of ['', '_bucket', '_sum', '_count']) {
    if (suffix && !name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, name.length - suffix.length));
    if (family && (suffix === '' || family.type === 'histogram' || family.type === 'summary')) return { family, suffix };
  }
  return undefined;
}

function addSample(family: PromFamily, suffix: string, labels: Record<string, string>, value: number, line: string): void {
  const { le, ...rest } = labels;
  const key = JSON.stringify(Object.entries(suffix === '_bucket' ? rest : labels).sort());
  let series = family.series.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === key);
  if (!series) family.series.push((series = { labels: suffix === '_bucket' ? rest : labels }));
  if (family.type !== 'histogram') series.value = value;
  else if (suffix === '_bucket') {
    if (le === undefined) throw new Error(`bucket without le: ${line}`);
    (series.buckets ??= new Map()).set(parseValue(le, line), value);
  } else if (suffix === '_sum') series.sum = value;
  else if (suffix === '_count') series.count = value;
  else throw new Error(`histogram sample without a suffix: ${line}`);
}

/** The families of one scrape, by name; throws on any line outside the format. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const family = (name: string): PromFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, help: '', type: 'untyped', series: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      if (kind === 'HELP') family(name).help = rest.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) family(name).type = rest as PromType;
      else throw new Error(`bad TYPE line: ${line}`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name = '', , labelText = '', valueText = ''] = m;
    const found = familyOf(families, name) ?? { family: family(name), suffix: '' };
    addSample(found.family, found.suffix, parseLabels(labelText, line), parseValue(valueText, line), line);
  }
  for (const f of families.values()) if (f.type === 'histogram') for (const s of f.series) checkHistogram(f.name, s);
  return families;
}

/** Buckets are cumulative and `+Inf` equals `_count`: what Prometheus relies on. */
function checkHistogram(name: string, series: PromSeries): void {
  const bounds = [...(series.buckets ?? new Map<number, number>()).entries()].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < bounds.length; i++) {
    if ((bounds[i]?.[1] ?? 0) < (bounds[i - 1]?.[1] ?? 0)) throw new Error(`${name}: buckets not cumulative`);
  }
  if (series.buckets?.get(Infinity) !== series.count) throw new Error(`${name}: +Inf bucket differs from _count`);
}

function matches(series: PromSeries, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => series.labels[k] === v);
}

/** Sum of the counter/gauge series whose labels include `labels` (0 when none). */
export function sampleValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  return (families.get(name)?.series ?? []).filter((s) => matches(s, labels)).reduce((sum, s) => sum + (s.value ?? 0), 0);
}

/** Sum of the `_count` of the histogram series whose labels include `labels`. */
export function histogramCount(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  return (families.get(name)?.series ?? []).filter((s) => matches(s, labels)).reduce((sum, s) => sum + (s.count ?? 0), 0);
}
