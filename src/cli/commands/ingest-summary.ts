import { emptyStreamSummary, type StreamSummary } from '../../app/ingest/ingest-stream.js';
import { inputName } from './ingest-input.js';

/** How `riposte ingest` exits besides 0 (all stored) and the failures every command shares (1, or 2). */
export const IngestExit = {
  /** Some lines, items or files were rejected (the summary lists them); the rest is stored. */
  rejected: 3,
  /** Stopped by Ctrl-C: what was read before it is stored. */
  interrupted: 130,
} as const;

/** Lines of rejections the summary shows; it counts the rest. */
const SHOWN_REJECTIONS = 50;

/** What became of one input of the command so far. */
export interface InputOutcome {
  file: string;
  /** A rejection at line 0 is the file's own: it could not be read (from the start, or past some line). */
  summary: StreamSummary;
  /** Every line up to this one is committed (or rejected). */
  committedLine: number;
  /** `stopped`: by Ctrl-C. An input still `reading` when the command ends was stopped by its failure. */
  state: 'unread' | 'reading' | 'read' | 'stopped';
}

/** The exit code for what the inputs became (a command that failed exits by its error instead). */
export function ingestExitCode(outcomes: readonly InputOutcome[], interrupted: boolean): number {
  if (interrupted) return IngestExit.interrupted;
  return outcomes.some((o) => o.summary.rejected > 0) ? IngestExit.rejected : 0;
}

/**
 * The summary: totals, the rejected lines (the first 50), inputs that held nothing, and, when the command
 * stopped early (`stopped`: why), how far each input was committed.
 */
export function formatIngestSummary(
  outcomes: readonly InputOutcome[],
  cases: number,
  stopped?: string,
): string {
  const total = emptyStreamSummary();
  for (const { summary } of outcomes) {
    total.accepted += summary.accepted;
    total.duplicates += summary.duplicates;
    total.rejected += summary.rejected;
    total.casesCreated += summary.casesCreated;
  }
  const lines = [
    `${total.accepted} accepted, ${total.duplicates} duplicates, grouped into ${cases} cases (${total.casesCreated} new), ${total.rejected} rejected`,
  ];
  const rejections = outcomes.flatMap(({ file, summary }) =>
    summary.rejections.map((r) => ({ ...r, file: inputName(file) })),
  );
  for (const r of rejections.slice(0, SHOWN_REJECTIONS)) {
    const where = r.line > 0 ? `${r.file} line ${r.line}` : r.file;
    lines.push(`  rejected ${where}: ${r.reason}${r.path ? ` (at ${r.path})` : ''}`);
  }
  const shown = Math.min(SHOWN_REJECTIONS, rejections.length);
  if (total.rejected > shown) lines.push(`  … and ${total.rejected - shown} more`);
  for (const { file, summary, state } of outcomes) {
    if (state === 'read' && summary.accepted + summary.duplicates + summary.rejected === 0)
      lines.push(`  empty: ${inputName(file)} holds nothing to ingest`);
  }
  if (stopped) {
    lines.push(`  ${stopped}:`);
    for (const { file, state, committedLine } of outcomes) {
      const how =
        state === 'read'
          ? 'read to its end'
          : state === 'unread'
            ? 'not read'
            : committedLine > 0
              ? `stored up to line ${committedLine}`
              : 'nothing stored';
      lines.push(`    ${inputName(file)}: ${how}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
