import type { Command } from 'commander';
import { registerAuditCommand } from './audit.command.js';
import { registerCasesCommand } from './cases.command.js';
import { registerConnectorCommand } from './connector.command.js';
import { registerContainmentCommand } from './containment.command.js';
import { registerIngestCommand } from './ingest.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerPlaybookCommand } from './playbook.command.js';
import { registerApprovalCommand, registerRunCommand } from './run.command.js';
import { registerReportCommand } from './report.command.js';
import { registerServeCommand } from './serve.command.js';
import { registerSlaPoliciesCommand } from './sla-policies.command.js';
import { registerTokenCommand } from './token.command.js';
import { registerUserCommand } from './user.command.js';

/** Every CLI command, in the order `riposte --help` lists them. Adding a command is one line here. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerServeCommand,
  registerMigrateCommand,
  registerIngestCommand,
  registerUserCommand,
  registerTokenCommand,
  registerAuditCommand,
  registerReportCommand,
  registerCasesCommand,
  registerSlaPoliciesCommand,
  registerPlaybookCommand,
  registerRunCommand,
  registerApprovalCommand,
  registerConnectorCommand,
  registerContainmentCommand,
];
