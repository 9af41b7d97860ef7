import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SECRET_ENV_PREFIX } from '../governance/secrets/playbook-secrets.js';

/** Thrown when configuration is wrong; its message is one line that says what to fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const Role = { api: 'api', worker: 'worker', all: 'all' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** proxy-addr's names for ranges (what Fastify's `trustProxy` hands the list to). */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or a range name. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** `RIPOSTE_TRUST_PROXY`: a hop count, or the trusted proxies' addresses (see `trustProxy`). */
function parseTrustedProxies(value: string, ctx: z.RefinementCtx): number | string[] {
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const wrong = entries.filter((entry) => !isProxyAddress(entry));
  if (wrong.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `${wrong.map((w) => JSON.stringify(w)).join(', ')}: not an address, a CIDR range or a hop count (e.g. 10.0.0.5,10.1.0.0/16 or 1)`,
    });
  return entries;
}

const databaseUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a PostgreSQL URL such as postgres://user@127.0.0.1:5432/riposte');

export const ConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65_535).default(8080),
    role: z.enum(['api', 'worker', 'all']).default('all'),
    databaseUrl: databaseUrl.optional(),
    /** Only for PostgreSQL: run in this schema (tests and side-by-side installs). */
    databaseSchema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
      .optional(),
    dataDir: z.string().min(1).default('./data'),
    sqlitePath: z.string().min(1).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    logPretty: z.coerce.boolean().default(false),
    /** Master key for secrets at rest: 32 bytes as base64 or hex. Created in dataDir when absent. */
    masterKey: z.string().min(1).optional(),
    /**
     * Keys `masterKey` replaced (comma-separated), still used to open what they sealed, never to seal: while
     * the processes of a deployment move to a new key one by one, a secret one of them sealed with the old key
     * stays readable everywhere. `riposte connector rotate-key` re-seals such stragglers under the current key.
     */
    masterKeyPrevious: z.string().min(1).optional(),
    workerConcurrency: z.coerce.number().int().min(1).max(512).default(8),
    /**
     * Threads that parse and map streamed ingest (NDJSON, `riposte ingest`, syslog) while the main thread
     * stores; 0 maps on the main thread. Started on the first stream that has a second batch. Off by default:
     * a thread takes ~12% off the main thread's CPU per alert but adds ~10% CPU in all, a loss on a machine
     * whose other cores are busy (2 cores shared with PostgreSQL or other work); worth 1 with a spare core.
     */
    ingestMapThreads: z.coerce.number().int().min(0).max(16).default(0),
    /**
     * SQLite writes a commit's WAL frames in a few large writes (a VFS of ours, compiled on install) instead
     * of two per page: commits ~40% cheaper. Per process; `off` to run on SQLite's own file layer.
     */
    sqliteWalCoalescing: z.enum(['on', 'off']).default('on'),
    queueLeaseMs: z.coerce.number().int().min(1_000).default(30_000),
    queuePollMs: z.coerce.number().int().min(10).default(1_000),
    shutdownGraceMs: z.coerce.number().int().min(0).default(10_000),
    /**
     * Ingest requests a second one caller (an API token, a user) may send, with bursts of twice as many; over
     * it, 429 with Retry-After. 0 turns the limit off. A busy SIEM sending one alert a request reaches
     * hundreds a second; the limit is there so one caller cannot take the store from the others.
     */
    ingestRatePerSecond: z.coerce.number().int().min(0).default(1_000),
    /**
     * How long `serve` may take to stop after SIGTERM or SIGINT (finishing requests, storing what syslog holds,
     * closing the store) before it exits anyway, with code 1: a store that stopped answering must not keep
     * the process (and its port) for ever.
     */
    shutdownTimeoutMs: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
    bodyLimitBytes: z.coerce
      .number()
      .int()
      .min(1_024)
      .default(10 * 1024 * 1024),
    demo: z.coerce.boolean().default(false),
    /** The URL people reach Riposte at, for links in chat and e-mail (approval links, case links). */
    publicUrl: z.string().url().optional(),
    /**
     * Reverse proxies in front of the API whose `X-Forwarded-For` names the client: comma-separated addresses
     * or CIDR ranges (or `loopback`, `linklocal`, `uniquelocal`), or the number of proxy hops. The client's
     * address is what sign-in rate limits count and what ingested alerts record (`receivedFrom`); unset, it
     * is the connection's peer, and a forwarded header is ignored (anyone could write one).
     */
    trustProxy: z.string().trim().min(1).transform(parseTrustedProxies).optional(),
    /** Syslog listeners; off unless a port is set. They listen on `host` unless `syslogHost` is set. */
    syslogHost: z
      .string()
      .refine(
        (value) => isIP(value) !== 0,
        'must be an IP address to listen on, such as 0.0.0.0, :: or 127.0.0.1',
      )
      .optional(),
    syslogUdpPort: z.coerce.number().int().min(0).max(65_535).optional(),
    syslogTcpPort: z.coerce.number().int().min(0).max(65_535).optional(),
    syslogTlsPort: z.coerce.number().int().min(0).max(65_535).optional(),
    syslogTlsCert: z.string().optional(),
    syslogTlsKey: z.string().optional(),
    /** A secret: never logged. */
    syslogTlsKeyPassphrase: z.string().optional(),
    /** CA certificates: when set, TLS peers must present a certificate one of them signed. */
    syslogTlsCa: z.string().optional(),
    /** OpenID Connect sign-in; off unless an issuer is set. */
    oidcIssuer: z.string().url().optional(),
    oidcClientId: z.string().optional(),
    oidcClientSecret: z.string().optional(),
    oidcRedirectUrl: z.string().url().optional(),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema> & {
  /** Playbook secrets this process can resolve: the names of its `RIPOSTE_SECRET_*` variables (never values). */
  secretVars: readonly string[];
};
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the config keys they set. */
export const ENV_KEYS: Record<string, keyof z.infer<typeof ConfigSchema>> = {
  RIPOSTE_HOST: 'host',
  RIPOSTE_PORT: 'port',
  RIPOSTE_ROLE: 'role',
  DATABASE_URL: 'databaseUrl',
  RIPOSTE_DATABASE_URL: 'databaseUrl',
  RIPOSTE_DATABASE_SCHEMA: 'databaseSchema',
  RIPOSTE_DATA_DIR: 'dataDir',
  RIPOSTE_SQLITE_PATH: 'sqlitePath',
  RIPOSTE_LOG_LEVEL: 'logLevel',
  RIPOSTE_LOG_PRETTY: 'logPretty',
  RIPOSTE_MASTER_KEY: 'masterKey',
  RIPOSTE_MASTER_KEY_PREVIOUS: 'masterKeyPrevious',
  RIPOSTE_WORKER_CONCURRENCY: 'workerConcurrency',
  RIPOSTE_INGEST_MAP_THREADS: 'ingestMapThreads',
  RIPOSTE_SQLITE_WAL_COALESCING: 'sqliteWalCoalescing',
  RIPOSTE_QUEUE_LEASE_MS: 'queueLeaseMs',
  RIPOSTE_QUEUE_POLL_MS: 'queuePollMs',
  RIPOSTE_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  RIPOSTE_INGEST_RATE_PER_SECOND: 'ingestRatePerSecond',
  RIPOSTE_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  RIPOSTE_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
  RIPOSTE_DEMO: 'demo',
  RIPOSTE_PUBLIC_URL: 'publicUrl',
  RIPOSTE_TRUST_PROXY: 'trustProxy',
  RIPOSTE_SYSLOG_HOST: 'syslogHost',
  RIPOSTE_SYSLOG_UDP_PORT: 'syslogUdpPort',
  RIPOSTE_SYSLOG_TCP_PORT: 'syslogTcpPort',
  RIPOSTE_SYSLOG_TLS_PORT: 'syslogTlsPort',
  RIPOSTE_SYSLOG_TLS_CERT: 'syslogTlsCert',
  RIPOSTE_SYSLOG_TLS_KEY: 'syslogTlsKey',
  RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE: 'syslogTlsKeyPassphrase',
  RIPOSTE_SYSLOG_TLS_CA: 'syslogTlsCa',
  RIPOSTE_OIDC_ISSUER: 'oidcIssuer',
  RIPOSTE_OIDC_CLIENT_ID: 'oidcClientId',
  RIPOSTE_OIDC_CLIENT_SECRET: 'oidcClientSecret',
  RIPOSTE_OIDC_REDIRECT_URL: 'oidcRedirectUrl',
};

/** Variables that are ours but are not config keys (read elsewhere, or by this loader). */
const OTHER_RIPOSTE_VARS = new Set(['RIPOSTE_CONFIG', 'RIPOSTE_ADMIN_PASSWORD', 'RIPOSTE_TEST_PG_URL']);

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`config file ${path} cannot be read (${code}): check the --config path`);
  }
  let parsed: unknown;
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold an object of settings`);
  }
  return parsed as Record<string, unknown>;
}

const booleanish = (value: string): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/**
 * Loads configuration: defaults, then the config file, then environment variables, then explicit overrides
 * (CLI flags). Anything unknown or malformed stops with one line naming the setting and what to do.
 */
export function loadConfig(
  options: {
    env?: NodeJS.ProcessEnv;
    file?: string;
    overrides?: Partial<ConfigInput>;
  } = {},
): Config {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env.RIPOSTE_CONFIG;
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const secretVars: string[] = [];

  if (filePath) {
    const fromFile = readConfigFile(resolve(filePath));
    for (const [key, value] of Object.entries(fromFile)) {
      merged[key] = value;
      origin.set(key, `${key} in ${filePath}`);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const key = ENV_KEYS[name];
    if (key) {
      merged[key] = key === 'logPretty' || key === 'demo' ? booleanish(value) : value;
      origin.set(key, name);
    } else if (name.startsWith(SECRET_ENV_PREFIX) && name.length > SECRET_ENV_PREFIX.length) {
      secretVars.push(name);
    } else if (name.startsWith('RIPOSTE_') && !OTHER_RIPOSTE_VARS.has(name)) {
      throw new ConfigError(
        `unknown setting ${name}: known variables are ${[...Object.keys(ENV_KEYS), ...OTHER_RIPOSTE_VARS, `${SECRET_ENV_PREFIX}<NAME>`].join(', ')}`,
      );
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    merged[key] = value;
    origin.set(key, `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (!issue) throw new ConfigError('invalid configuration');
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(ConfigSchema.shape).join(', ');
      throw new ConfigError(
        `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}${filePath ? ` in ${filePath}` : ''}: known settings are ${known}`,
      );
    }
    const key = String(issue.path[0] ?? '');
    throw new ConfigError(`${origin.get(key) ?? key} ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  const { syslogTlsPort, syslogTlsCert, syslogTlsKey } = result.data;
  if (syslogTlsPort !== undefined && (!syslogTlsCert || !syslogTlsKey)) {
    throw new ConfigError(
      `${origin.get('syslogTlsPort') ?? 'syslogTlsPort'} needs RIPOSTE_SYSLOG_TLS_CERT and RIPOSTE_SYSLOG_TLS_KEY (syslogTlsCert, syslogTlsKey) too`,
    );
  }
  return { ...result.data, secretVars };
}

/** Where the embedded store lives for this configuration. */
export const sqlitePathOf = (config: Config): string =>
  resolve(config.sqlitePath ?? `${config.dataDir}/riposte.db`);

/** Passwords in a database URL never reach a log line. */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `sqlite:${sqlitePathOf(config)}`;
  const url = new URL(config.databaseUrl);
  if (url.password) url.password = '***';
  return url.toString();
}
