import type { Actor } from '../../domain/shared/actor.js';
import type { LineRecord } from '../../ingest/formats/ndjson-lines.js';
import type { AppContext } from '../context.js';
import { IngestInterrupted, storeMappedItems, yieldToOtherWork, type IngestResult } from './ingest-alerts.js';
import { rulesInForce } from './configure-ingest.js';
import type { IngestSettings } from './ingest-settings.js';
import { lineToItems, type LineFormat } from './line-items.js';
import type { MappedItem } from './map-item.js';
import { worthSending, type MapWorkerPool } from './map-worker-pool.js';
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

/**
 * An item of the step being gathered, mapped (on a mapping thread or on this one) when its record was read.
 * `endLine`: the line its record ends on, where that is not `line` (a JSON document's element over lines).
 */
export type StreamItem = { line?: number | undefined; endLine?: number; mapped: MappedItem };

/** A stream of lines, and their format. */
export interface LineStream {
  lines: AsyncIterable<LineRecord>;
  format: LineFormat;
}

/** Where a stream's items are stored and how they are mapped, and what its summary counts. */
export interface StreamTarget {
  source: string;
  mapper?: string | undefined;
  mapperConfig?: unknown;
  /**
   * Collects every case an accepted alert went to. A caller ingesting several streams passes one set to
   * all of them, so a case two streams both joined is counted once.
   */
  caseIds?: Set<string> | undefined;
  /** Rejections name the item's number in the stream (from 0, as `body[n]` in the API) beside its line. */
  numberItems?: boolean;
  /**
   * Asked before each step is stored: throws (a 403) when the stream may no longer store, its source disabled
   * or deleted or its credential revoked since it began (a stream can run for hours). The steps committed
   * stay committed, and the stream ends as a broken one does (`StreamInterrupted`). Once a step, not an alert.
   */
  stillAllowed?: (() => Promise<void>) | undefined;
  /** The network address the stream is delivered from (an HTTP client's), recorded on its alerts. */
  receivedFrom?: string | undefined;
}

/** What reads a stream hands its items to. */
export interface StepWriter {
  /** The rules the step being gathered is cut by and mapped under: read again after each step. */
  settings(): IngestSettings;
  /**
   * How the step being gathered maps its items: the rules it is cut by and the time its alerts without one
   * are given, both taken when its first item is mapped.
   */
  stepOptions(): PrepareOptions;
  /** Adds an item; `endsRecord` when no later item comes from its record, the only place a step is cut. */
  add(item: StreamItem, endsRecord: boolean): Promise<void>;
}

/**
 * Ingests a stream of lines of any length in bounded steps: every `batchSize` items are committed before
 * more lines are read, so memory stays flat and what was committed stays committed if the stream breaks.
 * Without `given` rules, each step applies the rules in force when it is stored, as single alerts do: a
 * change made in any process applies from the next step, batch size and fingerprint keys included.
 */
export async function ingestLineStream(
  ctx: AppContext,
  input: LineStream & StreamTarget,
  actor: Actor,
  given?: IngestSettings,
  onProgress?: (summary: StreamSummary, committedLine: number) => void,
): Promise<StreamSummary> {
  return storeInSteps(
    ctx,
    input,
    actor,
    given,
    async (writer) => {
      if (ctx.mapWorkers) {
        await mapOffThread(
          ctx.mapWorkers,
          input,
          writer.settings,
          () => ctx.clock.now(),
          async (items) => {
            for (let k = 0; k < items.length; k += 1) {
              const item = items[k] as StreamItem;
              const next = items[k + 1];
              await writer.add(item, next === undefined || next.line !== item.line);
            }
          },
        );
        return;
      }
      for await (const rec of input.lines) {
        const items = lineToItems(rec, input.format);
        for (const [k, item] of items.entries())
          await writer.add(
            { line: item.line, mapped: mapForStoring(item, writer.stepOptions()) },
            k === items.length - 1,
          );
      }
    },
    onProgress,
  );
}
/**
 * Stores the items `read` hands over in steps: every `batchSize` items, at a record's end, are committed
 * before more is read. A stream that breaks after a step committed throws `StreamInterrupted`, which says
 * what was stored and through which line. `onProgress` is told after each step, with its last line.
 */
export async function storeInSteps(
  ctx: AppContext,
  target: StreamTarget,
  actor: Actor,
  given: IngestSettings | undefined,
  read: (writer: StepWriter) => Promise<void>,
  onProgress?: (summary: StreamSummary, committedLine: number) => void,
): Promise<StreamSummary> {
  const rules = async (): Promise<IngestSettings> => given ?? (await rulesInForce(ctx)).settings;
  let settings = await rules();
  let options: PrepareOptions | undefined;
  const summary = emptyStreamSummary();
  const cases = new Set<string>();
  let batch: StreamItem[] = [];
  let index = 0;
  /** The last line of the last committed step; 0 before the first. */
  let committedThroughLine = 0;
  const lastLineOf = (item: StreamItem | undefined): number =>
    item?.endLine ?? item?.line ?? committedThroughLine;
  const record = (result: IngestResult): void =>
    addToSummary(summary, cases, target.caseIds, target.numberItems ? numbered(result) : result);
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    options = undefined;
    await target.stillAllowed?.();
    let result: IngestResult;
    try {
      result = await storeMappedItems(
        ctx,
        { source: target.source, items, firstIndex: index, receivedFrom: target.receivedFrom },
        actor,
        given,
      );
    } catch (err) {
      if (!(err instanceof IngestInterrupted)) throw err;
      // Part of the step committed (pieces the rules re-sliced or a refusal split): counted, and the stream
      // breaks after them.
      record(err.stored);
      committedThroughLine = lastLineOf(items[err.notStoredFrom - index - 1]);
      index = err.notStoredFrom;
      throw err.cause;
    }
    committedThroughLine = lastLineOf(items[items.length - 1]);
    settings = await rules();
    index += items.length;
    record(result);
    onProgress?.(summary, committedThroughLine);
    await yieldToOtherWork();
  };
  const writer: StepWriter = {
    settings: () => settings,
    stepOptions: () => (options ??= mapOptions(target, settings, ctx.clock.now())),
    add: async (item, endsRecord) => {
      batch.push(item);
      if (endsRecord && batch.length >= settings.batchSize) await flush();
    },
  };
  try {
    await read(writer);
    await flush();
  } catch (err) {
    if (index === 0) throw err;
    throw new StreamInterrupted(summary, committedThroughLine, err);
  }
  return summary;
}

/** A step's outcome with each rejection naming the item's number, as `body[n]` does in the API. */
const numbered = (result: IngestResult): IngestResult => ({
  ...result,
  items: result.items.map((item) =>
    item.status === 'rejected' ? { ...item, reason: `item ${item.index}: ${item.reason}` } : item,
  ),
});

/**
 * Reads the stream in batches of lines handed to the mapping threads, and takes their answers back in
 * order: while the main thread stores one batch, the threads map the next. The first batch has no batch
 * before it to overlap with, so it is mapped on this thread (a stream of one batch never waits on a thread,
 * nor pays for the hand-over); so is a batch of large alerts, whose hand-over costs more than mapping it.
 * A thread that dies fails the stream with its error; what was stored before stays stored, as when the
 * store fails mid-stream.
 */
async function mapOffThread(
  pool: MapWorkerPool,
  input: LineStream & StreamTarget,
  settings: () => IngestSettings,
  now: () => number,
  take: (items: StreamItem[]) => Promise<void>,
): Promise<void> {
  /** Batches in order: at a thread, or to map here when their turn to be stored comes. */
  const mapping: Array<Promise<StreamItem[]> | (() => StreamItem[])> = [];
  let batches = 0;
  /** Queues a batch; true when it is mapped here for its size, and is best stored before reading on. */
  const send = (lines: LineRecord[], chars: number): boolean => {
    batches += 1;
    const options = mapOptions(input, settings(), now());
    const large = !worthSending(pool, lines.length, chars);
    if (batches === 1 || large) {
      // Mapped no earlier than needed: mapped now, it would be held beside the batch being stored.
      mapping.push(() => mapHere(lines, input.format, options));
      return large;
    }
    const items = pool
      .prepare({ lines, format: input.format }, options)
      .then((prepared) =>
        prepared.map((p): StreamItem => ({ line: p.line, mapped: fromPrepared(p, options.fingerprintKeys) })),
      );
    // Awaited in order below; until then a failure must not count as unhandled.
    items.catch(() => undefined);
    mapping.push(items);
    return false;
  };
  const takeOldest = async (): Promise<void> => {
    const oldest = mapping.shift();
    if (oldest) await take(typeof oldest === 'function' ? oldest() : await oldest);
  };
  let lines: LineRecord[] = [];
  let chars = 0;
  /** Set while a batch is stored: an error then is the batch's, any other the input's. */
  let storing = false;
  try {
    for await (const rec of input.lines) {
      lines.push(rec);
      chars += 'text' in rec ? rec.text.length : 0;
      if (lines.length < settings().batchSize) continue;
      // A large batch mapped here gains nothing from reading ahead, which would hold the next batch's lines
      // too (100 MB more at alerts of 100 KB): it is stored first, as without threads.
      const ahead = send(lines, chars) ? 0 : MAX_BATCHES_MAPPING - 1;
      lines = [];
      chars = 0;
      storing = true;
      while (mapping.length > ahead) await takeOldest();
      storing = false;
    }
  } catch (err) {
    if (storing) throw err;
    // The input broke (the sender went away): the batches already read are stored, as reading on this
    // thread would have stored them, so both paths report the same last line; the lines after them, short
    // of a batch, are not. A batch that fails meanwhile ends it: what follows it is not stored either.
    try {
      while (mapping.length > 0) await takeOldest();
    } catch {
      // What broke the stream is the input; what was committed is counted all the same.
    }
    throw err;
  }
  if (lines.length > 0) send(lines, chars);
  while (mapping.length > 0) await takeOldest();
}

/** How this thread maps a stream's lines: as a mapping thread would (see `mapForStoring`). */
export const mapOptions = (
  input: Pick<StreamTarget, 'source' | 'mapper' | 'mapperConfig'>,
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
function mapHere(lines: LineRecord[], format: LineFormat, options: PrepareOptions): StreamItem[] {
  return lines.flatMap((rec) =>
    lineToItems(rec, format).map((item) => ({ line: item.line, mapped: mapForStoring(item, options) })),
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
