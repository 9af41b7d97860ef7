import { userInfo } from 'node:os';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { AppContext } from '../../app/context.js';
import { SourceName } from '../../app/ingest/ingest-sources.js';
import { streamStillAllowed } from '../../app/ingest/source-access.js';
import { emptyStreamSummary, ingestLineStream, StreamInterrupted } from '../../app/ingest/ingest-stream.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, RiposteError } from '../../domain/shared/errors.js';
import { readLines } from '../../ingest/formats/ndjson-lines.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import { findIngestSourceRow, mapperConfigOf } from '../../store/alerts/ingest-source.repository.js';
import { withAppContext } from '../cli-context.js';
import { ingestDocument } from './ingest-document.js';
import {
  detectInputKind,
  gunzipIfCompressed,
  MAX_ALERT_BYTES,
  readDocument,
  readInput,
  regularFileSize,
  untilStopped,
} from './ingest-input.js';
import { formatIngestSummary, ingestExitCode, IngestExit, type InputOutcome } from './ingest-summary.js';

interface IngestOptions {
  source: string;
  mapper?: string;
}

/** What every input of one command is ingested with. */
interface IngestRun {
  ctx: AppContext;
  actor: Actor;
  source: string;
  mapper: string | undefined;
  mapperConfig: unknown;
  /** Asked before each step: a source disabled (or deleted) meanwhile refuses the rest. */
  stillAllowed: () => Promise<void>;
  caseIds: Set<string>;
  /** Aborted by Ctrl-C. */
  signal: AbortSignal;
  onBytes: (file: string, n: number) => void;
}

export function configureIngestCommand(command: Command): void {
  command
    .argument('<files...>', 'files to read, or - for standard input')
    .option(
      '-s, --source <name>',
      'ingest source recorded on the alerts (its mapper is used if it exists)',
      'cli',
    )
    .option('-m, --mapper <name>', `force a mapper (${MAPPER_NAMES.join(', ')})`)
    .addHelpText(
      'after',
      `
Each input is read line by line (NDJSON, syslog, CEF, LEEF), or as one JSON
document when it opens with "[" or "{" and that value runs on past its first
line (pretty-printed JSON, one array element a line).

Exit codes:
  0    every alert stored (or stored before: duplicates)
  ${IngestExit.rejected}    some lines, items or files rejected (listed); the rest stored
  1    the command failed (2: the configuration or the store is unusable)
  ${IngestExit.interrupted}  interrupted by Ctrl-C: what was read before it is stored
       (a second Ctrl-C quits at once)

Examples:
  $ riposte ingest eve.json --source suricata
  $ riposte ingest /var/log/auth.log
  $ cat alerts.ndjson | riposte ingest - --source edr`,
    )
    .action(async (files: string[], opts: IngestOptions, command: Command) => {
      if (opts.mapper && !(MAPPER_NAMES as readonly string[]).includes(opts.mapper)) {
        throw invalid(`unknown mapper ${opts.mapper}: one of ${MAPPER_NAMES.join(', ')}`);
      }
      // The name rule of the API's sources, so the CLI records no alert the API could not have.
      const name = SourceName.safeParse(opts.source);
      if (!name.success) {
        const message = name.error.issues[0]?.message ?? 'invalid';
        throw invalid(`invalid source name ${JSON.stringify(opts.source)}`, [{ path: '--source', message }]);
      }
      const actor: Actor = { type: 'system', id: 'cli', name: `cli (${userInfo().username})` };
      const interrupt = new AbortController();
      const stopListening = stopOnCtrlC(interrupt);
      const outcomes: InputOutcome[] = files.map((file) => ({
        file,
        summary: emptyStreamSummary(),
        committedLine: 0,
        state: 'unread',
      }));
      // A case that alerts of two files joined is one case: the summary counts distinct ids.
      const caseIds = new Set<string>();
      try {
        await withAppContext(
          command,
          async (ctx) => {
            const row = await findIngestSourceRow(ctx.store.db, opts.source);
            if (row && row.enabled !== 1)
              throw new RiposteError('RIPOSTE_FORBIDDEN', `ingest source ${opts.source} is disabled`);
            const sizes = new Map(files.map((f) => [f, regularFileSize(f)]));
            const bar = progressBar([...sizes.values()].reduce((n, size) => n + size, 0));
            let read = 0;
            const run: IngestRun = {
              ctx,
              actor,
              source: opts.source,
              mapper: opts.mapper ?? row?.mapper,
              mapperConfig: row ? mapperConfigOf(row) : undefined,
              stillAllowed: streamStillAllowed(ctx, { source: opts.source, existed: row !== undefined }),
              caseIds,
              signal: interrupt.signal,
              // Only files of a known size count: stdin's bytes, in no total, would run the bar past its end.
              onBytes: (file, n) => {
                if (!sizes.get(file)) return;
                read += n;
                bar?.update(read, totals(outcomes));
              },
            };
            try {
              for (const outcome of outcomes) {
                if (interrupt.signal.aborted) break;
                await ingestInput(run, outcome);
              }
            } finally {
              bar?.stop();
            }
          },
          { permission: 'alerts:ingest' },
        );
      } catch (err) {
        // What was committed before the failure stays committed: say how far each input got, then the error.
        if (outcomes.some((o) => o.state !== 'unread'))
          process.stdout.write(formatIngestSummary(outcomes, caseIds.size, 'stopped by the error below'));
        // A refusal mid-input (the source disabled meanwhile) reads as the refusal at the start does: the
        // summary above says how far each input was stored.
        if (err instanceof StreamInterrupted && isRefusal(err.cause)) throw err.cause;
        throw err;
      } finally {
        stopListening();
      }
      const interrupted = interrupt.signal.aborted;
      process.exitCode = ingestExitCode(outcomes, interrupted);
      process.stdout.write(
        formatIngestSummary(outcomes, caseIds.size, interrupted ? 'interrupted (Ctrl-C)' : undefined),
      );
    });
}

const isRefusal = (err: unknown): err is RiposteError =>
  err instanceof RiposteError && err.code === 'RIPOSTE_FORBIDDEN';

/**
 * Reads one input to its end, or until Ctrl-C, committing as it goes. A file that cannot be read (missing,
 * not permitted, a directory) is one rejection of its own, and the command goes on with the next.
 */
async function ingestInput(run: IngestRun, outcome: InputOutcome): Promise<void> {
  outcome.state = 'reading';
  const { ctx, actor, signal } = run;
  const failure: { error?: unknown } = {};
  const { kind, chunks } = await detectInputKind(
    gunzipIfCompressed(readInput(outcome.file, signal, (n) => run.onBytes(outcome.file, n))),
  );
  const onProgress = (summary: InputOutcome['summary'], committedLine: number): void => {
    outcome.summary = summary;
    outcome.committedLine = committedLine;
  };
  const stream = {
    source: run.source,
    mapper: run.mapper,
    mapperConfig: run.mapperConfig,
    caseIds: run.caseIds,
    stillAllowed: run.stillAllowed,
  };
  try {
    outcome.summary =
      kind === 'document'
        ? await ingestDocument(
            ctx,
            { ...stream, records: untilStopped(readDocument(chunks), signal, failure) },
            actor,
            onProgress,
          )
        : await ingestLineStream(
            ctx,
            {
              ...stream,
              lines: untilStopped(readLines(chunks, { maxLineBytes: MAX_ALERT_BYTES }), signal, failure),
              format: 'auto',
            },
            actor,
            undefined,
            onProgress,
          );
  } catch (err) {
    // Pieces of the failing step may have committed after the last progress report: the summary says them.
    if (err instanceof StreamInterrupted) onProgress(err.committed, err.throughLine);
    throw err;
  }
  outcome.state = signal.aborted ? 'stopped' : 'read';
  if (failure.error !== undefined) {
    const after = outcome.committedLine > 0 ? ` after line ${outcome.committedLine}` : '';
    outcome.summary.rejected += 1;
    outcome.summary.rejections.push({
      line: 0,
      reason: `cannot read it${after}: ${describeReadError(failure.error)}`,
    });
  }
}

/**
 * A read error's message without the path Node appends (`EACCES: permission denied, open '/x'`): the summary
 * line names the file already.
 */
function describeReadError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.message.replace(/, \w+ '.*'$/, '');
}

/** Running totals for the progress bar. */
const totals = (outcomes: readonly InputOutcome[]): { accepted: number; rejected: number } => ({
  accepted: outcomes.reduce((n, o) => n + o.summary.accepted, 0),
  rejected: outcomes.reduce((n, o) => n + o.summary.rejected, 0),
});

/** A bar over `bytes` for a person at a terminal; logs and pipes get the summary alone. */
function progressBar(bytes: number): SingleBar | undefined {
  if (!process.stderr.isTTY || bytes === 0) return undefined;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'ingest [{bar}] {percentage}% | {accepted} accepted, {rejected} rejected',
    },
    Presets.shades_classic,
  );
  bar.start(bytes, 0, { accepted: 0, rejected: 0 });
  return bar;
}

/**
 * The first Ctrl-C stops the reading: what was read is committed and the summary says how far each input
 * got. A second one quits at once. Returns the function that stops listening.
 */
function stopOnCtrlC(interrupt: AbortController): () => void {
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(IngestExit.interrupted);
    process.stderr.write('\nstopping: storing what was read (Ctrl-C again to quit at once)\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}
