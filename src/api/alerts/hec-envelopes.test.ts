import { describe, expect, it } from 'vitest';
import { readHecEnvelopes } from './hec-envelopes.js';

const read = (body: string) => [...readHecEnvelopes(body)];

describe('readHecEnvelopes', () => {
  it('cuts envelopes sent back to back, brackets and escaped quotes inside strings included', () => {
    const first = String.raw`{"event":"a \"}{\" b\\","host":"h"}`;
    const second = '{"time":"1700000000.5","event":{"k":["}",{"x":1}]}}';
    const envelopes = read(`\uFEFF${first}${second}\r\n\t{"event":{"n":3}}  `);
    expect(envelopes.map((e) => ('text' in e ? e.text : e))).toEqual([first, second, '{"event":{"n":3}}']);
    expect(envelopes[0]).toMatchObject({ index: 0, event: 'a "}{" b\\' });
    expect(envelopes[1]).toMatchObject({
      index: 1,
      timeMs: 1_700_000_000_500,
      event: { k: ['}', { x: 1 }] },
    });
    expect(envelopes[2]).not.toHaveProperty('timeMs');
  });

  it('stops at the first envelope that is not one, after yielding those before it', () => {
    expect(read('{"event":1} 42 {"event":2}')).toEqual([
      expect.objectContaining({ index: 0 }),
      { index: 1, code: 6, reason: expect.stringContaining('JSON object') },
    ]);
    expect(read('{"event":"x"}{"event":"unterminated}')).toMatchObject([{ index: 0 }, { index: 1, code: 6 }]);
    expect(read('{"event":"x",}')).toMatchObject([
      { index: 0, code: 6, reason: expect.stringMatching(/JSON/) },
    ]);
    expect(read('{"fields":{}}')).toMatchObject([{ index: 0, code: 12 }]);
    expect(read('{"event":"  "}')).toMatchObject([{ index: 0, code: 13 }]);
    expect(read('{"event":"x","time":-1}')).toMatchObject([{ index: 0, code: 6 }]);
    expect(read('  \n')).toEqual([]);
  });
});
