import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createConnectorDeps, createConnectorRuntime } from '../../app/connectors/connector-runtime.js';
import {
  createConnectorInstance,
  describeConnector,
  listConnectorInstanceViews,
  removeConnectorInstance,
  updateConnectorInstance,
} from '../../app/connectors/connector-instances.service.js';
import { DEFAULT_SETTLE_MS, rotateMasterKey } from '../../app/secrets/key-rotation.service.js';
import { localAdminPrincipal } from '../../app/identity/local-admin.js';
import { invalid } from '../../domain/shared/errors.js';
import { actorOf } from '../../governance/principal.js';
import { withAppContext } from '../cli-context.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `key=value` pairs; values that parse as JSON (numbers, booleans, arrays) are taken as such. */
function parseSettings(pairs: string[], fromEnv: string[], file?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (file) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw invalid(`${file} must hold a JSON object of settings`);
    Object.assign(out, parsed);
  }
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1)
      throw invalid(`--set ${pair.split('=')[0]} needs the form key=value`, [
        { path: '--set', message: 'expected key=value' },
      ]);
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      value = raw;
    }
    out[pair.slice(0, at)] = value;
  }
  // Secrets from the environment stay out of shell history and process listings.
  for (const pair of fromEnv) {
    const [key, variable] = pair.split('=');
    const value = variable ? process.env[variable] : undefined;
    if (!key || !variable || value === undefined)
      throw invalid(`--set-env ${pair}: expected key=ENV_VAR naming a set variable`);
    out[key] = value;
  }
  return out;
}

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export function configureConnectorCommand(connector: Command): void {
  connector
    .command('types')
    .description('list the built-in connectors and their actions')
    .option('--json', 'full catalogue with JSON Schemas')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withAppContext(command, async (ctx) => {
        const types = createConnectorDeps(ctx).registry.connectors().map(describeConnector);
        if (opts.json) return print(types);
        for (const t of types) {
          process.stdout.write(`${t.name}\t${t.title}\n`);
          for (const a of t.actions)
            process.stdout.write(`  ${a.name}\t${a.risk}${a.undo ? `\tundo: ${a.undo}` : ''}\n`);
        }
      });
    });

  connector
    .command('list')
    .description('list configured instances (credentials are never shown)')
    .action(async (_opts: unknown, command: Command) => {
      await withAppContext(command, async (ctx) =>
        print(await listConnectorInstanceViews(ctx, createConnectorDeps(ctx))),
      );
    });

  connector
    .command('add <connector> <name>')
    .description('configure an instance of a connector')
    .option('--set <key=value>', 'a setting (repeatable)', collect, [])
    .option(
      '--set-env <key=ENV_VAR>',
      'a setting read from an environment variable, for credentials (repeatable)',
      collect,
      [],
    )
    .option('--config-file <file.json>', 'settings from a JSON file')
    .option('--default', "make it the connector's default instance")
    .addHelpText(
      'after',
      '\nExamples:\n  $ VT_KEY=… riposte connector add virustotal vt-prod --set-env apiKey=VT_KEY --default\n  $ riposte connector add blocklist edge-fw --set baseUrl=https://fw.example --set-env token=FW_TOKEN --set openc2Actuator=true',
    )
    .action(
      async (
        type: string,
        name: string,
        opts: { set: string[]; setEnv: string[]; configFile?: string; default?: boolean },
        command: Command,
      ) => {
        await withAppContext(
          command,
          async (ctx) => {
            const view = await createConnectorInstance(
              ctx,
              createConnectorDeps(ctx),
              actorOf(localAdminPrincipal()),
              {
                name,
                connector: type,
                config: parseSettings(opts.set, opts.setEnv, opts.configFile),
                isDefault: opts.default ?? false,
              },
            );
            print(view);
          },
          { permission: 'connectors:write' },
        );
      },
    );

  connector
    .command('update <name>')
    .description('change settings of an instance (absent settings stay as they are)')
    .option('--set <key=value>', 'a setting (repeatable)', collect, [])
    .option(
      '--set-env <key=ENV_VAR>',
      'a setting read from an environment variable (repeatable)',
      collect,
      [],
    )
    .option('--unset <key>', 'remove a setting (repeatable)', collect, [])
    .option('--default', "make it the connector's default instance")
    .action(
      async (
        name: string,
        opts: { set: string[]; setEnv: string[]; unset: string[]; default?: boolean },
        command: Command,
      ) => {
        const config = parseSettings(opts.set, opts.setEnv);
        for (const key of opts.unset) config[key] = null;
        await withAppContext(
          command,
          async (ctx) => {
            print(
              await updateConnectorInstance(
                ctx,
                createConnectorDeps(ctx),
                actorOf(localAdminPrincipal()),
                name,
                { config, isDefault: opts.default },
              ),
            );
          },
          { permission: 'connectors:write' },
        );
      },
    );

  connector
    .command('remove <name>')
    .description('delete an instance')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          await removeConnectorInstance(ctx, actorOf(localAdminPrincipal()), name);
          process.stdout.write(`removed ${name}\n`);
        },
        { permission: 'connectors:write' },
      );
    });

  connector
    .command('test <name>')
    .description('check an instance against its real endpoint (exit code 1 when it fails)')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withAppContext(
        command,
        async (ctx) => {
          const runtime = createConnectorRuntime(ctx);
          try {
            const result = await runtime.testInstance(name, AbortSignal.timeout(60_000));
            process.stdout.write(
              `${result.ok ? 'ok' : 'FAILED'}: ${name} (${result.connector}): ${result.message}\n`,
            );
            if (!result.ok) process.exitCode = 1;
          } finally {
            await runtime.close();
          }
        },
        { permission: 'connectors:test' },
      );
    });

  connector
    .command('rotate-key')
    .description(
      "encrypt every stored secret (connector credentials, ingest sources' HMAC secrets) under a new master key",
    )
    .option(
      '--new-key <key>',
      'the new key (32 bytes, base64 or hex) when the key is set in RIPOSTE_MASTER_KEY',
    )
    .option(
      '--settle-ms <ms>',
      'with a key file: how long running processes get to commit what they sealed under the old key before the last sweep and its removal',
      String(DEFAULT_SETTLE_MS),
    )
    .action(async (opts: { newKey?: string; settleMs: string }, command: Command) => {
      const settleMs = Number(opts.settleMs);
      if (!Number.isInteger(settleMs) || settleMs < 0)
        throw invalid(`--settle-ms ${opts.settleMs}: expected a whole number of milliseconds`);
      await withAppContext(
        command,
        async (ctx) => {
          const outcome = await rotateMasterKey(ctx, actorOf(localAdminPrincipal()), {
            newKey: opts.newKey,
            settleMs,
          });
          process.stdout.write(
            `re-sealed ${outcome.connectorInstances} connector instance(s) and ${outcome.ingestSources} ingest source secret(s) under key ${outcome.keyId} (was ${outcome.previousKeyId})\n`,
          );
          if (outcome.source === 'file')
            process.stdout.write(
              `after ${settleMs} ms, the sweep re-sealed ${outcome.stragglers} straggler(s) sealed under the old key meanwhile; the old key is removed\n`,
            );
          if (outcome.source === 'config')
            process.stdout.write(
              'now set RIPOSTE_MASTER_KEY to the new key, and RIPOSTE_MASTER_KEY_PREVIOUS to the old one until every process has restarted\n',
            );
        },
        { permission: 'settings:admin' },
      );
    });
}
