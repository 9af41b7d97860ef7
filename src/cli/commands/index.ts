import type { Command } from 'commander';
import { registerMigrateCommand } from './migrate.command.js';
import { registerServeCommand } from './serve.command.js';

/** Every CLI command, in the order `riposte --help` lists them. Adding a command is one line here. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerServeCommand,
  registerMigrateCommand,
];
