import { describe, expect, it } from 'vitest';
import { indentJson, jsonMemberText } from './json-text.js';

describe('jsonMemberText', () => {
  it('returns a member value as written, 64-bit integers and all', () => {
    const text = '{"id":"a","n":{"x":"}\\"]"},"raw":{"flow_id":1539072613142662123,"v":1.10,"s":"a,b"}}';
    expect(jsonMemberText(text, 'raw')).toBe('{"flow_id":1539072613142662123,"v":1.10,"s":"a,b"}');
    expect(jsonMemberText(text, 'id')).toBe('"a"');
    expect(jsonMemberText(text, 'missing')).toBeUndefined();
  });

  it('reads spaced text, scalars and arrays, and takes the last of a repeated member', () => {
    expect(jsonMemberText(' { "raw" : [1, 2] , "b": null } ', 'raw')).toBe('[1, 2]');
    expect(jsonMemberText('{"raw":12345678901234567890}', 'raw')).toBe('12345678901234567890');
    expect(jsonMemberText('{"raw":1,"raw":2}', 'raw')).toBe('2');
    expect(jsonMemberText('[1]', 'raw')).toBeUndefined();
  });
});

describe('indentJson', () => {
  it('indents without touching numbers or strings', () => {
    expect(indentJson('{"a":1539072613142662123,"b":[],"c":{"d":"x, {y}: z","e":[1.10,true]}}')).toBe(
      [
        '{',
        '  "a": 1539072613142662123,',
        '  "b": [],',
        '  "c": {',
        '    "d": "x, {y}: z",',
        '    "e": [',
        '      1.10,',
        '      true',
        '    ]',
        '  }',
        '}',
      ].join('\n'),
    );
  });
});
