import type { FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import type { Actor } from '../../domain/shared/actor.js';
import { listenSyslog, type SyslogListeners } from '../../ingest/listeners/syslog-listeners.js';
import type { AppContext } from '../context.js';
import { rulesInForce } from './configure-ingest.js';
import { ingestAlerts, storeMappedItems, type IngestResult } from './ingest-alerts.js';
import type { MapWorkerPool } from './map-worker-pool.js';
import { fromPrepared, type PreparedItem } from './prepare-items.js';
import type { IngestSettings } from './ingest-settings.js';

export interface SyslogStartOptions {
  host?: string;
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  /** The ingest source name recorded on syslog alerts. */
  source?: string;
  settings?: IngestSettings;
}

const SYSLOG_ACTOR: Actor = { type: 'system', id: 'syslog', name: 'syslog listener' };

/**
 * Starts the syslog listeners that are configured (a port given) and feeds them into the ingest pipeline.
 * Frames that match no grammar are counted and logged (at most one log line per batch), never fatal.
 */
export async function startSyslogListeners(
  ctx: AppContext,
  options: SyslogStartOptions,
): Promise<{
  ports: SyslogListeners['ports'];
  stats: SyslogListeners['stats'] & { rejected: number };
  close(): Promise<void>;
}> {
  const source = options.source ?? 'syslog';
  const log = ctx.log.child({ component: 'syslog' });
  let rejected = 0;
  const stored = (result: IngestResult): void => {
    if (result.rejected === 0) return;
    rejected += result.rejected;
    const first = result.items.find((i) => i.status === 'rejected');
    log.warn(
      {
        rejected: result.rejected,
        total: rejected,
        reason: first?.status === 'rejected' ? first.reason : undefined,
      },
      'syslog frames rejected',
    );
  };
  const mapHere = async (messages: string[]): Promise<void> =>
    stored(
      await ingestAlerts(
        ctx,
        { source, mapper: 'syslog', items: messages.map((value) => ({ kind: 'text' as const, value })) },
        SYSLOG_ACTOR,
        options.settings,
      ),
    );
  const pool = ctx.mapWorkers;
  /** Batches cut and not yet stored. */
  let waiting = 0;
  const mapOnThread = async (
    threads: MapWorkerPool,
    messages: string[],
  ): Promise<{ keys: FingerprintKeys; items: PreparedItem[] }> => {
    // The rules last read (no round trip): the batch checks them when stored, as every batch does.
    const keys = (options.settings ?? (await rulesInForce(ctx)).settings).fingerprintKeys;
    const items = await threads.prepare(
      { texts: messages },
      { source, mapper: 'syslog', fingerprintKeys: keys, now: ctx.clock.now() },
    );
    return { keys, items };
  };
  const listeners = await listenSyslog(
    pool
      ? {
          // A batch cut while an earlier one waits to be stored is mapped on the thread meanwhile; with
          // nothing to overlap, it is mapped here when stored (no hand-over to pay).
          prepare: (messages: string[]) => {
            waiting += 1;
            if (waiting === 1) return undefined;
            const mapped = mapOnThread(pool, messages);
            // Awaited when the batch's turn to be stored comes; a failure is reported then.
            mapped.catch(() => undefined);
            return mapped;
          },
          store: async (mapped, messages) => {
            try {
              if (!mapped) return await mapHere(messages);
              const { keys, items } = await mapped;
              stored(
                await storeMappedItems(
                  ctx,
                  { source, items: items.map((p) => ({ line: p.line, mapped: fromPrepared(p, keys) })) },
                  SYSLOG_ACTOR,
                  options.settings,
                ),
              );
            } finally {
              waiting -= 1;
            }
          },
        }
      : mapHere,
    {
      // A cut batch is stored as one step when it fits one: cut at the step size in force at the start (a
      // smaller one stored later splits each batch into steps of that size when it is stored).
      batchSize: (options.settings ?? (await rulesInForce(ctx)).settings).batchSize,
      ...options,
      onFrameError: (reason, transport) => {
        rejected += 1;
        ctx.counters.add('syslogFramesRejected', { transport });
        log.warn({ transport, reason, total: rejected }, 'syslog frame rejected');
      },
      onSinkError: (err) => log.error({ err }, 'syslog batch could not be stored'),
    },
  );
  if (Object.keys(listeners.ports).length > 0) log.info({ ports: listeners.ports }, 'syslog listening');
  return {
    ports: listeners.ports,
    get stats() {
      return { ...listeners.stats, rejected };
    },
    close: () => listeners.close(),
  };
}
