import type { Actor } from '../../domain/shared/actor.js';
import type { LineRecord } from '../../ingest/formats/ndjson-lines.js';
import type { AppContext } from '../context.js';
import { IngestInterrupted, storeMappedItems, yieldToOtherWork, type IngestResult } from './ingest-alerts.js';
import { rulesInForce } from './configure-ingest.js';
import type { IngestSettings } from './ingest-settings.js';
import { lineToItems, type LineFormat } from './line-items.js';
import type { MappedItem } from './map-item.js';
import type { MapWorkerPool } from './map-worker-pool.js';
import { fromPrepared, mapForStoring, type PrepareOptions } from './prepare-items.js';

export { lineToItems, type LineFormat } from './line-items.js';

export interface StreamSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
  casesCreated: number;
  cases: number;
  rejections: Array<{ line: number; reason: string; path?: string }>;
  rejectionsTruncated: boolean;
}

const MAX_REJECTIONS = 1000;

/**
 * A stream that broke (the store failed, the sender went away, the body passed its limit) after some of its
 * steps committed. Those stay committed: `committed` says what they stored and `throughLine` the last line
 * they held, so a sender retries from the next line instead of sending all again (which would count the
 * repeats of alerts without an event id twice). `cause` is what broke it.
 */
export class StreamInterrupted extends Error {
  constructor(
    readonly committed: StreamSummary,
    readonly throughLine: number,
    override readonly cause: unknown,
  ) {
    super(`the stream broke after line ${throughLine} was committed: ${String(cause)}`, { cause });
    this.name = 'StreamInterrupted';
  }
}

/**
 * Batches of lines a stream may have out at the mapping threads at once: one being mapped while the main
 * thread stores the one before it, and one more ready. Bounds memory whatever the stream's length.
 */
const MAX_BATCHES_MAPPING = 2;

/** An item of the batch being gathered, mapped (on a mapping thread or on this one) when its line was read. */
type StreamItem = { line?: number | undefined; mapped: MappedItem };

/** A stream of lines from one source, with the mapper that reads them (or `auto`) and their format. */
export interface LineStream {
  source: string;
  mapper?: string;
  mapperConfig?: unknown;
  lines: AsyncIterable<LineRecord>;
  format: LineFormat;
}

/**
 * Ingests a stream of lines of any length in bounded steps: every `batchSize` items are committed before
 * more lines are read, so memory stays flat and what was committed stays committed if the stream breaks.
 * Without `given` rules, each step applies the rules in force when it is stored, as single alerts do: a
 * change made in any process applies from the next step, batch size and fingerprint keys included.
 */
export async function ingestLineStream(
  ctx: AppContext,
  input: LineStream & {
    /**
     * Collects every case an accepted alert went to. A caller ingesting several streams passes one set to
     * all of them, so a case two streams both joined is counted once.
     */
    caseIds?: Set<string>;
  },
  actor: Actor,
  given?: IngestSettings,
  onProgress?: (summary: StreamSummary, linesRead: number) => void,
): Promise<StreamSummary> {
  // Where the next step is cut, and which keys a mapping thread fingerprints with: the rules last read.
  const rules = async (): Promise<IngestSettings> => given ?? (await rulesInForce(ctx)).settings;
  let settings = await rules();
  const summary = emptyStreamSummary();
  const cases = new Set<string>();
  let batch: StreamItem[] = [];
  let index = 0;
  let linesRead = 0;
  /** The last line of the last committed step; 0 before the first. */
  let committedThroughLine = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    let result: IngestResult;
    try {
      result = await storeMappedItems(ctx, { source: input.source, items, firstIndex: index }, actor, given);
    } catch (err) {
      if (!(err instanceof IngestInterrupted)) throw err;
      // Part of the batch committed (the rules' batch size shrank meanwhile): counted, and resumed after.
      addToSummary(summary, cases, input.caseIds, err.stored);
      committedThroughLine = items[err.notStoredFrom - index - 1]?.line ?? committedThroughLine;
      index = err.notStoredFrom;
      throw err.cause;
    }
    committedThroughLine = items[items.length - 1]?.line ?? committedThroughLine;
    settings = await rules();
    index += items.length;
    addToSummary(summary, cases, input.caseIds, result);
    onProgress?.(summary, linesRead);
    await yieldToOtherWork();
  };
  // Every `batchSize` items (at a line's end, so an array line stays in one batch) are stored as one step.
  const add = async (item: StreamItem, lineEnds: boolean): Promise<void> => {
    batch.push(item);
    if (lineEnds && batch.length >= settings.batchSize) await flush();
  };

  try {
    await readAndStore();
  } catch (err) {
    if (index === 0) throw err;
    throw new StreamInterrupted(summary, committedThroughLine, err);
  }
  return summary;

  async function readAndStore(): Promise<void> {
    if (ctx.mapWorkers) {
      await mapOffThread(
        ctx.mapWorkers,
        input,
        () => settings,
        () => ctx.clock.now(),
        async (items, lastLine) => {
          for (let k = 0; k < items.length; k += 1) {
            const item = items[k] as StreamItem;
            const next = items[k + 1];
            linesRead = next === undefined ? lastLine : (item.line ?? linesRead);
            await add(item, next === undefined || next.line !== item.line);
          }
        },
      );
    } else {
      // Taken when a batch starts: the rules it is cut by, and the time its alerts without one are given.
      let options = mapOptions(input, settings, ctx.clock.now());
      for await (const rec of input.lines) {
        linesRead = rec.line;
        if (batch.length === 0) options = mapOptions(input, settings, ctx.clock.now());
        const items = lineToItems(rec, input.format);
        for (const [k, item] of items.entries())
          await add({ line: item.line, mapped: mapForStoring(item, options) }, k === items.length - 1);
      }
    }
    await flush();
  }
}

/**
 * Reads the stream in batches of lines handed to the mapping threads, and takes their answers back in
 * order: while the main thread stores one batch, the threads map the next. The first batch has no batch
 * before it to overlap with, so it is mapped on this thread (a stream of one batch never waits on a thread,
 * nor pays for the hand-over). A thread that dies fails the stream with its error; what was stored before
 * stays stored, as when the store fails mid-stream.
 */
async function mapOffThread(
  pool: MapWorkerPool,
  input: LineStream,
  settings: () => IngestSettings,
  now: () => number,
  take: (items: StreamItem[], lastLine: number) => Promise<void>,
): Promise<void> {
  const mapping: Array<{ items: Promise<StreamItem[]>; lastLine: number }> = [];
  let batches = 0;
  const send = (lines: LineRecord[]): void => {
    const lastLine = (lines[lines.length - 1] as LineRecord).line;
    batches += 1;
    const options = mapOptions(input, settings(), now());
    if (batches === 1) {
      mapping.push({ items: Promise.resolve(mapHere(lines, input, options)), lastLine });
      return;
    }
    const items = pool
      .prepare({ lines, format: input.format }, options)
      .then((prepared) =>
        prepared.map((p): StreamItem => ({ line: p.line, mapped: fromPrepared(p, options.fingerprintKeys) })),
      );
    // Awaited in order below; until then a failure must not count as unhandled.
    items.catch(() => undefined);
    mapping.push({ items, lastLine });
  };
  const takeOldest = async (): Promise<void> => {
    const oldest = mapping.shift();
    if (oldest) await take(await oldest.items, oldest.lastLine);
  };
  let lines: LineRecord[] = [];
  for await (const rec of input.lines) {
    lines.push(rec);
    if (lines.length < settings().batchSize) continue;
    send(lines);
    lines = [];
    if (mapping.length >= MAX_BATCHES_MAPPING) await takeOldest();
  }
  if (lines.length > 0) send(lines);
  while (mapping.length > 0) await takeOldest();
}

/** How this thread maps a stream's lines: as a mapping thread would (see `mapForStoring`). */
export const mapOptions = (
  input: Pick<LineStream, 'source' | 'mapper' | 'mapperConfig'>,
  settings: IngestSettings,
  now: number,
): PrepareOptions => ({
  source: input.source,
  mapper: input.mapper,
  mapperConfig: input.mapperConfig,
  fingerprintKeys: settings.fingerprintKeys,
  now,
});

/** Lines mapped on this thread. */
function mapHere(lines: LineRecord[], input: LineStream, options: PrepareOptions): StreamItem[] {
  return lines.flatMap((rec) =>
    lineToItems(rec, input.format).map((item) => ({ line: item.line, mapped: mapForStoring(item, options) })),
  );
}

export const emptyStreamSummary = (): StreamSummary => ({
  accepted: 0,
  duplicates: 0,
  rejected: 0,
  casesCreated: 0,
  cases: 0,
  rejections: [],
  rejectionsTruncated: false,
});

/** Keeps a rejection's line and reason, up to MAX_REJECTIONS (past them, only that some were left out). */
export function noteRejection(summary: StreamSummary, rejection: StreamSummary['rejections'][number]): void {
  if (summary.rejections.length >= MAX_REJECTIONS) summary.rejectionsTruncated = true;
  else summary.rejections.push(rejection);
}

/**
 * Adds a committed step's outcome to a stream's summary: its counts, its cases (into `cases`, and `shared`
 * across the streams of one command) and its rejections.
 */
export function addToSummary(
  summary: StreamSummary,
  cases: Set<string>,
  shared: Set<string> | undefined,
  result: IngestResult,
): void {
  summary.accepted += result.accepted;
  summary.duplicates += result.duplicates;
  summary.rejected += result.rejected;
  summary.casesCreated += result.casesCreated;
  for (const id of result.caseIds) {
    cases.add(id);
    shared?.add(id);
  }
  summary.cases = cases.size;
  for (const item of result.items) {
    if (item.status !== 'rejected') continue;
    noteRejection(summary, {
      line: item.line ?? item.index + 1,
      reason: item.reason,
      ...(item.path ? { path: item.path } : {}),
    });
  }
}
