/**
 * Reads a `/api/metrics` answer as a scraper would, through the strict exposition reader (prometheus-text.ts), instead
 * of matching lines by hand.
 */
import { histogramCount, parsePrometheus, sampleValue, type PromFamily } from './prometheus-text.js';

export class Scrape {
  readonly families: Map<string, PromFamily>;

  constructor(readonly text: string) {
    this.families = parsePrometheus(text);
  }

  family(name: string): PromFamily | undefined {
    return this.families.get(name);
  }

  /** A counter's or gauge's value for the first series with (at least) these labels; 0 when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const series = this.family(name)?.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    return series?.value ?? 0;
  }

  /** Sum of a counter over every series with these labels. */
  total(name: string, labels: Record<string, string> = {}): number {
    return sampleValue(this.families, name, labels);
  }

  /** A histogram's observation count (`_count`, summed over the series with these labels); 0 when it has none. */
  histogramCount(name: string, labels: Record<string, string> = {}): number {
    return histogramCount(this.families, name, labels);
  }

  /** The bucket counts by upper bound as written (`0.001`, …, `+Inf`) of the first series with these labels. */
  buckets(name: string, labels: Record<string, string> = {}): Record<string, number> {
    const series = this.family(name)?.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    return Object.fromEntries([...(series?.buckets ?? new Map<number, number>())].map(([le, n]) => [le === Infinity ? '+Inf' : String(le), n]));
  }
}

export async function scrape(baseUrl: string): Promise<{ status: number; contentType: string | null; scrape: Scrape }> {
  const response = await fetch(`${baseUrl}/api/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), scrape: new Scrape(text) };
}
