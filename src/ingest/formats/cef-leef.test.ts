import { describe, expect, it } from 'vitest';
import { parseCef } from './cef.js';
import { FormatError } from './format-error.js';
import { parseLeef } from './leef.js';

describe('parseCef', () => {
  it('parses the header and an extension with spaces in values (ArcSight spec example)', () => {
    const e = parseCef(
      'Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed.',
    );
    expect(e).toMatchObject({
      version: 0,
      deviceVendor: 'Security',
      deviceProduct: 'threatmanager',
      deviceVersion: '1.0',
      signatureId: '100',
      name: 'worm successfully stopped',
      severity: '10',
    });
    expect(e.extension).toEqual({
      src: '10.0.0.1',
      dst: '2.1.2.2',
      spt: '1232',
      msg: 'Detected a threat. No action needed.',
    });
  });

  it('undoes header escapes \\| and \\\\ and extension escapes \\= \\\\ \\n', () => {
    const e = parseCef(
      'CEF:0|Vend\\|or|Prod\\\\uct|1|sig|name with \\| pipe|High|msg=a\\=b c\\\\d\\nnext cs1=x=y cs1Label=Query request=https://x.test/?a=1&b=2',
    );
    expect(e.deviceVendor).toBe('Vend|or');
    expect(e.deviceProduct).toBe('Prod\\uct');
    expect(e.name).toBe('name with | pipe');
    expect(e.extension).toEqual({
      msg: 'a=b c\\d\nnext',
      cs1: 'x=y',
      cs1Label: 'Query',
      request: 'https://x.test/?a=1&b=2',
    });
  });

  it('keeps an extension key named __proto__ like any other key', () => {
    const { extension } = parseCef('CEF:0|a|b|c|d|e|5|__proto__=1 b=2');
    expect(Object.keys(extension)).toEqual(['__proto__', 'b']);
    expect(extension['__proto__']).toBe('1');
    expect(JSON.stringify(extension)).toBe('{"__proto__":"1","b":"2"}');
    expect(Object.keys({ ...extension })).toEqual(['__proto__', 'b']);
  });

  it('rejects a short header and a bad version, saying where', () => {
    expect(() => parseCef('CEF:0|a|b|c')).toThrow(FormatError);
    expect(() => parseCef('CEF:x|a|b|c|d|e|f|')).toThrow(/version "x"/);
    expect(() => parseCef('no cef here')).toThrow(/no "CEF:" prefix/);
  });
});

describe('parseLeef', () => {
  it('parses LEEF 1.0 with tab-separated attributes', () => {
    const e = parseLeef(
      'LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tmsg=a \\= b',
    );
    expect(e).toMatchObject({
      version: '1.0',
      vendor: 'Microsoft',
      product: 'MSExchange',
      productVersion: '4.0 SP1',
      eventId: '15345',
    });
    expect(e.attributes).toEqual({
      src: '192.0.2.0',
      dst: '172.50.123.1',
      sev: '5',
      cat: 'anomaly',
      msg: 'a = b',
    });
  });

  it('parses LEEF 2.0 with a hex delimiter and escaped delimiters and pipes', () => {
    const e = parseLeef(
      'LEEF:2.0|Lancope|Stealth\\|Watch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^msg=x\\^y\\\\z^usrName=bob',
    );
    expect(e.product).toBe('Stealth|Watch');
    expect(e.attributes).toEqual({ src: '10.0.1.8', dst: '10.0.0.5', msg: 'x^y\\z', usrName: 'bob' });
    const hex = parseLeef('LEEF:2.0|V|P|1|id|x5E|a=1^b=2');
    expect(hex.attributes).toEqual({ a: '1', b: '2' });
  });

  it('keeps an attribute key named __proto__ like any other key', () => {
    const { attributes } = parseLeef('LEEF:1.0|V|P|1|E|__proto__=1\tsrc=1.2.3.4');
    expect(Object.keys(attributes)).toEqual(['__proto__', 'src']);
    expect(attributes['__proto__']).toBe('1');
    expect(JSON.stringify(attributes)).toBe('{"__proto__":"1","src":"1.2.3.4"}');
    expect(Object.keys({ ...attributes })).toEqual(['__proto__', 'src']);
  });

  it('rejects an unknown version', () => {
    expect(() => parseLeef('LEEF:9|a|b|c|d|')).toThrow(/unsupported LEEF version/);
  });
});
