import type { Command } from 'commander';
import { createConnectorRuntime } from '../../app/connectors/connector-runtime.js';
import { undoContainment } from '../../app/connectors/containment.service.js';
import {
  listContainmentBreakers,
  listProtected,
  protectAsset,
  ProtectedAssetInput,
  resetContainmentBreaker,
  unprotectAsset,
} from '../../app/connectors/safety.service.js';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { invalid } from '../../domain/shared/errors.js';
import { actorOf } from '../../governance/principal.js';
import { listContainments } from '../../store/connectors/containment.repository.js';
import { withAppContext } from '../cli-context.js';

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

export function configureContainmentCommand(containment: Command): void {
  containment
    .command('list')
    .description('list containments (in force by default)')
    .option('--status <status>', 'active, undone, undo_failed or all', 'active')
    .option('--json', 'print JSON')
    .action(async (opts: { status: string; json?: boolean }, command: Command) => {
      const statuses = ['active', 'undone', 'undo_failed', 'all'];
      if (!statuses.includes(opts.status)) throw invalid(`--status must be one of ${statuses.join(', ')}`);
      await withAppContext(command, async (ctx) => {
        const rows = await listContainments(
          ctx.store.db,
          opts.status === 'all' ? {} : { status: opts.status as 'active' },
        );
        if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        for (const c of rows) {
          const targets = c.targets.map((t) => `${t.kind}:${t.value}`).join(',');
          process.stdout.write(
            `${c.id}\t${c.status}\t${c.action}\t${targets}\tplaybook ${c.playbookId}\tsince ${iso(c.createdAt)}\texpires ${iso(c.expiresAt)}\n`,
          );
        }
        if (rows.length === 0) process.stderr.write('no containments\n');
      });
    });

  containment
    .command('undo <id>')
    .description('run the recorded undo action of a containment now')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          const runtime = createConnectorRuntime(ctx);
          try {
            const outcome = await undoContainment(
              ctx,
              runtime,
              actorOf(localAdminPrincipal()),
              id,
              AbortSignal.timeout(60_000),
            );
            process.stdout.write(
              outcome.status === 'already'
                ? `${id} was already undone\n`
                : `undone ${id} (${outcome.containment.undo?.action})\n`,
            );
          } finally {
            await runtime.close();
          }
        },
        { permission: 'containment:undo' },
      );
    });

  containment
    .command('protect <kind> <value>')
    .description('protect an asset (ip, host, user, domain) from automated containment')
    .requiredOption('--reason <text>', 'why it is protected (shown when a step is refused)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte containment protect ip 10.0.0.0/8 --reason "internal network"\n  $ riposte containment protect user ceo@example.com --reason executive',
    )
    .action(async (kind: string, value: string, opts: { reason: string }, command: Command) => {
      const input = ProtectedAssetInput.safeParse({ kind, value, reason: opts.reason });
      if (!input.success) throw invalid('kind must be ip, host, user or domain, with a value and a reason');
      await withAppContext(
        command,
        async (ctx) => {
          const asset = await protectAsset(ctx, actorOf(localAdminPrincipal()), input.data);
          process.stdout.write(`protected ${asset.kind} ${asset.value} (${asset.id})\n`);
        },
        { permission: 'connectors:write' },
      );
    });

  containment
    .command('unprotect <id>')
    .description('remove a protected asset by its id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          await unprotectAsset(ctx, actorOf(localAdminPrincipal()), id);
          process.stdout.write(`removed ${id}\n`);
        },
        { permission: 'connectors:write' },
      );
    });

  containment
    .command('protected')
    .description('list protected assets')
    .action(async (_opts: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        for (const a of await listProtected(ctx))
          process.stdout.write(`${a.id}\t${a.kind}\t${a.value}\t${a.reason}\n`);
      });
    });

  containment
    .command('breakers')
    .description('list containment breakers (open until the time shown)')
    .action(async (_opts: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        for (const b of await listContainmentBreakers(ctx))
          process.stdout.write(`${b.scope}\topen until ${iso(b.openUntil)}\t${b.reason}\n`);
      });
    });

  containment
    .command('reset-breaker <scope>')
    .description('close a tripped breaker (e.g. playbook:<id> or connector:<name>) after review')
    .action(async (scope: string, _opts: unknown, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          await resetContainmentBreaker(ctx, actorOf(localAdminPrincipal()), scope);
          process.stdout.write(`closed ${scope}\n`);
        },
        { permission: 'containment:undo' },
      );
    });
}
