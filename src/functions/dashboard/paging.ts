/**
 * The page of schedules the dashboard shows: the management API pages its list (`{schedules, continuationToken?}`),
 * and the dashboard reads only the page on screen (a refresh reads that one page again), moving on with the page's
 * token and back with the tokens of the pages before it. Pure, so the unit tests drive it without a browser.
 */

export interface Page<T> {
  schedules: T[];
  continuationToken?: string;
}

export class Pager {
  /** The token that starts each page visited so far (undefined: the first page); the last one is on screen. */
  private readonly starts: Array<string | undefined> = [undefined];
  /** The token of the page after the one on screen, from its last read. */
  private after: string | undefined;

  /** The token to read the page on screen with. */
  current(): string | undefined {
    return this.starts[this.starts.length - 1];
  }

  /** The page on screen is number `number` (from 1). */
  get number(): number {
    return this.starts.length;
  }

  /** What a read of the page on screen said; an empty page that is not the first goes back one (true: read again). */
  shown<T>(page: Page<T>): boolean {
    this.after = page.continuationToken;
    if (page.schedules.length === 0 && this.starts.length > 1) {
      this.previous();
      return true;
    }
    return false;
  }

  hasNext(): boolean {
    return this.after !== undefined;
  }

  hasPrevious(): boolean {
    return this.starts.length > 1;
  }

  next(): void {
    if (this.after === undefined) return;
    this.starts.push(this.after);
    this.after = undefined;
  }

  previous(): void {
    if (this.starts.length > 1) this.starts.pop();
    this.after = undefined;
  }
}
