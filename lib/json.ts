/** Plain-object test and key-order-free JSON: the two JSON rules every layer shares (no imports, no I/O). */
export type Obj = Record<string, unknown>;

/** A JSON-style object: not null, not an array, not a Date. */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** JSON with every object's keys sorted, so two values that differ only in key order give the same string. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObj(v)) return v;
    // fromEntries defines own properties: assigning would turn a "__proto__" field into a prototype and drop it.
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]),
    );
  });
}
