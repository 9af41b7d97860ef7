import type { Command } from 'commander';
import type { AppContext } from '../app/context.js';
import { localAdminPrincipal } from '../app/identity/local-admin.js';
import { ConfigError, loadConfig, type Config, type ConfigInput } from '../config/config.js';
import { RiposteError } from '../domain/shared/errors.js';
import { assertAllowed } from '../governance/authorize-principal.js';
import type { Permission } from '../governance/permissions.js';
import { keyringLoader } from '../governance/secrets/master-key-file.js';
import { closeAppContext, createAppContext } from '../app/create-app-context.js';
import { createLogger } from '../observability/logger.js';
import { StoreUnavailableError } from '../store/store.js';

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  config?: string;
  databaseUrl?: string;
  dataDir?: string;
  logLevel?: Config['logLevel'];
}

export function configFromCommand(command: Command, overrides: Partial<ConfigInput> = {}): Config {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return loadConfig({
    file: globals.config,
    overrides: {
      databaseUrl: globals.databaseUrl,
      dataDir: globals.dataDir,
      logLevel: globals.logLevel ?? 'warn',
      ...overrides,
    },
  });
}

/**
 * Runs a command body with an open, migrated store, and closes it afterwards. CLI commands log at `warn`
 * unless told otherwise, so their own output stays readable. A command that writes names its permission:
 * it is checked for the CLI's principal (the local admin) by the same rule the HTTP API applies.
 */
export async function withAppContext<T>(
  command: Command,
  body: (ctx: AppContext) => Promise<T>,
  options: { migrate?: boolean; permission?: Permission } = {},
): Promise<T> {
  if (options.permission) assertAllowed(localAdminPrincipal(), options.permission);
  const config = configFromCommand(command);
  const ctx = await createAppContext(
    config,
    createLogger({ level: config.logLevel, destination: process.stderr }),
  );
  try {
    if (options.migrate ?? true) await ctx.store.migrate({ keyring: keyringLoader(config) });
    return await body(ctx);
  } finally {
    await closeAppContext(ctx);
  }
}

/** Turns an error into the one line (or short block) a person at a terminal should see, and an exit code. */
export function reportCliError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof ConfigError || err instanceof StoreUnavailableError) {
    stderr.write(`riposte: ${err.message}\n`);
    return 2;
  }
  if (err instanceof RiposteError) {
    stderr.write(`riposte: ${err.message}\n`);
    for (const d of err.details) {
      const where = [
        d.path,
        d.line !== undefined ? `line ${d.line}` : '',
        d.column !== undefined ? `column ${d.column}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      stderr.write(`  - ${where ? `${where}: ` : ''}${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}\n`);
    }
    return 1;
  }
  stderr.write(`riposte: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
