import { X509Certificate } from 'node:crypto';
import type { FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import type { Actor } from '../../domain/shared/actor.js';
import {
  listenSyslog,
  SyslogBindError,
  type SyslogListenerOptions,
  type SyslogListeners,
} from '../../ingest/listeners/syslog-listeners.js';
import type { IngestSourceRow } from '../../store/alerts/alert.table.js';
import { findIngestSourceRow, mapperConfigOf } from '../../store/alerts/ingest-source.repository.js';
import { ConfigError } from '../../config/config.js';
import type { AppContext } from '../context.js';
import { rateLimitedLog } from './rate-limited-log.js';
import { PORT_SETTING, syslogTlsFromConfig, type SyslogTlsConfig } from './syslog-settings.js';
import { rulesInForce } from './configure-ingest.js';
import { IngestInterrupted, ingestAlerts, storeMappedItems, type IngestResult } from './ingest-alerts.js';
import { MapWorkerError, type MapWorkerPool } from './map-worker-pool.js';
import { fromPrepared, type PreparedItem } from './prepare-items.js';
import type { IngestSettings } from './ingest-settings.js';

export interface SyslogStartOptions extends Partial<
  Pick<
    SyslogListenerOptions,
    | 'closeGraceMs'
    | 'closeStoreWaitMs'
    | 'handshakeTimeoutMs'
    | 'idleTimeoutMs'
    | 'maxConnections'
    | 'maxQueued'
    | 'maxFrameBytes'
    | 'retryMaxMs'
    | 'flushMs'
  >
> {
  host?: string;
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  /** As configured (PEM text or a path): paths are read again by `reloadTls()`. */
  tlsCert?: string;
  tlsKey?: string;
  tlsKeyPassphrase?: string;
  tlsCa?: string;
  /** The ingest source name recorded on syslog alerts. */
  source?: string;
  settings?: IngestSettings;
}

/** How long the syslog source's row read is used before it is read again. */
const SOURCE_ROW_TTL_MS = 1_000;

const SYSLOG_ACTOR: Actor = { type: 'system', id: 'syslog', name: 'syslog listener' };

/** A batch cut for storing: mapped on a thread meanwhile, or not; `settled` once stored or given up. */
interface CutBatch {
  mapped: Promise<{ keys: FingerprintKeys; items: PreparedItem[] }> | undefined;
  settled: boolean;
}

/**
 * Starts the syslog listeners that are configured (a port given) and feeds them into the ingest pipeline.
 * Frames that match no grammar are counted and logged (at most one log line per batch), never fatal.
 */
export async function startSyslogListeners(
  ctx: AppContext,
  options: SyslogStartOptions,
): Promise<{
  ports: SyslogListeners['ports'];
  /**
   * `stored`: messages whose batch the store committed (its rejected items among them, also counted in
   * `rejected`). A batch close() counted lost because the store had not answered, and that the store
   * commits after all, is moved from `lost` to `stored`.
   */
  stats: SyslogListeners['stats'] & { stored: number; rejected: number };
  close(): Promise<void>;
  /**
   * Reads the TLS certificate, key and CA again and serves new connections with them (open ones keep theirs).
   * Bad files leave the old ones in force, logged with the setting at fault. False when nothing was reloaded.
   */
  reloadTls(): boolean;
}> {
  const source = options.source ?? 'syslog';
  const log = ctx.log.child({ component: 'syslog' });
  const rateLimited = rateLimitedLog(log);
  const limited = rateLimited.log;
  let rejected = 0;
  const stored = (result: IngestResult): void => {
    if (result.rejected === 0) return;
    rejected += result.rejected;
    const first = result.items.find((i) => i.status === 'rejected');
    limited(
      'rejected',
      'warn',
      {
        rejected: result.rejected,
        total: rejected,
        reason: first?.status === 'rejected' ? first.reason : undefined,
      },
      'syslog frames rejected',
    );
  };
  /**
   * The source's row, read at most once a second (a busy listener cuts many batches a second): disabling the
   * source, or changing its mapper, applies within a second. Its mapper (and generic config) maps the frames
   * whose MSG is a JSON document; other frames are syslog, CEF or LEEF text, which the text mapper reads
   * whatever the source names (`mapItem`).
   */
  let sourceRead: { at: number; row: Promise<IngestSourceRow | undefined> } | undefined;
  const sourceRow = (): Promise<IngestSourceRow | undefined> => {
    const now = Date.now();
    if (!sourceRead || now - sourceRead.at >= SOURCE_ROW_TTL_MS) {
      const row = findIngestSourceRow(ctx.store.db, source);
      // A failed read is not kept: the batch's retry reads again.
      row.catch(() => (sourceRead = undefined));
      sourceRead = { at: now, row };
    }
    return sourceRead.row;
  };
  /** The mapper a batch is mapped with: the source row's, else `syslog` (JSON payloads detected). */
  const mappingOf = (row: IngestSourceRow | undefined): { mapper: string; mapperConfig?: unknown } =>
    row
      ? {
          mapper: row.mapper,
          ...(row.mapper_config ? { mapperConfig: mapperConfigOf(row) } : {}),
        }
      : { mapper: 'syslog' };
  /** Messages whose batch the store committed. */
  let storedCount = 0;
  /** Set when close() stopped waiting for the store: every batch not yet stored was counted lost then. */
  let abandoned = false;
  /** Set once close() said what was lost: a batch stored after that is said in a line of its own. */
  let closeSaid = false;
  /**
   * Counts `count` messages of a batch as stored, moving them from lost to stored when close() had counted
   * them lost (the store answered after it stopped waiting).
   */
  const countStored = (count: number): void => {
    if (count <= 0) return;
    storedCount += count;
    if (!abandoned) return;
    lost -= count;
    lostAtClose -= count;
    abandonedAtClose -= count;
    storedAfterClose += count;
    // Before close() said what was lost, its line says it with this taken off.
    if (closeSaid)
      log.warn(
        { stored: count, lost: lostAtClose, storeUnanswered: abandonedAtClose },
        'syslog messages counted lost at close were stored after all: the store answered late',
      );
  };
  /**
   * Runs a batch's store, counting its messages stored once it committed. A batch close() gave up before its
   * store began is not begun: it stays lost, and nothing is written after close().
   */
  const committing = async (count: number, store: () => Promise<IngestResult>): Promise<void> => {
    if (abandoned) return;
    let result: IngestResult;
    try {
      result = await store();
    } catch (err) {
      // Its first steps committed before a later one failed. Given up at close, it is not tried again: those
      // are stored. (Otherwise it is tried again whole, and counted then.)
      if (abandoned && err instanceof IngestInterrupted) countStored(err.notStoredFrom);
      throw err;
    }
    countStored(count);
    stored(result);
  };
  /** A disabled source's frames are counted rejected, not stored; true when the batch was refused so. */
  const refusedAsDisabled = (row: IngestSourceRow | undefined, count: number): boolean => {
    if (!row || row.enabled === 1) return false;
    rejected += count;
    limited(
      'disabled',
      'warn',
      { source, rejected: count, total: rejected },
      `syslog frames rejected: ingest source ${source} is disabled`,
    );
    return true;
  };
  const mapHere = async (messages: string[], senders: ReadonlyArray<string | undefined>): Promise<void> => {
    if (abandoned) return;
    const row = await sourceRow();
    if (refusedAsDisabled(row, messages.length)) return;
    await committing(messages.length, () =>
      ingestAlerts(
        ctx,
        {
          source,
          ...mappingOf(row),
          items: messages.map((value, i) => ({
            kind: 'text' as const,
            value,
            receivedFrom: senders[i],
          })),
        },
        SYSLOG_ACTOR,
        options.settings,
      ),
    );
  };
  const pool = ctx.mapWorkers;
  /** Batches cut and not yet stored (or given up). */
  let waiting = 0;
  const settle = (batch: CutBatch): void => {
    if (batch.settled) return;
    batch.settled = true;
    waiting -= 1;
  };
  const mapOnThread = async (
    threads: MapWorkerPool,
    messages: string[],
  ): Promise<{ keys: FingerprintKeys; items: PreparedItem[] }> => {
    // The rules last read (no round trip): the batch checks them when stored, as every batch does.
    const keys = (options.settings ?? (await rulesInForce(ctx)).settings).fingerprintKeys;
    const mapping = mappingOf(await sourceRow());
    const items = await threads.prepare(
      { texts: messages },
      { source, ...mapping, fingerprintKeys: keys, now: ctx.clock.now() },
    );
    return { keys, items };
  };
  const { host } = options;
  const tlsConfig: SyslogTlsConfig = {
    syslogTlsPort: options.tlsPort,
    syslogTlsCert: options.tlsCert,
    syslogTlsKey: options.tlsKey,
    syslogTlsKeyPassphrase: options.tlsKeyPassphrase,
    syslogTlsCa: options.tlsCa,
  };
  const tlsCredentials = syslogTlsFromConfig(tlsConfig);
  let lostAtClose = 0;
  /** Messages counted lost because close() stopped waiting for a store that did not answer. */
  let abandonedAtClose = 0;
  let lost = 0;
  /** Messages counted lost at close whose batch the store committed after all. */
  let storedAfterClose = 0;
  let dropped = 0;
  let listeners: SyslogListeners;
  try {
    listeners = await listenSyslog<CutBatch>(
      pool
        ? {
            // A batch cut while an earlier one waits to be stored is mapped on the thread meanwhile; with
            // nothing to overlap, it is mapped here when stored (no hand-over to pay).
            prepare: (messages: string[]) => {
              waiting += 1;
              const batch: CutBatch = { mapped: undefined, settled: false };
              if (waiting === 1) return batch;
              batch.mapped = mapOnThread(pool, messages);
              // Awaited when the batch's turn to be stored comes; a failure is reported then.
              batch.mapped.catch(() => undefined);
              return batch;
            },
            // Called again for a batch whose store failed: it keeps what was mapped.
            store: async (batch, messages, senders) => {
              if (abandoned) return settle(batch);
              let mapped: Awaited<CutBatch['mapped']>;
              try {
                mapped = await batch.mapped;
              } catch (err) {
                batch.mapped = undefined;
                // Reading the source's row or the rules failed, as storing would have: the attempt fails,
                // and the retry maps here (awaiting the same failed mapping would fail every retry).
                if (!(err instanceof MapWorkerError)) throw err;
                // The thread failed the batch, not the store: mapped here at once, rather than failing
                // the attempt and waiting for a retry that a closing listener may not give it.
                limited('thread', 'warn', { err }, 'syslog batch mapped on the main thread: ' + err.message);
                mapped = undefined;
              }
              if (!mapped) await mapHere(messages, senders);
              else if (!refusedAsDisabled(await sourceRow(), messages.length)) {
                const { items, keys } = mapped;
                await committing(messages.length, () =>
                  storeMappedItems(
                    ctx,
                    {
                      source,
                      // One item a message, in order (prepareItems): each with its sender.
                      items: items.map((p, i) => ({
                        line: p.line,
                        receivedFrom: senders[i],
                        mapped: fromPrepared(p, keys),
                      })),
                    },
                    SYSLOG_ACTOR,
                    options.settings,
                  ),
                );
              }
              settle(batch);
            },
            discard: settle,
          }
        : mapHere,
      {
        // A cut batch is stored as one step when it fits one: cut at the step size in force at the start (a
        // smaller one stored later splits each batch into steps of that size when it is stored).
        batchSize: (options.settings ?? (await rulesInForce(ctx)).settings).batchSize,
        ...options,
        tlsCert: tlsCredentials?.cert,
        tlsKey: tlsCredentials?.key,
        tlsKeyPassphrase: tlsCredentials?.passphrase,
        tlsCa: tlsCredentials?.ca,
        onStoreAbandoned: (count) => {
          abandoned = true;
          abandonedAtClose += count;
        },
        onFrameErrors: (errors) => {
          for (const { transport, count, reason } of errors) {
            rejected += count;
            ctx.counters.add('syslogFramesRejected', { transport }, count);
            limited(
              `frames:${transport}`,
              'warn',
              { transport, count, reason, total: rejected },
              'syslog frames could not be cut',
            );
          }
        },
        onSinkError: (err, retryInMs) =>
          limited(
            'store',
            'error',
            { err, retryInMs },
            retryInMs === undefined
              ? 'syslog batch could not be stored: given up'
              : 'syslog batch could not be stored: trying again',
          ),
        onLost: (count, transport, atClose) => {
          ctx.counters.add('syslogDropped', { transport, reason: 'store_failed' }, count);
          lost += count;
          if (atClose) lostAtClose += count;
          else
            limited(
              'lost',
              'error',
              { transport, lost: count, total: lost },
              'syslog messages lost: their batch could not be stored',
            );
        },
        onDropped: (transport) => {
          ctx.counters.add('syslogDropped', { transport, reason: 'queue_full' });
          dropped += 1;
          limited(
            'dropped',
            'warn',
            { transport, total: dropped },
            'syslog datagrams dropped: too many messages waiting to be stored',
          );
        },
        onNetworkError: (err, transport) =>
          limited(
            `network:${transport}`,
            'warn',
            { transport, code: (err as NodeJS.ErrnoException).code, reason: err.message },
            'syslog connection error',
          ),
      },
    );
  } catch (err) {
    if (err instanceof SyslogBindError) {
      const setting = PORT_SETTING[err.transport];
      const where = `${host ?? '0.0.0.0'}:${err.port}`;
      if (err.code === 'EADDRINUSE')
        throw new ConfigError(
          `syslog ${err.transport} port ${where} is already in use: stop the other process or set ${setting}`,
        );
      if (err.code === 'EACCES')
        throw new ConfigError(`not allowed to listen on ${where}: choose a port above 1023 for ${setting}`);
      if (err.code === 'EADDRNOTAVAIL')
        throw new ConfigError(
          `${host} is not an address of this machine: fix RIPOSTE_SYSLOG_HOST (or RIPOSTE_HOST, its default)`,
        );
    }
    throw err;
  }
  if (Object.keys(listeners.ports).length > 0)
    log.info(
      { ports: listeners.ports, udpReceiveBufferBytes: listeners.udpReceiveBufferBytes },
      'syslog listening',
    );
  return {
    ports: listeners.ports,
    get stats() {
      // The listener counted lost what close() gave up; what of it the store committed after all is stored.
      return {
        ...listeners.stats,
        lost: listeners.stats.lost - storedAfterClose,
        stored: storedCount,
        rejected,
      };
    },
    reloadTls: () => {
      if (tlsConfig.syslogTlsPort === undefined) {
        log.info('no syslog TLS listener: nothing to reload');
        return false;
      }
      try {
        const fresh = syslogTlsFromConfig(tlsConfig);
        if (!fresh) return false;
        listeners.setTlsCredentials(fresh);
        log.info(
          { fingerprint: new X509Certificate(fresh.cert).fingerprint256 },
          'syslog TLS certificate reloaded: new connections use it',
        );
        return true;
      } catch (err) {
        log.error(`syslog TLS certificate not reloaded, the one in use stays: ${(err as Error).message}`);
        return false;
      }
    },
    close: async () => {
      await listeners.close();
      rateLimited.flush();
      closeSaid = true;
      if (lostAtClose > 0)
        log.error(
          { lost: lostAtClose, storeUnanswered: abandonedAtClose },
          abandonedAtClose > 0
            ? 'syslog listener closed while the store had not answered: messages received and not stored were lost'
            : 'syslog listener closed before the store recovered: messages received and not stored were lost',
        );
    },
  };
}
