import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  detectInputKind,
  MAX_ALERT_BYTES,
  readDocument,
  untilStopped,
  type DocumentRecord,
} from '../../src/cli/commands/ingest-input.js';
import { decodeUtf8 } from '../../src/ingest/formats/ndjson-lines.js';

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** How the text is read, the same in chunks of any size; and its bytes all given back after the decision. */
async function kindOf(text: string | Buffer): Promise<string> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const kinds = new Set<string>();
  for (const size of [1, 7, 4096, 65_536]) {
    if (size === 1 && bytes.length > 10_000) continue;
    const { kind, chunks } = await detectInputKind(chunksOf(bytes, size));
    expect(Buffer.concat(await collect(chunks)).equals(bytes)).toBe(true);
    kinds.add(kind);
  }
  expect(kinds.size).toBe(1);
  return [...kinds][0] as string;
}

const alert = (i: number): string => JSON.stringify({ title: `alert ${i}`, severity: 'high', id: `a${i}` });
const ndjson = (n: number): string => Array.from({ length: n }, (_, i) => `${alert(i)}\n`).join('');

describe('detectInputKind', () => {
  it('reads lines when each line holds its own value, or the first breaks off on its line', async () => {
    expect(await kindOf(ndjson(5))).toBe('lines');
    // NDJSON whose first line was cut short, in a string or after a comma: the next line is JSON of its own.
    expect(await kindOf(`{"title": "alert 0", "sev\n${ndjson(5)}`)).toBe('lines');
    expect(await kindOf(`{"title": "alert 0",\n${ndjson(5)}`)).toBe('lines');
    expect(await kindOf(`[{"title": "alert 0"},\n${ndjson(5)}`)).toBe('lines');
    // JSON arrays, one a line; a first line longer than 64 KiB.
    expect(await kindOf(`[${alert(1)}]\n[${alert(2)}, ${alert(3)}]\n`)).toBe('lines');
    expect(await kindOf(`{"pad": "${'x'.repeat(70_000)}"}\n${ndjson(3)}`)).toBe('lines');
    // Text lines that open with "[", syslog, and nothing at all.
    expect(await kindOf('[Sun Dec 04 04:47:44 2005] [error] mod_jk child\n[Sun Dec 04] [notice] x\n')).toBe(
      'lines',
    );
    expect(await kindOf('[1702000000] started\n')).toBe('lines');
    expect(await kindOf('<13>Jan  1 00:00:00 h su: hello\n')).toBe('lines');
    expect(await kindOf('')).toBe('lines');
    expect(await kindOf('\n\n  \n')).toBe('lines');
  });

  it('reads a JSON value that runs on past its first line as a document, broken or not', async () => {
    const pretty = JSON.stringify(
      Array.from({ length: 3 }, (_, i) => JSON.parse(alert(i)) as unknown),
      null,
      2,
    );
    expect(await kindOf(pretty)).toBe('document');
    expect(await kindOf(`\ufeff${pretty}`)).toBe('document');
    expect(await kindOf(`{\n  "title": "one",\n  "severity": "low"\n}\n`)).toBe('document');
    expect(await kindOf(`[${alert(1)},\n${alert(2)}]\n`)).toBe('document');
    expect(await kindOf('[\n]\n')).toBe('document');
    expect(await kindOf(`[\n${alert(1)}\n]\n`)).toBe('document');
    // Cut short, or wrong within its first element (a comma too many): still a document, broken there.
    expect(await kindOf(pretty.slice(0, pretty.length - 30))).toBe('document');
    expect(await kindOf('[\n  {\n    "title": "x",\n  },\n  {"title": "y"}\n]')).toBe('document');
    // One line too long to be read as a line: a document, even broken off.
    const long = `[${Array.from({ length: 20_000 }, (_, i) => alert(i)).join(',')}`;
    expect(long.length).toBeGreaterThan(MAX_ALERT_BYTES);
    expect(await kindOf(long)).toBe('document');
  });

  it('gives back what it read, then fails where the reading failed', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${alert(1)}\n{"title": "cut`);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const { kind, chunks } = await detectInputKind(failing());
    expect(kind).toBe('lines');
    const seen: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of chunks) seen.push(chunk);
      })(),
    ).rejects.toThrow('EIO');
    expect(Buffer.concat(seen).toString()).toBe(`${alert(1)}\n{"title": "cut`);
  });
});

describe('readDocument', () => {
  const read = async (text: string | Buffer): Promise<DocumentRecord[]> =>
    collect(readDocument(chunksOf(typeof text === 'string' ? Buffer.from(text) : text, 5)));

  it('gives each item with the lines it spans, an item that cannot be one as an error, and where it breaks', async () => {
    const records = await read(
      Buffer.concat([
        Buffer.from(`[\n  ${alert(0)},\n  {"title": "caf`),
        Buffer.from([0xe9]),
        Buffer.from(
          `"},\n  {"pad": "${'x'.repeat(MAX_ALERT_BYTES)}"},\n  {\n    "title": "four"\n  },\n  {"ti`,
        ),
      ]),
    );
    expect(records).toEqual([
      { line: 2, endLine: 2, value: JSON.parse(alert(0)), text: alert(0) },
      { line: 3, endLine: 3, error: 'not valid UTF-8' },
      { line: 4, endLine: 4, error: `longer than ${MAX_ALERT_BYTES} bytes` },
      { line: 5, endLine: 7, value: { title: 'four' }, text: '{\n    "title": "four"\n  }' },
      { line: 8, broken: 'malformed JSON at column 7: unexpected end of input' },
    ]);
  });

  it('stops reading at the break', async () => {
    let chunksRead = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from(`[${alert(0)}, oops`);
      for (;;) {
        chunksRead += 1;
        yield Buffer.from(`, ${alert(1)}`);
      }
    }
    const records = await collect(readDocument(endless()));
    expect(records.at(-1)).toEqual({ line: 1, broken: 'malformed JSON at column 51: unexpected "o"' });
    expect(chunksRead).toBeLessThan(2);
  });
});

describe('untilStopped', () => {
  it('keeps a read error for the summary and ends the records as if the input did', async () => {
    async function* lines(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      throw new Error('EACCES: permission denied');
    }
    const failure: { error?: unknown } = {};
    expect(await collect(untilStopped(lines(), new AbortController().signal, failure))).toEqual([1, 2]);
    expect(String(failure.error)).toMatch(/EACCES/);
  });

  it('gives nothing more once aborted, and no error for the reading it cut', async () => {
    const interrupt = new AbortController();
    async function* lines(): AsyncGenerator<number> {
      yield 1;
      interrupt.abort();
      yield 2;
      throw new Error('aborted');
    }
    const failure: { error?: unknown } = {};
    expect(await collect(untilStopped(lines(), interrupt.signal, failure))).toEqual([1]);
    expect(failure.error).toBeUndefined();
  });
});

describe('decodeUtf8', () => {
  afterEach(() => vi.restoreAllMocks());

  it('says a body is not UTF-8 only when it is not, and throws other failures', () => {
    expect(decodeUtf8(Buffer.from([0x61, 0xe9]))).toBeUndefined();
    expect(decodeUtf8(Buffer.from('café'))).toBe('café');
    // What V8 throws for a body of more than ~512 MiB, without making one.
    vi.spyOn(TextDecoder.prototype, 'decode').mockImplementation(() => {
      throw Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), {
        code: 'ERR_STRING_TOO_LONG',
      });
    });
    expect(() => decodeUtf8(Buffer.from('[]'))).toThrow(/longer than/);
  });
});
