import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../src/app/ingest/map-item.js';

/** `depth` levels of objects (or arrays), the innermost holding a scalar. */
const nested = (depth: number, kind: 'object' | 'array'): unknown => {
  let value: unknown = 'leaf';
  for (let d = 0; d < depth; d += 1) value = kind === 'object' ? { a: 1, next: value } : [1, value];
  return value;
};

describe('JSON nesting limit', () => {
  it('refuses one level past the limit, in objects, arrays and a mix, and takes the limit itself', () => {
    for (const kind of ['object', 'array'] as const) {
      expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH, kind), MAX_JSON_DEPTH)).toBe(false);
      expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1, kind), MAX_JSON_DEPTH)).toBe(true);
    }
    const mixed = {
      wide: Array.from({ length: 1_000 }, (_, i) => ({ i })),
      deep: [nested(MAX_JSON_DEPTH - 1, 'object')],
    };
    expect(jsonDepthExceeds(mixed, MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds({ deep: nested(MAX_JSON_DEPTH - 1, 'array') }, MAX_JSON_DEPTH)).toBe(false);
    for (const scalar of [null, 1, 'x', true]) expect(jsonDepthExceeds(scalar, 0)).toBe(false);
  });

  it('answers for nesting far past the limit without running out of stack', () => {
    expect(jsonDepthExceeds(nested(1_000_000, 'array'), MAX_JSON_DEPTH)).toBe(true);
  });
});
