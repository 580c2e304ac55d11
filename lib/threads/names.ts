export const MAX_NAME_CHARS = 100;

/**
 * Trims a thread name and cuts it to 100 characters (code points, as PostgreSQL's VARCHAR(100) counts them),
 * so a surrogate pair is never split. Returns '' for a blank name.
 */
export function normaliseName(raw: string): string {
  const trimmed = raw.trim();
  const chars = Array.from(trimmed);
  return chars.length <= MAX_NAME_CHARS ? trimmed : chars.slice(0, MAX_NAME_CHARS).join('').trimEnd();
}
