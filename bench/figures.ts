/** The bench's figures: one row of the printed table and one entry of results.json each, with its goal. */
import type { LevelResult } from './level.js';

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

export function levelFigure(level: LevelResult, goalFor: number): Figure {
  const l = level.lateness;
  const atGoal = level.schedules === goalFor;
  const goal = !atGoal ? null : level.mode === 'azurite' ? 'p99 ≤ 50 ms, p50 ≤ 10 ms, all delivered' : 'p99 ≤ 100 ms, all delivered';
  return {
    id: `lateness.${level.mode}.${level.schedules}`,
    label: `${fmt(level.schedules)} schedules at 1 s${level.mode === 'azurite' ? '' : ' (+10 ms/call)'}`,
    value: l.count > 0 ? l.p99Ms : null,
    unit: 'ms (p99)',
    display: level.error
      ? `failed: ${level.error}`
      : `p50 ${fmt(l.p50Ms)} / p99 ${fmt(l.p99Ms)} / max ${fmt(l.maxMs)} ms; delivered ${fmt(level.delivered)}/${fmt(level.expected)} ` +
      `(${level.deliveredRatio.toFixed(2)}); CPU host ${pct(level.hostCpu)} (${level.hostCpuMsPerTick ?? 'n/a'} ms/tick), ` +
      `Azurite ${pct(level.azuriteCpu)} (${level.azuriteCpuMsPerTick ?? 'n/a'} ms/tick)`,
    goal,
    met: atGoal ? level.onTime : null,
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
