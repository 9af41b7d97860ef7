import { Command, Option } from 'commander';
import { COMMANDS } from './commands/index.js';

export const VERSION = '0.1.0';

/** Gives a top-level command its options, subcommands and actions, from its module. */
async function configure(command: Command): Promise<void> {
  const entry = COMMANDS.find((c) => c.name === command.name());
  if (entry) (await entry.load())(command);
}

/** The `riposte` command line: global options, then one subcommand per capability. */
export function buildProgram(): Command {
  const program = new Command('riposte')
    .description('Riposte: incident response orchestration — ingest alerts, run playbooks, work cases')
    .version(VERSION)
    .option('-c, --config <file>', 'config file (YAML or JSON); also RIPOSTE_CONFIG')
    .option(
      '--database-url <url>',
      'PostgreSQL URL; the embedded SQLite store when absent (also DATABASE_URL)',
    )
    .option('--data-dir <dir>', 'where the embedded store and files live (default ./data)')
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ riposte serve                      start everything on the embedded store
  $ riposte migrate                    bring the schema up to date
  $ riposte <command> --help           options and examples for one command`,
    );
  for (const { name, description } of COMMANDS) program.command(name).description(description);
  // The chosen command is configured just before commander parses the rest of the line for it.
  program.hook('preSubcommand', (_program, command) => configure(command));
  // `riposte help <command>` shows the configured command (commander's own would show it bare).
  program
    .helpCommand(false)
    .command('help [command]')
    .description('display help for command')
    .action(async (name: string | undefined) => {
      if (name === undefined) program.help();
      const command = program.commands.find((c) => c.name() === name);
      if (!command) return program.error(`error: unknown command '${name}'`);
      await configure(command);
      command.help();
    });
  return program;
}
