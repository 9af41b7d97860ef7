import type { Command } from 'commander';
import { describeDatabase } from '../../config/config.js';
import { keyringLoader } from '../../governance/secrets/master-key-file.js';
import { configFromCommand, withAppContext } from '../cli-context.js';

export function configureMigrateCommand(command: Command): void {
  command
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte migrate\n  $ DATABASE_URL=postgres://riposte@127.0.0.1/riposte riposte migrate',
    )
    .action(async (_opts: unknown, command: Command) => {
      const where = describeDatabase(configFromCommand(command));
      await withAppContext(
        command,
        async (ctx) => {
          const { applied } = await ctx.store.migrate({ keyring: keyringLoader(ctx.config) });
          process.stdout.write(
            applied.length
              ? `applied ${applied.length} migration(s) to ${where}: ${applied.join(', ')}\n`
              : `${where} is up to date\n`,
          );
        },
        { migrate: false },
      );
    });
}
