/**
 * Reads a `/api/metrics` answer with a Prometheus text-format parser (parse-prometheus-text-format), as a scraper
 * would, instead of matching lines by hand.
 *
 * The parser folds every series of a histogram into one (it keeps the buckets, but the labels, `_count` and `_sum`
 * only of an unlabelled histogram): a histogram is read one series at a time, through its buckets (`+Inf` is its
 * count).
 */
import parse from 'parse-prometheus-text-format';
import type { PrometheusFamily } from 'parse-prometheus-text-format';

export class Scrape {
  readonly families: PrometheusFamily[];

  constructor(readonly text: string) {
    this.families = parse(text);
  }

  family(name: string): PrometheusFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** A counter's or gauge's value for the series with (at least) these labels; 0 when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const series = this.family(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return series?.value === undefined ? 0 : Number(series.value);
  }

  /** Sum of a counter over every series with these labels. */
  total(name: string, labels: Record<string, string> = {}): number {
    const matching = this.family(name)?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) ?? [];
    return matching.reduce((sum, m) => sum + Number(m.value ?? 0), 0);
  }

  /** A histogram's observation count (its `+Inf` bucket); 0 when it has none yet. */
  histogramCount(name: string, labels: Record<string, string> = {}): number {
    const inf = this.buckets(name, labels)['+Inf'];
    return inf === undefined ? 0 : inf;
  }

  /**
   * A histogram's bucket counts by upper bound, of the series with these labels: the parser is given that series'
   * lines only (it folds the series of a histogram together).
   */
  buckets(name: string, labels: Record<string, string> = {}): Record<string, number> {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const lines = this.text.split('\n').filter((line) => {
      if (line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `)) return true;
      if (!line.startsWith(`${name}_`)) return false;
      return wanted.every((pair) => line.includes(`{${pair}`) || line.includes(`,${pair}`));
    });
    const raw = parse(lines.join('\n')).find((f) => f.name === name)?.metrics[0]?.buckets ?? {};
    return Object.fromEntries(Object.entries(raw).map(([le, n]) => [le, Number(n)]));
  }
}

export async function scrape(baseUrl: string): Promise<{ status: number; contentType: string | null; scrape: Scrape }> {
  const response = await fetch(`${baseUrl}/api/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), scrape: new Scrape(text) };
}
