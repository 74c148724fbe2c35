/**
 * Just enough PromQL reading for the alert rules' tests (promtool does not run here): the metric names an expression
 * selects, its label matchers, the labels it aggregates by, and bracket balance.
 */

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

/** The metric names an expression selects (functions, keywords, label names and numbers left out). */
export function metricNamesIn(expr: string): string[] {
  const bare = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const index = match.index;
    if (index > 0 && /[0-9.]/.test(bare.charAt(index - 1))) continue; // the exponent of a number (5e3)
    if (bare.slice(index + match[0].length).trimStart().startsWith('(')) continue; // a function call
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return [...new Set(names)];
}

/** `metric{label="value", ...}` matchers: each with its metric, label, operator and value. */
export function matchersIn(expr: string): { metric: string; label: string; op: string; value: string }[] {
  const found: { metric: string; label: string; op: string; value: string }[] = [];
  // The braces' body may hold quoted values with any character, "}" included.
  for (const selector of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g)) {
    for (const matcher of String(selector[2]).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      found.push({ metric: String(selector[1]), label: String(matcher[1]), op: String(matcher[2]), value: String(matcher[3]) });
    }
  }
  return found;
}

/** The label lists of every `by (...)` in an expression. */
export function groupingsIn(expr: string): string[][] {
  return [...withoutStrings(expr).matchAll(/\bby\s*\(([^)]*)\)/g)].map((m) => String(m[1]).split(',').map((l) => l.trim()).filter(Boolean));
}

/** Whether (), [] and {} open and close in order (outside string literals). */
export function bracketsBalance(expr: string): boolean {
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const char of withoutStrings(expr)) {
    if ('([{'.includes(char)) stack.push(char);
    else if (char in closing && stack.pop() !== closing[char]) return false;
  }
  return stack.length === 0;
}

/** The `{{ $labels.x }}` an alert's annotations use. */
export function templateLabelsIn(text: string): string[] {
  return [...text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => String(m[1]));
}
