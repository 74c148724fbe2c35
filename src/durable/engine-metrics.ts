/**
 * The durable engine's Prometheus metrics (`durable_*`), in prom-client's default registry: the app's own metrics
 * live there too (and the storage metrics: store/azure-tables/storage-metrics.ts), so one `/api/metrics` endpoint of the app serves both when the embedded host runs it.
 *
 * Each metric is created once per process (tests run several engines in one process; prom-client refuses a second
 * registration of a name). Gauges are read at scrape time from the engines alive in this process, so nothing is
 * updated on the hot path for them.
 */
import { Counter, Gauge, Histogram, register, type Metric } from 'prom-client';

/** What a running engine lets the gauges read. */
export interface EngineGaugeSource {
  /** Timers held in memory (due-time wake-ups of instances). */
  timersPending(): number;
  /** Whether this engine holds the task hub's lease now. */
  leaseOwned(): boolean;
}

const sources = new Set<EngineGaugeSource>();

/** Makes an engine's gauges visible until the returned function is called (at shutdown). */
export function exposeEngineGauges(source: EngineGaugeSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

/** The process's one instance of a metric (prom-client refuses a second registration of a name). */
export function once<M extends Metric>(name: string, create: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? create();
}

/** Steps committed or found idle (one `StepRunner.step` loop iteration that read an instance). */
export const stepsTotal = once('durable_steps_total', () => new Counter({
  name: 'durable_steps_total',
  help: 'Orchestration steps the engine ran (read, decide, commit)',
}));

/** From the step's read to its commit (or to finding nothing to do). */
export const stepDuration = once('durable_step_duration_seconds', () => new Histogram({
  name: 'durable_step_duration_seconds',
  help: 'Duration of one orchestration step, from reading the instance to its commit',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
}));

once('durable_timers_pending', () => new Gauge({
  name: 'durable_timers_pending',
  help: 'Timers the engines of this process hold in memory',
  collect() {
    let total = 0;
    for (const source of sources) total += source.timersPending();
    this.set(total);
  },
}));

once('durable_lease_owned', () => new Gauge({
  name: 'durable_lease_owned',
  help: '1 while an engine of this process holds the task hub lease, else 0',
  collect() {
    let owned = 0;
    for (const source of sources) if (source.leaseOwned()) owned = 1;
    this.set(owned);
  },
}));
