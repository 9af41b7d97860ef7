import { describe, expect, it } from 'vitest';
import { SyslogFrameDecoder } from './syslog-framing.js';

const decode = (chunks: string[], max?: number): { frames: string[]; errors: string[] } => {
  const frames: string[] = [];
  const errors: string[] = [];
  const d = new SyslogFrameDecoder(
    (f) => frames.push(f),
    (e) => errors.push(e),
    max,
  );
  for (const c of chunks) d.push(Buffer.from(c));
  d.end();
  return { frames, errors };
};

describe('SyslogFrameDecoder (RFC 6587)', () => {
  it('splits octet-counted frames across arbitrary chunk boundaries, counting bytes not characters', () => {
    const a = '<13>1 - h a - - - héllo';
    const b = '<13>1 - h a - - - second\nwith newline';
    const stream = `${Buffer.byteLength(a)} ${a}${Buffer.byteLength(b)} ${b}`;
    for (let cut = 1; cut < stream.length; cut += 7) {
      expect(decode([stream.slice(0, cut), stream.slice(cut)]).frames).toEqual([a, b]);
    }
  });

  it('splits newline-framed messages and keeps a last unterminated one', () => {
    expect(
      decode(['<13>Jan  1 00:00:00 h a: one\r\n<13>Jan  1 00:00:00 h', ' a: two\n\n<13>three']).frames,
    ).toEqual(['<13>Jan  1 00:00:00 h a: one', '<13>Jan  1 00:00:00 h a: two', '<13>three']);
  });

  it('skips frames over the limit and carries on with the next one', () => {
    const big = 'x'.repeat(100);
    const { frames, errors } = decode([`100 ${big}5 small`, `\n${'y'.repeat(80)}`, '\n<1>ok\n'], 50);
    expect(frames).toEqual(['small', '<1>ok']);
    expect(errors).toHaveLength(2);
  });

  it('reports an octet-counted frame cut short by the peer closing, and does not emit it', () => {
    const cut = '300 <13>Jan  1 00:00:00 fw CEF:0|Vendor|Prod|1|100|Blocked|8|src=10.0.0.1 msg=partial mess';
    expect(decode([`5 first${cut}`])).toEqual({
      frames: ['first'],
      errors: ['connection closed after 86 of the 300 bytes of a frame'],
    });
    expect(decode(['5 first12'])).toEqual({
      frames: ['first'],
      errors: ['connection closed inside an octet count'],
    });
  });

  it('reports and skips an LF line over the limit wherever the chunks split', () => {
    const stream = `<13>${'x'.repeat(100)}\n<1>ok\n<13>${'y'.repeat(60)}`;
    const whole = decode([stream], 50);
    expect(whole).toEqual({
      frames: ['<1>ok'],
      errors: ['line exceeds the 50-byte limit', 'line exceeds the 50-byte limit'],
    });
    for (let cut = 1; cut < stream.length; cut += 1) {
      expect(decode([stream.slice(0, cut), stream.slice(cut)], 50)).toEqual(whole);
    }
  });

  it('a line of exactly the limit is a message, one byte more is not', () => {
    const line = `<1>${'x'.repeat(47)}`;
    expect(decode([`${line}\n${line}x\n`], 50)).toEqual({
      frames: [line],
      errors: ['line exceeds the 50-byte limit'],
    });
  });
});
