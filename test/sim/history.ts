/** What happened in one history, in order: the driver's calls and answers, the sink's attempts, faults. */
export interface SinkAttemptRecord {
  /** Virtual time the sink received it. */
  at: number;
  status: number | 'reset';
  id: string;
  schedule: string;
  /** 0 for triggered and backfilled events. */
  sequence: number;
  /** The event's `time` (its scheduled time). */
  time: number;
  trigger?: string;
}

export class History {
  readonly lines: string[] = [];
  readonly attempts: SinkAttemptRecord[] = [];

  constructor(private readonly now: () => number) {}

  log(line: string): void {
    this.lines.push(`${new Date(this.now()).toISOString().slice(11, 23)} ${line}`);
  }

  /** The lines around the first one that mentions `needle` (or the last ones), for a failure report. */
  excerpt(needle: string | undefined, size = 25): string[] {
    const at = needle === undefined ? -1 : this.lines.findIndex((l) => l.includes(needle));
    const end = at < 0 ? this.lines.length : Math.min(this.lines.length, at + 5);
    return this.lines.slice(Math.max(0, end - size), end);
  }
}
