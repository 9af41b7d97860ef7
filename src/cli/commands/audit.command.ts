import type { Command } from 'commander';
import { auditSignerOf, writeAuditCheckpoint } from '../../app/audit/audit-checkpoint.service.js';
import { exportAuditNdjson } from '../../app/audit/audit-query.service.js';
import { archiveAuditLog, auditArchiveDirOf } from '../../app/audit/audit-retention.service.js';
import { verifyAuditLog } from '../../app/audit/audit-verify.service.js';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { invalid } from '../../domain/shared/errors.js';
import { readIsoTime } from '../../domain/shared/iso-time.js';
import { withAppContext } from '../cli-context.js';

/**
 * `2026-01-31`, an ISO time (no offset is UTC, as the API reads it: readIsoTime), or `90d` (that many days ago).
 * Not Date.parse, which read a time without offset in this machine's zone and took `1 2` for a date.
 */
export function parseWhen(value: string, now: number, flag: string): number {
  const days = /^(\d{1,5})d$/.exec(value);
  if (days?.[1]) return now - Number(days[1]) * 24 * 60 * 60 * 1000;
  const iso = readIsoTime(value);
  if (!iso.ok) {
    throw invalid(`${flag} "${value}" is not a date: ${iso.problem}`, [
      { path: flag, message: 'use a date (2026-01-31), an ISO time, or a number of days ago (90d)' },
    ]);
  }
  return iso.ms;
}

export function configureAuditCommand(audit: Command): void {
  audit
    .command('verify')
    .description(
      'check the hash chain and signed checkpoints; exit code 3 and where, if anything was changed',
    )
    .option('--archives', 're-check archived segments from their files too')
    .option('--archive-dir <dir>', 'where archived segments are (default <data-dir>/audit-archive)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ riposte audit verify\n  $ riposte audit verify --archives --json')
    .action(async (opts: { archives?: boolean; archiveDir?: string; json?: boolean }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const report = await verifyAuditLog(ctx.store.db, {
          signer: auditSignerOf(ctx),
          ...(opts.archives ? { archiveDir: opts.archiveDir ?? auditArchiveDirOf(ctx) } : {}),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (report.ok) {
          process.stdout.write(
            `audit log intact: ${report.entriesChecked} entries (${report.archivedEntriesChecked} archived re-checked), ` +
              `${report.checkpointsChecked} signed checkpoints, last entry ${report.lastSeq}\n`,
          );
        } else {
          for (const p of report.problems)
            process.stdout.write(`BROKEN at entry ${p.seq} (${p.reason}): ${p.message}\n`);
        }
        if (!report.ok) process.exitCode = 3;
      });
    });

  audit
    .command('export')
    .description('write entries as NDJSON to standard output (for a SIEM)')
    .option('--from <when>', 'from this time (date, ISO time, or 30d)')
    .option('--to <when>', 'until this time')
    .option('--action <action>', 'only this action, or a prefix ending in "." (auth.)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte audit export --from 7d > audit.ndjson\n  $ riposte audit export --action auth.',
    )
    .action(async (opts: { from?: string; to?: string; action?: string }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const now = ctx.clock.now();
        const filter = {
          ...(opts.from ? { from: parseWhen(opts.from, now, '--from') } : {}),
          ...(opts.to ? { to: parseWhen(opts.to, now, '--to') } : {}),
          ...(opts.action ? { action: opts.action } : {}),
        };
        for await (const chunk of exportAuditNdjson(ctx, localAdminPrincipal(), filter)) {
          if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
        }
      });
    });

  audit
    .command('checkpoint')
    .description('sign the current head of the chain now')
    .action(async (_opts: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const cp = await writeAuditCheckpoint(ctx);
        process.stdout.write(
          cp ? `checkpoint at entry ${cp.seq} signed with key ${cp.key_id}\n` : 'the log is empty\n',
        );
      });
    });

  audit
    .command('archive')
    .description('move entries older than --before into an archive file, keeping the chain verifiable')
    .requiredOption('--before <when>', 'archive entries older than this (date, ISO time, or 365d)')
    .option('--archive-dir <dir>', 'where to write (default <data-dir>/audit-archive)')
    .addHelpText('after', '\nExamples:\n  $ riposte audit archive --before 365d')
    .action(async (opts: { before: string; archiveDir?: string }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const segment = await archiveAuditLog(ctx, localAdminPrincipal(), {
          before: parseWhen(opts.before, ctx.clock.now(), '--before'),
          ...(opts.archiveDir ? { archiveDir: opts.archiveDir } : {}),
        });
        process.stdout.write(
          segment
            ? `archived entries ${segment.from_seq}-${segment.to_seq} to ${segment.file}\n`
            : 'nothing old enough to archive\n',
        );
      });
    });
}
