import type { Command } from 'commander';

/**
 * One top-level command of `riposte`: its name and line in `riposte --help`, and the module that configures
 * its options, subcommands and actions. A module is loaded only when its command runs (see program.ts):
 * loading them all, the HTTP server and the connectors among them, took most of every command's start.
 */
export interface CliCommand {
  name: string;
  description: string;
  load: () => Promise<(command: Command) => void>;
}

/** Every CLI command, in the order `riposte --help` lists them. Adding a command is one entry here. */
export const COMMANDS: readonly CliCommand[] = [
  {
    name: 'serve',
    description: 'run the API, ingest listeners and workers (one process, or one role of many)',
    load: async () => (await import('./serve.command.js')).configureServeCommand,
  },
  {
    name: 'migrate',
    description: 'bring the database schema up to date (serve also does this on start)',
    load: async () => (await import('./migrate.command.js')).configureMigrateCommand,
  },
  {
    name: 'ingest',
    description: 'ingest alerts from files (NDJSON, JSON arrays, syslog/CEF/LEEF lines); "-" reads stdin',
    load: async () => (await import('./ingest.command.js')).configureIngestCommand,
  },
  {
    name: 'user',
    description: 'manage local users (acts as the local admin; recorded in the audit log)',
    load: async () => (await import('./user.command.js')).configureUserCommand,
  },
  {
    name: 'token',
    description: 'manage API tokens (acts as the local admin; recorded in the audit log)',
    load: async () => (await import('./token.command.js')).configureTokenCommand,
  },
  {
    name: 'audit',
    description: 'verify, export and archive the audit log',
    load: async () => (await import('./audit.command.js')).configureAuditCommand,
  },
  {
    name: 'report',
    description: 'evidence reports for auditors',
    load: async () => (await import('./report.command.js')).configureReportCommand,
  },
  {
    name: 'cases',
    description: 'list, show, update and close cases (writes are audited)',
    load: async () => (await import('./cases.command.js')).configureCasesCommand,
  },
  {
    name: 'sla-policies',
    description: 'show or set the SLA targets per severity (changes are audited)',
    load: async () => (await import('./sla-policies.command.js')).configureSlaPoliciesCommand,
  },
  {
    name: 'playbook',
    description: 'write, check, test and publish playbooks',
    load: async () => (await import('./playbook.command.js')).configurePlaybookCommand,
  },
  {
    name: 'run',
    description: 'start, inspect and control playbook runs',
    load: async () => (await import('./run.command.js')).configureRunCommand,
  },
  {
    name: 'approval',
    description: 'decide approval steps of parked runs',
    load: async () => (await import('./run.command.js')).configureApprovalCommand,
  },
  {
    name: 'connector',
    description: 'configure connector instances (acts as the local admin; audited)',
    load: async () => (await import('./connector.command.js')).configureConnectorCommand,
  },
  {
    name: 'containment',
    description: 'containments in force, their undo, protected assets and breakers',
    load: async () => (await import('./containment.command.js')).configureContainmentCommand,
  },
];
