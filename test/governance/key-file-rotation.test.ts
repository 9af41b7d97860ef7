import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { createIngestSource, CreateSourceInput } from '../../src/app/ingest/ingest-sources.js';
import { rotateMasterKey } from '../../src/app/secrets/key-rotation.service.js';
import { signWebhook } from '../../src/connectors/vendors/webhook/webhook-signature.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import {
  beginFileRotation,
  loadKeyring,
  masterKeyPath,
} from '../../src/governance/secrets/master-key-file.js';
import { parseMasterKey } from '../../src/governance/secrets/secret-box.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { asRole, buildTestApi, createTestContext, type TestApi } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

const json = { 'content-type': 'application/json' };
// Long enough for a test to write while the rotation waits, on a loaded machine too.
const SETTLE_MS = 2_000;

// `riposte connector rotate-key` run beside a running server, sharing its data dir (key file) and SQLite file.
describe('master key file rotated while a server runs', () => {
  let handle: TestStoreHandle;
  let dataDir: string;
  let server: TestApi;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-key-rotation-'));
    server = await startServer();
  });
  afterEach(async () => {
    await server.app.close();
    await handle.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A server over the test store with no RIPOSTE_MASTER_KEY: its secrets are sealed with the key file. */
  const startServer = () =>
    buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], { config: { dataDir } });

  /** The rotation as the CLI runs it: a context of its own over the same store and data dir. */
  const rotate = (settleMs = SETTLE_MS) =>
    rotateMasterKey(createTestContext(handle.store, { config: { dataDir } }), SYSTEM_ACTOR, { settleMs });

  const firstPassDone = () =>
    waitFor('the rotation to re-seal once', async () =>
      (await readAuditEntries(handle.store.db, 0, 1000)).some((e) => e.action === 'secrets.key_rotated'),
    );

  const createSource = async (api: TestApi, name: string): Promise<string> => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ name, hmac: true }),
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { hmacSecret: string }).hmacSecret;
  };

  const signedPost = async (api: TestApi, name: string, secret: string): Promise<number> => {
    const body = JSON.stringify({
      title: `signed ${name}`,
      severity: 'high',
      id: `${name}-${Math.random()}`,
    });
    const timestamp = String(Math.floor(api.ctx.clock.now() / 1000));
    const res = await api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload: body,
      headers: {
        ...json,
        'x-riposte-timestamp': timestamp,
        'x-riposte-signature': signWebhook(secret, timestamp, body),
      },
    });
    return res.statusCode;
  };

  const sealedKeyId = async (name: string): Promise<string | undefined> => {
    const row = await handle.store.db
      .selectFrom('ingest_sources')
      .select('hmac_secret')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return row.hmac_secret?.split('.')[1];
  };

  const keyFileId = () => parseMasterKey(readFileSync(masterKeyPath(dataDir), 'utf8')).id;

  it('goes on without a restart: opens what the rotation re-sealed, seals new secrets under the new key', async () => {
    const edr = await createSource(server, 'edr');
    expect(await signedPost(server, 'edr', edr)).toBe(200);
    const oldKeyId = keyFileId();

    const rotation = rotate();
    await firstPassDone();
    // Re-sealed under the new key while the server runs: it still verifies the source's signatures.
    expect(await sealedKeyId('edr')).toBe(keyFileId());
    expect(await signedPost(server, 'edr', edr)).toBe(200);
    // A source made meanwhile is sealed under the new key, never under the one about to be removed.
    const made = await createSource(server, 'made-during');
    expect(await sealedKeyId('made-during')).not.toBe(oldKeyId);
    expect(await sealedKeyId('made-during')).toBe(keyFileId());

    const outcome = await rotation;
    expect(outcome).toMatchObject({ source: 'file', ingestSources: 1, stragglers: 0 });
    expect(existsSync(`${masterKeyPath(dataDir)}.previous`)).toBe(false);
    const made2 = await createSource(server, 'made-after');
    const restarted = await startServer();
    try {
      for (const api of [server, restarted]) {
        expect(await signedPost(api, 'edr', edr)).toBe(200);
        expect(await signedPost(api, 'made-during', made)).toBe(200);
        expect(await signedPost(api, 'made-after', made2)).toBe(200);
      }
    } finally {
      await restarted.app.close();
    }
  }, 60_000);

  it('re-seals a secret sealed under the old key during the rotation before it removes that key', async () => {
    await createSource(server, 'edr');
    // A process that checked the key file just before the rotation replaced it, and seals after.
    const stale = loadKeyring({ dataDir });

    let finished = false;
    const rotation = rotate().finally(() => (finished = true));
    await firstPassDone();
    const { credentials } = await createIngestSource(
      server.ctx,
      CreateSourceInput.parse({ name: 'straggler', hmac: true }),
      SYSTEM_ACTOR,
      () => stale,
    );
    expect(finished, 'the straggler was written after the rotation ended: a longer settle needed').toBe(
      false,
    );
    expect(await sealedKeyId('straggler')).toBe(stale.primary.id);

    const outcome = await rotation;
    expect(outcome).toMatchObject({ source: 'file', stragglers: 1 });
    expect(existsSync(`${masterKeyPath(dataDir)}.previous`)).toBe(false);
    expect(await sealedKeyId('straggler')).toBe(keyFileId());
    const restarted = await startServer();
    try {
      expect(await signedPost(restarted, 'straggler', credentials.hmacSecret as string)).toBe(200);
    } finally {
      await restarted.app.close();
    }
  }, 60_000);

  it('finishes a rotation interrupted before it removed the previous key, then rotates', async () => {
    const edr = await createSource(server, 'edr');
    // Stopped right after writing the new key: nothing re-sealed, the old key only in master.key.previous.
    beginFileRotation(dataDir);
    const outcome = await rotate(0);
    expect(outcome).toMatchObject({ source: 'file', ingestSources: 1 });
    expect(existsSync(`${masterKeyPath(dataDir)}.previous`)).toBe(false);
    expect(await sealedKeyId('edr')).toBe(keyFileId());
    expect(await signedPost(server, 'edr', edr)).toBe(200);
  }, 60_000);
});
