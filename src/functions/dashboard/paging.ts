/**
 * Reading a list the management API pages (`{schedules, continuationToken?}`): page after page until a page comes
 * without a token. Pure (the page is fetched by the caller), so the unit tests drive it with pages of their own.
 */

export interface Page<T> {
  schedules: T[];
  continuationToken?: string;
}

/** At most this many pages: a token that never ends cannot keep the page busy for ever. */
export const MAX_PAGES = 1_000;

export async function allPages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>, maxPages = MAX_PAGES): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const answer = await fetchPage(token);
    all.push(...answer.schedules);
    token = answer.continuationToken;
    if (token === undefined) return all;
  }
  throw new Error(`the schedule list did not end after ${maxPages} pages`);
}
