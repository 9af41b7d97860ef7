import type { Command } from 'commander';
import { createApiToken, revokeApiToken } from '../../app/identity/api-tokens.service.js';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { invalid } from '../../domain/shared/errors.js';
import { withAppContext } from '../cli-context.js';

const collect = (value: string, previous: string[]): string[] => [...previous, ...value.split(',')];
const DAY_MS = 24 * 60 * 60 * 1000;

export function configureTokenCommand(token: Command): void {
  token
    .command('create <name>')
    .description('create an API token and print it once')
    .requiredOption('-r, --role <role>', 'role (repeatable or comma-separated), e.g. ingest', collect, [])
    .option('-s, --source <source>', 'for ingest tokens: a source it may send for (repeatable)', collect, [])
    .option('--expires-in-days <days>', 'lifetime in days (default: no expiry)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte token create splunk-hec --role ingest --source splunk --expires-in-days 90\n  $ riposte token create grafana --role viewer',
    )
    .action(
      async (
        name: string,
        opts: { role: string[]; source: string[]; expiresInDays?: string },
        command: Command,
      ) => {
        const days = opts.expiresInDays === undefined ? undefined : Number(opts.expiresInDays);
        if (days !== undefined && !(days > 0)) {
          throw invalid('--expires-in-days must be a positive number', [
            { path: '--expires-in-days', message: opts.expiresInDays ?? '' },
          ]);
        }
        await withAppContext(command, async (ctx) => {
          const created = await createApiToken(ctx, localAdminPrincipal(), {
            name,
            roles: opts.role,
            ...(opts.source.length ? { sources: opts.source } : {}),
            ...(days !== undefined ? { expiresInMs: days * DAY_MS } : {}),
          });
          process.stderr.write(
            `created token ${created.info.id} (${created.info.roles.join(', ')}); it is shown once:\n`,
          );
          process.stdout.write(`${created.token}\n`);
        });
      },
    );

  token
    .command('revoke <id>')
    .description('revoke an API token by its id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        await revokeApiToken(ctx, localAdminPrincipal(), id);
        process.stdout.write(`revoked ${id}\n`);
      });
    });
}
