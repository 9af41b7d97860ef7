import { describe, expect, it } from 'vitest';
import { ipv4Scope, parseIpv4 } from './ip-address.js';
import { refang } from './refang.js';

/** refang as it was before its pre-check: every pattern, always. */
const refangEveryPattern = (text: string): string =>
  text
    .replace(/\bhxxp(s?)(\[:\]|:)\/\//gi, (_m, s: string) => `http${s.toLowerCase()}://`)
    .replace(/\bhxxp(s?)\b/gi, (_m, s: string) => `http${s.toLowerCase()}`)
    .replace(/\bmeow(s?):\/\//gi, (_m, s: string) => `http${s.toLowerCase()}://`)
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[:\]/g, ':')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}/gi, '.')
    .replace(/\[@\]|\(@\)|\[at\]|\(at\)/gi, '@');

/** parseIpv4 as it was before it read characters: a split and a regular expression per octet. */
const parseIpv4BySplit = (text: string): number[] | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
};

/** ipv4Scope as it was before its blocks were precomputed. */
const scopeByOctets = (o: number[]): string => {
  const int = (x: readonly number[]): number =>
    (((x[0] ?? 0) << 24) | ((x[1] ?? 0) << 16) | ((x[2] ?? 0) << 8) | (x[3] ?? 0)) >>> 0;
  const inBlock = (base: number[], bits: number): boolean => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (int(o) & mask) >>> 0 === (int(base) & mask) >>> 0;
  };
  const priv: Array<[number[], number]> = [
    [[10, 0, 0, 0], 8],
    [[172, 16, 0, 0], 12],
    [[192, 168, 0, 0], 16],
  ];
  const reserved: Array<[number[], number]> = [
    [[0, 0, 0, 0], 8],
    [[100, 64, 0, 0], 10],
    [[127, 0, 0, 0], 8],
    [[169, 254, 0, 0], 16],
    [[192, 0, 0, 0], 24],
    [[192, 0, 2, 0], 24],
    [[198, 18, 0, 0], 15],
    [[198, 51, 100, 0], 24],
    [[203, 0, 113, 0], 24],
    [[224, 0, 0, 0], 4],
    [[240, 0, 0, 0], 4],
  ];
  if (priv.some(([b, n]) => inBlock(b, n))) return 'private';
  if (reserved.some(([b, n]) => inBlock(b, n))) return 'reserved';
  return 'public';
};

/** A seeded generator, so a failure reproduces. */
const rng = (seed: number) => () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const PIECES = [
  'hxxp://',
  'hXXps[:]//',
  'meows://',
  '[.]',
  '(dot)',
  '{.}',
  '[@]',
  '(at)',
  '[://]',
  '[:]',
  'HXXP',
  'a',
  '.',
  ' ',
  '(',
  '[',
  '{',
  ']',
  ')',
  'x.com',
  '1.2.3.4',
];

describe('fast paths of observable normalisation', () => {
  it('refang gives what every pattern gives, for any text', () => {
    const r = rng(42);
    for (let i = 0; i < 5_000; i += 1) {
      const text = Array.from(
        { length: Math.floor(r() * 8) },
        () => PIECES[Math.floor(r() * PIECES.length)],
      ).join('');
      expect(refang(text)).toBe(refangEveryPattern(text));
    }
  });

  it('parseIpv4 reads what the split-and-match parser read, and refuses what it refused', () => {
    const r = rng(11);
    const chars = [
      '0',
      '1',
      '2',
      '5',
      '9',
      '.',
      '.',
      '25',
      '255',
      '256',
      '00',
      '01',
      '999',
      ' ',
      'a',
      ':',
      '-',
      '١',
    ];
    const texts = ['1.2.3.4', '0.0.0.0', '255.255.255.255', '10.0.0.01', '1.2.3', '1.2.3.4.', '.1.2.3', ''];
    for (let i = 0; i < 20_000; i += 1)
      texts.push(
        Array.from({ length: 1 + Math.floor(r() * 12) }, () => chars[Math.floor(r() * chars.length)]).join(
          '',
        ),
      );
    for (let i = 0; i < 5_000; i += 1)
      texts.push(Array.from({ length: 4 }, () => String(Math.floor(r() * 300))).join('.'));
    for (const text of texts) expect(parseIpv4(text), text).toEqual(parseIpv4BySplit(text));
  });

  it('ipv4Scope gives what the block-by-block check gives, edges included', () => {
    const r = rng(7);
    const edges = [
      0, 1, 9, 10, 11, 15, 16, 31, 32, 63, 64, 99, 100, 113, 126, 127, 128, 167, 168, 169, 171, 172, 191, 192,
      197, 198, 199, 203, 223, 224, 239, 240, 254, 255,
    ];
    const octet = (): number =>
      r() < 0.5 ? Math.floor(r() * 256) : (edges[Math.floor(r() * edges.length)] as number);
    for (let i = 0; i < 20_000; i += 1) {
      const o = [octet(), octet(), octet(), octet()];
      expect(ipv4Scope(o)).toBe(scopeByOctets(o));
    }
  });
});
