import { createReadStream, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { ingestAlerts } from '../../app/ingest/ingest-alerts.js';
import { ingestLineStream, type StreamSummary } from '../../app/ingest/ingest-stream.js';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { decodeUtf8, parseJsonText, readLines } from '../../ingest/formats/ndjson-lines.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import { findIngestSourceRow } from '../../store/alerts/ingest-source.repository.js';
import { withAppContext } from '../cli-context.js';

interface IngestOptions {
  source: string;
  mapper?: string;
}

/** Counts bytes as they pass, for the progress bar. */
async function* counted(stream: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** Reads the whole stream (only for a file that is one JSON document, pretty-printed). */
async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * A file is one JSON document (an array, or a pretty-printed object) when it starts with `[`, or with a `{`
 * whose first line is not a complete JSON value; otherwise it is lines: NDJSON, syslog, CEF or LEEF, told
 * apart line by line.
 */
async function peekKind(path: string): Promise<'document' | 'lines'> {
  if (path === '-') return 'lines';
  const head = await new Promise<string>((resolve, reject) => {
    const s = createReadStream(path, { start: 0, end: 65_535, encoding: 'utf8' });
    let text = '';
    s.on('data', (d) => (text += String(d)));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
  const trimmed = head.trimStart();
  if (trimmed.startsWith('[')) return 'document';
  if (trimmed.startsWith('{')) {
    const firstLine = trimmed.split('\n')[0] ?? '';
    return parseJsonText(firstLine).ok ? 'lines' : 'document';
  }
  return 'lines';
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
      '\nExamples:\n  $ riposte ingest eve.json --source suricata\n  $ riposte ingest /var/log/auth.log\n  $ cat alerts.ndjson | riposte ingest - --source edr',
    )
    .action(async (files: string[], opts: IngestOptions, command: Command) => {
      if (opts.mapper && !(MAPPER_NAMES as readonly string[]).includes(opts.mapper)) {
        throw new RiposteError(
          'RIPOSTE_VALIDATION',
          `unknown mapper ${opts.mapper}: one of ${MAPPER_NAMES.join(', ')}`,
        );
      }
      for (const f of files) if (f !== '-') statSync(f);
      const actor: Actor = { type: 'system', id: 'cli', name: `cli (${userInfo().username})` };
      const total = { accepted: 0, duplicates: 0, rejected: 0, casesCreated: 0, rejectionsTruncated: false };
      const rejections: Array<{ line: number; reason: string; file: string }> = [];
      // A case that alerts of two files joined is one case: the summary counts distinct ids.
      const caseIds = new Set<string>();
      await withAppContext(
        command,
        async (ctx) => {
          const row = await findIngestSourceRow(ctx.store.db, opts.source);
          const mapper = opts.mapper ?? row?.mapper;
          const mapperConfig = row?.mapper_config ? (JSON.parse(row.mapper_config) as unknown) : undefined;
          const bytes = files.reduce((n, f) => n + (f === '-' ? 0 : statSync(f).size), 0);
          // Only a person at a terminal wants a bar; logs and pipes get the summary alone.
          const bar =
            process.stderr.isTTY && bytes > 0
              ? new SingleBar(
                  {
                    stream: process.stderr,
                    format: 'ingest [{bar}] {percentage}% | {accepted} accepted, {rejected} rejected',
                  },
                  Presets.shades_classic,
                )
              : undefined;
          bar?.start(bytes, 0, { accepted: 0, rejected: 0 });
          let read = 0;
          for (const file of files) {
            const stream = (file === '-' ? process.stdin : createReadStream(file)) as Readable &
              AsyncIterable<Buffer>;
            const input = counted(stream, (n) => {
              read += n;
              bar?.update(read, { accepted: total.accepted, rejected: total.rejected });
            });
            let summary: StreamSummary;
            if ((await peekKind(file)) === 'document') {
              // Strict UTF-8, as on the HTTP routes: a bad byte is a rejection, never a silent U+FFFD.
              const text = decodeUtf8(await readAll(input));
              const parsed =
                text === undefined ? { ok: false as const, error: 'not valid UTF-8' } : parseJsonText(text);
              if (!parsed.ok) {
                summary = {
                  accepted: 0,
                  duplicates: 0,
                  rejected: 1,
                  casesCreated: 0,
                  cases: 0,
                  rejections: [{ line: 1, reason: parsed.error }],
                  rejectionsTruncated: false,
                };
              } else {
                const values = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
                const r = await ingestAlerts(
                  ctx,
                  {
                    source: opts.source,
                    mapper,
                    mapperConfig,
                    items: values.map((value) => ({ kind: 'json' as const, value })),
                  },
                  actor,
                );
                for (const id of r.caseIds) caseIds.add(id);
                summary = {
                  ...r,
                  cases: r.caseIds.length,
                  rejectionsTruncated: false,
                  rejections: r.items.flatMap((i) =>
                    i.status === 'rejected'
                      ? [{ line: i.index + 1, reason: `item ${i.index}: ${i.reason}` }]
                      : [],
                  ),
                };
              }
            } else {
              summary = await ingestLineStream(
                ctx,
                {
                  source: opts.source,
                  mapper,
                  mapperConfig,
                  lines: readLines(input, { maxLineBytes: 1024 * 1024 }),
                  format: 'auto',
                  caseIds,
                },
                actor,
              );
            }
            total.accepted += summary.accepted;
            total.duplicates += summary.duplicates;
            total.rejected += summary.rejected;
            total.casesCreated += summary.casesCreated;
            rejections.push(...summary.rejections.map((r) => ({ ...r, file })));
            total.rejectionsTruncated ||= summary.rejectionsTruncated;
          }
          bar?.update(bytes, { accepted: total.accepted, rejected: total.rejected });
          bar?.stop();
        },
        { permission: 'alerts:ingest' },
      );
      const out = process.stdout;
      out.write(
        `${total.accepted} accepted, ${total.duplicates} duplicates, grouped into ${caseIds.size} cases (${total.casesCreated} new), ${total.rejected} rejected\n`,
      );
      for (const r of rejections.slice(0, 50))
        out.write(`  rejected ${r.file === '-' ? 'stdin' : r.file} line ${r.line}: ${r.reason}\n`);
      if (total.rejected > 50)
        out.write(`  … and ${total.rejected - Math.min(50, rejections.length)} more\n`);
      if (total.rejected > 0) process.exitCode = 1;
    });
}
