import type { Command } from 'commander';
import { Option } from 'commander';
import { startRiposte } from '../../main.js';
import { configFromCommand } from '../cli-context.js';

export function configureServeCommand(command: Command): void {
  command
    .addOption(new Option('--role <role>', 'what this process does').choices(['api', 'worker', 'all']))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8080)')
    .option('--demo', 'load demo data on first start')
    .addHelpText(
      'after',
      `
Examples:
  $ riposte serve                                   # everything in one process, embedded SQLite in ./data
  $ riposte serve --port 9000 --demo                # with demo alerts, cases and playbooks
  $ DATABASE_URL=postgres://riposte@db/riposte riposte serve --role api
  $ DATABASE_URL=postgres://riposte@db/riposte riposte serve --role worker`,
    )
    .action(
      async (
        opts: { role?: 'api' | 'worker' | 'all'; host?: string; port?: string; demo?: boolean },
        command: Command,
      ) => {
        const config = configFromCommand(command, {
          role: opts.role,
          host: opts.host,
          port: opts.port,
          demo: opts.demo,
          logLevel: undefined,
        });
        // In place before anything starts: a signal sent once the "listening" line is read (a supervisor, a
        // test) could otherwise arrive before the handlers and end the process without its shutdown. One sent
        // while starting stops what started, once it has.
        const requested = new Promise<string>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        });
        // SIGHUP reloads the syslog TLS certificate; in place before start too, as its default is to end
        // the process. One sent while starting is done once started (the files may have changed after the
        // start read them).
        let reloadRequested = false;
        let reload = (): void => {
          reloadRequested = true;
        };
        process.on('SIGHUP', () => reload());
        const runtime = await startRiposte(config);
        reload = () => runtime.reloadTls();
        if (reloadRequested) reload();
        if (runtime.url)
          process.stdout.write(`Riposte is listening on ${runtime.url} (API docs: ${runtime.url}/docs)\n`);
        const signal = await requested;
        runtime.ctx.log.info({ signal }, 'shutdown requested');
        // Never shorter than the workers' own grace for their jobs, and some seconds for the rest.
        const limitMs = Math.max(config.shutdownTimeoutMs, config.shutdownGraceMs + 5_000);
        let deadline: NodeJS.Timeout | undefined;
        const stopped = await Promise.race([
          runtime.stop().then(
            () => true,
            (err: unknown) => {
              runtime.ctx.log.error({ err }, 'shutdown failed');
              return true;
            },
          ),
          new Promise<false>((resolve) => {
            deadline = setTimeout(() => resolve(false), limitMs);
          }),
        ]);
        clearTimeout(deadline);
        if (!stopped) {
          // Something still waits (a store that does not answer holds its connection): stop regardless.
          runtime.ctx.log.error(
            { timeoutMs: limitMs },
            'shutdown did not finish in time (RIPOSTE_SHUTDOWN_TIMEOUT_MS): exiting anyway',
          );
          process.exit(1);
        }
      },
    );
}
