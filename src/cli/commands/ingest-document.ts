import { rulesInForce } from '../../app/ingest/configure-ingest.js';
import { storeMappedItems, type IngestItem } from '../../app/ingest/ingest-alerts.js';
import {
  addToSummary,
  emptyStreamSummary,
  mapOptions,
  noteRejection,
  type StreamSummary,
} from '../../app/ingest/ingest-stream.js';
import type { IngestSettings } from '../../app/ingest/ingest-settings.js';
import type { MappedItem } from '../../app/ingest/map-item.js';
import { mapForStoring, type PrepareOptions } from '../../app/ingest/prepare-items.js';
import type { AppContext } from '../../app/context.js';
import type { Actor } from '../../domain/shared/actor.js';
import type { DocumentRecord } from './ingest-input.js';

/**
 * Ingests the items of a JSON document in steps of the rules' batch size, as streamed lines are: each step is
 * committed before more is read, so memory stays bounded whatever the document's size. A rejected item is
 * reported at the line it starts on, with its number in the document (from 0, as `body[n]` in the API).
 * `onProgress` is told after each step, with the last line of what is committed.
 */
export async function ingestDocument(
  ctx: AppContext,
  input: {
    source: string;
    mapper?: string | undefined;
    mapperConfig?: unknown;
    records: AsyncIterable<DocumentRecord>;
    /** Collects every case an accepted alert went to, across the files of one command. */
    caseIds: Set<string>;
  },
  actor: Actor,
  onProgress: (summary: StreamSummary, committedLine: number) => void,
): Promise<StreamSummary> {
  const summary = emptyStreamSummary();
  const cases = new Set<string>();
  let batch: Array<{ line: number; mapped: MappedItem }> = [];
  let firstIndex = 0;
  let lastLine = 0;
  const store = async (): Promise<void> => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    const result = await storeMappedItems(ctx, { source: input.source, items, firstIndex }, actor);
    firstIndex += items.length;
    // A rejected element is named by its number in the document too, as `body[n]` in the API.
    const numbered = result.items.map((item) =>
      item.status === 'rejected' ? { ...item, reason: `item ${item.index}: ${item.reason}` } : item,
    );
    addToSummary(summary, cases, input.caseIds, { ...result, items: numbered });
    onProgress(summary, lastLine);
  };
  // Taken when a step starts, as a stream of lines does: the rules it is cut by and mapped under, and the
  // time its alerts without one are given.
  const startStep = async (): Promise<{ settings: IngestSettings; options: PrepareOptions }> => {
    const { settings } = await rulesInForce(ctx);
    return { settings, options: mapOptions(input, settings, ctx.clock.now()) };
  };
  let step = await startStep();
  let broken: { line: number; reason: string } | undefined;
  for await (const record of input.records) {
    if ('broken' in record) {
      broken = { line: record.line, reason: record.broken };
      break;
    }
    const { line } = record;
    // An item written on one line keeps its text as received (the raw event), as an NDJSON line does; one
    // spread over lines is stored compact, not with the document's indentation.
    const item: IngestItem =
      'error' in record
        ? { kind: 'invalid', reason: record.error, line }
        : {
            kind: 'json',
            value: record.value,
            line,
            ...(line === record.endLine ? { text: record.text } : {}),
          };
    // Mapped as read, as streamed lines are: a step holds its alerts' text, not their parsed payloads.
    batch.push({ line, mapped: mapForStoring(item, step.options) });
    lastLine = record.endLine;
    if (batch.length < step.settings.batchSize) continue;
    await store();
    step = await startStep();
  }
  await store();
  if (broken) {
    summary.rejected += 1;
    noteRejection(summary, { line: broken.line, reason: `${broken.reason}; nothing after it was read` });
  }
  return summary;
}
