/**
 * `npm run bench -- --only many.100000,engine.memory` (or BENCH_ONLY=...): runs only the scenarios whose figures
 * match one of the comma-separated figure id prefixes, and shows only the matching figures. `lateness.azurite.1000`
 * runs just that level. A selection that matches no figure is an error that lists the ids.
 */

/** The figure id prefixes asked for; undefined: everything. */
export type Selection = readonly string[] | undefined;

export function selectionFrom(argv: readonly string[], env: NodeJS.ProcessEnv): Selection {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only') raw = argv[++i] ?? '';
    else if (arg.startsWith('--only=')) raw = arg.slice('--only='.length);
    else if (arg === '--quick') continue; // read by main (the smoke run)
    else throw new Error(`unknown argument "${arg}": the bench takes --only <figure id prefixes, comma-separated>`);
  }
  raw ??= env.BENCH_ONLY;
  if (raw === undefined) return undefined;
  const prefixes = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (prefixes.length === 0) throw new Error('--only needs figure id prefixes, e.g. --only many.100000,engine.memory');
  return prefixes;
}

/**
 * Whether a scenario runs: `ids` are the ids of its figures, an id ending in '.' standing for every id under it
 * (the levels: `lateness.azurite.`). A prefix selects a figure it begins, and a level id selects its levels' scenario.
 */
export function selects(selection: Selection, ids: readonly string[]): boolean {
  return !selection || selection.some((prefix) => ids.some((id) => id.startsWith(prefix) || (id.endsWith('.') && prefix.startsWith(id))));
}

/** Whether a figure is shown. */
export function shows(selection: Selection, figureId: string): boolean {
  return !selection || selection.some((prefix) => figureId.startsWith(prefix));
}

/**
 * The levels to run of one mode: the plan's, unless the selection names single levels of it (`lateness.azurite.1000`)
 * and nothing broader of the scenario, then just those (and no probes between them).
 */
export function levelCounts(selection: Selection, mode: string, planned: readonly number[], scenarioIds: readonly string[]): { counts: number[]; probe: boolean } {
  if (!selection) return { counts: [...planned], probe: true };
  const single = new RegExp(`^lateness\\.${mode}\\.(\\d+)$`);
  const named = selection.map((prefix) => single.exec(prefix)?.[1]).filter((n): n is string => n !== undefined).map(Number);
  const broader = selection.filter((prefix) => !single.test(prefix));
  if (named.length === 0 || selects(broader, scenarioIds)) return { counts: [...planned], probe: true };
  return { counts: [...new Set(named)].sort((a, b) => a - b), probe: false };
}

/** The prefixes that select no scenario at all (a typo): reported before anything runs. */
export function unmatched(selection: Selection, allIds: readonly string[]): string[] {
  return (selection ?? []).filter((prefix) => !selects([prefix], allIds));
}
