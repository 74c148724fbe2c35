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

  private readonly realStart = Date.now();

  constructor(private readonly now: () => number) {}

  log(line: string): void {
    // Real ms since the start too: where a history spends its real time.
    this.lines.push(`${new Date(this.now()).toISOString().slice(11, 23)} +${Date.now() - this.realStart}ms ${line}`);
  }

  /** The lines around the first one that mentions `needle` (or the last ones), for a failure report. */
  excerpt(needle: string | undefined, size = 25): string[] {
    const at = needle === undefined ? -1 : this.lines.findIndex((l) => l.includes(needle));
    const end = at < 0 ? this.lines.length : Math.min(this.lines.length, at + 5);
    return this.lines.slice(Math.max(0, end - size), end);
  }
}
