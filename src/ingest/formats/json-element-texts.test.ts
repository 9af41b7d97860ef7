import { describe, expect, it } from 'vitest';
import { arrayElementTexts } from './json-element-texts.js';

describe('arrayElementTexts', () => {
  it('cuts an array into its elements as written, digits and escapes kept', () => {
    const text =
      ' [ {"flow_id": 1539072613142662123, "score": 1.10, "s": "a,\\"]}"} ,\n 7, "x\\\\" , [1, [2]], null,{} ] ';
    expect(arrayElementTexts(text)).toEqual([
      '{"flow_id": 1539072613142662123, "score": 1.10, "s": "a,\\"]}"}',
      '7',
      '"x\\\\"',
      '[1, [2]]',
      'null',
      '{}',
    ]);
    expect(arrayElementTexts('[]')).toEqual([]);
    expect(arrayElementTexts('[ \n ]')).toEqual([]);
  });

  it('gives each element of any JSON array the text that parses to it', () => {
    // Seeded, so a failure reproduces. Strings full of what a cut could trip on: quotes, escapes, brackets.
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const CHARS = ['a', ',', '"', '\\', '[', ']', '{', '}', ':', ' ', '\n', 'é', '😀', '\u2028'];
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? pick(['s', 'n', 'l']) : pick(['s', 'n', 'l', 'a', 'o']);
      if (kind === 's') return Array.from({ length: Math.floor(random() * 6) }, () => pick(CHARS)).join('');
      if (kind === 'n') return pick([0, -1.5, 1e21, 2 ** 53 + 2, 0.1]);
      if (kind === 'l') return pick([true, false, null]);
      const n = Math.floor(random() * 4);
      if (kind === 'a') return Array.from({ length: n }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: n }, (_, k) => [`${pick(CHARS)}${k}`, value(depth + 1)]),
      );
    };
    for (let run = 0; run < 2_000; run += 1) {
      const values = Array.from({ length: Math.floor(random() * 5) }, () => value(1));
      const text = JSON.stringify(values, null, pick([undefined, 2, '\t']));
      const texts = arrayElementTexts(text);
      expect(texts.map((t) => JSON.parse(t) as unknown)).toEqual(values);
    }
  });
});
