import { hostname } from 'node:os';
import { createAuthenticator, createRefusalRecorder } from './api/auth/authenticate.js';
import type { ApiInstance } from './api/route-plugin.js';
import { buildServer } from './api/server.js';
import type { AppContext } from './app/context.js';
import { closeAppContext, createAppContext } from './app/create-app-context.js';
import { slaCheckHandler, SLA_JOB_KIND, SLA_QUEUE } from './app/cases/sla-timers.js';
import { containmentExpiryHandler } from './app/connectors/containment-expiry.handler.js';
import { createConnectorRuntime } from './app/connectors/connector-runtime.js';
import { createDemoExecutor } from './app/demo/demo-executor.js';
import { seedDemo } from './app/demo/seed-demo.js';
import { startGovernance } from './app/identity/governance-start.js';
import { keyringLoader } from './governance/secrets/master-key-file.js';
import { startSyslogListeners } from './app/ingest/start-syslog-listeners.js';
import { syslogSettingWarnings, syslogTlsFromConfig } from './app/ingest/syslog-settings.js';
import type { ActionExecutor } from './connectors/action-executor.js';
import { CONTAINMENT_EXPIRY_KIND, CONTAINMENT_EXPIRY_QUEUE } from './connectors/index.js';
import { ConfigError, type Config } from './config/config.js';
import { secretFromEnvironment } from './governance/secrets/playbook-secrets.js';
import { createLogger, type Logger } from './observability/logger.js';
import type { QueueBinding } from './app/job-handlers.js';
import { createQueueWorker, type QueueWorker } from './worker/queue-worker.js';
import { createCaseOperations } from './worker/runs/case-operations-adapter.js';
import { createRunQueueBindings } from './worker/runs/run-queue.js';

/** A running Riposte: its context, the HTTP server (api role) and workers (worker role). */
export interface Runtime {
  ctx: AppContext;
  app: ApiInstance | undefined;
  workers: QueueWorker[];
  /** The address the API listens on, e.g. http://127.0.0.1:8080. */
  url: string | undefined;
  stop(): Promise<void>;
  /** Reads the syslog TLS certificate, key and CA again for new connections (SIGHUP); logs the outcome. */
  reloadTls(): void;
}

/** Queues this process works on, and the handlers for each job kind. */
export function createQueueBindings(
  ctx: AppContext,
  deps: { actions: ActionExecutor; secrets?: (name: string) => string | undefined },
): QueueBinding[] {
  return mergeBindings([
    ...createRunQueueBindings(
      ctx,
      {
        actions: deps.actions,
        cases: createCaseOperations({ newId: ctx.newId, dialect: ctx.store.dialect }),
      },
      { secrets: deps.secrets },
    ),
    { queue: SLA_QUEUE, handlers: { [SLA_JOB_KIND]: slaCheckHandler } },
    { queue: CONTAINMENT_EXPIRY_QUEUE, handlers: { [CONTAINMENT_EXPIRY_KIND]: containmentExpiryHandler } },
  ]);
}

/** One worker per queue: bindings that name the same queue (SLA and containment timers) become one. */
function mergeBindings(bindings: QueueBinding[]): QueueBinding[] {
  const byQueue = new Map<string, QueueBinding>();
  for (const b of bindings) {
    const existing = byQueue.get(b.queue);
    for (const kind of Object.keys(b.handlers))
      if (existing?.handlers[kind]) throw new Error(`two handlers for ${b.queue}/${kind}`);
    byQueue.set(b.queue, { queue: b.queue, handlers: { ...existing?.handlers, ...b.handlers } });
  }
  return [...byQueue.values()];
}

const hasSyslogPort = (config: Config): boolean =>
  config.syslogUdpPort !== undefined ||
  config.syslogTcpPort !== undefined ||
  config.syslogTlsPort !== undefined;

async function listen(app: ApiInstance, config: Config): Promise<string> {
  try {
    return await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new ConfigError(
        `port ${config.port} on ${config.host} is already in use: stop the other process or set RIPOSTE_PORT`,
      );
    }
    if (code === 'EACCES')
      throw new ConfigError(
        `not allowed to listen on ${config.host}:${config.port}: choose a port above 1023`,
      );
    if (code === 'EADDRNOTAVAIL')
      throw new ConfigError(`${config.host} is not an address of this machine: fix RIPOSTE_HOST`);
    throw err;
  }
}

/**
 * Starts Riposte in the configured role: migrates the store, then serves the API and/or runs workers.
 * `stop()` drains: the API stops taking requests, workers stop claiming and hand back what they hold.
 */
export async function startRiposte(config: Config, options: { log?: Logger } = {}): Promise<Runtime> {
  const log = options.log ?? createLogger({ level: config.logLevel, pretty: config.logPretty });
  const ctx = await createAppContext(config, log);
  const lifecycle = { draining: false };
  let app: ApiInstance | undefined;
  const workers: QueueWorker[] = [];
  const connectors = createConnectorRuntime(ctx);
  let syslog: Awaited<ReturnType<typeof startSyslogListeners>> | undefined;
  try {
    const servesApi = config.role === 'api' || config.role === 'all';
    for (const warning of syslogSettingWarnings(config)) log.warn(warning);
    // A bad certificate, key or CA stops the start here, before migrations and before any port is bound.
    if (servesApi) syslogTlsFromConfig(config);
    await ctx.store.migrate({ keyring: keyringLoader(config) });
    await startGovernance(ctx, { adminPassword: process.env.RIPOSTE_ADMIN_PASSWORD });
    if (config.demo && servesApi) await seedDemo(ctx);
    if (servesApi) {
      app = await buildServer(
        { ...ctx, lifecycle },
        { authenticate: createAuthenticator(ctx), onRefused: createRefusalRecorder(ctx) },
      );
    }
    let url: string | undefined;
    if (app) url = await listen(app, config);
    if (app && hasSyslogPort(config)) {
      syslog = await startSyslogListeners(ctx, {
        host: config.syslogHost ?? config.host,
        udpPort: config.syslogUdpPort,
        tcpPort: config.syslogTcpPort,
        tlsPort: config.syslogTlsPort,
        // As configured, not as read: a reload reads the files again.
        tlsCert: config.syslogTlsCert,
        tlsKey: config.syslogTlsKey,
        tlsKeyPassphrase: config.syslogTlsKeyPassphrase,
        tlsCa: config.syslogTlsCa,
      });
    }
    if (config.role === 'worker' || config.role === 'all') {
      const owner = `${hostname()}:${process.pid}`;
      const bindings = createQueueBindings(ctx, {
        actions: config.demo ? createDemoExecutor(connectors, log) : connectors,
        secrets: secretFromEnvironment(process.env),
      });
      for (const binding of bindings) {
        const worker = createQueueWorker(ctx, {
          binding,
          owner,
          concurrency: config.workerConcurrency,
          leaseMs: config.queueLeaseMs,
          pollMs: config.queuePollMs,
        });
        await worker.start();
        workers.push(worker);
      }
    }
    log.info(
      {
        role: config.role,
        url,
        store: ctx.store.dialect.name,
        queues: workers.length,
        syslog: syslog?.ports,
      },
      'riposte started',
    );
    let stopping: Promise<void> | undefined;
    return {
      ctx,
      app,
      workers,
      url,
      reloadTls: () => {
        if (syslog) syslog.reloadTls();
        else log.info('no syslog TLS listener: nothing to reload');
      },
      stop() {
        stopping ??= (async () => {
          lifecycle.draining = true;
          log.info('riposte stopping: draining requests and handing back leases');
          await syslog?.close();
          await Promise.all(workers.map((w) => w.stop(config.shutdownGraceMs)));
          await app?.close();
          await connectors.close();
          await closeAppContext(ctx);
          log.info('riposte stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await syslog?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop(0)));
    await app?.close().catch(() => undefined);
    await connectors.close().catch(() => undefined);
    await closeAppContext(ctx);
    throw err;
  }
}
