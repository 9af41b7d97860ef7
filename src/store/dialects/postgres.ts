import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Notifier, StoreDialect } from './store-dialect.js';
import { SchemaScopedPostgresDialect } from './postgres-introspector.js';

// COUNT(*) and BIGINT columns come back as numbers, as they do on SQLite; our integers stay below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** PostgreSQL truncates a LISTEN name to 63 bytes and refuses a longer pg_notify channel outright. */
const MAX_CHANNEL_BYTES = 63;

/**
 * The channel as PostgreSQL will take it: a schema-qualified case channel (`schema.case:<uuid>`) easily passes
 * 63 bytes, and then notifications were refused and streams never woke. A longer name becomes a digest of
 * itself, the same in every process, so notifier and listener still meet.
 */
export function notifyChannelName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_CHANNEL_BYTES) return name;
  return `riposte_${createHash('sha256').update(name).digest('hex').slice(0, 48)}`;
}

export interface PostgresOptions {
  url: string;
  schema?: string;
  poolSize?: number;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** LISTEN needs a connection of its own that outlives any query, so it is not taken from the pool. */
function createPgNotifier(options: PostgresOptions, pool: pg.Pool): Notifier {
  let client: pg.Client | undefined;
  const handlers = new Map<string, Set<() => void>>();
  let connecting: Promise<pg.Client> | undefined;

  const connect = async (): Promise<pg.Client> => {
    if (client) return client;
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: options.url });
      c.on('notification', (msg) => {
        for (const handler of handlers.get(msg.channel) ?? []) handler();
      });
      // A dropped LISTEN connection only costs latency: workers keep polling.
      c.on('error', () => {
        client = undefined;
        connecting = undefined;
      });
      await c.connect();
      client = c;
      return c;
    })();
    return connecting;
  };
  const channelName = (channel: string): string =>
    notifyChannelName(options.schema ? `${options.schema}.${channel}` : channel);

  return {
    async notify(channel) {
      await pool.query('select pg_notify($1, $2)', [channelName(channel), '']);
    },
    async listen(channel, onNotify) {
      const name = channelName(channel);
      const c = await connect();
      let set = handlers.get(name);
      if (!set) {
        set = new Set();
        handlers.set(name, set);
        await c.query(`listen ${quoteIdent(name)}`);
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
      };
    },
    async close() {
      handlers.clear();
      const c = client;
      client = undefined;
      if (c) await c.end().catch(() => undefined);
    },
  };
}

export function createPostgresDialect(options: PostgresOptions): StoreDialect {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor one in use: a client whose connection ends (a failover, a terminated backend) fails its queries, then
  // emits 'error', which between two statements of a transaction nothing else listens to. The transaction
  // fails with the query's error; the pool drops the client when it comes back.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    name: 'postgres',
    supportsRowLocks: true,
    supportsWritableCtes: true,
    roundTrips: true,
    concurrentWriters: true,
    textSearch: 'tsvector',
    binaryType: 'bytea',
    jsonType: 'text',
    warnings: [],
    createKyselyDialect: () => new SchemaScopedPostgresDialect({ pool }),
    createNotifier: () => createPgNotifier(options, pool),
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}

/** Creates the schema a store runs in, before the pool (whose search_path names it) is used. */
export async function ensurePostgresSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create schema if not exists ${quoteIdent(schema)}`);
  } finally {
    await client.end();
  }
}

export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  } finally {
    await client.end();
  }
}
