import { describe, expect, it } from 'vitest';
import { lineToItems } from './line-items.js';

const kinds = (text: string): string[] => lineToItems({ line: 7, text }, 'auto').map((i) => i.kind);

describe('lineToItems, format auto', () => {
  it('reads objects and arrays of objects as JSON, whatever the spaces', () => {
    expect(kinds('{"title":"a"}')).toEqual(['json']);
    expect(kinds('  [ {"title":"a"}, {"title":"b"} ]')).toEqual(['json', 'json']);
    expect(kinds('[\t{"title":"a"}]')).toEqual(['json']);
  });

  it('reads a broken object or array of objects as malformed JSON, saying where', () => {
    expect(lineToItems({ line: 7, text: '[{"title":"a"' }, 'auto')).toEqual([
      { kind: 'invalid', line: 7, reason: 'malformed JSON at line 1, column 14: unexpected end of input' },
    ]);
    expect(kinds('[]')).toEqual(['invalid']);
  });

  it('reads a line that opens with a bracket but holds no object as text, as logs write it', () => {
    expect(kinds('[Thu Jan 01 00:00:00 2026] [error] [client 45.33.32.156] File does not exist')).toEqual([
      'text',
    ]);
    expect(kinds('[2026-01-01T00:00:00Z] sshd[42]: Failed password for root')).toEqual(['text']);
    expect(kinds('<13>Jan  1 00:00:00 host app: message')).toEqual(['text']);
  });

  it('reads every line as JSON when told the format is JSON', () => {
    expect(lineToItems({ line: 1, text: '[Thu Jan 01]' }, 'json')[0]?.kind).toBe('invalid');
  });
});
