/** Keys MongoDB would read as operators or paths: client values stored as they are (metadata, content) may not hold them. */

/**
 * The first key MongoDB would read as an operator or a path ("$…", "a.b", or holding a NUL), at any depth, or a
 * marker when the value nests deeper than `maxDepth`; undefined when every key is safe.
 */
export function unsafeKey(value: unknown, maxDepth: number, depth = 0): string | undefined {
  if (depth > maxDepth) return '(nesting too deep)';
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = unsafeKey(v, maxDepth, depth + 1);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('$') || k.includes('.') || k.includes('\0')) return k;
      const bad = unsafeKey(v, maxDepth, depth + 1);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}
