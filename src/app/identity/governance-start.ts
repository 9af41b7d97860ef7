import type { AppContext } from '../context.js';
import { writeAuditCheckpoint } from '../audit/audit-checkpoint.service.js';
import { BOOTSTRAP_ADMIN, bootstrapAdmin } from './users.service.js';

/**
 * What governance does when Riposte starts: on the very first start, create the admin. A generated one-time
 * password is printed once to the terminal (never to the log, which may be shipped elsewhere); with
 * RIPOSTE_ADMIN_PASSWORD it is taken from the environment and not printed.
 */
export async function startGovernance(
  ctx: AppContext,
  options: { adminPassword?: string; print?: (text: string) => void },
): Promise<void> {
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  // Sign whatever the chain holds now, so a rewrite while Riposte was down cannot go unnoticed.
  await writeAuditCheckpoint(ctx);
  const result = await bootstrapAdmin(ctx, options.adminPassword ? { password: options.adminPassword } : {});
  if (!result.created) return;
  ctx.log.warn({ username: BOOTSTRAP_ADMIN }, 'first start: created the admin account');
  if (result.oneTimePassword) {
    print(
      `\nRiposte first start: created user "${BOOTSTRAP_ADMIN}" with the one-time password\n\n    ${result.oneTimePassword}\n\n` +
        'Sign in and change it now; it will not be shown again.\n\n',
    );
  }
}
