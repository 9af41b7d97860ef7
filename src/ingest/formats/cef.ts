import { FormatError } from './format-error.js';

/** A CEF event: the seven header fields and the extension's key=value pairs, escapes undone. */
export interface CefEvent {
  version: number;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  /** Key → value; no prototype, so a key such as `__proto__` is kept like any other. */
  extension: Record<string, string>;
}

/**
 * Splits `text` on unescaped `sep`, undoing `\sep` and `\\` in each part. Stops after `max` parts and returns
 * where the rest starts, so the extension (which has its own rules) is left untouched.
 */
export function splitEscaped(
  text: string,
  sep: string,
  max: number,
): { parts: string[]; restStart: number } | undefined {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === sep || text[i + 1] === '\\')) {
      cur += text[i + 1];
      i += 1;
      continue;
    }
    if (c === sep) {
      parts.push(cur);
      cur = '';
      if (parts.length === max) return { parts, restStart: i + 1 };
      continue;
    }
    cur += c;
  }
  return undefined;
}

/**
 * Parses a CEF record (`CEF:0|vendor|product|version|signature|name|severity|ext`), alone or after a syslog
 * header. Header fields undo `\|` and `\\`; extension values undo `\=`, `\\`, `\n` and `\r` and may contain
 * spaces: a value runs until the next ` key=` whose `=` is not escaped.
 */
export function parseCef(input: string): CefEvent {
  const start = input.indexOf('CEF:');
  if (start < 0) throw new FormatError('not a CEF record: no "CEF:" prefix', { column: 1 });
  const body = input.slice(start + 4).replace(/\r?\n$/, '');
  const header = splitEscaped(body, '|', 7);
  if (!header) {
    throw new FormatError('a CEF header has 7 "|"-separated fields before the extension', {
      column: start + 5,
    });
  }
  const [
    version = '',
    deviceVendor = '',
    deviceProduct = '',
    deviceVersion = '',
    signatureId = '',
    name = '',
    severity = '',
  ] = header.parts;
  if (!/^\d+$/.test(version.trim())) {
    throw new FormatError(`CEF version "${version}" is not a number`, { column: start + 5 });
  }
  const extension = parseCefExtension(body.slice(header.restStart), start + 4 + header.restStart);
  return {
    version: Number(version.trim()),
    deviceVendor,
    deviceProduct,
    deviceVersion,
    signatureId,
    name,
    severity: severity.trim(),
    extension,
  };
}

const KEY = /^[A-Za-z0-9_.[\]-]+$/;

/** The extension part of CEF; `base` is its offset in the input, for error columns. */
export function parseCefExtension(ext: string, base = 0): Record<string, string> {
  // No prototype: `out.__proto__ = v` on a plain object would set its prototype and drop the key.
  const out = Object.create(null) as Record<string, string>;
  // Positions of unescaped '=' (an escaped one is preceded by an odd run of backslashes).
  const equals: number[] = [];
  for (let i = 0; i < ext.length; i += 1) {
    if (ext[i] === '\\') {
      i += 1;
      continue;
    }
    if (ext[i] === '=') equals.push(i);
  }
  const keys: Array<{ key: string; keyStart: number; valueStart: number }> = [];
  for (const eq of equals) {
    let k = eq;
    while (k > 0 && !/\s/.test(ext[k - 1] ?? '')) k -= 1;
    const key = ext.slice(k, eq);
    // An '=' inside a value (URL query strings) is not a key unless it follows a space and a valid key.
    if (KEY.test(key) && (k === 0 || /\s/.test(ext[k - 1] ?? '')))
      keys.push({ key, keyStart: k, valueStart: eq + 1 });
  }
  if (keys.length === 0) {
    if (ext.trim() !== '') throw new FormatError('CEF extension has no key=value pair', { column: base + 1 });
    return out;
  }
  if (ext.slice(0, keys[0]?.keyStart).trim() !== '') {
    throw new FormatError('CEF extension starts with text that is not key=value', { column: base + 1 });
  }
  keys.forEach((k, i) => {
    const next = keys[i + 1];
    const raw = ext.slice(k.valueStart, next ? next.keyStart : ext.length).replace(/\s+$/, '');
    out[k.key] = unescapeCefValue(raw);
  });
  return out;
}

function unescapeCefValue(raw: string): string {
  return raw.replace(/\\([\\=nr|])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}
