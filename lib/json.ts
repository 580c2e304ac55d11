/** Plain-object test and key-order-free JSON: the two JSON rules every layer shares (no imports, no I/O). */
export type Obj = Record<string, unknown>;

/** A JSON-style object: not null, not an array, not a Date. */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** JSON with every object's keys sorted, so two values that differ only in key order give the same string. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObj(v)) return v;
    const sorted: Obj = {};
    for (const k of Object.keys(v).sort()) sorted[k] = v[k];
    return sorted;
  });
}
