import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  approvalLinkKey,
  decideApproval,
  issueApprovalLinks,
} from '../../app/playbooks/approval-decisions.js';
import { durationMs } from '../../domain/playbooks/playbook.schema.js';
import { invalid } from '../../domain/shared/errors.js';
import { createRunServices, getRunDetail } from '../../app/playbooks/run-control.js';
import type { Actor } from '../../domain/shared/actor.js';
import type { Principal } from '../../governance/principal.js';
import { listApprovals } from '../../store/runs/approval.repository.js';
import { listRuns } from '../../store/runs/run.repository.js';
import { withAppContext } from '../cli-context.js';

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/**
 * Who acts from the command line: the operating-system user, as an admin. Whoever can run the CLI against
 * the store could change its rows anyway; the audit log records the name.
 */
const cliPrincipal = (): Principal => {
  const name = `cli:${userInfo().username}`;
  return { kind: 'user', id: name, name, roles: ['admin'] };
};
const cliActor = (): Actor => ({ type: 'user', id: cliPrincipal().id, name: cliPrincipal().name });

/** `riposte run start|list|show|cancel|pause|resume`. */
export function configureRunCommand(run: Command): void {
  run
    .command('start')
    .argument('<playbook>')
    .option('--input <name=json>', 'a typed input (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--case <id>', 'the case the run works on')
    .action(async (playbookId: string, opts: { input: string[]; case?: string }, command: Command) => {
      const inputs = Object.fromEntries(
        opts.input.map((kv) => [
          kv.slice(0, kv.indexOf('=')),
          JSON.parse(kv.slice(kv.indexOf('=') + 1)) as unknown,
        ]),
      );
      await withAppContext(
        command,
        async (ctx) => {
          const r = await createRunServices(ctx).startManualRun({
            playbookId,
            inputs,
            caseId: opts.case,
            actor: cliActor(),
          });
          out(`run ${r.runId} started (version ${r.version})`);
        },
        { permission: 'runs:start' },
      );
    });
  run
    .command('list')
    .option('--playbook <id>')
    .option('--status <status>')
    .option('--limit <n>', 'how many', '50')
    .action(async (opts: { playbook?: string; status?: string; limit: string }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        for (const r of await listRuns(ctx.store.db, {
          playbookId: opts.playbook,
          status: opts.status,
          limit: Number(opts.limit),
        }))
          out(
            `${r.id}\t${r.playbook_id}@${r.version}\t${r.status}${r.error_code ? ` (${r.error_code})` : ''}`,
          );
      });
    });
  run
    .command('show')
    .argument('<run>')
    .action(async (runId: string, _o: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const d = await getRunDetail(ctx, runId);
        out(
          `${d.run.id} ${d.run.playbook_id}@${d.run.version} ${d.run.status}${d.run.error_code ? ` (${d.run.error_code})` : ''}`,
        );
        for (const e of d.events) out(`  ${e.type.padEnd(15)} ${e.step_path ?? ''}`);
        for (const s of d.steps)
          out(
            `  ${s.kind} ${s.name} #${s.attempt} ${s.status} input=${s.input}${s.error_code ? ` error=${s.error_code}` : ''}`,
          );
      });
    });
  for (const action of ['cancel', 'pause', 'resume'] as const)
    run
      .command(action)
      .argument('<run>')
      .option('--reason <text>')
      .action(async (runId: string, opts: { reason?: string }, command: Command) => {
        await withAppContext(
          command,
          async (ctx) => {
            await createRunServices(ctx).controlRun({
              runId,
              action,
              actor: cliActor(),
              reason: opts.reason,
            });
            out(`${action} requested for run ${runId}`);
          },
          { permission: 'runs:control' },
        );
      });
}

/** `riposte approval list|approve|reject|link`. */
export function configureApprovalCommand(approval: Command): void {
  approval
    .command('list')
    .option('--status <status>', 'pending, approved, rejected, closed', 'pending')
    .action(async (opts: { status: string }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        for (const a of await listApprovals(ctx.store.db, { status: opts.status, limit: 200 }))
          out(`${a.id}\trun ${a.run_id}\t${a.step_id}\tquorum ${a.quorum}\t${a.message}`);
      });
    });
  for (const decision of ['approve', 'reject'] as const)
    approval
      .command(decision)
      .argument('<approval>')
      .option('--comment <text>')
      .action(async (approvalId: string, opts: { comment?: string }, command: Command) => {
        await withAppContext(
          command,
          async (ctx) => {
            const r = await decideApproval(ctx, {
              approvalId,
              approver: cliPrincipal(),
              decision: decision === 'approve' ? 'approved' : 'rejected',
              comment: opts.comment,
            });
            out(`approval ${approvalId}: ${r.status} (${r.approvals}/${r.quorum})`);
          },
          { permission: 'approvals:decide' },
        );
      });
  approval
    .command('link')
    .description('sign one-click approve and reject links for one approver, to send by chat or e-mail')
    .argument('<approval>')
    .requiredOption('--user <username>', 'the approver the links are for')
    .option('--ttl <duration>', 'how long the links work (30m, 4h, 1d; at most 7d)', '4h')
    .action(async (approvalId: string, opts: { user: string; ttl: string }, command: Command) => {
      if (!/^\d+(ms|s|m|h|d)$/.test(opts.ttl))
        throw invalid('--ttl is not a duration', [{ path: '--ttl', message: 'use 30m, 4h or 1d' }]);
      await withAppContext(
        command,
        async (ctx) => {
          if (!ctx.config.masterKey)
            throw invalid('one-click links need a master key', [
              { path: 'RIPOSTE_MASTER_KEY', message: 'set it, or the server could not verify the links' },
            ]);
          const links = await issueApprovalLinks(ctx, approvalLinkKey(ctx.config.masterKey), {
            approvalId,
            username: opts.user,
            ttlMs: Math.min(durationMs(opts.ttl), 7 * 86_400_000),
          });
          out(`approve\t${links.approve}`);
          out(`reject\t${links.reject}`);
          out(`expires\t${new Date(links.expiresAt).toISOString()}`);
        },
        { permission: 'users:admin' },
      );
    });
}
