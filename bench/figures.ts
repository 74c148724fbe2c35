/** The bench's figures: one row of the printed table and one entry of results.json each, with its goal and verdict. */
import type { StorageMode } from './bench-env.js';
import type { LevelResult } from './level.js';
import { round } from './stats.js';
import type { FileResult } from './file-schedules.js';
import type { GroupedCommitsResult } from './grouped-commits.js';
import type { ManyResult } from './many-schedules.js';
import type { NpmStartResult } from './npm-start-figure.js';
import type { TickCostResult } from './tick-cost.js';

export interface Figure {
  id: string;
  label: string;
  /** The number the goal is judged on (null: not measured). */
  value: number | null;
  unit: string;
  /** The figure as printed. */
  display: string;
  goal: string | null;
  /** Whether the goal is met; null where the figure has no goal of its own. */
  met: boolean | null;
  details?: unknown;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

const MODE_LABEL: Record<StorageMode, string> = { azurite: '', proxy10ms: ' (+10 ms/call)', memory: ' (memory store, no Azurite)' };

/** Peak RSS of the host and Azurite during a level, as shown next to it. */
function peaks(level: LevelResult): string {
  const azurite = level.mode === 'memory' ? '' : `, Azurite ${level.azuritePeakRssMb ?? 'n/a'} MB`;
  return `peak RSS host ${level.hostPeakRssMb ?? 'n/a'} MB${azurite}`;
}

function levelDisplay(level: LevelResult): string {
  const l = level.lateness;
  const azurite = level.mode === 'memory' ? '' : `, Azurite ${pct(level.azuriteCpu)} (${level.azuriteCpuMsPerTick ?? 'n/a'} ms/tick)`;
  return (
    `p50 ${fmt(l.p50Ms)} / p99 ${fmt(l.p99Ms)} / max ${fmt(l.maxMs)} ms; delivered ${fmt(level.delivered)}/${fmt(level.expected)} ` +
    `(${level.deliveredRatio.toFixed(2)}); CPU host ${pct(level.hostCpu)} (${level.hostCpuMsPerTick ?? 'n/a'} ms/tick)${azurite}; ${peaks(level)}` +
    (level.stepsPerTransaction === null ? '' : `; ${level.stepsPerTransaction} steps per transaction`)
  );
}

export function levelFigure(level: LevelResult, goalFor: number): Figure {
  const l = level.lateness;
  const atGoal = level.schedules === goalFor;
  const goal = !atGoal ? null : level.mode === 'azurite' ? 'p99 ≤ 50 ms, p50 ≤ 10 ms, all delivered' : 'p99 ≤ 100 ms, all delivered';
  return {
    id: `lateness.${level.mode}.${level.schedules}`,
    label: `${fmt(level.schedules)} schedules at 1 s${MODE_LABEL[level.mode]}`,
    value: l.count > 0 ? l.p99Ms : null,
    unit: 'ms (p99)',
    display: level.error ? `failed: ${level.error}` : levelDisplay(level),
    goal,
    met: atGoal ? level.onTime : null,
    details: level,
  };
}

/**
 * The engine alone: the host and app on the engine's memory store at the goal level, next to the same level on
 * Azurite when it ran, so that the difference is Azurite's (and the storage client's) share. No goal of its own.
 */
/** The engine alone on its memory store; `against`: the level to set it beside (on Azurite, or with no thread). */
export function engineMemoryFigure(level: LevelResult, against: LevelResult | undefined, id: 'engine.memory' | 'engine.memory.threads' = 'engine.memory'): Figure {
  const l = level.lateness;
  const where = id === 'engine.memory' ? 'on Azurite' : 'episodes in the host thread';
  const versus = against && !against.error
    ? ` (${where}: ${fmt(against.ticksPerSecond)} ticks/s, host ${against.hostCpuMsPerTick ?? 'n/a'} ms/tick, p99 ${fmt(against.lateness.p99Ms)} ms)`
    : '';
  return {
    id,
    label: `engine alone (memory store), ${fmt(level.schedules)} schedules at 1 s${id === 'engine.memory' ? '' : ', one orchestrator thread'}`,
    value: level.error ? null : level.ticksPerSecond,
    unit: 'ticks/s',
    display: level.error
      ? `failed: ${level.error}`
      : `${fmt(level.ticksPerSecond)} ticks/s; p50 ${fmt(l.p50Ms)} / p99 ${fmt(l.p99Ms)} ms; delivered ${level.deliveredRatio.toFixed(2)}; ` +
        `host ${level.hostCpuMsPerTick ?? 'n/a'} ms CPU/tick (${pct(level.hostCpu)}); ${peaks(level)}${versus}`,
    goal: null,
    met: null,
    details: level,
  };
}

/** A level with one orchestrator thread, next to the same level on the default host (no goal of its own). */
export function threadsFigure(level: LevelResult, label: string, against: LevelResult | undefined): Figure {
  const versus = against && !against.error
    ? ` (without: ${fmt(against.ticksPerSecond)} ticks/s, host ${against.hostCpuMsPerTick ?? 'n/a'} ms/tick, peak RSS ${against.hostPeakRssMb ?? 'n/a'} MB)`
    : '';
  return {
    id: 'threads.azurite',
    label,
    value: level.error ? null : level.ticksPerSecond,
    unit: 'ticks/s',
    display: level.error ? `failed: ${level.error}` : `${fmt(level.ticksPerSecond)} ticks/s; ${levelDisplay(level)}${versus}`,
    goal: null,
    met: null,
    details: level,
  };
}

export function pct(share: number | null): string {
  return share === null ? 'n/a' : `${Math.round(share * 100)} %`;
}

export { fmt };

/** The printed table: figure | value | goal | met. */
export function renderTable(figures: Figure[]): string {
  const rows = figures.map((f) => [f.label, f.display, f.goal ?? '', f.met === null ? '' : f.met ? 'yes' : 'NO']);
  const head = ['figure', 'measured', 'goal', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function largestOnTime(mode: StorageMode, levels: LevelResult[], goal: number): Figure {
  const best = Math.max(0, ...levels.filter((l) => l.onTime).map((l) => l.schedules));
  const tried = levels.map((l) => `${fmt(l.schedules)}${l.onTime ? '✓' : '✗'}`).join(' ');
  return {
    id: `largestOnTime.${mode}`,
    label: `largest count on time${MODE_LABEL[mode]}`,
    value: best,
    unit: 'schedules',
    display: `${fmt(best)} (tried ${tried})`,
    goal: `≥ ${fmt(goal)}`,
    met: best >= goal,
  };
}

export function throughputFigures(levels: LevelResult[], ceiling: number): Figure[] {
  const best = levels.reduce<LevelResult | undefined>((a, l) => (!a || l.ticksPerSecond > a.ticksPerSecond ? l : a), undefined);
  const ticks = best?.ticksPerSecond ?? 0;
  const ratio = ceiling > 0 ? round(ticks / ceiling, 3) : 0;
  // Calls per tick at the largest level that kept up (else the smallest), where no backlog distorts the count.
  const calm = [...levels].reverse().find((l) => l.onTime) ?? levels[0];
  const kinds = Object.entries(calm?.callsPerTickByKind ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    {
      id: 'ticksPerSecond',
      label: 'sustained ticks/s',
      value: ticks,
      unit: 'ticks/s',
      display: `${fmt(ticks)} (at ${fmt(best?.schedules ?? 0)} schedules; host CPU ${pct(best?.hostCpu ?? null)}, Azurite ${pct(best?.azuriteCpu ?? null)})`,
      goal: '≥ 1,000',
      met: ticks >= 1000,
    },
    { id: 'rawPostCeiling', label: 'raw undici POST ceiling', value: ceiling, unit: 'requests/s', display: `${fmt(ceiling)} /s`, goal: null, met: null },
    { id: 'ticksToCeiling', label: 'ticks/s ÷ raw ceiling', value: ratio, unit: 'ratio', display: ratio.toFixed(3), goal: '≥ 0.25', met: ratio >= 0.25 },
    {
      id: 'callsPerTick',
      label: 'storage calls per tick',
      value: calm?.callsPerTick ?? null,
      unit: 'calls',
      display: `${calm?.callsPerTick ?? 'n/a'} (${kinds}; at ${fmt(calm?.schedules ?? 0)} schedules)`,
      goal: '≤ 2 (stretch 1)',
      met: calm?.callsPerTick !== null && calm?.callsPerTick !== undefined && calm.callsPerTick <= 2,
    },
  ];
}

export function fileFigure(file: FileResult): Figure {
  const l = file.lateness;
  return {
    id: 'file.lateness',
    label: `${fmt(file.schedules)} schedules from one SCHEDULES_FILE (every ${fmt(file.everyS)} s, phases spread)`,
    value: l.count > 0 ? l.p99Ms : null,
    unit: 'ms (p99)',
    display:
      `p50 ${fmt(l.p50Ms)} / p99 ${fmt(l.p99Ms)} / max ${fmt(l.maxMs)} ms; delivered ${fmt(file.delivered)}/${fmt(file.expected)}; ` +
      `all running ${file.settledS === null ? 'not within the budget' : `${file.settledS} s after the host started`}; CPU host ${pct(file.hostCpu)}`,
    goal: 'p99 ≤ 50 ms, p50 ≤ 10 ms, all delivered',
    met: file.onTime,
    details: file,
  };
}

export function tickFigure(tick: TickCostResult): Figure {
  return {
    id: 'tickCost',
    label: `cost of tick ${fmt(tick.reachedTick)} / tick 10`,
    value: tick.cpuRatio,
    unit: 'ratio (host CPU per tick)',
    display:
      `host CPU ${tick.earlyCpuMsPerTick} → ${tick.lateCpuMsPerTick} ms/tick (${tick.cpuRatio}); wall ${tick.earlyWallMsPerTick} → ` +
      `${tick.lateWallMsPerTick} ms/tick (${tick.wallRatio}); reached tick ${fmt(tick.reachedTick)} of ${fmt(tick.targetTick)} in ${tick.seconds} s`,
    goal: `≤ 1.2 at tick ${fmt(tick.targetTick)}`,
    met: tick.cpuRatio !== null && tick.cpuRatio <= 1.2 && tick.reachedTick >= tick.targetTick,
    details: tick,
  };
}

export function npmStartFigures(start: NpmStartResult): Figure[] {
  return [
    {
      id: 'npmStart.ready',
      label: '`npm start` to ready (built tree)',
      value: start.readyS,
      unit: 's',
      display: start.readyS === null ? 'not ready' : `${start.readyS} s${start.printedReady ? ` (launcher printed ${start.printedReady})` : ''}`,
      goal: '≤ 3 s',
      met: start.readyS !== null && start.readyS <= 3,
    },
    {
      id: 'npmStart.firstEvent',
      label: '`npm start` to the first event',
      value: start.firstEventS,
      unit: 's',
      display: start.firstEventS === null ? 'none' : `${start.firstEventS} s (schedule 1s)`,
      goal: null,
      met: null,
    },
  ];
}

/** The goals of a many-schedules run, by its figures' id prefix (`many`: 10,000; `many.100000`: issue #19's). */
export interface ManyGoals {
  rssMb: number;
  peakRssMb: number | null;
  recoveredS: number;
}

export const mbGoal = (megabytes: number): string => (megabytes >= 1024 ? `≤ ${fmt(megabytes / 1024, 1)} GB` : `≤ ${fmt(megabytes)} MB`);

export function manyFigures(many: ManyResult, prefix: string, goals: ManyGoals): Figure[] {
  const n = fmt(many.schedules);
  const allStarted = many.started === many.schedules;
  const peaks = `${many.peakRssMb ?? 'n/a'} MB peak (${many.startPeakRssMb ?? 'n/a'} MB while starting, ${many.recoveryPeakRssMb ?? 'n/a'} MB recovering)`;
  return [
    {
      id: `${prefix}.start`,
      label: `start ${n} schedules (Durable HTTP API, 16 at a time)`,
      value: allStarted ? many.startSeconds : null,
      unit: 's',
      display: `${fmt(many.started)}/${n} started in ${many.startSeconds} s; first steps done ${many.settleS === null ? 'not within the settle budget' : `${many.settleS} s later`}`,
      goal: null,
      met: null,
    },
    {
      id: `${prefix}.rss`,
      label: `host RSS, ${n} schedules waiting`,
      value: many.rssMb,
      unit: 'MB',
      display: `${many.rssMb ?? 'n/a'} MB waiting, ${peaks}; started ${fmt(many.started)} in ${many.startSeconds} s`,
      goal: mbGoal(goals.rssMb),
      met: many.rssMb !== null && allStarted && many.rssMb <= goals.rssMb,
      details: many,
    },
    {
      id: `${prefix}.peakRss`,
      label: `host peak RSS, ${n} schedules (start, ticks, kill -9, recovery)`,
      value: many.peakRssMb,
      unit: 'MB',
      display: peaks,
      goal: goals.peakRssMb === null ? null : mbGoal(goals.peakRssMb),
      met: goals.peakRssMb === null ? null : many.peakRssMb !== null && allStarted && many.peakRssMb <= goals.peakRssMb,
    },
    {
      id: `${prefix}.recovery`,
      label: `kill -9 → all on time again, ${n} at ${many.every}`,
      value: many.recoveredS,
      unit: 's',
      display:
        `${many.recoveredS === null ? 'not recovered' : `${many.recoveredS} s`} (host ready ${many.restartReadyS} s after the kill, every wake time armed after ${many.takeoverS ?? 'more than the watch:'} s; ` +
        `${fmt(many.afterKill.delivered)}/${fmt(many.afterKill.expected)} ticks due in the ${many.watchS} s after the kill delivered, last late one ${fmt(many.afterKill.lastLatenessMs)} ms)`,
      goal: `≤ ${goals.recoveredS} s`,
      met: many.recoveredS !== null && allStarted && many.recoveredS <= goals.recoveredS,
    },
    {
      id: `${prefix}.idleCalls`,
      label: `idle storage calls/s, ${n} waiting`,
      value: many.idleCallsPerSecond,
      unit: 'calls/s',
      display: `${many.idleCallsPerSecond} /s over ${many.idleWindowS} s (measured once the first steps were done, ${many.settleS === null ? 'not within the settle budget' : `${many.settleS} s after the last start`})`,
      goal: '≈ 0 (≤ 1/s)',
      met: many.idleCallsPerSecond !== null && many.idleCallsPerSecond <= 1,
    },
  ];
}

/** The storage's cost per instance commit alone and grouped, and the saving (no goal: it measures a lever, not the product). */
export function groupedCommitsFigure(r: GroupedCommitsResult): Figure {
  const ratio = round(r.alone.azuriteMs / Math.max(0.001, r.grouped.azuriteMs), 2);
  const ms = (x: number): string => x.toFixed(3);
  return {
    id: 'groupedCommits',
    label: `storage CPU per instance commit: alone ÷ ${r.group} to a transaction`,
    value: ratio,
    unit: 'ratio (Azurite CPU)',
    display:
      `${ratio.toFixed(2)}× (Azurite ${ms(r.alone.azuriteMs)} → ${ms(r.grouped.azuriteMs)} ms, table client ${ms(r.alone.clientMs)} → ` +
      `${ms(r.grouped.clientMs)} ms per instance commit; ${fmt(r.commits)} commits of each shape)`,
    goal: null,
    met: null,
    details: r,
  };
}
