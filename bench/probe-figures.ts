/** The figures of #16's probes measured by the bench: a sink down under load (sink-outage.ts), one list page (listing.ts). */
import { fmt, type Figure } from './figures.js';
import type { ListingResult, ListingStep } from './listing.js';
import type { SinkOutageResult } from './sink-outage.js';

/** A goal on a seconds figure that may be missing. */
function atMost(value: number | null, limit: number): boolean {
  return value !== null && value <= limit;
}

/** The figures' ids and labels, also for a scenario that failed before it produced any. */
export function sinkOutageExpected(schedules: number, outageS: number): Pick<Figure, 'id' | 'label' | 'goal' | 'unit'>[] {
  const of = `${fmt(schedules)} schedules at 1 s, sink 503 for ${fmt(outageS)} s`;
  return [
    { id: `sinkOutage.${schedules}.recovery`, label: `sink back (${of}): first 2xx delivery`, goal: '≤ 1.5 s after the recovery', unit: 's' },
    { id: `sinkOutage.${schedules}.resumed`, label: `sink back (${of}): every schedule delivering again`, goal: '≤ 2.5 s after the recovery', unit: 's (slowest schedule)' },
    { id: `sinkOutage.${schedules}.drain`, label: `sink back (${of}): backlog delivered`, goal: null, unit: 's' },
    { id: `sinkOutage.${schedules}.lost`, label: `sink back (${of}): events lost`, goal: '0', unit: 'events' },
    { id: `sinkOutage.${schedules}.doubled`, label: `sink back (${of}): events doubled (by id)`, goal: '0', unit: 'events' },
    { id: `sinkOutage.${schedules}.order`, label: `sink back (${of}): schedules out of order`, goal: '0 (and one id per sequence)', unit: 'schedules' },
    { id: `sinkOutage.${schedules}.reported`, label: `sink back (${of}): what healthz/metrics said`, goal: 'healthz names the sink while down, not after; sink_up 0 → 1; down seconds = outage ± 2 s', unit: 's down' },
  ];
}

export function sinkOutageFigures(result: SinkOutageResult): Figure[] {
  const [recovery, resumed, drain, lost, doubled, order, reported] = sinkOutageExpected(result.schedules, result.outageS) as [Figure, Figure, Figure, Figure, Figure, Figure, Figure];
  const r = result.report;
  const drained = result.drainS !== null;
  const notDrained = drained ? '' : ` (not drained: ${fmt(result.caughtUp)} of ${fmt(result.started)} schedules caught up)`;
  const { during, after } = result;
  const down = after.downSeconds;
  const toldRight = during.namesSink && !after.namesSink && during.sinkUp === 0 && after.sinkUp === 1 && down !== null && Math.abs(down - result.outageS) <= 2;
  return [
    {
      ...recovery,
      value: result.recoveryS,
      display: `${result.recoveryS === null ? 'none' : `${result.recoveryS} s`} (${fmt(r.refusedPosts)} POSTs answered 503 during the ${result.outageS} s outage)`,
      met: atMost(result.recoveryS, 1.5),
      details: result,
    },
    {
      ...resumed,
      value: result.resumedS?.max ?? null,
      display: result.resumedS === null ? 'none' : `slowest ${result.resumedS.max} s, median ${result.resumedS.p50} s (${fmt(r.resumedSchedules)} of ${fmt(result.started)} schedules)`,
      met: atMost(result.resumedS?.max ?? null, 2.5) && r.resumedSchedules >= result.started,
    },
    {
      ...drain,
      value: result.drainS,
      display: drained
        ? `${result.drainS} s after the recovery (${fmt(r.backlog)} events held back; ${fmt(r.drainReceived)} received meanwhile, ${fmt(result.drainPerSecond ?? 0)}/s)`
        : `not within the budget${notDrained}; ${fmt(r.receivedAfter)} events received since the recovery`,
      met: null,
    },
    { ...lost, value: r.lost, display: `${fmt(r.lost)} of ${fmt(r.received)} events received${notDrained}`, met: drained && r.lost === 0 },
    { ...doubled, value: r.doubled, display: `${fmt(r.doubled)} (${fmt(r.received)} received)`, met: r.doubled === 0 },
    {
      ...order,
      value: r.outOfOrder,
      display: `${fmt(r.outOfOrder)} of ${fmt(r.schedules)}; ${fmt(r.idConflicts)} sequences with two ids`,
      met: r.outOfOrder === 0 && r.idConflicts === 0 && r.schedules >= result.started,
    },
    {
      ...reported,
      value: down,
      display:
        `healthz ${during.health}${during.namesSink ? ' naming the sink' : ' (sink not named)'} while down, ${after.health}${after.namesSink ? ' still naming it' : ''} after; ` +
        `eventsource_sink_up ${during.sinkUp ?? 'absent'} → ${after.sinkUp ?? 'absent'}; eventsource_sink_down_seconds_total ${down ?? 'absent'}`,
      met: toldRight,
    },
  ];
}

export const LISTING_EXPECTED: Pick<Figure, 'id' | 'label' | 'goal' | 'unit'>[] = [
  { id: 'listing.top1', label: '`GET /api/schedules?top=1`, time: largest hub ÷ 10 schedules', goal: '≤ 2', unit: 'ratio (median time)' },
  { id: 'listing.top1.hostCpu', label: '`GET /api/schedules?top=1`, host CPU: largest hub ÷ 10 schedules', goal: '≤ 2', unit: 'ratio (host CPU per request)' },
];

/** Wall time (what a caller waits, Azurite's work included) and the host's CPU (the product's own work) per page. */
export function listingFigures(result: ListingResult): Figure[] {
  const [time, cpu] = LISTING_EXPECTED as [Figure, Figure];
  const paged = result.steps.every((s) => s.continued);
  const steps = (of: (s: ListingStep) => string): string => result.steps.map((s) => `${fmt(s.schedules)}: ${of(s)}`).join(', ');
  return [
    {
      ...time,
      value: result.ratio,
      display: `${result.ratio ?? 'n/a'} (median / p90: ${steps((s) => `${s.p50Ms} / ${s.p90Ms} ms`)})`,
      met: result.ratio !== null && result.ratio <= 2 && paged,
      details: result,
    },
    {
      ...cpu,
      value: result.hostCpuRatio,
      display: `${result.hostCpuRatio ?? 'n/a'} (CPU per request, host / Azurite: ${steps((s) => `${s.hostCpuMs ?? 'n/a'} / ${s.azuriteCpuMs ?? 'n/a'} ms`)})`,
      met: result.hostCpuRatio !== null && result.hostCpuRatio <= 2 && paged,
    },
  ];
}
