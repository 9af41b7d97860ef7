import { Command, Option } from 'commander';
import { COMMANDS } from './commands/index.js';

export const VERSION = '0.1.0';

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
  for (const register of COMMANDS) register(program);
  return program;
}
