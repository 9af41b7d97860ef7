import { InvalidArgumentError, type Command } from 'commander';
import type { AppContext } from '../../app/context.js';
import { changeCaseStatus, updateCase, type CasePatch } from '../../app/cases/case-commands.js';
import { getCaseDetail, runCaseCommand } from '../../app/cases/case-service.js';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { CaseResolution, isCaseStatus } from '../../domain/cases/case-lifecycle.js';
import { CaseStatus, type Case } from '../../domain/cases/case.js';
import { notFound } from '../../domain/shared/errors.js';
import { Severity } from '../../domain/shared/severity.js';
import { actorOf } from '../../governance/principal.js';
import { listCases, listTimeline } from '../../store/cases/case-query.repository.js';
import { listCaseTasks } from '../../store/cases/case-task.repository.js';
import { findCaseById, findCaseIdByNumber } from '../../store/cases/case.repository.js';
import { withAppContext } from '../cli-context.js';

const oneOf =
  <T extends string>(values: readonly T[], what: string) =>
  (value: string): T => {
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${what} must be one of ${values.join(', ')}`);
    }
    return value as T;
  };

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',')];

/** A case by id, or by its number (`42` or `#42`), as people say it. */
async function resolveCase(ctx: AppContext, ref: string): Promise<string> {
  const number = /^#?(\d+)$/.exec(ref)?.[1];
  const id = number
    ? await findCaseIdByNumber(ctx.store.db, Number(number))
    : (await findCaseById(ctx.store.db, ref))?.id;
  if (!id) throw notFound('case', ref);
  return id;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const line = (c: Case): string =>
  `#${String(c.number).padEnd(6)} ${c.severity.padEnd(8)} ${c.status.padEnd(11)} ${(c.assignee ?? '-').padEnd(12)} ${c.title}\n`;

export function configureCasesCommand(cases: Command): void {
  cases
    .command('list')
    .description('list cases, newest first')
    .option('--status <status>', 'filter by status (repeatable or comma-separated)', collect)
    .option('--severity <severity>', 'filter by severity (repeatable or comma-separated)', collect)
    .option('--assignee <name>', 'filter by assignee')
    .option('--tag <tag>', 'filter by tag')
    .option('--observable <value>', 'cases holding this observable (IP, domain, hash…)')
    .option('--search <text>', 'words in the title or description')
    .option('--limit <n>', 'page size', positiveInt, 50)
    .option('--cursor <cursor>', 'the next page, as printed after the last one')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte cases list --status new,triage --severity critical\n  $ riposte cases list --observable 203.0.113.9 --json',
    )
    .action(
      async (
        opts: {
          status?: string[];
          severity?: string[];
          assignee?: string;
          tag?: string;
          observable?: string;
          search?: string;
          limit: number;
          cursor?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        for (const s of opts.status ?? []) oneOf(Object.values(CaseStatus), 'status')(s);
        for (const s of opts.severity ?? []) oneOf(Severity, 'severity')(s);
        await withAppContext(command, async (ctx) => {
          const page = await listCases(
            ctx.store.db,
            {
              status: opts.status,
              severity: opts.severity,
              assignee: opts.assignee,
              tag: opts.tag,
              observable: opts.observable,
              text: opts.search,
            },
            { cursor: opts.cursor, limit: opts.limit },
            ctx.store.dialect,
          );
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
            return;
          }
          for (const c of page.items) process.stdout.write(line(c));
          if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
        });
      },
    );

  cases
    .command('show <case>')
    .description('show a case (by id or number): fields, SLA clocks, tasks and its latest timeline events')
    .option('--events <n>', 'timeline events to show', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { events: number; json?: boolean }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const id = await resolveCase(ctx, ref);
        const detail = await getCaseDetail(ctx, id);
        const tasks = await listCaseTasks(ctx.store.db, id);
        const timeline = (await listTimeline(ctx.store.db, id, { limit: 10_000 })).slice(-opts.events);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ case: detail, tasks, timeline }, null, 2)}\n`);
          return;
        }
        const out = process.stdout;
        out.write(`#${detail.number} ${detail.title}\n`);
        out.write(
          `  id        ${detail.id}\n  status    ${detail.status}${detail.resolution ? ` (${detail.resolution})` : ''}\n`,
        );
        out.write(
          `  severity  ${detail.severity} (P${detail.priority})\n  assignee  ${detail.assignee ?? '-'}\n`,
        );
        out.write(`  tags      ${detail.tags.join(', ') || '-'}\n  created   ${iso(detail.createdAt)}\n`);
        if (detail.mergedInto) out.write(`  merged into ${detail.mergedInto}\n`);
        out.write('SLA\n');
        for (const c of detail.sla) {
          const state = c.stoppedAt !== null ? `met ${iso(c.stoppedAt)}` : `due ${iso(c.dueAt)}`;
          out.write(`  ${c.name.padEnd(12)} ${state}${c.breached ? '  BREACHED' : ''}\n`);
        }
        out.write(`Tasks (${tasks.length})\n`);
        for (const t of tasks)
          out.write(
            `  [${t.state === 'done' ? 'x' : ' '}] ${t.title}${t.assignee ? ` (${t.assignee})` : ''}\n`,
          );
        out.write('Timeline\n');
        for (const e of timeline) out.write(`  ${iso(e.at)} ${e.type.padEnd(20)} ${e.actor.name}\n`);
      });
    });

  cases
    .command('update <case>')
    .description('change a case: fields, and/or move it along its lifecycle (use close to close)')
    .option('--title <title>', 'new title')
    .option('--severity <severity>', 'new severity', oneOf(Severity, 'severity'))
    .option('--assignee <name>', 'assign to someone ("" to unassign)')
    .option('--tag <tag>', 'replace the tags (repeatable or comma-separated)', collect)
    .option('--status <status>', 'move to this status (triage, containment, eradication, recovery)')
    .option('--reason <text>', 'why (recorded with a status change)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte cases update 42 --assignee alice --severity critical\n  $ riposte cases update 42 --status containment --reason "host isolated"',
    )
    .action(
      async (
        ref: string,
        opts: {
          title?: string;
          severity?: Severity;
          assignee?: string;
          tag?: string[];
          status?: string;
          reason?: string;
        },
        command: Command,
      ) => {
        if (opts.status !== undefined && (!isCaseStatus(opts.status) || opts.status === 'closed')) {
          throw new InvalidArgumentError(
            '--status must be triage, containment, eradication or recovery (use `cases close`)',
          );
        }
        const patch: CasePatch = {
          ...(opts.title !== undefined ? { title: opts.title } : {}),
          ...(opts.severity ? { severity: opts.severity } : {}),
          ...(opts.assignee !== undefined ? { assignee: opts.assignee === '' ? null : opts.assignee } : {}),
          ...(opts.tag ? { tags: opts.tag } : {}),
        };
        await withAppContext(
          command,
          async (ctx) => {
            const id = await resolveCase(ctx, ref);
            const actor = actorOf(localAdminPrincipal());
            let kase = (
              await runCaseCommand(ctx, [id], (trx, deps, now) =>
                updateCase(trx, deps, { caseId: id, patch, actor }, now),
              )
            ).case;
            if (opts.status) {
              const to = opts.status as CaseStatus;
              kase = (
                await runCaseCommand(ctx, [id], (trx, deps, now) =>
                  changeCaseStatus(
                    trx,
                    deps,
                    { caseId: id, to, actor, ...(opts.reason ? { reason: opts.reason } : {}) },
                    now,
                  ),
                )
              ).case;
            }
            process.stdout.write(line(kase));
          },
          { permission: 'cases:write' },
        );
      },
    );

  cases
    .command('close <case>')
    .description(
      'close a case with a resolution (resolved from recovery; false_positive, benign or duplicate from triage)',
    )
    .requiredOption(
      '--resolution <resolution>',
      CaseResolution.join(' | '),
      oneOf(CaseResolution, 'resolution'),
    )
    .option('--reason <text>', 'why (recorded on the timeline)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte cases close 42 --resolution false_positive --reason "scanner"',
    )
    .action(async (ref: string, opts: { resolution: CaseResolution; reason?: string }, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          const id = await resolveCase(ctx, ref);
          const actor = actorOf(localAdminPrincipal());
          const { case: kase } = await runCaseCommand(ctx, [id], (trx, deps, now) =>
            changeCaseStatus(
              trx,
              deps,
              {
                caseId: id,
                to: 'closed',
                resolution: opts.resolution,
                actor,
                ...(opts.reason ? { reason: opts.reason } : {}),
              },
              now,
            ),
          );
          process.stdout.write(line(kase));
        },
        { permission: 'cases:close' },
      );
    });
}
