import { createReadStream, statSync } from 'node:fs';
import { addAbortSignal, pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decodeUtf8, parseJsonText } from '../../ingest/formats/ndjson-lines.js';
import { JsonDocumentScanner, type JsonScanEvent } from '../../ingest/formats/json-document-scanner.js';

/** Longest line, and largest item of a JSON document, read as one alert: a longer one is rejected alone. */
export const MAX_ALERT_BYTES = 1024 * 1024;

/** How an input is read: line by line (NDJSON, syslog, CEF, LEEF), or as JSON text spread over lines. */
export type InputKind = 'lines' | 'document';

/** A file's name as the summary shows it; "-" is standard input. */
export const inputName = (file: string): string => (file === '-' ? 'stdin' : file);

/** The size of a regular file, for the progress bar; 0 for standard input, pipes and what cannot be read. */
export function regularFileSize(file: string): number {
  if (file === '-') return 0;
  try {
    const stat = statSync(file);
    return stat.isFile() ? stat.size : 0;
  } catch {
    return 0;
  }
}

/**
 * The bytes of a file, or of standard input for "-", read front to back without seeking, so pipes and
 * FIFOs read as files do. Aborting `signal` ends the reading (a read that waits on stdin too). A file that
 * cannot be opened or read fails the iteration with the system's error.
 */
export async function* readInput(
  file: string,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): AsyncGenerator<Buffer> {
  const stream = file === '-' ? addAbortSignal(signal, process.stdin) : createReadStream(file, { signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** The two bytes every gzip file opens with (RFC 1952, 2.3.1). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * The bytes of an input, decompressed when they are gzip (known by their first two bytes, not by a file
 * name: `alerts.ndjson.gz`, rotated logs and `… | riposte ingest -` alike), else as they are. Members one
 * after another (`cat a.gz b.gz`) read as one. Bytes that stop being gzip fail the reading with an error
 * that says so, after what was whole.
 */
export async function* gunzipIfCompressed(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const source = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  // A pipe may hand over a single byte first.
  while (head.length < GZIP_MAGIC.length) {
    const next = await source.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  /** What reading the input failed with, told apart from the decompressor's errors. */
  let readFailure: unknown;
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        yield next.value;
      }
    } catch (err) {
      readFailure = err;
      throw err;
    } finally {
      await source.return?.();
    }
  }
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  // A failed read destroys the decompressor with its error, which the loop below then throws as it is.
  pipeline(Readable.from(all()), gunzip, () => undefined);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    if (err === readFailure) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`not valid gzip: ${why}`, { cause: err });
  } finally {
    gunzip.destroy();
  }
}

/**
 * Decides how an input is read from its first bytes, and gives them back followed by the rest. It is a JSON
 * document when it opens with `[` or `{` and that value runs on past its first line, as pretty-printed JSON
 * or an array of one element a line does: seen by a `,` or the closing bracket of the outer value on a
 * later line, or by the value ending there. NDJSON never does (each value is on its line, JSON arrays
 * included), nor do text lines that open with `[`: their first line holds a whole value or breaks off
 * within it. Two more cases: a first line longer than `MAX_ALERT_BYTES` that is still JSON is one huge
 * document, since as a line it could only be rejected; and a value broken on a later line before any such
 * sign is NDJSON whose first line was cut short when the next line is a JSON object or array of its own,
 * else a document broken early. No more than `MAX_ALERT_BYTES` (and a chunk) is held to decide; past that,
 * it is a document.
 */
export async function detectInputKind(
  chunks: AsyncIterable<Buffer>,
): Promise<{ kind: InputKind; chunks: AsyncIterable<Buffer> }> {
  const source = chunks[Symbol.asyncIterator]();
  // The decision needs only the events: no item's bytes are kept.
  const scanner = new JsonDocumentScanner(0);
  const seen: Buffer[] = [];
  let seenBytes = 0;
  let startLine = 0;
  /** Broken on a later line before any sign of a document: the line after the first one decides. */
  let brokenLater = false;
  const decide = (events: JsonScanEvent[], ended: boolean): InputKind | undefined => {
    for (const event of events) {
      if (event.offset > MAX_ALERT_BYTES) return 'document';
      switch (event.kind) {
        case 'start':
          if (event.byte !== 0x5b && event.byte !== 0x7b) return 'lines';
          startLine = event.line;
          break;
        case 'end':
          return event.line === startLine ? 'lines' : 'document';
        case 'boundary':
          if (event.line > startLine) return 'document';
          break;
        case 'error':
          if (event.line === startLine) return 'lines';
          brokenLater = true;
      }
    }
    if (brokenLater) return kindByNextLine(seen, startLine, ended);
    if (ended) return 'lines';
    return seenBytes > MAX_ALERT_BYTES ? 'document' : undefined;
  };
  let kind: InputKind | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  try {
    while (kind === undefined) {
      const next = await source.next();
      if (next.done) {
        ended = true;
        kind = decide(scanner.end(), true);
      } else {
        seen.push(next.value);
        seenBytes += next.value.length;
        kind = decide(scanner.write(next.value), false);
      }
    }
  } catch (error) {
    // Lines (what else is known?) read as far as they could be, then failing where the reading failed.
    failure = { error };
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* seen.splice(0);
      if (failure) throw failure.error;
      if (ended) return;
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await source.return?.();
    }
  }
  return { kind: kind ?? 'lines', chunks: replay() };
}

/**
 * Lines when the first line with text after `line` is a JSON object or array of its own (an NDJSON line), a
 * document when it is not; undefined while that line is not whole yet (`ended`: the input has no more).
 */
function kindByNextLine(seen: readonly Buffer[], line: number, ended: boolean): InputKind | undefined {
  const lines = Buffer.concat(seen).toString('utf8').split('\n');
  const next = lines.findIndex((l, k) => k >= line && l.trim() !== '');
  if (next < 0 || (next === lines.length - 1 && !ended)) return ended ? 'document' : undefined;
  const text = (lines[next] as string).trim();
  return (text.startsWith('{') || text.startsWith('[')) && parseJsonText(text).ok ? 'lines' : 'document';
}

/** What a JSON document holds, in order: an item (an alert, or why it cannot be one), or where it breaks. */
export type DocumentRecord =
  | { line: number; endLine: number; value: unknown; text: string }
  | { line: number; endLine: number; error: string }
  | { line: number; broken: string };

/**
 * The items of a JSON document read in bounded memory: the elements of a top-level array, or a top-level
 * value that is not an array (several may follow one another). An item longer than `MAX_ALERT_BYTES`, or not
 * UTF-8, is an error of its own; where the text stops being JSON, the document breaks and nothing after
 * it is read.
 */
export async function* readDocument(chunks: AsyncIterable<Buffer>): AsyncGenerator<DocumentRecord> {
  const scanner = new JsonDocumentScanner(MAX_ALERT_BYTES);
  for await (const chunk of chunks) {
    for (const record of documentRecords(scanner.write(chunk))) {
      yield record;
      // Nothing after a break is read: the rest of a large file would only be scanned to no use.
      if ('broken' in record) return;
    }
  }
  yield* documentRecords(scanner.end());
}

function documentRecords(events: JsonScanEvent[]): DocumentRecord[] {
  return events.flatMap((event): DocumentRecord[] => {
    if (event.kind === 'error')
      return [{ line: event.line, broken: `malformed JSON at column ${event.column}: ${event.found}` }];
    if (event.kind !== 'item') return [];
    const at = { line: event.line, endLine: event.endLine };
    if (!event.bytes) return [{ ...at, error: `longer than ${MAX_ALERT_BYTES} bytes` }];
    // Strict UTF-8, as on the HTTP routes: a bad byte is a rejection, never a silent U+FFFD.
    const text = decodeUtf8(event.bytes);
    if (text === undefined) return [{ ...at, error: 'not valid UTF-8' }];
    const parsed = parseJsonText(text);
    return [parsed.ok ? { ...at, value: parsed.value, text } : { ...at, error: parsed.error }];
  });
}

/**
 * An input's records until Ctrl-C aborts `signal` or the reading fails: every record read before is given,
 * and a line that either cut short never is. The read error is kept in `failure`, for the summary, and the
 * records end as if the input did, so what was read is still committed.
 */
export async function* untilStopped<T>(
  records: AsyncIterable<T>,
  signal: AbortSignal,
  failure: { error?: unknown },
): AsyncGenerator<T> {
  try {
    for await (const record of records) {
      if (signal.aborted) return;
      yield record;
    }
  } catch (error) {
    if (!signal.aborted) failure.error = error;
  }
}
