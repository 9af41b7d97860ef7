import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createIngestSource,
  CreateSourceInput,
  updateIngestSourceSettings,
} from '../../src/app/ingest/ingest-sources.js';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { buildTestApi, type TestApi } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

async function send(port: number, datagrams: string[]): Promise<void> {
  const udp = dgram.createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((r) => udp.send(d, port, '127.0.0.1', () => r()));
  udp.close();
}

const noKeyring = () => {
  throw new Error('no secret is sealed for a token');
};

describe('syslog and its ingest source', () => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
    api = await buildTestApi(handle.store, []);
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const stored = async (): Promise<number> =>
    (await handle.store.db.selectFrom('alerts').select('id').where('source', '=', 'syslog').execute()).length;

  it('rejects the frames of a disabled syslog source (logged, rate-limited) and stores them once it is enabled', async () => {
    await createIngestSource(
      api.ctx,
      CreateSourceInput.parse({ name: 'syslog', enabled: false }),
      SYSTEM_ACTOR,
      noKeyring,
    );
    const l = await startSyslogListeners(api.ctx, { host: '127.0.0.1', udpPort: 0, flushMs: 10 });
    try {
      const port = l.ports.udp ?? 0;
      for (let i = 0; i < 3; i++) {
        await send(port, [`<13>Jan  1 00:00:00 h app: refused ${i}`]);
        await waitFor('the frame refused', async () => l.stats.rejected > i);
      }
      expect(l.stats.rejected).toBe(3);
      expect(await stored()).toBe(0);
      const warnings = api.logs.filter((line) => line.includes('ingest source syslog is disabled'));
      // Three batches, one line at once: the others are held back (rate-limited).
      expect(warnings).toHaveLength(1);

      await updateIngestSourceSettings(api.ctx, 'syslog', { enabled: true }, SYSTEM_ACTOR, noKeyring);
      // The row is read again at most once a second.
      await new Promise((r) => setTimeout(r, 1_100));
      await send(port, ['<13>Jan  1 00:00:00 h app: taken']);
      await waitFor('the frame stored', async () => (await stored()) === 1);
      expect(l.stats.rejected).toBe(3);
    } finally {
      await l.close();
    }
  });
});
