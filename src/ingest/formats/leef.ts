import { splitEscaped } from './cef.js';
import { FormatError } from './format-error.js';

/** A LEEF 1.0 or 2.0 event (IBM QRadar's format). */
export interface LeefEvent {
  version: string;
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  /** Key → value; no prototype, so a key such as `__proto__` is kept like any other. */
  attributes: Record<string, string>;
}

/**
 * Parses `LEEF:1.0|vendor|product|version|eventId|k=v<TAB>k=v` and LEEF 2.0, whose sixth header field names
 * the attribute delimiter (a character, or its hex code `x5E` / `0x5E`; tab when empty). Header fields undo
 * `\|` and `\\`; attribute values undo `\=`, `\\` and an escaped delimiter.
 */
export function parseLeef(input: string): LeefEvent {
  const start = input.indexOf('LEEF:');
  if (start < 0) throw new FormatError('not a LEEF record: no "LEEF:" prefix', { column: 1 });
  const body = input.slice(start + 5).replace(/\r?\n$/, '');
  const versionEnd = body.indexOf('|');
  const version = body.slice(0, versionEnd).trim();
  if (versionEnd < 0 || !/^[12](\.\d)?$/.test(version)) {
    throw new FormatError(`unsupported LEEF version "${body.slice(0, Math.max(versionEnd, 0))}"`, {
      column: start + 6,
    });
  }
  const isV2 = version.startsWith('2');
  const header = splitEscaped(body, '|', isV2 ? 6 : 5);
  const header2 = isV2 ? (header ?? splitEscaped(`${body}|`, '|', 6)) : header;
  if (!header2) {
    throw new FormatError(`a LEEF ${version} header has ${isV2 ? 6 : 5} "|"-separated fields`, {
      column: start + 6,
    });
  }
  const [, vendor = '', product = '', productVersion = '', eventId = '', delimField = ''] = header2.parts;
  let delimiter = '\t';
  if (isV2 && delimField !== '') {
    const hex = /^(?:0?x)([0-9a-f]{1,4})$/i.exec(delimField);
    delimiter = hex ? String.fromCharCode(parseInt(hex[1] ?? '9', 16)) : delimField;
    if (delimiter.length !== 1) {
      throw new FormatError(`LEEF 2.0 delimiter "${delimField}" is not one character`, { column: start + 6 });
    }
  }
  const attrText = header2.restStart <= body.length ? body.slice(header2.restStart) : '';
  return {
    version,
    vendor,
    product,
    productVersion,
    eventId,
    attributes: parseAttributes(attrText, delimiter),
  };
}

function parseAttributes(text: string, delimiter: string): Record<string, string> {
  // No prototype: `out.__proto__ = v` on a plain object would set its prototype and drop the key.
  const out = Object.create(null) as Record<string, string>;
  let key = '';
  let value = '';
  let inValue = false;
  const flush = (): void => {
    const k = key.trim();
    if (k !== '') out[k] = value;
    key = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] ?? '';
    const next = text[i + 1];
    if (
      c === '\\' &&
      next !== undefined &&
      (next === '=' || next === '\\' || next === delimiter || next === '|')
    ) {
      if (inValue) value += next;
      else key += next;
      i += 1;
      continue;
    }
    if (c === delimiter) {
      flush();
      continue;
    }
    if (c === '=' && !inValue) {
      inValue = true;
      continue;
    }
    if (inValue) value += c;
    else key += c;
  }
  flush();
  return out;
}
