import { jsonErrorOffset } from './json-error-position.js';

/** One line of a newline-delimited body: its text, or why it cannot be read. Lines count from 1. */
export type LineRecord = { line: number; text: string } | { line: number; error: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream into lines without holding more than one line in memory. A line that is not valid
 * UTF-8, or longer than `maxLineBytes` (skipped to its end), comes out as an error for that line only.
 * Blank lines are skipped but counted.
 */
export async function* readLines(
  stream: AsyncIterable<Buffer | string>,
  options: { maxLineBytes: number },
): AsyncGenerator<LineRecord> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let overflow = false;
  const finish = (parts: Buffer[]): LineRecord | undefined => {
    line += 1;
    if (overflow) {
      overflow = false;
      return { line, error: `line is longer than ${options.maxLineBytes} bytes` };
    }
    let buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    if (line === 1 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    const text = decodeUtf8(buf);
    if (text === undefined) return { line, error: 'not valid UTF-8' };
    return text.trim() === '' ? undefined : { line, text };
  };
  for await (const chunk of stream) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (;;) {
      const lf = buf.indexOf(0x0a);
      if (lf < 0) break;
      const head = buf.subarray(0, lf);
      // The line's length leaves out its terminator, CR LF as well as LF.
      const last = head.length > 0 ? head[head.length - 1] : pending[pending.length - 1]?.at(-1);
      const length = pendingBytes + head.length - (last === 0x0d ? 1 : 0);
      if (!overflow && length > options.maxLineBytes) overflow = true;
      const rec = finish(overflow ? [] : [...pending, head]);
      pending = [];
      pendingBytes = 0;
      if (rec) yield rec;
      buf = buf.subarray(lf + 1);
    }
    if (buf.length > 0 && !overflow) {
      pending.push(buf);
      pendingBytes += buf.length;
      // One byte more may be the CR of a CR LF, not part of the line: decided when the LF comes.
      if (pendingBytes > options.maxLineBytes + 1) {
        overflow = true;
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pending.length > 0 || overflow) {
    const last = pending[pending.length - 1]?.at(-1);
    if (pendingBytes - (last === 0x0d ? 1 : 0) > options.maxLineBytes) overflow = true;
    const rec = finish(pending);
    if (rec) yield rec;
  }
}

/** Parses JSON text, reporting a syntax error with its line and column. */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const at = jsonErrorOffset(text);
    if (at < 0)
      return { ok: false, error: `malformed JSON: ${err instanceof Error ? err.message : String(err)}` };
    const before = text.slice(0, at);
    const ln = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    const found = at >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[at])}`;
    return { ok: false, error: `malformed JSON at line ${ln}, column ${col}: ${found}` };
  }
}

/**
 * Decodes a whole body as strict UTF-8; undefined when it is not. Any other failure is thrown: a body too
 * large for one string (V8's limit, ~512 MiB) is not a bad byte.
 */
export function decodeUtf8(body: Buffer): string | undefined {
  try {
    return decoder.decode(body);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') return undefined;
    throw err;
  }
}
