import type { IngestItem } from '../../app/ingest/ingest-alerts.js';
import {
  noteRejection,
  storeInSteps,
  type StreamSummary,
  type StreamTarget,
} from '../../app/ingest/ingest-stream.js';
import { mapForStoring } from '../../app/ingest/prepare-items.js';
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
  input: StreamTarget & { records: AsyncIterable<DocumentRecord> },
  actor: Actor,
  onProgress: (summary: StreamSummary, committedLine: number) => void,
): Promise<StreamSummary> {
  let broken: { line: number; reason: string } | undefined;
  const summary = await storeInSteps(
    ctx,
    { ...input, numberItems: true },
    actor,
    undefined,
    async (writer) => {
      for await (const record of input.records) {
        if ('broken' in record) {
          broken = { line: record.line, reason: record.broken };
          return;
        }
        const { line, endLine } = record;
        // An item keeps its text as written (the raw event), over several lines too: printed again from its
        // value, a 64-bit id would be rounded.
        const item: IngestItem =
          'error' in record
            ? { kind: 'invalid', reason: record.error, line }
            : { kind: 'json', value: record.value, line, text: record.text };
        // Mapped as read, as streamed lines are: a step holds its alerts' text, not their parsed payloads.
        await writer.add({ line, endLine, mapped: mapForStoring(item, writer.stepOptions()) }, true);
      }
    },
    onProgress,
  );
  if (broken) {
    summary.rejected += 1;
    noteRejection(summary, { line: broken.line, reason: `${broken.reason}; nothing after it was read` });
  }
  return summary;
}
