/** stableJson (lib/json.ts): key order never matters, every own key is kept. */
import { describe, expect, it } from 'vitest';
import { stableJson } from '#lib/json.js';

describe('stableJson', () => {
  it('gives the same string for values that differ only in key order, at any depth', () => {
    const a = JSON.parse('{"b":1,"a":[{"d":{"y":2,"x":1},"c":null}],"$date":{"$numberLong":"5"}}');
    const b = JSON.parse('{"$date":{"$numberLong":"5"},"a":[{"c":null,"d":{"x":1,"y":2}}],"b":1}');
    expect(stableJson(a)).toBe('{"$date":{"$numberLong":"5"},"a":[{"c":null,"d":{"x":1,"y":2}}],"b":1}');
    expect(stableJson(b)).toBe(stableJson(a));
    expect(stableJson({ a: [2, 1] })).not.toBe(stableJson({ a: [1, 2] }));
  });

  it('keeps a field named __proto__ (MongoDB documents and parsed JSON may hold one)', () => {
    const withProto = JSON.parse('{"b":1,"__proto__":{"x":1}}');
    expect(stableJson(withProto)).toBe('{"__proto__":{"x":1},"b":1}');
    expect(stableJson(withProto)).not.toBe(stableJson(JSON.parse('{"b":1,"__proto__":{"x":2}}')));
  });
});
