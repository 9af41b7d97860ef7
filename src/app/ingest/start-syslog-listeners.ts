import type { Actor } from '../../domain/shared/actor.js';
import { listenSyslog, type SyslogListeners } from '../../ingest/listeners/syslog-listeners.js';
import type { AppContext } from '../context.js';
import { ingestAlerts } from './ingest-alerts.js';
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
  const listeners = await listenSyslog(
    async (messages) => {
      const result = await ingestAlerts(
        ctx,
        { source, mapper: 'syslog', items: messages.map((value) => ({ kind: 'text' as const, value })) },
        SYSLOG_ACTOR,
        options.settings,
      );
      if (result.rejected > 0) {
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
      }
    },
    {
      ...options,
      onFrameError: (reason, transport) => {
        rejected += 1;
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
