/** Parses a storage connection string, `Key=Value;...` (keys case-insensitive, lower-cased in the map). */
export function parseConnectionString(connectionString: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const piece of connectionString.split(';')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    parts.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  return parts;
}
