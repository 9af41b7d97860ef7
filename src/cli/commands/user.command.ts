import type { Command } from 'commander';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { createUser, disableUser, listUsers } from '../../app/identity/users.service.js';
import { withAppContext } from '../cli-context.js';

const collect = (value: string, previous: string[]): string[] => [...previous, ...value.split(',')];

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function configureUserCommand(user: Command): void {
  user
    .command('add <username>')
    .description('create a user; prints a one-time password unless --password-stdin is given')
    .requiredOption('-r, --role <role>', 'role (repeatable or comma-separated)', collect, [])
    .option('--display-name <name>', 'name shown in the UI')
    .option('--email <email>', 'e-mail address')
    .option('--password-stdin', 'read the password from standard input')
    .addHelpText(
      'after',
      '\nExamples:\n  $ riposte user add alice --role responder\n  $ echo "$PW" | riposte user add bob --role approver,viewer --password-stdin',
    )
    .action(
      async (
        username: string,
        opts: { role: string[]; displayName?: string; email?: string; passwordStdin?: boolean },
        command: Command,
      ) => {
        const password = opts.passwordStdin ? await readStdin() : undefined;
        await withAppContext(command, async (ctx) => {
          const { user: created, oneTimePassword } = await createUser(ctx, localAdminPrincipal(), {
            username,
            roles: opts.role,
            ...(opts.displayName ? { displayName: opts.displayName } : {}),
            ...(opts.email ? { email: opts.email } : {}),
            ...(password !== undefined ? { password } : {}),
          });
          process.stdout.write(`created user ${created.username} (${created.roles.join(', ')})\n`);
          if (oneTimePassword) {
            process.stdout.write(
              `one-time password (shown once, change it at first sign-in): ${oneTimePassword}\n`,
            );
          }
        });
      },
    );

  user
    .command('list')
    .description('list users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const users = await listUsers(ctx, localAdminPrincipal());
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
          return;
        }
        for (const u of users) {
          const state = u.disabled
            ? 'disabled'
            : u.lockedUntil && u.lockedUntil > ctx.clock.now()
              ? 'locked'
              : 'active';
          process.stdout.write(`${u.username.padEnd(24)} ${state.padEnd(9)} ${u.roles.join(',')}\n`);
        }
      });
    });

  user
    .command('disable <username>')
    .description('disable a user and end their sessions')
    .action(async (username: string, _opts: unknown, command: Command) => {
      await withAppContext(command, async (ctx) => {
        await disableUser(ctx, localAdminPrincipal(), username);
        process.stdout.write(`disabled ${username}\n`);
      });
    });
}
