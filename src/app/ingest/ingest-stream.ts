import type { Actor } from '../../domain/shared/actor.js';
import { parseJsonText, type LineRecord } from '../../ingest/formats/ndjson-lines.js';
import type { AppContext } from '../context.js';
import { ingestAlerts, yieldToOtherWork } from './ingest-alerts.js';
import { loadIngestSettings } from './configure-ingest.js';
import type { IngestSettings } from './ingest-settings.js';
import type { IngestItem } from './map-item.js';

/** How lines are read: JSON per line, text (syslog/CEF/LEEF) per line, or decided per line by its first character. */
export type LineFormat = 'json' | 'text' | 'auto';

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

export function lineToItems(rec: LineRecord, format: LineFormat): IngestItem[] {
  if ('error' in rec) return [{ kind: 'invalid', reason: rec.error, line: rec.line }];
  const text = rec.text.trim();
  const asJson = format === 'json' || (format === 'auto' && (text.startsWith('{') || text.startsWith('[')));
  if (!asJson) return [{ kind: 'text', value: rec.text, line: rec.line }];
  const parsed = parseJsonText(text);
  if (!parsed.ok) return [{ kind: 'invalid', reason: parsed.error, line: rec.line }];
  if (!Array.isArray(parsed.value)) return [{ kind: 'json', value: parsed.value, line: rec.line, text }];
  return parsed.value.map((value) => ({ kind: 'json' as const, value, line: rec.line }));
}

/**
 * Ingests a stream of lines of any length in bounded steps: every `batchSize` items are committed before
 * more lines are read, so memory stays flat and what was committed stays committed if the stream breaks.
 */
export async function ingestLineStream(
  ctx: AppContext,
  input: {
    source: string;
    mapper?: string;
    mapperConfig?: unknown;
    lines: AsyncIterable<LineRecord>;
    format: LineFormat;
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
  // Read once: one stream applies one set of rules from its first line to its last.
  const settings = given ?? (await loadIngestSettings(ctx)).settings;
  const summary: StreamSummary = {
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    casesCreated: 0,
    cases: 0,
    rejections: [],
    rejectionsTruncated: false,
  };
  const cases = new Set<string>();
  let batch: IngestItem[] = [];
  let index = 0;
  let linesRead = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    const result = await ingestAlerts(
      ctx,
      {
        source: input.source,
        mapper: input.mapper,
        mapperConfig: input.mapperConfig,
        items,
        firstIndex: index,
      },
      actor,
      settings,
    );
    index += items.length;
    summary.accepted += result.accepted;
    summary.duplicates += result.duplicates;
    summary.rejected += result.rejected;
    summary.casesCreated += result.casesCreated;
    for (const id of result.caseIds) {
      cases.add(id);
      input.caseIds?.add(id);
    }
    summary.cases = cases.size;
    for (const item of result.items) {
      if (item.status !== 'rejected') continue;
      if (summary.rejections.length >= MAX_REJECTIONS) summary.rejectionsTruncated = true;
      else
        summary.rejections.push({
          line: item.line ?? item.index + 1,
          reason: item.reason,
          ...(item.path ? { path: item.path } : {}),
        });
    }
    onProgress?.(summary, linesRead);
    await yieldToOtherWork();
  };
  for await (const rec of input.lines) {
    linesRead = rec.line;
    batch.push(...lineToItems(rec, input.format));
    if (batch.length >= settings.batchSize) await flush();
  }
  await flush();
  return summary;
}
